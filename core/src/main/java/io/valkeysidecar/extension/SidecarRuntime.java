package io.valkeysidecar.extension;

import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.valkeysidecar.command.CommandTable;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executor;

/** What the proxy gives each extension at start-up. */
public interface SidecarRuntime {

    /** Where Valkey is, with the sidecar's own credentials; extensions open their own Lettuce connections. */
    RedisURI upstream();

    /** Shared Lettuce resources (its own event loops, separate from the proxy's). */
    ClientResources clientResources();

    /** Valkey's command table as read at start-up. */
    CommandTable commandTable();

    /** Pool for CPU-heavy or blocking work that must stay off the proxy's event loops. */
    Executor workers();

    /** Where extensions register their metrics (exported by the proxy's Prometheus endpoint). */
    MeterRegistry meterRegistry();

    /**
     * Extension settings given on the command line (or their environment variables), e.g.
     * {@code spill.high-watermark}; extensions apply their own defaults for absent ones.
     */
    Map<String, String> settings();

    /** The sidecar's data directory; extensions keep their files in sub-directories of it. */
    Path dataDirectory();
}
