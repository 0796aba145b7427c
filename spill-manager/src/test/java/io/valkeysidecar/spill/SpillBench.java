package io.valkeysidecar.spill;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Spill-tier benchmark (run by bench/spill-bench.sh, not a test): restore-on-miss GET latency against a
 * resident GET in the same run, for 1 KB values; spill throughput; bytes per spilled key of the in-memory
 * index, measured on the store and on the bare index at scale.
 */
public final class SpillBench {

    private SpillBench() {
    }

    public static void main(String[] args) throws Exception {
        int keys = Integer.parseInt(System.getProperty("bench.keys", "20000"));
        int samples = Integer.parseInt(System.getProperty("bench.samples", "5000"));
        int indexKeys = Integer.parseInt(System.getProperty("bench.indexKeys", "10000000"));
        Path dir = Files.createTempDirectory("spill-bench-");
        try (TestValkey valkey = TestValkey.start("--maxmemory", "1gb", "--maxmemory-policy", "noeviction")) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect();
                 SpillStore store = SpillStore.open(dir.resolve("spill"), 0);
                 SpillEngine engine = new SpillEngine(store, null, valkey.uri(), 8L << 20)) {
                RedisCommands<String, String> r = c.sync();
                SplittableRandom rnd = new SplittableRandom(7);
                byte[] value = new byte[1024];
                for (int i = 0; i < value.length; i++) {
                    value[i] = (byte) ('a' + rnd.nextInt(26));
                }
                String v = new String(value, StandardCharsets.US_ASCII);
                var async = c.async();
                List<CompletableFuture<String>> writes = new ArrayList<>();
                for (int i = 0; i < keys; i++) {
                    writes.add(async.set("cold:" + i, v).toCompletableFuture());
                    writes.add(async.set("hot:" + i, v).toCompletableFuture());
                }
                CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

                long t0 = System.nanoTime();
                List<CompletableFuture<List<SpillOutcome>>> spills = new ArrayList<>();
                for (int from = 0; from < keys; from += 32) {
                    List<byte[]> batch = new ArrayList<>();
                    for (int i = from; i < Math.min(keys, from + 32); i++) {
                        batch.add(("cold:" + i).getBytes(StandardCharsets.UTF_8));
                    }
                    spills.add(engine.spill(0, batch));
                    if (spills.size() >= 8) {
                        spills.remove(0).get(60, TimeUnit.SECONDS);
                    }
                }
                for (var s : spills) {
                    s.get(60, TimeUnit.SECONDS);
                }
                double spillSecs = (System.nanoTime() - t0) / 1e9;
                System.out.printf("spill: %d keys of 1 KB in %.2f s = %.0f keys/s (%d WAL syncs covering %d writes)%n",
                        engine.stats().spilled(), spillSecs, engine.stats().spilled() / spillSecs,
                        store.walSyncs(), store.syncedOps());
                System.out.printf("index on the store: %d keys, %d bytes = %.2f bytes/key%n", store.keyCount(),
                        store.indexBytes(), (double) store.indexBytes() / store.keyCount());

                int[] order = rnd.ints(samples, 0, keys).distinct().toArray();
                long[] miss = new long[order.length];
                long[] hit = new long[order.length];
                for (int round = 0; round < 2; round++) {
                    // Round 0 warms the JIT on a few keys; round 1 is measured.
                    int n = round == 0 ? Math.min(500, order.length) : order.length;
                    for (int j = 0; j < n; j++) {
                        String hot = "hot:" + order[j];
                        hit[j] = timedGet(engine, r, hot);
                        String cold = "cold:" + order[j];
                        if (round == 0) {
                            timedGet(engine, r, cold);
                            engine.spill(0, List.of(cold.getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
                        } else {
                            miss[j] = timedGet(engine, r, cold);
                        }
                    }
                }
                report("resident GET", hit);
                report("restore-on-miss GET", miss);
                System.out.printf("restores counted by the engine: %d, engine p50 %d us, p99 %d us%n",
                        engine.stats().restored(), engine.stats().restoreLatency().percentileMicros(0.5),
                        engine.stats().restoreLatency().percentileMicros(0.99));

                // The same restores while the memory controller's kind of load runs: batches of synced spills.
                for (int from = 0; from < order.length; from += 32) {
                    List<byte[]> batch = new ArrayList<>();
                    for (int j = from; j < Math.min(order.length, from + 32); j++) {
                        batch.add(("cold:" + order[j]).getBytes(StandardCharsets.UTF_8));
                    }
                    engine.spill(0, batch).get(60, TimeUnit.SECONDS);
                }
                List<CompletableFuture<String>> bgWrites = new ArrayList<>();
                for (int i = 0; i < keys; i++) {
                    bgWrites.add(async.set("bg:" + i, v).toCompletableFuture());
                }
                CompletableFuture.allOf(bgWrites.toArray(CompletableFuture[]::new)).join();
                java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
                Thread spiller = new Thread(() -> {
                    List<CompletableFuture<List<SpillOutcome>>> inFlight = new ArrayList<>();
                    for (int from = 0; from < keys && !stop.get(); from += 32) {
                        List<byte[]> batch = new ArrayList<>();
                        for (int i = from; i < Math.min(keys, from + 32); i++) {
                            batch.add(("bg:" + i).getBytes(StandardCharsets.UTF_8));
                        }
                        inFlight.add(engine.spill(0, batch));
                        if (inFlight.size() >= 4) {
                            inFlight.remove(0).join();
                        }
                    }
                    inFlight.forEach(CompletableFuture::join);
                });
                long spilledBefore = engine.stats().spilled();
                spiller.start();
                long[] missUnderLoad = new long[order.length];
                int measured = 0;
                for (int j = 0; j < order.length && spiller.isAlive(); j++) {
                    missUnderLoad[measured++] = timedGet(engine, r, "cold:" + order[j]);
                }
                stop.set(true);
                spiller.join();
                report("restore-on-miss GET while spilling", Arrays.copyOf(missUnderLoad, measured));
                System.out.printf("background spills during that phase: %d keys%n",
                        engine.stats().spilled() - spilledBefore);
            } finally {
                client.shutdown();
            }
        }
        FingerprintIndex index = new FingerprintIndex();
        for (int n = 1; n <= indexKeys; n++) {
            index.add(KeyHash.fingerprint(0, ("key:" + n).getBytes(StandardCharsets.UTF_8)));
            if (n == indexKeys / 10 || n == indexKeys / 2 || n == indexKeys) {
                System.out.printf("index alone: %d keys, %d bytes = %.2f bytes/key%n", n, index.memoryBytes(),
                        (double) index.memoryBytes() / n);
            }
        }
        byte[][] absent = new byte[1_000_000][];
        for (int n = 0; n < absent.length; n++) {
            absent[n] = ("absent:" + n).getBytes(StandardCharsets.UTF_8);
        }
        int found = 0;
        long t = 0;
        for (int round = 0; round < 3; round++) {
            // The last of three passes is timed, after the JIT has compiled the lookup.
            t = System.nanoTime();
            found = 0;
            for (byte[] key : absent) {
                found += index.contains(KeyHash.fingerprint(0, key)) ? 1 : 0;
            }
            t = System.nanoTime() - t;
        }
        System.out.printf("index lookup of an absent key (hash + probe): %.0f ns, false positives %d in %d%n",
                (double) t / absent.length, found, absent.length);
    }

    /** One GET as the proxy will serve it: ensureResident (restore on miss), GET, release. */
    private static long timedGet(SpillEngine engine, RedisCommands<String, String> r, String key) throws Exception {
        List<byte[]> k = List.of(key.getBytes(StandardCharsets.UTF_8));
        long t0 = System.nanoTime();
        engine.ensureResident(0, k).toCompletableFuture().get(10, TimeUnit.SECONDS);
        String got = r.get(key);
        long took = System.nanoTime() - t0;
        engine.release(0, k);
        if (got == null || got.length() != 1024) {
            throw new IllegalStateException("wrong value for " + key);
        }
        return took;
    }

    private static void report(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        System.out.printf("%-36s n=%d  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n", what, s.length,
                s[s.length / 2] / 1e3, s[(int) (s.length * 0.99)] / 1e3, s[(int) (s.length * 0.999)] / 1e3,
                s[s.length - 1] / 1e3);
    }
}
