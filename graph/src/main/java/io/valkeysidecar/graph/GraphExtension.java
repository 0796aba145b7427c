package io.valkeysidecar.graph;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarExtension;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.graph.store.GraphStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Plugs the RedisGraph-compatible GRAPH.* commands into the sidecar. */
public final class GraphExtension implements SidecarExtension {

    /** Setting for how many nodes plus edges all cached graphs may hold together. */
    static final String CACHE_BUDGET_SETTING = "graph.cache-entities";
    static final long DEFAULT_CACHE_BUDGET = 20_000_000L;

    private GraphStore store;
    private GraphService service;
    private long cacheBudget;

    @Override
    public List<SidecarCommand> start(SidecarRuntime runtime) {
        store = new GraphStore(runtime.upstream(), runtime.clientResources());
        String budget = runtime.settings().get(CACHE_BUDGET_SETTING);
        cacheBudget = budget == null ? DEFAULT_CACHE_BUDGET : Long.parseLong(budget.replace("_", ""));
        service = new GraphService(store, runtime.workers(), new GraphConfig(), cacheBudget);
        MeterRegistry m = runtime.meterRegistry();
        FunctionCounter.builder("graph.queries", service.queries, java.util.concurrent.atomic.AtomicLong::get)
                .description("GRAPH.* queries run").register(m);
        FunctionCounter.builder("graph.write.conflicts", service.writeConflicts,
                java.util.concurrent.atomic.AtomicLong::get)
                .description("graph writes retried because another writer committed first").register(m);
        FunctionCounter.builder("graph.cache.reloads", service.reloads,
                java.util.concurrent.atomic.AtomicLong::get)
                .description("graphs (re)loaded from Valkey into the sidecar cache").register(m);
        Gauge.builder("graph.cache.entities", service, GraphService::cachedEntities)
                .description("nodes plus edges held in the sidecar graph cache").register(m);
        return GraphCommands.all(service);
    }

    @Override
    public List<InfoSection> infoSections() {
        return List.of(new InfoSection() {
            @Override
            public String name() {
                return "graph";
            }

            @Override
            public Map<String, String> fields() {
                Map<String, String> f = new LinkedHashMap<>();
                if (service != null) {
                    f.put("graph_cached_graphs", Integer.toString(service.cachedGraphs()));
                    f.put("graph_cached_entities", Long.toString(service.cachedEntities()));
                    f.put("graph_cache_budget_entities", Long.toString(cacheBudget));
                    f.put("graph_queries", Long.toString(service.queries.get()));
                    f.put("graph_write_conflicts", Long.toString(service.writeConflicts.get()));
                    f.put("graph_cache_reloads", Long.toString(service.reloads.get()));
                    f.put("graph_cache_evictions", Long.toString(service.evictions.get()));
                }
                return f;
            }
        });
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }
}
