package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.testing.TestValkey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The assembled tier: sweeper, memory controller, eviction alarm, restarts. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SpillManagerTest {

    @TempDir
    Path dir;

    static SpillConfig config(Path dir, MemoryController.Settings memory) {
        return new SpillConfig(dir, 0, 8L << 20, memory, 100);
    }

    static void waitFor(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void theSweeperRemovesExpiredEntriesOnItsOwn() throws Exception {
        try (TestValkey valkey = TestValkey.start("--maxmemory", "64mb", "--maxmemory-policy", "noeviction");
             SpillManager m = SpillManager.start(config(dir, MemoryController.Settings.defaults()), null,
                     valkey.uri())) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                c.sync().psetex("short", 1500, "v");
                c.sync().set("long", "v");
                assertThat(await(m.engine().spill(0, List.of(b("short"), b("long")))))
                        .containsOnly(SpillOutcome.SPILLED);
                waitFor("the sweep", () -> m.store().keyCount() == 1);
                assertThat(m.store().get(0, b("long"))).isNotNull();
                assertThat(m.engine().stats().cleaned()).isEqualTo(1);
            } finally {
                client.shutdown();
            }
        }
    }

    /** The controller ranks by the sidecar's own record of accesses: keys clients keep reading stay resident. */
    @Test
    void keysClientsKeepReadingStayResident() throws Exception {
        try (TestValkey valkey = TestValkey.start("--maxmemory", "8mb", "--maxmemory-policy", "noeviction");
             SpillManager m = SpillManager.start(config(dir, new MemoryController.Settings(0.6, 0.4, 0, 512, 64, 4,
                     20)), null, valkey.uri())) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                String value = "z".repeat(1000);
                List<byte[]> hot = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    c.sync().set("hot" + i, value);
                    hot.add(b("hot" + i));
                }
                // Written well under maxmemory even if nothing were spilled, so the controller alone decides.
                for (int batch = 0; batch < 40; batch++) {
                    for (int i = 0; i < 100; i++) {
                        c.async().set("cold" + (batch * 100 + i), value);
                    }
                    c.sync().ping();
                    await(m.engine().ensureResident(0, hot));
                    m.engine().release(0, hot);
                }
                waitFor("spilling down to the low watermark", () -> m.store().keyCount() > 1000
                        && m.controller().usedMemory() < 0.6 * m.controller().limit());
                for (int i = 0; i < 100; i++) {
                    assertThat(c.sync().exists("hot" + i)).as("hot%d resident", i).isEqualTo(1);
                }
            } finally {
                client.shutdown();
            }
        }
    }

    /** Valkey evicting on its own means lost data: the controller counts every such key. */
    @Test
    void valkeysOwnEvictionsAreCounted() throws Exception {
        try (TestValkey valkey = TestValkey.start("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-random");
             // Watermarks at the very top: the controller never spills, so Valkey has to evict.
             SpillManager m = SpillManager.start(config(dir, new MemoryController.Settings(1.0, 0.99, 0, 16, 8, 1,
                     20)), null, valkey.uri())) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                waitFor("a first memory sample", () -> m.controller().limit() > 0);
                String value = "x".repeat(2000);
                for (int i = 0; i < 5000; i++) {
                    c.async().set("k" + i, value + i);
                }
                c.sync().ping();
                long evicted = Long.parseLong(c.sync().info("stats").lines()
                        .filter(l -> l.startsWith("evicted_keys:")).findFirst().orElseThrow().substring(13).trim());
                assertThat(evicted).isPositive();
                // At least every eviction seen so far: Valkey goes on evicting while over maxmemory (any command,
                // the controller's own INFO included, makes it evict), so the count may grow past this snapshot.
                waitFor("the eviction count", () -> m.engine().stats().unrecoverableEvictions() >= evicted);
            } finally {
                client.shutdown();
            }
        }
    }

    /** A write refused with -OOM gets room after relieveMemory(), which spills the coldest keys. */
    @Test
    void relievingMemoryMakesRoomForARefusedWrite() throws Exception {
        try (TestValkey valkey = TestValkey.start("--maxmemory", "4mb", "--maxmemory-policy", "noeviction");
             SpillManager m = SpillManager.start(config(dir, new MemoryController.Settings(0.99, 0.6, 0, 128, 64, 2,
                     60_000)), null, valkey.uri())) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                RedisCommands<String, String> r = c.sync();
                String value = "y".repeat(4000);
                int written = 0;
                boolean refused = false;
                while (!refused) {
                    try {
                        r.set("k" + written, value);
                        written++;
                    } catch (io.lettuce.core.RedisCommandExecutionException e) {
                        assertThat(e.getMessage()).startsWith("OOM");
                        refused = true;
                    }
                }
                assertThat(written).isGreaterThan(100);
                await(m.engine().relieveMemory());
                assertThat(r.set("k" + written, value)).isEqualTo("OK");
                assertThat(m.engine().stats().spilled()).isPositive();
                assertThat(m.engine().stats().unrecoverableEvictions()).isZero();
                // Everything written is still there, in one tier or the other.
                List<byte[]> all = new ArrayList<>();
                for (int i = 0; i <= written; i++) {
                    all.add(b("k" + i));
                }
                assertThat(r.dbsize() + m.store().keyCount()).isEqualTo(written + 1L);
                await(m.engine().ensureResident(0, all.subList(0, 10)));
                m.engine().release(0, all.subList(0, 10));
                assertThat(r.get("k0")).isEqualTo(value);
            } finally {
                client.shutdown();
            }
        }
    }

    /** Spilled keys of every database survive a restart of the sidecar, and come back on demand. */
    @Test
    void spilledKeysSurviveARestart() throws Exception {
        try (TestValkey valkey = TestValkey.start("--maxmemory", "64mb", "--maxmemory-policy", "noeviction")) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                RedisCommands<String, String> r = c.sync();
                long expireAt = System.currentTimeMillis() + 3_600_000 + 7;
                List<byte[]> keys = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    r.hset("h" + i, "f", "v" + i);
                    keys.add(b("h" + i));
                }
                r.pexpireat("h7", expireAt);
                try (SpillManager m = SpillManager.start(config(dir, MemoryController.Settings.defaults()), null,
                        valkey.uri())) {
                    assertThat(await(m.engine().spill(0, keys))).containsOnly(SpillOutcome.SPILLED);
                }
                assertThat(r.dbsize()).isZero();
                try (SpillManager m = SpillManager.start(config(dir, MemoryController.Settings.defaults()), null,
                        valkey.uri())) {
                    assertThat(m.engine().spilledCount(0)).isEqualTo(500);
                    await(m.engine().ensureResident(0, keys));
                    m.engine().release(0, keys);
                    for (int i = 0; i < 500; i++) {
                        assertThat(r.hget("h" + i, "f")).isEqualTo("v" + i);
                    }
                    assertThat(r.pexpiretime("h7")).isEqualTo(expireAt);
                    assertThat(m.store().keyCount()).isZero();
                }
            } finally {
                client.shutdown();
            }
        }
    }
}
