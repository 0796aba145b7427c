package io.valkeysidecar.keyspace;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Merging of {@code notify-keyspace-events} flag strings, so the sidecar adds what it needs without taking
 * away what the operator configured. In Valkey, "A" stands for "g$lshzxetd"; classes only count once "K"
 * (keyspace) or "E" (keyevent) is also set.
 */
final class NotifyFlags {

    private static final String ALL_CLASSES = "g$lshzxetd";

    private NotifyFlags() {
    }

    /** The union of {@code configured} and {@code required}, in a canonical form Valkey accepts. */
    static String merge(String configured, String required) {
        Set<Character> flags = new LinkedHashSet<>();
        expand(configured, flags);
        expand(required, flags);
        StringBuilder sb = new StringBuilder();
        for (char c : new char[] {'K', 'E'}) {
            if (flags.remove(c)) {
                sb.append(c);
            }
        }
        boolean all = true;
        for (char c : ALL_CLASSES.toCharArray()) {
            all &= flags.contains(c);
        }
        if (all) {
            for (char c : ALL_CLASSES.toCharArray()) {
                flags.remove(c);
            }
            sb.append('A');
        }
        flags.forEach(sb::append);
        return sb.toString();
    }

    /** True when {@code configured} already includes every flag of {@code required}. */
    static boolean covers(String configured, String required) {
        Set<Character> have = new LinkedHashSet<>();
        expand(configured, have);
        Set<Character> need = new LinkedHashSet<>();
        expand(required, need);
        return have.containsAll(need);
    }

    private static void expand(String flags, Set<Character> into) {
        for (char c : flags.toCharArray()) {
            if (c == 'A') {
                for (char a : ALL_CLASSES.toCharArray()) {
                    into.add(a);
                }
            } else {
                into.add(c);
            }
        }
    }
}
