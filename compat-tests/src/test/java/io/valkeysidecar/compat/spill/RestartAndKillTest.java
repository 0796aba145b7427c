package io.valkeysidecar.compat.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.compat.RawRespClient;
import io.valkeysidecar.spill.Dataset;
import io.valkeysidecar.spill.Dataset.Spec;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.testing.TestValkey;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store outlives the sidecar: after a clean restart every spilled key is served with its TTL, and after a
 * {@code kill -9} of the sidecar process in the middle of writes, spills and restores, every acknowledged
 * write is readable with its last acknowledged value and no acknowledged delete is undone.
 */
class RestartAndKillTest {

    static final int KEYS = 1500;
    static final int WRITERS = 2;
    static final String DELETED = "<deleted>";

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void spilledKeysOfEveryTypeAreServedAfterARestartWithTheirTtls() throws Exception {
        long expireAt = System.currentTimeMillis() + 3_600_000;
        List<Spec> specs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            specs.add(Dataset.spec("r:", i, i % 3 == 0 ? expireAt + i : 0));
        }
        try (SpillSidecar s = SpillSidecar.start(64L << 20, Map.of())) {
            try (StatefulRedisConnection<String, String> c = s.connect()) {
                for (Spec spec : specs) {
                    Dataset.write(c.async(), spec).get(10, TimeUnit.SECONDS);
                }
                String[] keys = specs.stream().map(Spec::key).toArray(String[]::new);
                assertThat(SpillSidecar.evict(c.sync(), keys)).isEqualTo(specs.size());
                assertThat(c.sync().del("r:1", "r:2")).isEqualTo(2);
            }
            s.restartSidecar();
            try (StatefulRedisConnection<String, String> c = s.connect()) {
                for (Spec spec : specs) {
                    boolean deleted = spec.key().equals("r:1") || spec.key().equals("r:2");
                    assertThat(Dataset.read(c.async(), spec).get(10, TimeUnit.SECONDS)).as(spec.key())
                            .isEqualTo(deleted ? Dataset.gone(spec) : Dataset.expected(spec));
                }
                assertThat(c.sync().dbsize()).isEqualTo(specs.size() - 2);
            }
        }
    }

    /**
     * A sidecar started while Valkey is down cannot know key positions until it has loaded Valkey's command
     * table: until then it answers -LOADING rather than a nil for a spilled key (or a DEL that misses it).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aSidecarStartedBeforeValkeyNeverAnswersASpilledKeyWithoutItsPosition() throws Exception {
        int port = ValkeyProcess.freePort();
        Path dataDir = Files.createTempDirectory("spill-late-valkey-");
        List<String> config = List.of("--save", "", "--appendonly", "no", "--maxmemory", "64mb",
                "--maxmemory-policy", "noeviction");
        try (ValkeyProcess first = ValkeyProcess.startOnPort("valkey-server", dataDir.resolve("v1"), port, config,
                Duration.ofSeconds(20))) {
            SidecarServer sidecar = SpillSidecar.sidecar(port, dataDir, Map.of());
            try (RawRespClient c = new RawRespClient("127.0.0.1", sidecar.port())) {
                assertThat(c.call("SET", "k", "v")).isEqualTo("+OK\r\n");
                assertThat(c.call("EVICT", "k")).isEqualTo(":1\r\n");
            } finally {
                sidecar.close();
            }
        }
        SidecarServer sidecar = SpillSidecar.sidecar(port, dataDir, Map.of());
        try (ValkeyProcess second = ValkeyProcess.startOnPort("valkey-server", dataDir.resolve("v2"), port, config,
                Duration.ofSeconds(20))) {
            List<String> replies = new ArrayList<>();
            String reply = "";
            for (int i = 0; i < 200 && !reply.equals("$1\r\nv\r\n"); i++) {
                try (RawRespClient c = new RawRespClient("127.0.0.1", sidecar.port())) {
                    reply = c.call("GET", "k");
                    replies.add(reply);
                }
                Thread.sleep(25);
            }
            assertThat(replies).as("GET of a spilled key while the sidecar learns Valkey's command table")
                    .allMatch(r -> r.equals("$1\r\nv\r\n") || r.startsWith("-LOADING")
                            || r.startsWith("-ERR valkey-sidecar: Valkey is unavailable"))
                    .last().isEqualTo("$1\r\nv\r\n");
        } finally {
            sidecar.close();
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void killNineDuringWritesSpillsAndRestoresLosesNoAcknowledgedWrite() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Path dataDir = Files.createTempDirectory("spill-kill9-");
        Path log = dataDir.resolve("sidecar.log");
        AtomicReferenceArray<String> acked = new AtomicReferenceArray<>(KEYS);
        AtomicReferenceArray<String> inflight = new AtomicReferenceArray<>(KEYS);
        try (TestValkey valkey = TestValkey.start("--maxmemory", Long.toString(8L << 20),
                "--maxmemory-policy", "noeviction")) {
            for (int cycle = 0; cycle < 2; cycle++) {
                AtomicLong spilled = new AtomicLong();
                AtomicLong acks = new AtomicLong();
                try (SidecarProcess sidecar = SidecarProcess.start(valkey.port(), dataDir, log,
                        "--spill-high-watermark", "0.5", "--spill-low-watermark", "0.3")) {
                    RedisClient client = client(sidecar.port);
                    try {
                        AtomicBoolean stop = new AtomicBoolean();
                        List<CompletableFuture<Void>> workers = new ArrayList<>();
                        for (int w = 0; w < WRITERS; w++) {
                            int writer = w;
                            int c = cycle;
                            workers.add(CompletableFuture.runAsync(
                                    () -> write(client, writer, c, acked, inflight, acks, stop)));
                        }
                        workers.add(CompletableFuture.runAsync(() -> churn(client, spilled, stop)));
                        long killAfter = 1000 + random.nextInt(2000);
                        Thread.sleep(killAfter);
                        long pid = sidecar.pid();
                        sidecar.kill9();
                        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid).isEmpty();
                        stop.set(true);
                        CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                        assertThat(acks.get()).as("writes acknowledged before the kill (seed " + seed + ")")
                                .isGreaterThan(100);
                        assertThat(spilled.get()).as("keys spilled by EVICT before the kill").isGreaterThan(0);
                    } finally {
                        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
                    }
                }
                try (SidecarProcess again = SidecarProcess.start(valkey.port(), dataDir, log)) {
                    RedisClient client = client(again.port);
                    try (StatefulRedisConnection<String, String> c = client.connect()) {
                        verify(c.sync(), acked, inflight, "cycle " + cycle + ", seed " + seed);
                    } finally {
                        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
                    }
                }
                for (int i = 0; i < KEYS; i++) {
                    inflight.set(i, null);
                }
            }
            assertThat(SpillSidecar.field(infoStats(valkey), "evicted_keys")).isEqualTo("0");
        }
    }

    private static String infoStats(TestValkey valkey) throws Exception {
        try (RawRespClient d = new RawRespClient(valkey.host(), valkey.port())) {
            return d.call("INFO", "stats");
        }
    }

    private static RedisClient client(int port) {
        RedisClient client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(port)
                .withTimeout(Duration.ofSeconds(10)).build());
        client.setOptions(ClientOptions.builder().autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        return client;
    }

    /**
     * Writer w owns the keys i with i % WRITERS == w and writes them one at a time: the state it sends is
     * in flight until acknowledged; the connection dying with the sidecar ends the writer.
     */
    private static void write(RedisClient client, int w, int cycle, AtomicReferenceArray<String> acked,
                              AtomicReferenceArray<String> inflight, AtomicLong acks, AtomicBoolean stop) {
        String pad = "x".repeat(4000);
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisCommands<String, String> c = conn.sync();
            for (long n = 0; !stop.get(); n++) {
                int i = ThreadLocalRandom.current().nextInt(KEYS / WRITERS) * WRITERS + w;
                boolean delete = ThreadLocalRandom.current().nextInt(10) == 0;
                String state = delete ? DELETED : "c" + cycle + ":w" + w + ":n" + n + ":" + pad;
                inflight.set(i, state);
                if (delete) {
                    c.del("kill:" + i);
                } else {
                    c.set("kill:" + i, state);
                }
                acked.set(i, state);
                inflight.set(i, null);
                acks.incrementAndGet();
            }
        } catch (RuntimeException e) {
            // The sidecar was killed: whatever was in flight may or may not have happened.
        }
    }

    /** EVICTs random keys and SPILL.RESTOREs others until the sidecar dies. */
    private static void churn(RedisClient client, AtomicLong spilled, AtomicBoolean stop) {
        try (StatefulRedisConnection<String, String> conn = client.connect()) {
            RedisCommands<String, String> c = conn.sync();
            while (!stop.get()) {
                String[] keys = new String[20];
                for (int j = 0; j < keys.length; j++) {
                    keys[j] = "kill:" + ThreadLocalRandom.current().nextInt(KEYS);
                }
                spilled.addAndGet(SpillSidecar.evict(c, keys));
                for (int j = 0; j < 5; j++) {
                    SpillSidecar.restore(c, "kill:" + ThreadLocalRandom.current().nextInt(KEYS));
                }
            }
        } catch (RuntimeException e) {
            // The sidecar was killed.
        }
    }

    private static void verify(RedisCommands<String, String> c, AtomicReferenceArray<String> acked,
                               AtomicReferenceArray<String> inflight, String context) {
        List<String> wrong = new ArrayList<>();
        Set<String> present = new HashSet<>();
        for (int i = 0; i < KEYS; i++) {
            String key = "kill:" + i;
            String got = c.get(key);
            String last = acked.get(i);
            String pending = inflight.get(i);
            String want = last == null || last.equals(DELETED) ? null : last;
            String alsoOk = pending == null ? want : pending.equals(DELETED) ? null : pending;
            if (!java.util.Objects.equals(got, want) && !java.util.Objects.equals(got, alsoOk)) {
                wrong.add(key + ": got " + prefix(got) + ", acknowledged " + prefix(last) + ", in flight "
                        + prefix(pending));
            } else if (pending != null && !java.util.Objects.equals(got, want)) {
                // The write in flight at the kill happened: it is the state the next cycle must find.
                acked.set(i, pending);
            }
            if (got != null) {
                present.add(key);
            }
        }
        assertThat(wrong).as("after kill -9 (" + context + ")").isEmpty();
        assertThat(new HashSet<>(c.keys("kill:*"))).as("KEYS after kill -9 (" + context + ")").isEqualTo(present);
        assertThat(c.dbsize()).as("DBSIZE after kill -9 (" + context + ")").isEqualTo(present.size());
    }

    private static String prefix(String v) {
        return v == null ? "nil" : v.substring(0, Math.min(v.length(), 24));
    }
}
