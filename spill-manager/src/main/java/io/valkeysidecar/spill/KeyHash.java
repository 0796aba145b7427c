package io.valkeysidecar.spill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;

/** 64-bit fingerprint of (database, key): the identity of a key in the membership index and the lock table. */
final class KeyHash {

    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    private KeyHash() {
    }

    static long fingerprint(int db, byte[] key) {
        return fingerprint(db, Unpooled.wrappedBuffer(key));
    }

    /**
     * The fingerprint of the readable bytes of {@code key}, read in place: the proxy hashes keys inside the
     * request's buffer without copying them out. Never 0: the index uses 0 as its empty-slot marker.
     */
    static long fingerprint(int db, ByteBuf key) {
        int length = key.readableBytes();
        int start = key.readerIndex();
        long h = (db + 1L) * M1 ^ length * M2;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            h = Long.rotateLeft(h ^ key.getLongLE(start + i) * M2, 31) * M1;
        }
        long tail = 0;
        for (int s = 0; i < length; i++, s += 8) {
            tail |= (key.getByte(start + i) & 0xffL) << s;
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
