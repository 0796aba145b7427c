package io.valkeysidecar.proxy.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The operators' HTTP endpoint: {@code /metrics} (Prometheus text format), {@code /health} (the process is alive)
 * and {@code /ready} (Valkey is reachable and the command table is loaded; otherwise 503 with the reason).
 *
 * <p>It runs on the JDK's HTTP server with two threads of its own, never on a Netty event loop, so a slow scrape
 * cannot delay a client's command. Whether it runs at all is the caller's decision (a configured port of 0 means
 * the caller does not start it); here port 0 asks the system for a free port, which {@link #port()} reports.
 */
public final class MetricsHttpServer implements AutoCloseable {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String PLAIN_TEXT = "text/plain; charset=utf-8";
    private static final int THREADS = 2;

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final BooleanSupplier upstreamReachable;
    private final BooleanSupplier commandTableLoaded;

    private MetricsHttpServer(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry,
            BooleanSupplier upstreamReachable, BooleanSupplier commandTableLoaded) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
        this.upstreamReachable = upstreamReachable;
        this.commandTableLoaded = commandTableLoaded;
    }

    /**
     * Binds and starts the endpoint.
     *
     * @param address where to listen; port 0 picks a free port
     * @param registry the registry whose meters {@code /metrics} shows
     * @param upstreamReachable whether the sidecar can reach Valkey now
     * @param commandTableLoaded whether the command table was read from Valkey's {@code COMMAND}
     * @throws IOException when the address cannot be bound
     */
    public static MetricsHttpServer start(InetSocketAddress address, PrometheusMeterRegistry registry,
            BooleanSupplier upstreamReachable, BooleanSupplier commandTableLoaded) throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, runnable -> {
            Thread thread = new Thread(runnable, "valkey-sidecar-metrics-http-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        MetricsHttpServer endpoint =
                new MetricsHttpServer(server, executor, registry, upstreamReachable, commandTableLoaded);
        server.createContext("/", endpoint::handle);
        server.setExecutor(executor);
        server.start();
        return endpoint;
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                respond(exchange, 405, PLAIN_TEXT, "method not allowed\n");
                return;
            }
            switch (exchange.getRequestURI().getPath()) {
                case "/metrics":
                    respond(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
                    break;
                case "/health":
                    respond(exchange, 200, PLAIN_TEXT, "ok\n");
                    break;
                case "/ready":
                    ready(exchange);
                    break;
                default:
                    respond(exchange, 404, PLAIN_TEXT, "not found: try /metrics, /health or /ready\n");
                    break;
            }
        }
    }

    private void ready(HttpExchange exchange) throws IOException {
        List<String> reasons = new ArrayList<>();
        check(upstreamReachable, "upstream Valkey is not reachable", reasons);
        check(commandTableLoaded, "command table is not loaded", reasons);
        if (reasons.isEmpty()) {
            respond(exchange, 200, PLAIN_TEXT, "ready\n");
        } else {
            respond(exchange, 503, PLAIN_TEXT, "not ready: " + String.join("; ", reasons) + "\n");
        }
    }

    private static void check(BooleanSupplier condition, String failure, List<String> reasons) {
        try {
            if (!condition.getAsBoolean()) {
                reasons.add(failure);
            }
        } catch (RuntimeException e) {
            reasons.add(failure + " (check failed: " + e + ")");
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
