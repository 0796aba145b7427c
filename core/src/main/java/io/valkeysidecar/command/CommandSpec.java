package io.valkeysidecar.command;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One command (or sub-command, named "container|sub") as Valkey describes it in COMMAND.
 *
 * @param fixedKey the position of the command's only key when that is fixed (GET, SET, HGET, ...), else -1:
 *                 worked out once here, since {@link CommandTable#keyPositions} runs for every request
 */
public record CommandSpec(String name, int arity, Set<String> flags, Set<String> aclCategories,
                          List<KeySpec> keySpecs, Map<String, CommandSpec> subcommands, int fixedKey) {

    public CommandSpec(String name, int arity, Set<String> flags, Set<String> aclCategories, List<KeySpec> keySpecs,
                       Map<String, CommandSpec> subcommands) {
        this(name, arity, flags, aclCategories, keySpecs, subcommands, fixedKeyOf(name, keySpecs));
    }

    /** SORT is left out: its STORE destination is a key its specs do not name. */
    private static int fixedKeyOf(String name, List<KeySpec> keySpecs) {
        if (keySpecs.size() != 1 || keySpecs.get(0).isNotKey() || name.equals("sort")) {
            return -1;
        }
        return keySpecs.get(0).fixedKeyIndex();
    }

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
