package io.valkeysidecar.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class MetricsHttpServerTest {

    private final SidecarMetrics metrics = new SidecarMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    private final AtomicBoolean upstreamReachable = new AtomicBoolean(true);
    private final AtomicBoolean commandTableLoaded = new AtomicBoolean(true);
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private MetricsHttpServer server;

    private MetricsHttpServer start() throws IOException {
        server = MetricsHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics.registry(), upstreamReachable::get, commandTableLoaded::get);
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        metrics.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send("GET", path);
    }

    @Test
    void metricsServesThePrometheusTextFormatOfTheRegistry() throws Exception {
        start();
        metrics.knownCommands(List.of("get"));
        metrics.commandCompleted("GET", 30_000, false);
        metrics.clientConnected();

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue(MetricsHttpServer.PROMETHEUS_TEXT);
        PrometheusText scrape = PrometheusText.parse(response.body());
        assertThat(scrape.require("valkey_sidecar_commands_total", Map.of("command", "get", "outcome", "ok")))
                .isEqualTo(1.0);
        assertThat(scrape.require("valkey_sidecar_clients_connected", Map.of())).isEqualTo(1.0);
    }

    @Test
    void healthAnswersWhileTheUpstreamIsDown() throws Exception {
        start();
        upstreamReachable.set(false);

        HttpResponse<String> response = get("/health");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok\n");
    }

    @Test
    void readyOnlyWhenUpstreamReachableAndCommandTableLoaded() throws Exception {
        start();
        assertThat(get("/ready").statusCode()).isEqualTo(200);

        upstreamReachable.set(false);
        HttpResponse<String> upstreamDown = get("/ready");
        assertThat(upstreamDown.statusCode()).isEqualTo(503);
        assertThat(upstreamDown.body()).isEqualTo("not ready: upstream Valkey is not reachable\n");

        commandTableLoaded.set(false);
        HttpResponse<String> both = get("/ready");
        assertThat(both.statusCode()).isEqualTo(503);
        assertThat(both.body())
                .isEqualTo("not ready: upstream Valkey is not reachable; command table is not loaded\n");

        upstreamReachable.set(true);
        HttpResponse<String> noTable = get("/ready");
        assertThat(noTable.statusCode()).isEqualTo(503);
        assertThat(noTable.body()).isEqualTo("not ready: command table is not loaded\n");

        commandTableLoaded.set(true);
        assertThat(get("/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void aReadinessCheckThatThrowsMeansNotReady() throws Exception {
        server = MetricsHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics.registry(), () -> {
                    throw new IllegalStateException("no connection yet");
                }, () -> true);

        HttpResponse<String> response = get("/ready");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("upstream Valkey is not reachable").contains("no connection yet");
    }

    @Test
    void unknownPathsMethodsAndHead() throws Exception {
        start();
        assertThat(get("/").statusCode()).isEqualTo(404);
        assertThat(get("/metricsx").statusCode()).isEqualTo(404);

        HttpResponse<String> post = send("POST", "/metrics");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

        HttpResponse<String> head = send("HEAD", "/health");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void requestsAreServedOffTheCallersThreadsByTheEndpointsOwnThreads() throws Exception {
        AtomicReference<String> checkThread = new AtomicReference<>();
        server = MetricsHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics.registry(), () -> {
                    checkThread.set(Thread.currentThread().getName());
                    return true;
                }, () -> true);

        assertThat(get("/ready").statusCode()).isEqualTo(200);
        assertThat(checkThread.get()).startsWith("valkey-sidecar-metrics-http-");
    }

    @Test
    void aSlowReadinessCheckDoesNotBlockScrapes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        server = MetricsHttpServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics.registry(), () -> {
                    try {
                        return release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }, () -> true);
        try {
            var slow = client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/ready"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            long started = System.nanoTime();
            assertThat(get("/metrics").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            release.countDown();
            assertThat(slow.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        } finally {
            release.countDown();
        }
    }

    @Test
    void closeReleasesThePort() throws Exception {
        int port = start().port();
        assertThat(get("/health").statusCode()).isEqualTo(200);

        server.close();
        server = null;

        boolean refused;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            refused = false;
        } catch (ConnectException e) {
            refused = true;
        }
        assertThat(refused).isTrue();
    }
}
