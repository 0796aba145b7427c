package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class FingerprintIndexTest {

    /** Random adds and removes, colliding fingerprints included, always agree with a counting reference. */
    @Test
    void behavesAsAMultisetUnderRandomOperations() {
        FingerprintIndex index = new FingerprintIndex();
        Map<Long, Integer> reference = new HashMap<>();
        SplittableRandom rnd = new SplittableRandom(42);
        for (int op = 0; op < 400_000; op++) {
            // A small universe forces duplicates, long probe runs and many backward shifts.
            long fp = 1 + rnd.nextInt(20_000) * 0x9E3779B97F4A7C15L;
            if (fp == 0) {
                fp = 1;
            }
            if (rnd.nextInt(3) > 0) {
                index.add(fp);
                reference.merge(fp, 1, Integer::sum);
            } else {
                boolean expected = reference.containsKey(fp);
                assertThat(index.remove(fp)).isEqualTo(expected);
                reference.computeIfPresent(fp, (k, n) -> n == 1 ? null : n - 1);
            }
            if (op % 1000 == 0) {
                long probe = 1 + rnd.nextInt(20_000) * 0x9E3779B97F4A7C15L;
                assertThat(index.contains(probe)).isEqualTo(reference.containsKey(probe));
            }
        }
        assertThat(index.size()).isEqualTo(reference.values().stream().mapToLong(Integer::longValue).sum());
        reference.keySet().forEach(fp -> assertThat(index.contains(fp)).isTrue());
    }

    @Test
    void twoKeysSharingAFingerprintStayVisibleUntilBothAreRemoved() {
        FingerprintIndex index = new FingerprintIndex();
        index.add(77);
        index.add(77);
        assertThat(index.remove(77)).isTrue();
        assertThat(index.contains(77)).isTrue();
        assertThat(index.remove(77)).isTrue();
        assertThat(index.contains(77)).isFalse();
        assertThat(index.remove(77)).isFalse();
    }

    @Test
    void staysUnderSixteenBytesPerKeyAtScale() {
        FingerprintIndex index = new FingerprintIndex();
        for (int n = 1; n <= 2_000_000; n++) {
            index.add(KeyHash.fingerprint(0, ("key:" + n).getBytes()));
            if (n % 250_000 == 0) {
                assertThat((double) index.memoryBytes() / n).as("bytes per key at %d keys", n).isLessThanOrEqualTo(16.0);
            }
        }
        for (int n = 1; n <= 1_500_000; n++) {
            assertThat(index.remove(KeyHash.fingerprint(0, ("key:" + n).getBytes()))).isTrue();
        }
        assertThat(index.size()).isEqualTo(500_000);
        assertThat((double) index.memoryBytes() / 500_000).isLessThanOrEqualTo(16.0);
    }

    /**
     * Lookups take no lock: while another thread adds and removes enough fingerprints to grow and shrink the tables
     * over and over, a fingerprint that stays in the index is found on every lookup and one never added never is.
     */
    @Test
    void lockFreeLookupsSeeEveryResidentFingerprintWhileTablesResize() throws Exception {
        FingerprintIndex index = new FingerprintIndex();
        long[] stay = new long[1000];
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < stay.length; i++) {
            stay[i] = random.nextLong() >>> 1 | 1;
            index.add(stay[i]);
        }
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Void> churn = CompletableFuture.runAsync(() -> {
            SplittableRandom r = new SplittableRandom(12);
            for (int round = 0; round < 40; round++) {
                long[] batch = new long[20_000];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = r.nextLong() | Long.MIN_VALUE;
                    index.add(batch[i]);
                }
                for (long fp : batch) {
                    index.remove(fp);
                }
            }
            done.set(true);
        });
        long lookups = 0;
        while (!done.get()) {
            for (long fp : stay) {
                assertThat(index.contains(fp)).isTrue();
                // The churn's fingerprints have the top bit set, these have not (and share their segments).
                assertThat(index.contains(fp + 2)).isFalse();
            }
            lookups += 2L * stay.length;
        }
        churn.get(30, TimeUnit.SECONDS);
        assertThat(lookups).isPositive();
    }
}
