package io.valkeysidecar.keyspace;

import java.nio.charset.StandardCharsets;

/**
 * One keyspace event from Valkey's {@code __keyevent@<db>__:<event>} channels.
 *
 * @param event Valkey's event name: "set", "del", "expired", "evicted", "hset", "rename_to", ...
 * @param key   the key, as raw bytes (keys are binary-safe)
 */
public record KeyspaceEvent(int db, String event, byte[] key) {

    /** Valkey dropped the key to stay under maxmemory. */
    public boolean isEviction() {
        return "evicted".equals(event);
    }

    /** Parses a keyevent channel name such as {@code __keyevent@3__:set}; null for other channels. */
    static KeyspaceEvent fromChannel(byte[] channel, byte[] key) {
        String c = new String(channel, StandardCharsets.US_ASCII);
        String prefix = "__keyevent@";
        int dbEnd = c.indexOf("__:", prefix.length());
        if (!c.startsWith(prefix) || dbEnd < 0) {
            return null;
        }
        try {
            int db = Integer.parseInt(c.substring(prefix.length(), dbEnd));
            return new KeyspaceEvent(db, c.substring(dbEnd + 3), key);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
