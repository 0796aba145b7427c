package io.valkeysidecar.compat.spill;

import static io.valkeysidecar.compat.spill.SpillSidecar.evict;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.compat.RawRespClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WATCH + MULTI/EXEC across spill and restore (no spurious abort, real conflicts still abort), and one key
 * spilled, restored, written, read and deleted by several clients at once.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TransactionsAndRacesTest extends SharedSpillSidecar {

    @Test
    void watchOfASpilledKeyDoesNotAbortAndAWatchedKeyIsNotSpilledUnderneath() {
        c.set("w", "1");
        assertThat(evict(c, "w")).isEqualTo(1);
        assertThat(c.watch("w")).isEqualTo("OK");
        try (StatefulRedisConnection<String, String> other = s.connect()) {
            assertThat(evict(other.sync(), "w")).as("a WATCHed key stays pinned").isZero();
            assertThat(other.sync().get("w")).as("a read by another client is no conflict").isEqualTo("1");
        }
        c.multi();
        c.incr("w");
        TransactionResult r = c.exec();
        assertThat(r.wasDiscarded()).as("EXEC aborted by the sidecar's own restore or spill").isFalse();
        assertThat(c.get("w")).isEqualTo("2");
        try (StatefulRedisConnection<String, String> other = s.connect()) {
            assertThat(evict(other.sync(), "w")).as("pins end with the transaction").isEqualTo(1);
        }
    }

    @Test
    void queuedCommandsOnSpilledKeysRunOnRestoredValues() {
        c.set("a", "10");
        c.rpush("l", "x");
        assertThat(evict(c, "a", "l")).isEqualTo(2);
        c.multi();
        c.incrby("a", 5);
        c.rpush("l", "y");
        try (StatefulRedisConnection<String, String> other = s.connect()) {
            assertThat(evict(other.sync(), "a", "l")).as("keys queued in MULTI stay pinned").isZero();
        }
        TransactionResult r = c.exec();
        assertThat(r.wasDiscarded()).isFalse();
        assertThat((Long) r.get(0)).isEqualTo(15);
        assertThat((Long) r.get(1)).isEqualTo(2);
    }

    @Test
    void delOfSpilledKeysQueuedInMultiCountsAtExecAndSurvivesDiscard() {
        c.set("d", "v");
        c.set("e", "v");
        assertThat(evict(c, "d", "e")).isEqualTo(2);
        c.multi();
        c.del("d", "e", "missing");
        c.discard();
        assertThat(c.mget("d", "e")).extracting(kv -> kv.getValue()).containsExactly("v", "v");
        assertThat(evict(c, "d", "e")).isEqualTo(2);
        c.multi();
        c.unlink("d");
        c.del("e", "missing");
        TransactionResult r = c.exec();
        assertThat((Long) r.get(0)).isEqualTo(1);
        assertThat((Long) r.get(1)).isEqualTo(1);
        assertThat(c.exists("d", "e")).isZero();
        assertThat(c.dbsize()).isZero();
    }

    @Test
    void selectQueuedInMultiRestoresFromTheSelectedDatabase() {
        c.select(1);
        c.set("s", "db1");
        assertThat(evict(c, "s")).isEqualTo(1);
        c.select(0);
        c.set("s", "db0");
        assertThat(evict(c, "s")).isEqualTo(1);
        c.multi();
        c.select(1);
        c.get("s");
        TransactionResult r = c.exec();
        assertThat((String) r.get(1)).isEqualTo("db1");
        assertThat(c.get("s")).as("the connection is in db 1 after EXEC").isEqualTo("db1");
        c.select(0);
        assertThat(c.get("s")).isEqualTo("db0");
    }

    @Test
    void flushQueuedInMultiIsRefusedWhileKeysAreSpilled() throws Exception {
        c.set("f", "v");
        assertThat(evict(c, "f")).isEqualTo(1);
        try (io.valkeysidecar.compat.RawRespClient raw = s.raw()) {
            assertThat(raw.call("MULTI")).isEqualTo("+OK\r\n");
            assertThat(raw.call("FLUSHDB")).startsWith("-ERR FLUSHDB inside MULTI is not supported");
            assertThat(raw.call("FLUSHALL")).startsWith("-ERR FLUSHALL inside MULTI is not supported");
            assertThat(raw.call("DISCARD")).isEqualTo("+OK\r\n");
        }
        assertThat(c.get("f")).isEqualTo("v");
        c.multi();
        c.flushdb();
        assertThat(c.exec().wasDiscarded()).isFalse();
        assertThat(c.dbsize()).as("FLUSHDB queued once nothing is spilled").isZero();
    }

    @Test
    void aRealConflictStillAborts() {
        c.set("w", "1");
        assertThat(evict(c, "w")).isEqualTo(1);
        c.watch("w");
        try (StatefulRedisConnection<String, String> other = s.connect()) {
            other.sync().set("w", "other");
        }
        c.multi();
        c.set("w", "mine");
        assertThat(c.exec().wasDiscarded()).isTrue();
        assertThat(c.get("w")).isEqualTo("other");

        c.watch("w");
        try (StatefulRedisConnection<String, String> other = s.connect()) {
            assertThat(other.sync().del("w")).isEqualTo(1);
        }
        c.multi();
        c.set("w", "mine");
        assertThat(c.exec().wasDiscarded()).as("DEL of the watched key is a conflict").isTrue();
        assertThat(c.get("w")).isNull();
    }

    @Test
    void watchThenDiscardAndUnwatchReleaseThePins() {
        c.set("w", "1");
        c.watch("w");
        c.unwatch();
        assertThat(evict(c, "w")).isEqualTo(1);
        c.watch("w");
        c.multi();
        c.get("w");
        c.discard();
        assertThat(evict(c, "w")).isEqualTo(1);
        assertThat(c.get("w")).isEqualTo("1");
    }

    /**
     * One writer sets increasing values (and now and then deletes) four keys; evictors spill them, restorers
     * bring them back, readers check that no value ever goes backwards (a stale disk copy served or
     * resurrected). At the end every key holds the writer's last acknowledged state, also after a restart.
     */
    @Test
    void evictGetSetDelOfTheSameKeysFromSeveralClients() throws Exception {
        String[] keys = {"race:0", "race:1", "race:2", "race:3"};
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong spills = new AtomicLong();
        String[] last = new String[keys.length];
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        Progress progress = new Progress("SET/DEL", "EVICT 1", "EVICT 2", "SPILL.RESTORE", "GET 1", "GET 2");
        // Bounded in time too: the race goes at the pace of the evictors' spills (a WAL sync each), and on a loaded
        // machine 3000 writes outlasted the 60 s below with every worker still answered, which looked like a stall.
        long writeUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        workers.add(CompletableFuture.runAsync(() -> {
            try (StatefulRedisConnection<String, String> w = s.connect()) {
                RedisCommands<String, String> wc = w.sync();
                for (int i = 1; i <= 3000 && System.nanoTime() < writeUntil; i++) {
                    int k = i % keys.length;
                    if (i % 37 == 0) {
                        long n = wc.del(keys[k]);
                        if (n != (last[k] == null ? 0 : 1)) {
                            problems.add("DEL " + keys[k] + " answered " + n + " with last value " + last[k]);
                        }
                        last[k] = null;
                    } else {
                        String v = String.format("%08d", i);
                        wc.set(keys[k], v);
                        last[k] = v;
                    }
                    progress.done(0);
                }
            } finally {
                stop.set(true);
            }
        }));
        for (int e = 0; e < 2; e++) {
            int worker = 1 + e;
            workers.add(CompletableFuture.runAsync(() -> {
                try (StatefulRedisConnection<String, String> x = s.connect()) {
                    while (!stop.get()) {
                        spills.addAndGet(evict(x.sync(), keys));
                        progress.done(worker);
                    }
                }
            }));
        }
        workers.add(CompletableFuture.runAsync(() -> {
            try (StatefulRedisConnection<String, String> x = s.connect()) {
                while (!stop.get()) {
                    for (String k : keys) {
                        SpillSidecar.restore(x.sync(), k);
                        progress.done(3);
                    }
                }
            }
        }));
        for (int r = 0; r < 2; r++) {
            int worker = 4 + r;
            workers.add(CompletableFuture.runAsync(() -> {
                try (StatefulRedisConnection<String, String> x = s.connect()) {
                    String[] seen = new String[keys.length];
                    while (!stop.get()) {
                        for (int k = 0; k < keys.length; k++) {
                            String v = x.sync().get(keys[k]);
                            progress.done(worker);
                            if (v != null && seen[k] != null && v.compareTo(seen[k]) < 0) {
                                problems.add(keys[k] + " went back from " + seen[k] + " to " + v);
                            }
                            if (v != null) {
                                seen[k] = v;
                            }
                        }
                    }
                }
            }));
        }
        try {
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // A worker waits for a reply that never comes: what Valkey's connections last ran, what the tier says
            // and where every thread (the sidecar's too) stands say why.
            throw new AssertionError("workers still running after 60 s:\n" + progress + stallReport(), e);
        } catch (ExecutionException e) {
            // The writer stops within 20 s and the others with it; a reply that never comes fails its worker at the
            // client's 30 s timeout, so a stall ends here, before the 60 s.
            throw new AssertionError("a worker failed:\n" + progress + stallReport(), e);
        } finally {
            // Stops the other workers too, so a stalled run does not spill into the next test.
            stop.set(true);
        }
        assertThat(problems).isEmpty();
        assertThat(spills.get()).as("keys were really spilled meanwhile").isGreaterThan(50);
        checkFinal(keys, last);
        evict(c, keys);
        conn.close();
        s.restartSidecar();
        conn = s.connect();
        c = conn.sync();
        checkFinal(keys, last);
    }

    /**
     * Replies each worker got and when it got its last one: whether every worker stopped at once (a stall) or progress
     * went on in slow steps.
     */
    private static final class Progress {
        private final long start = System.nanoTime();
        private final String[] names;
        private final AtomicLongArray replies;
        private final AtomicLongArray lastNanos;

        Progress(String... names) {
            this.names = names;
            this.replies = new AtomicLongArray(names.length);
            this.lastNanos = new AtomicLongArray(names.length);
        }

        void done(int worker) {
            replies.incrementAndGet(worker);
            lastNanos.set(worker, System.nanoTime());
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("replies per worker, and the last one's time since the start:\n");
            for (int i = 0; i < names.length; i++) {
                long last = lastNanos.get(i);
                sb.append(names[i]).append(": ").append(replies.get(i)).append(" replies, last at ")
                        .append(last == 0 ? "-" : TimeUnit.NANOSECONDS.toMillis(last - start) + " ms").append('\n');
            }
            return sb.append("reported at ").append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                    .append(" ms\n").toString();
        }
    }

    private void checkFinal(String[] keys, String[] last) {
        long live = 0;
        for (int k = 0; k < keys.length; k++) {
            assertThat(c.get(keys[k])).as(keys[k]).isEqualTo(last[k]);
            live += last[k] == null ? 0 : 1;
        }
        assertThat(c.dbsize()).isEqualTo(live);
    }

    private String stallReport() {
        StringBuilder sb = new StringBuilder();
        try (RawRespClient direct = s.direct()) {
            sb.append("Valkey's CLIENT LIST:\n").append(direct.call("CLIENT", "LIST")).append('\n');
        } catch (IOException e) {
            sb.append("Valkey's CLIENT LIST failed: ").append(e).append('\n');
        }
        try (RawRespClient sidecar = s.raw()) {
            sb.append("the sidecar's INFO spill:\n").append(sidecar.call("INFO", "spill")).append('\n');
        } catch (IOException e) {
            sb.append("the sidecar's INFO spill failed: ").append(e).append('\n');
        }
        Thread.getAllStackTraces().forEach((thread, frames) -> {
            sb.append('"').append(thread.getName()).append("\" ").append(thread.getState()).append('\n');
            for (StackTraceElement frame : frames) {
                sb.append("    at ").append(frame).append('\n');
            }
        });
        return sb.toString();
    }
}
