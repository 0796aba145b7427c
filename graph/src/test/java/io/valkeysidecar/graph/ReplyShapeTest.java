package io.valkeysidecar.graph;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.resp.ReplyEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replies encoded to RESP bytes and compared with the shapes RedisGraph 2.x documents (docs/result_structure and
 * the client specification): top-level arity, header, cells, node/edge/path encodings, statistics order.
 */
class ReplyShapeTest {

    static GraphHarness h;
    private static final Pattern TIME = Pattern.compile(
            "\\$\\d+\r\nQuery internal execution time: (\\d+\\.\\d{6}) milliseconds\r\n");

    @BeforeAll
    static void start() {
        h = new GraphHarness();
        h.call("GRAPH.QUERY", "shape", "CREATE (:Person {name:'a', age:3})-[:KNOWS {since:2}]->(:Person {name:'b'})");
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static String resp(Reply r, int protocol) {
        ByteBuf buf = Unpooled.buffer();
        try {
            ReplyEncoder.encode(r, protocol, buf);
            return buf.toString(StandardCharsets.UTF_8);
        } finally {
            buf.release();
        }
    }

    /** RESP2 bytes with the execution-time statistic replaced by a fixed marker (after checking its format). */
    static String respNoTime(Reply r) {
        return respNoTime(r, 2);
    }

    static String respNoTime(Reply r, int protocol) {
        String s = resp(r, protocol);
        Matcher m = TIME.matcher(s);
        assertThat(m.find()).as("execution time line in " + s).isTrue();
        return m.replaceAll("\\$TIME\r\n");
    }

    static String arr(String... items) {
        return "*" + items.length + "\r\n" + String.join("", items);
    }

    static String bulk(String s) {
        return "$" + s.getBytes(StandardCharsets.UTF_8).length + "\r\n" + s + "\r\n";
    }

    static String num(long n) {
        return ":" + n + "\r\n";
    }

    static final String NIL = "$-1\r\n";

    static String stats(String... lines) {
        String[] all = new String[lines.length + 2];
        for (int i = 0; i < lines.length; i++) {
            all[i] = bulk(lines[i]);
        }
        all[lines.length] = bulk("Cached execution: 0");
        all[lines.length + 1] = "$TIME\r\n";
        return arr(all);
    }

    @Test
    void verboseNodesAndEdges() {
        Reply r = h.call("GRAPH.QUERY", "shape", "MATCH (a)-[r:KNOWS]->(b) RETURN a, r, b, a.name, a.age, b.age");
        String nodeA = arr(arr(bulk("id"), num(0)), arr(bulk("labels"), arr(bulk("Person"))),
                arr(bulk("properties"), arr(arr(bulk("name"), bulk("a")), arr(bulk("age"), num(3)))));
        String edge = arr(arr(bulk("id"), num(0)), arr(bulk("type"), bulk("KNOWS")), arr(bulk("src_node"), num(0)),
                arr(bulk("dest_node"), num(1)), arr(bulk("properties"), arr(arr(bulk("since"), num(2)))));
        String nodeB = arr(arr(bulk("id"), num(1)), arr(bulk("labels"), arr(bulk("Person"))),
                arr(bulk("properties"), arr(arr(bulk("name"), bulk("b")))));
        assertThat(respNoTime(r)).isEqualTo(arr(
                arr(bulk("a"), bulk("r"), bulk("b"), bulk("a.name"), bulk("a.age"), bulk("b.age")),
                arr(arr(nodeA, edge, nodeB, bulk("a"), num(3), NIL)),
                stats()));
    }

    @Test
    void compactNodesAndEdgesUseDenseIds() {
        Reply r = h.call("GRAPH.QUERY", "shape", "MATCH (a)-[r:KNOWS]->(b) RETURN a, r, b.name", "--compact");
        // property keys in creation order: name=0, age=1, since=2; label Person=0; type KNOWS=0
        String nodeA = arr(num(8), arr(num(0), arr(num(0)),
                arr(arr(num(0), num(2), bulk("a")), arr(num(1), num(3), num(3)))));
        String edge = arr(num(7), arr(num(0), num(0), num(0), num(1), arr(arr(num(2), num(3), num(2)))));
        assertThat(respNoTime(r)).isEqualTo(arr(
                arr(arr(num(1), bulk("a")), arr(num(1), bulk("r")), arr(num(1), bulk("b.name"))),
                arr(arr(nodeA, edge, arr(num(2), bulk("b")))),
                stats()));
    }

    @Test
    void compactScalarTypeCodes() {
        Reply r = h.call("GRAPH.RO_QUERY", "shape",
                "RETURN null, 's', 1, true, 1.5, [1, 'x'], {k: 2}", "--COMPACT");
        String cells = arr(arr(num(1), NIL), arr(num(2), bulk("s")), arr(num(3), num(1)), arr(num(4), bulk("true")),
                arr(num(5), bulk("1.5")), arr(num(6), arr(arr(num(3), num(1)), arr(num(2), bulk("x")))),
                arr(num(10), arr(bulk("k"), arr(num(3), num(2)))));
        assertThat(respNoTime(r)).isEqualTo(arr(arr(arr(num(1), bulk("null")), arr(num(1), bulk("'s'")),
                arr(num(1), bulk("1")), arr(num(1), bulk("true")), arr(num(1), bulk("1.5")),
                arr(num(1), bulk("[1, 'x']")), arr(num(1), bulk("{k: 2}"))), arr(cells), stats()));
    }

    @Test
    void compactPath() {
        Reply r = h.call("GRAPH.QUERY", "shape", "MATCH p = (:Person {name:'a'})-[:KNOWS]->() RETURN p", "--compact");
        String nodeA = arr(num(8), arr(num(0), arr(num(0)),
                arr(arr(num(0), num(2), bulk("a")), arr(num(1), num(3), num(3)))));
        String nodeB = arr(num(8), arr(num(1), arr(num(0)), arr(arr(num(0), num(2), bulk("b")))));
        String edge = arr(num(7), arr(num(0), num(0), num(0), num(1), arr(arr(num(2), num(3), num(2)))));
        String path = arr(num(9), arr(arr(num(6), arr(nodeA, nodeB)), arr(num(6), arr(edge))));
        assertThat(respNoTime(r)).isEqualTo(arr(arr(arr(num(1), bulk("p"))), arr(arr(path)), stats()));
    }

    @Test
    void verboseDoublesBooleansAndLists() {
        Reply r = h.call("GRAPH.QUERY", "shape", "RETURN 0.1 + 0.2, 1e20, 1.0, false, [1, 2.5, 'x']");
        assertThat(respNoTime(r)).isEqualTo(arr(
                arr(bulk("0.1 + 0.2"), bulk("1e20"), bulk("1.0"), bulk("false"), bulk("[1, 2.5, 'x']")),
                arr(arr(bulk("0.3"), bulk("1e+20"), bulk("1"), bulk("false"), bulk("[1, 2.500000, x]"))),
                stats()));
    }

    @Test
    void writeWithoutReturnIsStatsOnlyInRedisGraphOrder() {
        Reply r = h.call("GRAPH.QUERY", "shape2",
                "CREATE (a:X {p: 1})-[:R]->(b:Y) WITH a, b MATCH (a) SET a.q = 2 REMOVE a.p");
        assertThat(respNoTime(r)).isEqualTo(arr(stats("Labels added: 2", "Nodes created: 2", "Properties set: 2",
                "Properties removed: 1", "Relationships created: 1")));
        Reply del = h.call("GRAPH.QUERY", "shape2", "MATCH (n) DETACH DELETE n");
        assertThat(respNoTime(del)).isEqualTo(arr(stats("Nodes deleted: 2", "Relationships deleted: 1")));
    }

    @Test
    void emptyResultKeepsThreeParts() {
        Reply r = h.call("GRAPH.QUERY", "shape", "MATCH (n:Nobody) RETURN n");
        assertThat(respNoTime(r)).isEqualTo(arr(arr(bulk("n")), arr(), stats()));
    }

    @Test
    void cachedExecutionFlagFlipsOnRepeat() {
        String q = "MATCH (n:Person) RETURN count(n) AS c";
        h.call("GRAPH.QUERY", "shape", q);
        assertThat(resp(h.call("GRAPH.QUERY", "shape", q), 2)).contains(bulk("Cached execution: 1"));
    }

    @Test
    void deleteReplyAndEmptyKeyErrors() {
        h.call("GRAPH.QUERY", "shape3", "CREATE ()");
        String del = resp(h.call("GRAPH.DELETE", "shape3"), 2);
        assertThat(del).matches("\\$\\d+\r\nGraph removed, internal execution time: \\d+\\.\\d{6} milliseconds\r\n");
        assertThat(resp(h.call("GRAPH.DELETE", "shape3"), 2)).isEqualTo("-ERR Invalid graph operation on empty key\r\n");
        assertThat(resp(h.call("GRAPH.RO_QUERY", "shape3", "RETURN 1"), 2))
                .isEqualTo("-ERR Invalid graph operation on empty key\r\n");
    }

    @Test
    void explainAndProfileAreArraysOfPlanLines() {
        String explain = resp(h.call("GRAPH.EXPLAIN", "shape", "MATCH (a:Person)-[:KNOWS]->(b) RETURN b.name"), 2);
        assertThat(explain).isEqualTo(arr(bulk("Results"), bulk("    Project"),
                bulk("        Conditional Traverse | (a:Person)-[:KNOWS]->(b)"),
                bulk("            Node By Label Scan | (a:Person)")));
        String profile = resp(h.call("GRAPH.PROFILE", "shape", "MATCH (a:Person)-[:KNOWS]->(b) RETURN b.name"), 2);
        assertThat(profile).contains("Results | Records produced: 1, Execution time: ")
                .contains("    Project | Records produced: 1, Execution time: ");
    }

    @Test
    void resp3ClientsGetTheSameShape() {
        Reply r = h.call("GRAPH.QUERY", "shape", "MATCH (n:Person {name:'b'}) RETURN n.name, n.missing");
        assertThat(respNoTime(r, 3)).isEqualTo(arr(arr(bulk("n.name"), bulk("n.missing")),
                arr(arr(bulk("b"), "_\r\n")), stats()));
    }
}
