package io.valkeysidecar.proxy.metrics;

import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.TestValkey;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every metric grafana/dashboards/valkey-sidecar.json queries must be exported: by {@link SidecarMetrics}, or by the
 * extensions (spill, graph) of a real sidecar scraped over HTTP.
 */
@Timeout(60)
class DashboardMetricsTest {

    private static Map<String, Object> dashboard;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void readDashboard() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("grafana/dashboards/valkey-sidecar.json"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("grafana/dashboards/valkey-sidecar.json above the working directory").isNotNull();
        String text = Files.readString(dir.resolve("grafana/dashboards/valkey-sidecar.json"), StandardCharsets.UTF_8);
        dashboard = (Map<String, Object>) Json.parse(text);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    /** Every panel, including those inside collapsed rows. */
    private static List<Map<String, Object>> allPanels() {
        List<Map<String, Object>> panels = new ArrayList<>();
        for (Map<String, Object> panel : list(dashboard.get("panels"))) {
            panels.add(panel);
            if (panel.containsKey("panels")) {
                panels.addAll(list(panel.get("panels")));
            }
        }
        return panels;
    }

    private static List<String> expressions() {
        List<String> exprs = new ArrayList<>();
        for (Map<String, Object> panel : allPanels()) {
            for (Map<String, Object> target : list(panel.getOrDefault("targets", List.of()))) {
                exprs.add((String) target.get("expr"));
            }
        }
        return exprs;
    }

    private static Set<String> queriedMetrics() {
        Set<String> metrics = new TreeSet<>();
        for (String expr : expressions()) {
            Set<String> names = PromQl.metricNames(expr);
            assertThat(names).as("metrics in %s", expr).isNotEmpty();
            metrics.addAll(names);
        }
        for (Map<String, Object> variable : list(map(dashboard.get("templating")).get("list"))) {
            if ("query".equals(variable.get("type"))) {
                metrics.add(PromQl.labelValuesMetric((String) map(variable.get("query")).get("query")));
            }
        }
        return metrics;
    }

    @Test
    void everyQueriedMetricIsExportedBySidecarMetrics() throws Exception {
        Set<String> queried = queriedMetrics();
        assertThat(queried).contains("valkey_sidecar_commands_total",
                "valkey_sidecar_command_duration_seconds_bucket",
                "valkey_sidecar_resilience4j_circuitbreaker_state",
                "valkey_sidecar_jvm_memory_used_bytes");

        Set<String> exported = new TreeSet<>(exercisedScrape().sampleNames());
        exported.addAll(runningSidecarScrape().sampleNames());

        Set<String> missing = new TreeSet<>(queried);
        missing.removeAll(exported);
        assertThat(missing).as("metrics the dashboard queries but the sidecar does not export").isEmpty();
    }

    /** /metrics of a real sidecar, with the extensions on the class path, in front of a real Valkey. */
    private static PrometheusText runningSidecarScrape() throws Exception {
        Path dataDir = Files.createTempDirectory("dashboard-test-");
        int metricsPort = ValkeyProcess.freePort();
        try (TestValkey valkey = TestValkey.start();
             SidecarServer sidecar = SidecarServer.start(new SidecarConfig("127.0.0.1", 0,
                     new InetSocketAddress(valkey.host(), valkey.port()), null, null, dataDir, metricsPort, 100,
                     RespLimits.DEFAULTS, 1000, 1, true, Duration.ofSeconds(2), "valkey-server", Map.of()))) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + sidecar.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return PrometheusText.parse(response.body());
        }
    }

    /** A registry after every kind of event the dashboard shows, including a garbage collection. */
    private static PrometheusText exercisedScrape() throws Exception {
        try (SidecarMetrics metrics = new SidecarMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            metrics.knownCommands(List.of("get", "set"));
            metrics.commandCompleted("GET", 40_000, false);
            metrics.commandCompleted("SET", 60_000, true);
            metrics.clientConnected();
            metrics.clientRejected();
            metrics.protocolError();
            metrics.bytesReceived(10);
            metrics.bytesSent(20);
            metrics.upstreamConnected();
            metrics.upstreamDisconnected();
            metrics.upstreamConnectFailed();
            metrics.bindCircuitBreaker(CircuitBreaker.ofDefaults("upstream"));
            EventLoopGroup group = new NioEventLoopGroup(1);
            try {
                metrics.bindNetty(PooledByteBufAllocator.DEFAULT, group);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                PrometheusText scrape = PrometheusText.parse(metrics.registry().scrape());
                while (!scrape.sampleNames().contains("valkey_sidecar_jvm_gc_pause_seconds_count")
                        && System.nanoTime() < deadline) {
                    System.gc();
                    Thread.sleep(100);
                    scrape = PrometheusText.parse(metrics.registry().scrape());
                }
                return scrape;
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }

    @Test
    void dashboardHasAFixedUidAndUsesTheDatasourceVariable() {
        assertThat(dashboard.get("uid")).isEqualTo("valkey-sidecar");
        Set<Object> ids = new HashSet<>();
        for (Map<String, Object> panel : allPanels()) {
            assertThat(ids.add(panel.get("id"))).as("panel id %s is unique", panel.get("id")).isTrue();
            for (Map<String, Object> target : list(panel.getOrDefault("targets", List.of()))) {
                assertThat(map(target.get("datasource"))).containsEntry("uid", "${datasource}");
            }
        }
        assertThat(list(map(dashboard.get("templating")).get("list")))
                .extracting(variable -> variable.get("name"))
                .contains("datasource", "instance");
    }

    @Test
    void dashboardShowsWhatOperatorsNeed() {
        List<String> titles = new ArrayList<>();
        for (Map<String, Object> panel : allPanels()) {
            titles.add((String) panel.get("title"));
        }
        assertThat(titles).contains("Commands/s by command", "Latency p50 / p99 (all commands)", "Clients",
                "Network", "Upstream connections", "Circuit breaker state", "Error replies/s by command",
                "JVM memory used", "GC pauses");
        assertThat(titles).contains("Spill tier", "Graph commands", "Spilled keys on disk", "Spills and restores/s",
                "Graph queries/s");
        assertThat(titles).anySatisfy(title -> assertThat(title).startsWith("Reactive watches"));
        assertThat(expressions()).anySatisfy(expr -> assertThat(expr)
                .startsWith("histogram_quantile(0.99, ")
                .contains("valkey_sidecar_command_duration_seconds_bucket"));
    }

    @Test
    void metricNamesAreFoundInPromQl() {
        assertThat(PromQl.metricNames(
                "histogram_quantile(0.99, sum by (le, command) (rate(a_seconds_bucket{instance=~\"$instance\"}"
                        + "[$__rate_interval])))"))
                .containsExactly("a_seconds_bucket");
        assertThat(PromQl.metricNames("sum(rate(x_total{outcome=\"error\"}[5m])) / sum(rate(y_total[5m])) > 1e-5"))
                .containsExactly("x_total", "y_total");
        assertThat(PromQl.metricNames("up == 1 and on (instance) process_uptime_seconds offset 5m"))
                .containsExactly("process_uptime_seconds", "up");
        assertThat(PromQl.labelValuesMetric("label_values(m_seconds, instance)")).isEqualTo("m_seconds");
        assertThatThrownBy(() -> PromQl.labelValuesMetric("query_result(up)"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jsonReaderRejectsWhatIsNotJson() {
        assertThat(Json.parse("{\"a\": [1, 2.5e1, true, null, \"x\\u0041\"]}"))
                .isEqualTo(Map.of("a", Arrays.asList(1.0, 25.0, true, null, "xA")));
        for (String bad : List.of("{\"a\": 1,}", "[1 2]", "{\"a\": 01}", "{\"a\": 1} x", "{\"a\": 1, \"a\": 2}")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
