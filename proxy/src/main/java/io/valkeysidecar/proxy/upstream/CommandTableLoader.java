package io.valkeysidecar.proxy.upstream;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.valkeysidecar.command.CommandTable;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Valkey's COMMAND output into a {@link CommandTable}. When Valkey is not reachable at start, the
 * sidecar still starts (and reports not-ready); the table is loaded in the background as soon as it is.
 */
public final class CommandTableLoader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CommandTableLoader.class);

    private final RedisClient client;
    private final ScheduledExecutorService retries;
    private final Consumer<CommandTable> onLoaded;
    private volatile CommandTable table = CommandTable.empty();

    public CommandTableLoader(RedisURI upstream, ClientResources resources, Consumer<CommandTable> onLoaded) {
        this.onLoaded = onLoaded;
        this.client = RedisClient.create(resources, upstream);
        // RESP2 keeps COMMAND's nested maps as flat lists, the shape CommandTable parses.
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "command-table-loader");
            t.setDaemon(true);
            return t;
        });
    }

    public CommandTable table() {
        return table;
    }

    /** Loads now; on failure keeps retrying every second in the background. */
    public void loadOrRetry() {
        if (!tryLoad()) {
            retries.schedule(this::loadOrRetry, 1, TimeUnit.SECONDS);
        }
    }

    private boolean tryLoad() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            List<Object> reply = c.sync().command();
            table = CommandTable.parse(reply);
            onLoaded.accept(table);
            log.info("loaded {} commands from Valkey's COMMAND", table.size());
            return true;
        } catch (RuntimeException e) {
            log.warn("cannot load the command table from Valkey yet: {}", e.getMessage());
            return false;
        }
    }

    @Override
    public void close() {
        retries.shutdownNow();
        client.shutdown();
    }
}
