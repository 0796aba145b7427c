package io.valkeysidecar.proxy.info;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.proxy.Version;
import io.valkeysidecar.proxy.session.SessionServices;
import io.valkeysidecar.proxy.upstream.CommandTableLoader;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/** The "# Sidecar" INFO section: who is answering, for how long, in front of what, for how many clients. */
public final class SidecarInfoSection implements InfoSection {

    private final long startedAtMillis;
    private final InetSocketAddress upstream;
    private final CircuitBreaker breaker;
    private final Supplier<SessionServices> services;
    private final CommandTableLoader commandTable;

    public SidecarInfoSection(long startedAtMillis, InetSocketAddress upstream, CircuitBreaker breaker,
                              Supplier<SessionServices> services, CommandTableLoader commandTable) {
        this.startedAtMillis = startedAtMillis;
        this.upstream = upstream;
        this.breaker = breaker;
        this.services = services;
        this.commandTable = commandTable;
    }

    @Override
    public String name() {
        return "sidecar";
    }

    @Override
    public Map<String, String> fields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("sidecar_version", Version.get());
        f.put("uptime_in_seconds", Long.toString((System.currentTimeMillis() - startedAtMillis) / 1000));
        f.put("upstream", upstream.getHostString() + ":" + upstream.getPort());
        f.put("upstream_circuit_state", breaker.getState().name().toLowerCase(Locale.ROOT));
        SessionServices s = services.get();
        f.put("connected_clients", Integer.toString(s == null ? 0 : s.connectedClients()));
        f.put("total_connections_received", Long.toString(s == null ? 0 : s.totalConnections()));
        f.put("command_table_size", Integer.toString(commandTable.table().size()));
        return f;
    }
}
