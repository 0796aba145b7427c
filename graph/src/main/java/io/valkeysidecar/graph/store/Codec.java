package io.valkeysidecar.graph.store;

import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.GraphData;
import io.valkeysidecar.graph.model.IndexDef;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.Props;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Compact binary records stored as hash fields: varints and tagged values. Field names are {@code n<id>} for a node,
 * {@code e<id>} for an edge and {@code @meta} for the schema (dense name tables, index definitions, id counters).
 */
public final class Codec {

    static final byte NULL = 0;
    static final byte FALSE = 1;
    static final byte TRUE = 2;
    static final byte LONG = 3;
    static final byte DOUBLE = 4;
    static final byte STRING = 5;
    static final byte LIST = 6;

    private Codec() {
    }

    public static byte[] nodeField(long id) {
        return ("n" + id).getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] edgeField(long id) {
        return ("e" + id).getBytes(StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------ encoding

    static final class Out extends ByteArrayOutputStream {
        Out() {
            super(32);
        }

        void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            write((int) v);
        }

        void zigzag(long v) {
            varint((v << 1) ^ (v >> 63));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(b.length);
            write(b, 0, b.length);
        }

        void value(Object v) {
            if (v == null) {
                write(NULL);
            } else if (v instanceof Boolean b) {
                write(b ? TRUE : FALSE);
            } else if (v instanceof Long l) {
                write(LONG);
                zigzag(l);
            } else if (v instanceof Double d) {
                write(DOUBLE);
                long bits = Double.doubleToRawLongBits(d);
                for (int i = 0; i < 8; i++) {
                    write((int) (bits >>> (8 * i)));
                }
            } else if (v instanceof String s) {
                write(STRING);
                string(s);
            } else if (v instanceof List<?> list) {
                write(LIST);
                varint(list.size());
                for (Object o : list) {
                    value(o);
                }
            } else {
                throw new IllegalArgumentException("not a storable property value: " + v.getClass().getSimpleName());
            }
        }

        void props(Props p) {
            varint(p.size());
            for (int i = 0; i < p.size(); i++) {
                varint(p.keyAt(i));
                value(p.valueAt(i));
            }
        }
    }

    public static byte[] encodeNode(Node n) {
        Out o = new Out();
        o.varint(n.labels.length);
        for (int l : n.labels) {
            o.varint(l);
        }
        o.props(n.props);
        return o.toByteArray();
    }

    public static byte[] encodeEdge(Edge e) {
        Out o = new Out();
        o.varint(e.type);
        o.varint(e.src.id);
        o.varint(e.dst.id);
        o.props(e.props);
        return o.toByteArray();
    }

    public static byte[] encodeMeta(GraphData g) {
        Out o = new Out();
        o.varint(1); // format version
        o.varint(g.nextNodeId);
        o.varint(g.nextEdgeId);
        for (List<String> names : List.of(g.labels.names(), g.types.names(), g.keys.names())) {
            o.varint(names.size());
            names.forEach(o::string);
        }
        o.varint(g.indexes.size());
        for (IndexDef d : g.indexes) {
            o.write(d.relationship() ? 1 : 0);
            o.varint(d.schemaId());
            o.varint(d.keys().size());
            d.keys().forEach(o::varint);
        }
        return o.toByteArray();
    }

    // ------------------------------------------------------------------ decoding

    static final class In {
        final byte[] b;
        int pos;

        In(byte[] b) {
            this.b = b;
        }

        long varint() {
            long v = 0;
            int shift = 0;
            while (true) {
                byte x = b[pos++];
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
                shift += 7;
            }
        }

        int int32() {
            return (int) varint();
        }

        String string() {
            int len = int32();
            String s = new String(b, pos, len, StandardCharsets.UTF_8);
            pos += len;
            return s;
        }

        Object value() {
            byte tag = b[pos++];
            switch (tag) {
                case NULL:
                    return null;
                case FALSE:
                    return Boolean.FALSE;
                case TRUE:
                    return Boolean.TRUE;
                case LONG: {
                    long z = varint();
                    return (z >>> 1) ^ -(z & 1);
                }
                case DOUBLE: {
                    long bits = 0;
                    for (int i = 0; i < 8; i++) {
                        bits |= (long) (b[pos++] & 0xff) << (8 * i);
                    }
                    return Double.longBitsToDouble(bits);
                }
                case STRING:
                    return string();
                case LIST: {
                    int n = int32();
                    List<Object> list = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        list.add(value());
                    }
                    return list;
                }
                default:
                    throw new IllegalStateException("corrupt graph record: value tag " + tag);
            }
        }

        void props(Props p) {
            int n = int32();
            for (int i = 0; i < n; i++) {
                int key = int32();
                p.set(key, value());
            }
        }
    }

    public static Node decodeNode(long id, byte[] data) {
        In in = new In(data);
        int n = in.int32();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = in.int32();
        }
        Node node = new Node(id, labels);
        in.props(node.props);
        return node;
    }

    /** Decodes an edge whose endpoints are looked up in {@code g}; returns null when an endpoint is missing. */
    public static Edge decodeEdge(long id, byte[] data, GraphData g) {
        In in = new In(data);
        int type = in.int32();
        Node src = g.node(in.varint());
        Node dst = g.node(in.varint());
        if (src == null || dst == null) {
            return null;
        }
        Edge e = new Edge(id, type, src, dst);
        in.props(e.props);
        return e;
    }

    public static void decodeMeta(byte[] data, GraphData g) {
        In in = new In(data);
        long version = in.varint();
        if (version != 1) {
            throw new IllegalStateException("unsupported graph format version " + version);
        }
        g.nextNodeId = in.varint();
        g.nextEdgeId = in.varint();
        boolean[] ignored = {false};
        for (io.valkeysidecar.graph.model.Schema s : List.of(g.labels, g.types, g.keys)) {
            int n = in.int32();
            for (int i = 0; i < n; i++) {
                s.intern(in.string(), ignored);
            }
        }
        int ni = in.int32();
        for (int i = 0; i < ni; i++) {
            boolean rel = in.b[in.pos++] == 1;
            int schemaId = in.int32();
            int nk = in.int32();
            List<Integer> keys = new ArrayList<>(nk);
            for (int k = 0; k < nk; k++) {
                keys.add(in.int32());
            }
            g.indexes.add(new IndexDef(rel, schemaId, keys));
        }
        g.ensureLabelSets();
    }
}
