package io.valkeysidecar.spill;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the spill tier, read by INFO spill and the metrics. */
public final class SpillStats {

    final LongAdder spilled = new LongAdder();
    final LongAdder spillBytes = new LongAdder();
    final LongAdder restored = new LongAdder();
    final LongAdder restoreBytes = new LongAdder();
    final LongAdder restoredAhead = new LongAdder();
    final LongAdder diskReads = new LongAdder();
    final LongAdder readOnDisk = new LongAdder();
    final LongAdder keyWaits = new LongAdder();
    final LongAdder keyWaitNanos = new LongAdder();
    final LongAdder roomWaits = new LongAdder();
    final LongAdder roomWaitNanos = new LongAdder();
    final LongAdder cleaned = new LongAdder();
    final LongAdder raced = new LongAdder();
    final LongAdder memoryNewer = new LongAdder();
    final LongAdder expiredOnRead = new LongAdder();
    final LongAdder tooLarge = new LongAdder();
    final LongAdder refusedBudget = new LongAdder();
    final LongAdder deleted = new LongAdder();
    final LongAdder unrecoverableEvictions = new LongAdder();
    final LatencyHistogram restoreLatency = new LatencyHistogram();

    /** Keys moved to disk and deleted from Valkey. */
    public long spilled() {
        return spilled.sum();
    }

    /** DUMP payload bytes written by spills. */
    public long spillBytes() {
        return spillBytes.sum();
    }

    /** Keys brought back into Valkey. */
    public long restored() {
        return restored.sum();
    }

    public long restoreBytes() {
        return restoreBytes.sum();
    }

    /**
     * Restores whose RESTORE went to Valkey ahead of the client's command on its own connection (no round trip on
     * the tier's connection, no thread hand-off); the others read the disk or waited for another operation.
     */
    public long restoredAhead() {
        return restoredAhead.sum();
    }

    /** Store reads RocksDB could not answer from memory (memtables, block cache): they ran on the I/O pool. */
    public long diskReads() {
        return diskReads.sum();
    }

    /**
     * GETs of spilled strings answered from their disk copy, the key left on disk: it was no hotter than the keys
     * spilled lately, so bringing it back would only have pushed another key out.
     */
    public long readOnDisk() {
        return readOnDisk.sum();
    }

    /**
     * Client commands held until their keys were back in Valkey (a restore waiting for its RESTORE's answer, for a
     * read from disk, or for another operation on the key), and how long they were held in all. A read-only command
     * sent right behind its RESTOREs is not held and not counted.
     */
    public long keyWaits() {
        return keyWaits.sum();
    }

    public long keyWaitMicros() {
        return keyWaitNanos.sum() / 1000;
    }

    /** Writes that waited for the memory controller to make room before going to Valkey, and their total wait. */
    public long roomWaits() {
        return roomWaits.sum();
    }

    public long roomWaitMicros() {
        return roomWaitNanos.sum() / 1000;
    }

    /** Expired entries removed from disk by the sweeper or SPILL.CLEANUP. */
    public long cleaned() {
        return cleaned.sum();
    }

    /** Spills that lost to a concurrent write (memory won). */
    public long raced() {
        return raced.sum();
    }

    /** Restores that found a newer value in Valkey (disk copy dropped). */
    public long memoryNewer() {
        return memoryNewer.sum();
    }

    /** Entries found expired when read, deleted instead of restored. */
    public long expiredOnRead() {
        return expiredOnRead.sum();
    }

    public long tooLarge() {
        return tooLarge.sum();
    }

    public long refusedBudget() {
        return refusedBudget.sum();
    }

    /** Spilled keys removed by DEL/UNLINK/FLUSHDB. */
    public long deleted() {
        return deleted.sum();
    }

    /** Keys Valkey evicted by itself (INFO evicted_keys): their values are lost. */
    public long unrecoverableEvictions() {
        return unrecoverableEvictions.sum();
    }

    public LatencyHistogram restoreLatency() {
        return restoreLatency;
    }
}
