package io.valkeysidecar.spill;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SCAN cursors into the spill store. Valkey's own cursors stay far below 2^62 (they index its hash tables), so
 * cursors from 2^62 up are ours: {@code 2^62 + id * 16 + db}. An id maps to the last key returned; the map is
 * bounded (oldest forgotten first), and a forgotten cursor restarts its database's store walk, which SCAN's
 * contract allows (every key at least once, duplicates possible).
 */
final class ScanCursors {

    private static final BigInteger BASE = BigInteger.ONE.shiftLeft(62);
    private static final int MAX_OPEN = 100_000;

    /** Where a store walk continues: after {@code after} (null = from the start) in {@code db}. */
    record Position(int db, byte[] after) {
    }

    private final Map<Long, byte[]> positions = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
            return size() > MAX_OPEN;
        }
    };
    private long nextId = 1;

    /** A new cursor continuing after {@code after} in {@code db}. */
    synchronized String register(int db, byte[] after) {
        long id = nextId++;
        positions.put(id, after);
        return BASE.add(BigInteger.valueOf(id).shiftLeft(4)).add(BigInteger.valueOf(db)).toString();
    }

    /** The store position of one of our cursors, or null for a Valkey cursor (or garbage, left to Valkey). */
    synchronized Position lookup(String cursor, int clientDb) {
        BigInteger c;
        try {
            c = new BigInteger(cursor);
        } catch (NumberFormatException e) {
            return null;
        }
        if (c.compareTo(BASE) < 0 || c.bitLength() > 64) {
            return null;
        }
        BigInteger rel = c.subtract(BASE);
        int db = rel.intValue() & 15;
        long id = rel.shiftRight(4).longValue();
        if (!positions.containsKey(id)) {
            return new Position(clientDb, null);
        }
        return new Position(db, positions.get(id));
    }
}
