package io.valkeysidecar.spill;

import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.valkeysidecar.command.CommandSpec;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.CommandInterceptor;
import io.valkeysidecar.extension.Interception;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Makes spilled keys look resident to every client command, on the proxy's path to Valkey.
 *
 * <ul>
 *   <li>Any command with keys (positions from Valkey's own key specs): spilled keys are restored before it is
 *       forwarded, and all its keys stay pinned (no spill may move them) until Valkey has answered it. Inside
 *       MULTI the pins last until EXEC/DISCARD; WATCHed keys stay pinned until the transaction ends.</li>
 *   <li>DEL/UNLINK: disk copies are deleted durably first and counted into Valkey's reply.</li>
 *   <li>DBSIZE, KEYS, SCAN, RANDOMKEY and {@code INFO keyspace} include spilled keys; SCAN continues from
 *       Valkey's cursor space into the store's with cursors of its own ({@link ScanCursors}).</li>
 *   <li>FLUSHDB/FLUSHALL empty the store's databases first; SWAPDB is refused while either database has
 *       spilled keys (the store is keyed by database index).</li>
 *   <li>Writes that may grow memory (Valkey's {@code denyoom} flag) wait for the memory controller when Valkey
 *       nears its ceiling, instead of meeting {@code -OOM} because a burst outran the controller's sampling.</li>
 * </ul>
 */
public final class SpillInterceptor implements CommandInterceptor {

    /** Databases the tier walks (FLUSHALL, INFO keyspace, resync); Valkey's default "databases" setting. */
    static final int DATABASES = 16;
    /**
     * Polls run on CompletableFuture's own timer thread: the default executor behind it is a new thread per task
     * on a machine with fewer than three cores (a waiting write polls every 2 ms), and a poll only reads samples.
     */
    private static final Executor ROOM_POLL =
            CompletableFuture.delayedExecutor(2, TimeUnit.MILLISECONDS, Runnable::run);
    /** How long a write may wait for room before Valkey's -OOM is passed on (a busy host needs seconds). */
    private static final long MAX_ROOM_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Per connection: the restore sequence number at its latest SCAN 0. */
    private static final AttributeKey<Long> SCAN_START = AttributeKey.valueOf(SpillInterceptor.class, "scanStart");
    /** Per connection: keys it keeps pinned across commands (see {@link Transaction}). */
    private static final AttributeKey<Transaction> TRANSACTION =
            AttributeKey.valueOf(SpillInterceptor.class, "transaction");

    private final SpillEngine engine;
    private final Supplier<CommandTable> commandTable;
    private final MemoryController controller;
    private final double ceiling;
    private final ScanCursors cursors = new ScanCursors();
    /** Request bytes of denyoom writes admitted since the controller's sample {@link #sampledUsed}. */
    private final AtomicLong admittedSinceSample = new AtomicLong();
    /**
     * Request bytes of denyoom writes admitted and not answered yet. A new sample may have been taken before they
     * ran, so they stay in the estimate across samples (counting one that already ran errs on the safe side).
     */
    private final AtomicLong unanswered = new AtomicLong();
    private volatile long sampledUsed = -1;

    /**
     * @param controller    whose samples of Valkey's memory gate writes
     * @param highWatermark the controller's high watermark; writes wait once Valkey's estimated memory is
     *                      halfway from it to the limit
     */
    public SpillInterceptor(SpillEngine engine, Supplier<CommandTable> commandTable, MemoryController controller,
                            double highWatermark) {
        this.engine = engine;
        this.commandTable = commandTable;
        this.controller = controller;
        this.ceiling = (highWatermark + 1) / 2;
        engine.onRestored(cursors::restored);
    }

    @Override
    public Interception intercept(ClientContext client, Command cmd, CommandSpec spec) {
        if (!commandTable.get().isLoaded() && engine.store().keyCount() > 0) {
            // Without Valkey's key specs no spilled key could be found: a GET would miss it, a DEL resurrect it.
            return Interception.hold(CompletableFuture.failedFuture(new SidecarException("LOADING",
                    "valkey-sidecar has not loaded Valkey's command table yet")), null);
        }
        Transaction tx = client.attr(TRANSACTION).get();
        boolean queued = tx != null && tx.open;
        int db = queued && tx.selected >= 0 ? tx.selected : client.database();
        switch (cmd.name()) {
            case "DEL":
            case "UNLINK":
                // Queued in MULTI, the disk copies must survive a DISCARD or an aborted EXEC: restore instead,
                // and Valkey's DEL at EXEC counts them.
                return queued ? resident(client, tx, db, cmd, spec)
                        : delete(client, tx, db, CommandTable.keys(spec, cmd));
            case "SELECT":
                if (queued && cmd.argc() == 2) {
                    tx.select(cmd.argString(1));
                }
                return null;
            case "DBSIZE":
                return engine.spilledCount(db) == 0 ? null
                        : Interception.hold(CompletableFuture.completedFuture(
                                RespEdits.addToInteger(engine.spilledCount(db))), null);
            case "KEYS":
                return cmd.argc() == 2 && engine.spilledCount(db) > 0 ? keys(db, cmd.argBytes(1)) : null;
            case "SCAN":
                return scan(client, db, cmd);
            case "RANDOMKEY":
                return engine.spilledCount(db) == 0 ? null : randomKey(db);
            case "FLUSHDB":
                if (queued) {
                    return engine.spilledCount(db) == 0 ? null : refuseQueued(cmd);
                }
                return Interception.hold(engine.flushDb(db).thenApply(n -> null), null);
            case "FLUSHALL":
                if (queued) {
                    return engine.store().keyCount() == 0 ? null : refuseQueued(cmd);
                }
                return Interception.hold(flushAll(), null);
            case "SWAPDB":
                return swapDb(cmd);
            case "INFO":
                return info(cmd);
            case "MULTI":
                transactionOf(client).begin();
                return null;
            case "EXEC":
            case "DISCARD":
            case "RESET":
                return tx == null ? null : Interception.afterReply(tx::end);
            case "UNWATCH":
                return tx == null ? null : Interception.afterReply(tx::unwatch);
            default:
                return resident(client, tx, db, cmd, spec);
        }
    }

    /**
     * The store cannot be flushed when the command is queued (a DISCARD or an aborted EXEC would have lost the
     * spilled keys) nor after EXEC (a restore in between would bring them back), so it is not queued at all.
     */
    private static Interception refuseQueued(Command cmd) {
        return Interception.hold(CompletableFuture.failedFuture(SidecarException.err(cmd.name()
                + " inside MULTI is not supported by valkey-sidecar while spilled keys exist (run it outside the"
                + " transaction)")), null);
    }

    /**
     * The common path: restore what is spilled, pin everything until Valkey answered. A GET of a cold spilled string
     * is the exception: it goes to Valkey as it is, and its nil is replaced by the value on disk
     * ({@link SpillEngine.Residency#cold()}).
     */
    private Interception resident(ClientContext client, Transaction tx, int db, Command cmd, CommandSpec spec) {
        int[] positions = CommandTable.keyPositions(spec, cmd);
        if (positions.length == 0) {
            return null;
        }
        long[] pins = new long[positions.length];
        for (int i = 0; i < pins.length; i++) {
            pins[i] = KeyHash.fingerprint(db, cmd, positions[i]);
        }
        boolean coldGet = pins.length == 1 && cmd.argc() == 2 && cmd.name().equals("GET") && (tx == null || !tx.open);
        SpillEngine.Residency residency = engine.ensureResident(db, pins, i -> cmd.argBytes(positions[i]),
                client::preludesAllowed, coldGet);
        if (residency.cold() != null) {
            return Interception.hold(CompletableFuture.completedFuture(RespEdits.nullToCold(residency.cold())),
                    releaseFor(client, tx, pins, false));
        }
        CompletionStage<Void> resident = residency.ready();
        Runnable unpin = releaseFor(client, tx, pins, cmd.name().equals("WATCH"));
        Runnable release = unpin;
        CompletableFuture<Void> room = null;
        if (gated(spec)) {
            long bytes = cmd.raw().readableBytes();
            unanswered.addAndGet(bytes);
            release = () -> {
                unanswered.addAndGet(-bytes);
                unpin.run();
            };
            long now = System.nanoTime();
            room = admit(bytes, now + MAX_ROOM_WAIT_NANOS);
            if (room != null) {
                SpillStats stats = engine.stats();
                stats.roomWaits.increment();
                room.whenComplete((v, e) -> stats.roomWaitNanos.add(System.nanoTime() - now));
            }
        }
        CompletionStage<Void> ready = room == null ? resident : resident.thenCombine(room, (a, b) -> null);
        // Preludes must be sent even if ready were done: an unsent RESTORE would hold its key's lock forever.
        if (residency.preludes().isEmpty() && ready.toCompletableFuture().isDone()
                && !ready.toCompletableFuture().isCompletedExceptionally()) {
            return Interception.afterReply(release);
        }
        boolean follows = residency.onlyPreludes() && mayRunTwice(spec);
        CompletableFuture<Void> keys = resident.toCompletableFuture();
        if (!follows && !keys.isDone()) {
            SpillStats stats = engine.stats();
            stats.keyWaits.increment();
            long now = System.nanoTime();
            keys.whenComplete((v, e) -> stats.keyWaitNanos.add(System.nanoTime() - now));
        }
        return Interception.afterPreludes(residency.preludes(), follows, ready.thenApply(v -> null), release);
    }

    /** Read-only and not blocking: it may go right behind its RESTOREs, and run again if one of them failed. */
    private static boolean mayRunTwice(CommandSpec spec) {
        return spec != null && spec.hasFlag("readonly") && !spec.hasFlag("blocking");
    }

    /**
     * Whether {@code cmd} waits for room: a write that may grow memory (Valkey's {@code denyoom} flag) while Valkey
     * has a memory limit. {@link #admit} answers null when it may go to Valkey now; otherwise a stage that completes
     * once the memory controller made room. The controller samples {@code used_memory} periodically; between samples
     * a pipelined burst of writes (which Valkey also holds in its query buffers) could reach {@code maxmemory} and be
     * refused with {@code -OOM}, so the bytes of the writes admitted since the last sample, and of those still
     * unanswered when it was taken, count (twice: Valkey's encoding overhead) towards the estimate. A waiting write is
     * admitted like a new one once the controller made progress, so writes released together do not overshoot
     * together. After {@link #MAX_ROOM_WAIT_NANOS} a write goes to Valkey whatever the estimate; if nothing could be
     * spilled (pinned, too large, disk budget) it gets Valkey's {@code -OOM} unchanged.
     */
    private boolean gated(CommandSpec spec) {
        return controller.limit() > 0 && spec != null && spec.hasFlag("denyoom");
    }

    private CompletableFuture<Void> admit(long bytes, long deadline) {
        long used = controller.usedMemory();
        if (used != sampledUsed) {
            sampledUsed = used;
            admittedSinceSample.set(unanswered.get());
        }
        long estimate = used + 2 * admittedSinceSample.addAndGet(bytes);
        if (estimate < ceiling * controller.limit() || System.nanoTime() > deadline) {
            return null;
        }
        admittedSinceSample.addAndGet(-bytes);
        return roomOrRelief(controller.relieve().toCompletableFuture(), used, deadline).thenCompose(v -> {
            CompletableFuture<Void> again = admit(bytes, deadline);
            return again == null ? CompletableFuture.completedFuture(null) : again;
        });
    }

    /** Completes once the controller sampled again under the ceiling (it samples after every spilled batch). */
    private CompletableFuture<Void> roomOrRelief(CompletableFuture<?> relief, long seen, long deadline) {
        long used = controller.usedMemory();
        if (relief.isDone() || (used != seen && used < ceiling * controller.limit()) || System.nanoTime() > deadline) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.runAsync(() -> { }, ROOM_POLL).thenCompose(v -> roomOrRelief(relief, seen, deadline));
    }

    private Interception delete(ClientContext client, Transaction tx, int db, List<byte[]> keys) {
        if (keys.isEmpty()) {
            return null;
        }
        CompletionStage<ReplyAmendment> counted = engine.deleteSpilled(db, keys)
                .thenApply(n -> n == 0 ? null : RespEdits.addToInteger(n));
        return Interception.hold(counted, releaseFor(client, tx, KeyHash.fingerprints(db, keys), false));
    }

    /**
     * Pins are released when the command is over, unless a transaction is open on the connection: then queued
     * commands' keys (and WATCHed keys) stay pinned until it ends, so EXEC finds them resident. {@code tx} is the
     * connection's transaction state, null before its first MULTI or WATCH.
     */
    private Runnable releaseFor(ClientContext client, Transaction tx, long[] pins, boolean watch) {
        if (watch || tx != null && tx.open) {
            Transaction t = transactionOf(client);
            return () -> t.keep(pins, watch);
        }
        return () -> engine.release(pins);
    }

    private Interception keys(int db, byte[] pattern) {
        CompletionStage<ReplyAmendment> spilled = allSpilled(db, pattern, new ArrayList<>(), null)
                .thenApply(found -> found.isEmpty() ? null : RespEdits.appendMissingKeys(found));
        return Interception.hold(spilled, null);
    }

    private CompletionStage<List<byte[]>> allSpilled(int db, byte[] match, List<byte[]> into, byte[] after) {
        return engine.spilledKeys(db, after, 1000, match, null).thenCompose(page -> {
            into.addAll(page.keys());
            return page.next() == null ? CompletableFuture.completedFuture(into)
                    : allSpilled(db, match, into, page.next());
        });
    }

    /**
     * SCAN walks Valkey's cursor space first; where Valkey says 0, the client gets a cursor into the store
     * instead, and those cursors are answered from the store without asking Valkey. The store walk ends with
     * the keys restored since the connection's SCAN 0 (see {@link ScanCursors}): they left the disk while the
     * walk could no longer meet them in either tier. Interleaved scans on one connection count from the latest
     * SCAN 0.
     */
    private Interception scan(ClientContext client, int db, Command cmd) {
        if (cmd.argc() < 2) {
            return null;
        }
        ScanArgs args = ScanArgs.parse(cmd);
        if (args == null) {
            return null;
        }
        ScanCursors.Position position = cursors.lookup(args.cursor(), db);
        if (position != null) {
            CompletionStage<Reply> page = engine.spilledKeys(position.db(), position.after(), args.count(),
                    args.match(), args.type()).thenApply(p -> {
                        List<Reply> keys = new ArrayList<>(p.keys().size());
                        p.keys().forEach(k -> keys.add(Reply.bulk(k)));
                        String next = "0";
                        if (p.next() != null) {
                            next = cursors.register(position.db(), p.next(), position.since());
                        } else {
                            cursors.restoredKeys(position.since(), position.db(), args.match(), args.type())
                                    .forEach(k -> keys.add(Reply.bulk(k)));
                        }
                        return Reply.array(Reply.bulk(next), Reply.array(keys));
                    });
            return Interception.answer(page, null);
        }
        long since;
        if (args.cursor().equals("0")) {
            since = cursors.now();
            client.attr(SCAN_START).set(since);
        } else {
            Long started = client.attr(SCAN_START).get();
            since = started != null ? started : Math.max(0, cursors.now() - ScanCursors.LOG_SIZE);
        }
        if (engine.spilledCount(db) == 0 && !cursors.restoredSince(since, db)) {
            return null;
        }
        String diskStart = cursors.register(db, null, since);
        return Interception.hold(CompletableFuture.completedFuture(RespEdits.continueScanOnDisk(diskStart)), null);
    }

    private Interception randomKey(int db) {
        CompletionStage<ReplyAmendment> fallback = engine.spilledKeys(db, null, 1, null, null)
                .thenApply(page -> page.keys().isEmpty() ? null : RespEdits.replaceNull(page.keys().get(0)));
        return Interception.hold(fallback, null);
    }

    private CompletionStage<ReplyAmendment> flushAll() {
        CompletableFuture<?>[] all = new CompletableFuture<?>[DATABASES];
        for (int db = 0; db < DATABASES; db++) {
            all[db] = engine.flushDb(db).toCompletableFuture();
        }
        return CompletableFuture.allOf(all).thenApply(v -> null);
    }

    private Interception swapDb(Command cmd) {
        if (cmd.argc() != 3) {
            return null;
        }
        int a;
        int b;
        try {
            a = Integer.parseInt(cmd.argString(1));
            b = Integer.parseInt(cmd.argString(2));
        } catch (NumberFormatException e) {
            return null;
        }
        if (a < 0 || b < 0 || a >= DATABASES || b >= DATABASES
                || engine.spilledCount(a) + engine.spilledCount(b) == 0) {
            return null;
        }
        return Interception.hold(CompletableFuture.failedFuture(SidecarException.err(
                "SWAPDB is not supported by valkey-sidecar while database " + a + " or " + b
                        + " has spilled keys (SPILL.RESTORE them first)")), null);
    }

    private Interception info(Command cmd) {
        boolean keyspace = cmd.argc() == 1;
        for (int i = 1; i < cmd.argc() && !keyspace; i++) {
            keyspace = cmd.argIs(i, "keyspace") || cmd.argIs(i, "default") || cmd.argIs(i, "all")
                    || cmd.argIs(i, "everything");
        }
        if (!keyspace) {
            return null;
        }
        long[] counts = new long[DATABASES];
        boolean any = false;
        for (int db = 0; db < DATABASES; db++) {
            counts[db] = engine.spilledCount(db);
            any |= counts[db] > 0;
        }
        return any ? Interception.hold(CompletableFuture.completedFuture(RespEdits.addToKeyspace(counts)), null) : null;
    }

    // ---- transactions: pins that outlive one command ----

    /**
     * The connection's transaction state, created on its first MULTI or WATCH and kept for its lifetime: one close
     * hook per connection, however many transactions it runs. Only touched from the connection's event loop.
     */
    private Transaction transactionOf(ClientContext client) {
        Attribute<Transaction> attr = client.attr(TRANSACTION);
        Transaction t = attr.get();
        if (t == null) {
            t = new Transaction();
            attr.set(t);
            client.onClose(t::end);
        }
        return t;
    }

    /** Keys a connection keeps pinned across commands (by fingerprint): queued in MULTI, or WATCHed. */
    private final class Transaction {
        private final List<long[]> queued = new ArrayList<>();
        private final List<long[]> watched = new ArrayList<>();
        private boolean open;
        /** The database SELECTed inside the open transaction, or -1. */
        private int selected = -1;

        void begin() {
            open = true;
            selected = -1;
        }

        /** SELECT queued in MULTI: the commands queued after it run in that database at EXEC. */
        void select(String index) {
            try {
                selected = Integer.parseInt(index);
            } catch (NumberFormatException e) {
                selected = -1;
            }
        }

        void keep(long[] pins, boolean watch) {
            (watch ? watched : queued).add(pins);
        }

        void unwatch() {
            watched.forEach(engine::release);
            watched.clear();
        }

        /** EXEC, DISCARD or RESET answered, or the connection closed: everything kept is released. */
        void end() {
            open = false;
            selected = -1;
            queued.forEach(engine::release);
            queued.clear();
            unwatch();
        }
    }

    /** Arguments of a SCAN request the store must honour. */
    private record ScanArgs(String cursor, int count, byte[] match, String type) {

        static ScanArgs parse(Command cmd) {
            int count = 10;
            byte[] match = null;
            String type = null;
            for (int i = 2; i + 1 < cmd.argc(); i += 2) {
                if (cmd.argIs(i, "COUNT")) {
                    try {
                        count = Math.max(1, Math.min(10_000, Integer.parseInt(cmd.argString(i + 1))));
                    } catch (NumberFormatException e) {
                        return null;
                    }
                } else if (cmd.argIs(i, "MATCH")) {
                    match = cmd.argBytes(i + 1);
                } else if (cmd.argIs(i, "TYPE")) {
                    type = cmd.argString(i + 1).toLowerCase(Locale.ROOT);
                } else {
                    return null;
                }
            }
            return new ScanArgs(cmd.argString(1), count, match, type);
        }
    }
}
