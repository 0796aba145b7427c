package io.valkeysidecar.spill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.valkeysidecar.resp.Command;
import java.util.List;

/** 64-bit fingerprint of (database, key): the identity of a key in the membership index and the lock table. */
final class KeyHash {

    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    private KeyHash() {
    }

    static long fingerprint(int db, byte[] key) {
        return fingerprint(db, Unpooled.wrappedBuffer(key), 0, key.length);
    }

    /**
     * The fingerprint of argument {@code arg} of {@code cmd}, read in place: the proxy hashes keys inside the
     * request's buffer without copying them out.
     */
    static long fingerprint(int db, Command cmd, int arg) {
        int at = cmd.argOffset(arg);
        return at < 0 ? fingerprint(db, cmd.argBytes(arg)) : fingerprint(db, cmd.raw(), at, cmd.argLength(arg));
    }

    /** The fingerprint of {@code length} bytes of {@code buf} from {@code start}. Never 0: the index's empty slot. */
    private static long fingerprint(int db, ByteBuf buf, int start, int length) {
        long h = (db + 1L) * M1 ^ length * M2;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            h = Long.rotateLeft(h ^ buf.getLongLE(start + i) * M2, 31) * M1;
        }
        long tail = 0;
        for (int s = 0; i < length; i++, s += 8) {
            tail |= (buf.getByte(start + i) & 0xffL) << s;
        }
        h = Long.rotateLeft(h ^ tail * M2, 27) * M1;
        h = fmix(h);
        return h == 0 ? 1 : h;
    }

    static long[] fingerprints(int db, List<byte[]> keys) {
        long[] fps = new long[keys.size()];
        for (int i = 0; i < fps.length; i++) {
            fps[i] = fingerprint(db, keys.get(i));
        }
        return fps;
    }

    /** MurmurHash3's finaliser: every input bit affects every output bit. */
    private static long fmix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
