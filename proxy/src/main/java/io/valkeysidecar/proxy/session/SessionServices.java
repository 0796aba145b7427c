package io.valkeysidecar.proxy.session;

import io.netty.channel.EventLoop;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.proxy.metrics.SidecarMetrics;
import io.valkeysidecar.proxy.upstream.UpstreamConnector;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What every {@link ClientSession} shares: routing, the upstream connector, the shared upstream connection of
 * each event loop, metrics and server-wide limits.
 */
public final class SessionServices {

    private final CommandRouter router;
    private final UpstreamConnector upstream;
    private final SidecarMetrics metrics;
    private final int maxClients;
    private final int maxPendingReplies;
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicLong connectionIds = new AtomicLong();
    private final CommandProfiles profiles;
    /** Null when every client gets its own upstream connection from the start. */
    private final Map<EventLoop, SharedUpstream> shared;

    /**
     * @param shareUpstream whether clients in the default connection state share one upstream connection per
     *                      event loop until their first connection-scoped request
     */
    public SessionServices(CommandRouter router, UpstreamConnector upstream, SidecarMetrics metrics, int maxClients,
                           int maxPendingReplies, boolean shareUpstream, Supplier<CommandTable> commandTable) {
        this.router = router;
        this.upstream = upstream;
        this.metrics = metrics;
        this.maxClients = maxClients;
        this.maxPendingReplies = maxPendingReplies;
        this.profiles = new CommandProfiles(router, commandTable);
        this.shared = shareUpstream ? new ConcurrentHashMap<>() : null;
    }

    CommandRouter router() {
        return router;
    }

    UpstreamConnector upstream() {
        return upstream;
    }

    SidecarMetrics metrics() {
        return metrics;
    }

    int maxPendingReplies() {
        return maxPendingReplies;
    }

    CommandProfiles profiles() {
        return profiles;
    }

    /** The shared upstream connection of {@code loop}, or null when sharing is off. */
    SharedUpstream sharedUpstream(EventLoop loop) {
        return shared == null ? null : shared.computeIfAbsent(loop, l -> new SharedUpstream(l, this));
    }

    long nextConnectionId() {
        return connectionIds.incrementAndGet();
    }

    /** Counts a new client in, unless the limit is reached. */
    boolean admitClient() {
        while (true) {
            int n = clients.get();
            if (n >= maxClients) {
                return false;
            }
            if (clients.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void releaseClient() {
        clients.decrementAndGet();
    }

    public int connectedClients() {
        return clients.get();
    }

    public long totalConnections() {
        return connectionIds.get();
    }
}
