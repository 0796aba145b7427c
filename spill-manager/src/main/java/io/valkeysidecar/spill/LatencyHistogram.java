package io.valkeysidecar.spill;

import java.util.concurrent.atomic.AtomicLongArray;

/** Lock-free latency histogram in microseconds: 8 sub-buckets per power of two (about 12% resolution). */
public final class LatencyHistogram {

    private static final int SUB = 8;
    private final AtomicLongArray buckets = new AtomicLongArray(64 * SUB);

    public void recordNanos(long nanos) {
        buckets.incrementAndGet(bucket(Math.max(0, nanos / 1000)));
    }

    private static int bucket(long micros) {
        if (micros < SUB) {
            return (int) micros;
        }
        int exp = 63 - Long.numberOfLeadingZeros(micros);
        int sub = (int) (micros >>> (exp - 3)) & (SUB - 1);
        return (exp - 2) * SUB + sub;
    }

    /** Upper bound of a bucket in microseconds. */
    private static long upper(int bucket) {
        if (bucket < SUB) {
            return bucket;
        }
        int exp = bucket / SUB + 2;
        int sub = bucket % SUB;
        return ((long) (SUB + sub + 1) << (exp - 3)) - 1;
    }

    public long count() {
        long n = 0;
        for (int i = 0; i < buckets.length(); i++) {
            n += buckets.get(i);
        }
        return n;
    }

    /** The q-quantile (0..1) in microseconds, by bucket upper bound; 0 when empty. */
    public long percentileMicros(double q) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < buckets.length(); i++) {
            seen += buckets.get(i);
            if (seen >= rank && seen > 0) {
                return upper(i);
            }
        }
        return upper(buckets.length() - 1);
    }
}
