package io.valkeysidecar.proxy.session;

import io.valkeysidecar.command.CommandSpec;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.CommandNames;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the proxy decides from a request's name alone, worked out once per name of the loaded command table: the
 * sidecar command answering it, whether it needs the client's own upstream connection, how its reply is tracked,
 * whether its reply may be amended. A request then costs one lookup by its (canonical) name instead of one per
 * decision, which took about 5% of the event loop per pipelined GET. Names the table does not know (typos,
 * commands of a module loaded later) are worked out per request, so the cache is only as large as the table.
 */
final class CommandProfiles {

    /**
     * The decisions for one upper-case command name, and its entry in the command table (null if none), which
     * interceptors get without a lookup of their own.
     */
    record Profile(SidecarCommand local, boolean connectionScoped, SlotKind kind, boolean amends, CommandSpec spec) {
    }

    private final CommandRouter router;
    private final Supplier<CommandTable> table;
    private volatile Snapshot snapshot = new Snapshot(null, Map.of());

    /** Profiles for every name of {@code source}; replaced as a whole, so lookups take no lock. */
    private record Snapshot(CommandTable source, Map<String, Profile> byName) {
    }

    CommandProfiles(CommandRouter router, Supplier<CommandTable> table) {
        this.router = router;
        this.table = table;
    }

    Profile of(Command c) {
        CommandTable current = table.get();
        Snapshot s = snapshot;
        if (s.source() != current) {
            s = snapshotOf(current);
            snapshot = s;
        }
        Profile p = s.byName().get(c.name());
        return p != null ? p : profile(c.name(), current);
    }

    private Snapshot snapshotOf(CommandTable current) {
        Map<String, Profile> byName = new HashMap<>();
        for (String name : current.names()) {
            String upper = CommandNames.canonical(name);
            byName.put(upper, profile(upper, current));
        }
        for (String name : router.localNames()) {
            String upper = CommandNames.canonical(name);
            byName.put(upper, profile(upper, current));
        }
        return new Snapshot(current, byName);
    }

    private Profile profile(String upperName, CommandTable current) {
        return new Profile(router.localCommand(upperName), ConnectionAffinity.connectionScoped(upperName, current),
                SlotKind.of(upperName), CommandRouter.amends(upperName), current.get(upperName));
    }
}
