package io.valkeysidecar.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Polling for a condition that becomes true asynchronously (events, background work), bounded in time. */
public final class Await {

    private Await() {
    }

    /** Returns once {@code condition} holds; fails the test after 20 seconds. */
    public static void until(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(20);
        }
    }
}
