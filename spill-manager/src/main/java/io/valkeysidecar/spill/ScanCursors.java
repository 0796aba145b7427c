package io.valkeysidecar.spill;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SCAN cursors into the spill store, and the log of restores that keeps a SCAN complete while keys move.
 *
 * <p>Valkey's own cursors stay far below 2^62 (they index its hash tables), so cursors from 2^62 up are ours:
 * {@code 2^62 + id * 16 + db}. An id maps to the last key returned and the restore sequence number at which the
 * scan began; the map is bounded (oldest forgotten first), and a forgotten cursor restarts its database's store
 * walk, which SCAN's contract allows (every key at least once, duplicates possible).
 *
 * <p>A SCAN walks Valkey first, then the store. A key restored from disk while the walk is in Valkey (into a
 * part already walked) or in the store (ahead of the store walk) would be seen by neither walk, so every
 * restore is logged with a sequence number, and a store walk ends with the keys restored since its scan began.
 * The log holds the last {@value #LOG_SIZE} restores; a scan that outlives more restores than that may miss
 * keys restored early in it.
 */
final class ScanCursors {

    private static final BigInteger BASE = BigInteger.ONE.shiftLeft(62);
    private static final int MAX_OPEN = 100_000;
    static final int LOG_SIZE = 1 << 16;

    /** Where a store walk continues: after {@code after} (null = from the start) in {@code db}. */
    record Position(int db, byte[] after, long since) {
    }

    private record Restored(int db, byte[] key, String type) {
    }

    private final Map<Long, Position> positions = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Position> eldest) {
            return size() > MAX_OPEN;
        }
    };
    private long nextId = 1;
    private final Restored[] log = new Restored[LOG_SIZE];
    /** Restores logged so far; restore number n sits at {@code log[n % LOG_SIZE]}. */
    private long restores;

    /** A new cursor continuing after {@code after} in {@code db}, for a scan that began at restore {@code since}. */
    synchronized String register(int db, byte[] after, long since) {
        long id = nextId++;
        positions.put(id, new Position(db, after, since));
        return BASE.add(BigInteger.valueOf(id).shiftLeft(4)).add(BigInteger.valueOf(db)).toString();
    }

    /**
     * The store position of one of our cursors, or null for a Valkey cursor (or garbage, left to Valkey). A
     * forgotten cursor starts its database's walk again, with every logged restore.
     */
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
        long id = rel.shiftRight(4).longValue();
        Position p = positions.get(id);
        return p != null ? p : new Position(clientDb, null, Math.max(0, restores - LOG_SIZE));
    }

    /** The restore sequence number now: a scan beginning now must hear of restores from here on. */
    synchronized long now() {
        return restores;
    }

    synchronized void restored(int db, byte[] key, String type) {
        log[(int) (restores % LOG_SIZE)] = new Restored(db, key, type);
        restores++;
    }

    /** Whether keys of {@code db} were restored since restore {@code since}. */
    synchronized boolean restoredSince(long since, int db) {
        for (long n = Math.max(since, restores - LOG_SIZE); n < restores; n++) {
            if (log[(int) (n % LOG_SIZE)].db() == db) {
                return true;
            }
        }
        return false;
    }

    /** Keys of {@code db} restored since restore {@code since} that match {@code match} and {@code type}. */
    synchronized List<byte[]> restoredKeys(long since, int db, byte[] match, String type) {
        List<byte[]> keys = new ArrayList<>();
        for (long n = Math.max(since, restores - LOG_SIZE); n < restores; n++) {
            Restored r = log[(int) (n % LOG_SIZE)];
            if (r.db() == db && (match == null || Glob.matches(match, r.key()))
                    && (type == null || type.equalsIgnoreCase(r.type()))) {
                keys.add(r.key());
            }
        }
        return keys;
    }
}
