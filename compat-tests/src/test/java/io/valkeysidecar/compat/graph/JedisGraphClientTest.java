package io.valkeysidecar.compat.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.valkeysidecar.compat.SidecarFixture;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.graph.Record;
import redis.clients.jedis.graph.ResultSet;
import redis.clients.jedis.graph.entities.Edge;
import redis.clients.jedis.graph.entities.Node;
import redis.clients.jedis.graph.entities.Path;

/**
 * Jedis 5's RedisGraph client (compact replies, id caches refreshed with db.labels()/relationshipTypes()/
 * propertyKeys(), parameters as a CYPHER prefix) against the sidecar: a small application flow end to end.
 */
class JedisGraphClientTest {

    static SidecarFixture fixture;
    static JedisPooled jedis;

    @BeforeAll
    static void start() {
        fixture = SidecarFixture.start();
        jedis = new JedisPooled(fixture.host(), fixture.sidecarPort());
    }

    @AfterAll
    static void stop() {
        jedis.close();
        fixture.close();
    }

    @Test
    void createMatchUpdateDelete() {
        ResultSet created = jedis.graphQuery("social",
                "CREATE (:Person {name: 'roi', age: 32})-[:knows {since: 2010}]->(:Person {name: 'amit', age: 30})");
        assertThat(created.getStatistics().nodesCreated()).isEqualTo(2);
        assertThat(created.getStatistics().relationshipsCreated()).isEqualTo(1);
        assertThat(created.getStatistics().propertiesSet()).isEqualTo(5);
        assertThat(created.getStatistics().labelsAdded()).isEqualTo(1);
        assertThat(created.size()).isZero();

        ResultSet rs = jedis.graphQuery("social", "MATCH (a:Person)-[r:knows]->(b:Person) RETURN a, r, b, a.age");
        assertThat(rs.getHeader().getSchemaNames()).containsExactly("a", "r", "b", "a.age");
        assertThat(rs.size()).isEqualTo(1);
        Record rec = rs.iterator().next();
        Node a = rec.getValue("a");
        Edge r = rec.getValue("r");
        Node b = rec.getValue("b");
        assertThat(a.getLabel(0)).isEqualTo("Person");
        assertThat(a.getProperty("name").getValue()).isEqualTo("roi");
        assertThat(a.getProperty("age").getValue()).isEqualTo(32L);
        assertThat(r.getRelationshipType()).isEqualTo("knows");
        assertThat(r.getProperty("since").getValue()).isEqualTo(2010L);
        assertThat(r.getSource()).isEqualTo(a.getId());
        assertThat(r.getDestination()).isEqualTo(b.getId());
        assertThat((Long) rec.getValue("a.age")).isEqualTo(32L);

        ResultSet updated = jedis.graphQuery("social", "MATCH (p:Person {name: $name}) SET p.age = $age",
                Map.of("name", "amit", "age", 31));
        assertThat(updated.getStatistics().propertiesSet()).isEqualTo(1);
        ResultSet read = jedis.graphReadonlyQuery("social", "MATCH (p:Person) WHERE p.name = $name RETURN p.age",
                Map.of("name", "amit"));
        assertThat((Long) read.iterator().next().getValue(0)).isEqualTo(31L);

        ResultSet deleted = jedis.graphQuery("social", "MATCH (p:Person {name: 'roi'}) DETACH DELETE p");
        assertThat(deleted.getStatistics().nodesDeleted()).isEqualTo(1);
        assertThat(deleted.getStatistics().relationshipsDeleted()).isEqualTo(1);
        assertThat(jedis.graphList()).contains("social");
        assertThat(jedis.graphDelete("social")).startsWith("Graph removed, internal execution time: ");
        assertThat(jedis.graphList()).doesNotContain("social");
    }

    @Test
    void parametersOfEveryKindRoundTrip() {
        Map<String, Object> params = new java.util.HashMap<>();
        params.put("s", "quote \" and \\ backslash");
        params.put("i", 7);
        params.put("d", 1.0E-5);
        params.put("b", true);
        params.put("l", List.of(1, "two"));
        params.put("n", null);
        ResultSet rs = jedis.graphQuery("params", "RETURN $s, $i, $d, $b, $l, $n", params);
        Record rec = rs.iterator().next();
        assertThat((String) rec.getValue(0)).isEqualTo("quote \" and \\ backslash");
        assertThat((Long) rec.getValue(1)).isEqualTo(7L);
        assertThat((Double) rec.getValue(2)).isEqualTo(1.0E-5);
        assertThat((Boolean) rec.getValue(3)).isTrue();
        assertThat(rec.<List<Object>>getValue(4)).containsExactly(1L, "two");
        assertThat((Object) rec.getValue(5)).isNull();
    }

    @Test
    void compactIdsOfNewSchemaEntriesAreResolved() {
        jedis.graphQuery("schema", "CREATE (:A {x: 1})");
        assertThat(((Node) jedis.graphQuery("schema", "MATCH (n:A) RETURN n").iterator().next().getValue(0))
                .getLabel(0)).isEqualTo("A");
        // labels, types and keys created after the client cached the first ones must be looked up by id
        jedis.graphQuery("schema", "CREATE (:B {y: 2})-[:T {z: 3}]->(:C {x: 4})");
        ResultSet rs = jedis.graphQuery("schema", "MATCH p = (b:B)-[t:T]->(c:C) RETURN b, t, c, p");
        Record rec = rs.iterator().next();
        Node b = rec.getValue("b");
        Edge t = rec.getValue("t");
        Node c = rec.getValue("c");
        Path p = rec.getValue("p");
        assertThat(b.getLabel(0)).isEqualTo("B");
        assertThat(b.getProperty("y").getValue()).isEqualTo(2L);
        assertThat(t.getRelationshipType()).isEqualTo("T");
        assertThat(t.getProperty("z").getValue()).isEqualTo(3L);
        assertThat(c.getLabel(0)).isEqualTo("C");
        assertThat(c.getProperty("x").getValue()).isEqualTo(4L);
        assertThat(p.length()).isEqualTo(1);
        assertThat(p.firstNode()).isEqualTo(b);
        assertThat(p.lastNode()).isEqualTo(c);
    }

    @Test
    void aggregatesOrderingAndEmptyResults() {
        jedis.graphQuery("agg", "UNWIND range(1, 10) AS i CREATE (:N {v: i, even: i % 2 = 0})");
        ResultSet rs = jedis.graphQuery("agg", "MATCH (n:N) RETURN n.even AS e, count(n) AS c, sum(n.v) AS s "
                + "ORDER BY e");
        List<String> rows = new ArrayList<>();
        for (Iterator<Record> it = rs.iterator(); it.hasNext(); ) {
            Record r = it.next();
            rows.add(r.getValue(0) + ":" + r.getValue(1) + ":" + r.getValue(2));
        }
        assertThat(rows).containsExactly("false:5:25", "true:5:30");
        assertThat(jedis.graphQuery("agg", "MATCH (n:Missing) RETURN n").size()).isZero();
    }

    @Test
    void errorsArriveAsJedisDataExceptions() {
        assertThatThrownBy(() -> jedis.graphQuery("errors", "MATCH (n RETURN n"))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("column: 10");
        assertThatThrownBy(() -> jedis.graphReadonlyQuery("errors", "CREATE ()"))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("read-only");
        jedis.set("plain-string", "x");
        assertThatThrownBy(() -> jedis.graphQuery("plain-string", "RETURN 1"))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("WRONGTYPE");
    }

    @Test
    void explainProfileSlowlogAndConfig() {
        jedis.graphQuery("ops", "CREATE (:X)-[:R]->(:Y)");
        assertThat(jedis.graphExplain("ops", "MATCH (x:X)-[:R]->(y) RETURN y")).first().isEqualTo("Results");
        assertThat(jedis.graphProfile("ops", "MATCH (x:X)-[:R]->(y) RETURN y").get(0))
                .startsWith("Results | Records produced: 1");
        assertThat(jedis.graphSlowlog("ops")).isNotEmpty();
        assertThat(jedis.graphConfigGet("TIMEOUT")).containsEntry("TIMEOUT", 0L);
        assertThat(jedis.graphConfigSet("TIMEOUT", 0)).isEqualTo("OK");
    }
}
