package io.valkeysidecar.graph.store;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.resource.ClientResources;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.model.ChangeSet;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.GraphData;
import io.valkeysidecar.graph.model.Node;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Keeps each graph in ONE Valkey hash at the user's key, so DEL, RENAME, EXPIRE, MULTI, persistence and replication
 * treat a graph like any other key and every sidecar in front of the Valkey sees the same graph. Fields:
 * {@code @graph} (a random uid: marker and DEL+recreate detector), {@code @ver} (bumped by every write),
 * {@code @meta} (schema, index definitions, id counters), {@code n<id>} nodes and {@code e<id>} edges.
 * Writes are one Lua script that checks uid and version (optimistic concurrency) and applies the whole change set.
 */
public final class GraphStore implements AutoCloseable {

    public static final byte[] MARKER = bytes("@graph");
    public static final byte[] VERSION = bytes("@ver");
    public static final byte[] META = bytes("@meta");
    private static final long IO_TIMEOUT_SECONDS = 120;

    /** ARGV: expected uid ("" = must not exist), expected version, new uid, #pairs, #deletions, pairs..., fields... */
    private static final String COMMIT_SCRIPT = String.join("\n",
            "local k = KEYS[1]",
            "local uid = redis.call('HGET', k, '@graph')",
            "if ARGV[1] == '' then",
            "  if redis.call('EXISTS', k) == 1 then",
            "    if uid then return -1 end",
            "    return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')",
            "  end",
            "  redis.call('HSET', k, '@graph', ARGV[3], '@ver', 0)",
            "else",
            "  if uid ~= ARGV[1] or redis.call('HGET', k, '@ver') ~= ARGV[2] then return -1 end",
            "end",
            "local i = 6",
            "local stop = 5 + 2 * tonumber(ARGV[4])",
            "while i <= stop do",
            "  local j = math.min(i + 999, stop)",
            "  redis.call('HSET', k, unpack(ARGV, i, j))",
            "  i = j + 1",
            "end",
            "stop = stop + tonumber(ARGV[5])",
            "while i <= stop do",
            "  local j = math.min(i + 999, stop)",
            "  redis.call('HDEL', k, unpack(ARGV, i, j))",
            "  i = j + 1",
            "end",
            "return redis.call('HINCRBY', k, '@ver', 1)");

    private static final String DELETE_SCRIPT = String.join("\n",
            "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end",
            "if redis.call('TYPE', KEYS[1])['ok'] ~= 'hash' or redis.call('HEXISTS', KEYS[1], '@graph') == 0 then",
            "  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')",
            "end",
            "redis.call('DEL', KEYS[1])",
            "return 1");

    /** What the key holds right now: {@code uid == null} means no graph there. */
    public record Header(String uid, long version) {
        public boolean missing() {
            return uid == null;
        }
    }

    /** A graph read from Valkey together with the uid and version it was read at. */
    public record Loaded(GraphData graph, String uid, long version) {
    }

    private final RedisClient client;
    private final RedisURI base;
    private final ConcurrentHashMap<Integer, CompletableFuture<StatefulRedisConnection<byte[], byte[]>>> connections =
            new ConcurrentHashMap<>();

    public GraphStore(RedisURI upstream, ClientResources resources) {
        this.base = upstream;
        this.client = RedisClient.create(resources, upstream);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One pipelined connection per database, opened asynchronously on first use. */
    public CompletionStage<RedisAsyncCommands<byte[], byte[]>> commands(int db) {
        CompletableFuture<StatefulRedisConnection<byte[], byte[]>> f = connections.computeIfAbsent(db, d -> {
            RedisURI uri = RedisURI.builder(base).withDatabase(d).build();
            return client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
        });
        f.whenComplete((c, err) -> {
            if (err != null) {
                connections.remove(db, f);
            }
        });
        return f.thenApply(StatefulRedisConnection::async);
    }

    static SidecarException mapError(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof SidecarException se) {
            return se;
        }
        String msg = c.getMessage() == null ? c.toString() : c.getMessage();
        int sp = msg.indexOf(' ');
        if (sp > 0 && msg.substring(0, sp).chars().allMatch(ch -> Character.isUpperCase(ch))) {
            return new SidecarException(msg.substring(0, sp), msg.substring(sp + 1));
        }
        return SidecarException.err("graph storage error: " + msg);
    }

    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(IO_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SidecarException.err("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw mapError(e);
        }
    }

    /** Reads uid and version in one round trip (a second one only to tell a missing key from a foreign hash). */
    public CompletionStage<Header> header(int db, byte[] key) {
        return commands(db).thenCompose(c -> c.hmget(key, MARKER, VERSION).thenCompose(kvs -> {
            byte[] uid = value(kvs.get(0));
            byte[] ver = value(kvs.get(1));
            if (uid != null) {
                long v = ver == null ? 0 : Long.parseLong(new String(ver, StandardCharsets.US_ASCII));
                return CompletableFuture.completedFuture(new Header(new String(uid, StandardCharsets.UTF_8), v));
            }
            return c.exists(key).thenApply(n -> {
                if (n > 0) {
                    throw wrongType();
                }
                return new Header(null, 0);
            });
        })).exceptionally(t -> {
            throw mapError(t);
        });
    }

    public static SidecarException wrongType() {
        return new SidecarException("WRONGTYPE", "Operation against a key holding the wrong kind of value");
    }

    private static byte[] value(KeyValue<byte[], byte[]> kv) {
        return kv.hasValue() ? kv.getValue() : null;
    }

    /** Loads the whole graph (blocking; call on a worker thread). Returns null when the key holds no graph. */
    public Loaded load(int db, byte[] key) {
        RedisAsyncCommands<byte[], byte[]> c = await(commands(db));
        List<byte[]> fields = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        // Streaming keeps a million-field reply from being materialised twice.
        await(c.hgetall((k, v) -> {
            fields.add(k);
            values.add(v);
        }, key));
        byte[] meta = null;
        String uid = null;
        long version = 0;
        List<Integer> nodeIdx = new ArrayList<>();
        List<Integer> edgeIdx = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            byte[] f = fields.get(i);
            if (f.length == 0) {
                continue;
            }
            if (f[0] == 'n') {
                nodeIdx.add(i);
            } else if (f[0] == 'e') {
                edgeIdx.add(i);
            } else if (java.util.Arrays.equals(f, META)) {
                meta = values.get(i);
            } else if (java.util.Arrays.equals(f, MARKER)) {
                uid = new String(values.get(i), StandardCharsets.UTF_8);
            } else if (java.util.Arrays.equals(f, VERSION)) {
                version = Long.parseLong(new String(values.get(i), StandardCharsets.US_ASCII));
            }
        }
        if (uid == null) {
            if (!fields.isEmpty()) {
                throw wrongType();
            }
            return null;
        }
        GraphData g = new GraphData();
        if (meta != null) {
            Codec.decodeMeta(meta, g);
        }
        for (int i : nodeIdx) {
            g.putNode(Codec.decodeNode(id(fields.get(i)), values.get(i)));
        }
        for (int i : edgeIdx) {
            Edge e = Codec.decodeEdge(id(fields.get(i)), values.get(i), g);
            if (e != null) {
                g.putEdge(e);
            }
        }
        g.rebuildIndexes();
        return new Loaded(g, uid, version);
    }

    private static long id(byte[] field) {
        long v = 0;
        for (int i = 1; i < field.length; i++) {
            v = v * 10 + (field[i] - '0');
        }
        return v;
    }

    /**
     * Applies a change set atomically if the key is still at {@code expectedUid}/{@code expectedVersion}
     * (expectedUid null: the key must not exist yet, and is created with {@code newUid}). Blocking.
     *
     * @return the new version, or -1 when another writer got there first
     */
    public long commit(int db, byte[] key, String expectedUid, long expectedVersion, String newUid, ChangeSet cs,
                       GraphData g) {
        List<byte[]> argv = new ArrayList<>();
        argv.add(bytes(expectedUid == null ? "" : expectedUid));
        argv.add(bytes(Long.toString(expectedVersion)));
        argv.add(bytes(newUid));
        boolean writeMeta = cs.metaDirty || expectedUid == null;
        int pairs = cs.dirtyNodes.size() + cs.dirtyEdges.size() + (writeMeta ? 1 : 0);
        argv.add(bytes(Integer.toString(pairs)));
        argv.add(bytes(Integer.toString(cs.deletedNodes.size() + cs.deletedEdges.size())));
        if (writeMeta) {
            argv.add(META);
            argv.add(Codec.encodeMeta(g));
        }
        for (Node n : cs.dirtyNodes) {
            argv.add(Codec.nodeField(n.id));
            argv.add(Codec.encodeNode(n));
        }
        for (Edge e : cs.dirtyEdges) {
            argv.add(Codec.edgeField(e.id));
            argv.add(Codec.encodeEdge(e));
        }
        for (long id : cs.deletedNodes) {
            argv.add(Codec.nodeField(id));
        }
        for (long id : cs.deletedEdges) {
            argv.add(Codec.edgeField(id));
        }
        RedisAsyncCommands<byte[], byte[]> c = await(commands(db));
        Long result = await(c.<Long>eval(COMMIT_SCRIPT, ScriptOutputType.INTEGER, new byte[][] {key},
                argv.toArray(new byte[0][])));
        return result;
    }

    /** Deletes a graph key: 1 deleted, 0 no such key; WRONGTYPE for a non-graph key. */
    public CompletionStage<Long> delete(int db, byte[] key) {
        return commands(db).thenCompose(c -> c.<Long>eval(DELETE_SCRIPT, ScriptOutputType.INTEGER,
                new byte[][] {key})).exceptionally(t -> {
                    throw mapError(t);
                });
    }

    /** Names of the graph keys in a database (blocking: SCAN over hashes, then HEXISTS in one pipeline per batch). */
    public List<byte[]> list(int db) {
        RedisAsyncCommands<byte[], byte[]> c = await(commands(db));
        List<byte[]> out = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanArgs args = KeyScanArgs.Builder.type("hash");
            args.limit(1000);
            KeyScanCursor<byte[]> page = await(c.scan(cursor, args));
            List<CompletableFuture<Boolean>> checks = new ArrayList<>();
            for (byte[] k : page.getKeys()) {
                checks.add(c.hexists(k, MARKER).toCompletableFuture());
            }
            for (int i = 0; i < checks.size(); i++) {
                if (Boolean.TRUE.equals(await(checks.get(i)))) {
                    out.add(page.getKeys().get(i));
                }
            }
            cursor = page;
        } while (!cursor.isFinished());
        return out;
    }

    /**
     * Checks with ACL DRYRUN that {@code user} could read (or write) the key directly, since the sidecar itself
     * talks to Valkey with its own credentials.
     */
    public CompletionStage<Void> checkAccess(int db, String user, byte[] key, boolean write) {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE).add("DRYRUN").add(user);
        if (write) {
            args.add("HSET").addKey(key).add("@graph").add("x");
        } else {
            args.add("HGET").addKey(key).add("@graph");
        }
        return commands(db).thenCompose(c -> c.dispatch(CommandType.ACL,
                new StatusOutput<>(ByteArrayCodec.INSTANCE), args)).thenApply(reply -> {
                    if (!"OK".equals(reply)) {
                        throw new SidecarException("NOPERM", reply);
                    }
                    return (Void) null;
                }).exceptionally(t -> {
                    throw mapError(t);
                });
    }

    @Override
    public void close() {
        for (CompletableFuture<StatefulRedisConnection<byte[], byte[]>> f : connections.values()) {
            f.thenAccept(StatefulRedisConnection::close);
        }
        client.shutdown();
    }
}
