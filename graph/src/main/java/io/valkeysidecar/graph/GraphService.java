package io.valkeysidecar.graph;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.cypher.Ast.Query;
import io.valkeysidecar.graph.cypher.Parser;
import io.valkeysidecar.graph.exec.Executor;
import io.valkeysidecar.graph.exec.QueryContext;
import io.valkeysidecar.graph.model.GraphData;
import io.valkeysidecar.graph.store.GraphStore;
import io.valkeysidecar.resp.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Runs graph queries: each graph is cached in sidecar memory and validated against Valkey on every query with one
 * round trip (uid + version); writes execute on the cache under the graph's write lock and are committed with one
 * optimistic-concurrency script, retried after a reload if another writer (e.g. a second sidecar) got in first.
 * Work happens on the runtime's worker pool; the caller's event loop only sees completion stages.
 */
public final class GraphService {

    private static final int MAX_COMMIT_ATTEMPTS = 30;
    private static final int PARSE_CACHE_SIZE = 512;

    public enum Mode { QUERY, RO_QUERY, PROFILE, EXPLAIN }

    /** One cached graph. {@code data == null} means "reload before use". */
    static final class Entry {
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        GraphData data;
        String uid;
        long version;
        final SlowLog slowLog = new SlowLog();
        /** For the cache budget, readable without the lock. */
        volatile long lastUsed;
        volatile long entities;

        void sized() {
            entities = data == null ? 0 : data.nodeCount() + data.edgeCount();
        }
    }

    /** Counters shown in INFO graph and exported as metrics. */
    public final AtomicLong queries = new AtomicLong();
    public final AtomicLong writeConflicts = new AtomicLong();
    public final AtomicLong reloads = new AtomicLong();
    public final AtomicLong evictions = new AtomicLong();
    private final long cacheBudget;

    private final GraphStore store;
    private final java.util.concurrent.Executor workers;
    private final GraphConfig config;
    private final ConcurrentHashMap<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Query> parseCache = Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Query> eldest) {
                    return size() > PARSE_CACHE_SIZE;
                }
            });

    /**
     * @param cacheBudget how many nodes plus edges all cached graphs may hold together; least recently used graphs
     *                    beyond it are dropped from memory (they stay in Valkey and are reloaded on next use)
     */
    public GraphService(GraphStore store, java.util.concurrent.Executor workers, GraphConfig config, long cacheBudget) {
        this.store = store;
        this.workers = workers;
        this.config = config;
        this.cacheBudget = cacheBudget;
    }

    public int cachedGraphs() {
        return (int) cache.values().stream().filter(e -> e.entities > 0).count();
    }

    public long cachedEntities() {
        return cache.values().stream().mapToLong(e -> e.entities).sum();
    }

    /** Drops least recently used graphs until the cache fits its budget; graphs in use are skipped. */
    private void trim(Entry current) {
        long total = cachedEntities();
        if (total <= cacheBudget) {
            return;
        }
        List<Entry> byAge = new ArrayList<>(cache.values());
        byAge.sort(java.util.Comparator.comparingLong(x -> x.lastUsed));
        for (Entry e : byAge) {
            if (total <= cacheBudget) {
                return;
            }
            if (e == current || e.entities == 0 || !e.lock.writeLock().tryLock()) {
                continue;
            }
            try {
                total -= e.entities;
                e.data = null;
                e.sized();
                evictions.incrementAndGet();
            } finally {
                e.lock.writeLock().unlock();
            }
        }
    }

    public GraphConfig config() {
        return config;
    }

    private static String cacheKey(int db, byte[] key) {
        return db + ":" + new String(key, StandardCharsets.ISO_8859_1);
    }

    private Entry entry(int db, byte[] key) {
        return cache.computeIfAbsent(cacheKey(db, key), k -> new Entry());
    }

    private CompletionStage<Void> access(int db, String user, byte[] key, boolean write) {
        // The default user is the sidecar's own identity in the common deployment; other users are checked.
        if (user == null || user.equals("default")) {
            return CompletableFuture.completedFuture(null);
        }
        return store.checkAccess(db, user, key, write);
    }

    /** GRAPH.QUERY / RO_QUERY / PROFILE / EXPLAIN. */
    public CompletionStage<Reply> query(int db, String user, byte[] key, String text, Mode mode, boolean compact,
                                        long timeoutMillis) {
        long start = System.nanoTime();
        boolean mayWrite = mode == Mode.QUERY || mode == Mode.PROFILE;
        // the ACL check and the version read are pipelined on the same connection: one round trip for both
        return access(db, user, key, mayWrite)
                .thenCombine(store.header(db, key), (ok, h) -> h)
                .thenApplyAsync(h -> run(db, key, h, text, mode, compact, timeoutMillis, start), workers);
    }

    private Reply run(int db, byte[] key, GraphStore.Header h, String text, Mode mode, boolean compact,
                      long timeoutMillis, long start) {
        Parser.Prefixed prefixed = Parser.splitParams(text);
        boolean[] cached = {true};
        Query q = parseCache.get(prefixed.query());
        if (q == null) {
            cached[0] = false;
            q = Parser.parse(prefixed.query());
            parseCache.put(prefixed.query(), q);
        }
        boolean writes = Executor.isWrite(q);
        if (mode == Mode.RO_QUERY && writes) {
            throw SidecarException.err("graph.RO_QUERY is to be executed only on read-only queries");
        }
        if (h.missing() && (mode == Mode.RO_QUERY || mode == Mode.EXPLAIN)) {
            throw SidecarException.err("Invalid graph operation on empty key");
        }
        long timeout = timeoutMillis > 0 ? timeoutMillis : config.timeoutMillis();
        Entry e = entry(db, key);
        e.lastUsed = System.nanoTime();
        queries.incrementAndGet();
        Map<String, Object> params = prefixed.params();
        Reply reply;
        Query query = q;
        if (mode == Mode.EXPLAIN) {
            reply = withReadable(db, key, e, h, data -> {
                List<Reply> lines = new ArrayList<>();
                Executor.explain(query, new QueryContext(data, params, timeout)).forEach(l -> lines.add(Reply.bulk(l)));
                return Reply.array(lines);
            });
        } else if (!writes && !h.missing()) {
            reply = withReadable(db, key, e, h, data -> {
                QueryContext ctx = new QueryContext(data, params, timeout);
                Executor.Result r = Executor.execute(query, ctx, mode == Mode.PROFILE);
                return render(r, data, compact, cached[0], start, mode);
            });
        } else {
            reply = write(db, key, e, h, query, params, timeout, compact, cached[0], start, mode);
        }
        trim(e);
        double ms = (System.nanoTime() - start) / 1e6;
        e.slowLog.record(mode == Mode.RO_QUERY ? "GRAPH.RO_QUERY" : "GRAPH." + mode.name(), text, ms);
        return reply;
    }

    private Reply render(Executor.Result r, GraphData data, boolean compact, boolean cached, long start, Mode mode) {
        if (mode == Mode.PROFILE) {
            List<Reply> lines = new ArrayList<>();
            r.plan().forEach(l -> lines.add(Reply.bulk(l)));
            return Reply.array(lines);
        }
        int limit = config.resultSetSize();
        if (limit >= 0 && r.rows().size() > limit) {
            r = new Executor.Result(r.columns(), new ArrayList<>(r.rows().subList(0, limit)), r.stats(), r.plan());
        }
        double ms = (System.nanoTime() - start) / 1e6;
        return ResultFormatter.resultSet(r, data, compact, r.stats().lines(cached, ms));
    }

    private interface ReadAction {
        Reply apply(GraphData data);
    }

    /** Runs a read on a cache that is at least as new as the header; reloads first when stale. */
    private Reply withReadable(int db, byte[] key, Entry e, GraphStore.Header h, ReadAction action) {
        while (true) {
            e.lock.readLock().lock();
            try {
                if (fresh(e, h)) {
                    return action.apply(e.data);
                }
            } finally {
                e.lock.readLock().unlock();
            }
            e.lock.writeLock().lock();
            try {
                if (!fresh(e, h)) {
                    reload(db, key, e);
                    if (e.data == null) {
                        throw SidecarException.err("Invalid graph operation on empty key");
                    }
                    if (!e.uid.equals(h.uid()) || e.version < h.version()) {
                        // the graph changed again (e.g. deleted and recreated) between header and load: use what
                        // was loaded, it is newer than the header
                        h = new GraphStore.Header(e.uid, e.version);
                    }
                }
            } finally {
                e.lock.writeLock().unlock();
            }
        }
    }

    private static boolean fresh(Entry e, GraphStore.Header h) {
        return e.data != null && h.uid().equals(e.uid) && e.version >= h.version();
    }

    private void reload(int db, byte[] key, Entry e) {
        e.data = null;
        reloads.incrementAndGet();
        GraphStore.Loaded loaded = store.load(db, key);
        if (loaded != null) {
            e.data = loaded.graph();
            e.uid = loaded.uid();
            e.version = loaded.version();
        } else {
            e.uid = null;
        }
        e.sized();
    }

    private Reply write(int db, byte[] key, Entry e, GraphStore.Header h, Query q, Map<String, Object> params,
                        long timeout, boolean compact, boolean cached, long start, Mode mode) {
        e.lock.writeLock().lock();
        try {
            boolean trustHeader = true;
            for (int attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
                if (trustHeader && h.missing()) {
                    e.data = new GraphData();
                    e.uid = null;
                    e.version = 0;
                } else if (!trustHeader || !fresh(e, h)) {
                    reload(db, key, e);
                    if (e.data == null) {
                        e.data = new GraphData();
                    }
                }
                trustHeader = false;
                QueryContext ctx = new QueryContext(e.data, params, timeout);
                Executor.Result r;
                try {
                    r = Executor.execute(q, ctx, mode == Mode.PROFILE);
                } catch (RuntimeException failure) {
                    e.data = null; // partially applied: drop the cache, the next query reloads
                    throw failure;
                }
                if (ctx.changes.isEmpty() && e.uid != null) {
                    return render(r, e.data, compact, cached, start, mode);
                }
                String newUid = e.uid == null ? UUID.randomUUID().toString() : e.uid;
                long version;
                try {
                    version = store.commit(db, key, e.uid, e.version, newUid, ctx.changes, e.data);
                } catch (RuntimeException failure) {
                    e.data = null;
                    throw failure;
                }
                if (version >= 0) {
                    e.uid = newUid;
                    e.version = version;
                    e.sized();
                    return render(r, e.data, compact, cached, start, mode);
                }
                e.data = null; // lost the race: back off (randomised, so two sidecars cannot livelock), reload, rerun
                writeConflicts.incrementAndGet();
                backOff(attempt);
            }
            throw SidecarException.err("graph write conflicted " + MAX_COMMIT_ATTEMPTS + " times, giving up");
        } finally {
            e.lock.writeLock().unlock();
        }
    }

    /** Waits a random time that doubles with each attempt (0.2 ms up to 12.8 ms); runs on a worker thread. */
    private static void backOff(int attempt) {
        long maxMicros = 200L << Math.min(attempt, 6);
        java.util.concurrent.locks.LockSupport.parkNanos(
                java.util.concurrent.ThreadLocalRandom.current().nextLong(maxMicros) * 1000);
    }

    /** GRAPH.DELETE. */
    public CompletionStage<Reply> delete(int db, String user, byte[] key) {
        long start = System.nanoTime();
        return access(db, user, key, true).thenCompose(v -> store.delete(db, key)).thenApply(n -> {
            if (n == 0) {
                throw SidecarException.err("Invalid graph operation on empty key");
            }
            // dropping the entry is enough: the next query makes a new one and sees the key missing (this runs on
            // a Lettuce thread, so it must not wait for a graph lock)
            cache.remove(cacheKey(db, key));
            return Reply.bulk(String.format(Locale.ROOT, "Graph removed, internal execution time: %.6f milliseconds",
                    (System.nanoTime() - start) / 1e6));
        });
    }

    /** GRAPH.LIST. */
    public CompletionStage<Reply> list(int db) {
        return CompletableFuture.supplyAsync(() -> {
            List<Reply> names = new ArrayList<>();
            store.list(db).forEach(k -> names.add(Reply.bulk(k)));
            return Reply.array(names);
        }, workers);
    }

    /** GRAPH.SLOWLOG key [RESET]. */
    public Reply slowlog(int db, byte[] key, boolean reset) {
        Entry e = cache.get(cacheKey(db, key));
        if (reset) {
            if (e != null) {
                e.slowLog.reset();
            }
            return Reply.OK;
        }
        return e == null ? Reply.array(List.of()) : e.slowLog.toReply();
    }
}
