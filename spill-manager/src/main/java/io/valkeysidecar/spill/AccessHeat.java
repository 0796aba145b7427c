package io.valkeysidecar.spill;

/**
 * How often the proxy's clients touched each key lately, so the memory controller can choose cold keys from
 * the sidecar's own traffic instead of asking Valkey ({@code OBJECT IDLETIME} cost a command per sampled key,
 * has second resolution, and ranks by recency, which spills warm keys of a skewed workload).
 *
 * <p>One saturating byte counter per slot of fingerprints, halved by {@link #age} periodically: an access
 * frequency with exponential decay, as in TinyLFU. The table has a fixed size (1 MiB) whatever the number of
 * keys; keys sharing a slot share their heat, which only keeps a cold key resident a little longer. Keys
 * written by clients that bypass the sidecar have no heat and are spilled first. Updates are deliberately
 * racy plain array stores: a lost increment blurs a heuristic, and the proxy's path stays free of atomics.
 */
final class AccessHeat {

    /** The highest heat: counters saturate there. */
    static final int MAX = 0xff;
    private static final int BITS = 20;
    private static final int MASK = (1 << BITS) - 1;

    private final byte[] counts = new byte[1 << BITS];

    void touch(long fingerprint) {
        int i = (int) fingerprint & MASK;
        int c = counts[i] & 0xff;
        if (c < MAX) {
            counts[i] = (byte) (c + 1);
        }
    }

    int heat(long fingerprint) {
        return counts[(int) fingerprint & MASK] & 0xff;
    }

    /** Halves every counter, so past accesses weigh less than recent ones. */
    void age() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = (byte) ((counts[i] & 0xff) >>> 1);
        }
    }

    long bytes() {
        return counts.length;
    }
}
