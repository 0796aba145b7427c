package io.valkeysidecar.spill;

import java.nio.file.Path;
import java.util.Map;

/**
 * Settings of the spill tier.
 *
 * @param directory       where the RocksDB store lives
 * @param diskBudgetBytes spilling stops once the store holds this many bytes (0 = unlimited)
 * @param maxSpillBytes   keys taking more memory than this are never spilled
 * @param memory          the memory controller's watermarks and pacing
 * @param sweepIntervalMs how often expired entries are swept from disk
 */
public record SpillConfig(Path directory, long diskBudgetBytes, long maxSpillBytes, MemoryController.Settings memory,
                          long sweepIntervalMs) {

    public static SpillConfig defaults(Path directory) {
        return new SpillConfig(directory, 0, 8L << 20, MemoryController.Settings.defaults(), 1000);
    }

    /**
     * Reads the {@code spill.*} settings the CLI hands to extensions (disk-budget-bytes, max-key-bytes,
     * high-watermark, low-watermark, memory-budget-bytes, sweep-interval-ms), defaulting absent ones.
     */
    public static SpillConfig fromSettings(Path directory, Map<String, String> s) {
        SpillConfig d = defaults(directory);
        MemoryController.Settings m = d.memory();
        return new SpillConfig(directory,
                Long.parseLong(s.getOrDefault("spill.disk-budget-bytes", Long.toString(d.diskBudgetBytes()))),
                Long.parseLong(s.getOrDefault("spill.max-key-bytes", Long.toString(d.maxSpillBytes()))),
                new MemoryController.Settings(
                        Double.parseDouble(s.getOrDefault("spill.high-watermark", Double.toString(m.high()))),
                        Double.parseDouble(s.getOrDefault("spill.low-watermark", Double.toString(m.low()))),
                        Long.parseLong(s.getOrDefault("spill.memory-budget-bytes", Long.toString(m.budgetBytes()))),
                        m.sampleSize(), m.batchSize(), m.parallel(), m.intervalMs()),
                Long.parseLong(s.getOrDefault("spill.sweep-interval-ms", Long.toString(d.sweepIntervalMs()))));
    }
}
