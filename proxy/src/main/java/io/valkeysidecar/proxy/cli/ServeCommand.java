package io.valkeysidecar.proxy.cli;

import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code valkey-sidecar serve}: runs the proxy until SIGINT/SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = SidecarCli.VersionProvider.class,
        description = {"Serve RESP clients in front of Valkey.",
                "Without --upstream, starts and supervises a local valkey-server (from PATH) with its data under --data-dir.",
                "Every option can be set by an environment variable: --metrics-port -> VALKEY_SIDECAR_METRICS_PORT."})
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--port", defaultValue = "6380", description = "RESP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--upstream", paramLabel = "host:port",
            description = "Valkey to front. Default: start a local valkey-server.")
    String upstream;

    @Option(names = "--upstream-user", description = "ACL user the sidecar's own connections authenticate as.")
    String upstreamUser;

    @Option(names = "--upstream-password", description = "Password for the sidecar's own connections.")
    String upstreamPassword;

    @Option(names = "--data-dir", defaultValue = "./data", description = "Data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--metrics-port", defaultValue = "9464",
            description = "Prometheus /metrics, /health and /ready port; 0 turns it off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--max-clients", defaultValue = "10000", description = "Maximum client connections (default: ${DEFAULT-VALUE}).")
    int maxClients;

    @Option(names = "--max-bulk-length", defaultValue = "536870912",
            description = "Largest bulk string a client may send, in bytes (default: ${DEFAULT-VALUE}).")
    long maxBulkLength;

    @Option(names = "--max-array-length", defaultValue = "2147483647",
            description = "Most arguments in one request (default: ${DEFAULT-VALUE}).")
    int maxArrayLength;

    @Option(names = "--max-inline-length", defaultValue = "65536",
            description = "Longest inline (telnet-style) request, in bytes (default: ${DEFAULT-VALUE}).")
    int maxInlineLength;

    @Option(names = "--max-pending-replies", defaultValue = "100000",
            description = "Requests in flight per client before the sidecar stops reading it (default: ${DEFAULT-VALUE}).")
    int maxPendingReplies;

    @Option(names = "--io-threads", defaultValue = "1",
            description = "Event-loop threads serving clients (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--share-upstream", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Clients in Valkey's default connection state share one upstream connection per event loop "
                    + "until their first connection-scoped command; --no-share-upstream gives every client its own "
                    + "(default: ${DEFAULT-VALUE}).")
    boolean shareUpstream;

    @Option(names = "--connect-timeout-ms", defaultValue = "2000",
            description = "Timeout for connecting to Valkey (default: ${DEFAULT-VALUE}).")
    int connectTimeoutMs;

    @Option(names = "--valkey-binary", defaultValue = "valkey-server",
            description = "valkey-server to start when no --upstream is given (default: ${DEFAULT-VALUE}).")
    String valkeyBinary;

    @Option(names = "--spill", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the spill tier (cold keys to RocksDB under --data-dir/spill); --no-spill turns it off "
                    + "(default: ${DEFAULT-VALUE}).")
    boolean spill;

    @Option(names = "--spill-high-watermark", defaultValue = "0.85",
            description = "Spill cold keys when Valkey's used memory passes this share of its maxmemory (or of "
                    + "--spill-memory-budget) (default: ${DEFAULT-VALUE}).")
    double spillHighWatermark;

    @Option(names = "--spill-low-watermark", defaultValue = "0.70",
            description = "...until used memory is back under this share (default: ${DEFAULT-VALUE}).")
    double spillLowWatermark;

    @Option(names = "--spill-memory-budget", defaultValue = "0",
            description = "Memory budget in bytes the watermarks refer to; 0 = Valkey's maxmemory (default: ${DEFAULT-VALUE}).")
    long spillMemoryBudget;

    @Option(names = "--spill-disk-budget", defaultValue = "0",
            description = "Stop spilling once the spill store holds this many bytes; 0 = unlimited (default: ${DEFAULT-VALUE}).")
    long spillDiskBudget;

    @Option(names = "--spill-max-key-bytes", defaultValue = "8388608",
            description = "Keys larger than this stay in Valkey (DUMP/RESTORE of big keys block it) (default: ${DEFAULT-VALUE}).")
    long spillMaxKeyBytes;

    @Override
    public Integer call() throws Exception {
        SidecarConfig config = toConfig();
        SidecarServer server = SidecarServer.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "shutdown"));
        server.awaitTermination();
        return 0;
    }

    SidecarConfig toConfig() {
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port must be between 0 and 65535");
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--metrics-port must be between 0 and 65535");
        }
        if (maxClients < 1 || ioThreads < 1 || maxPendingReplies < 1 || connectTimeoutMs < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--max-clients, --io-threads, --max-pending-replies and --connect-timeout-ms must be positive");
        }
        RespLimits limits;
        try {
            limits = new RespLimits(maxBulkLength, maxArrayLength, maxInlineLength);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!(0 < spillLowWatermark && spillLowWatermark < spillHighWatermark && spillHighWatermark <= 1)
                || spillMemoryBudget < 0 || spillDiskBudget < 0 || spillMaxKeyBytes < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "spill settings need 0 < --spill-low-watermark"
                    + " < --spill-high-watermark <= 1, non-negative budgets and a positive --spill-max-key-bytes");
        }
        Map<String, String> settings = Map.of(
                "spill.enabled", Boolean.toString(spill),
                "spill.high-watermark", Double.toString(spillHighWatermark),
                "spill.low-watermark", Double.toString(spillLowWatermark),
                "spill.memory-budget-bytes", Long.toString(spillMemoryBudget),
                "spill.disk-budget-bytes", Long.toString(spillDiskBudget),
                "spill.max-key-bytes", Long.toString(spillMaxKeyBytes));
        return new SidecarConfig(bind, port, parseUpstream(), upstreamUser, upstreamPassword, dataDir, metricsPort,
                maxClients, limits, maxPendingReplies, ioThreads, shareUpstream, Duration.ofMillis(connectTimeoutMs),
                valkeyBinary, settings);
    }

    private InetSocketAddress parseUpstream() {
        if (upstream == null || upstream.isBlank()) {
            return null;
        }
        int colon = upstream.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            int p = Integer.parseInt(upstream.substring(colon + 1));
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return InetSocketAddress.createUnresolved(upstream.substring(0, colon), p);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--upstream must be host:port, got '" + upstream + "'");
        }
    }
}
