package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.testing.TestClient;
import io.valkeysidecar.testing.TestCommands;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpillCommandsTest {

    @TempDir
    Path dir;
    SpillFixture f;

    @BeforeEach
    void start() {
        f = new SpillFixture(dir, "--maxmemory", "64mb", "--maxmemory-policy", "noeviction");
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Runs a command as the proxy would: decoded from RESP by the real decoder, answered, errors mapped. */
    static Reply run(List<SidecarCommand> commands, int db, String... args) {
        Command cmd = TestCommands.decode(args);
        try {
            SidecarCommand c = commands.stream().filter(x -> x.descriptor().name().equalsIgnoreCase(args[0]))
                    .findFirst().orElseThrow();
            return c.execute(TestClient.as("default", db), cmd).toCompletableFuture()
                    .handle((r, e) -> e == null ? r : SidecarException.toReply(e)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            cmd.release();
        }
    }

    @Test
    void evictRestoreAndCleanup() throws Exception {
        List<SidecarCommand> commands = SpillCommands.all(f.engine);
        f.redis.set("a", "1");
        f.redis.set("b", "2");
        f.redis.psetex("short", 1500, "3");
        assertThat(run(commands, 0, "EVICT", "a", "b", "short", "missing")).isEqualTo(Reply.integer(3));
        assertThat(f.redis.dbsize()).isZero();
        assertThat(run(commands, 0, "SPILL.RESTORE", "a")).isEqualTo(Reply.integer(1));
        assertThat(run(commands, 0, "spill.restore", "a")).isEqualTo(Reply.integer(0));
        assertThat(f.redis.get("a")).isEqualTo("1");
        while (await(f.engine.spilledMeta(0, b("short"))) != null) {
            Thread.sleep(50);
        }
        assertThat(run(commands, 0, "SPILL.CLEANUP")).isEqualTo(Reply.integer(1));
        assertThat(f.store.keyCount()).isEqualTo(1);
        assertThat(f.engine.stats().cleaned()).isEqualTo(1);
        assertThat(commands).extracting(c -> c.descriptor().name())
                .containsExactly("evict", "spill.restore", "spill.cleanup");
    }

    @Test
    void evictSaysSoWhenTheDiskBudgetIsReached() {
        f.engine.close();
        f.store.close();
        f.open(3_000, 8L << 20);
        List<SidecarCommand> commands = SpillCommands.all(f.engine);
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < 5; i++) {
            // Incompressible: DUMP compresses values with LZF.
            f.redis.set("k" + i, rnd.ints(1000, 'a', 'z' + 1).collect(StringBuilder::new,
                    StringBuilder::appendCodePoint, StringBuilder::append).toString());
        }
        Reply r = run(commands, 0, "EVICT", "k0", "k1", "k2", "k3", "k4");
        assertThat(r).isInstanceOf(Reply.Error.class);
        assertThat(((Reply.Error) r).message()).startsWith("ERR spill store disk budget").contains("3 spilled");
        assertThat(f.redis.dbsize()).isEqualTo(2);
        assertThat(f.engine.stats().refusedBudget()).isEqualTo(2);
        InfoSection info = new SpillInfoSection(f.engine, new MemoryController(f.engine,
                MemoryController.Settings.defaults()));
        assertThat(info.fields()).containsEntry("spill_disk_budget_reached", "1")
                .containsEntry("spill_refused_budget", "2").containsEntry("spill_keys", "3");
    }

    /** The extension as the proxy will start it: commands, INFO spill, metrics, and pending spills settled. */
    @Test
    void extensionStartsFromARuntime() throws Exception {
        f.redis.set("left-pending", "v");
        byte[] payload = f.client.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE).sync().dump(b("left-pending"));
        f.engine.close();
        f.store.close();
        SpillStore crashed = SpillStore.open(dir.resolve("data").resolve("spill"), 0);
        await(crashed.put(0, b("left-pending"), SpillStore.NO_EXPIRY, payload, true));
        await(crashed.put(0, b("del-happened"), SpillStore.NO_EXPIRY, payload, true));
        crashed.close();
        f.open();

        ClientResources resources = DefaultClientResources.create();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SidecarRuntime runtime = new SidecarRuntime() {
            @Override
            public RedisURI upstream() {
                return f.valkey.uri();
            }

            @Override
            public ClientResources clientResources() {
                return resources;
            }

            @Override
            public CommandTable commandTable() {
                return CommandTable.empty();
            }

            @Override
            public Executor workers() {
                return ForkJoinPool.commonPool();
            }

            @Override
            public MeterRegistry meterRegistry() {
                return registry;
            }

            @Override
            public java.util.Map<String, String> settings() {
                return java.util.Map.of();
            }

            @Override
            public Path dataDirectory() {
                return dir.resolve("data");
            }
        };
        try (SpillExtension ext = new SpillExtension()) {
            List<SidecarCommand> commands = ext.start(runtime);
            SpillEngine engine = ext.engine();
            // The spill of "left-pending" never deleted it from Valkey: memory wins, the disk copy is gone.
            assertThat(engine.store().get(0, b("left-pending"))).isNull();
            // "del-happened" is only on disk: the spill completed, so it is kept and restorable.
            assertThat(engine.store().get(0, b("del-happened")).pending()).isFalse();
            assertThat(run(commands, 0, "SPILL.RESTORE", "del-happened")).isEqualTo(Reply.integer(1));
            assertThat(f.redis.get("del-happened")).isEqualTo("v");
            assertThat(run(commands, 0, "EVICT", "left-pending")).isEqualTo(Reply.integer(1));
            Map<String, String> info = ext.infoSections().get(0).fields();
            assertThat(ext.infoSections().get(0).name()).isEqualTo("spill");
            assertThat(info).containsEntry("spill_keys", "1").containsEntry("keys_spilled", "1")
                    .containsEntry("keys_restored", "1").containsEntry("unrecoverable_evictions", "0")
                    .containsEntry("keys_restored_ahead", "0").containsEntry("write_room_waits", "0")
                    .containsEntry("keys_read_on_disk", "0").containsEntry("key_waits", "0")
                    .containsKeys("restore_latency_p99_us", "spill_disk_usage_bytes", "spill_index_bytes_per_key",
                            "spill_access_heat_bytes", "store_disk_reads", "write_room_wait_us", "key_wait_us");
            assertThat(registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet()))
                    .contains("spill.keys", "spill.keys.spilled", "spill.unrecoverable.evictions");
            assertThat(registry.get("spill.keys").gauge().value()).isEqualTo(1.0);
        } finally {
            resources.shutdown();
        }
    }
}
