package io.valkeysidecar.graph;

import java.util.ArrayList;
import java.util.List;

/** GRAPH.EXPLAIN lines as strings. */
final class GraphHarnessPlans {

    private GraphHarnessPlans() {
    }

    static List<String> explain(GraphHarness h, String graph, String query) {
        Object r = GraphHarness.plain(h.call("GRAPH.EXPLAIN", graph, query));
        if (!(r instanceof List<?> l)) {
            throw new AssertionError("EXPLAIN failed: " + r);
        }
        List<String> out = new ArrayList<>();
        l.forEach(o -> out.add((String) o));
        return out;
    }
}
