package io.valkeysidecar.proxy;

import io.valkeysidecar.resp.RespLimits;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything {@link SidecarServer} needs to start; built by the CLI from options and environment variables.
 *
 * @param upstream         Valkey to front; null = start and supervise a local valkey-server
 * @param metricsPort      Prometheus/health HTTP port; 0 = off
 * @param maxPendingReplies per client: requests in flight before the sidecar stops reading that client
 * @param shareUpstream    clients in the default connection state share an upstream connection per event loop
 * @param extensionSettings settings handed to extensions as {@link io.valkeysidecar.extension.SidecarRuntime#settings()}
 */
public record SidecarConfig(String bind, int port, InetSocketAddress upstream, String upstreamUser,
                            String upstreamPassword, Path dataDir, int metricsPort, int maxClients,
                            RespLimits limits, int maxPendingReplies, int ioThreads, boolean shareUpstream,
                            Duration connectTimeout,
                            String valkeyBinary, Map<String, String> extensionSettings) {
}
