package io.valkeysidecar.spill;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.RestoreArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.valkeysidecar.extension.Prelude;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.resp.ReplyEncoder;
import io.valkeysidecar.resp.ReplyFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves keys between Valkey and the {@link SpillStore}, on the sidecar's own connections, never blocking a
 * caller's thread (RocksDB reads run on an own small pool, Valkey I/O is Lettuce-asynchronous).
 *
 * <p>Spill (notes/spill.md): WATCH, DUMP + PEXPIRETIME, durable write marked pending, MULTI DEL EXEC, then
 * the pending mark is cleared; an aborted EXEC means a client wrote the key: memory wins, the disk copy goes.
 * Restore: RESTORE key expireAt payload ABSTTL without REPLACE; BUSYKEY means memory holds a newer value.
 * Everything on one key (spill, restore, delete, metadata) is serialised by {@link KeyLocks}.
 *
 * <p>Rule the whole tier keeps: when a key is in both tiers (briefly during a spill, or after a crash), the
 * copy in Valkey is the truth; every write through the proxy restores first, which drops the disk copy.
 */
public final class SpillEngine implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpillEngine.class);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
    private static final CompletableFuture<Long> NONE_DELETED = CompletableFuture.completedFuture(0L);
    private static final int OOM_RETRIES = 8;
    private static final int SWEEP_BATCH = 1000;

    private final SpillStore store;
    private final ValkeyLinks links;
    private final ExecutorService io;
    private final KeyLocks locks;
    private final KeyStripes stripes = new KeyStripes();
    private final AccessHeat heat = new AccessHeat();
    /**
     * Access heat of the hottest key in the latest spill: a key read from disk comes back into Valkey only when it
     * is hotter than that (the memory controller would spill it again right away otherwise, TinyLFU's admission).
     * Halved with the heat table.
     */
    private volatile int spilledHeat;
    /**
     * Keys ({@link SpillStore#dataKey}) a restore put back into Valkey whose disk copy is still being dropped: a
     * command on one of them need not wait for that (exact keys, so no fingerprint collision can hide a spilled key).
     */
    private final Set<ByteBuffer> backInValkey = ConcurrentHashMap.newKeySet();
    /**
     * Keys ({@link SpillStore#dataKey}) with a restore under way, from its read to its disk drop: Valkey's "new key"
     * event of the tier's own RESTORE often arrives before the RESTORE's reply, and needs no reconciling.
     */
    private final Set<ByteBuffer> restoring = ConcurrentHashMap.newKeySet();
    private final long maxSpillBytes;
    private final SpillStats stats = new SpillStats();
    private volatile Supplier<CompletionStage<?>> oomRelief = () -> DONE;
    private volatile RestoreListener restoreListener = (db, key, type) -> { };

    /**
     * @param resources     Lettuce resources to share (null: Lettuce's own)
     * @param maxSpillBytes keys whose value takes more memory than this stay in Valkey (DUMP/RESTORE block it)
     */
    public SpillEngine(SpillStore store, ClientResources resources, RedisURI upstream, long maxSpillBytes) {
        this.store = store;
        this.links = new ValkeyLinks(resources, upstream);
        AtomicInteger n = new AtomicInteger();
        this.io = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "spill-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.locks = new KeyLocks(io);
        this.maxSpillBytes = maxSpillBytes;
    }

    public SpillStore store() {
        return store;
    }

    public SpillStats stats() {
        return stats;
    }

    /** Called when a RESTORE meets {@code -OOM}: should free memory in Valkey (the memory controller does). */
    public void onOutOfMemory(Supplier<CompletionStage<?>> relief) {
        this.oomRelief = relief;
    }

    /**
     * For a client write that Valkey refused with {@code -OOM}: completes once the memory controller has
     * spilled cold keys, after which the proxy may retry the write once or pass the error on.
     */
    public CompletionStage<?> relieveMemory() {
        return oomRelief.get();
    }

    /** Told of every key a restore brought back into Valkey (SCAN uses it: such a key left the disk walk). */
    public interface RestoreListener {
        void restored(int db, byte[] key, String type);
    }

    public void onRestored(RestoreListener listener) {
        this.restoreListener = listener;
    }

    // ---- the proxy's entry points ----

    /**
     * Makes {@code keys} of {@code db} resident in Valkey and pins them, so no spill moves them out before the
     * caller's command has run. The caller must call {@link #release} with the same keys once Valkey answered
     * the forwarded command (or it was not sent), whatever this stage did. When no key is spilled or being
     * spilled, returns an already-completed stage without allocating.
     */
    public CompletionStage<Void> ensureResident(int db, List<byte[]> keys) {
        return ensureResident(db, keys, false).ready();
    }

    /**
     * What {@link #ensureResident(int, List, boolean)} started: the caller's command waits for {@code ready}, after
     * sending {@code preludes} (RESTOREs) ahead of it on the client's own connection to Valkey. With
     * {@code onlyPreludes}, every key is in Valkey once each prelude answered true, so a command that may run
     * twice can be sent right behind them. {@code cold}, when not null, is the value of a GET's spilled key, which
     * stays on disk (see {@link #ensureResident(int, long[], IntFunction, BooleanSupplier, boolean)}).
     */
    public record Residency(CompletionStage<Void> ready, List<Prelude> preludes, boolean onlyPreludes,
                            ColdString cold) {
        static final Residency RESIDENT = new Residency(DONE, List.of(), false, null);
    }

    /**
     * A spilled string a GET reads on disk instead of bringing it back: {@code value} answers the GET unless the key
     * expired by then.
     */
    public record ColdString(byte[] value, long expireAt) {

        public boolean liveAt(long nowMs) {
            return !SpillStore.expired(expireAt, nowMs);
        }
    }

    /**
     * {@link #ensureResident(int, List)} for a client's command. With {@code preludesAllowed}, a spilled key
     * whose entry RocksDB holds in memory and that no other operation holds is restored by a RESTORE the caller
     * sends ahead of the command on the client's connection ({@link Residency#preludes()}, to be sent before this
     * call's thread does anything else): no round trip on a connection of the tier's, no thread hand-off.
     * {@code ready} completes as soon as every key is in Valkey; dropping the disk copies goes on after it.
     * When no key is spilled or being spilled, answers {@link Residency#RESIDENT} without allocating.
     */
    public Residency ensureResident(int db, List<byte[]> keys, boolean preludesAllowed) {
        return ensureResident(db, KeyHash.fingerprints(db, keys), keys::get, () -> preludesAllowed, false);
    }

    /**
     * {@link #ensureResident(int, List, boolean)} for keys the caller already fingerprinted: {@code keyAt} gives key
     * {@code i}'s bytes and is only asked, during this call, for a key that may be spilled, as is
     * {@code preludesAllowed}. The proxy hashes keys inside the request's buffer and copies none of them on its common
     * path.
     *
     * <p>With {@code coldGet} (a GET, one key, outside a transaction) a spilled string that is not hot enough to come
     * back ({@link #spilledHeat}) is read on disk instead: {@link Residency#cold()} holds its value, the key stays
     * pinned and on disk, and the caller forwards the GET and replaces Valkey's nil with that value. Why that is
     * exact: the key was pinned and then found only on disk (not being spilled, no restore, delete or spill holding
     * its lock or dropping its copy), so the value stands for this moment, which lies between the
     * client's request and its reply; Valkey answering nil later means no restore overtook the GET, and the pin keeps
     * spills away until the reply. Valkey still checks the user's ACL on the key.
     */
    public Residency ensureResident(int db, long[] fingerprints, IntFunction<byte[]> keyAt,
                                    BooleanSupplier preludesAllowed, boolean coldGet) {
        CompletableFuture<?>[] waits = null;
        List<Prelude> preludes = null;
        int n = 0;
        for (int i = 0; i < fingerprints.length; i++) {
            long fp = fingerprints[i];
            stripes.pin(fp);
            heat.touch(fp);
            boolean spilling = stripes.spilling(fp);
            if (spilling || store.mightContain(fp)) {
                byte[] key = keyAt.apply(i);
                if (!spilling && backInValkey(db, key)) {
                    continue;
                }
                ColdString cold = coldGet && !spilling ? readCold(db, fp, key) : null;
                if (cold != null) {
                    return new Residency(DONE, List.of(), false, cold);
                }
                if (waits == null) {
                    waits = new CompletableFuture<?>[fingerprints.length];
                    preludes = preludesAllowed.getAsBoolean() ? new ArrayList<>(1) : null;
                }
                CompletableFuture<RestoreOutcome> resident = new CompletableFuture<>();
                List<Prelude> ahead = preludes;
                // The lock is free in the common case, and then the restore starts right here: only then may it
                // hand its RESTORE to the caller, who sends it before anything else happens on the connection.
                locks.withLockNoting(fp, atOnce -> restoreLocked(db, key, fp, atOnce ? ahead : null, resident))
                        .whenComplete((outcome, failure) -> settle(resident, outcome, failure));
                waits[n++] = resident;
            }
        }
        if (waits == null) {
            return Residency.RESIDENT;
        }
        CompletableFuture<Void> ready = CompletableFuture.allOf(Arrays.copyOf(waits, n));
        return preludes == null ? new Residency(ready, List.of(), false, null)
                : new Residency(ready, preludes, preludes.size() == n, null);
    }

    /** The value of a pinned spilled string whose GET may stay on disk, or null (see {@code coldGet} above). */
    private ColdString readCold(int db, long fp, byte[] key) {
        // A restore, delete or spill of the key holds its lock until the disk copy is settled.
        if (heat.heat(fp) > spilledHeat || locks.held(fp)) {
            return null;
        }
        // The pending mark is not read: a spill under way holds the lock, and one a crash left pending either deleted
        // the key from Valkey (then this copy is its value) or not (then Valkey answers the GET itself).
        SpillStore.Entry e = store.getIfCached(db, key, false);
        byte[] value = e == null || e == SpillStore.NOT_CACHED || e.expiredAt(System.currentTimeMillis())
                ? null : DumpedString.value(e.payload());
        if (value == null) {
            return null;
        }
        stats.readOnDisk.increment();
        return new ColdString(value, e.expireAt());
    }

    /** Unpins keys pinned by {@link #ensureResident} or {@link #deleteSpilled}. */
    public void release(int db, List<byte[]> keys) {
        release(KeyHash.fingerprints(db, keys));
    }

    /** {@link #release(int, List)} by the fingerprints the keys were pinned with. */
    public void release(long[] fingerprints) {
        for (long fp : fingerprints) {
            stripes.unpin(fp);
        }
    }

    /**
     * For DEL/UNLINK: removes the disk copies of {@code keys} durably and pins the keys (release them with
     * {@link #release} once the forwarded DEL was answered). Answers how many keys existed only on disk, to
     * be added to Valkey's count; a key also in Valkey is counted by Valkey.
     */
    public CompletionStage<Long> deleteSpilled(int db, List<byte[]> keys) {
        List<CompletableFuture<Boolean>> found = null;
        for (byte[] key : keys) {
            long fp = KeyHash.fingerprint(db, key);
            stripes.pin(fp);
            if (stripes.spilling(fp) || store.mightContain(fp)) {
                if (found == null) {
                    found = new ArrayList<>();
                }
                found.add(locks.withLock(fp, () -> deleteLocked(db, key)));
            }
        }
        if (found == null) {
            return NONE_DELETED;
        }
        List<CompletableFuture<Boolean>> all = found;
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> all.stream().filter(CompletableFuture::join).count());
    }

    private CompletableFuture<Boolean> deleteLocked(int db, byte[] key) {
        return read(db, key, false).thenCompose(e -> {
            if (e == null) {
                return CompletableFuture.completedFuture(false);
            }
            boolean live = !e.expiredAt(System.currentTimeMillis());
            return store.delete(db, key, e.version(), true).thenCompose(deleted -> {
                if (!deleted || !live) {
                    return CompletableFuture.completedFuture(false);
                }
                stats.deleted.increment();
                return existsInMemory(db, key).thenApply(inMemory -> !inMemory);
            });
        });
    }

    /**
     * Coherence with writes the proxy did not see: when Valkey holds {@code key}, its disk copy is stale and is
     * dropped. Never restores, so a key deleted in Valkey meanwhile cannot come back through this path. Runs
     * under the key's lock, so it cannot interleave with a spill of the same key. Answers whether a copy went.
     */
    public CompletionStage<Boolean> dropIfInMemory(int db, byte[] key) {
        long fp = KeyHash.fingerprint(db, key);
        if (!store.mightContain(fp)) {
            return CompletableFuture.completedFuture(false);
        }
        // Checked again under the lock: the event of the sidecar's own RESTORE usually arrives while that restore
        // still holds the lock to drop the disk copy, and then there is nothing left to reconcile.
        return locks.withLock(fp, () -> !store.mightContain(fp) ? CompletableFuture.completedFuture(false)
                : existsInMemory(db, key).thenCompose(inMemory -> !inMemory ? CompletableFuture.completedFuture(false)
                        : CompletableFuture.supplyAsync(() -> store.get(db, key), io).thenCompose(e -> e == null
                                ? CompletableFuture.completedFuture(false)
                                : store.delete(db, key, e.version(), true))));
    }

    /** TYPE and absolute expiry of a key as it is on disk; {@code expireAt} is -1 without TTL. */
    public record KeyMeta(String type, long expireAt) {
    }

    /**
     * Metadata of a spilled key without restoring it (EXISTS, TYPE, TTL/PTTL/EXPIRETIME), or null when it is
     * not on disk (or expired there). Meant for keys Valkey just reported absent: memory wins otherwise.
     */
    public CompletionStage<KeyMeta> spilledMeta(int db, byte[] key) {
        long fp = KeyHash.fingerprint(db, key);
        if (!stripes.spilling(fp) && !store.mightContain(fp)) {
            return CompletableFuture.completedFuture(null);
        }
        return locks.withLock(fp, () -> read(db, key, true)
                .thenCompose(e -> {
                    if (e == null || e.expiredAt(System.currentTimeMillis())) {
                        return CompletableFuture.completedFuture(null);
                    }
                    KeyMeta meta = new KeyMeta(e.type(), e.expireAt());
                    if (!e.pending()) {
                        return CompletableFuture.completedFuture(meta);
                    }
                    return resolvePending(e).thenApply(kept -> kept ? meta : null);
                }));
    }

    /** SCAN/KEYS support: a page of live spilled keys of {@code db} (see {@link SpillStore#keys}). */
    public CompletionStage<SpillStore.Page> spilledKeys(int db, byte[] after, int count, byte[] match, String type) {
        return CompletableFuture.supplyAsync(
                () -> store.keys(db, after, count, match, type, System.currentTimeMillis()), io);
    }

    /** DBSIZE support: entries of {@code db} on disk (expired ones count until swept). */
    public long spilledCount(int db) {
        return store.keyCount(db);
    }

    /** FLUSHDB support: drops every spilled key of {@code db}; answers how many there were. */
    public CompletionStage<Long> flushDb(int db) {
        return store.flushDb(db).thenApply(n -> {
            stats.deleted.add(n);
            return n;
        });
    }

    /**
     * The stored entry: inline when RocksDB has it in memory, else from the I/O pool (never blocks the caller).
     * Inline reads look up the pending mark only {@code withPending}.
     */
    private CompletableFuture<SpillStore.Entry> read(int db, byte[] key, boolean withPending) {
        SpillStore.Entry e = store.getIfCached(db, key, withPending);
        if (e != SpillStore.NOT_CACHED) {
            return CompletableFuture.completedFuture(e);
        }
        stats.diskReads.increment();
        return CompletableFuture.supplyAsync(() -> store.get(db, key), io);
    }

    // ---- restore ----

    /** SPILL.RESTORE: brings one key back now; completes once its disk copy is dropped. */
    public CompletableFuture<RestoreOutcome> restore(int db, byte[] key) {
        long fp = KeyHash.fingerprint(db, key);
        return locks.withLock(fp, () -> restoreLocked(db, key, fp, null, new CompletableFuture<>()));
    }

    private static <T> void settle(CompletableFuture<T> f, T value, Throwable failure) {
        if (failure != null) {
            f.completeExceptionally(failure);
        } else {
            f.complete(value);
        }
    }

    /**
     * One key's restore, under its lock. {@code resident} completes once the key is in Valkey (or not to be
     * restored): the store stops counting the key at that moment (DBSIZE, INFO keyspace add its count to Valkey's),
     * so the command waiting for it may go on. The returned stage, which holds the lock, completes once the disk
     * copy is dropped.
     *
     * @param ahead where to put the RESTORE for the caller to send on the client's connection, or null to send it
     *              on the tier's own
     */
    private CompletableFuture<RestoreOutcome> restoreLocked(int db, byte[] key, long fp, List<Prelude> ahead,
                                                            CompletableFuture<RestoreOutcome> resident) {
        if (!store.mightContain(fp)) {
            return CompletableFuture.completedFuture(RestoreOutcome.NOT_SPILLED);
        }
        ByteBuffer dataKey = ByteBuffer.wrap(SpillStore.dataKey(db, key));
        restoring.add(dataKey);
        CompletableFuture<RestoreOutcome> run;
        try {
            run = restoreRead(db, key, dataKey, ahead, resident);
        } catch (RuntimeException e) {
            run = CompletableFuture.failedFuture(e);
        }
        return run.whenComplete((outcome, failure) -> {
            restoring.remove(dataKey);
            if (failure != null) {
                // Every other outcome drops the disk copy; this one may have passed over a bypassing write's event.
                dropIfInMemory(db, key);
            }
        });
    }

    private CompletableFuture<RestoreOutcome> restoreRead(int db, byte[] key, ByteBuffer dataKey, List<Prelude> ahead,
                                                          CompletableFuture<RestoreOutcome> resident) {
        long start = System.nanoTime();
        CompletableFuture<SpillStore.Entry> read = read(db, key, false);
        if (ahead != null && read.isDone() && !read.isCompletedExceptionally()) {
            SpillStore.Entry e = read.join();
            if (e != null && !e.expiredAt(System.currentTimeMillis())) {
                RestorePrelude prelude = new RestorePrelude(e);
                ahead.add(prelude);
                return prelude.outcome.thenCompose(outcome -> restored(e, dataKey, outcome, start, resident,
                        prelude.settledAhead));
            }
        }
        return read.thenCompose(e -> {
            if (e == null) {
                return CompletableFuture.completedFuture(RestoreOutcome.NOT_SPILLED);
            }
            if (e.expiredAt(System.currentTimeMillis())) {
                stats.expiredOnRead.increment();
                return store.delete(db, key, e.version(), false).thenApply(d -> RestoreOutcome.EXPIRED);
            }
            return restoreInto(db, e, 0).thenCompose(outcome -> restored(e, dataKey, outcome, start, resident, false));
        });
    }

    /** The key is in Valkey (restored, or a newer value was there): the waiting command goes on, the copy goes. */
    private CompletableFuture<RestoreOutcome> restored(SpillStore.Entry e, ByteBuffer dataKey, RestoreOutcome outcome,
                                                       long start, CompletableFuture<RestoreOutcome> resident,
                                                       boolean ahead) {
        if (outcome == RestoreOutcome.RESTORED) {
            if (ahead) {
                stats.restoredAhead.increment();
            }
            // Before the disk copy goes, so a SCAN finds the key on disk or hears of it.
            restoreListener.restored(e.db(), e.key(), e.type());
            stats.restored.increment();
            stats.restoreBytes.add(e.payload().length);
            stats.restoreLatency.recordNanos(System.nanoTime() - start);
        } else {
            stats.memoryNewer.increment();
        }
        backInValkey.add(dataKey);
        // Not synced: a lost delete leaves a duplicate, and memory wins over duplicates.
        CompletableFuture<Boolean> dropped = store.deleteRestored(e);
        resident.complete(outcome);
        return dropped.handle((d, failure) -> {
            backInValkey.remove(dataKey);
            if (failure != null) {
                throw new CompletionException(failure);
            }
            return outcome;
        });
    }

    /** Whether a restore put {@code key} back into Valkey and its disk copy is going. */
    private boolean backInValkey(int db, byte[] key) {
        return !backInValkey.isEmpty() && backInValkey.contains(ByteBuffer.wrap(SpillStore.dataKey(db, key)));
    }

    /**
     * Whether a restore of {@code key} is under way: it leaves no disk copy behind, or reconciles the key with
     * Valkey if it fails, so an event about the key needs nothing else.
     */
    boolean restoring(int db, byte[] key) {
        return !restoring.isEmpty() && restoring.contains(ByteBuffer.wrap(SpillStore.dataKey(db, key)));
    }

    /**
     * A spilled key's RESTORE, sent by the proxy on the client's connection ahead of the client's command (see
     * {@link Prelude}). {@code +OK} and {@code -BUSYKEY} settle it; any other answer (-OOM, an ACL refusal, ...)
     * hands the restore to the tier's own connection, which waits for room on -OOM. If the reply is lost with the
     * connection, Valkey is asked whether it holds the key now.
     */
    private final class RestorePrelude implements Prelude {
        final SpillStore.Entry e;
        final CompletableFuture<RestoreOutcome> outcome = new CompletableFuture<>();
        /** Valkey answered the RESTORE sent ahead (set before {@link #outcome} completes). */
        boolean settledAhead;

        RestorePrelude(SpillStore.Entry e) {
            this.e = e;
        }

        @Override
        public ByteBuf request(ByteBufAllocator alloc) {
            Reply ttl = Reply.bulk(Long.toString(e.expireAt() == SpillStore.NO_EXPIRY ? 0 : e.expireAt()));
            Reply request = e.expireAt() == SpillStore.NO_EXPIRY
                    ? Reply.array(RESTORE, Reply.bulk(e.key()), ttl, Reply.bulk(e.payload()))
                    : Reply.array(RESTORE, Reply.bulk(e.key()), ttl, Reply.bulk(e.payload()), ABSTTL);
            return ReplyEncoder.encode(alloc, request, 2);
        }

        @Override
        public boolean answered(ReplyFrame reply) {
            if (!reply.isError()) {
                settledAhead = true;
                outcome.complete(RestoreOutcome.RESTORED);
                return true;
            }
            if (startsWith(reply, BUSYKEY)) {
                outcome.complete(RestoreOutcome.MEMORY_NEWER);
                return true;
            }
            restoreInto(e.db(), e, 0).whenComplete((o, failure) -> settle(outcome, o, failure));
            return false;
        }

        @Override
        public void lost() {
            existsInMemory(e.db(), e.key()).thenApply(inMemory -> {
                if (!inMemory) {
                    throw new IllegalStateException("connection to Valkey lost");
                }
                return RestoreOutcome.RESTORED;
            }).whenComplete((o, failure) -> settle(outcome, o, failure));
        }
    }

    private static final Reply RESTORE = Reply.bulk("RESTORE");
    private static final Reply ABSTTL = Reply.bulk("ABSTTL");
    private static final byte[] BUSYKEY = "-BUSYKEY".getBytes(StandardCharsets.US_ASCII);

    private static boolean startsWith(ReplyFrame frame, byte[] prefix) {
        if (frame.length() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (frame.byteAt(i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private CompletableFuture<RestoreOutcome> restoreInto(int db, SpillStore.Entry e, int attempt) {
        RestoreArgs args = e.expireAt() == SpillStore.NO_EXPIRY
                ? RestoreArgs.Builder.ttl(0) : RestoreArgs.Builder.ttl(e.expireAt()).absttl();
        return links.shared(db).thenCompose(a -> a.restore(e.key(), e.payload(), args).toCompletableFuture())
                .handle((ok, err) -> {
                    if (err == null) {
                        return CompletableFuture.completedFuture(RestoreOutcome.RESTORED);
                    }
                    Throwable cause = unwrap(err);
                    String msg = String.valueOf(cause.getMessage());
                    if (cause instanceof RedisCommandExecutionException && msg.startsWith("BUSYKEY")) {
                        return CompletableFuture.completedFuture(RestoreOutcome.MEMORY_NEWER);
                    }
                    if (cause instanceof RedisCommandExecutionException && msg.startsWith("OOM")
                            && attempt < OOM_RETRIES) {
                        // Bounded wait: the relief round may itself wait for a key lock this restore holds.
                        CompletableFuture<Object> pause = CompletableFuture.supplyAsync(() -> null,
                                CompletableFuture.delayedExecutor(20L << attempt, TimeUnit.MILLISECONDS, io));
                        return CompletableFuture.anyOf(oomRelief.get().toCompletableFuture(), pause)
                                .handle((r, t) -> null)
                                .thenCompose(x -> restoreInto(db, e, attempt + 1));
                    }
                    return CompletableFuture.<RestoreOutcome>failedFuture(cause);
                })
                .thenCompose(f -> f);
    }

    // ---- spill ----

    /** EVICT / the memory controller: spills {@code keys} of {@code db}; one outcome per key, in order. */
    public CompletableFuture<List<SpillOutcome>> spill(int db, List<byte[]> keys) {
        long[] fps = new long[keys.size()];
        for (int i = 0; i < fps.length; i++) {
            fps[i] = KeyHash.fingerprint(db, keys.get(i));
        }
        return locks.withLocks(fps, () -> spillLocked(db, keys, fps));
    }

    private CompletableFuture<List<SpillOutcome>> spillLocked(int db, List<byte[]> keys, long[] fps) {
        SpillOutcome[] out = new SpillOutcome[keys.size()];
        List<Integer> todo = new ArrayList<>();
        int[] duplicateOf = new int[fps.length];
        Arrays.fill(duplicateOf, -1);
        for (int i = 0; i < fps.length; i++) {
            stripes.markSpilling(fps[i]);
            if (stripes.pinned(fps[i])) {
                out[i] = SpillOutcome.PINNED;
            } else if (store.budgetReached()) {
                out[i] = SpillOutcome.REFUSED_BUDGET;
                stats.refusedBudget.increment();
            } else if ((duplicateOf[i] = indexOf(keys, todo, keys.get(i))) < 0) {
                todo.add(i);
            }
        }
        CompletableFuture<Void> work = todo.isEmpty() ? DONE : links.borrow(db).thenCompose(conn -> {
            SpillRun run = new SpillRun(db, keys, todo, out, conn);
            return run.start().whenComplete((v, err) -> links.giveBack(db, conn, err == null));
        });
        return work.handle((v, err) -> {
            for (long fp : fps) {
                stripes.unmarkSpilling(fp);
            }
            if (err != null) {
                throw new CompletionException(unwrap(err));
            }
            int hottest = -1;
            for (int i = 0; i < out.length; i++) {
                if (duplicateOf[i] >= 0) {
                    out[i] = out[duplicateOf[i]];
                }
                if (out[i] == SpillOutcome.SPILLED) {
                    hottest = Math.max(hottest, heat.heat(fps[i]));
                }
            }
            if (hottest >= 0) {
                // Below the counters' ceiling, so a key whose heat saturated can still come back.
                spilledHeat = Math.min(hottest, AccessHeat.MAX - 1);
            }
            return List.of(out);
        });
    }

    private static int indexOf(List<byte[]> keys, List<Integer> among, byte[] key) {
        for (int j : among) {
            if (Arrays.equals(keys.get(j), key)) {
                return j;
            }
        }
        return -1;
    }

    /**
     * Size check, DUMP and PEXPIRETIME of many keys in one command (a per-key pipeline cost three commands a
     * key, the largest share of a spill's work in Valkey and in the client). It stops after about
     * {@link #DUMP_BYTES_PER_CALL} dumped bytes, so big keys cannot block Valkey for long in one call; the
     * caller goes on with the keys it did not reach. Per key: 0 = absent, -1 = larger than ARGV[1], else
     * {payload, PEXPIRETIME}. Declared read-only, so Valkey runs it when it is over maxmemory, which is when a
     * spill is needed most.
     */
    private static final String DUMP_SCRIPT = """
            #!lua flags=no-writes
            local out, dumped = {}, 0
            for i, k in ipairs(KEYS) do
              if dumped > tonumber(ARGV[2]) then break end
              local size = redis.call('MEMORY', 'USAGE', k)
              if not size then
                out[i] = 0
              elseif size > tonumber(ARGV[1]) then
                out[i] = -1
              else
                local payload = redis.call('DUMP', k)
                out[i] = {payload, redis.call('PEXPIRETIME', k)}
                dumped = dumped + #payload
              end
            end
            return out
            """;
    private static final long DUMP_BYTES_PER_CALL = 1 << 20;

    /** One WATCH/DUMP/store/MULTI-DEL-EXEC round on an exclusive connection. */
    private final class SpillRun {
        final int db;
        final List<byte[]> keys;
        final List<Integer> todo;
        final SpillOutcome[] out;
        final int[] sizes;
        final byte[][] payloads;
        final long[] expiries;
        final RedisAsyncCommands<byte[], byte[]> a;

        SpillRun(int db, List<byte[]> keys, List<Integer> todo, SpillOutcome[] out,
                 StatefulRedisConnection<byte[], byte[]> conn) {
            this.db = db;
            this.keys = keys;
            this.todo = todo;
            this.out = out;
            this.sizes = new int[keys.size()];
            this.payloads = new byte[keys.size()][];
            this.expiries = new long[keys.size()];
            this.a = conn.async();
        }

        CompletableFuture<Void> start() {
            byte[][] watched = todo.stream().map(keys::get).toArray(byte[][]::new);
            // Without a WATCH in place the later DEL could delete a newer value: a failed WATCH fails the run.
            CompletableFuture<String> watch = a.watch(watched).toCompletableFuture();
            return watch.thenCombine(dump(0), (ok, v) -> v).thenCompose(v -> store());
        }

        /** Dumps {@code todo} from index {@code from} on, one script call per {@link #DUMP_BYTES_PER_CALL}. */
        private CompletableFuture<Void> dump(int from) {
            byte[][] batch = todo.subList(from, todo.size()).stream().map(keys::get).toArray(byte[][]::new);
            byte[] cap = Long.toString(maxSpillBytes).getBytes(StandardCharsets.US_ASCII);
            byte[] budget = Long.toString(DUMP_BYTES_PER_CALL).getBytes(StandardCharsets.US_ASCII);
            return a.<List<Object>>eval(DUMP_SCRIPT, ScriptOutputType.MULTI, batch, cap, budget).toCompletableFuture()
                    .thenCompose(reply -> {
                        for (int j = 0; j < reply.size(); j++) {
                            int i = todo.get(from + j);
                            if (reply.get(j) instanceof List<?> dumped) {
                                payloads[i] = (byte[]) dumped.get(0);
                                expiries[i] = (Long) dumped.get(1);
                            } else if ((Long) reply.get(j) == 0) {
                                out[i] = SpillOutcome.NOT_FOUND;
                            } else {
                                out[i] = SpillOutcome.TOO_LARGE;
                                stats.tooLarge.increment();
                            }
                        }
                        int next = from + reply.size();
                        return next < todo.size() ? dump(next) : DONE;
                    });
        }

        private CompletableFuture<Void> store() {
            List<Integer> stored = new ArrayList<>();
            List<CompletableFuture<Long>> versions = new ArrayList<>();
            for (int i : todo) {
                if (payloads[i] != null) {
                    stored.add(i);
                    sizes[i] = payloads[i].length;
                    versions.add(store.put(db, keys.get(i), expiries[i] < 0 ? SpillStore.NO_EXPIRY : expiries[i],
                            payloads[i], true));
                }
            }
            if (stored.isEmpty()) {
                return a.unwatch().toCompletableFuture().thenApply(ok -> null);
            }
            return CompletableFuture.allOf(versions.toArray(CompletableFuture[]::new)).thenCompose(w -> {
                List<Integer> accepted = new ArrayList<>();
                List<CompletableFuture<Long>> acceptedVersions = new ArrayList<>();
                for (int j = 0; j < stored.size(); j++) {
                    if (versions.get(j).join() == SpillStore.REFUSED) {
                        out[stored.get(j)] = SpillOutcome.REFUSED_BUDGET;
                        stats.refusedBudget.increment();
                    } else {
                        accepted.add(stored.get(j));
                        acceptedVersions.add(versions.get(j));
                    }
                }
                if (accepted.isEmpty()) {
                    return a.unwatch().toCompletableFuture().thenApply(ok -> null);
                }
                return deleteFromValkey(accepted, acceptedVersions);
            });
        }

        private CompletableFuture<Void> deleteFromValkey(List<Integer> stored, List<CompletableFuture<Long>> versions) {
            a.multi();
            a.del(stored.stream().map(keys::get).toArray(byte[][]::new));
            return a.exec().toCompletableFuture().thenCompose(tx -> {
                boolean aborted = tx == null || tx.wasDiscarded();
                List<CompletableFuture<Boolean>> settle = new ArrayList<>();
                for (int j = 0; j < stored.size(); j++) {
                    int i = stored.get(j);
                    long version = versions.get(j).join();
                    if (aborted) {
                        out[i] = SpillOutcome.RACED;
                        stats.raced.increment();
                        settle.add(store.delete(db, keys.get(i), version, false));
                    } else {
                        out[i] = SpillOutcome.SPILLED;
                        stats.spilled.increment();
                        stats.spillBytes.add(sizes[i]);
                        settle.add(store.commit(db, keys.get(i), version));
                    }
                }
                return CompletableFuture.allOf(settle.toArray(CompletableFuture[]::new));
            });
        }
    }

    // ---- pending entries and expiry ----

    /**
     * After a restart: settles every entry a crashed spill left pending. If Valkey still holds the key the
     * DEL never ran and memory wins (disk copy dropped); otherwise the spill completed (mark cleared).
     *
     * @return how many pending entries were settled
     */
    public CompletionStage<Integer> recoverPending() {
        return CompletableFuture.supplyAsync(store::pendingEntries, io).thenCompose(pending -> {
            List<CompletableFuture<Boolean>> all = new ArrayList<>();
            for (SpillStore.Entry e : pending) {
                long fp = KeyHash.fingerprint(e.db(), e.key());
                all.add(locks.withLock(fp, () -> resolvePending(e)));
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> all.size());
        });
    }

    /** @return whether the disk copy stays (the key is not in Valkey) */
    private CompletableFuture<Boolean> resolvePending(SpillStore.Entry e) {
        return existsInMemory(e.db(), e.key()).thenCompose(inMemory -> inMemory
                ? store.delete(e.db(), e.key(), e.version(), true).thenApply(d -> false)
                : store.commit(e.db(), e.key(), e.version()).thenApply(c -> true));
    }

    private CompletableFuture<Boolean> existsInMemory(int db, byte[] key) {
        return links.shared(db).thenCompose(a -> a.exists(key).toCompletableFuture()).thenApply(n -> n > 0);
    }

    /**
     * SPILL.CLEANUP and the periodic sweeper: removes every entry expired by now, in batches, off the caller's
     * thread; other clients are never blocked.
     *
     * @return how many entries were removed
     */
    public CompletionStage<Long> cleanup() {
        return sweepFrom(System.currentTimeMillis(), 0);
    }

    private CompletableFuture<Long> sweepFrom(long now, long sofar) {
        return CompletableFuture.supplyAsync(() -> store.sweepExpired(now, SWEEP_BATCH), io)
                .thenCompose(f -> f)
                .thenCompose(n -> {
                    stats.cleaned.add(n);
                    return n < SWEEP_BATCH ? CompletableFuture.completedFuture(sofar + n) : sweepFrom(now, sofar + n);
                });
    }

    /** How often clients touched {@code key} lately (see {@link AccessHeat}); the memory controller ranks by it. */
    int heat(int db, byte[] key) {
        return heat.heat(KeyHash.fingerprint(db, key));
    }

    /** Lets past accesses weigh less than recent ones; the memory controller calls it periodically. */
    void ageHeat() {
        heat.age();
        spilledHeat >>>= 1;
    }

    /** Bytes of the access-heat table (fixed, whatever the number of keys). */
    public long heatBytes() {
        return heat.bytes();
    }

    /** The shared connection of {@code db}, for the memory controller's sampling. */
    CompletableFuture<RedisAsyncCommands<byte[], byte[]>> connection(int db) {
        return links.shared(db);
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Keys with a spill, restore or delete running or queued (for tests and diagnostics). */
    int busyKeys() {
        return locks.busy();
    }

    @Override
    public void close() {
        links.close();
        io.shutdown();
        log.debug("spill engine closed");
    }
}
