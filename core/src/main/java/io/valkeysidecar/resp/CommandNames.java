package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;

/**
 * Upper-case command names without allocating: a name that was seen before comes back as the same String
 * instance. Every request's name is looked up in several tables (sidecar commands, connection affinity, reply
 * kind, metrics, key specs); a canonical instance carries its hash code and makes {@code equals} an identity
 * check, where a fresh String per request cost two allocations and a hash computation per lookup.
 *
 * <p>Written by hand because it works on the request's bytes before any String exists (a map keyed by String
 * would need the String first). A fixed-size table where a colliding name replaces the entry: memory stays bounded
 * whatever names clients send, and a miss costs what the plain conversion did. Entries are immutable, so event
 * loops share the table without locks: a thread sees an entry fully built, or an older one.
 */
final class CommandNames {

    /** Longer names (Valkey's longest is 20 bytes) are converted without caching. */
    private static final int MAX_CACHED_LENGTH = 32;
    private static final int TABLE_SIZE = 1024;

    private static final Entry[] TABLE = new Entry[TABLE_SIZE];
    /** Per thread: the name being looked up, copied out of the request in one read. */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[MAX_CACHED_LENGTH];
        }
    };

    private record Entry(byte[] upper, String name) {
    }

    private CommandNames() {
    }

    /**
     * The ASCII upper-case form of {@code length} bytes of {@code buf} from {@code offset}. The bytes are copied out
     * once: reading them one at a time from a pooled slice cost a bounds and a liveness check per byte, twice.
     */
    static String upperCase(ByteBuf buf, int offset, int length) {
        if (length > MAX_CACHED_LENGTH) {
            return upperCase(ByteBufUtil.getBytes(buf, offset, length), length);
        }
        byte[] bytes = SCRATCH.get();
        buf.getBytes(offset, bytes, 0, length);
        return upperCase(bytes, length);
    }

    /** The ASCII upper-case form of the first {@code length} bytes of {@code bytes}. */
    static String upperCase(byte[] bytes, int length) {
        if (length > MAX_CACHED_LENGTH) {
            return convert(bytes, length);
        }
        int hash = 0;
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + upper(bytes[i]);
        }
        int index = (hash ^ (hash >>> 16)) & (TABLE_SIZE - 1);
        Entry e = TABLE[index];
        if (e != null && matches(e.upper, bytes, length)) {
            return e.name;
        }
        String name = convert(bytes, length);
        TABLE[index] = new Entry(name.getBytes(StandardCharsets.ISO_8859_1), name);
        return name;
    }

    private static boolean matches(byte[] upper, byte[] bytes, int length) {
        if (upper.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (upper[i] != upper(bytes[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * One char per byte, only ASCII letters upper-cased: the same for every byte sequence, so a name read back from
     * the table is exactly what converting would give (bytes outside ASCII never match a command anyway).
     */
    private static String convert(byte[] bytes, int length) {
        byte[] upper = new byte[length];
        for (int i = 0; i < length; i++) {
            upper[i] = upper(bytes[i]);
        }
        return new String(upper, StandardCharsets.ISO_8859_1);
    }

    private static byte upper(byte b) {
        return b >= 'a' && b <= 'z' ? (byte) (b - ('a' - 'A')) : b;
    }
}
