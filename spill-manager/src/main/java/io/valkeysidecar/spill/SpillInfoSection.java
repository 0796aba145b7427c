package io.valkeysidecar.spill;

import io.valkeysidecar.extension.InfoSection;
import java.util.LinkedHashMap;
import java.util.Map;

/** INFO spill: what is on disk, what moved, how fast restores are, and whether anything was lost. */
public final class SpillInfoSection implements InfoSection {

    private final SpillEngine engine;
    private final MemoryController controller;

    public SpillInfoSection(SpillEngine engine, MemoryController controller) {
        this.engine = engine;
        this.controller = controller;
    }

    @Override
    public String name() {
        return "spill";
    }

    @Override
    public Map<String, String> fields() {
        SpillStore store = engine.store();
        SpillStats s = engine.stats();
        long keys = store.keyCount();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("spill_keys", Long.toString(keys));
        f.put("spill_bytes", Long.toString(store.logicalBytes()));
        f.put("spill_disk_usage_bytes", Long.toString(store.diskUsageBytes()));
        f.put("spill_disk_budget_bytes", Long.toString(store.diskBudgetBytes()));
        f.put("spill_disk_budget_reached", store.budgetReached() ? "1" : "0");
        f.put("spill_index_bytes", Long.toString(store.indexBytes()));
        f.put("spill_index_bytes_per_key", keys == 0 ? "0" : String.format("%.2f", (double) store.indexBytes() / keys));
        f.put("spill_access_heat_bytes", Long.toString(engine.heatBytes()));
        f.put("keys_spilled", Long.toString(s.spilled()));
        f.put("bytes_written", Long.toString(s.spillBytes()));
        f.put("keys_restored", Long.toString(s.restored()));
        f.put("bytes_read", Long.toString(s.restoreBytes()));
        f.put("keys_restored_ahead", Long.toString(s.restoredAhead()));
        f.put("keys_read_on_disk", Long.toString(s.readOnDisk()));
        f.put("store_disk_reads", Long.toString(s.diskReads()));
        f.put("keys_cleaned", Long.toString(s.cleaned()));
        f.put("keys_deleted", Long.toString(s.deleted()));
        f.put("spill_write_races", Long.toString(s.raced()));
        f.put("restore_memory_newer", Long.toString(s.memoryNewer()));
        f.put("restore_expired", Long.toString(s.expiredOnRead()));
        f.put("spill_too_large", Long.toString(s.tooLarge()));
        f.put("spill_refused_budget", Long.toString(s.refusedBudget()));
        f.put("restore_latency_p50_us", Long.toString(s.restoreLatency().percentileMicros(0.50)));
        f.put("restore_latency_p99_us", Long.toString(s.restoreLatency().percentileMicros(0.99)));
        f.put("key_waits", Long.toString(s.keyWaits()));
        f.put("key_wait_us", Long.toString(s.keyWaitMicros()));
        f.put("write_room_waits", Long.toString(s.roomWaits()));
        f.put("write_room_wait_us", Long.toString(s.roomWaitMicros()));
        f.put("unrecoverable_evictions", Long.toString(s.unrecoverableEvictions()));
        f.put("valkey_used_memory", Long.toString(controller.usedMemory()));
        f.put("memory_limit", Long.toString(controller.limit()));
        f.put("wal_syncs", Long.toString(store.walSyncs()));
        f.put("wal_synced_ops", Long.toString(store.syncedOps()));
        return f;
    }
}
