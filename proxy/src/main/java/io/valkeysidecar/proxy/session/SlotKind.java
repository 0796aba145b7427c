package io.valkeysidecar.proxy.session;

/**
 * Commands whose replies change connection state the proxy mirrors (protocol, db, user, pub/sub, monitor),
 * or whose reply count differs from one.
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

    boolean isPubSub() {
        return confirmation != null;
    }
}
