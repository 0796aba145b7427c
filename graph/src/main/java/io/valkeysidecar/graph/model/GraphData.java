package io.valkeysidecar.graph.model;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph held in sidecar memory: the cache of one Valkey graph key. Topology (adjacency lists, label bitmaps,
 * exact-match indexes) is kept here so traversals never cost a network round trip per visited node.
 * Not thread-safe: callers hold the owning entry's read or write lock.
 */
public final class GraphData {

    public final Schema labels = new Schema();
    public final Schema types = new Schema();
    public final Schema keys = new Schema();
    public final List<IndexDef> indexes = new ArrayList<>();
    public long nextNodeId;
    public long nextEdgeId;

    private final ArrayList<Node> nodes = new ArrayList<>();
    private final ArrayList<Edge> edges = new ArrayList<>();
    private final List<BitSet> labelMembers = new ArrayList<>();
    private long nodeCount;
    private long edgeCount;
    /** (label id, key id) -> value -> nodes; numbers are normalised so 1 and 1.0 meet. */
    private final Map<Long, Map<Object, List<Node>>> nodeIndex = new HashMap<>();

    // ------------------------------------------------------------------ reads

    public Node node(long id) {
        return id >= 0 && id < nodes.size() ? nodes.get((int) id) : null;
    }

    public long nodeCount() {
        return nodeCount;
    }

    public long edgeCount() {
        return edgeCount;
    }

    /** A snapshot of all live nodes in id order. */
    public List<Node> allNodes() {
        List<Node> out = new ArrayList<>((int) nodeCount);
        for (Node n : nodes) {
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    /** A snapshot of the nodes carrying {@code label}, in id order. */
    public List<Node> nodesWithLabel(int label) {
        if (label < 0 || label >= labelMembers.size()) {
            return List.of();
        }
        BitSet bs = labelMembers.get(label);
        List<Node> out = new ArrayList<>(bs.cardinality());
        for (int i = bs.nextSetBit(0); i >= 0; i = bs.nextSetBit(i + 1)) {
            out.add(nodes.get(i));
        }
        return out;
    }

    public int labelCardinality(int label) {
        return label < 0 || label >= labelMembers.size() ? 0 : labelMembers.get(label).cardinality();
    }

    public boolean hasNodeIndex(int label, int key) {
        return nodeIndex.containsKey(indexKey(label, key));
    }

    /** Nodes with {@code label} whose {@code key} equals {@code value}, via the exact-match index. */
    public List<Node> indexLookup(int label, int key, Object value) {
        Map<Object, List<Node>> idx = nodeIndex.get(indexKey(label, key));
        if (idx == null) {
            return null;
        }
        List<Node> hits = idx.get(normalize(value));
        return hits == null ? List.of() : new ArrayList<>(hits);
    }

    // ------------------------------------------------------------------ writes (all record into a ChangeSet)

    public int internLabel(String name, ChangeSet cs) {
        boolean[] added = {false};
        int id = labels.intern(name, added);
        if (added[0]) {
            cs.metaDirty = true;
            labelMembers.add(new BitSet());
        }
        return id;
    }

    public int internType(String name, ChangeSet cs) {
        boolean[] added = {false};
        int id = types.intern(name, added);
        cs.metaDirty |= added[0];
        return id;
    }

    public int internKey(String name, ChangeSet cs) {
        boolean[] added = {false};
        int id = keys.intern(name, added);
        cs.metaDirty |= added[0];
        return id;
    }

    public Node createNode(int[] labelIds, ChangeSet cs) {
        Node n = new Node(nextNodeId++, labelIds);
        putNode(n);
        cs.dirtyNodes.add(n);
        cs.metaDirty = true;
        return n;
    }

    public Edge createEdge(int type, Node src, Node dst, ChangeSet cs) {
        Edge e = new Edge(nextEdgeId++, type, src, dst);
        putEdge(e);
        cs.dirtyEdges.add(e);
        cs.metaDirty = true;
        return e;
    }

    public void setNodeProp(Node n, int key, Object value, ChangeSet cs) {
        Object old = n.props.get(key);
        for (int label : n.labels) {
            unindex(n, label, key, old);
        }
        n.props.set(key, value);
        for (int label : n.labels) {
            index(n, label, key, value);
        }
        cs.dirtyNodes.add(n);
    }

    public void setEdgeProp(Edge e, int key, Object value, ChangeSet cs) {
        e.props.set(key, value);
        cs.dirtyEdges.add(e);
    }

    public boolean addLabel(Node n, int label, ChangeSet cs) {
        if (n.hasLabel(label)) {
            return false;
        }
        int[] nl = java.util.Arrays.copyOf(n.labels, n.labels.length + 1);
        nl[nl.length - 1] = label;
        n.labels = nl;
        labelMembers.get(label).set((int) n.id);
        for (int i = 0; i < n.props.size(); i++) {
            index(n, label, n.props.keyAt(i), n.props.valueAt(i));
        }
        cs.dirtyNodes.add(n);
        return true;
    }

    public boolean removeLabel(Node n, int label, ChangeSet cs) {
        if (!n.hasLabel(label)) {
            return false;
        }
        int[] nl = new int[n.labels.length - 1];
        int k = 0;
        for (int l : n.labels) {
            if (l != label) {
                nl[k++] = l;
            }
        }
        for (int i = 0; i < n.props.size(); i++) {
            unindex(n, label, n.props.keyAt(i), n.props.valueAt(i));
        }
        n.labels = nl;
        labelMembers.get(label).clear((int) n.id);
        cs.dirtyNodes.add(n);
        return true;
    }

    public void deleteEdge(Edge e, ChangeSet cs) {
        if (e.deleted) {
            return;
        }
        e.deleted = true;
        e.src.out.remove(e);
        e.dst.in.remove(e);
        edges.set((int) e.id, null);
        edgeCount--;
        cs.dirtyEdges.remove(e);
        cs.deletedEdges.add(e.id);
    }

    public void deleteNode(Node n, ChangeSet cs) {
        if (n.deleted) {
            return;
        }
        n.deleted = true;
        for (int label : n.labels) {
            labelMembers.get(label).clear((int) n.id);
            for (int i = 0; i < n.props.size(); i++) {
                unindex(n, label, n.props.keyAt(i), n.props.valueAt(i));
            }
        }
        nodes.set((int) n.id, null);
        nodeCount--;
        cs.dirtyNodes.remove(n);
        cs.deletedNodes.add(n.id);
    }

    public boolean addIndex(IndexDef def, ChangeSet cs) {
        if (indexes.contains(def)) {
            return false;
        }
        indexes.add(def);
        cs.metaDirty = true;
        if (!def.relationship()) {
            for (int key : def.keys()) {
                buildIndex(def.schemaId(), key);
            }
        }
        return true;
    }

    public boolean dropIndex(IndexDef def, ChangeSet cs) {
        if (!indexes.remove(def)) {
            return false;
        }
        cs.metaDirty = true;
        if (!def.relationship()) {
            for (int key : def.keys()) {
                boolean stillCovered = indexes.stream().anyMatch(d -> !d.relationship()
                        && d.schemaId() == def.schemaId() && d.keys().contains(key));
                if (!stillCovered) {
                    nodeIndex.remove(indexKey(def.schemaId(), key));
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ loading

    /** Adds a node read from storage (ids already assigned). */
    public void putNode(Node n) {
        while (nodes.size() <= n.id) {
            nodes.add(null);
        }
        nodes.set((int) n.id, n);
        nodeCount++;
        for (int label : n.labels) {
            while (labelMembers.size() <= label) {
                labelMembers.add(new BitSet());
            }
            labelMembers.get(label).set((int) n.id);
            for (int i = 0; i < n.props.size(); i++) {
                index(n, label, n.props.keyAt(i), n.props.valueAt(i));
            }
        }
    }

    /** Adds an edge read from storage; both endpoints must already be present. */
    public void putEdge(Edge e) {
        while (edges.size() <= e.id) {
            edges.add(null);
        }
        edges.set((int) e.id, e);
        edgeCount++;
        e.src.out.add(e);
        e.dst.in.add(e);
    }

    /** Makes sure every label id in the schema has a member set (after loading the schema). */
    public void ensureLabelSets() {
        while (labelMembers.size() < labels.size()) {
            labelMembers.add(new BitSet());
        }
    }

    /** Builds the exact-match maps of the loaded index definitions. */
    public void rebuildIndexes() {
        nodeIndex.clear();
        for (IndexDef def : indexes) {
            if (!def.relationship()) {
                for (int key : def.keys()) {
                    buildIndex(def.schemaId(), key);
                }
            }
        }
    }

    // ------------------------------------------------------------------ index internals

    private void buildIndex(int label, int key) {
        long ik = indexKey(label, key);
        if (nodeIndex.containsKey(ik)) {
            return;
        }
        Map<Object, List<Node>> idx = new HashMap<>();
        nodeIndex.put(ik, idx);
        for (Node n : nodesWithLabel(label)) {
            Object v = n.props.get(key);
            if (v != null) {
                idx.computeIfAbsent(normalize(v), k -> new ArrayList<>(1)).add(n);
            }
        }
    }

    private void index(Node n, int label, int key, Object value) {
        if (value == null) {
            return;
        }
        Map<Object, List<Node>> idx = nodeIndex.get(indexKey(label, key));
        if (idx != null) {
            idx.computeIfAbsent(normalize(value), k -> new ArrayList<>(1)).add(n);
        }
    }

    private void unindex(Node n, int label, int key, Object value) {
        if (value == null) {
            return;
        }
        Map<Object, List<Node>> idx = nodeIndex.get(indexKey(label, key));
        if (idx != null) {
            List<Node> list = idx.get(normalize(value));
            if (list != null) {
                list.remove(n);
                if (list.isEmpty()) {
                    idx.remove(normalize(value));
                }
            }
        }
    }

    private static long indexKey(int label, int key) {
        return ((long) label << 32) | (key & 0xffffffffL);
    }

    /** Integral doubles become longs so an index hit does not depend on how a number was written. */
    public static Object normalize(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.0e18) {
            return d.longValue();
        }
        if (v instanceof Integer i) {
            return i.longValue();
        }
        return v;
    }

}
