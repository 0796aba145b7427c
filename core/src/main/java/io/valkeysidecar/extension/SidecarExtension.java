package io.valkeysidecar.extension;

import java.util.List;

/**
 * A capability plugged into the proxy (graph commands, spill tier, ...), found with {@link java.util.ServiceLoader}.
 * Started once before the proxy accepts clients, closed on shutdown.
 */
public interface SidecarExtension extends AutoCloseable {

    /** Starts the extension and returns the commands it answers. */
    List<SidecarCommand> start(SidecarRuntime runtime) throws Exception;

    /** INFO sections the extension contributes; each appears in plain INFO and when asked for by name. */
    default List<InfoSection> infoSections() {
        return List.of();
    }

    /** Interceptors that see every forwarded command first (e.g. the spill tier restoring keys). */
    default List<CommandInterceptor> interceptors() {
        return List.of();
    }

    @Override
    void close();
}
