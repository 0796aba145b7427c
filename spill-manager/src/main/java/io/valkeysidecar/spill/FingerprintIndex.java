package io.valkeysidecar.spill;

import java.util.concurrent.locks.StampedLock;

/**
 * In-memory membership index of spilled keys: a multiset of 64-bit fingerprints in open-addressing tables
 * (linear probing, backward-shift deletion), so a key in neither tier is answered without touching disk.
 *
 * <p>It is a multiset because two keys may share a fingerprint: the store adds a fingerprint exactly when a
 * key appears on disk and removes one copy exactly when it leaves, so a collision can cause a needless disk
 * read but never hides a spilled key. Tables grow by 1.5x at 80% load and shrink below 50% (8 bytes a slot: 10 to 16 bytes a key).
 * Segments, each with its own lock, keep growth pauses short and contention low. Lookups, one per key of every
 * command the proxy forwards, take no lock: an optimistic read of the segment, validated afterwards
 * ({@link StampedLock}), falls back to a read lock only when a write overlapped it.
 */
final class FingerprintIndex {

    private static final int SEGMENT_BITS = 6;
    private static final int SEGMENTS = 1 << SEGMENT_BITS;
    private static final int MIN_CAPACITY = 16;
    private static final double MAX_LOAD = 0.8;
    private static final double MIN_LOAD = 0.5;

    private final Segment[] segments = new Segment[SEGMENTS];

    FingerprintIndex() {
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment();
        }
    }

    void add(long fp) {
        Segment s = segments[(int) (fp & (SEGMENTS - 1))];
        long stamp = s.lock.writeLock();
        try {
            s.add(fp);
        } finally {
            s.lock.unlockWrite(stamp);
        }
    }

    boolean contains(long fp) {
        Segment s = segments[(int) (fp & (SEGMENTS - 1))];
        long stamp = s.lock.tryOptimisticRead();
        if (stamp != 0) {
            boolean found = s.find(fp) >= 0;
            if (s.lock.validate(stamp)) {
                return found;
            }
        }
        stamp = s.lock.readLock();
        try {
            return s.find(fp) >= 0;
        } finally {
            s.lock.unlockRead(stamp);
        }
    }

    /** Removes one copy; false if there was none. */
    boolean remove(long fp) {
        Segment s = segments[(int) (fp & (SEGMENTS - 1))];
        long stamp = s.lock.writeLock();
        try {
            return s.remove(fp);
        } finally {
            s.lock.unlockWrite(stamp);
        }
    }

    void clear() {
        for (Segment s : segments) {
            long stamp = s.lock.writeLock();
            try {
                s.table = new long[MIN_CAPACITY];
                s.size = 0;
            } finally {
                s.lock.unlockWrite(stamp);
            }
        }
    }

    long size() {
        long n = 0;
        for (Segment s : segments) {
            long stamp = s.lock.readLock();
            try {
                n += s.size;
            } finally {
                s.lock.unlockRead(stamp);
            }
        }
        return n;
    }

    /** Heap bytes held by the tables (array payloads and headers, segments and their locks), for the bytes per key. */
    long memoryBytes() {
        long bytes = 0;
        for (Segment s : segments) {
            long stamp = s.lock.readLock();
            try {
                bytes += 16L + 8L * s.table.length + 64;
            } finally {
                s.lock.unlockRead(stamp);
            }
        }
        return bytes;
    }

    private static final class Segment {
        final StampedLock lock = new StampedLock();
        long[] table = new long[MIN_CAPACITY];
        int size;

        /** Lemire's multiply-shift range reduction: any capacity, not only powers of two. */
        static int home(long fp, int capacity) {
            return (int) (((fp >>> SEGMENT_BITS) & 0xFFFFFFFFL) * capacity >>> 32);
        }

        void add(long fp) {
            if (size + 1 > table.length * MAX_LOAD) {
                rehash(table.length + (table.length >> 1));
            }
            insert(table, fp);
            size++;
        }

        private static void insert(long[] t, long fp) {
            int i = home(fp, t.length);
            while (t[i] != 0) {
                i = i + 1 == t.length ? 0 : i + 1;
            }
            t[i] = fp;
        }

        /**
         * The slot holding {@code fp}, or -1. Also called without the lock ({@link FingerprintIndex#contains}): the
         * table is read once and the probe is bounded, so a concurrent write can only make the answer wrong, which
         * the caller's validation then discards.
         */
        int find(long fp) {
            long[] t = table;
            int i = home(fp, t.length);
            for (int probes = 0; probes < t.length; probes++) {
                long v = t[i];
                if (v == fp) {
                    return i;
                }
                if (v == 0) {
                    return -1;
                }
                i = i + 1 == t.length ? 0 : i + 1;
            }
            return -1;
        }

        boolean remove(long fp) {
            int hole = find(fp);
            if (hole < 0) {
                return false;
            }
            long[] t = table;
            int n = t.length;
            int j = hole;
            while (true) {
                j = j + 1 == n ? 0 : j + 1;
                long v = t[j];
                if (v == 0) {
                    break;
                }
                int k = home(v, n);
                // v may move into the hole only if its home is not cyclically inside (hole, j].
                boolean stays = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
                if (!stays) {
                    t[hole] = v;
                    hole = j;
                }
            }
            t[hole] = 0;
            size--;
            // Shrink below half load (to 65%), so memory per key stays within 10 to 16 bytes both ways.
            if (table.length > MIN_CAPACITY && size < table.length * MIN_LOAD) {
                rehash(Math.max(MIN_CAPACITY, (int) (size / 0.65)));
            }
            return true;
        }

        private void rehash(int capacity) {
            long[] fresh = new long[capacity];
            for (long v : table) {
                if (v != 0) {
                    insert(fresh, v);
                }
            }
            table = fresh;
        }
    }
}
