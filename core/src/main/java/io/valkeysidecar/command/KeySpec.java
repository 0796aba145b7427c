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

    /** True for a spec whose "keys" are not keys (e.g. the shard channel of SPUBLISH, flag NOT_KEY). */
    public boolean isNotKey() {
        return flags.contains("NOT_KEY");
    }

    /**
     * The position of the one key a spec designates at a fixed index (GET, SET, HGET, ... : "index" search, "range"
     * find with lastkey 0), or -1 for every other kind of spec.
     */
    int fixedKeyIndex() {
        return !incomplete && keyword == null && keyNumIndex < 0 && rangeLastKey == 0 && beginIndex > 0
                ? beginIndex : -1;
    }

    /**
     * Adds the argument positions this spec designates in {@code cmd} to {@code out}. Returns false where
     * Valkey's getKeysUsingKeySpecs finds the spec unusable for this command (a key count that is not a
     * number, keys beyond the arguments): Valkey then rejects the command, which therefore touches no key.
     * A spec whose search Valkey leaves unknown ({@link #incomplete}) yields nothing and counts as usable.
     */
    boolean collect(Command cmd, IntConsumer out) {
        if (incomplete) {
            return true;
        }
        int argc = cmd.argc();
        int first;
        if (keyword != null) {
            first = findKeyword(cmd);
            if (first < 0) {
                return true;
            }
        } else {
            first = beginIndex;
        }
        int last;
        int step = Math.max(1, keyStep);
        if (keyNumIndex >= 0) {
            int countPos = first + keyNumIndex;
            if (countPos <= 0 || countPos >= argc) {
                return false;
            }
            long numKeys = parseCount(cmd.argString(countPos));
            if (numKeys < 0 || numKeys > argc) {
                return false;
            }
            first += keyNumFirstKey;
            last = (int) (first + numKeys - 1);
        } else if (rangeLastKey >= 0) {
            last = first + rangeLastKey;
        } else if (rangeLimit == 0) {
            last = argc + rangeLastKey;
        } else {
            last = first + ((argc - first) / rangeLimit + rangeLastKey);
        }
        if (last >= argc || last < first || first >= argc || first <= 0) {
            // Valkey's "first or last is out of bounds, which indicates a syntax error" (a key count of 0 too).
            return false;
        }
        for (int i = first; i <= last; i += step) {
            out.accept(i);
        }
        return true;
    }

    /** Valkey's string2ll for a key count: digits only, no sign but '-', no leading zero; -1 when invalid. */
    private static long parseCount(String s) {
        if (s.isEmpty() || s.length() > 20 || (s.length() > 1 && (s.charAt(0) == '0' || s.startsWith("-0")))
                || s.charAt(0) == '+') {
            return -1;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private int findKeyword(Command cmd) {
        int argc = cmd.argc();
        if (keywordStart > 0) {
            for (int i = keywordStart; i < argc - 1; i++) {
                if (cmd.argIs(i, keyword)) {
                    return i + 1;
                }
            }
        } else {
            for (int i = argc + keywordStart; i > 1 && i < argc; i--) {
                if (cmd.argIs(i, keyword)) {
                    return i + 1;
                }
            }
        }
        return -1;
    }
}
