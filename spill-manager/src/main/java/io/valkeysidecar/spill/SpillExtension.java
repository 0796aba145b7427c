package io.valkeysidecar.spill;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.valkeysidecar.extension.CommandInterceptor;
import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarExtension;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.keyspace.KeyspaceListener;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The spill tier as a sidecar extension: EVICT, SPILL.RESTORE, SPILL.CLEANUP, INFO spill and metrics.
 * Configured by the CLI's {@code --spill-*} options (see {@link SpillConfig#fromSettings}); the store
 * lives in {@code <data directory>/spill}. The proxy reaches the tier through {@link #engine()}.
 */
public final class SpillExtension implements SidecarExtension {

    private SpillManager manager;
    private SpillInfoSection info;
    private SpillInterceptor interceptor;
    private KeyspaceListener listener;

    @Override
    public List<SidecarCommand> start(SidecarRuntime runtime) {
        if (!Boolean.parseBoolean(runtime.settings().getOrDefault("spill.enabled", "true"))) {
            return List.of();
        }
        SpillConfig config = SpillConfig.fromSettings(runtime.dataDirectory().resolve("spill"), runtime.settings());
        manager = SpillManager.start(config, runtime.clientResources(), runtime.upstream());
        info = new SpillInfoSection(manager.engine(), manager.controller());
        interceptor = new SpillInterceptor(manager.engine(), runtime::commandTable, manager.controller(),
                config.memory().high());
        listener = new KeyspaceListener(runtime.clientResources(), runtime.upstream(), SpillCoherence.NOTIFY_FLAGS,
                List.of(new SpillCoherence(manager.engine())), 100_000);
        listener.start();
        registerMetrics(runtime.meterRegistry());
        return SpillCommands.all(manager.engine());
    }

    /** The proxy's handle on the tier: ensureResident/release, deleteSpilled, spilledKeys, spilledMeta, ... */
    public SpillEngine engine() {
        if (manager == null) {
            throw new IllegalStateException("spill extension not started");
        }
        return manager.engine();
    }

    @Override
    public List<CommandInterceptor> interceptors() {
        return interceptor == null ? List.of() : List.of(interceptor);
    }

    @Override
    public List<InfoSection> infoSections() {
        return info == null ? List.of() : List.of(info);
    }

    private void registerMetrics(MeterRegistry r) {
        SpillStore store = manager.store();
        SpillStats s = manager.engine().stats();
        Gauge.builder("spill.keys", store, SpillStore::keyCount).register(r);
        Gauge.builder("spill.bytes", store, SpillStore::logicalBytes).register(r);
        Gauge.builder("spill.disk.usage.bytes", store, SpillStore::diskUsageBytes).register(r);
        Gauge.builder("spill.disk.budget.reached", store, st -> st.budgetReached() ? 1 : 0).register(r);
        Gauge.builder("spill.index.bytes", store, SpillStore::indexBytes).register(r);
        counter(r, "spill.keys.spilled", s, SpillStats::spilled);
        counter(r, "spill.keys.restored", s, SpillStats::restored);
        counter(r, "spill.keys.cleaned", s, SpillStats::cleaned);
        counter(r, "spill.write.races", s, SpillStats::raced);
        counter(r, "spill.refused.budget", s, SpillStats::refusedBudget);
        counter(r, "spill.unrecoverable.evictions", s, SpillStats::unrecoverableEvictions);
    }

    private static void counter(MeterRegistry r, String name, SpillStats s, ToDoubleFunction<SpillStats> f) {
        FunctionCounter.builder(name, s, f).register(r);
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close();
        }
        if (manager != null) {
            manager.close();
        }
    }
}
