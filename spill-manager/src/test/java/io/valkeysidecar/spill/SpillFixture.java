package io.valkeysidecar.spill;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** A real Valkey, a real RocksDB store in a temporary directory and an engine between them. */
final class SpillFixture implements AutoCloseable {

    final TestValkey valkey;
    final Path dir;
    final RedisClient client;
    final StatefulRedisConnection<String, String> connection;
    /** Direct access to Valkey, as a client bypassing the sidecar would have. */
    final RedisCommands<String, String> redis;
    SpillStore store;
    SpillEngine engine;

    SpillFixture(Path dir, String... valkeyConfig) {
        this.valkey = TestValkey.start(valkeyConfig);
        this.dir = dir;
        this.client = RedisClient.create(valkey.uri());
        this.connection = client.connect();
        this.redis = connection.sync();
        open();
    }

    void open() {
        open(0, 8L << 20);
    }

    void open(long diskBudget, long maxSpillBytes) {
        store = SpillStore.open(dir.resolve("spill"), diskBudget);
        engine = new SpillEngine(store, null, valkey.uri(), maxSpillBytes);
    }

    /** Closes engine and store as a shutdown would, and opens them again on the same directory. */
    void restart() {
        engine.close();
        store.close();
        open();
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("stage failed", SpillEngine.unwrap(e));
        }
    }

    SpillOutcome spill(String key) {
        return await(engine.spill(0, List.of(b(key)))).get(0);
    }

    /** What the proxy does for a command on {@code key}: restore, run, release. */
    <T> T throughSidecar(String key, Function<String, T> command) {
        List<byte[]> keys = List.of(b(key));
        await(engine.ensureResident(0, keys));
        try {
            return command.apply(key);
        } finally {
            engine.release(0, keys);
        }
    }

    String getThroughSidecar(String key) {
        return throughSidecar(key, redis::get);
    }

    @Override
    public void close() {
        engine.close();
        store.close();
        connection.close();
        client.shutdown();
        valkey.close();
    }
}
