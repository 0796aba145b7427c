package io.valkeysidecar.spill;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Valkey's {@code used_memory} between two watermarks by spilling its coldest keys: above the high
 * watermark it samples keys (a rolling SCAN), ranks them by the sidecar's own record of client accesses
 * ({@link AccessHeat}, no command per sampled key), spills the coldest and repeats until memory is under the low
 * watermark. It also watches Valkey's {@code evicted_keys}: any increase means Valkey dropped data on its own
 * (wrong policy, or writes faster than the sidecar can spill), which is counted and logged loudly.
 */
public final class MemoryController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MemoryController.class);
    /** Access heat halves this often: accesses of the last half minute or so decide what is cold. */
    private static final long HEAT_HALF_LIFE_MS = 30_000;

    /**
     * @param high         start spilling above this share of the limit
     * @param low          spill until under this share
     * @param budgetBytes  the limit; 0 = Valkey's maxmemory
     * @param sampleSize   keys sampled per spill batch
     * @param batchSize    keys spilled per batch (the coldest of the sample)
     * @param parallel     batches in flight at once
     * @param intervalMs   how often memory is checked
     */
    public record Settings(double high, double low, long budgetBytes, int sampleSize, int batchSize, int parallel,
                           long intervalMs) {

        public Settings {
            if (!(0 < low && low < high && high <= 1)) {
                throw new IllegalArgumentException("need 0 < low < high <= 1, got low=" + low + " high=" + high);
            }
        }

        public static Settings defaults() {
            // A sample 8x the keys spilled from it: ranking is free, and a wide sample keeps warm keys resident.
            return new Settings(0.85, 0.70, 0, 512, 64, 4, 50);
        }
    }

    private final SpillEngine engine;
    private final Settings settings;
    private final ScheduledExecutorService timer;
    private final AtomicReference<CompletableFuture<Long>> round = new AtomicReference<>();
    /** Where the sampling SCAN of each database goes on. */
    private final Map<Integer, String> cursors = new ConcurrentHashMap<>();
    private volatile long lastUsed;
    private volatile long lastLimit;
    private long lastEvicted = -1;

    public MemoryController(SpillEngine engine, Settings settings) {
        this.engine = engine;
        this.settings = settings;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spill-memory-controller");
            t.setDaemon(true);
            return t;
        });
        engine.onOutOfMemory(this::relieve);
    }

    /** Starts periodic checks. */
    public void start() {
        timer.scheduleWithFixedDelay(() -> {
            try {
                runRound(false).get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                // close() interrupts the wait: the sidecar is stopping, which is not a failure to report.
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("memory controller round failed", SpillEngine.unwrap(e));
            }
        }, 0, settings.intervalMs(), TimeUnit.MILLISECONDS);
        timer.scheduleAtFixedRate(engine::ageHeat, HEAT_HALF_LIFE_MS, HEAT_HALF_LIFE_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Frees memory now (a write or restore met {@code -OOM}): one round that spills at least one batch even
     * below the high watermark. Joins a round already running.
     *
     * @return keys spilled
     */
    public CompletionStage<Long> relieve() {
        return runRound(true);
    }

    /** Used memory as last sampled, and the limit the watermarks refer to. */
    public long usedMemory() {
        return lastUsed;
    }

    public long limit() {
        return lastLimit;
    }

    private CompletableFuture<Long> runRound(boolean force) {
        CompletableFuture<Long> mine = new CompletableFuture<>();
        CompletableFuture<Long> running = round.compareAndExchange(null, mine);
        if (running != null) {
            return running;
        }
        long start = System.nanoTime();
        memory().thenCompose(m -> {
            if (m.limit == 0) {
                return CompletableFuture.completedFuture(0L);
            }
            boolean over = m.used > settings.high() * m.limit;
            return over || force ? spillDownTo((long) (settings.low() * m.limit), force, 0L, 0)
                    : CompletableFuture.completedFuture(0L);
        }).whenComplete((n, err) -> {
            if (n != null && n > 0) {
                log.debug("spilled {} keys in {} ms, used_memory now {} of {}", n,
                        (System.nanoTime() - start) / 1_000_000, lastUsed, lastLimit);
            }
            round.set(null);
            if (err != null) {
                mine.completeExceptionally(err);
            } else {
                mine.complete(n);
            }
        });
        return mine;
    }

    private record Memory(long used, long limit, Map<Integer, Long> keysPerDb) {
    }

    private CompletableFuture<Memory> memory() {
        return engine.connection(0).thenCompose(a -> {
            RedisFuture<String> mem = a.info("memory");
            RedisFuture<String> st = a.info("stats");
            RedisFuture<String> ks = a.info("keyspace");
            return mem.toCompletableFuture().thenCompose(x -> st.toCompletableFuture()).thenCompose(
                    x -> ks.toCompletableFuture()).thenApply(x -> {
                        Map<String, String> m = fields(mem.toCompletableFuture().join());
                        Map<String, String> s = fields(st.toCompletableFuture().join());
                        checkEvictions(Long.parseLong(s.getOrDefault("evicted_keys", "0")));
                        long used = Long.parseLong(m.get("used_memory"));
                        long limit = settings.budgetBytes() > 0 ? settings.budgetBytes()
                                : Long.parseLong(m.getOrDefault("maxmemory", "0"));
                        lastUsed = used;
                        lastLimit = limit;
                        return new Memory(used, limit, keyspace(ks.toCompletableFuture().join()));
                    });
        });
    }

    private synchronized void checkEvictions(long evicted) {
        if (lastEvicted >= 0 && evicted > lastEvicted) {
            long lost = evicted - lastEvicted;
            engine.stats().unrecoverableEvictions.add(lost);
            log.error("VALKEY EVICTED {} KEYS ON ITS OWN ({} in total): their values are lost. Run Valkey with "
                    + "maxmemory-policy noeviction and keep its maxmemory above the sidecar's high watermark.",
                    lost, engine.stats().unrecoverableEvictions());
        }
        lastEvicted = evicted;
    }

    private CompletableFuture<Long> spillDownTo(long target, boolean force, long spilled, int rounds) {
        return memory().thenCompose(m -> {
            boolean done = m.used <= target && !(force && rounds == 0);
            if (done || rounds >= 10_000 || m.keysPerDb.isEmpty()) {
                return CompletableFuture.completedFuture(spilled);
            }
            int db = m.keysPerDb.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            return spillColdest(db).thenCompose(n -> n == 0
                    // Nothing spillable in the sample (pinned, too large, budget): try again next tick.
                    ? CompletableFuture.completedFuture(spilled)
                    : spillDownTo(target, force, spilled + n, rounds + 1));
        });
    }

    /**
     * Samples the next stretch of {@code db} with SCAN (a clock-like sweep that reaches every key in turn),
     * ranks it by access heat and spills the coldest in parallel batches; answers how many were spilled.
     */
    private CompletableFuture<Long> spillColdest(int db) {
        int sample = settings.sampleSize() * settings.parallel();
        return engine.connection(db).thenCompose(a -> {
            ScanCursor cursor = ScanCursor.of(cursors.getOrDefault(db, "0"));
            return a.scan(cursor, ScanArgs.Builder.limit(sample)).toCompletableFuture().thenApply(page -> {
                cursors.put(db, page.getCursor());
                return coldest(db, page.getKeys());
            });
        }).thenCompose(coldest -> {
            List<CompletableFuture<List<SpillOutcome>>> batches = new ArrayList<>();
            for (int from = 0; from < coldest.size(); from += settings.batchSize()) {
                batches.add(engine.spill(db, coldest.subList(from, Math.min(coldest.size(), from + settings.batchSize()))));
            }
            return CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new)).thenApply(v -> batches.stream()
                    .flatMap(b -> b.join().stream()).filter(o -> o == SpillOutcome.SPILLED).count());
        });
    }

    /**
     * The coldest of {@code keys} by access heat, in the proportion {@code batchSize / sampleSize} of the
     * sample (a short sample at the end of a SCAN cycle must not give up its warm keys), at least one.
     */
    private List<byte[]> coldest(int db, List<byte[]> keys) {
        List<KeyValue<byte[], Integer>> scored = new ArrayList<>(keys.size());
        for (byte[] k : keys) {
            scored.add(KeyValue.just(k, engine.heat(db, k)));
        }
        scored.sort(Comparator.comparing(KeyValue::getValue));
        int share = (int) Math.ceil((double) keys.size() * settings.batchSize() / settings.sampleSize());
        List<byte[]> coldest = new ArrayList<>();
        for (int i = 0; i < Math.min(share, scored.size()); i++) {
            coldest.add(scored.get(i).getKey());
        }
        return coldest;
    }

    /** INFO's "name:value" lines; by hand because a two-character split compiles a regex on every call. */
    private static Map<String, String> fields(String info) {
        Map<String, String> m = new HashMap<>();
        for (int start = 0; start < info.length(); ) {
            int end = info.indexOf("\r\n", start);
            if (end < 0) {
                end = info.length();
            }
            int colon = info.indexOf(':', start);
            if (colon > start && colon < end && info.charAt(start) != '#') {
                m.put(info.substring(start, colon), info.substring(colon + 1, end));
            }
            start = end + 2;
        }
        return m;
    }

    /** "db3:keys=10,expires=0,avg_ttl=0" lines into db → keys. */
    private static Map<Integer, Long> keyspace(String info) {
        Map<Integer, Long> m = new HashMap<>();
        fields(info).forEach((name, value) -> {
            if (name.startsWith("db")) {
                String keys = value.split(",")[0];
                m.put(Integer.parseInt(name.substring(2)), Long.parseLong(keys.substring(keys.indexOf('=') + 1)));
            }
        });
        return m;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
