package io.valkeysidecar.proxy.session;

import io.valkeysidecar.extension.ReplyAmendment;

/** Chaining of optional per-command hooks; null means "none", so the common case allocates nothing. */
final class Hooks {

    private Hooks() {
    }

    static ReplyAmendment then(ReplyAmendment first, ReplyAmendment second) {
        if (first == null) {
            return second;
        }
        if (second == null) {
            return first;
        }
        return (reply, protocol, alloc) -> second.amend(first.amend(reply, protocol, alloc), protocol, alloc);
    }

    static Runnable then(Runnable first, Runnable second) {
        if (first == null) {
            return second;
        }
        if (second == null) {
            return first;
        }
        return () -> {
            try {
                first.run();
            } finally {
                second.run();
            }
        };
    }
}
