package io.valkeysidecar.graph;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The graph is an ordinary Valkey key: generic commands, caches of several sidecars, concurrent writers, ACLs. */
class StorageTest {

    static GraphHarness a;
    static GraphHarness b;

    @BeforeAll
    static void start() {
        a = new GraphHarness();
        b = a.secondSidecar();
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
    }

    static long count(GraphHarness h, String graph) {
        return (Long) h.rows(graph, "MATCH (n) RETURN count(n)").get(0).get(0);
    }

    @Test
    void nonGraphKeysGiveWrongType() {
        a.valkey().set("plain", "v");
        a.valkey().hset("ahash", "f", "v");
        assertThat(a.error("GRAPH.QUERY", "plain", "RETURN 1")).startsWith("WRONGTYPE");
        assertThat(a.error("GRAPH.QUERY", "ahash", "CREATE ()")).startsWith("WRONGTYPE");
        assertThat(a.error("GRAPH.RO_QUERY", "ahash", "RETURN 1")).startsWith("WRONGTYPE");
        assertThat(a.error("GRAPH.DELETE", "plain")).startsWith("WRONGTYPE");
        assertThat(a.valkey().get("plain")).isEqualTo("v");
    }

    @Test
    void queryCreatesTheGraphKeyEvenForReads() {
        a.rows("created-by-read", "RETURN 1");
        assertThat(a.valkey().type("created-by-read")).isEqualTo("hash");
        assertThat(a.valkey().exists("created-by-read")).isEqualTo(1L);
    }

    @Test
    void delThroughValkeyIsSeenByTheCache() {
        a.rows("deleted", "CREATE (:A) RETURN 1");
        assertThat(count(a, "deleted")).isEqualTo(1);
        a.valkey().del("deleted");
        assertThat(a.error("GRAPH.RO_QUERY", "deleted", "MATCH (n) RETURN n")).contains("empty key");
        assertThat(count(a, "deleted")).isZero();
    }

    @Test
    void deleteAndRecreateAtTheSameVersionIsDetectedByUid() {
        a.stats("recreated", "CREATE (:Old)");
        assertThat(count(a, "recreated")).isEqualTo(1);
        a.valkey().del("recreated");
        b.stats("recreated", "CREATE (:New), (:New)"); // same number of writes: same @ver as before
        assertThat(a.rows("recreated", "MATCH (n) RETURN labels(n)[0], count(n)")).containsExactly(List.of("New", 2L));
    }

    @Test
    void renameMovesTheGraph() {
        a.stats("before-rename", "CREATE (:R {v: 7})");
        a.valkey().rename("before-rename", "after-rename");
        assertThat(a.rows("after-rename", "MATCH (n:R) RETURN n.v")).containsExactly(List.of(7L));
        assertThat(a.error("GRAPH.RO_QUERY", "before-rename", "RETURN 1")).contains("empty key");
    }

    @Test
    void expireRemovesTheGraph() throws InterruptedException {
        a.stats("expiring", "CREATE ()");
        a.valkey().pexpire("expiring", 50);
        Thread.sleep(150);
        assertThat(a.error("GRAPH.RO_QUERY", "expiring", "RETURN 1")).contains("empty key");
    }

    @Test
    void multiExecOnGraphKeysIsAtomic() {
        a.stats("tx1", "CREATE (:T {v: 1})");
        RedisCommands<String, String> v = a.valkey();
        v.multi();
        v.rename("tx1", "tx2");
        v.expire("tx2", 1000);
        assertThat(v.exec().wasDiscarded()).isFalse();
        assertThat(a.rows("tx2", "MATCH (t:T) RETURN t.v")).containsExactly(List.of(1L));
        assertThat(v.ttl("tx2")).isPositive();
    }

    @Test
    void twoSidecarsSeeTheSameGraph() {
        a.stats("shared", "CREATE (:P {name: 'x'})");
        assertThat(b.rows("shared", "MATCH (p:P) RETURN p.name")).containsExactly(List.of("x"));
        b.stats("shared", "MATCH (p:P) SET p.name = 'y'");
        assertThat(a.rows("shared", "MATCH (p:P) RETURN p.name")).containsExactly(List.of("y"));
    }

    @Test
    void concurrentWritersOnTwoSidecarsNeverLoseUpdates() throws Exception {
        a.stats("counter", "CREATE (:C {n: 0})");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            GraphHarness h = t % 2 == 0 ? a : b;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < 20; i++) {
                    assertThat(h.stats("counter", "MATCH (c:C) SET c.n = c.n + 1")).containsExactly("Properties set: 1");
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(a.rows("counter", "MATCH (c:C) RETURN c.n")).containsExactly(List.of(120L));
        assertThat(b.rows("counter", "MATCH (c:C) RETURN c.n")).containsExactly(List.of(120L));
    }

    @Test
    void aFailingWriteLeavesNoTrace() {
        a.stats("failing", "CREATE (:F {v: 0})");
        assertThat(a.error("GRAPH.QUERY", "failing", "UNWIND [1, 2, 0] AS x CREATE (:F {v: 10 / x})"))
                .contains("Division by zero");
        assertThat(a.rows("failing", "MATCH (f:F) RETURN count(f)")).containsExactly(List.of(1L));
        assertThat(b.rows("failing", "MATCH (f:F) RETURN count(f)")).containsExactly(List.of(1L));
        assertThat(a.valkey().hlen("failing")).isEqualTo(4L); // @graph, @ver, @meta, one node
    }

    @Test
    void readersNeverSeeHalfAWrite() throws Exception {
        a.stats("atomic", "CREATE (:Seed)");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?> writer = pool.submit(() -> {
                for (int i = 0; i < 20; i++) {
                    a.stats("atomic", "UNWIND range(1, 25) AS i CREATE (:A)-[:R]->(:B)");
                }
            });
            List<Future<?>> readers = new ArrayList<>();
            for (GraphHarness h : List.of(a, b)) {
                readers.add(pool.submit(() -> {
                    while (!writer.isDone()) {
                        List<Object> row = h.rows("atomic", "MATCH (x:A) WITH count(x) AS na "
                                + "OPTIONAL MATCH ()-[r:R]->(y:B) RETURN na, count(r), count(y)").get(0);
                        assertThat(row.get(0)).isEqualTo(row.get(1)).isEqualTo(row.get(2));
                        assertThat((Long) row.get(0) % 25).isZero();
                    }
                }));
            }
            writer.get(60, TimeUnit.SECONDS);
            for (Future<?> r : readers) {
                r.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(b.rows("atomic", "MATCH (x:A) RETURN count(x)")).containsExactly(List.of(500L));
    }

    @Test
    void everyValueTypeSurvivesAReloadFromValkey() {
        a.stats("types", "CREATE (:V {s: 'héllo \"q\"', i: -42, big: 9007199254740993, d: -0.125, t: true, "
                + "f: false, l: [1, 'two', 3.5, false]})-[:E {w: 1}]->(:W)");
        GraphHarness fresh = a.secondSidecar();
        try {
            assertThat(fresh.rows("types", "MATCH (v:V)-[e:E]->(w:W) RETURN v.s, v.i, v.big, v.d, v.t, v.f, v.l, e.w, "
                    + "labels(w)"))
                    .containsExactly(List.of("héllo \"q\"", -42L, 9007199254740993L, "-0.125", "true", "false",
                            "[1, two, 3.500000, false]", 1L, "[W]"));
        } finally {
            fresh.close();
        }
    }

    @Test
    void indexesAndSchemaIdsArePersisted() {
        a.stats("persisted-index", "CREATE INDEX ON :I(k)");
        a.stats("persisted-index", "UNWIND range(1, 20) AS x CREATE (:I {k: x})");
        GraphHarness fresh = a.secondSidecar();
        try {
            assertThat(fresh.rows("persisted-index", "CALL db.indexes() YIELD label RETURN label"))
                    .containsExactly(List.of("I"));
            assertThat(String.join("\n", GraphHarnessPlans.explain(fresh, "persisted-index",
                    "MATCH (n:I {k: 3}) RETURN n"))).contains("Node By Index Scan | (n:I)");
            assertThat(fresh.rows("persisted-index", "MATCH (n:I {k: 3}) RETURN n.k")).containsExactly(List.of(3L));
        } finally {
            fresh.close();
        }
    }

    @Test
    void cacheBudgetEvictsLeastRecentlyUsedGraphs() {
        a.stats("budget-a", "UNWIND range(1, 5) AS i CREATE (:A {i: i})");
        a.stats("budget-b", "UNWIND range(1, 5) AS i CREATE (:B {i: i})");
        GraphHarness small = a.secondSidecar(6);
        try {
            assertThat(count(small, "budget-a")).isEqualTo(5);
            assertThat(small.service.cachedEntities()).isEqualTo(5);
            assertThat(count(small, "budget-b")).isEqualTo(5); // 10 > 6: budget-a is dropped
            assertThat(small.service.evictions.get()).isEqualTo(1);
            assertThat(small.service.cachedEntities()).isEqualTo(5);
            assertThat(count(small, "budget-a")).isEqualTo(5); // reloaded from Valkey
            assertThat(small.service.reloads.get()).isEqualTo(3);
        } finally {
            small.close();
        }
    }

    @Test
    void graphListNamesOnlyGraphs() {
        a.stats("listed", "CREATE ()");
        a.valkey().hset("not-a-graph", "x", "y");
        @SuppressWarnings("unchecked")
        List<Object> names = (List<Object>) GraphHarness.plain(a.call("GRAPH.LIST"));
        assertThat(names).contains("listed").doesNotContain("not-a-graph");
    }

    @Test
    void databasesAreSeparate() {
        a.callAs("default", 1, "GRAPH.QUERY", "perdb", "CREATE (:InOne)");
        assertThat(GraphHarness.plain(a.callAs("default", 0, "GRAPH.RO_QUERY", "perdb", "RETURN 1")).toString())
                .contains("empty key");
        assertThat(GraphHarness.plain(a.callAs("default", 1, "GRAPH.RO_QUERY", "perdb", "MATCH (n:InOne) RETURN count(n)"))
                .toString()).contains("[[1]]");
    }

    @Test
    void aclOfTheClientUserIsEnforced() {
        a.valkey().aclSetuser("alice", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("pw")
                .keyPattern("mine*").allCommands());
        a.stats("secret", "CREATE (:S)");
        assertThat(GraphHarness.plain(a.callAs("alice", 0, "GRAPH.QUERY", "secret", "MATCH (n) RETURN n")).toString())
                .startsWith("ERROR: NOPERM");
        assertThat(GraphHarness.plain(a.callAs("alice", 0, "GRAPH.QUERY", "mine1", "CREATE (:M) RETURN 1")).toString())
                .doesNotContain("ERROR");
    }
}
