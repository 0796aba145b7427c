package io.valkeysidecar.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Command-level behaviour: flags, parameters as clients write them, CONFIG, SLOWLOG, RO_QUERY, EXPLAIN, errors. */
class CommandTest {

    static GraphHarness h;

    @BeforeAll
    static void start() {
        h = new GraphHarness();
        h.stats("cmd", "CREATE (:P {name: 'a\"b', v: 1}), (:P {name: 'c', v: 2})");
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @SuppressWarnings("unchecked")
    static List<List<Object>> rows(Object reply) {
        return (List<List<Object>>) ((List<Object>) reply).get(1);
    }

    @Test
    void flagsAreCaseInsensitiveInAnyOrder() {
        Object r = GraphHarness.plain(h.call("GRAPH.QUERY", "cmd", "MATCH (p:P {v: 2}) RETURN p.name", "timeout", "500",
                "--COMPACT"));
        assertThat(rows(r)).containsExactly(List.of(List.of(2L, "c")));
        assertThat(h.error("GRAPH.QUERY", "cmd", "RETURN 1", "--verbose")).contains("Unrecognized argument");
        assertThat(h.error("GRAPH.QUERY", "cmd", "RETURN 1", "TIMEOUT", "soon")).contains("timeout");
        assertThat(h.error("GRAPH.QUERY", "cmd")).contains("wrong number of arguments for 'graph.query'");
    }

    @Test
    void timeoutStopsLongQueries() {
        assertThat(h.error("GRAPH.QUERY", "cmd", "UNWIND range(1, 100000000) AS x RETURN count(x)", "TIMEOUT", "20"))
                .contains("Query timed out");
    }

    @Test
    void parametersInJedisSpelling() {
        // Jedis' RedisGraphQueryUtil: strings double-quoted with \" escapes, doubles via Double.toString
        Object r = h.query("cmd", "CYPHER name=\"a\\\"b\" small=1.0E-5 flag=true list=[1, \"x\"] "
                + "MATCH (p:P) WHERE p.name = $name RETURN p.v, $small, $flag, $list");
        assertThat(rows(r)).containsExactly(List.of(1L, "1e-05", "true", "[1, x]"));
    }

    @Test
    void parametersInRedisPySpelling() {
        // redis-py: str(True) -> True, None -> null, dict -> {k:v}, single-quoted strings after escaping
        Object r = h.query("cmd", "CYPHER t=True n=null m={k:'v'} s='it\\'s' RETURN $t, $n, $m.k, $s");
        assertThat(rows(r)).containsExactly(java.util.Arrays.asList("true", null, "v", "it's"));
    }

    @Test
    void roQueryRejectsWrites() {
        assertThat(h.error("GRAPH.RO_QUERY", "cmd", "CREATE ()"))
                .isEqualTo("ERR graph.RO_QUERY is to be executed only on read-only queries");
        assertThat(rows(GraphHarness.plain(h.call("GRAPH.RO_QUERY", "cmd", "MATCH (p:P) RETURN count(p)"))))
                .containsExactly(List.of(2L));
    }

    @Test
    void configGetAndSet() {
        assertThat(GraphHarness.plain(h.call("GRAPH.CONFIG", "GET", "timeout"))).isEqualTo(List.of("TIMEOUT", 0L));
        assertThat(GraphHarness.plain(h.call("GRAPH.CONFIG", "SET", "RESULTSET_SIZE", "1"))).isEqualTo("OK");
        try {
            assertThat(rows(h.query("cmd", "MATCH (p:P) RETURN p.v"))).hasSize(1);
        } finally {
            h.call("GRAPH.CONFIG", "SET", "RESULTSET_SIZE", "-1");
        }
        assertThat(rows(h.query("cmd", "MATCH (p:P) RETURN p.v"))).hasSize(2);
        assertThat(h.error("GRAPH.CONFIG", "SET", "THREAD_COUNT", "3")).contains("cannot be set at run-time");
        assertThat(h.error("GRAPH.CONFIG", "GET", "NOPE")).contains("Unknown configuration field");
        assertThat(GraphHarness.plain(h.call("GRAPH.CONFIG", "GET", "*")).toString()).contains("[CACHE_SIZE, ");
    }

    @Test
    void slowlogListsQueriesAndResets() {
        h.stats("slow", "CREATE ()");
        h.rows("slow", "MATCH (n) RETURN count(n)");
        @SuppressWarnings("unchecked")
        List<List<Object>> entries = (List<List<Object>>) GraphHarness.plain(h.call("GRAPH.SLOWLOG", "slow"));
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0)).hasSize(4);
        assertThat(entries).extracting(e -> e.get(2)).contains("MATCH (n) RETURN count(n)", "CREATE ()");
        assertThat((String) entries.get(0).get(3)).matches("\\d+\\.\\d{6}");
        assertThat(GraphHarness.plain(h.call("GRAPH.SLOWLOG", "slow", "RESET"))).isEqualTo("OK");
        assertThat((List<?>) GraphHarness.plain(h.call("GRAPH.SLOWLOG", "slow"))).isEmpty();
    }

    @Test
    void explainShowsTheChosenAccessPath() {
        h.stats("plans", "CREATE INDEX ON :U(id)");
        h.stats("plans", "CREATE (:U {id: 1})-[:F]->(:U {id: 2})");
        assertThat(GraphHarnessPlans.explain(h, "plans", "MATCH (u:U {id: 1})-[:F]->(v) RETURN v"))
                .containsExactly("Results", "    Project", "        Conditional Traverse | (u:U)-[:F]->(v)",
                        "            Node By Index Scan | (u:U)");
        assertThat(GraphHarnessPlans.explain(h, "plans", "MATCH (a)-[:F]->(b) WHERE id(b) = 1 RETURN a"))
                .containsExactly("Results", "    Project", "        Filter",
                        "            Conditional Traverse | (b)<-[:F]-(a)", "                NodeByIdSeek | (b)");
        assertThat(GraphHarnessPlans.explain(h, "plans", "MATCH (n) RETURN count(n)"))
                .containsExactly("Results", "    Aggregate", "        All Node Scan | (n)");
    }

    @Test
    void whereConjunctsPruneTheSearchAsSoonAsTheirVariablesAreBound() {
        // 24 diamonds in a row: 2^24 paths from l0; only x.k = 2 leads into them
        h.stats("prune", "UNWIND range(0, 24) AS i CREATE (:L {i: i})");
        h.stats("prune", "MATCH (a:L), (b:L) WHERE b.i = a.i + 1 "
                + "CREATE (a)-[:R]->(:M)-[:R]->(b), (a)-[:R]->(:M)-[:R]->(b)");
        h.stats("prune", "MATCH (l:L {i: 0}) CREATE (:X {k: 2})-[:R]->(l), (:X {k: 1})-[:R]->(:Y)");
        Object r = GraphHarness.plain(h.call("GRAPH.QUERY", "prune",
                "MATCH (x:X)-[:R]->(y)-[:R*1..60]->(z) WHERE x.k = 1 RETURN count(z)", "TIMEOUT", "3000"));
        assertThat(rows(r)).containsExactly(List.of(0L));
        assertThat(h.error("GRAPH.QUERY", "prune", "MATCH (x:X)-[:R]->(y)-[:R*1..60]->(z) WHERE x.k = 2 "
                + "RETURN count(z)", "TIMEOUT", "300")).contains("Query timed out");
    }

    @Test
    void syntaxErrorsNameLineAndColumn() {
        assertThat(h.error("GRAPH.QUERY", "cmd", "MATCH (n)\nRETURN n.name AS"))
                .isEqualTo("ERR Invalid input end of input: expected an alias line: 2, column: 17, offset: 26");
        assertThat(h.error("GRAPH.QUERY", "cmd", "MATCH (n) RETURN n ORDER n"))
                .isEqualTo("ERR Invalid input 'n': expected 'BY' line: 1, column: 26, offset: 25");
        assertThat(h.error("GRAPH.QUERY", "cmd", "RETURN 'unterminated")).contains("unterminated string");
    }

    @Test
    void procedureCallsWorkThroughRoQueryForClients() {
        Object r = GraphHarness.plain(h.call("GRAPH.RO_QUERY", "cmd", "CALL db.propertyKeys()", "--compact"));
        assertThat(r.toString()).startsWith("[[[1, propertyKey]], [[[2, name]], [[2, v]]]");
    }
}
