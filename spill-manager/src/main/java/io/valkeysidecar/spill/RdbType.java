package io.valkeysidecar.spill;

/** The TYPE name of a DUMP payload, read from its first byte (the RDB object type, rdb.h of Valkey 8). */
public final class RdbType {

    private RdbType() {
    }

    /** "string", "list", "set", "zset", "hash", "stream", or "none" for a type this code does not know. */
    public static String typeName(byte[] payload) {
        if (payload.length == 0) {
            return "none";
        }
        switch (payload[0]) {
            case 0:
                return "string";
            case 1: case 10: case 14: case 18:
                return "list";
            case 2: case 11: case 20:
                return "set";
            case 3: case 5: case 12: case 17:
                return "zset";
            case 4: case 9: case 13: case 16:
                return "hash";
            case 15: case 19: case 21:
                return "stream";
            default:
                return "none";
        }
    }

    /** The RDB version in a DUMP payload's footer: two little-endian bytes before the 8-byte CRC64. */
    public static int rdbVersion(byte[] payload) {
        if (payload.length < 10) {
            throw new IllegalArgumentException("not a DUMP payload: " + payload.length + " bytes");
        }
        int at = payload.length - 10;
        return (payload[at] & 0xff) | (payload[at + 1] & 0xff) << 8;
    }
}
