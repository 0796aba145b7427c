package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.testing.TestValkey;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a process spilling, restoring, writing and deleting the same keys, at random moments, several
 * times over one store: afterwards every key reads as its last acknowledged write (or the one write in
 * flight at the kill), and no deleted key comes back.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KillNineTest {

    @TempDir
    Path dir;

    @Test
    void noAcknowledgedWriteIsLostAndNoDeletedKeyComesBack() throws Exception {
        try (TestValkey valkey = TestValkey.start("--maxmemory", "64mb", "--maxmemory-policy", "noeviction")) {
            Map<Integer, String> acked = new HashMap<>();
            for (int cycle = 0; cycle < 4; cycle++) {
                String[] inFlight = runAndKill(valkey.port(), dir.resolve("spill"), cycle, 700 + cycle * 400L, acked);
                assertThat(acked).as("the driver made progress in cycle %d", cycle).isNotEmpty();
                Map<Integer, String> actual = readAll(valkey, dir.resolve("spill"));
                for (int k = 0; k < CrashDriver.KEYS; k++) {
                    String expectedLast = acked.get(k);
                    if (inFlight != null && Integer.parseInt(inFlight[1]) == k) {
                        assertThat(actual.get(k)).as("key %d after cycle %d", k, cycle)
                                .isIn(expectedLast, inFlight[0].equals("SET") ? inFlight[2] : null);
                        acked.put(k, actual.get(k));
                    } else {
                        assertThat(actual.get(k)).as("key %d after cycle %d", k, cycle).isEqualTo(expectedLast);
                    }
                }
            }
        }
    }

    /**
     * Runs the driver for {@code millis}, kills it with SIGKILL, and folds its acknowledged operations into
     * {@code acked}; returns the operation in flight at the kill ({"SET", key, value} or {"DEL", key}), if any.
     */
    private static String[] runAndKill(int port, Path store, int cycle, long millis, Map<Integer, String> acked)
            throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path errors = store.resolveSibling("driver-" + cycle + ".err");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashDriver.class.getName(), Integer.toString(port),
                store.toString(), Integer.toString(cycle + 1)).redirectError(errors.toFile())
                .start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (java.io.IOException e) {
                // The stream ends with the process.
            }
        });
        reader.start();
        // Wait until the workload runs, then let it run a while before the kill.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            synchronized (lines) {
                if (lines.stream().filter("ACK"::equals).count() > 20) {
                    break;
                }
            }
            assertThat(p.isAlive()).as("driver alive; its stderr: %s", Files.readString(errors)).isTrue();
            assertThat(System.nanoTime()).as("driver started").isLessThan(deadline);
            Thread.sleep(20);
        }
        Thread.sleep(millis);
        // SIGKILL through the handle: Process.destroyForcibly() would also close our end of its stdout and
        // lose the acknowledgements still in the pipe.
        p.toHandle().destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(30_000);
        assertThat(reader.isAlive()).as("driver output read to the end").isFalse();
        String[] open = null;
        synchronized (lines) {
            for (String line : lines) {
                assertThat(line).as("driver output").doesNotStartWith("ERROR");
                if (line.startsWith("BEGIN ")) {
                    open = line.substring(6).split(" ");
                } else if (line.equals("ACK") && open != null) {
                    acked.put(Integer.parseInt(open[1]), open[0].equals("SET") ? open[2] : null);
                    open = null;
                }
            }
        }
        return open;
    }

    /** Every key as a client of a freshly started tier reads it. */
    private static Map<Integer, String> readAll(TestValkey valkey, Path store) {
        Map<Integer, String> values = new HashMap<>();
        try (SpillStore s = SpillStore.open(store, 0);
             SpillEngine engine = new SpillEngine(s, null, valkey.uri(), 8L << 20)) {
            await(engine.recoverPending());
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                RedisCommands<String, String> r = c.sync();
                for (int k = 0; k < CrashDriver.KEYS; k++) {
                    List<byte[]> key = List.of(CrashDriver.key(k));
                    await(engine.ensureResident(0, key));
                    values.put(k, r.get("k" + k));
                    engine.release(0, key);
                }
            } finally {
                client.shutdown();
            }
        }
        return values;
    }
}
