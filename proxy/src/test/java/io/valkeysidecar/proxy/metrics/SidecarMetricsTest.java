package io.valkeysidecar.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SidecarMetricsTest {

    private final SidecarMetrics metrics = new SidecarMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));

    @AfterEach
    void close() {
        metrics.close();
    }

    private PrometheusText scrape() {
        return PrometheusText.parse(metrics.registry().scrape());
    }

    private static Map<String, String> command(String name, String outcome) {
        return Map.of("command", name, "outcome", outcome);
    }

    @Test
    void countsCommandsByLowerCaseNameAndOutcome() {
        metrics.knownCommands(List.of("GET", "set", "client|list"));
        metrics.commandCompleted("GET", 20_000, false);
        metrics.commandCompleted("get", 20_000, false);
        metrics.commandCompleted("Set", 20_000, true);
        metrics.commandCompleted("CLIENT|LIST", 20_000, false);

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_commands_total", command("get", "ok"))).isEqualTo(2.0);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("get", "error"))).isEqualTo(0.0);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("set", "error"))).isEqualTo(1.0);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("client|list", "ok"))).isEqualTo(1.0);
        assertThat(scrape.require("valkey_sidecar_command_duration_seconds_count", Map.of("command", "get")))
                .isEqualTo(2.0);
    }

    /** Each event loop records into cells of its own: what several threads recorded adds up exactly once they stop. */
    @Test
    void recordingsOfSeveralThreadsAddUp() throws InterruptedException {
        metrics.knownCommands(List.of("get"));
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    metrics.commandCompleted("GET", 1_000_000, i % 10 == 0);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_commands_total", command("get", "ok"))).isEqualTo(36_000.0);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("get", "error"))).isEqualTo(4_000.0);
        assertThat(scrape.require("valkey_sidecar_command_duration_seconds_count", Map.of("command", "get")))
                .isEqualTo(40_000.0);
        assertThat(scrape.require("valkey_sidecar_command_duration_seconds_sum", Map.of("command", "get")))
                .isCloseTo(40.0, within(1e-9));
    }

    @Test
    void commandsOutsideTheAllowListAreRecordedAsOther() {
        metrics.knownCommands(List.of("get"));
        metrics.commandCompleted("user:42:session", 10_000, false);
        metrics.commandCompleted("NOSUCHCOMMAND", 10_000, true);
        metrics.commandCompleted(null, 10_000, false);

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_commands_total", command("other", "ok"))).isEqualTo(2.0);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("other", "error"))).isEqualTo(1.0);
        assertThat(scrape.samples("valkey_sidecar_commands_total"))
                .extracting(sample -> sample.labels().get("command"))
                .containsOnly("other");
    }

    @Test
    void onlyCommandsThatWereSentGetSeries() {
        metrics.knownCommands(List.of("get", "set", "hgetall"));
        metrics.commandCompleted("get", 10_000, false);

        assertThat(scrape().samples("valkey_sidecar_command_duration_seconds_count"))
                .extracting(sample -> sample.labels().get("command"))
                .containsExactlyInAnyOrder("get", "other");
    }

    @Test
    void replacingTheAllowListKeepsCountsOfCommandsStillInIt() {
        metrics.knownCommands(List.of("get"));
        metrics.commandCompleted("get", 10_000, false);
        metrics.knownCommands(List.of("get", "set"));
        metrics.commandCompleted("get", 10_000, false);
        metrics.commandCompleted("set", 10_000, false);

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_commands_total", command("get", "ok"))).isEqualTo(2.0);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("set", "ok"))).isEqualTo(1.0);
    }

    @Test
    void latencyHistogramSpansTenMicrosecondsToOneSecondInSeconds() {
        metrics.knownCommands(List.of("get"));
        metrics.commandCompleted("get", TimeUnit.MICROSECONDS.toNanos(50), false);
        metrics.commandCompleted("get", TimeUnit.MILLISECONDS.toNanos(5), false);

        List<PrometheusText.Sample> buckets = new ArrayList<>();
        for (PrometheusText.Sample sample : scrape().samples("valkey_sidecar_command_duration_seconds_bucket")) {
            if (sample.labels().get("command").equals("get")) {
                buckets.add(sample);
            }
        }
        List<Double> bounds = new ArrayList<>();
        for (PrometheusText.Sample bucket : buckets) {
            bounds.add(Double.parseDouble(bucket.labels().get("le").replace("+Inf", "Infinity")));
        }
        assertThat(bounds).isSorted();
        assertThat(bounds.get(0)).isCloseTo(10e-6, within(1e-9));
        assertThat(bounds.get(bounds.size() - 2)).isCloseTo(1.0, within(1e-9));
        assertThat(bounds.get(bounds.size() - 1)).isInfinite();
        assertThat(bounds).hasSizeBetween(20, 100);
        for (int i = 0; i < buckets.size(); i++) {
            double le = bounds.get(i);
            double expected = le < 50e-6 ? 0 : le < 5e-3 ? 1 : 2;
            assertThat(buckets.get(i).value()).as("bucket le=%s", le).isEqualTo(expected);
        }
        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_command_duration_seconds_sum", Map.of("command", "get")))
                .isCloseTo(0.00505, within(1e-9));
        assertThat(scrape.types()).containsEntry("valkey_sidecar_command_duration_seconds", "histogram");
    }

    @Test
    void clientsGaugeFollowsConnectsAndDisconnects() {
        metrics.clientConnected();
        metrics.clientConnected();
        metrics.clientConnected();
        metrics.clientDisconnected();
        metrics.clientRejected();
        metrics.protocolError();
        metrics.protocolError();

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_clients_connected", Map.of())).isEqualTo(2.0);
        assertThat(scrape.require("valkey_sidecar_clients_accepted_total", Map.of())).isEqualTo(3.0);
        assertThat(scrape.require("valkey_sidecar_clients_rejected_total", Map.of())).isEqualTo(1.0);
        assertThat(scrape.require("valkey_sidecar_protocol_errors_total", Map.of())).isEqualTo(2.0);
        assertThat(scrape.types()).containsEntry("valkey_sidecar_clients_connected", "gauge");
    }

    @Test
    void bytesAreCountedInBytes() {
        metrics.bytesReceived(100);
        metrics.bytesReceived(23);
        metrics.bytesSent(4096);

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_network_received_bytes_total", Map.of())).isEqualTo(123.0);
        assertThat(scrape.require("valkey_sidecar_network_sent_bytes_total", Map.of())).isEqualTo(4096.0);
    }

    @Test
    void upstreamConnectionsAndFailures() {
        metrics.upstreamConnected();
        metrics.upstreamConnected();
        metrics.upstreamDisconnected();
        metrics.upstreamConnectFailed();

        PrometheusText scrape = scrape();
        assertThat(scrape.require("valkey_sidecar_upstream_connections_active", Map.of())).isEqualTo(1.0);
        assertThat(scrape.require("valkey_sidecar_upstream_connections_opened_total", Map.of())).isEqualTo(2.0);
        assertThat(scrape.require("valkey_sidecar_upstream_connections_closed_total", Map.of())).isEqualTo(1.0);
        assertThat(scrape.require("valkey_sidecar_upstream_connect_failures_total", Map.of())).isEqualTo(1.0);
    }

    @Test
    void circuitBreakerStateFollowsTheBreaker() {
        CircuitBreaker breaker = CircuitBreaker.ofDefaults("upstream");
        metrics.bindCircuitBreaker(breaker);
        String state = "valkey_sidecar_resilience4j_circuitbreaker_state";
        assertThat(scrape().require(state, Map.of("name", "upstream", "state", "closed"))).isEqualTo(1.0);

        breaker.transitionToOpenState();
        PrometheusText scrape = scrape();
        assertThat(scrape.require(state, Map.of("name", "upstream", "state", "open"))).isEqualTo(1.0);
        assertThat(scrape.require(state, Map.of("name", "upstream", "state", "closed"))).isEqualTo(0.0);

        assertThat(breaker.tryAcquirePermission()).isFalse();
        assertThat(scrape().require("valkey_sidecar_resilience4j_circuitbreaker_not_permitted_calls_total",
                Map.of("name", "upstream"))).isEqualTo(1.0);
    }

    @Test
    void aBoundCircuitBreakerStaysExportedWhenOnlyTheMetricsReferToIt() throws Exception {
        metrics.bindCircuitBreaker(CircuitBreaker.ofDefaults("unreferenced"));
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(scrape().require("valkey_sidecar_resilience4j_circuitbreaker_state",
                Map.of("name", "unreferenced", "state", "closed"))).isEqualTo(1.0);
    }

    @Test
    void nettyAllocatorAndEventLoopsAreExported() throws Exception {
        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(2);
        PooledByteBufAllocator allocator = new PooledByteBufAllocator(true);
        ByteBuf buffer = allocator.directBuffer(64 * 1024);
        try {
            metrics.bindNetty(allocator, boss, workers);
            PrometheusText scrape = scrape();
            assertThat(scrape.samples("valkey_sidecar_netty_eventexecutor_tasks_pending")).hasSize(3);
            assertThat(scrape.require("valkey_sidecar_netty_allocator_memory_used_bytes",
                    Map.of("memory_type", "direct"))).isGreaterThanOrEqualTo(64 * 1024);
        } finally {
            buffer.release();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void jvmMetricsAreExported() {
        PrometheusText scrape = scrape();
        assertThat(scrape.sampleNames()).contains(
                "valkey_sidecar_jvm_memory_used_bytes",
                "valkey_sidecar_jvm_gc_memory_allocated_bytes_total",
                "valkey_sidecar_jvm_threads_live_threads",
                "valkey_sidecar_jvm_classes_loaded_classes",
                "valkey_sidecar_system_cpu_count",
                "valkey_sidecar_process_cpu_usage",
                "valkey_sidecar_process_cpu_seconds_total",
                "valkey_sidecar_process_uptime_seconds");
        assertThat(scrape.require("valkey_sidecar_process_cpu_seconds_total", Map.of())).isPositive();
    }

    @Test
    void everyMeterFollowsPrometheusConventions() throws Exception {
        metrics.knownCommands(List.of("get"));
        metrics.commandCompleted("get", 10_000, false);
        metrics.bindCircuitBreaker(CircuitBreaker.ofDefaults("upstream"));
        EventLoopGroup group = new NioEventLoopGroup(1);
        try {
            metrics.bindNetty(PooledByteBufAllocator.DEFAULT, group);
            PrometheusText scrape = scrape();
            assertThat(scrape.sampleNames()).allSatisfy(name -> assertThat(name).startsWith("valkey_sidecar_"));
            assertThat(scrape.sampleNames()).noneSatisfy(name -> assertThat(name).containsPattern("_(ns|ms|us)(_|$)"));
            scrape.types().forEach((family, type) -> {
                if (type.equals("counter")) {
                    assertThat(family).endsWith("_total");
                    assertThat(scrape.samples(family)).as(family).isNotEmpty();
                } else {
                    assertThat(family).as("%s is a %s", family, type).doesNotEndWith("_total");
                }
            });
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void concurrentRecordingLosesNothing() throws Exception {
        metrics.knownCommands(List.of("get", "set"));
        int threads = 4;
        int perThread = 10_000;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    metrics.commandCompleted(i % 2 == 0 ? "GET" : "set", 1_000 + i, i % 10 == 0);
                    metrics.bytesReceived(1);
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(worker.isAlive()).isFalse();
        }
        PrometheusText scrape = scrape();
        double total = 0;
        for (PrometheusText.Sample sample : scrape.samples("valkey_sidecar_commands_total")) {
            total += sample.value();
        }
        assertThat(total).isEqualTo(threads * perThread);
        assertThat(scrape.require("valkey_sidecar_commands_total", command("get", "error")))
                .isEqualTo(threads * perThread / 10.0);
        assertThat(scrape.require("valkey_sidecar_network_received_bytes_total", Map.of()))
                .isEqualTo(threads * perThread);
    }
}
