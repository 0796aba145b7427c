package io.valkeysidecar.spill;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** 64-bit fingerprint of (database, key): the identity of a key in the membership index and the lock table. */
final class KeyHash {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    private KeyHash() {
    }

    /** Never 0: the index uses 0 as its empty-slot marker. */
    static long fingerprint(int db, byte[] key) {
        long h = (db + 1L) * M1 ^ key.length * M2;
        int i = 0;
        for (; i + 8 <= key.length; i += 8) {
            h = Long.rotateLeft(h ^ ((long) LONGS.get(key, i)) * M2, 31) * M1;
        }
        long tail = 0;
        for (int s = 0; i < key.length; i++, s += 8) {
            tail |= (key[i] & 0xffL) << s;
        }
        h = Long.rotateLeft(h ^ tail * M2, 27) * M1;
        h = fmix(h);
        return h == 0 ? 1 : h;
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
