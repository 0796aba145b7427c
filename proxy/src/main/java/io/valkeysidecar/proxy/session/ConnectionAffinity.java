package io.valkeysidecar.proxy.session;

import io.valkeysidecar.command.CommandSpec;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.resp.Command;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Which requests need the client's own upstream connection: those that read or change connection state
 * (user, db, protocol, name, transaction, subscriptions, tracking, reply mode), that block the connection, or
 * that wait on the connection's own writes. Every other request gives the same reply on any connection in the
 * default state, so it may travel on a {@link SharedUpstream}.
 */
final class ConnectionAffinity {

    /**
     * Connection-scoped commands by name; CLIENT covers ID, INFO, SETNAME, TRACKING, REPLY, NO-EVICT and the rest
     * (SETINFO aside).
     */
    private static final Set<String> CONNECTION_SCOPED = Set.of(
            "AUTH", "HELLO", "SELECT", "RESET", "QUIT", "CLIENT", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
            "MONITOR", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
            "READONLY", "READWRITE", "ASKING", "WAIT", "WAITAOF", "SYNC", "PSYNC", "REPLCONF", "DEBUG");
    /** Blocking commands of Valkey itself, for when the command table is not loaded yet. */
    private static final Set<String> BLOCKING = Set.of(
            "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "XREAD",
            "XREADGROUP");

    private final Supplier<CommandTable> table;
    /** Upper-case names the loaded table flags "blocking" (modules' commands too), with the table they came from. */
    private volatile Blocking blocking = new Blocking(CommandTable.empty(), BLOCKING);

    private record Blocking(CommandTable source, Set<String> names) {
    }

    ConnectionAffinity(Supplier<CommandTable> table) {
        this.table = table;
    }

    boolean needsOwnConnection(Command c) {
        String name = c.name();
        return (CONNECTION_SCOPED.contains(name) && !isSetInfo(c)) || blockingNames().contains(name);
    }

    /**
     * CLIENT SETINFO, which client libraries (Jedis, redis-py) send right after connecting: it only labels the
     * connection in CLIENT LIST/INFO (lib-name, lib-ver), so it may run on a shared one as long as the client's own
     * connection gets the labels Valkey accepted when the client moves there, the only place they can be seen from.
     */
    static boolean isSetInfo(Command c) {
        return c.argc() >= 2 && c.name().equals("CLIENT") && c.argIs(1, "SETINFO");
    }

    private Set<String> blockingNames() {
        CommandTable current = table.get();
        Blocking b = blocking;
        if (b.source() != current) {
            Set<String> names = current.names().stream()
                    .map(current::get)
                    .filter(CommandSpec::isBlocking)
                    .map(spec -> spec.name().toUpperCase(Locale.ROOT))
                    .collect(Collectors.toCollection(HashSet::new));
            names.addAll(BLOCKING);
            b = new Blocking(current, Set.copyOf(names));
            blocking = b;
        }
        return b.names();
    }
}
