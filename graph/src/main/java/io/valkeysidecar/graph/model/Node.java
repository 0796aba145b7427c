package io.valkeysidecar.graph.model;

import java.util.ArrayList;
import java.util.List;

/** A node of the cached graph. Identity equality: one object per live node id. */
public final class Node {

    public final long id;
    public int[] labels;
    public final Props props = new Props();
    public final List<Edge> out = new ArrayList<>(0);
    public final List<Edge> in = new ArrayList<>(0);
    public boolean deleted;

    public Node(long id, int[] labels) {
        this.id = id;
        this.labels = labels;
    }

    public boolean hasLabel(int label) {
        for (int l : labels) {
            if (l == label) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "(" + id + ")";
    }
}
