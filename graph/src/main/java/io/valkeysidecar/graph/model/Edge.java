package io.valkeysidecar.graph.model;

/** A relationship of the cached graph. Identity equality: one object per live edge id. */
public final class Edge {

    public final long id;
    public final int type;
    public final Node src;
    public final Node dst;
    public final Props props = new Props();
    public boolean deleted;

    public Edge(long id, int type, Node src, Node dst) {
        this.id = id;
        this.type = type;
        this.src = src;
        this.dst = dst;
    }

    /** The endpoint that is not {@code from} (for self loops, the node itself). */
    public Node other(Node from) {
        return src == from ? dst : src;
    }

    @Override
    public String toString() {
        return "[" + id + "]";
    }
}
