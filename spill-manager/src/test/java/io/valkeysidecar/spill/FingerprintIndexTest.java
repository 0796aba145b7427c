package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
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
}
