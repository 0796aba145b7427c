package io.valkeysidecar.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.valkeysidecar.testing.Await;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real valkey-server process (killed and restarted on the same port to test recovery). */
class KeyspaceListenerTest {

    @TempDir
    static Path dir;
    static ClientResources resources;

    @BeforeAll
    static void resources() {
        resources = DefaultClientResources.create();
    }

    @AfterAll
    static void shutdown() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    private static final class Recorder implements KeyspaceEventHandler {
        final List<KeyspaceEvent> events = new CopyOnWriteArrayList<>();
        final AtomicInteger resyncs = new AtomicInteger();

        @Override
        public boolean wants(KeyspaceEvent event) {
            return !new String(event.key(), StandardCharsets.UTF_8).startsWith("unwanted");
        }

        @Override
        public void onEvent(KeyspaceEvent event) {
            events.add(event);
        }

        @Override
        public void onResync() {
            resyncs.incrementAndGet();
        }

        boolean saw(int db, String event, String key) {
            return events.stream().anyMatch(e -> e.db() == db && e.event().equals(event)
                    && new String(e.key(), StandardCharsets.UTF_8).equals(key));
        }
    }

    @Test
    void keepsTheOperatorsFlagsAndDeliversWritesExpiriesAndEvictions() throws Exception {
        try (ValkeyProcess valkey = ValkeyProcess.start("valkey-server", dir.resolve("a"),
                List.of("--save", "", "--notify-keyspace-events", "Kl", "--maxmemory", "4mb",
                        "--maxmemory-policy", "allkeys-random"), Duration.ofSeconds(20))) {
            RedisURI uri = RedisURI.create(valkey.host(), valkey.port());
            Recorder recorder = new Recorder();
            try (KeyspaceListener listener = new KeyspaceListener(resources, uri, "EA", List.of(recorder), 10_000);
                 RedisClient client = RedisClient.create(resources, uri);
                 StatefulRedisConnection<String, String> c = client.connect()) {
                listener.start();
                RedisCommands<String, String> cmd = c.sync();
                String flags = cmd.configGet("notify-keyspace-events").get("notify-keyspace-events");
                assertThat(NotifyFlags.covers(flags, "Kl")).as("operator's flags kept: %s", flags).isTrue();
                assertThat(NotifyFlags.covers(flags, "EA")).isTrue();

                cmd.set("unwanted", "1");
                cmd.set("written", "1");
                cmd.select(3);
                cmd.del("nothing");
                cmd.hset("h", "f", "v");
                cmd.psetex("short", 50, "x");
                cmd.select(0);
                Await.until(() -> recorder.saw(0, "set", "written") && recorder.saw(3, "hset", "h")
                        && recorder.saw(3, "expired", "short"));
                assertThat(recorder.saw(3, "del", "nothing")).as("no event for a key that did not exist").isFalse();
                assertThat(recorder.saw(0, "set", "unwanted")).as("an event the handler does not want").isFalse();

                String big = "v".repeat(4096);
                for (int i = 0; i < 3000; i++) {
                    cmd.set("fill:" + i, big);
                }
                Await.until(() -> recorder.events.stream().anyMatch(KeyspaceEvent::isEviction));
            }
        }
    }

    @Test
    void resubscribesAndAsksForAResyncAfterValkeyRestarts() throws Exception {
        ValkeyProcess valkey = ValkeyProcess.start("valkey-server", dir.resolve("b"), List.of("--save", ""),
                Duration.ofSeconds(20));
        int port = valkey.port();
        RedisURI uri = RedisURI.create(valkey.host(), port);
        Recorder recorder = new Recorder();
        try (KeyspaceListener listener = new KeyspaceListener(resources, uri, "EA", List.of(recorder), 10_000)) {
            listener.start();
            Await.until(() -> recorder.resyncs.get() == 1);
            valkey.kill();
            valkey = ValkeyProcess.startOnPort("valkey-server", dir.resolve("b2"), port, List.of("--save", ""),
                    Duration.ofSeconds(20));
            Await.until(() -> recorder.resyncs.get() > 1);
            try (RedisClient client = RedisClient.create(resources, uri);
                 StatefulRedisConnection<String, String> c = client.connect()) {
                assertThat(c.sync().configGet("notify-keyspace-events").get("notify-keyspace-events"))
                        .as("flags set again on the restarted server").isNotEmpty();
                c.sync().set("after-restart", "1");
            }
            Await.until(() -> recorder.saw(0, "set", "after-restart"));
        } finally {
            valkey.close();
        }
    }
}
