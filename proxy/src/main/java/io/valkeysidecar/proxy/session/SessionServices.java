package io.valkeysidecar.proxy.session;

import io.valkeysidecar.proxy.metrics.SidecarMetrics;
import io.valkeysidecar.proxy.upstream.UpstreamConnector;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What every {@link ClientSession} shares: routing, the upstream connector, metrics and server-wide limits. */
public final class SessionServices {

    private final CommandRouter router;
    private final UpstreamConnector upstream;
    private final SidecarMetrics metrics;
    private final int maxClients;
    private final int maxPendingReplies;
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicLong connectionIds = new AtomicLong();

    public SessionServices(CommandRouter router, UpstreamConnector upstream, SidecarMetrics metrics, int maxClients,
                           int maxPendingReplies) {
        this.router = router;
        this.upstream = upstream;
        this.metrics = metrics;
        this.maxClients = maxClients;
        this.maxPendingReplies = maxPendingReplies;
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
