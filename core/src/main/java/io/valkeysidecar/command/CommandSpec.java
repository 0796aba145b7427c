package io.valkeysidecar.command;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** One command (or sub-command, named "container|sub") as Valkey describes it in COMMAND. */
public record CommandSpec(String name, int arity, Set<String> flags, Set<String> aclCategories,
                          List<KeySpec> keySpecs, Map<String, CommandSpec> subcommands) {

    public boolean hasFlag(String flag) {
        return flags.contains(flag);
    }

    /** True when the command may write (flag "write"): the spill tier must restore its keys first. */
    public boolean isWrite() {
        return flags.contains("write");
    }

    /**
     * True when the key specs cannot name every key the command may touch: a spec Valkey describes as
     * "unknown" (the keys SORT's BY/GET patterns read, and its STORE destination, which
     * {@link CommandTable#keyPositions} finds by Valkey's own rule) or flags INCOMPLETE (MIGRATE ... KEYS).
     */
    public boolean keysIncomplete() {
        for (KeySpec ks : keySpecs) {
            if (ks.incomplete() || ks.flags().contains("INCOMPLETE")) {
                return true;
            }
        }
        return false;
    }

    /** True when the command may block the connection (flag "blocking"). */
    public boolean isBlocking() {
        return flags.contains("blocking");
    }
}
