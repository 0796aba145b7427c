package io.valkeysidecar.proxy.upstream;

import io.valkeysidecar.valkey.Ping;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Pings Valkey every second from a thread of its own, so readiness follows Valkey even when no client traffic
 * would trip the circuit breaker. Any RESP answer counts as reachable (an AUTH-protected Valkey answers -NOAUTH).
 */
public final class UpstreamProbe implements AutoCloseable {

    private final InetSocketAddress address;
    private final ScheduledExecutorService timer;
    private volatile boolean reachable;

    public UpstreamProbe(InetSocketAddress address) {
        this.address = address;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "upstream-probe");
            t.setDaemon(true);
            return t;
        });
        probe();
        timer.scheduleWithFixedDelay(this::probe, 1, 1, TimeUnit.SECONDS);
    }

    private void probe() {
        reachable = Ping.reply(address, 1000) != null;
    }

    public boolean reachable() {
        return reachable;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
