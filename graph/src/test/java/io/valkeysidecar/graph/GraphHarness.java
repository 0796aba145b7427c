package io.valkeysidecar.graph;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.store.GraphStore;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.testing.TestValkey;
import io.valkeysidecar.testing.TestClient;
import io.valkeysidecar.testing.TestCommands;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs GRAPH.* commands exactly as the proxy does (a decoded {@link Command} handed to the extension's
 * {@link SidecarCommand}) against a real valkey-server, and turns replies into plain Java values for assertions.
 */
public final class GraphHarness implements AutoCloseable {

    public final TestValkey valkey;
    private final ClientResources resources;
    private final ExecutorService workers;
    private final GraphStore store;
    private final Map<String, SidecarCommand> commands = new HashMap<>();
    private final RedisClient rawClient;
    private final StatefulRedisConnection<String, String> raw;

    private final boolean ownsValkey;

    final GraphService service;

    public GraphHarness() {
        this(TestValkey.start(), true, Long.MAX_VALUE);
    }

    private GraphHarness(TestValkey valkey, boolean ownsValkey, long cacheBudget) {
        this.valkey = valkey;
        this.ownsValkey = ownsValkey;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        this.workers = Executors.newFixedThreadPool(4);
        this.store = new GraphStore(valkey.uri(), resources);
        this.service = new GraphService(store, workers, new GraphConfig(), cacheBudget);
        for (SidecarCommand c : GraphCommands.all(service)) {
            commands.put(c.descriptor().name().toUpperCase(Locale.ROOT), c);
        }
        this.rawClient = RedisClient.create(resources, valkey.uri());
        this.raw = rawClient.connect();
    }

    /** A second sidecar on the same Valkey (its own cache). */
    public GraphHarness secondSidecar() {
        return secondSidecar(Long.MAX_VALUE);
    }

    /** A second sidecar whose graph cache holds at most {@code cacheBudget} nodes plus edges. */
    public GraphHarness secondSidecar(long cacheBudget) {
        return new GraphHarness(valkey, false, cacheBudget);
    }

    /** Plain Valkey commands, bypassing the sidecar. */
    public io.lettuce.core.api.sync.RedisCommands<String, String> valkey() {
        return raw.sync();
    }

    /** Sends a command as user "default" on db 0 and returns its reply (errors become Reply.Error). */
    public Reply call(String... args) {
        return callAs("default", 0, args);
    }

    public Reply callAs(String user, int db, String... args) {
        SidecarCommand c = commands.get(args[0].toUpperCase(Locale.ROOT));
        if (c == null) {
            throw new IllegalArgumentException("not a graph command: " + args[0]);
        }
        Command cmd = TestCommands.decode(args);
        try {
            return c.execute(TestClient.as(user, db), cmd).toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            return SidecarException.toReply(e);
        } finally {
            cmd.release();
        }
    }

    /** A verbose GRAPH.QUERY whose reply is converted to plain values. */
    public Object query(String graph, String cypher) {
        return plain(call("GRAPH.QUERY", graph, cypher));
    }

    /** The rows of a verbose GRAPH.QUERY (fails on error replies). */
    @SuppressWarnings("unchecked")
    public List<List<Object>> rows(String graph, String cypher) {
        Reply r = call("GRAPH.QUERY", graph, cypher);
        if (r instanceof Reply.Error e) {
            throw new AssertionError("query failed: " + e.message() + " -- " + cypher);
        }
        List<Object> top = (List<Object>) plain(r);
        if (top.size() != 3) {
            throw new AssertionError("no result set for: " + cypher);
        }
        return (List<List<Object>>) top.get(1);
    }

    /** The statistics lines of a query, without the time and cache lines. */
    @SuppressWarnings("unchecked")
    public List<String> stats(String graph, String cypher) {
        Reply r = call("GRAPH.QUERY", graph, cypher);
        if (r instanceof Reply.Error e) {
            throw new AssertionError("query failed: " + e.message() + " -- " + cypher);
        }
        List<Object> top = (List<Object>) plain(r);
        List<String> out = new ArrayList<>();
        for (Object o : (List<Object>) top.get(top.size() - 1)) {
            String s = (String) o;
            if (!s.startsWith("Cached execution") && !s.startsWith("Query internal execution time")) {
                out.add(s);
            }
        }
        return out;
    }

    /** The error message of a failing query. */
    public String error(String... args) {
        Reply r = call(args);
        if (!(r instanceof Reply.Error e)) {
            throw new AssertionError("expected an error, got " + plain(r));
        }
        return e.message();
    }

    public static Object plain(Reply r) {
        if (r instanceof Reply.Integer i) {
            return i.value();
        }
        if (r instanceof Reply.Bulk b) {
            return b.asString();
        }
        if (r instanceof Reply.SimpleString s) {
            return s.value();
        }
        if (r instanceof Reply.Null || r instanceof Reply.NullArray) {
            return null;
        }
        if (r instanceof Reply.Error e) {
            return "ERROR: " + e.message();
        }
        if (r instanceof Reply.Array a) {
            List<Object> out = new ArrayList<>();
            a.items().forEach(i -> out.add(plain(i)));
            return out;
        }
        throw new IllegalArgumentException("unexpected reply " + r);
    }

    @Override
    public void close() {
        raw.close();
        rawClient.shutdown();
        store.close();
        workers.shutdownNow();
        resources.shutdown();
        if (ownsValkey) {
            valkey.close();
        }
    }
}
