package io.valkeysidecar.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SmokeTest {

    static GraphHarness h;

    @BeforeAll
    static void start() {
        h = new GraphHarness();
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void createAndMatch() {
        assertThat(h.stats("g", "CREATE (:Person {name:'a', age:3})-[:KNOWS {since: 2}]->(:Person {name:'b'})"))
                .containsExactly("Labels added: 1", "Nodes created: 2", "Properties set: 4", "Relationships created: 1");
        assertThat(h.rows("g", "MATCH (a:Person)-[r:KNOWS]->(b) RETURN a.name, r.since, b.name"))
                .containsExactly(List.of("a", 2L, "b"));
        System.out.println(h.query("g", "MATCH (a:Person)-[r:KNOWS]->(b) RETURN a, r, b"));
    }
}
