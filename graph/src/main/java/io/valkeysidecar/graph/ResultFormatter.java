package io.valkeysidecar.graph;

import io.valkeysidecar.graph.exec.Executor;
import io.valkeysidecar.graph.exec.Values;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.GraphData;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.PathValue;
import io.valkeysidecar.graph.model.Props;
import io.valkeysidecar.resp.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Renders query results in RedisGraph 2.x's verbose and compact reply formats. */
public final class ResultFormatter {

    static final int NULL = 1;
    static final int STRING = 2;
    static final int INTEGER = 3;
    static final int BOOLEAN = 4;
    static final int DOUBLE = 5;
    static final int ARRAY = 6;
    static final int EDGE = 7;
    static final int NODE = 8;
    static final int PATH = 9;
    static final int MAP = 10;

    private ResultFormatter() {
    }

    /** {@code [header, rows, stats]} for queries with RETURN, {@code [stats]} otherwise. */
    public static Reply resultSet(Executor.Result r, GraphData g, boolean compact, List<String> statLines) {
        List<Reply> stats = new ArrayList<>();
        statLines.forEach(s -> stats.add(Reply.bulk(s)));
        if (r.columns() == null) {
            return Reply.array(Reply.array(stats));
        }
        List<Reply> header = new ArrayList<>();
        for (String c : r.columns()) {
            header.add(compact ? Reply.array(Reply.integer(1), Reply.bulk(c)) : Reply.bulk(c));
        }
        List<Reply> rows = new ArrayList<>(r.rows().size());
        for (Object[] row : r.rows()) {
            List<Reply> cells = new ArrayList<>(row.length);
            for (Object v : row) {
                cells.add(compact ? compact(v, g) : verbose(v, g));
            }
            rows.add(Reply.array(cells));
        }
        return Reply.array(Reply.array(header), Reply.array(rows), Reply.array(stats));
    }

    // ------------------------------------------------------------------ verbose

    static Reply verbose(Object v, GraphData g) {
        if (v == null) {
            return Reply.NULL;
        }
        if (v instanceof String s) {
            return Reply.bulk(s);
        }
        if (v instanceof Long l) {
            return Reply.integer(l);
        }
        if (v instanceof Double d) {
            return Reply.bulk(Values.formatDouble(d));
        }
        if (v instanceof Boolean b) {
            return Reply.bulk(b ? "true" : "false");
        }
        if (v instanceof Node n) {
            List<Reply> labels = new ArrayList<>();
            for (int l : n.labels) {
                labels.add(Reply.bulk(g.labels.name(l)));
            }
            return Reply.array(
                    Reply.array(Reply.bulk("id"), Reply.integer(n.id)),
                    Reply.array(Reply.bulk("labels"), Reply.array(labels)),
                    Reply.array(Reply.bulk("properties"), verboseProps(n.props, g)));
        }
        if (v instanceof Edge e) {
            return Reply.array(
                    Reply.array(Reply.bulk("id"), Reply.integer(e.id)),
                    Reply.array(Reply.bulk("type"), Reply.bulk(g.types.name(e.type))),
                    Reply.array(Reply.bulk("src_node"), Reply.integer(e.src.id)),
                    Reply.array(Reply.bulk("dest_node"), Reply.integer(e.dst.id)),
                    Reply.array(Reply.bulk("properties"), verboseProps(e.props, g)));
        }
        // RedisGraph prints lists, maps and paths as one string in verbose mode
        return Reply.bulk(Values.printNested(v));
    }

    private static Reply verboseProps(Props p, GraphData g) {
        List<Reply> out = new ArrayList<>(p.size());
        for (int i = 0; i < p.size(); i++) {
            out.add(Reply.array(Reply.bulk(g.keys.name(p.keyAt(i))), verbose(p.valueAt(i), g)));
        }
        return Reply.array(out);
    }

    // ------------------------------------------------------------------ compact

    /** A compact cell: {@code [type, value]}. */
    static Reply compact(Object v, GraphData g) {
        if (v == null) {
            return Reply.array(Reply.integer(NULL), Reply.NULL);
        }
        if (v instanceof String s) {
            return Reply.array(Reply.integer(STRING), Reply.bulk(s));
        }
        if (v instanceof Long l) {
            return Reply.array(Reply.integer(INTEGER), Reply.integer(l));
        }
        if (v instanceof Boolean b) {
            return Reply.array(Reply.integer(BOOLEAN), Reply.bulk(b ? "true" : "false"));
        }
        if (v instanceof Double d) {
            return Reply.array(Reply.integer(DOUBLE), Reply.bulk(Values.formatDouble(d)));
        }
        if (v instanceof List<?> list) {
            List<Reply> items = new ArrayList<>(list.size());
            for (Object o : list) {
                items.add(compact(o, g));
            }
            return Reply.array(Reply.integer(ARRAY), Reply.array(items));
        }
        if (v instanceof Node n) {
            return Reply.array(Reply.integer(NODE), compactNode(n, g));
        }
        if (v instanceof Edge e) {
            return Reply.array(Reply.integer(EDGE), compactEdge(e));
        }
        if (v instanceof PathValue p) {
            List<Reply> nodes = new ArrayList<>();
            for (Node n : p.nodes()) {
                nodes.add(Reply.array(Reply.integer(NODE), compactNode(n, g)));
            }
            List<Reply> edges = new ArrayList<>();
            for (Edge e : p.edges()) {
                edges.add(Reply.array(Reply.integer(EDGE), compactEdge(e)));
            }
            return Reply.array(Reply.integer(PATH), Reply.array(
                    Reply.array(Reply.integer(ARRAY), Reply.array(nodes)),
                    Reply.array(Reply.integer(ARRAY), Reply.array(edges))));
        }
        if (v instanceof Map<?, ?> m) {
            List<Reply> flat = new ArrayList<>(m.size() * 2);
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flat.add(Reply.bulk(String.valueOf(e.getKey())));
                flat.add(compact(e.getValue(), g));
            }
            return Reply.array(Reply.integer(MAP), Reply.array(flat));
        }
        return Reply.array(Reply.integer(STRING), Reply.bulk(String.valueOf(v)));
    }

    private static Reply compactNode(Node n, GraphData g) {
        List<Reply> labels = new ArrayList<>(n.labels.length);
        for (int l : n.labels) {
            labels.add(Reply.integer(l));
        }
        return Reply.array(Reply.integer(n.id), Reply.array(labels), compactProps(n.props, g));
    }

    private static Reply compactEdge(Edge e) {
        return Reply.array(Reply.integer(e.id), Reply.integer(e.type), Reply.integer(e.src.id),
                Reply.integer(e.dst.id), compactProps(e.props, null));
    }

    private static Reply compactProps(Props p, GraphData g) {
        List<Reply> out = new ArrayList<>(p.size());
        for (int i = 0; i < p.size(); i++) {
            Reply cell = compact(p.valueAt(i), g);
            List<Reply> typed = ((Reply.Array) cell).items();
            out.add(Reply.array(Reply.integer(p.keyAt(i)), typed.get(0), typed.get(1)));
        }
        return Reply.array(out);
    }
}
