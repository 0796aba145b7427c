package io.valkeysidecar.proxy.session;

import io.valkeysidecar.command.CommandSpec;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.resp.Command;
import java.util.Set;

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

    private ConnectionAffinity() {
    }

    /**
     * Whether requests named {@code upperName} need the client's own connection (CLIENT SETINFO aside, see
     * {@link #isSetInfo}); blocking commands are those {@code table} flags, modules' commands included.
     */
    static boolean connectionScoped(String upperName, CommandTable table) {
        if (CONNECTION_SCOPED.contains(upperName) || BLOCKING.contains(upperName)) {
            return true;
        }
        CommandSpec spec = table.get(upperName);
        return spec != null && spec.isBlocking();
    }

    /**
     * CLIENT SETINFO, which client libraries (Jedis, redis-py) send right after connecting: it only labels the
     * connection in CLIENT LIST/INFO (lib-name, lib-ver), so it may run on a shared one as long as the client's own
     * connection gets the labels Valkey accepted when the client moves there, the only place they can be seen from.
     */
    static boolean isSetInfo(Command c) {
        return c.argc() >= 2 && c.name().equals("CLIENT") && c.argIs(1, "SETINFO");
    }
}
