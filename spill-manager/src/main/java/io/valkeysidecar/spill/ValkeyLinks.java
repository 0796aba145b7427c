package io.valkeysidecar.spill;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The sidecar's own connections to Valkey: per database one shared, pipelined connection for single
 * commands (RESTORE, EXISTS, sampling) and a pool of exclusive ones for WATCH/MULTI/EXEC spills, which are
 * connection state. No auto-reconnect: a connection that dropped in the middle of a WATCH must not replay
 * its MULTI/DEL/EXEC unguarded; a closed connection is replaced on next use instead.
 */
final class ValkeyLinks implements AutoCloseable {

    private final RedisClient client;
    private final RedisURI uri;
    private final Map<Integer, CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> shared =
            new ConcurrentHashMap<>();
    private final Map<Integer, Queue<StatefulRedisConnection<byte[], byte[]>>> idle = new ConcurrentHashMap<>();
    private final Set<StatefulRedisConnection<byte[], byte[]>> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ValkeyLinks(ClientResources resources, RedisURI uri) {
        this.uri = uri;
        this.client = resources == null ? RedisClient.create() : RedisClient.create(resources);
        client.setOptions(ClientOptions.builder().autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(10))).build());
    }

    /** The shared connection of {@code db}. */
    CompletableFuture<RedisAsyncCommands<byte[], byte[]>> shared(int db) {
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> f = shared.computeIfAbsent(db, this::connect);
        if (f.isDone() && (f.isCompletedExceptionally() || !f.join().isOpen())) {
            CompletableFuture<StatefulRedisConnection<byte[], byte[]>> fresh = connect(db);
            if (shared.replace(db, f, fresh)) {
                f = fresh;
            } else {
                // Another thread replaced it first: this one's connection would stay open unused until shutdown.
                fresh.thenAccept(c -> giveBack(db, c, false));
                f = shared.get(db);
            }
        }
        return f.thenApply(StatefulRedisConnection::async);
    }

    /** An exclusive connection of {@code db}; give it back with {@link #giveBack}. */
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> borrow(int db) {
        Queue<StatefulRedisConnection<byte[], byte[]>> q = idle.computeIfAbsent(db, d -> new ConcurrentLinkedQueue<>());
        StatefulRedisConnection<byte[], byte[]> c;
        while ((c = q.poll()) != null) {
            if (c.isOpen()) {
                return CompletableFuture.completedFuture(c);
            }
            open.remove(c);
        }
        return connect(db);
    }

    /** @param clean false when the connection may hold WATCH or MULTI state: it is closed instead of reused */
    void giveBack(int db, StatefulRedisConnection<byte[], byte[]> c, boolean clean) {
        if (clean && c.isOpen() && !closed) {
            idle.get(db).add(c);
        } else {
            open.remove(c);
            c.closeAsync();
        }
    }

    private CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connect(int db) {
        return client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture().thenCompose(c -> {
            open.add(c);
            if (closed) {
                c.closeAsync();
                return CompletableFuture.failedFuture(new IllegalStateException("spill links closed"));
            }
            if (db == 0) {
                return CompletableFuture.completedFuture(c);
            }
            return c.async().select(db).toCompletableFuture().thenApply(ok -> c);
        });
    }

    @Override
    public void close() {
        closed = true;
        open.forEach(StatefulRedisConnection::close);
        open.clear();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
