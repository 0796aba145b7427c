package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.spill.Dataset.Spec;

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

    @TempDir
    Path dir;

    /** Key i of the storm: every seventh one expires, at {@code ttlBase + i}. */
    private static Spec spec(int i, long ttlBase) {
        return Dataset.spec("key:", i, i % 7 == 0 ? ttlBase + i : 0);
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
                    logical += chunk.get(chunk.size() - 1).logicalBytes();
                }
                throughSidecar(f.engine, controller, chunk, s -> Dataset.write(a, s));
            }
            assertThat(logical).as("data written").isGreaterThan(9L * MAXMEMORY);
            assertThat(f.engine.stats().spilled()).as("most keys live on disk").isGreaterThan(KEYS * 7L / 10);

            for (int from = 0; from < KEYS; from += CHUNK) {
                List<Spec> chunk = new ArrayList<>();
                for (int i = from; i < Math.min(KEYS, from + CHUNK); i++) {
                    chunk.add(spec(i, ttlBase));
                }
                List<String> got = throughSidecar(f.engine, controller, chunk, s -> Dataset.read(a, s));
                for (int i = 0; i < chunk.size(); i++) {
                    assertThat(got.get(i)).as(chunk.get(i).key()).isEqualTo(Dataset.expected(chunk.get(i)));
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
