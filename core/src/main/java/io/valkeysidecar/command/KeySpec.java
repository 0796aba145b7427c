package io.valkeysidecar.command;

import io.valkeysidecar.resp.Command;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * One key specification from Valkey's COMMAND output ("begin_search" + "find_keys"), evaluated the way
 * Valkey's getKeysUsingKeySpecs does.
 *
 * @param beginIndex     for an "index" search: the absolute argument position; 0 otherwise
 * @param keyword        for a "keyword" search: the keyword (null otherwise)
 * @param keywordStart   for a "keyword" search: where to start (negative = search backwards from the end)
 * @param rangeLastKey   for a "range" find: last key relative to the first (negative = from the end)
 * @param rangeLimit     for a "range" find with lastkey -1: take 1/limit of the remaining arguments
 * @param keyNumIndex    for a "keynum" find: where the key count is, relative to the begin position (-1 = not keynum)
 * @param keyNumFirstKey for a "keynum" find: first key relative to the begin position
 * @param keyStep        distance between keys
 */
public record KeySpec(Set<String> flags, int beginIndex, String keyword, int keywordStart,
                      int rangeLastKey, int rangeLimit, int keyNumIndex, int keyNumFirstKey, int keyStep,
                      boolean incomplete) {

    /** Adds the argument positions this spec designates in {@code cmd} to {@code out}. */
    void collect(Command cmd, IntConsumer out) {
        if (incomplete) {
            return;
        }
        int argc = cmd.argc();
        int first;
        if (keyword != null) {
            first = findKeyword(cmd);
            if (first < 0) {
                return;
            }
        } else {
            first = beginIndex;
        }
        if (first <= 0 || first >= argc) {
            return;
        }
        int last;
        int step = Math.max(1, keyStep);
        if (keyNumIndex >= 0) {
            int countPos = first + keyNumIndex;
            if (countPos >= argc) {
                return;
            }
            long numKeys;
            try {
                numKeys = Long.parseLong(cmd.argString(countPos));
            } catch (NumberFormatException e) {
                return;
            }
            if (numKeys < 0 || numKeys > argc) {
                return;
            }
            first += keyNumFirstKey;
            last = (int) (first + (numKeys - 1) * step);
        } else if (rangeLastKey >= 0) {
            last = first + rangeLastKey;
        } else if (rangeLimit == 0) {
            last = argc + rangeLastKey;
        } else {
            last = first + ((argc - first) / rangeLimit + rangeLastKey);
        }
        for (int i = first; i <= last && i < argc; i += step) {
            out.accept(i);
        }
    }

    private int findKeyword(Command cmd) {
        int argc = cmd.argc();
        if (keywordStart >= 0) {
            for (int i = keywordStart; i < argc; i++) {
                if (cmd.argIs(i, keyword)) {
                    return i + 1;
                }
            }
        } else {
            for (int i = argc + keywordStart; i > 0; i--) {
                if (cmd.argIs(i, keyword)) {
                    return i + 1;
                }
            }
        }
        return -1;
    }
}
