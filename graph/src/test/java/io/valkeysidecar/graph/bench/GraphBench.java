package io.valkeysidecar.graph.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.graph.GraphCommands;
import io.valkeysidecar.graph.GraphConfig;
import io.valkeysidecar.graph.GraphHarness;
import io.valkeysidecar.graph.GraphService;
import io.valkeysidecar.graph.store.GraphStore;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.valkey.ValkeyProcess;
import io.valkeysidecar.testing.TestClient;
import io.valkeysidecar.testing.TestCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * graph500-style benchmark of the GRAPH.* commands: a deterministic Kronecker (R-MAT A=0.57 B=0.19 C=0.19) graph of
 * 2^scale nodes and 16 * 2^scale edges is loaded through GRAPH.QUERY batches, then 1-hop neighbour counts (1 and 32
 * clients), 2-hop distinct counts and indexed point lookups are timed. Two modes: executor level (its own
 * valkey-server, commands handed to the SidecarCommand API as the proxy does) or, given {@code sidecar valkey}
 * addresses, through a running sidecar over TCP with one connection per client. Run by bench/graph-bench.sh.
 */
public final class GraphBench {

    private static final String G = "graph500";

    private GraphBench() {
    }

    /** One benchmark client: sends GRAPH.QUERY (compact) and returns the reply as plain values. */
    interface Client extends AutoCloseable {
        Object query(String cypher) throws Exception;

        @Override
        void close();
    }

    /** Opens a client; in sidecar mode each one is its own TCP connection, like separate application clients. */
    interface Clients {
        Client open();
    }

    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        ClientResources resources = DefaultClientResources.create();
        try {
            if (args.length > 3) {
                RedisURI sidecar = uri(args[2]);
                RedisURI valkey = uri(args[3]);
                RedisClient client = RedisClient.create(resources, sidecar);
                try {
                    System.out.println("== through the sidecar (" + args[2] + " in front of valkey " + args[3] + ")");
                    run(scale, seconds, valkey, resources, () -> remote(client), null);
                } finally {
                    client.shutdown();
                }
            } else {
                executorLevel(scale, seconds, resources);
            }
        } finally {
            resources.shutdown();
        }
    }

    private static RedisURI uri(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return RedisURI.create(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private static void executorLevel(int scale, int seconds, ClientResources resources) throws Exception {
        Path dir = Files.createTempDirectory("graph-bench-");
        ValkeyProcess valkey = ValkeyProcess.start(System.getProperty("valkey.binary", "valkey-server"), dir,
                List.of("--save", "", "--appendonly", "no"), Duration.ofSeconds(20));
        int cores = Runtime.getRuntime().availableProcessors();
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(2, cores));
        RedisURI uri = RedisURI.create(valkey.host(), valkey.port());
        GraphStore store = new GraphStore(uri, resources);
        GraphStore coldStore = new GraphStore(uri, resources);
        try {
            System.out.println("== executor level (the SidecarCommand API the proxy calls, no client socket)");
            SidecarCommand hot = command(store, workers);
            SidecarCommand cold = command(coldStore, workers);
            run(scale, seconds, uri, resources, () -> local(hot), () -> local(cold));
        } finally {
            store.close();
            coldStore.close();
            workers.shutdownNow();
            valkey.close();
        }
    }

    private static SidecarCommand command(GraphStore store, ExecutorService workers) {
        GraphService service = new GraphService(store, workers, new GraphConfig(), Long.MAX_VALUE);
        return GraphCommands.all(service).stream().filter(c -> c.descriptor().name().equals("graph.query"))
                .findFirst().orElseThrow();
    }

    private static final ClientContext CONTEXT = TestClient.defaults();

    private static Client local(SidecarCommand query) {
        return new Client() {
            @Override
            public Object query(String cypher) throws Exception {
                Command cmd = TestCommands.decode("GRAPH.QUERY", G, cypher, "--compact");
                try {
                    Reply r = query.execute(CONTEXT, cmd).toCompletableFuture().get(300, TimeUnit.SECONDS);
                    if (r instanceof Reply.Error e) {
                        throw new IllegalStateException(e.message() + " for " + abbreviate(cypher));
                    }
                    return GraphHarness.plain(r);
                } finally {
                    cmd.release();
                }
            }

            @Override
            public void close() {
            }
        };
    }

    private static final ProtocolKeyword GRAPH_QUERY = new ProtocolKeyword() {
        private final byte[] name = "GRAPH.QUERY".getBytes(StandardCharsets.US_ASCII);

        @Override
        public byte[] getBytes() {
            return name;
        }
    };

    private static Client remote(RedisClient client) {
        StatefulRedisConnection<String, String> c = client.connect();
        c.setTimeout(Duration.ofMinutes(5));
        return new Client() {
            @Override
            public Object query(String cypher) {
                CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).addKey(G).add(cypher)
                        .add("--compact");
                return c.sync().dispatch(GRAPH_QUERY, new NestedMultiOutput<>(StringCodec.UTF8), args);
            }

            @Override
            public void close() {
                c.close();
            }
        };
    }

    private static String abbreviate(String s) {
        return s.substring(0, Math.min(120, s.length()));
    }

    /** The single integer cell of a compact one-row, one-column result. */
    @SuppressWarnings("unchecked")
    private static long scalar(Object reply) {
        List<Object> rows = (List<Object>) ((List<Object>) reply).get(1);
        List<Object> cell = (List<Object>) ((List<Object>) rows.get(0)).get(0);
        return (Long) cell.get(1);
    }

    private static long[][] kronecker(int scale, long seed) {
        int n = 1 << scale;
        int m = 16 * n;
        SplittableRandom rnd = new SplittableRandom(seed);
        long[][] edges = new long[m][2];
        for (int e = 0; e < m; e++) {
            long src = 0;
            long dst = 0;
            for (int level = 0; level < scale; level++) {
                double p = rnd.nextDouble();
                int sBit = p < 0.57 + 0.19 ? 0 : 1;          // A or B: source bit 0
                int dBit = (p < 0.57 || (p >= 0.76 && p < 0.95)) ? 0 : 1; // A or C: destination bit 0
                src = (src << 1) | sBit;
                dst = (dst << 1) | dBit;
            }
            edges[e][0] = src;
            edges[e][1] = dst;
        }
        // graph500 permutes vertex labels so the heavy vertices are not the low ids
        long[] perm = new long[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            long t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (long[] e : edges) {
            e[0] = perm[(int) e[0]];
            e[1] = perm[(int) e[1]];
        }
        return edges;
    }

    private static void run(int scale, int seconds, RedisURI valkeyUri, ClientResources resources, Clients clients,
                     Clients coldClients) throws Exception {
        int n = 1 << scale;
        long[][] edges = kronecker(scale, 0x5EED_1234L);
        System.out.printf(Locale.ROOT, "graph500 scale %d: %,d nodes, %,d edges (edge factor 16, seed fixed)%n",
                scale, n, edges.length);
        try (Client c = clients.open()) {
            load(c, n, edges);
        }
        try (RedisClient raw = RedisClient.create(resources, valkeyUri);
             StatefulRedisConnection<String, String> c = raw.connect()) {
            System.out.printf(Locale.ROOT, "valkey: graph key %s bytes (MEMORY USAGE), %s, %s%n",
                    c.sync().memoryUsage(G), infoField(c.sync().info("memory"), "used_memory_human"),
                    infoField(c.sync().info("commandstats"), "cmdstat_eval"));
        }
        if (coldClients != null) {
            try (Client cold = coldClients.open()) {
                long c0 = System.nanoTime();
                cold.query("MATCH (n) WHERE id(n) = 0 RETURN count(n)");
                System.out.printf(Locale.ROOT, "cold cache: first query on a new sidecar (loads the graph) %.1f s%n",
                        (System.nanoTime() - c0) / 1e9);
            }
        }

        // parameters as clients send them: the query text stays the same, so its parse is cached
        String oneHop = "CYPHER id=%d MATCH (n)-[:E]->(m) WHERE id(n) = $id RETURN count(m)";
        String twoHop = "CYPHER id=%d MATCH (n)-[:E]->()-[:E]->(m) WHERE id(n) = $id RETURN count(DISTINCT m)";
        String point = "CYPHER id=%d MATCH (n:Node {id: $id}) RETURN n";
        try (Client c = clients.open()) {
            warmUp(c, oneHop, n, 3);
            warmUp(c, point, n, 2);
        }
        Stats one = timed(clients, oneHop, n, 1, seconds, 1);
        System.out.printf(Locale.ROOT, "1-hop count by id, 1 client:   p50 %.3f ms  p99 %.3f ms  %,.0f q/s%n",
                one.p(50), one.p(99), one.qps);
        Stats many = timed(clients, oneHop, n, 32, seconds, 2);
        System.out.printf(Locale.ROOT, "1-hop count by id, 32 clients: p50 %.3f ms  p99 %.3f ms  %,.0f q/s%n",
                many.p(50), many.p(99), many.qps);
        Stats two = timedCount(clients, twoHop, n, 300, 3);
        System.out.printf(Locale.ROOT, "2-hop distinct count by id, 1 client: p50 %.3f ms  p99 %.3f ms  (%d queries)%n",
                two.p(50), two.p(99), two.latencies.length);
        Stats pt = timed(clients, point, n, 1, Math.max(2, seconds / 2), 4);
        System.out.printf(Locale.ROOT, "indexed point lookup, 1 client: p50 %.3f ms  p99 %.3f ms  %,.0f q/s%n",
                pt.p(50), pt.p(99), pt.qps);
        System.out.printf(Locale.ROOT, "(%d cores)%n", Runtime.getRuntime().availableProcessors());
    }

    private static void load(Client c, int n, long[][] edges) throws Exception {
        long t0 = System.nanoTime();
        c.query("CREATE INDEX ON :Node(id)");
        int nodeBatch = 8192;
        for (int from = 0; from < n; from += nodeBatch) {
            c.query("UNWIND range(" + from + ", " + (Math.min(n, from + nodeBatch) - 1) + ") AS i CREATE (:Node {id: i})");
        }
        long tNodes = System.nanoTime();
        int edgeBatch = 16384;
        for (int from = 0; from < edges.length; from += edgeBatch) {
            StringBuilder sb = new StringBuilder("CYPHER es=[");
            for (int i = from; i < Math.min(edges.length, from + edgeBatch); i++) {
                if (i > from) {
                    sb.append(',');
                }
                sb.append('[').append(edges[i][0]).append(',').append(edges[i][1]).append(']');
            }
            sb.append("] UNWIND $es AS e MATCH (a:Node {id: e[0]}), (b:Node {id: e[1]}) CREATE (a)-[:E]->(b)");
            c.query(sb.toString());
        }
        long tLoad = System.nanoTime();
        long edgeCount = scalar(c.query("MATCH ()-[r:E]->() RETURN count(r)"));
        System.out.printf(Locale.ROOT, "load: %.1f s total (nodes %.1f s, edges %.1f s = %,.0f edges/s); "
                        + "edges counted back: %,d%n", (tLoad - t0) / 1e9, (tNodes - t0) / 1e9, (tLoad - tNodes) / 1e9,
                edges.length / ((tLoad - tNodes) / 1e9), edgeCount);
    }

    private static String infoField(String info, String field) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return line;
            }
        }
        return field + ":?";
    }

    private static void warmUp(Client c, String template, int n, int seconds) throws Exception {
        SplittableRandom rnd = new SplittableRandom(99);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            c.query(String.format(Locale.ROOT, template, rnd.nextInt(n)));
        }
    }

    private record Stats(double[] latencies, double qps) {
        double p(int pct) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            int idx = (int) Math.min(latencies.length - 1, Math.ceil(pct / 100.0 * latencies.length) - 1);
            return latencies[Math.max(0, idx)];
        }
    }

    private static Stats timed(Clients factory, String template, int n, int clients, int seconds, long seed)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<double[]> perClient = new ArrayList<>();
        AtomicLong total = new AtomicLong();
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        List<java.util.concurrent.Future<double[]>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            SplittableRandom rnd = new SplittableRandom(seed * 1000 + c);
            fs.add(pool.submit(() -> {
                double[] lat = new double[1 << 16];
                int k = 0;
                try (Client client = factory.open()) {
                    while (System.nanoTime() < end) {
                        String cy = String.format(Locale.ROOT, template, rnd.nextInt(n));
                        long t = System.nanoTime();
                        client.query(cy);
                        double ms = (System.nanoTime() - t) / 1e6;
                        if (k == lat.length) {
                            lat = Arrays.copyOf(lat, lat.length * 2);
                        }
                        lat[k++] = ms;
                    }
                }
                total.addAndGet(k);
                return Arrays.copyOf(lat, k);
            }));
        }
        for (java.util.concurrent.Future<double[]> f : fs) {
            perClient.add(f.get());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        double[] all = perClient.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
        return new Stats(all, total.get() / elapsed);
    }

    private static Stats timedCount(Clients factory, String template, int n, int count, long seed)
            throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] lat = new double[count];
        long start = System.nanoTime();
        try (Client c = factory.open()) {
            for (int i = 0; i < count; i++) {
                String cy = String.format(Locale.ROOT, template, rnd.nextInt(n));
                long t = System.nanoTime();
                c.query(cy);
                lat[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Arrays.sort(lat);
        return new Stats(lat, count / elapsed);
    }
}
