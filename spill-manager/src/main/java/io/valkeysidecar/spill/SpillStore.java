package io.valkeysidecar.spill;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.ReadTier;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier: spilled keys in RocksDB, one entry per (database, key).
 *
 * <p>Column families: {@code data} maps [db][key] to [version][expireAt][rdbVersion][DUMP payload];
 * {@code expiry} holds [expireAt][db][key][version] for every entry with a TTL, in expiry order, so the
 * sweeper reads only what is due; {@code pending} marks entries written by a spill whose {@code DEL} in
 * Valkey is not yet known to have happened (resolved after a crash by asking Valkey).
 *
 * <p>All mutations go through one writer thread that gathers whatever is queued into one {@link WriteBatch}
 * and one WAL write; ops that must be durable complete after a WAL sync on a thread of its own, which covers
 * every batch written before it (group commit). Every mutation reads the
 * current entry first, so deletes can be version-checked: a sweep never removes a newer re-spilled value.
 * Reads ({@link #get}, {@link #keys}) are blocking RocksDB calls: callers keep them off event loops.
 */
public final class SpillStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpillStore.class);

    /** Header of a data value: version (8), expireAt (8), RDB version (2). */
    static final int HEADER = 18;
    /** Matches a delete to whatever version is stored. */
    public static final long ANY_VERSION = -1;
    public static final long NO_EXPIRY = -1;
    /** What {@link #put} answers for a spill refused because the disk budget is reached. */
    public static final long REFUSED = -1;
    private static final byte[] EMPTY = new byte[0];
    private static final int MAX_GROUP = 1024;
    private static final long DEFERRED_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /**
     * Memtable size per column family. A memtable keeps every version and tombstone of the spill/restore churn
     * until it is flushed, and a lookup or insert walks its skiplist at about a cache miss per node: with RocksDB's
     * default of 64 MB, small payloads never flushed and the memtables grew to hundreds of thousands of entries.
     */
    private static final long MEMTABLE_BYTES = 4L << 20;

    static {
        RocksDB.loadLibrary();
    }

    private final Path directory;
    private final long diskBudgetBytes;
    private final RocksDB db;
    private final DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private final LRUCache blockCache;
    private final ColumnFamilyHandle defaultCf;
    private final ColumnFamilyHandle dataCf;
    private final ColumnFamilyHandle expiryCf;
    private final ColumnFamilyHandle pendingCf;
    private final WriteOptions unsyncedWrite = new WriteOptions();
    private final ReadOptions blockingRead = new ReadOptions();
    private final ReadOptions cacheOnlyRead = new ReadOptions().setReadTier(ReadTier.BLOCK_CACHE_TIER);
    private final FingerprintIndex index = new FingerprintIndex();
    private final Map<Integer, AtomicLong> keysPerDb = new ConcurrentHashMap<>();
    private final AtomicLong logicalBytes = new AtomicLong();
    private final LongAdder walSyncs = new LongAdder();
    private final LongAdder syncedOps = new LongAdder();
    private final AtomicBoolean budgetReached = new AtomicBoolean();
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    /** Ops queued without waking the writer ({@link #submitDeferred}). */
    private final Queue<Op> deferred = new ConcurrentLinkedQueue<>();
    /** The writer waits for {@link #queue} without a timeout: a deferred op must wake it. */
    private volatile boolean writerAsleep;
    private final BlockingQueue<SyncWaiter> syncQueue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final Thread syncer;
    private volatile boolean closed;
    /** Owned by the writer thread after open. */
    private long lastVersion;
    /**
     * Sweep and flush batches written that removed entries: the only removals the engine's key locks do not
     * serialise, so an entry read while this count stayed the same is still stored for the key's lock holder.
     */
    private final AtomicLong removalRounds = new AtomicLong();
    /**
     * Versions this process wrote marked pending and not yet committed or removed, by data key (owned by the
     * writer thread): a commit finds its version here without reading the entry. Holds the spills in flight.
     */
    private final Map<ByteBuffer, Long> pendingVersions = new HashMap<>();

    private SpillStore(Path directory, long diskBudgetBytes) throws RocksDBException {
        this.directory = directory;
        this.diskBudgetBytes = diskBudgetBytes;
        blockCache = new LRUCache(64L << 20);
        dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setMaxBackgroundJobs(2).setBytesPerSync(1 << 20);
        ColumnFamilyOptions plain = cf(false);
        ColumnFamilyOptions pointLookups = cf(true);
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, plain),
                new ColumnFamilyDescriptor(bytes("data"), pointLookups),
                new ColumnFamilyDescriptor(bytes("expiry"), plain),
                new ColumnFamilyDescriptor(bytes("pending"), pointLookups));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        db = RocksDB.open(dbOptions, directory.toString(), descriptors, handles);
        defaultCf = handles.get(0);
        dataCf = handles.get(1);
        expiryCf = handles.get(2);
        pendingCf = handles.get(3);
        rebuild();
        writer = new Thread(this::writeLoop, "spill-store-writer");
        writer.setDaemon(true);
        writer.start();
        syncer = new Thread(this::syncLoop, "spill-store-wal-sync");
        syncer.setDaemon(true);
        syncer.start();
    }

    private ColumnFamilyOptions cf(boolean bloom) {
        BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(blockCache)
                .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true);
        if (bloom) {
            // Point lookups dominate (restore on miss): a bloom filter and a hash index inside each block.
            table.setFilterPolicy(new BloomFilter(10, false))
                    .setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash);
        }
        ColumnFamilyOptions o = new ColumnFamilyOptions().setTableFormatConfig(table)
                .setCompressionType(CompressionType.LZ4_COMPRESSION).setWriteBufferSize(MEMTABLE_BYTES);
        if (bloom) {
            // A restored key was mostly spilled before the memtables' contents: without a bloom filter of their
            // own each lookup walked every memtable's skiplist first (31% of the event loop's store-read samples in
            // a profile, 18% with them).
            o.setMemtablePrefixBloomSizeRatio(0.1).setMemtableWholeKeyFiltering(true);
        }
        cfOptions.add(o);
        return o;
    }

    /**
     * Opens (or creates) the store in {@code directory} and rebuilds the in-memory index from it.
     *
     * @param diskBudgetBytes spilling stops once the store holds this much (0 = unlimited)
     */
    public static SpillStore open(Path directory, long diskBudgetBytes) {
        try {
            Files.createDirectories(directory);
            return new SpillStore(directory, diskBudgetBytes);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open the spill store in " + directory, e);
        }
    }

    private void rebuild() throws RocksDBException {
        long entries = 0;
        // A full scan must not push the restore path's hot blocks out of the block cache.
        try (ReadOptions ro = new ReadOptions().setFillCache(false);
             RocksIterator it = db.newIterator(dataCf, ro)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                byte[] v = it.value();
                int dbIndex = ByteBuffer.wrap(k).getInt();
                index.add(KeyHash.fingerprint(dbIndex, Arrays.copyOfRange(k, 4, k.length)));
                keysPerDb.computeIfAbsent(dbIndex, d -> new AtomicLong()).incrementAndGet();
                logicalBytes.addAndGet(k.length + v.length);
                lastVersion = Math.max(lastVersion, ByteBuffer.wrap(v).getLong());
                entries++;
            }
            it.status();
        }
        updateBudgetState();
        log.info("spill store {} opened: {} keys, {} bytes", directory, entries, logicalBytes.get());
    }

    // ---- reads ----

    /** Whether what expires at {@code expireAt} (Unix ms, or {@link #NO_EXPIRY}) is gone at {@code nowMs}. */
    static boolean expired(long expireAt, long nowMs) {
        return expireAt != NO_EXPIRY && expireAt <= nowMs;
    }

    /**
     * One spilled entry as stored. {@code expireAt} is absolute Unix ms or {@link #NO_EXPIRY};
     * {@code removalRound} is {@link #removalRounds} as it was before the entry was read.
     */
    public record Entry(int db, byte[] key, long version, long expireAt, int rdbVersion, boolean pending,
                        byte[] payload, long removalRound) {

        public boolean expiredAt(long nowMs) {
            return expired(expireAt, nowMs);
        }

        public String type() {
            return RdbType.typeName(payload);
        }
    }

    /** What {@link #getIfCached} answers when answering would need a disk read. */
    static final Entry NOT_CACHED = new Entry(-1, new byte[0], -1, NO_EXPIRY, 0, false, new byte[0], -1);

    /** A page of an enumeration: {@code next} is where to resume, null when the database is exhausted. */
    public record Page(List<byte[]> keys, byte[] next) {
    }

    /** False means the key is certainly not on disk; answered from memory. */
    public boolean mightContain(int dbIndex, byte[] key) {
        return index.contains(KeyHash.fingerprint(dbIndex, key));
    }

    boolean mightContain(long fingerprint) {
        return index.contains(fingerprint);
    }

    /** The stored entry, or null. Blocking disk read. */
    public Entry get(int dbIndex, byte[] key) {
        try {
            return read(dbIndex, key, blockingRead, true);
        } catch (RocksDBException e) {
            throw new IllegalStateException("spill store read failed", e);
        }
    }

    /**
     * The stored entry, or null, if RocksDB can answer from memory (memtables and block cache); otherwise
     * {@link #NOT_CACHED}, and the caller reads with {@link #get} off its thread. Never touches the disk.
     *
     * @param withPending whether to look up the pending mark; without, the entry says not pending (a restore
     *                    does not need it: RESTORE without REPLACE leaves a key still in Valkey alone)
     */
    Entry getIfCached(int dbIndex, byte[] key, boolean withPending) {
        try {
            return read(dbIndex, key, cacheOnlyRead, withPending);
        } catch (RocksDBException e) {
            if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Incomplete) {
                return NOT_CACHED;
            }
            throw new IllegalStateException("spill store read failed", e);
        }
    }

    private Entry read(int dbIndex, byte[] key, ReadOptions ro, boolean withPending) throws RocksDBException {
        long round = removalRounds.get();
        byte[] dk = dataKey(dbIndex, key);
        byte[] v = db.get(dataCf, ro, dk);
        if (v == null) {
            return null;
        }
        boolean pending = withPending && db.get(pendingCf, ro, dk) != null;
        ByteBuffer b = ByteBuffer.wrap(v);
        long version = b.getLong();
        long expireAt = b.getLong();
        int rdb = b.getShort() & 0xffff;
        return new Entry(dbIndex, key, version, expireAt, rdb, pending, Arrays.copyOfRange(v, HEADER, v.length),
                round);
    }

    /**
     * Up to {@code count} stored entries of {@code dbIndex} examined after {@code after} (exclusive; null
     * = from the start), returning those not expired at {@code nowMs} that match {@code match} (null = all)
     * and {@code type} (null = any). Like SCAN's COUNT, {@code count} bounds the work, not the result.
     */
    public Page keys(int dbIndex, byte[] after, int count, byte[] match, String type, long nowMs) {
        List<byte[]> out = new ArrayList<>();
        byte[] last = null;
        int examined = 0;
        try (Slice upper = new Slice(dbPrefix(dbIndex + 1));
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper).setFillCache(false);
             RocksIterator it = db.newIterator(dataCf, ro)) {
            byte[] start = after == null ? dbPrefix(dbIndex) : dataKey(dbIndex, after);
            it.seek(start);
            if (after != null && it.isValid() && Arrays.equals(it.key(), start)) {
                it.next();
            }
            for (; it.isValid() && examined < count; it.next(), examined++) {
                byte[] k = it.key();
                byte[] key = Arrays.copyOfRange(k, 4, k.length);
                last = key;
                if (match != null && !Glob.matches(match, key)) {
                    continue;
                }
                byte[] v = it.value();
                long expireAt = ByteBuffer.wrap(v, 8, 8).getLong();
                if (expired(expireAt, nowMs)) {
                    continue;
                }
                if (type != null && !type.equalsIgnoreCase(
                        RdbType.typeName(Arrays.copyOfRange(v, HEADER, Math.min(v.length, HEADER + 1))))) {
                    continue;
                }
                out.add(key);
            }
            boolean more = it.isValid();
            it.status();
            return new Page(out, more ? last : null);
        } catch (RocksDBException e) {
            throw new IllegalStateException("spill store scan failed", e);
        }
    }

    /** Every entry still marked pending (a spill whose DEL may not have happened). Blocking. */
    public List<Entry> pendingEntries() {
        List<Entry> out = new ArrayList<>();
        try (RocksIterator it = db.newIterator(pendingCf)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                Entry e = get(ByteBuffer.wrap(k).getInt(), Arrays.copyOfRange(k, 4, k.length));
                if (e != null) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    // ---- writes ----

    /**
     * Stores a DUMP payload as a new version of the key (replacing any older one), durably.
     *
     * @param pending true for a spill (its DEL in Valkey is outstanding; cleared by {@link #commit}): refused
     *                with {@link #REFUSED} once the store holds its disk budget
     * @return the new version
     */
    public CompletableFuture<Long> put(int dbIndex, byte[] key, long expireAt, byte[] payload, boolean pending) {
        Put op = new Put(dbIndex, key, expireAt, payload, pending);
        submit(op);
        return op.future;
    }

    /**
     * Deletes the entry if its version is {@code expectedVersion} (or any, with {@link #ANY_VERSION}).
     *
     * @param durable whether the delete must be synced to the WAL before the future completes
     * @return whether an entry was deleted
     */
    public CompletableFuture<Boolean> delete(int dbIndex, byte[] key, long expectedVersion, boolean durable) {
        Delete op = new Delete(dbIndex, key, expectedVersion, durable, true);
        submit(op);
        return op.future;
    }

    /**
     * Deletes the entry of a key that is back in Valkey (version-checked, not synced), and stops counting it in
     * {@link #keyCount(int)} at once rather than once written: DBSIZE and INFO keyspace add this count to
     * Valkey's, and must not count the key twice in between. The caller must have held the key since {@code e} was
     * read (no put or delete of it but this one): then only a sweep or a flush can have removed it meanwhile, and
     * unless one did, the writer takes {@code e} as the stored entry without reading it again.
     *
     * @return whether the entry was deleted
     */
    public CompletableFuture<Boolean> deleteRestored(Entry e) {
        keysPerDb.get(e.db()).decrementAndGet();
        Delete op = new Delete(e.db(), e.key(), e.version(), false, false);
        op.known = new Header(e.version(), e.expireAt(), HEADER + e.payload().length);
        op.knownAtRound = e.removalRound();
        submitDeferred(op);
        return op.future;
    }

    /** Clears the pending mark of {@code version}: the spill's DEL happened. Not synced (see class doc). */
    public CompletableFuture<Boolean> commit(int dbIndex, byte[] key, long version) {
        Commit op = new Commit(dbIndex, key, version);
        submit(op);
        return op.future;
    }

    /**
     * Removes up to {@code limit} entries whose expiry is at or before {@code nowMs}, version-checked.
     * Blocking read of the expiry index, then one group-committed batch.
     *
     * @return how many entries were removed
     */
    public CompletableFuture<Integer> sweepExpired(long nowMs, int limit) {
        return sweep(dueExpiries(nowMs, limit));
    }

    /** Up to {@code limit} expiry-index entries due at {@code nowMs}. Blocking read. */
    List<byte[]> dueExpiries(long nowMs, int limit) {
        List<byte[]> due = new ArrayList<>();
        byte[] upper = ByteBuffer.allocate(8).putLong(nowMs + 1).array();
        try (Slice bound = new Slice(upper);
             ReadOptions ro = new ReadOptions().setIterateUpperBound(bound);
             RocksIterator it = db.newIterator(expiryCf, ro)) {
            for (it.seekToFirst(); it.isValid() && due.size() < limit; it.next()) {
                due.add(it.key());
            }
        }
        return due;
    }

    /** Deletes the entries behind {@code due} expiry-index keys whose version is still the stored one. */
    CompletableFuture<Integer> sweep(List<byte[]> due) {
        if (due.isEmpty()) {
            return CompletableFuture.completedFuture(0);
        }
        Sweep op = new Sweep(due);
        submit(op);
        return op.future;
    }

    /** Deletes every entry of {@code dbIndex} (FLUSHDB); returns how many there were. */
    public CompletableFuture<Long> flushDb(int dbIndex) {
        Flush op = new Flush(dbIndex);
        submit(op);
        return op.future;
    }

    private void submit(Op op) {
        if (closed) {
            op.fail(new IllegalStateException("spill store closed"));
            return;
        }
        queue.add(op);
    }

    /**
     * {@link #submit} for an op whose completion nobody waits on promptly (a restored key's disk copy): it is
     * written with the next group, at most {@link #DEFERRED_WAIT_NANOS} later, and its caller, a proxy event loop
     * in the common case, does not wake the writer thread, which took a few percent of the event loop's time per
     * restore (a futex wake, on a VM an interrupt to the other core). Only a writer asleep without a timeout is
     * woken.
     */
    private void submitDeferred(Op op) {
        if (closed) {
            op.fail(new IllegalStateException("spill store closed"));
            return;
        }
        deferred.add(op);
        if (writerAsleep) {
            queue.add(Marker.WAKE);
        }
    }

    // ---- statistics ----

    public long keyCount() {
        return index.size();
    }

    /** Entries of one database on disk, expired ones not yet swept included. */
    public long keyCount(int dbIndex) {
        AtomicLong n = keysPerDb.get(dbIndex);
        return n == null ? 0 : n.get();
    }

    /** Bytes of keys and values written (before compression and RocksDB overheads). */
    public long logicalBytes() {
        return logicalBytes.get();
    }

    /** SST files plus memtables (whose content is in the WAL on disk). */
    public long diskUsageBytes() {
        try {
            return db.getAggregatedLongProperty("rocksdb.total-sst-files-size")
                    + db.getAggregatedLongProperty("rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    public long diskBudgetBytes() {
        return diskBudgetBytes;
    }

    /** True once the store holds its disk budget: no further spills until entries leave. */
    public boolean budgetReached() {
        return budgetReached.get();
    }

    /** Heap bytes of the membership index. */
    public long indexBytes() {
        return index.memoryBytes();
    }

    /** WAL fsyncs, and the durable ops they covered: ops / syncs is the group-commit factor. */
    public long walSyncs() {
        return walSyncs.sum();
    }

    public long syncedOps() {
        return syncedOps.sum();
    }

    private void updateBudgetState() {
        if (diskBudgetBytes <= 0) {
            return;
        }
        boolean reached = logicalBytes.get() >= diskBudgetBytes;
        if (budgetReached.getAndSet(reached) != reached) {
            if (reached) {
                log.warn("spill store reached its disk budget of {} bytes ({} bytes stored): spilling stops",
                        diskBudgetBytes, logicalBytes.get());
            } else {
                log.info("spill store back under its disk budget of {} bytes: spilling resumes", diskBudgetBytes);
            }
        }
    }

    // ---- the writer ----

    /**
     * The writer takes what is queued in groups. After a group it waits at most {@link #DEFERRED_WAIT_NANOS} for the
     * next op, and so does it while deferred ops wait; only after a wait that brought nothing does it sleep until
     * woken, so an idle store costs no wake-ups.
     */
    private void writeLoop() {
        List<Op> group = new ArrayList<>();
        boolean wrote = false;
        while (true) {
            try {
                Op first;
                if (wrote || !deferred.isEmpty()) {
                    first = queue.poll(DEFERRED_WAIT_NANOS, TimeUnit.NANOSECONDS);
                } else {
                    writerAsleep = true;
                    // Checked again after saying so: a deferred op queued in between is seen here or wakes the take.
                    first = deferred.isEmpty() ? queue.take() : queue.poll();
                    writerAsleep = false;
                }
                if (first == Marker.SHUTDOWN) {
                    return;
                }
                if (first != null) {
                    group.add(first);
                }
                queue.drainTo(group, MAX_GROUP - group.size());
                for (Op op; group.size() < MAX_GROUP && (op = deferred.poll()) != null; ) {
                    group.add(op);
                }
                boolean stop = group.remove(Marker.SHUTDOWN);
                group.removeIf(op -> op == Marker.WAKE);
                wrote = !group.isEmpty();
                runGroup(group);
                group.clear();
                if (stop) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void runGroup(List<Op> ops) {
        int from = 0;
        for (int i = 0; i < ops.size(); i++) {
            // A flush iterates the database itself, so it must not share a batch with unwritten ops.
            if (ops.get(i) instanceof Flush f) {
                runBatch(ops.subList(from, i));
                runFlush(f);
                from = i + 1;
            }
        }
        runBatch(ops.subList(from, ops.size()));
    }

    private void runBatch(List<Op> ops) {
        if (ops.isEmpty()) {
            return;
        }
        try (WriteBatch wb = new WriteBatch()) {
            Batch batch = new Batch(wb);
            for (Op op : ops) {
                op.apply(batch);
            }
            if (wb.count() > 0) {
                db.write(unsyncedWrite, wb);
            }
            batch.after.forEach(Runnable::run);
            updateBudgetState();
            finish(batch, ops);
        } catch (RuntimeException | RocksDBException e) {
            log.error("spill store write of {} ops failed", ops.size(), e);
            ops.forEach(op -> op.fail(e));
        }
    }

    /**
     * Completes the ops of a written batch: at once (the write is in the OS, safe from a process crash), or
     * once the WAL is synced if one of them asked for durability. Syncing on its own thread means an op that
     * needs no fsync (a restore's cleanup) never waits behind a spill's, and every sync covers all batches
     * written before it (group commit).
     */
    private void finish(Batch batch, List<Op> ops) {
        if (batch.sync) {
            syncQueue.add(new SyncWaiter(batch.done, List.copyOf(ops)));
        } else {
            batch.done.forEach(Runnable::run);
        }
    }

    /** Written ops waiting for the next WAL sync. */
    private record SyncWaiter(List<Runnable> done, List<Op> ops) {
    }

    private static final SyncWaiter STOP_SYNCING = new SyncWaiter(List.of(), List.of());

    private void syncLoop() {
        List<SyncWaiter> waiting = new ArrayList<>();
        while (true) {
            try {
                waiting.add(syncQueue.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            syncQueue.drainTo(waiting);
            boolean stop = waiting.removeIf(w -> w == STOP_SYNCING);
            if (!waiting.isEmpty()) {
                try {
                    db.syncWal();
                    walSyncs.increment();
                    waiting.forEach(w -> syncedOps.add(w.ops().size()));
                    waiting.forEach(w -> w.done().forEach(Runnable::run));
                } catch (RuntimeException | RocksDBException e) {
                    log.error("spill store WAL sync failed", e);
                    waiting.forEach(w -> w.ops().forEach(op -> op.fail(e)));
                }
                waiting.clear();
            }
            if (stop) {
                return;
            }
        }
    }

    private void runFlush(Flush f) {
        try (Slice upper = new Slice(dbPrefix(f.db + 1));
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(dataCf, ro);
             WriteBatch wb = new WriteBatch()) {
            Batch batch = new Batch(wb);
            batch.sync = true;
            long removed = 0;
            for (it.seek(dbPrefix(f.db)); it.isValid(); it.next()) {
                byte[] k = it.key();
                batch.remove(f.db, Arrays.copyOfRange(k, 4, k.length), k, header(it.value()));
                removed++;
            }
            if (removed > 0) {
                batch.after.add(removalRounds::incrementAndGet);
            }
            db.write(unsyncedWrite, wb);
            batch.after.forEach(Runnable::run);
            updateBudgetState();
            long n = removed;
            batch.done.add(() -> f.future.complete(n));
            finish(batch, List.of(f));
        } catch (RuntimeException | RocksDBException e) {
            log.error("spill store flush of db {} failed", f.db, e);
            f.fail(e);
        }
    }

    /** The stored header of one entry; {@code size} is the stored value length. */
    private record Header(long version, long expireAt, int size) {
    }

    private static Header header(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        return new Header(b.getLong(), b.getLong(), value.length);
    }

    private static final Header ABSENT = new Header(-1, -1, 0);

    /** One WriteBatch in the making, with what it already changed so later ops of the group see it. */
    private final class Batch {
        final WriteBatch wb;
        final Map<ByteBuffer, Header> overlay = new HashMap<>();
        /** State updates once the batch is written, then completions (which must see those updates). */
        final List<Runnable> after = new ArrayList<>();
        final List<Runnable> done = new ArrayList<>();
        final byte[] headerBuf = new byte[HEADER];
        /** Bytes this batch adds, so the disk budget holds within a group too. */
        long bytesDelta;
        boolean sync;

        Batch(WriteBatch wb) {
            this.wb = wb;
        }

        Header current(byte[] dk) throws RocksDBException {
            Header h = overlay.get(ByteBuffer.wrap(dk));
            if (h != null) {
                return h == ABSENT ? null : h;
            }
            return stored(dk);
        }

        /**
         * {@link #current}, without a read when the index rules the key out: the writer updates the index right
         * after each batch it writes, so for this thread it holds every stored key (and some colliding ones).
         */
        Header current(int dbIndex, byte[] key, byte[] dk) throws RocksDBException {
            Header h = overlay.get(ByteBuffer.wrap(dk));
            if (h != null) {
                return h == ABSENT ? null : h;
            }
            return index.contains(KeyHash.fingerprint(dbIndex, key)) ? stored(dk) : null;
        }

        private Header stored(byte[] dk) throws RocksDBException {
            int size = db.get(dataCf, dk, headerBuf);
            if (size == RocksDB.NOT_FOUND) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(headerBuf);
            return new Header(b.getLong(), b.getLong(), size);
        }

        void remove(int dbIndex, byte[] key, byte[] dk, Header old) throws RocksDBException {
            remove(dbIndex, key, dk, old, true);
        }

        /** @param counted false when the key's count was already taken off ({@link #deleteRestored}) */
        void remove(int dbIndex, byte[] key, byte[] dk, Header old, boolean counted) throws RocksDBException {
            wb.delete(dataCf, dk);
            wb.delete(pendingCf, dk);
            if (old.expireAt != NO_EXPIRY) {
                wb.delete(expiryCf, expiryKey(old.expireAt, dbIndex, key, old.version));
            }
            ByteBuffer dkKey = ByteBuffer.wrap(dk);
            overlay.put(dkKey, ABSENT);
            long fp = KeyHash.fingerprint(dbIndex, key);
            long bytes = dk.length + old.size;
            bytesDelta -= bytes;
            after.add(() -> {
                pendingVersions.remove(dkKey);
                index.remove(fp);
                if (counted) {
                    keysPerDb.get(dbIndex).decrementAndGet();
                }
                logicalBytes.addAndGet(-bytes);
            });
        }
    }

    private abstract static class Op {
        abstract void apply(Batch b) throws RocksDBException;

        abstract void fail(Throwable t);
    }

    /** Queue entries that write nothing: the writer's stop signal, and a wake-up for deferred ops. */
    private static final class Marker extends Op {
        static final Marker SHUTDOWN = new Marker();
        static final Marker WAKE = new Marker();

        @Override
        void apply(Batch b) {
        }

        @Override
        void fail(Throwable t) {
        }
    }

    private final class Put extends Op {
        final int db;
        final byte[] key;
        final long expireAt;
        final byte[] payload;
        final boolean pending;
        final CompletableFuture<Long> future = new CompletableFuture<>();

        Put(int db, byte[] key, long expireAt, byte[] payload, boolean pending) {
            this.db = db;
            this.key = key;
            this.expireAt = expireAt;
            this.payload = payload;
            this.pending = pending;
        }

        @Override
        void apply(Batch b) throws RocksDBException {
            byte[] dk = dataKey(db, key);
            Header old = b.current(db, key, dk);
            if (pending && diskBudgetBytes > 0 && logicalBytes.get() + b.bytesDelta >= diskBudgetBytes) {
                b.done.add(() -> future.complete(REFUSED));
                return;
            }
            long version = ++lastVersion;
            if (old != null && old.expireAt != NO_EXPIRY) {
                b.wb.delete(expiryCf, expiryKey(old.expireAt, db, key, old.version));
            }
            byte[] value = ByteBuffer.allocate(HEADER + payload.length).putLong(version).putLong(expireAt)
                    .putShort((short) RdbType.rdbVersion(payload)).put(payload).array();
            b.wb.put(dataCf, dk, value);
            if (expireAt != NO_EXPIRY) {
                b.wb.put(expiryCf, expiryKey(expireAt, db, key, version), EMPTY);
            }
            if (pending) {
                b.wb.put(pendingCf, dk, EMPTY);
            } else if (old != null) {
                b.wb.delete(pendingCf, dk);
            }
            ByteBuffer dkKey = ByteBuffer.wrap(dk);
            b.overlay.put(dkKey, new Header(version, expireAt, value.length));
            b.sync = true;
            long delta = value.length - (old == null ? -dk.length : old.size);
            b.bytesDelta += delta;
            b.after.add(() -> {
                if (pending) {
                    pendingVersions.put(dkKey, version);
                } else {
                    pendingVersions.remove(dkKey);
                }
                if (old == null) {
                    index.add(KeyHash.fingerprint(db, key));
                    keysPerDb.computeIfAbsent(db, d -> new AtomicLong()).incrementAndGet();
                }
                logicalBytes.addAndGet(delta);
            });
            b.done.add(() -> future.complete(version));
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private final class Delete extends Op {
        final int db;
        final byte[] key;
        final long expected;
        final boolean durable;
        /** False when the key's count was taken off already: it is given back if nothing is deleted. */
        final boolean counted;
        final CompletableFuture<Boolean> future = new CompletableFuture<>();
        /** The stored entry as the caller read it at {@link #removalRounds} {@code knownAtRound}, or null. */
        Header known;
        long knownAtRound;

        Delete(int db, byte[] key, long expected, boolean durable, boolean counted) {
            this.db = db;
            this.key = key;
            this.expected = expected;
            this.durable = durable;
            this.counted = counted;
        }

        @Override
        void apply(Batch b) throws RocksDBException {
            byte[] dk = dataKey(db, key);
            boolean stillKnown = known != null && knownAtRound == removalRounds.get()
                    && !b.overlay.containsKey(ByteBuffer.wrap(dk));
            Header old = stillKnown ? known : b.current(dk);
            if (old == null || (expected != ANY_VERSION && old.version != expected)) {
                if (!counted) {
                    // A sweep or flush removed (and uncounted) the entry first, or a newer one took over its count.
                    b.after.add(() -> keysPerDb.get(db).incrementAndGet());
                }
                b.done.add(() -> future.complete(false));
                return;
            }
            b.remove(db, key, dk, old, counted);
            b.sync |= durable;
            b.done.add(() -> future.complete(true));
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private final class Commit extends Op {
        final int db;
        final byte[] key;
        final long version;
        final CompletableFuture<Boolean> future = new CompletableFuture<>();

        Commit(int db, byte[] key, long version) {
            this.db = db;
            this.key = key;
            this.version = version;
        }

        @Override
        void apply(Batch b) throws RocksDBException {
            byte[] dk = dataKey(db, key);
            ByteBuffer dkKey = ByteBuffer.wrap(dk);
            Long pendingVersion = b.overlay.containsKey(dkKey) ? null : pendingVersions.get(dkKey);
            boolean mine;
            if (pendingVersion != null) {
                mine = pendingVersion == version;
            } else {
                // Written in this batch, or pending since before a restart: the stored entry decides.
                Header old = b.current(dk);
                mine = old != null && old.version == version;
            }
            if (mine) {
                b.wb.delete(pendingCf, dk);
                b.after.add(() -> pendingVersions.remove(dkKey));
            }
            b.done.add(() -> future.complete(mine));
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private final class Sweep extends Op {
        final List<byte[]> due;
        final CompletableFuture<Integer> future = new CompletableFuture<>();

        Sweep(List<byte[]> due) {
            this.due = due;
        }

        @Override
        void apply(Batch b) throws RocksDBException {
            int removed = 0;
            for (byte[] ek : due) {
                ByteBuffer buf = ByteBuffer.wrap(ek);
                buf.getLong();
                int dbIndex = buf.getInt();
                byte[] key = Arrays.copyOfRange(ek, 12, ek.length - 8);
                long version = ByteBuffer.wrap(ek, ek.length - 8, 8).getLong();
                byte[] dk = dataKey(dbIndex, key);
                Header cur = b.current(dk);
                if (cur != null && cur.version == version) {
                    b.remove(dbIndex, key, dk, cur);
                    removed++;
                } else {
                    // The key was re-spilled (newer version, own expiry entry) or deleted: only this marker goes.
                    b.wb.delete(expiryCf, ek);
                }
            }
            if (removed > 0) {
                b.after.add(removalRounds::incrementAndGet);
            }
            int n = removed;
            b.done.add(() -> future.complete(n));
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private static final class Flush extends Op {
        final int db;
        final CompletableFuture<Long> future = new CompletableFuture<>();

        Flush(int db) {
            this.db = db;
        }

        @Override
        void apply(Batch b) {
            throw new IllegalStateException("a flush runs in a batch of its own");
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    // ---- encodings ----

    static byte[] dbPrefix(int dbIndex) {
        return ByteBuffer.allocate(4).putInt(dbIndex).array();
    }

    static byte[] dataKey(int dbIndex, byte[] key) {
        return ByteBuffer.allocate(4 + key.length).putInt(dbIndex).put(key).array();
    }

    static byte[] expiryKey(long expireAt, int dbIndex, byte[] key, long version) {
        return ByteBuffer.allocate(8 + 4 + key.length + 8).putLong(expireAt).putInt(dbIndex).put(key)
                .putLong(version).array();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.add(Marker.SHUTDOWN);
        try {
            writer.join();
            syncQueue.add(STOP_SYNCING);
            syncer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Op> left = new ArrayList<>(deferred);
        queue.drainTo(left);
        left.forEach(op -> op.fail(new IllegalStateException("spill store closed")));
        // Memtables to SST files: the next open starts without replaying the WAL.
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush, List.of(dataCf, expiryCf, pendingCf));
        } catch (RocksDBException e) {
            log.warn("spill store flush on close failed", e);
        }
        defaultCf.close();
        dataCf.close();
        expiryCf.close();
        pendingCf.close();
        db.close();
        dbOptions.close();
        cfOptions.forEach(ColumnFamilyOptions::close);
        blockCache.close();
        unsyncedWrite.close();
        blockingRead.close();
        cacheOnlyRead.close();
    }
}
