package io.valkeysidecar.proxy.session;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Commands whose replies change connection state the proxy mirrors (protocol, db, user, pub/sub, monitor),
 * or whose reply count differs from one; each such kind is named after its command.
 */
enum SlotKind {
    PLAIN, LOCAL, HELLO, SELECT, AUTH, RESET, MONITOR, MULTI, EXEC, DISCARD,
    SUBSCRIBE("subscribe"), PSUBSCRIBE("psubscribe"), SSUBSCRIBE("ssubscribe"),
    UNSUBSCRIBE("unsubscribe"), PUNSUBSCRIBE("punsubscribe"), SUNSUBSCRIBE("sunsubscribe");

    /** For the pub/sub family: the kind string of Valkey's confirmation frames. */
    final String confirmation;

    SlotKind() {
        this(null);
    }

    SlotKind(String confirmation) {
        this.confirmation = confirmation;
    }

    /** Upper-case command name to its kind; every other command is PLAIN. */
    private static final Map<String, SlotKind> BY_COMMAND = Arrays.stream(values())
            .filter(k -> k != PLAIN && k != LOCAL)
            .collect(Collectors.toUnmodifiableMap(Enum::name, Function.identity()));

    static SlotKind of(String commandName) {
        return BY_COMMAND.getOrDefault(commandName, PLAIN);
    }

    boolean isPubSub() {
        return confirmation != null;
    }
}
