package io.valkeysidecar.spill;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Two counters per stripe of fingerprints that close the gap between "the proxy checked that a key is in
 * memory" and "Valkey ran the forwarded command": a client pins its keys before checking, a spill marks its
 * keys before checking pins (Dekker-style, both through sequentially consistent atomics). So either the
 * spill sees the pin and leaves the key alone, or the client sees the spill and waits for it, then restores.
 * Striping keeps the proxy's fast path free of allocation; a shared stripe only causes a skipped spill or a
 * needless wait for a lock.
 */
final class KeyStripes {

    private static final int BITS = 14;

    private final AtomicIntegerArray pins = new AtomicIntegerArray(1 << BITS);
    private final AtomicIntegerArray spilling = new AtomicIntegerArray(1 << BITS);

    private static int stripe(long fp) {
        return (int) (fp >>> (64 - BITS));
    }

    void pin(long fp) {
        pins.incrementAndGet(stripe(fp));
    }

    void unpin(long fp) {
        pins.decrementAndGet(stripe(fp));
    }

    boolean pinned(long fp) {
        return pins.get(stripe(fp)) > 0;
    }

    void markSpilling(long fp) {
        spilling.incrementAndGet(stripe(fp));
    }

    void unmarkSpilling(long fp) {
        spilling.decrementAndGet(stripe(fp));
    }

    boolean spilling(long fp) {
        return spilling.get(stripe(fp)) > 0;
    }
}
