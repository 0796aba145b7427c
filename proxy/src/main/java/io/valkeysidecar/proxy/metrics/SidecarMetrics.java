package io.valkeysidecar.proxy.metrics;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetricsPublisher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.valkeysidecar.resp.CommandNames;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.HashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sidecar's metrics facade. Every recording method is cheap and never blocks, so the event loops call it
 * directly: meters are looked up without allocating, counters and gauges are lock-free.
 *
 * <p>Every meter name is exported with the prefix {@code valkey_sidecar_}, including the JVM, Netty and
 * resilience4j binders' meters (a registry-wide filter adds it). The per-request meters are {@link CommandStats},
 * registered with the Prometheus registry beside Micrometer's. Labels never carry key names: the only
 * per-request label is the command name, limited to the allow-list given by {@link #knownCommands}; anything else
 * is recorded as {@value #OTHER_COMMAND}.
 */
public final class SidecarMetrics implements AutoCloseable {

    /** Prefix of every meter, in Micrometer's dotted form; Prometheus shows it as {@code valkey_sidecar_}. */
    public static final String PREFIX = "valkey.sidecar.";

    /** Command label value for commands outside the allow-list. */
    public static final String OTHER_COMMAND = "other";

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    /** Micrometer's gauges hold their objects weakly: keep bound breakers reachable while they are exported. */
    private final List<CircuitBreaker> circuitBreakers = new CopyOnWriteArrayList<>();

    private final CommandStats commandStats = new CommandStats();
    private final CommandMeters otherCommand;
    /** Case-insensitive, replaced as a whole by {@link #knownCommands}: lookups need no lock and no allocation. */
    private volatile Map<String, CommandMeters> commandMeters;

    private final AtomicLong connectedClients = new AtomicLong();
    private final Counter clientsAccepted;
    private final Counter clientsRejected;
    private final Counter protocolErrors;
    private final Counter bytesReceived;
    private final Counter bytesSent;
    private final AtomicLong upstreamConnections = new AtomicLong();
    private final Counter upstreamOpened;
    private final Counter upstreamClosed;
    private final Counter upstreamConnectFailures;

    public SidecarMetrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        registry.config().meterFilter(new PrometheusConventions());

        Gauge.builder(PREFIX + "clients.connected", connectedClients, AtomicLong::get)
                .description("Client connections currently open to the sidecar")
                .register(registry);
        clientsAccepted = Counter.builder(PREFIX + "clients.accepted")
                .description("Client connections accepted")
                .register(registry);
        clientsRejected = Counter.builder(PREFIX + "clients.rejected")
                .description("Client connections refused because the client limit was reached")
                .register(registry);
        protocolErrors = Counter.builder(PREFIX + "protocol.errors")
                .description("Client connections closed because of malformed RESP or a protocol limit")
                .register(registry);
        bytesReceived = Counter.builder(PREFIX + "network.received")
                .baseUnit("bytes")
                .description("Bytes read from client connections")
                .register(registry);
        bytesSent = Counter.builder(PREFIX + "network.sent")
                .baseUnit("bytes")
                .description("Bytes written to client connections")
                .register(registry);
        Gauge.builder(PREFIX + "upstream.connections.active", upstreamConnections, AtomicLong::get)
                .description("Connections currently open from the sidecar to Valkey")
                .register(registry);
        upstreamOpened = Counter.builder(PREFIX + "upstream.connections.opened")
                .description("Connections opened to Valkey")
                .register(registry);
        upstreamClosed = Counter.builder(PREFIX + "upstream.connections.closed")
                .description("Connections to Valkey that closed")
                .register(registry);
        upstreamConnectFailures = Counter.builder(PREFIX + "upstream.connect.failures")
                .description("Attempts to connect to Valkey that failed")
                .register(registry);

        registry.getPrometheusRegistry().register(commandStats);
        otherCommand = new CommandMeters(commandStats.index(OTHER_COMMAND, true));
        commandMeters = Collections.emptyMap();

        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            FunctionCounter.builder(PREFIX + "process.cpu", (com.sun.management.OperatingSystemMXBean) os,
                            bean -> bean.getProcessCpuTime() / 1e9)
                    .baseUnit("seconds")
                    .description("CPU time used by the sidecar's JVM process")
                    .register(registry);
        }
        new UptimeMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Sets the command names that get their own label value (typically every name of the command table plus the
     * sidecar's own commands). Replaces the previous allow-list; meters already created are kept.
     */
    public void knownCommands(Collection<String> names) {
        Map<String, CommandMeters> previous = commandMeters;
        // Keyed by the canonical upper-case names the proxy passes: one hash lookup, an identity match, per command.
        HashMap<String, CommandMeters> next = new HashMap<>();
        for (String name : names) {
            String key = CommandNames.canonical(name);
            CommandMeters existing = previous.get(key);
            next.put(key, existing != null ? existing
                    : new CommandMeters(commandStats.index(name.toLowerCase(Locale.ROOT), false)));
        }
        commandMeters = Collections.unmodifiableMap(next);
    }

    private CommandMeters lookup(String commandName) {
        Map<String, CommandMeters> meters = commandMeters;
        CommandMeters m = meters.get(commandName);
        return m != null ? m : meters.get(commandName.toUpperCase(Locale.ROOT));
    }

    /**
     * Records one command's completion: its reply was sent ({@code error} when that reply was an error). A name
     * outside the allow-list, or none ({@code null}), is recorded as {@value #OTHER_COMMAND}.
     */
    public void commandCompleted(String commandName, long latencyNanos, boolean error) {
        CommandMeters command = commandName == null ? null : lookup(commandName);
        if (command == null) {
            command = otherCommand;
        }
        commandStats.record(command.index, latencyNanos, error);
    }

    public void clientConnected() {
        connectedClients.incrementAndGet();
        clientsAccepted.increment();
    }

    public void clientDisconnected() {
        connectedClients.decrementAndGet();
    }

    public void clientRejected() {
        clientsRejected.increment();
    }

    public void protocolError() {
        protocolErrors.increment();
    }

    public void bytesReceived(long bytes) {
        bytesReceived.increment(bytes);
    }

    public void bytesSent(long bytes) {
        bytesSent.increment(bytes);
    }

    public void upstreamConnected() {
        upstreamConnections.incrementAndGet();
        upstreamOpened.increment();
    }

    public void upstreamDisconnected() {
        upstreamConnections.decrementAndGet();
        upstreamClosed.increment();
    }

    public void upstreamConnectFailed() {
        upstreamConnectFailures.increment();
    }

    /** Exports the breaker's state, failure rate and calls with resilience4j's tagged Micrometer meters. */
    public void bindCircuitBreaker(CircuitBreaker circuitBreaker) {
        circuitBreakers.add(circuitBreaker);
        new TaggedCircuitBreakerMetricsPublisher(registry).publishMetrics(circuitBreaker);
    }

    /** Exports the allocator's memory and the pending tasks of every event loop in the given groups. */
    public void bindNetty(ByteBufAllocatorMetricProvider allocator, EventLoopGroup... groups) {
        new NettyAllocatorMetrics(allocator).bindTo(registry);
        List<EventExecutor> executors = new ArrayList<>();
        for (EventLoopGroup group : groups) {
            for (EventExecutor executor : group) {
                executors.add(executor);
            }
        }
        new NettyEventExecutorMetrics(executors).bindTo(registry);
    }

    /** Stops the GC notification listener; the registry itself belongs to the caller. */
    @Override
    public void close() {
        gcMetrics.close();
    }

    /**
     * Prefixes every meter, gives Netty's allocator sizes their unit (bytes), and drops Micrometer's
     * {@code process.cpu.time}, which counts nanoseconds; {@code process.cpu} (seconds) replaces it.
     */
    private static final class PrometheusConventions implements MeterFilter {
        private static final String NETTY_MEMORY = "netty.allocator.memory.";
        private static final String NETTY_CHUNK_SIZE = "netty.allocator.pooled.chunk.size";

        @Override
        public Meter.Id map(Meter.Id id) {
            String name = id.getName();
            if (name.startsWith(PREFIX)) {
                return id;
            }
            Meter.Id prefixed = id.withName(PREFIX + name);
            if ((name.startsWith(NETTY_MEMORY) || name.equals(NETTY_CHUNK_SIZE)) && id.getBaseUnit() == null) {
                return prefixed.withBaseUnit("bytes");
            }
            return prefixed;
        }

        @Override
        public MeterFilterReply accept(Meter.Id id) {
            return id.getName().equals(PREFIX + "process.cpu.time") ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
        }
    }

    /** A command's index in {@link CommandStats}: a command that is never sent adds no series. */
    private record CommandMeters(int index) {
    }
}
