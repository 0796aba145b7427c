package io.valkeysidecar.graph;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarExtension;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.testing.TestValkey;
import io.valkeysidecar.testing.TestClient;
import io.valkeysidecar.testing.TestCommands;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The extension is found by ServiceLoader, registers the GRAPH.* commands, INFO fields and meters. */
class ExtensionTest {

    @Test
    void serviceLoaderStartsTheGraphCommands() throws Exception {
        SidecarExtension ext = ServiceLoader.load(SidecarExtension.class).stream()
                .map(ServiceLoader.Provider::get).filter(e -> e instanceof GraphExtension).findFirst().orElseThrow();
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                .build();
        ExecutorService workers = Executors.newFixedThreadPool(2);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TestValkey valkey = TestValkey.start()) {
            List<SidecarCommand> commands = ext.start(new SidecarRuntime() {
                @Override
                public RedisURI upstream() {
                    return valkey.uri();
                }

                @Override
                public ClientResources clientResources() {
                    return resources;
                }

                @Override
                public CommandTable commandTable() {
                    return null;
                }

                @Override
                public java.util.concurrent.Executor workers() {
                    return workers;
                }

                @Override
                public MeterRegistry meterRegistry() {
                    return registry;
                }

                @Override
                public java.util.Map<String, String> settings() {
                    return java.util.Map.of("graph.cache-entities", "1_000");
                }

                @Override
                public Path dataDirectory() {
                    return Path.of(System.getProperty("java.io.tmpdir"));
                }
            });
            assertThat(commands).extracting(c -> c.descriptor().name()).containsExactlyInAnyOrder("graph.query",
                    "graph.ro_query", "graph.delete", "graph.explain", "graph.profile", "graph.list", "graph.config",
                    "graph.slowlog");
            SidecarCommand query = commands.stream().filter(c -> c.descriptor().name().equals("graph.query"))
                    .findFirst().orElseThrow();
            assertThat(query.descriptor().firstKey()).isEqualTo(1);
            var cmd = TestCommands.decode("GRAPH.QUERY", "ext", "CREATE (:X) RETURN 1");
            try {
                query.execute(TestClient.defaults(), cmd).toCompletableFuture().get(30, TimeUnit.SECONDS);
            } finally {
                cmd.release();
            }
            assertThat(ext.infoSections()).hasSize(1);
            assertThat(ext.infoSections().get(0).fields()).containsEntry("graph_queries", "1")
                    .containsEntry("graph_cached_graphs", "1").containsEntry("graph_cached_entities", "1")
                    .containsEntry("graph_cache_budget_entities", "1000");
            assertThat(registry.get("graph.queries").functionCounter().count()).isEqualTo(1.0);
            assertThat(registry.get("graph.cache.entities").gauge().value()).isEqualTo(1.0);
        } finally {
            ext.close();
            workers.shutdownNow();
            resources.shutdown();
        }
    }
}
