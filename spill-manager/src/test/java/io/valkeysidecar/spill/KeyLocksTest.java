package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A key's lock is passed on whatever the operation holding it does. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KeyLocksTest {

    ExecutorService handoff = Executors.newSingleThreadExecutor();
    KeyLocks locks = new KeyLocks(handoff);

    @AfterEach
    void stop() {
        handoff.shutdownNow();
    }

    @Test
    void anErrorOfAHandedOffOperationFailsItAndFreesTheKey() throws Exception {
        CompletableFuture<Void> first = new CompletableFuture<>();
        CompletableFuture<Void> held = locks.withLock(1, () -> first);
        CompletableFuture<Object> failing = locks.withLock(1, () -> {
            throw new StackOverflowError("op");
        });
        CompletableFuture<String> next = locks.withLock(1, () -> CompletableFuture.completedFuture("ran"));
        first.complete(null);
        held.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> failing.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(StackOverflowError.class);
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
        assertThat(locks.busy()).isZero();
    }

    @Test
    void anOperationWithoutAStageFailsAndFreesTheKey() throws Exception {
        CompletableFuture<Void> first = new CompletableFuture<>();
        locks.withLock(1, () -> first);
        CompletableFuture<Object> none = locks.withLock(1, () -> null);
        CompletableFuture<String> next = locks.withLock(1, () -> CompletableFuture.completedFuture("ran"));
        first.complete(null);
        assertThatThrownBy(() -> none.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(next.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
        assertThat(locks.busy()).isZero();
        assertThatThrownBy(() -> locks.withLock(2, () -> null).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(locks.busy()).isZero();
    }
}
