package io.valkeysidecar.compat.spill.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.valkeysidecar.compat.spill.SidecarProcess;
import io.valkeysidecar.testing.TestValkey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Benchmarks the spill tier through the whole sidecar (real valkey-server, the sidecar's jar in a JVM of its own
 * with its RocksDB store, Lettuce clients in this JVM over loopback). Run by {@code bench/spill-bench-sidecar.sh};
 * not a test.
 *
 * <ol>
 *   <li>Restore-on-miss GET latency against a resident GET, 1 KB values, interleaved in one run.</li>
 *   <li>A Zipfian (theta 0.99) 90% GET / 10% SET workload with about 20% of the data fitting in Valkey's
 *       memory, against the same workload with everything in memory, each through a sidecar, in alternating
 *       windows of one run.</li>
 *   <li>Sidecar memory per spilled key: INFO spill's index bytes over spilled keys.</li>
 * </ol>
 */
public final class SpillSidecarBench {

    private static final int VALUE_BYTES = 1024;

    private enum Evict implements ProtocolKeyword {
        EVICT;

        @Override
        public byte[] getBytes() {
            return name().getBytes(StandardCharsets.US_ASCII);
        }
    }

    public static void main(String[] args) throws Exception {
        int latencyKeys = Integer.getInteger("bench.latencyKeys", 20_000);
        int zipfKeys = Integer.getInteger("bench.zipfKeys", 60_000);
        int threads = Integer.getInteger("bench.threads", 16);
        int seconds = Integer.getInteger("bench.seconds", 20);
        double residentShare = Double.parseDouble(System.getProperty("bench.residentShare", "0.2"));
        latency(latencyKeys);
        zipf(zipfKeys, threads, seconds, residentShare);
    }

    // ---- (a) restore-on-miss latency ----

    private static void latency(int keys) throws Exception {
        try (Stack s = Stack.start(512L << 20)) {
            RedisClient client = s.client();
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                RedisCommands<String, String> c = conn.sync();
                load(conn.async(), "res:", keys);
                load(conn.async(), "cold:", keys);
                for (int from = 0; from < keys; from += 500) {
                    String[] batch = new String[Math.min(500, keys - from)];
                    for (int i = 0; i < batch.length; i++) {
                        batch[i] = "cold:" + (from + i);
                    }
                    evict(c, batch);
                }
                String[] before = s.info(c, "spill");
                long spilled = Long.parseLong(field(before, "spill_keys"));
                long indexBytes = Long.parseLong(field(before, "spill_index_bytes"));
                for (int i = 0; i < 2000; i++) {
                    c.get("res:" + (keys - 1 - i));
                }
                long[] resident = new long[keys];
                long[] restored = new long[keys];
                int[] order = shuffled(keys, 7);
                for (int j = 0; j < keys; j++) {
                    int i = order[j];
                    long t0 = System.nanoTime();
                    String r = c.get("res:" + i);
                    long t1 = System.nanoTime();
                    String m = c.get("cold:" + i);
                    long t2 = System.nanoTime();
                    if (r == null || m == null || m.length() != VALUE_BYTES) {
                        throw new IllegalStateException("missing value for key " + i);
                    }
                    resident[j] = t1 - t0;
                    restored[j] = t2 - t1;
                }
                Arrays.sort(resident);
                Arrays.sort(restored);
                System.out.printf("(a) GET through the sidecar, 1 KB values, %d keys each, interleaved:%n", keys);
                System.out.printf("    resident GET          p50 %7.1f us   p99 %7.1f us   p99.9 %7.1f us%n",
                        pct(resident, 0.50), pct(resident, 0.99), pct(resident, 0.999));
                System.out.printf("    restore-on-miss GET   p50 %7.1f us   p99 %7.1f us   p99.9 %7.1f us   (target p99 < 1000 us)%n",
                        pct(restored, 0.50), pct(restored, 0.99), pct(restored, 0.999));
                String[] after = s.info(c, "spill");
                System.out.printf("    inside the engine (INFO spill: read, RESTORE)  p50 %s us   p99 %s us%n",
                        field(after, "restore_latency_p50_us"), field(after, "restore_latency_p99_us"));
                System.out.printf("(c) sidecar memory per spilled key: %d index bytes / %d spilled keys = %.2f bytes%n",
                        indexBytes, spilled, spilled == 0 ? 0.0 : (double) indexBytes / spilled);
            }
        }
    }

    // ---- (b) Zipfian workload ----

    /**
     * Both stacks stay up and are measured in alternating windows (after a warm-up of each), so both meet the
     * same background load: this machine is shared, and its load drifts enough within a minute to change one
     * side's throughput by 2-3x, which two consecutive 20-second runs measured as much as the tier itself.
     */
    private static void zipf(int keys, int threads, int seconds, double residentShare) throws Exception {
        long datasetBytes;
        try (Stack big = Stack.start(2L << 30)) {
            try (StatefulRedisConnection<String, String> conn = big.client().connect()) {
                long base = Long.parseLong(field(big.info(conn.sync(), "memory"), "used_memory"));
                load(conn.async(), "z:", keys);
                datasetBytes = Long.parseLong(field(big.info(conn.sync(), "memory"), "used_memory")) - base;
            }
            // The controller keeps used memory between the default watermarks (0.70 and 0.85 of maxmemory): size
            // maxmemory so that their midpoint holds the resident share of the dataset above Valkey's baseline.
            long baseline = 1L << 20;
            long maxmemory = (long) ((baseline + residentShare * datasetBytes) / 0.775);
            try (Stack small = Stack.start(maxmemory)) {
                try (StatefulRedisConnection<String, String> conn = small.client().connect()) {
                    load(conn.async(), "z:", keys);
                }
                zipfWindows(big, small, keys, threads, seconds);
                report(small, keys, maxmemory, datasetBytes);
            }
        }
    }

    private static final int WINDOWS = 4;
    /** At most this many pairs of warm-up windows after the first warm-up (a minute with the default windows). */
    private static final int MAX_WARM_UP_PAIRS = 6;

    private static void zipfWindows(Stack big, Stack small, int keys, int threads, int seconds) throws Exception {
        long windowMs = seconds * 1000L / WINDOWS;
        // Each sidecar runs in a JVM of its own, and the tiered one's JIT is slow to settle: after a 5 s warm-up its
        // first 5 s window ran at a third of its fourth, and after 20 s its C2 compilations still took 19 s of the
        // next 30 (JFR: over a thousand methods compiled, the spill path's among them), on the cores both stacks
        // share. The steady state is what is measured: after the first warm-up, pairs of windows run until neither
        // sidecar's JIT used more than 0.2 s of CPU in one.
        long warmUpMs = Long.getLong("bench.warmUpMs", 20_000);
        window(big, keys, threads, warmUpMs, null);
        window(small, keys, threads, warmUpMs, null);
        int pairs = 0;
        double[] jit;
        do {
            double[] before = {big.jitSeconds(), small.jitSeconds()};
            window(big, keys, threads, windowMs, null);
            window(small, keys, threads, windowMs, null);
            jit = new double[] {big.jitSeconds() - before[0], small.jitSeconds() - before[1]};
            pairs++;
        } while ((jit[0] > 0.2 || jit[1] > 0.2) && pairs < MAX_WARM_UP_PAIRS);
        System.out.printf("(b) warm-up: %d ms per stack, then %d pairs of windows; JIT CPU in the last pair: %.2f s"
                + " (everything in memory), %.2f s (tiered)%n", warmUpMs, pairs, jit[0], jit[1]);
        double[] jitBefore = {big.jitSeconds(), small.jitSeconds()};
        long restoredBefore = restored(small);
        Map<String, long[]> valkeyBefore = commandStats(small);
        long bigOps = 0;
        long smallOps = 0;
        double[] ratios = new double[WINDOWS];
        for (int w = 0; w < WINDOWS; w++) {
            long b = window(big, keys, threads, windowMs, "memory");
            long t = window(small, keys, threads, windowMs, "tiered");
            bigOps += b;
            smallOps += t;
            ratios[w] = (double) t / b;
        }
        long restoredDuring = restored(small) - restoredBefore;
        double allInMemory = bigOps * 1000.0 / (WINDOWS * windowMs);
        double tiered = smallOps * 1000.0 / (WINDOWS * windowMs);
        String header = String.format("(b) Zipfian 0.99, 90%% GET / 10%% SET, %d keys of 1 KB, %d clients, %d windows of %d ms"
                + " each, alternating", keys, threads, WINDOWS, windowMs);
        System.out.println(header);
        System.out.printf("    everything in memory: %.0f ops/s   tiered: %.0f ops/s   restores per tiered op: %.3f%n",
                allInMemory, tiered, (double) restoredDuring / smallOps);
        Arrays.sort(ratios);
        System.out.printf("(b) throughput ratio tiered / everything in memory: %.3f   (windows %.3f-%.3f; target >= 0.85)%n",
                tiered / allInMemory, ratios[0], ratios[WINDOWS - 1]);
        System.out.printf("    sidecar JIT CPU in the measured windows: %.2f s (everything in memory), %.2f s (tiered)%n",
                big.jitSeconds() - jitBefore[0], small.jitSeconds() - jitBefore[1]);
        printValkeyTime(valkeyBefore, commandStats(small), smallOps, restoredDuring);
    }

    /** Calls and microseconds per command from the stack's Valkey's INFO commandstats. */
    private static Map<String, long[]> commandStats(Stack s) {
        Map<String, long[]> stats = new HashMap<>();
        for (String line : s.valkeyInfo("commandstats")) {
            if (line.startsWith("cmdstat_")) {
                String[] f = line.substring(8).split("[:=,]");
                stats.put(f[0], new long[] {Long.parseLong(f[2]), Long.parseLong(f[4])});
            }
        }
        return stats;
    }

    /** Where the tiered Valkey's command time went in the measured windows: its clients' commands and the tier's. */
    private static void printValkeyTime(Map<String, long[]> before, Map<String, long[]> after, long ops,
                                        long restores) {
        List<Map.Entry<String, long[]>> spent = new ArrayList<>();
        after.forEach((cmd, a) -> {
            long[] b = before.getOrDefault(cmd, new long[2]);
            spent.add(Map.entry(cmd, new long[] {a[0] - b[0], a[1] - b[1]}));
        });
        spent.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
        StringBuilder line = new StringBuilder(
                "    tiered Valkey, command time in the windows, us per op (calls per restore):");
        for (Map.Entry<String, long[]> e : spent.subList(0, Math.min(8, spent.size()))) {
            line.append(String.format(" %s %.2f (%.2f)", e.getKey(), (double) e.getValue()[1] / ops,
                    (double) e.getValue()[0] / Math.max(1, restores)));
        }
        System.out.println(line);
    }

    private static long restored(Stack s) {
        try (StatefulRedisConnection<String, String> conn = s.client().connect()) {
            return Long.parseLong(field(s.info(conn.sync(), "spill"), "keys_restored"));
        }
    }

    private static void report(Stack small, int keys, long maxmemory, long datasetBytes) {
        try (StatefulRedisConnection<String, String> conn = small.client().connect()) {
            String[] spill = small.info(conn.sync(), "spill");
            long resident = small.valkeyDbsize();
            System.out.printf("    tiered: Valkey maxmemory %d bytes, dataset %d bytes in memory when all resident;"
                            + " %d of %d keys resident at the end (%.1f%%), %s keys spilled, %s restored,"
                            + " evicted_keys %s%n", maxmemory, datasetBytes, resident, keys, 100.0 * resident / keys,
                    field(spill, "keys_spilled"), field(spill, "keys_restored"),
                    field(small.valkeyInfo("stats"), "evicted_keys"));
            System.out.printf("    tiered: %s restores sent ahead of the client's command, %s GETs answered from disk,"
                            + " %s store reads from disk, %s commands held for their keys (%s us in all), %s writes"
                            + " waited for room (%s us in all)%n", field(spill, "keys_restored_ahead"),
                    field(spill, "keys_read_on_disk"), field(spill, "store_disk_reads"), field(spill, "key_waits"),
                    field(spill, "key_wait_us"), field(spill, "write_room_waits"), field(spill, "write_room_wait_us"));
            long spilled = Long.parseLong(field(spill, "spill_keys"));
            long indexBytes = Long.parseLong(field(spill, "spill_index_bytes"));
            System.out.printf("(c) after the Zipfian run: %d index bytes / %d spilled keys = %.2f bytes per spilled key%n",
                    indexBytes, spilled, spilled == 0 ? 0.0 : (double) indexBytes / spilled);
        }
    }

    /**
     * {@code threads} synchronous clients, 90% GET / 10% SET over Zipfian keys, for {@code millis} after a second
     * of lead-in (connections open, not counted); answers the operations completed in the window. A named window
     * prints its start and end (epoch ms) and its operations, so bench/spill-cpu.sh can attribute its CPU samples.
     */
    private static long window(Stack s, int keys, int threads, long millis, String name) throws Exception {
        ZipfianGenerator zipf = new ZipfianGenerator(keys, 0.99);
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        long[] ops = new long[threads];
        long[] misses = new long[threads];
        // Per client, measured ops only: GETs, SETs, and GETs of the 1,000 hottest keys (always resident, so their
        // latency shows what the tier's work costs operations that need none of it): count, nanoseconds, over 2 ms.
        long[][] timing = new long[threads][9];
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        String value = "v".repeat(VALUE_BYTES);
        for (int t = 0; t < threads; t++) {
            int id = t;
            workers.add(CompletableFuture.runAsync(() -> {
                SplittableRandom rnd = new SplittableRandom(System.nanoTime() + id * 7919L);
                try (StatefulRedisConnection<String, String> conn = s.client().connect()) {
                    RedisCommands<String, String> c = conn.sync();
                    while (!stop.get()) {
                        long rank = zipf.next(rnd);
                        String key = "z:" + scramble(rank, keys);
                        boolean set = rnd.nextInt(10) == 0;
                        long t0 = System.nanoTime();
                        if (set) {
                            c.set(key, value);
                        } else if (c.get(key) == null) {
                            misses[id]++;
                        }
                        long took = System.nanoTime() - t0;
                        if (measuring.get()) {
                            ops[id]++;
                            record(timing[id], set ? 3 : 0, took);
                            if (!set && rank < 1000) {
                                record(timing[id], 6, took);
                            }
                        }
                    }
                }
            }));
        }
        Thread.sleep(1_000);
        long start = System.currentTimeMillis();
        measuring.set(true);
        Thread.sleep(millis);
        measuring.set(false);
        long end = System.currentTimeMillis();
        stop.set(true);
        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long lost = Arrays.stream(misses).sum();
        if (lost > 0) {
            throw new IllegalStateException(lost + " GETs answered nil");
        }
        long done = Arrays.stream(ops).sum();
        if (name != null) {
            long[] all = new long[9];
            for (long[] t : timing) {
                for (int i = 0; i < all.length; i++) {
                    all[i] += t[i];
                }
            }
            System.out.printf("    window %s %d %d %d ops: mean (share over 2 ms) GET %.0f us (%.1f%%), SET %.0f us"
                            + " (%.1f%%), GET of the 1,000 hottest keys %.0f us (%.1f%%)%n", name, start, end, done,
                    mean(all, 0), over(all, 0), mean(all, 3), over(all, 3), mean(all, 6), over(all, 6));
        }
        return done;
    }

    private static void record(long[] timing, int at, long nanos) {
        timing[at]++;
        timing[at + 1] += nanos;
        timing[at + 2] += nanos > 2_000_000 ? 1 : 0;
    }

    private static double mean(long[] timing, int at) {
        return timing[at + 1] / 1e3 / Math.max(1, timing[at]);
    }

    private static double over(long[] timing, int at) {
        return 100.0 * timing[at + 2] / Math.max(1, timing[at]);
    }

    /** Spreads Zipfian ranks over the key space, so hot keys are not neighbours (as YCSB's scrambled Zipfian). */
    private static long scramble(long rank, int keys) {
        long h = rank * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        return Math.floorMod(h, keys);
    }

    private static void load(RedisAsyncCommands<String, String> a, String prefix, int keys) throws Exception {
        String value = "v".repeat(VALUE_BYTES);
        for (int from = 0; from < keys; from += 200) {
            List<RedisFuture<String>> f = new ArrayList<>();
            for (int i = from; i < Math.min(keys, from + 200); i++) {
                f.add(a.set(prefix + i, value));
            }
            for (RedisFuture<String> x : f) {
                x.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static void evict(RedisCommands<String, String> c, String... keys) {
        c.dispatch(Evict.EVICT, new IntegerOutput<>(StringCodec.UTF8), new CommandArgs<>(StringCodec.UTF8).addKeys(keys));
    }

    private static int[] shuffled(int n, long seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1000.0;
    }

    private static String field(String[] lines, String name) {
        for (String l : lines) {
            if (l.startsWith(name + ":")) {
                return l.substring(name.length() + 1).trim();
            }
        }
        throw new IllegalStateException("no " + name);
    }

    /** YCSB's Zipfian generator (Gray et al.): ranks 0..n-1, rank 0 the most popular. */
    static final class ZipfianGenerator {
        private final long n;
        private final double theta;
        private final double zetan;
        private final double alpha;
        private final double eta;

        ZipfianGenerator(long n, double theta) {
            this.n = n;
            this.theta = theta;
            this.zetan = zeta(n, theta);
            double zeta2 = zeta(2, theta);
            this.alpha = 1.0 / (1.0 - theta);
            this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetan);
        }

        private static double zeta(long n, double theta) {
            double sum = 0;
            for (long i = 0; i < n; i++) {
                sum += 1 / Math.pow(i + 1, theta);
            }
            return sum;
        }

        long next(SplittableRandom rnd) {
            double u = rnd.nextDouble();
            double uz = u * zetan;
            if (uz < 1.0) {
                return 0;
            }
            if (uz < 1.0 + Math.pow(0.5, theta)) {
                return 1;
            }
            return (long) (n * Math.pow(eta * u - eta + 1, alpha));
        }
    }

    /**
     * A valkey-server with the given maxmemory (noeviction) and the sidecar's jar in front of it, in a JVM of its
     * own as operators run it (in this JVM the two sidecars shared their JIT and GC with each other and the clients).
     */
    private static final class Stack implements AutoCloseable {
        final TestValkey valkey;
        final SidecarProcess sidecar;
        private final Path dataDir;
        private final RedisClient client;

        private Stack(TestValkey valkey, SidecarProcess sidecar, Path dataDir) {
            this.valkey = valkey;
            this.sidecar = sidecar;
            this.dataDir = dataDir;
            this.client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(sidecar.port)
                    .withTimeout(Duration.ofSeconds(60)).build());
        }

        static Stack start(long maxmemory) throws Exception {
            TestValkey valkey = TestValkey.start("--maxmemory", Long.toString(maxmemory),
                    "--maxmemory-policy", "noeviction");
            Path dataDir = Files.createTempDirectory("spill-bench-");
            try {
                return new Stack(valkey, SidecarProcess.start(valkey.port(), dataDir, dataDir.resolve("sidecar.log")),
                        dataDir);
            } catch (Exception e) {
                valkey.close();
                deleteTree(dataDir);
                throw e;
            }
        }

        RedisClient client() {
            return client;
        }

        String[] info(RedisCommands<String, String> c, String section) {
            return c.info(section).split("\r\n");
        }

        String[] valkeyInfo(String section) {
            RedisClient direct = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> d = direct.connect()) {
                return d.sync().info(section).split("\r\n");
            } finally {
                direct.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            }
        }

        /**
         * CPU seconds the sidecar's JIT compiler threads have used (Linux {@code /proc}; its tick is USER_HZ, 100 per
         * second on every Linux ABI).
         */
        double jitSeconds() throws IOException {
            long ticks = 0;
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(sidecar.pid()), "task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        String name = Files.readString(task.resolve("comm"));
                        if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                            String stat = Files.readString(task.resolve("stat"));
                            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                        }
                    } catch (NoSuchFileException e) {
                        // The JVM stops idle compiler threads; this one ended since the listing.
                    }
                }
            }
            return ticks / 100.0;
        }

        long valkeyDbsize() {
            RedisClient direct = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> d = direct.connect()) {
                return d.sync().dbsize();
            } finally {
                direct.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            }
        }

        @Override
        public void close() throws Exception {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            sidecar.close();
            valkey.close();
            deleteTree(dataDir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
