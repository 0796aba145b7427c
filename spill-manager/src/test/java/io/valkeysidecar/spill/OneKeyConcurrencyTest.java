package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.api.StatefulRedisConnection;
import io.valkeysidecar.testing.Await;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Spills, restores, reads and deletes of one key, all at once: serialised, never losing or resurrecting it. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OneKeyConcurrencyTest {

    @TempDir
    Path dir;
    SpillFixture f;
    ExecutorService pool;
    List<StatefulRedisConnection<String, String>> connections = new ArrayList<>();

    @BeforeEach
    void start() {
        f = new SpillFixture(dir, "--maxmemory", "64mb", "--maxmemory-policy", "noeviction");
        pool = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
        connections.forEach(StatefulRedisConnection::close);
        f.close();
    }

    /** A reader as the proxy serves it: restore and pin, GET on its own connection, release. */
    Callable<String> reader() {
        StatefulRedisConnection<String, String> c = f.client.connect();
        connections.add(c);
        List<byte[]> keys = List.of(b("k"));
        return () -> {
            await(f.engine.ensureResident(0, keys));
            try {
                return c.sync().get("k");
            } finally {
                f.engine.release(0, keys);
            }
        };
    }

    @Test
    void concurrentSpillRestoreAndReadNeverLoseTheValue() throws Exception {
        List<Callable<String>> readers = List.of(reader(), reader(), reader(), reader());
        for (int round = 0; round < 150; round++) {
            String value = "v" + round;
            f.throughSidecar("k", k -> f.redis.set(k, value));
            List<Future<?>> ops = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ops.add(pool.submit(() -> await(f.engine.spill(0, List.of(b("k"))))));
                ops.add(pool.submit(readers.get(i)));
                if (i % 2 == 0) {
                    ops.add(pool.submit(() -> await(f.engine.restore(0, b("k")))));
                }
            }
            for (Future<?> op : ops) {
                Object result = op.get(30, TimeUnit.SECONDS);
                if (result instanceof String s) {
                    assertThat(s).as("a read in round %d", round).isEqualTo(value);
                }
            }
            assertThat(f.getThroughSidecar("k")).isEqualTo(value);
            // A restore lets the command go on once Valkey holds the key; the disk copy goes right after.
            Await.until(() -> f.store.get(0, b("k")) == null);
        }
        assertThat(f.engine.stats().spilled()).isPositive();
        assertThat(f.engine.stats().restored()).isPositive();
        assertThat(f.engine.busyKeys()).isZero();
    }

    @Test
    void aDeleteRacingSpillsAndRestoresIsFinal() throws Exception {
        List<Callable<String>> readers = List.of(reader(), reader());
        for (int round = 0; round < 100; round++) {
            String value = "v" + round;
            f.throughSidecar("k", k -> f.redis.set(k, value));
            if (round % 2 == 0) {
                f.spill("k");
            }
            List<Future<?>> ops = new ArrayList<>();
            ops.add(pool.submit(() -> await(f.engine.spill(0, List.of(b("k"))))));
            ops.add(pool.submit(readers.get(0)));
            ops.add(pool.submit(() -> {
                List<byte[]> keys = List.of(b("k"));
                long onDisk = await(f.engine.deleteSpilled(0, keys));
                try (StatefulRedisConnection<String, String> c = f.client.connect()) {
                    return onDisk + c.sync().del("k");
                } finally {
                    f.engine.release(0, keys);
                }
            }));
            ops.add(pool.submit(() -> await(f.engine.restore(0, b("k")))));
            ops.add(pool.submit(readers.get(1)));
            ops.add(pool.submit(() -> await(f.engine.spill(0, List.of(b("k"))))));
            for (Future<?> op : ops) {
                Object result = op.get(30, TimeUnit.SECONDS);
                if (result instanceof String s) {
                    assertThat(s).isEqualTo(value);
                }
                if (result instanceof Long deleted) {
                    assertThat(deleted).as("DEL counts the key exactly once in round %d", round).isEqualTo(1L);
                }
            }
            assertThat(f.getThroughSidecar("k")).as("round %d", round).isNull();
            assertThat(f.store.keyCount()).isZero();
        }
        f.restart();
        assertThat(f.getThroughSidecar("k")).isNull();
    }
}
