package io.valkeysidecar.graph;

import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarExtension;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.graph.store.GraphStore;
import java.util.List;
import java.util.Map;

/** Plugs the RedisGraph-compatible GRAPH.* commands into the sidecar. */
public final class GraphExtension implements SidecarExtension {

    private GraphStore store;

    @Override
    public List<SidecarCommand> start(SidecarRuntime runtime) {
        store = new GraphStore(runtime.upstream(), runtime.clientResources());
        GraphService service = new GraphService(store, runtime.workers(), new GraphConfig());
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
                return Map.of("graph_enabled", store == null ? "0" : "1");
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
