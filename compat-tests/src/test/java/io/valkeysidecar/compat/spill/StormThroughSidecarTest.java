package io.valkeysidecar.compat.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.valkeysidecar.compat.RawRespClient;
import io.valkeysidecar.spill.Dataset;
import io.valkeysidecar.spill.Dataset.Spec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ten times Valkey's maxmemory of keys of every type, some with TTLs, written by ordinary clients through the
 * sidecar (its memory controller spills on its own, with the CLI's default watermarks), then read back through
 * the sidecar: nothing lost, nothing wrong, TTLs exact to the millisecond, keys whose TTL passed are gone, no
 * write was refused with -OOM, and Valkey never evicted anything itself.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class StormThroughSidecarTest {

    static final long MAXMEMORY = 8L << 20;
    static final int KEYS = 21_000;
    static final int CHUNK = 100;
    static final int WRITERS = 2;

    @Test
    void tenTimesMaxmemoryOfEveryTypeComesBackIntactThroughTheSidecar() throws Exception {
        long now = System.currentTimeMillis();
        long longTtlBase = now + 3_600_000;
        long shortTtl = now + 1_500;
        List<Spec> specs = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            long expireAt = i % 7 == 0 ? longTtlBase + i : i % 53 == 1 ? shortTtl : 0;
            specs.add(Dataset.spec("storm:", i, expireAt));
        }
        try (SpillSidecar s = SpillSidecar.start(MAXMEMORY, Map.of())) {
            ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(CompletableFuture.runAsync(() -> writeShare(s, specs, writer, refused)));
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(100, TimeUnit.SECONDS);
            assertThat(refused).as("writes refused with -OOM through the sidecar").isEmpty();
            long logical = specs.stream().mapToLong(Spec::logicalBytes).sum();
            assertThat(logical).as("data written").isGreaterThan(9 * MAXMEMORY);

            try (RawRespClient raw = s.raw()) {
                String info = raw.call("INFO", "spill");
                assertThat(Long.parseLong(SpillSidecar.field(info, "keys_spilled")))
                        .as("most keys were spilled by the memory controller").isGreaterThan(KEYS * 7L / 10);
            }
            assertThat(System.currentTimeMillis()).as("short TTLs have passed").isGreaterThan(shortTtl);

            List<String> wrong = new ArrayList<>();
            try (StatefulRedisConnection<String, String> c = s.connect()) {
                RedisAsyncCommands<String, String> a = c.async();
                for (int from = 0; from < KEYS; from += CHUNK) {
                    List<CompletableFuture<String>> reads = new ArrayList<>();
                    for (int i = from; i < Math.min(KEYS, from + CHUNK); i++) {
                        reads.add(Dataset.read(a, specs.get(i)));
                    }
                    for (int j = 0; j < reads.size(); j++) {
                        Spec spec = specs.get(from + j);
                        String want = spec.expireAt() == shortTtl ? Dataset.gone(spec) : Dataset.expected(spec);
                        String got = reads.get(j).get(30, TimeUnit.SECONDS);
                        if (!want.equals(got)) {
                            wrong.add(spec.key() + ": " + abbreviate(got));
                        }
                    }
                }
            }
            assertThat(wrong).as("keys lost or wrong after the storm").isEmpty();
            assertThat(s.valkeyInfo("stats", "evicted_keys")).isEqualTo("0");
            try (RawRespClient raw = s.raw()) {
                String info = raw.call("INFO", "spill");
                assertThat(SpillSidecar.field(info, "unrecoverable_evictions")).isEqualTo("0");
                assertThat(Long.parseLong(SpillSidecar.field(info, "keys_restored")))
                        .as("reads restored spilled keys").isGreaterThan(KEYS / 2);
            }
        }
    }

    /** Writer w writes every WRITERS-th chunk, pipelined; keys answered -OOM are recorded, not retried. */
    private static void writeShare(SpillSidecar s, List<Spec> specs, int w, ConcurrentLinkedQueue<String> refused) {
        try (StatefulRedisConnection<String, String> c = s.connect()) {
            RedisAsyncCommands<String, String> a = c.async();
            for (int from = w * CHUNK; from < specs.size(); from += WRITERS * CHUNK) {
                List<CompletableFuture<?>> writes = new ArrayList<>();
                for (int i = from; i < Math.min(specs.size(), from + CHUNK); i++) {
                    writes.add(Dataset.write(a, specs.get(i)));
                }
                for (int j = 0; j < writes.size(); j++) {
                    try {
                        writes.get(j).get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        refused.add(specs.get(from + j).key() + ": " + e.getCause().getMessage());
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String s) {
        return s == null || s.length() < 120 ? s : s.substring(0, 60) + "..." + s.substring(s.length() - 40);
    }
}
