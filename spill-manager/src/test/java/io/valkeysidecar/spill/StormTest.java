package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten times Valkey's maxmemory of keys of every type, some with TTLs, written through the sidecar's
 * restore-then-forward path with the memory controller spilling, then read back: nothing lost, nothing
 * wrong, TTLs exact, and Valkey never evicted anything itself.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StormTest {

    static final int MAXMEMORY = 4 << 20;
    static final int KEYS = 10_500;
    static final int CHUNK = 100;
    static final String[] TYPES = {"string", "hash", "list", "set", "zset", "stream"};

    @TempDir
    Path dir;

    /** Deterministic content of key i: type, ten members (about 4 KB in all), and its expiry (0 = none). */
    record Spec(String key, String type, List<String> parts, long expireAt) {
    }

    static Spec spec(int i, long ttlBase) {
        SplittableRandom rnd = new SplittableRandom(i);
        List<String> parts = new ArrayList<>();
        for (int p = 0; p < 10; p++) {
            StringBuilder s = new StringBuilder(p + ":");
            // 400 bytes: beyond the listpack limits, so hashes, sets and zsets take their large encodings.
            for (int c = 0; c < 400; c++) {
                s.append((char) ('a' + rnd.nextInt(26)));
            }
            parts.add(s.toString());
        }
        return new Spec("key:" + i, TYPES[i % TYPES.length], parts, i % 7 == 0 ? ttlBase + i : 0);
    }

    static RedisFuture<?> write(RedisAsyncCommands<String, String> a, Spec s) {
        List<String> p = s.parts();
        switch (s.type()) {
            case "string":
                return a.set(s.key(), String.join("", p));
            case "hash": {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < p.size(); i++) {
                    m.put("f" + i, p.get(i));
                }
                return a.hset(s.key(), m);
            }
            case "list":
                return a.rpush(s.key(), p.toArray(String[]::new));
            case "set":
                return a.sadd(s.key(), p.toArray(String[]::new));
            case "zset": {
                List<ScoredValue<String>> v = new ArrayList<>();
                for (int i = 0; i < p.size(); i++) {
                    v.add(ScoredValue.just(i * 0.5, p.get(i)));
                }
                @SuppressWarnings("unchecked")
                ScoredValue<String>[] arr = v.toArray(ScoredValue[]::new);
                return a.zadd(s.key(), arr);
            }
            default: {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = 0; i < p.size(); i++) {
                    m.put("f" + i, p.get(i));
                }
                return a.xadd(s.key(), new io.lettuce.core.XAddArgs().id("1-1"), m);
            }
        }
    }

    /** What a client reads back, in the same canonical form as {@link #expected}. */
    static CompletableFuture<String> read(RedisAsyncCommands<String, String> a, Spec s) {
        CompletableFuture<String> content;
        switch (s.type()) {
            case "string":
                content = a.get(s.key()).toCompletableFuture();
                break;
            case "hash":
                content = a.hgetall(s.key()).toCompletableFuture().thenApply(m -> new TreeMap<>(m).toString());
                break;
            case "list":
                content = a.lrange(s.key(), 0, -1).toCompletableFuture().thenApply(Object::toString);
                break;
            case "set":
                content = a.smembers(s.key()).toCompletableFuture().thenApply(m -> new TreeSet<>(m).toString());
                break;
            case "zset":
                content = a.zrangeWithScores(s.key(), 0, -1).toCompletableFuture().thenApply(l -> {
                    StringBuilder b = new StringBuilder();
                    l.forEach(v -> b.append(v.getScore()).append('=').append(v.getValue()).append(','));
                    return b.toString();
                });
                break;
            default:
                content = a.xrange(s.key(), Range.create("-", "+")).toCompletableFuture().thenApply(l -> {
                    StringBuilder b = new StringBuilder();
                    for (StreamMessage<String, String> m : l) {
                        b.append(m.getId()).append(new TreeMap<>(m.getBody()));
                    }
                    return b.toString();
                });
        }
        CompletableFuture<Long> expiry = a.pexpiretime(s.key()).toCompletableFuture();
        CompletableFuture<String> type = a.type(s.key()).toCompletableFuture();
        return content.thenCombine(expiry, (c, e) -> c + "|" + e).thenCombine(type, (c, t) -> t + "|" + c);
    }

    static String expected(Spec s) {
        List<String> p = s.parts();
        String c;
        switch (s.type()) {
            case "string":
                c = String.join("", p);
                break;
            case "hash":
            case "stream": {
                Map<String, String> m = new TreeMap<>();
                for (int i = 0; i < p.size(); i++) {
                    m.put("f" + i, p.get(i));
                }
                c = s.type().equals("hash") ? m.toString() : "1-1" + m;
                break;
            }
            case "list":
                c = p.toString();
                break;
            case "set":
                c = new TreeSet<>(p).toString();
                break;
            default: {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < p.size(); i++) {
                    b.append(i * 0.5).append('=').append(p.get(i)).append(',');
                }
                c = b.toString();
            }
        }
        return s.type() + "|" + c + "|" + (s.expireAt() == 0 ? -1 : s.expireAt());
    }

    /** Runs {@code op} for a chunk of keys as the proxy would (restore, pin, forward, release); OOM: relieve, retry. */
    static <T> List<T> throughSidecar(SpillEngine engine, MemoryController controller, List<Spec> chunk,
                                      Function<Spec, CompletableFuture<T>> op) {
        List<byte[]> keys = chunk.stream().map(s -> b(s.key())).toList();
        await(engine.ensureResident(0, keys));
        try {
            List<T> results = new ArrayList<>();
            for (Spec s : chunk) {
                results.add(null);
            }
            List<Integer> todo = new ArrayList<>();
            for (int i = 0; i < chunk.size(); i++) {
                todo.add(i);
            }
            for (int attempt = 0; !todo.isEmpty(); attempt++) {
                assertThat(attempt).as("retries after OOM").isLessThan(200);
                List<CompletableFuture<T>> running = new ArrayList<>();
                for (int i : todo) {
                    running.add(op.apply(chunk.get(i)));
                }
                List<Integer> again = new ArrayList<>();
                for (int j = 0; j < todo.size(); j++) {
                    try {
                        results.set(todo.get(j), running.get(j).get(30, TimeUnit.SECONDS));
                    } catch (Exception e) {
                        Throwable cause = SpillEngine.unwrap(e);
                        if (!(cause instanceof RedisCommandExecutionException) || !cause.getMessage().startsWith("OOM")) {
                            throw new AssertionError(e);
                        }
                        again.add(todo.get(j));
                    }
                }
                if (!again.isEmpty()) {
                    await(controller.relieve());
                }
                todo = again;
            }
            return results;
        } finally {
            engine.release(0, keys);
        }
    }

    @Test
    void tenTimesMaxmemoryOfEveryTypeComesBackIntact() {
        long ttlBase = System.currentTimeMillis() + 3_600_000;
        try (SpillFixture f = new SpillFixture(dir, "--maxmemory", Integer.toString(MAXMEMORY),
                "--maxmemory-policy", "noeviction");
             MemoryController controller = new MemoryController(f.engine,
                     new MemoryController.Settings(0.80, 0.60, 0, 128, 64, 4, 20))) {
            controller.start();
            StatefulRedisConnection<String, String> conn = f.client.connect();
            RedisAsyncCommands<String, String> a = conn.async();
            long logical = 0;
            for (int from = 0; from < KEYS; from += CHUNK) {
                List<Spec> chunk = new ArrayList<>();
                for (int i = from; i < Math.min(KEYS, from + CHUNK); i++) {
                    chunk.add(spec(i, ttlBase));
                    logical += chunk.get(chunk.size() - 1).parts().stream().mapToLong(String::length).sum();
                }
                throughSidecar(f.engine, controller, chunk, s -> write(a, s).toCompletableFuture()
                        .thenCompose(x -> s.expireAt() == 0 ? CompletableFuture.completedFuture(true)
                                : a.pexpireat(s.key(), s.expireAt()).toCompletableFuture()));
            }
            assertThat(logical).as("data written").isGreaterThan(9L * MAXMEMORY);
            assertThat(f.engine.stats().spilled()).as("most keys live on disk").isGreaterThan(KEYS * 7L / 10);

            for (int from = 0; from < KEYS; from += CHUNK) {
                List<Spec> chunk = new ArrayList<>();
                for (int i = from; i < Math.min(KEYS, from + CHUNK); i++) {
                    chunk.add(spec(i, ttlBase));
                }
                List<String> got = throughSidecar(f.engine, controller, chunk, s -> read(a, s));
                for (int i = 0; i < chunk.size(); i++) {
                    assertThat(got.get(i)).as(chunk.get(i).key()).isEqualTo(expected(chunk.get(i)));
                }
            }
            Map<String, String> stats = new TreeMap<>();
            for (String line : f.redis.info("stats").split("\r\n")) {
                if (line.contains(":")) {
                    stats.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1));
                }
            }
            assertThat(stats.get("evicted_keys")).isEqualTo("0");
            assertThat(f.engine.stats().unrecoverableEvictions()).isZero();
            assertThat(f.engine.stats().restored()).isGreaterThan(KEYS / 2);
            assertThat(f.redis.dbsize() + f.store.keyCount()).isGreaterThanOrEqualTo(KEYS);
            conn.close();
        }
    }
}
