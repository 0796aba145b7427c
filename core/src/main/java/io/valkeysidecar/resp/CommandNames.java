package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Upper-case command names without allocating. Every request's name is looked up in several tables (sidecar
 * commands, connection affinity, reply kind, metrics, key specs, the spill tier's switch); the names of the loaded
 * command table are {@link #canonical registered} as interned Strings, and a request of such a name gets that very
 * instance back: its hash code is cached and {@code equals}, against a table's key or a string literal alike, is an
 * identity check. Other names (typos, commands of a module loaded later) are converted per request.
 *
 * <p>Written by hand because it works on the request's bytes before any String exists (a map keyed by String would
 * need the String first). A name of up to 16 bytes is read as two little-endian words, upper-cased eight bytes at a
 * time, and found in an open-addressing table by those words: a request's name costs one or two loads and a probe
 * instead of a copy, a hash loop and a byte comparison. The table is rebuilt and republished whole when names are
 * registered (rarely: when a command table loads), so event loops read it without locks.
 */
public final class CommandNames {

    /** Names up to this length are registered and found by their words; longer ones are converted per request. */
    private static final int MAX_WORD_LENGTH = 16;
    private static final long HIGH_BITS = 0x8080808080808080L;

    /** Registered names by their two words; {@code words[2 * i]} and {@code words[2 * i + 1]} belong to names[i]. */
    private record Known(long[] words, String[] names, int count) {
        static final Known EMPTY = new Known(new long[2], new String[1], 0);
    }

    private static volatile Known known = Known.EMPTY;

    private CommandNames() {
    }

    /**
     * {@code name} upper-cased, interned and registered: from now on a request of that name (in any letter case)
     * answers this instance from {@link Command#name()}.
     */
    public static String canonical(String name) {
        String upper = interned(name);
        registerAll(List.of(upper));
        return upper;
    }

    /** Registers every name of {@code names} ({@link #canonical(String)}) in one rebuild of the table. */
    public static synchronized void registerAll(Collection<String> names) {
        Known k = known;
        Set<String> added = new LinkedHashSet<>();
        for (String name : names) {
            String upper = interned(name);
            if (upper.length() <= MAX_WORD_LENGTH && upperCase(k, upper) == null) {
                added.add(upper);
            }
        }
        if (!added.isEmpty()) {
            known = with(k, added);
        }
    }

    private static String interned(String name) {
        return convert(name.getBytes(StandardCharsets.ISO_8859_1), name.length()).intern();
    }

    /** The upper-case form of {@code length} bytes of {@code buf} from {@code offset}. */
    static String upperCase(ByteBuf buf, int offset, int length) {
        if (length <= MAX_WORD_LENGTH) {
            long w0;
            long w1 = 0;
            if (offset + MAX_WORD_LENGTH <= buf.writerIndex()) {
                // The common case: the name is followed by at least "\r\n" and the next argument.
                w0 = buf.getLongLE(offset);
                w1 = length > 8 ? buf.getLongLE(offset + 8) : 0;
            } else if (length <= 8 && offset + 8 <= buf.writerIndex()) {
                w0 = buf.getLongLE(offset);
            } else {
                byte[] bytes = new byte[length];
                buf.getBytes(offset, bytes);
                return upperCase(bytes, length);
            }
            String found = find(known, fold(w0, length), fold(w1, length - 8), length);
            if (found != null) {
                return found;
            }
        }
        byte[] bytes = new byte[length];
        buf.getBytes(offset, bytes);
        return convert(bytes, length);
    }

    /** The upper-case form of the first {@code length} bytes of {@code bytes}. */
    static String upperCase(byte[] bytes, int length) {
        if (length <= MAX_WORD_LENGTH) {
            String found = find(known, word(bytes, 0, length), word(bytes, 8, length), length);
            if (found != null) {
                return found;
            }
        }
        return convert(bytes, length);
    }

    /** The registered instance of an upper-case name of at most 16 bytes, or null. */
    private static String upperCase(Known k, String upper) {
        byte[] bytes = upper.getBytes(StandardCharsets.ISO_8859_1);
        return find(k, word(bytes, 0, bytes.length), word(bytes, 8, bytes.length), bytes.length);
    }

    /** Bytes {@code from} to {@code from + 8} of a name of {@code length} bytes as a folded little-endian word. */
    private static long word(byte[] bytes, int from, int length) {
        long w = 0;
        for (int i = Math.min(length, from + 8) - 1; i >= from; i--) {
            w = (w << 8) | (bytes[i] & 0xff);
        }
        return fold(w, length - from);
    }

    /**
     * The first {@code valid} bytes of a little-endian word with ASCII letters upper-cased, the rest zeroed. A byte
     * is a lower-case letter when its low seven bits are at least 'a' and at most 'z' and its high bit is clear;
     * adding to the low seven bits of each byte cannot carry into the next byte.
     */
    private static long fold(long w, int valid) {
        if (valid <= 0) {
            return 0;
        }
        if (valid < 8) {
            w &= (1L << (8 * valid)) - 1;
        }
        long low = w & ~HIGH_BITS;
        long atLeastA = low + 0x1f1f1f1f1f1f1f1fL;
        long aboveZ = low + 0x0505050505050505L;
        long lower = atLeastA & ~aboveZ & ~w & HIGH_BITS;
        return w ^ (lower >>> 2);
    }

    private static int slot(long w0, long w1, int mask) {
        long h = w0 * 0x9E3779B97F4A7C15L + w1 * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    private static String find(Known k, long w0, long w1, int length) {
        int mask = k.names.length - 1;
        for (int i = slot(w0, w1, mask); ; i = (i + 1) & mask) {
            String name = k.names[i];
            if (name == null) {
                return null;
            }
            if (k.words[2 * i] == w0 && k.words[2 * i + 1] == w1 && name.length() == length) {
                return name;
            }
        }
    }

    /** {@code k} with {@code added} names, in a table kept at most a quarter full. */
    private static Known with(Known k, Collection<String> added) {
        int count = k.count + added.size();
        int size = k.names.length;
        while (size < 4 * count) {
            size *= 2;
        }
        long[] words = new long[2 * size];
        String[] names = new String[size];
        Known grown = new Known(words, names, count);
        for (String name : k.names) {
            if (name != null) {
                put(grown, name);
            }
        }
        added.forEach(name -> put(grown, name));
        return grown;
    }

    private static void put(Known k, String upper) {
        byte[] bytes = upper.getBytes(StandardCharsets.ISO_8859_1);
        long w0 = word(bytes, 0, bytes.length);
        long w1 = word(bytes, 8, bytes.length);
        int mask = k.names.length - 1;
        int i = slot(w0, w1, mask);
        while (k.names[i] != null) {
            i = (i + 1) & mask;
        }
        k.words[2 * i] = w0;
        k.words[2 * i + 1] = w1;
        k.names[i] = upper;
    }

    /**
     * One char per byte, only ASCII letters upper-cased: the same for every byte sequence, so a registered name is
     * exactly what converting its bytes gives (bytes outside ASCII never match a command anyway).
     */
    private static String convert(byte[] bytes, int length) {
        byte[] upper = new byte[length];
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            upper[i] = b >= 'a' && b <= 'z' ? (byte) (b - ('a' - 'A')) : b;
        }
        return new String(upper, StandardCharsets.ISO_8859_1);
    }
}
