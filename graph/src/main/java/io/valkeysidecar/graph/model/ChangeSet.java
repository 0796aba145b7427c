package io.valkeysidecar.graph.model;

import java.util.LinkedHashSet;
import java.util.Set;

/** What a write query changed in the cached graph: the records to rewrite or delete in Valkey. */
public final class ChangeSet {

    public final Set<Node> dirtyNodes = new LinkedHashSet<>();
    public final Set<Edge> dirtyEdges = new LinkedHashSet<>();
    public final Set<Long> deletedNodes = new LinkedHashSet<>();
    public final Set<Long> deletedEdges = new LinkedHashSet<>();
    public boolean metaDirty;

    public boolean isEmpty() {
        return dirtyNodes.isEmpty() && dirtyEdges.isEmpty() && deletedNodes.isEmpty() && deletedEdges.isEmpty()
                && !metaDirty;
    }
}
