package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpillStoreTest {

    @TempDir
    Path dir;

    /** A minimal DUMP-shaped payload: type byte, body, RDB version 11, fake CRC. */
    static byte[] payload(int type, String body) {
        byte[] text = b(body);
        return ByteBuffer.allocate(1 + text.length + 10).put((byte) type).put(text).put((byte) 11).put((byte) 0)
                .putLong(0).array();
    }

    @Test
    void entriesSurviveARestartWithIndexCountsAndVersionsRebuilt() {
        long v2;
        try (SpillStore s = SpillStore.open(dir, 0)) {
            await(s.put(0, b("a"), SpillStore.NO_EXPIRY, payload(0, "one"), false));
            await(s.put(2, b("a"), 4_000_000_000_000L, payload(4, "two"), false));
            v2 = await(s.put(0, b("b"), SpillStore.NO_EXPIRY, payload(2, "three"), true));
            assertThat(s.keyCount()).isEqualTo(3);
        }
        try (SpillStore s = SpillStore.open(dir, 0)) {
            assertThat(s.keyCount()).isEqualTo(3);
            assertThat(s.keyCount(0)).isEqualTo(2);
            assertThat(s.keyCount(2)).isEqualTo(1);
            assertThat(s.mightContain(0, b("a"))).isTrue();
            assertThat(s.mightContain(1, b("a"))).isFalse();
            SpillStore.Entry e = s.get(2, b("a"));
            assertThat(e.expireAt()).isEqualTo(4_000_000_000_000L);
            assertThat(e.type()).isEqualTo("hash");
            assertThat(e.rdbVersion()).isEqualTo(11);
            assertThat(e.payload()).isEqualTo(payload(4, "two"));
            assertThat(s.pendingEntries()).extracting(SpillStore.Entry::version).containsExactly(v2);
            long v4 = await(s.put(0, b("c"), SpillStore.NO_EXPIRY, payload(0, "x"), false));
            assertThat(v4).as("versions keep growing across restarts").isGreaterThan(v2);
            assertThat(s.logicalBytes()).isPositive();
        }
    }

    @Test
    void versionCheckedDeleteAndCommit() {
        try (SpillStore s = SpillStore.open(dir, 0)) {
            long v1 = await(s.put(0, b("k"), SpillStore.NO_EXPIRY, payload(0, "1"), true));
            long v2 = await(s.put(0, b("k"), SpillStore.NO_EXPIRY, payload(0, "2"), true));
            assertThat(await(s.commit(0, b("k"), v1))).isFalse();
            assertThat(s.get(0, b("k")).pending()).isTrue();
            assertThat(await(s.commit(0, b("k"), v2))).isTrue();
            assertThat(s.get(0, b("k")).pending()).isFalse();
            assertThat(await(s.delete(0, b("k"), v1, true))).isFalse();
            assertThat(s.get(0, b("k")).payload()).isEqualTo(payload(0, "2"));
            assertThat(await(s.delete(0, b("k"), v2, true))).isTrue();
            assertThat(s.get(0, b("k"))).isNull();
            assertThat(s.mightContain(0, b("k"))).isFalse();
            assertThat(s.keyCount()).isZero();
            assertThat(s.logicalBytes()).isZero();
        }
    }

    @Test
    void sweepRemovesOnlyWhatIsDue() {
        long now = System.currentTimeMillis();
        try (SpillStore s = SpillStore.open(dir, 0)) {
            for (int i = 0; i < 2500; i++) {
                await(s.put(0, b("past" + i), now - 1000 + i % 10, payload(0, "v"), false));
            }
            await(s.put(0, b("future"), now + 60_000, payload(0, "v"), false));
            await(s.put(0, b("forever"), SpillStore.NO_EXPIRY, payload(0, "v"), false));
            assertThat(await(s.sweepExpired(now, 1000))).isEqualTo(1000);
            assertThat(await(s.sweepExpired(now, 10_000))).isEqualTo(1500);
            assertThat(await(s.sweepExpired(now, 10_000))).isZero();
            assertThat(s.keyCount()).isEqualTo(2);
            assertThat(s.get(0, b("future"))).isNotNull();
        }
    }

    /** The DiceDB race: a sweep that read an expired entry must not delete the newer value spilled meanwhile. */
    @Test
    void aSweepNeverRemovesAReSpilledNewerValue() {
        long now = System.currentTimeMillis();
        try (SpillStore s = SpillStore.open(dir, 0)) {
            await(s.put(0, b("k"), now - 10, payload(0, "old"), false));
            List<byte[]> due = s.dueExpiries(now, 100);
            assertThat(due).hasSize(1);
            await(s.put(0, b("k"), SpillStore.NO_EXPIRY, payload(0, "new"), false));
            assertThat(await(s.sweep(due))).isZero();
            assertThat(s.get(0, b("k")).payload()).isEqualTo(payload(0, "new"));
            assertThat(s.dueExpiries(Long.MAX_VALUE - 1, 100)).isEmpty();
        }
    }

    /** Many writers at once share WAL writes (group commit) and all complete. */
    @Test
    void concurrentWritesAreGroupCommitted() {
        try (SpillStore s = SpillStore.open(dir, 0)) {
            List<CompletableFuture<Long>> all = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                all.add(s.put(i % 4, b("k" + i), SpillStore.NO_EXPIRY, payload(0, "v" + i), false));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            assertThat(all.stream().map(CompletableFuture::join).distinct().count()).isEqualTo(5000);
            assertThat(s.keyCount()).isEqualTo(5000);
            assertThat(s.syncedOps()).isEqualTo(5000);
            assertThat(s.walSyncs()).isLessThan(s.syncedOps() / 2);
        }
    }

    @Test
    void theDiskBudgetStopsSpillsAndResumesWhenSpaceIsFreed() {
        try (SpillStore s = SpillStore.open(dir, 10_000)) {
            List<Long> versions = new ArrayList<>();
            for (int i = 0; !s.budgetReached(); i++) {
                assertThat(i).isLessThan(20);
                versions.add(await(s.put(0, b("k" + i), SpillStore.NO_EXPIRY, payload(0, "x".repeat(1000)), false)));
            }
            assertThat(s.logicalBytes()).isGreaterThanOrEqualTo(10_000);
            await(s.delete(0, b("k0"), versions.get(0), true));
            assertThat(s.budgetReached()).isFalse();
        }
    }

    @Test
    void flushDbRemovesOneDatabaseOnly() {
        try (SpillStore s = SpillStore.open(dir, 0)) {
            for (int i = 0; i < 100; i++) {
                s.put(1, b("k" + i), System.currentTimeMillis() + 100_000, payload(0, "v"), false);
                s.put(2, b("k" + i), SpillStore.NO_EXPIRY, payload(0, "v"), i % 2 == 0);
            }
            assertThat(await(s.flushDb(1))).isEqualTo(100);
            assertThat(s.keyCount(1)).isZero();
            assertThat(s.keyCount(2)).isEqualTo(100);
            assertThat(s.mightContain(1, b("k5"))).isFalse();
            assertThat(s.dueExpiries(Long.MAX_VALUE - 1, 1000)).isEmpty();
            assertThat(await(s.flushDb(2))).isEqualTo(100);
            assertThat(s.pendingEntries()).isEmpty();
            assertThat(s.logicalBytes()).isZero();
        }
    }

    /** Memory-only reads answer from memtables and the block cache, and say so when only the disk could answer. */
    @Test
    void cacheOnlyReadsNeverTouchTheDisk() {
        try (SpillStore s = SpillStore.open(dir, 0)) {
            await(s.put(0, b("k"), SpillStore.NO_EXPIRY, payload(0, "v"), false));
            assertThat(s.getIfCached(0, b("k"), true).payload()).isEqualTo(payload(0, "v"));
            assertThat(s.getIfCached(0, b("absent"), true)).isNull();
        }
        try (SpillStore s = SpillStore.open(dir, 0)) {
            // Reopened: the entry sits in an SST file whose blocks are not cached yet.
            assertThat(s.getIfCached(0, b("k"), true)).isSameAs(SpillStore.NOT_CACHED);
            assertThat(s.get(0, b("k")).payload()).isEqualTo(payload(0, "v"));
            assertThat(s.getIfCached(0, b("k"), true).payload()).isEqualTo(payload(0, "v"));
        }
    }
}
