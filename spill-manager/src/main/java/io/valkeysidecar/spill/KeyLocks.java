package io.valkeysidecar.spill;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Asynchronous per-key mutual exclusion: spill, restore and delete of one key run one after another without
 * parking a thread. Each key (by fingerprint) has a queue tail; an operation starts when its predecessor's
 * stage completes. A fingerprint collision only serialises two unrelated keys.
 */
final class KeyLocks {

    private final ConcurrentHashMap<Long, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final Executor handoff;

    /** @param handoff runs a waiter when its predecessor finishes, so long queues cannot nest stack frames */
    KeyLocks(Executor handoff) {
        this.handoff = handoff;
    }

    <T> CompletableFuture<T> withLock(long fp, Supplier<? extends CompletionStage<T>> op) {
        return withLockNoting(fp, atOnce -> op.get());
    }

    /**
     * {@link #withLock}, telling {@code op} whether it runs at once, on the caller's thread within this call
     * (the lock was free), or later on another thread.
     */
    <T> CompletableFuture<T> withLockNoting(long fp, Function<Boolean, ? extends CompletionStage<T>> op) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> prev = tails.put(fp, mine);
        CompletableFuture<T> result = new CompletableFuture<>();
        boolean atOnce = prev == null;
        Runnable run = () -> {
            // Whatever op does, the lock must be passed on: an Error or a null stage escaping here would hold the
            // key forever, silently when the run was handed off (its executor's stage swallows it).
            CompletionStage<T> stage;
            try {
                stage = op.apply(atOnce);
                if (stage == null) {
                    stage = CompletableFuture.failedFuture(new IllegalStateException("key lock op returned no stage"));
                }
            } catch (Throwable e) {
                stage = CompletableFuture.failedFuture(e);
            }
            stage.whenComplete((v, e) -> {
                tails.remove(fp, mine);
                mine.complete(null);
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(v);
                }
            });
        };
        if (prev == null) {
            run.run();
        } else {
            prev.whenCompleteAsync((v, e) -> run.run(), handoff);
        }
        return result;
    }

    /** Holds every lock of {@code fps} (taken in ascending order, so batches cannot deadlock) while op runs. */
    <T> CompletableFuture<T> withLocks(long[] fps, Supplier<? extends CompletionStage<T>> op) {
        long[] sorted = Arrays.stream(fps).sorted().distinct().toArray();
        return nest(sorted, 0, op);
    }

    private <T> CompletableFuture<T> nest(long[] fps, int i, Supplier<? extends CompletionStage<T>> op) {
        if (i == fps.length) {
            try {
                return op.get().toCompletableFuture();
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return withLock(fps[i], () -> nest(fps, i + 1, op));
    }

    /** Whether an operation on {@code fp} is running or queued. */
    boolean held(long fp) {
        return tails.containsKey(fp);
    }

    /** Keys with an operation running or queued. */
    int busy() {
        return tails.size();
    }
}
