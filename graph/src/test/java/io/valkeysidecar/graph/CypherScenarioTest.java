package io.valkeysidecar.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Scenarios in the openCypher TCK style: given a graph (setup queries), when a query runs, then exactly these rows
 * (in order when the query orders them, as a multiset otherwise) and these side effects; or this error.
 */
class CypherScenarioTest {

    static GraphHarness h;
    static final AtomicInteger GRAPHS = new AtomicInteger();

    @BeforeAll
    static void start() {
        h = new GraphHarness();
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static final String SOCIAL = "CREATE (a:Person {name:'Alice', age:34}), (b:Person {name:'Bob', age:25}), "
            + "(c:Person {name:'Carol', age:41}), (d:Person:Admin {name:'Dave'}), (x:City {name:'Paris'}), "
            + "(a)-[:KNOWS {since:2010}]->(b), (b)-[:KNOWS {since:2015}]->(c), (a)-[:KNOWS {since:2020}]->(c), "
            + "(c)-[:KNOWS]->(d), (a)-[:LIVES_IN]->(x), (b)-[:LIVES_IN]->(x)";

    static final String CHAIN = "CREATE (n1:N {v:1})-[:NEXT]->(n2:N {v:2})-[:NEXT]->(n3:N {v:3})-[:NEXT]->"
            + "(n4:N {v:4})-[:NEXT]->(n5:N {v:5}), (n1)-[:SKIP]->(n3)";

    /** One scenario; {@code ordered} rows must match in order. */
    record Scenario(String name, List<String> given, String when, List<List<Object>> rows, boolean ordered,
                    List<String> effects, String error) {
    }

    static final class Builder {
        private final String name;
        private final List<String> given = new ArrayList<>();
        private String when;
        private List<List<Object>> rows;
        private boolean ordered;
        private List<String> effects = List.of();
        private String error;

        Builder(String name) {
            this.name = name;
        }

        Builder given(String... queries) {
            given.addAll(Arrays.asList(queries));
            return this;
        }

        Builder when(String q) {
            when = q;
            return this;
        }

        Builder rows(List<?>... r) {
            rows = new ArrayList<>();
            for (List<?> row : r) {
                rows.add(new ArrayList<>(row));
            }
            return this;
        }

        Builder inOrder(List<?>... r) {
            ordered = true;
            return rows(r);
        }

        Builder noRows() {
            rows = new ArrayList<>();
            return this;
        }

        Builder effects(String... e) {
            effects = List.of(e);
            return this;
        }

        Builder error(String fragment) {
            error = fragment;
            return this;
        }

        Scenario build() {
            return new Scenario(name, given, when, rows, ordered, effects, error);
        }
    }

    static Builder scenario(String name) {
        return new Builder(name);
    }

    static List<Object> row(Object... cells) {
        List<Object> out = new ArrayList<>();
        for (Object c : cells) {
            out.add(c instanceof Integer i ? (Object) i.longValue() : c);
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> scenarios() {
        return all().stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> run(s)));
    }

    @SuppressWarnings("unchecked")
    static void run(Scenario s) {
        String graph = "tck" + GRAPHS.incrementAndGet();
        for (String g : s.given()) {
            Object r = h.query(graph, g);
            assertThat(String.valueOf(r)).as("setup: " + g).doesNotStartWith("ERROR");
        }
        if (s.error() != null) {
            assertThat(h.error("GRAPH.QUERY", graph, s.when())).contains(s.error());
            return;
        }
        Object reply = h.query(graph, s.when());
        assertThat(String.valueOf(reply)).as(s.when()).doesNotStartWith("ERROR");
        List<Object> top = (List<Object>) reply;
        if (s.rows() != null) {
            assertThat(top).as("result set expected").hasSize(3);
            List<List<Object>> actual = (List<List<Object>>) top.get(1);
            if (s.ordered()) {
                assertThat(actual).as(s.when()).containsExactlyElementsOf(s.rows());
            } else {
                assertThat(actual).as(s.when()).containsExactlyInAnyOrderElementsOf(s.rows());
            }
        }
        List<String> stats = new ArrayList<>();
        for (Object o : (List<Object>) top.get(top.size() - 1)) {
            String line = (String) o;
            if (!line.startsWith("Cached execution") && !line.startsWith("Query internal execution time")) {
                stats.add(line);
            }
        }
        assertThat(stats).as("side effects of " + s.when()).containsExactlyElementsOf(s.effects());
    }

    static List<Scenario> all() {
        List<Scenario> l = new ArrayList<>();
        // ---------------------------------------------------------------- MATCH
        l.add(scenario("match all nodes by label").given(SOCIAL).when("MATCH (p:Person) RETURN p.name")
                .rows(row("Alice"), row("Bob"), row("Carol"), row("Dave")).build());
        l.add(scenario("match with inline properties").given(SOCIAL)
                .when("MATCH (p:Person {name:'Bob'}) RETURN p.age").rows(row(25)).build());
        l.add(scenario("match with two labels").given(SOCIAL).when("MATCH (p:Person:Admin) RETURN p.name")
                .rows(row("Dave")).build());
        l.add(scenario("match unknown label gives no rows").given(SOCIAL).when("MATCH (p:Nope) RETURN p").noRows()
                .build());
        l.add(scenario("match directed edge").given(SOCIAL)
                .when("MATCH (a:Person)-[r:KNOWS]->(b:Person) WHERE r.since >= 2015 RETURN a.name, b.name, r.since")
                .rows(row("Bob", "Carol", 2015), row("Alice", "Carol", 2020)).build());
        l.add(scenario("match incoming edge").given(SOCIAL)
                .when("MATCH (c:Person {name:'Carol'})<-[:KNOWS]-(a) RETURN a.name")
                .rows(row("Bob"), row("Alice")).build());
        l.add(scenario("match undirected edge").given(SOCIAL)
                .when("MATCH (c:Person {name:'Carol'})-[:KNOWS]-(a) RETURN a.name")
                .rows(row("Bob"), row("Alice"), row("Dave")).build());
        l.add(scenario("multi-hop fixed pattern").given(SOCIAL)
                .when("MATCH (a {name:'Alice'})-[:KNOWS]->(b)-[:KNOWS]->(c) RETURN b.name, c.name")
                .rows(row("Bob", "Carol"), row("Carol", "Dave")).build());
        l.add(scenario("comma patterns share variables").given(SOCIAL)
                .when("MATCH (a:Person)-[:LIVES_IN]->(c:City), (b:Person)-[:LIVES_IN]->(c) WHERE a.name < b.name "
                        + "RETURN a.name, b.name, c.name")
                .rows(row("Alice", "Bob", "Paris")).build());
        l.add(scenario("relationship type alternatives").given(SOCIAL)
                .when("MATCH (a {name:'Bob'})-[r:KNOWS|LIVES_IN]->(x) RETURN type(r), x.name")
                .rows(row("KNOWS", "Carol"), row("LIVES_IN", "Paris")).build());
        l.add(scenario("relationship uniqueness within a pattern").given("CREATE (a:A)-[:R]->(b:B)")
                .when("MATCH (x)-[r1]-(y)-[r2]-(z) RETURN count(*)").rows(row(0)).build());
        l.add(scenario("cartesian product").given("CREATE (:A {v:1}), (:A {v:2}), (:B {v:3})")
                .when("MATCH (a:A), (b:B) RETURN a.v, b.v").rows(row(1, 3), row(2, 3)).build());
        l.add(scenario("id() lookup").given("CREATE (:A {v:1}), (:A {v:2})")
                .when("MATCH (n) WHERE id(n) = 1 RETURN n.v").rows(row(2)).build());
        l.add(scenario("self loop matched once undirected").given("CREATE (a:A)-[:R]->(a)")
                .when("MATCH (a)-[r:R]-(b) RETURN count(r)").rows(row(1)).build());
        // ---------------------------------------------------------------- WHERE
        l.add(scenario("where boolean logic").given(SOCIAL)
                .when("MATCH (p:Person) WHERE (p.age > 30 AND NOT p.name = 'Carol') OR p.name = 'Dave' RETURN p.name")
                .rows(row("Alice"), row("Dave")).build());
        l.add(scenario("where xor").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.age > 30 XOR p.name STARTS WITH 'C' RETURN p.name")
                .rows(row("Alice")).build());
        l.add(scenario("where is null / is not null").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.age IS NULL RETURN p.name").rows(row("Dave")).build());
        l.add(scenario("where is not null").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.age IS NOT NULL RETURN count(p)").rows(row(3)).build());
        l.add(scenario("where in list").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.name IN ['Bob', 'Dave', 'Zed'] RETURN p.name")
                .rows(row("Bob"), row("Dave")).build());
        l.add(scenario("string predicates").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.name STARTS WITH 'A' OR p.name ENDS WITH 'ol' "
                        + "OR p.name CONTAINS 'av' RETURN p.name")
                .rows(row("Alice"), row("Carol"), row("Dave")).build());
        l.add(scenario("comparison with null is not true").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.age < 100 RETURN count(p)").rows(row(3)).build());
        l.add(scenario("label predicate in where").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p:Admin RETURN p.name").rows(row("Dave")).build());
        l.add(scenario("pattern predicate in where").given(SOCIAL)
                .when("MATCH (p:Person) WHERE (p)-[:LIVES_IN]->(:City) RETURN p.name")
                .rows(row("Alice"), row("Bob")).build());
        l.add(scenario("exists() of a pattern and of a property").given(SOCIAL)
                .when("MATCH (p:Person) WHERE NOT exists((p)-[:LIVES_IN]->()) AND exists(p.age) RETURN p.name")
                .rows(row("Carol")).build());
        l.add(scenario("regular expression").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.name =~ 'B.*' RETURN p.name").rows(row("Bob")).build());
        // ---------------------------------------------------------------- RETURN, ORDER BY, SKIP, LIMIT
        l.add(scenario("aliases and expressions").given(SOCIAL)
                .when("MATCH (p:Person {name:'Alice'}) RETURN p.name AS who, p.age + 1 AS next, p.age * 2.5 AS d")
                .rows(row("Alice", 35, "85")).build());
        l.add(scenario("distinct").given(SOCIAL)
                .when("MATCH (p:Person)-[:LIVES_IN]->(c) RETURN DISTINCT c.name").rows(row("Paris")).build());
        l.add(scenario("order by desc, skip, limit").given(SOCIAL)
                .when("MATCH (p:Person) WHERE p.age IS NOT NULL RETURN p.name ORDER BY p.age DESC SKIP 1 LIMIT 1")
                .inOrder(row("Alice")).build());
        l.add(scenario("order by alias with nulls last").given(SOCIAL)
                .when("MATCH (p:Person) RETURN p.name AS n, p.age AS a ORDER BY a")
                .inOrder(row("Bob", 25), row("Alice", 34), row("Carol", 41), row("Dave", null)).build());
        l.add(scenario("return star").given("CREATE (:A {v:1})-[:R]->(:B {v:2})")
                .when("MATCH (a:A)-[r]->(b) WITH * RETURN a.v, type(r), b.v").rows(row(1, "R", 2)).build());
        l.add(scenario("literal return without match").when("RETURN 1 + 2 AS x, 'a' + 'b' AS s, 7 / 2 AS i, "
                + "7.0 / 2 AS f, 2 ^ 3 AS p, 7 % 3 AS m").rows(row(3, "ab", 3, "3.5", "8", 1)).build());
        l.add(scenario("list and map values").when("RETURN [1, 2, 3][1] AS e, [1,2,3,4][1..3] AS s, "
                + "{a: 1, b: 'x'}.b AS m, size([1,2]) AS n").rows(row(2, "[2, 3]", "x", 2)).build());
        l.add(scenario("map projection").given(SOCIAL)
                .when("MATCH (p:Person {name:'Alice'}) RETURN p {.name, .age, city: 'Paris'} AS m, p {.*}.age AS a")
                .rows(row("{name: Alice, age: 34, city: Paris}", 34)).build());
        l.add(scenario("case expressions").when("UNWIND [1, 2, 3] AS x RETURN CASE x WHEN 1 THEN 'one' "
                + "WHEN 2 THEN 'two' ELSE 'many' END AS a, CASE WHEN x > 1 THEN true ELSE false END AS b")
                .rows(row("one", "false"), row("two", "true"), row("many", "true")).build());
        l.add(scenario("list comprehension").when("RETURN [x IN range(1, 6) WHERE x % 2 = 0 | x * 10] AS l")
                .rows(row("[20, 40, 60]")).build());
        // ---------------------------------------------------------------- aggregation
        l.add(scenario("count, sum, avg, min, max").given(SOCIAL)
                .when("MATCH (p:Person) RETURN count(p), count(p.age), sum(p.age), avg(p.age), min(p.age), "
                        + "max(p.name)").rows(row(4, 3, 100, "33.3333333333333", 25, "Dave")).build());
        l.add(scenario("implicit grouping").given(SOCIAL)
                .when("MATCH (a:Person)-[:KNOWS]->(b) RETURN a.name, count(b) AS n ORDER BY n DESC, a.name")
                .inOrder(row("Alice", 2), row("Bob", 1), row("Carol", 1)).build());
        l.add(scenario("collect and count distinct").given(SOCIAL)
                .when("MATCH (p:Person)-[:LIVES_IN]->(c) RETURN c.name, collect(p.name) AS people, "
                        + "count(DISTINCT c) AS cities").rows(row("Paris", "[Alice, Bob]", 1)).build());
        l.add(scenario("aggregation over no rows").when("MATCH (n:Nothing) RETURN count(n), sum(n.v), collect(n)")
                .rows(row(0, 0, "[]")).build());
        l.add(scenario("count star").given(SOCIAL).when("MATCH (n) RETURN count(*)").rows(row(5)).build());
        // ---------------------------------------------------------------- WITH, UNWIND, OPTIONAL MATCH
        l.add(scenario("with filters aggregates").given(SOCIAL)
                .when("MATCH (a:Person)-[:KNOWS]->(b) WITH a, count(b) AS n WHERE n > 1 RETURN a.name, n")
                .rows(row("Alice", 2)).build());
        l.add(scenario("with order and limit").given(SOCIAL)
                .when("MATCH (p:Person) WITH p ORDER BY p.name DESC LIMIT 2 RETURN p.name")
                .rows(row("Dave"), row("Carol")).build());
        l.add(scenario("unwind list").when("UNWIND [3, 1, 2] AS x RETURN x ORDER BY x")
                .inOrder(row(1), row(2), row(3)).build());
        l.add(scenario("unwind null gives no rows").when("UNWIND null AS x RETURN x").noRows().build());
        l.add(scenario("optional match fills nulls").given(SOCIAL)
                .when("MATCH (p:Person) OPTIONAL MATCH (p)-[:LIVES_IN]->(c) RETURN p.name, c.name")
                .rows(row("Alice", "Paris"), row("Bob", "Paris"), row("Carol", null), row("Dave", null)).build());
        l.add(scenario("union removes duplicates").when("UNWIND [1, 2] AS x RETURN x UNION UNWIND [2, 3] AS x RETURN x")
                .rows(row(1), row(2), row(3)).build());
        l.add(scenario("union all keeps duplicates")
                .when("UNWIND [1, 2] AS x RETURN x UNION ALL UNWIND [2] AS x RETURN x")
                .rows(row(1), row(2), row(2)).build());
        l.add(scenario("match after with keeps bindings").given(SOCIAL)
                .when("MATCH (a:Person {name:'Alice'}) WITH a MATCH (a)-[:KNOWS]->(b) WITH b MATCH (b)-[:LIVES_IN]->(c) "
                        + "RETURN b.name, c.name").rows(row("Bob", "Paris")).build());
        l.add(scenario("skip and limit from parameters").given(SOCIAL)
                .when("CYPHER s=1 l=2 MATCH (p:Person) RETURN p.name ORDER BY p.name SKIP $s LIMIT $l")
                .inOrder(row("Bob"), row("Carol")).build());
        l.add(scenario("order by several keys").when("UNWIND [[1, 'b'], [0, 'z'], [1, 'a']] AS t "
                + "RETURN t[0] AS k, t[1] AS v ORDER BY k DESC, v").inOrder(row(1, "a"), row(1, "b"), row(0, "z"))
                .build());
        l.add(scenario("distinct with order by").when("UNWIND [3, 1, 3, 2, 1] AS x RETURN DISTINCT x ORDER BY x DESC")
                .inOrder(row(3), row(2), row(1)).build());
        l.add(scenario("optional match with where keeps the row").given(SOCIAL)
                .when("MATCH (p:Person {name:'Alice'}) OPTIONAL MATCH (p)-[r:KNOWS]->(f) WHERE f.age > 100 "
                        + "RETURN p.name, f").rows(row("Alice", null)).build());
        l.add(scenario("aggregate of optional nulls").given(SOCIAL)
                .when("MATCH (p:Person) OPTIONAL MATCH (p)-[:LIVES_IN]->(c) RETURN count(c), count(*)")
                .rows(row(2, 4)).build());
        // ---------------------------------------------------------------- functions
        l.add(scenario("entity functions").given("CREATE (:A:B {x:1, y:'s'})-[:T {w:2}]->(:C)")
                .when("MATCH (n:A)-[r]->(m) RETURN labels(n), type(r), keys(n), properties(r).w, id(m)")
                .rows(row("[A, B]", "T", "[x, y]", 2, 1)).build());
        l.add(scenario("string and conversion functions")
                .when("RETURN toUpper('ab'), toLower('CD'), toString(12), toInteger('42'), toInteger(3.9), "
                        + "toFloat('1.5'), trim('  x '), substring('hello', 1, 3), replace('aXbX', 'X', '-'), "
                        + "split('a,b', ','), reverse('abc'), left('hello', 2), right('hello', 2)")
                .rows(row("AB", "cd", "12", 42, 3, "1.5", "x", "ell", "a-b-", "[a, b]", "cba", "he", "lo"))
                .build());
        l.add(scenario("coalesce, size, head, last, tail, range")
                .when("RETURN coalesce(null, 'd'), size('abc'), head([1,2]), last([1,2]), tail([1,2,3]), range(0, 4, 2)")
                .rows(row("d", 3, 1, 2, "[2, 3]", "[0, 2, 4]")).build());
        l.add(scenario("numeric functions").when("RETURN abs(-3), ceil(1.2), floor(1.8), round(2.5), sqrt(16), sign(-2)")
                .rows(row(3, "2", "1", "3", "4", -1)).build());
        // ---------------------------------------------------------------- paths
        l.add(scenario("variable length relationship").given(CHAIN)
                .when("MATCH (a:N {v:1})-[:NEXT*1..3]->(b) RETURN b.v ORDER BY b.v").inOrder(row(2), row(3), row(4))
                .build());
        l.add(scenario("variable length unbounded").given(CHAIN)
                .when("MATCH (a:N {v:1})-[:NEXT*]->(b) RETURN count(b)").rows(row(4)).build());
        l.add(scenario("variable length exact and zero").given(CHAIN)
                .when("MATCH (a:N {v:2})-[:NEXT*0..1]->(b) RETURN b.v ORDER BY b.v").inOrder(row(2), row(3)).build());
        l.add(scenario("variable length any type undirected").given(CHAIN)
                .when("MATCH (a:N {v:3})-[*2]-(b) RETURN b.v ORDER BY b.v").inOrder(row(1), row(2), row(5)).build());
        l.add(scenario("variable length relationship list").given(CHAIN)
                .when("MATCH (a:N {v:1})-[rs:NEXT*2]->(b) RETURN size(rs), b.v").rows(row(2, 3)).build());
        l.add(scenario("named path functions").given(CHAIN)
                .when("MATCH p = (a:N {v:1})-[:NEXT]->(b)-[:NEXT]->(c) RETURN length(p), "
                        + "[n IN nodes(p) | n.v], size(relationships(p))").rows(row(2, "[1, 2, 3]", 2)).build());
        l.add(scenario("named path with reversed anchor").given(CHAIN)
                .when("MATCH p = (a:N)-[:NEXT]->(b:N {v:5}) RETURN [n IN nodes(p) | n.v]").rows(row("[4, 5]")).build());
        l.add(scenario("shortest path").given(CHAIN)
                .when("MATCH (a:N {v:1}), (b:N {v:4}) MATCH p = shortestPath((a)-[*]->(b)) "
                        + "RETURN length(p), [n IN nodes(p) | n.v]").rows(row(2, "[1, 3, 4]")).build());
        l.add(scenario("all shortest paths").given("CREATE (a:S {v:1})-[:R]->(:S {v:2})-[:R]->(d:S {v:4}), "
                        + "(a)-[:R]->(:S {v:3})-[:R]->(d)")
                .when("MATCH (a:S {v:1}), (d:S {v:4}) MATCH p = allShortestPaths((a)-[:R*]->(d)) RETURN count(p)")
                .rows(row(2)).build());
        l.add(scenario("shortest path needs bound nodes").given(CHAIN)
                .when("MATCH p = shortestPath((a)-[*]->(b)) RETURN p").error("requires bound nodes").build());
        // ---------------------------------------------------------------- CREATE
        l.add(scenario("create node with labels and properties")
                .when("CREATE (n:P:Q {a: 1, b: 'x', c: [1, 2], d: null}) RETURN n.a, n.c")
                .rows(row(1, "[1, 2]")).effects("Labels added: 2", "Nodes created: 1", "Properties set: 3").build());
        l.add(scenario("create edge between matched nodes").given("CREATE (:U {id:1}), (:U {id:2})")
                .when("MATCH (a:U {id:1}), (b:U {id:2}) CREATE (a)-[:F {w: 0.5}]->(b)")
                .effects("Properties set: 1", "Relationships created: 1").build());
        l.add(scenario("create from unwind").when("UNWIND range(1, 3) AS i CREATE (:K {i: i})")
                .effects("Labels added: 1", "Nodes created: 3", "Properties set: 3").build());
        l.add(scenario("create does not see its own nodes while matching").given("CREATE (:M), (:M)")
                .when("MATCH (m:M) CREATE (:M)").effects("Nodes created: 2").build());
        l.add(scenario("create undirected edge fails")
                .when("CREATE (a)-[:R]-(b)").error("Only directed relationships").build());
        l.add(scenario("create map property fails")
                .when("CREATE (a {m: {x: 1}})").error("primitive types").build());
        // ---------------------------------------------------------------- MERGE
        l.add(scenario("merge creates once").when("UNWIND [1, 1, 2] AS x MERGE (n:M {v: x}) RETURN n.v")
                .rows(row(1), row(1), row(2)).effects("Labels added: 1", "Nodes created: 2", "Properties set: 2")
                .build());
        l.add(scenario("merge on create / on match").given("CREATE (:M {v: 1})")
                .when("UNWIND [1, 2] AS x MERGE (n:M {v: x}) ON CREATE SET n.created = true "
                        + "ON MATCH SET n.matched = true RETURN n.v, n.created, n.matched")
                .rows(row(1, null, "true"), row(2, "true", null))
                .effects("Nodes created: 1", "Properties set: 3").build());
        l.add(scenario("merge relationship between bound nodes").given("CREATE (:U {id:1}), (:U {id:2})")
                .when("MATCH (a:U {id:1}), (b:U {id:2}) MERGE (a)-[:F]->(b) MERGE (a)-[:F]->(b)")
                .effects("Relationships created: 1").build());
        l.add(scenario("batch ingest idiom").given("CREATE INDEX ON :Item(id)")
                .when("UNWIND [{id: 1, n: 'a'}, {id: 2, n: 'b'}, {id: 1, n: 'c'}] AS r MERGE (i:Item {id: r.id}) "
                        + "SET i.n = r.n")
                .effects("Nodes created: 2", "Properties set: 5").build());
        // ---------------------------------------------------------------- SET / REMOVE
        l.add(scenario("set and remove properties").given("CREATE (:S {a: 1, b: 2})")
                .when("MATCH (s:S) SET s.a = 10, s.c = 'new' REMOVE s.b RETURN s.a, s.b, s.c")
                .rows(row(10, null, "new")).effects("Properties set: 2", "Properties removed: 1").build());
        l.add(scenario("set null removes").given("CREATE (:S {a: 1})")
                .when("MATCH (s:S) SET s.a = null RETURN keys(s)").rows(row("[]"))
                .effects("Properties removed: 1").build());
        l.add(scenario("set map replace and merge").given("CREATE (:S {a: 1, b: 2})")
                .when("MATCH (s:S) SET s += {c: 3} SET s = {a: 9, c: 3} RETURN s.a, s.b, s.c")
                .rows(row(9, null, 3)).effects("Properties set: 3", "Properties removed: 1").build());
        l.add(scenario("set and remove labels").given("CREATE (:S {a: 1})")
                .when("MATCH (s:S) SET s:T:U REMOVE s:S RETURN labels(s)").rows(row("[T, U]"))
                .effects("Labels added: 2", "Labels removed: 1").build());
        l.add(scenario("set edge property").given("CREATE (:A)-[:R {w: 1}]->(:B)")
                .when("MATCH ()-[r:R]->() SET r.w = r.w + 1 RETURN r.w").rows(row(2))
                .effects("Properties set: 1").build());
        l.add(scenario("merge a whole path").when("MERGE (a:P {n: 1})-[:R]->(b:Q {n: 2}) MERGE (a2:P {n: 1}) "
                        + "RETURN id(a) = id(a2)")
                .rows(row("true"))
                .effects("Labels added: 2", "Nodes created: 2", "Properties set: 2", "Relationships created: 1")
                .build());
        // ---------------------------------------------------------------- DELETE
        l.add(scenario("delete relationship").given(SOCIAL)
                .when("MATCH (:Person {name:'Alice'})-[r:KNOWS]->() DELETE r").effects("Relationships deleted: 2")
                .build());
        l.add(scenario("delete connected node fails").given(SOCIAL)
                .when("MATCH (p:Person {name:'Alice'}) DELETE p").error("DETACH DELETE").build());
        l.add(scenario("detach delete").given(SOCIAL)
                .when("MATCH (p:Person {name:'Alice'}) DETACH DELETE p")
                .effects("Nodes deleted: 1", "Relationships deleted: 3").build());
        l.add(scenario("delete then aggregate in the same query").given(SOCIAL)
                .when("MATCH (c:City) DETACH DELETE c RETURN count(*) AS deleted")
                .rows(row(1)).effects("Nodes deleted: 1", "Relationships deleted: 2").build());
        l.add(scenario("deleted nodes are gone").given(SOCIAL, "MATCH (c:City) DETACH DELETE c")
                .when("MATCH (n) RETURN count(n)").rows(row(4)).build());
        // ---------------------------------------------------------------- indexes and procedures
        l.add(scenario("create index").given("CREATE (:L {p: 1})").when("CREATE INDEX ON :L(p)")
                .effects("Indices created: 1").build());
        l.add(scenario("create index new syntax").when("CREATE INDEX FOR (n:L) ON (n.p, n.q)")
                .effects("Indices created: 2").build());
        l.add(scenario("index lookup stays correct after updates")
                .given("CREATE INDEX ON :L(p)", "UNWIND range(1, 50) AS i CREATE (:L {p: i})",
                        "MATCH (n:L {p: 7}) SET n.p = 700")
                .when("MATCH (n:L) WHERE n.p = 700 OR n.p = 7 RETURN n.p").rows(row(700)).build());
        l.add(scenario("drop index").given("CREATE INDEX ON :L(p)").when("DROP INDEX ON :L(p)")
                .effects("Indices deleted: 1").build());
        l.add(scenario("drop missing index fails").when("DROP INDEX ON :L(p)").error("no such index").build());
        l.add(scenario("db.labels in id order").given("CREATE (:Z), (:A), (:M)").when("CALL db.labels()")
                .inOrder(row("Z"), row("A"), row("M")).build());
        l.add(scenario("db.relationshipTypes").given(SOCIAL).when("CALL db.relationshipTypes()")
                .inOrder(row("KNOWS"), row("LIVES_IN")).build());
        l.add(scenario("db.propertyKeys with yield").given(SOCIAL)
                .when("CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey ORDER BY propertyKey")
                .inOrder(row("age"), row("name"), row("since")).build());
        l.add(scenario("db.indexes").given("CREATE INDEX ON :L(p)")
                .when("CALL db.indexes() YIELD label, properties RETURN label, properties")
                .rows(row("L", "[p]")).build());
        // ---------------------------------------------------------------- parameters
        l.add(scenario("parameters in the CYPHER prefix")
                .when("CYPHER a=1 b=\"two\" c=[1, 2.5] d=True e=null RETURN $a, $b, $c, $d, $e")
                .rows(row(1, "two", "[1, 2.500000]", "true", null)).build());
        l.add(scenario("missing parameter").when("RETURN $nope").error("Missing parameters").build());
        // ---------------------------------------------------------------- errors for unsupported features
        l.add(scenario("FOREACH is unsupported").when("FOREACH (x IN [1] | CREATE ())")
                .error("FOREACH clause is not supported").build());
        l.add(scenario("LOAD CSV is unsupported").when("LOAD CSV FROM 'x' AS row RETURN row")
                .error("LOAD clause is not supported").build());
        l.add(scenario("unknown function").when("RETURN frobnicate(1)").error("Unknown function 'frobnicate'").build());
        l.add(scenario("unknown function fails even without rows")
                .when("MATCH (n:Nothing) RETURN frobnicate(n)").error("Unknown function 'frobnicate'").build());
        l.add(scenario("unknown procedure").when("CALL db.nothing()").error("is not registered").build());
        l.add(scenario("query must end in return or update").when("MATCH (n)").error("cannot conclude with MATCH")
                .build());
        l.add(scenario("undefined variable").when("MATCH (n) RETURN m").error("m not defined").build());
        l.add(scenario("syntax error names the position").when("MATCH (n RETURN n")
                .error("Invalid input 'RETURN': expected ')' line: 1, column: 10, offset: 9").build());
        l.add(scenario("division by zero").when("RETURN 1 / 0").error("Division by zero").build());
        return l;
    }
}
