package io.valkeysidecar.spill;

import com.ning.compress.lzf.ChunkDecoder;
import com.ning.compress.lzf.LZFException;
import com.ning.compress.lzf.util.ChunkDecoderFactory;
import java.nio.charset.StandardCharsets;

/**
 * The value of a string key read from its DUMP payload, so a GET of a spilled string can be answered without
 * bringing the key back into Valkey. Decodes exactly what Valkey 8's rdbSaveObject writes for a string (rdb.c):
 * the object type 0, then the string as a length-prefixed run of bytes, as an integer (8, 16 or 32 bits, little
 * endian) when it is one, or LZF-compressed. Hand-written because no library reads RDB's string encodings; the
 * LZF block itself is decoded by compress-lzf.
 */
final class DumpedString {

    private static final ChunkDecoder LZF = ChunkDecoderFactory.safeInstance();
    /** The RDB version (2 bytes) and CRC64 (8 bytes) that end every DUMP payload. */
    private static final int FOOTER = 10;
    private static final int ENC_INT8 = 0;
    private static final int ENC_INT16 = 1;
    private static final int ENC_INT32 = 2;
    private static final int ENC_LZF = 3;

    private DumpedString() {
    }

    /** The string's bytes, or null when the payload holds another type or is not a string as Valkey writes it. */
    static byte[] value(byte[] payload) {
        if (payload.length < 1 + FOOTER || payload[0] != 0) {
            return null;
        }
        Cursor c = new Cursor(payload, payload.length - FOOTER);
        try {
            byte[] value = c.string();
            return c.at == c.end ? value : null;
        } catch (IndexOutOfBoundsException | LZFException | NegativeArraySizeException e) {
            return null;
        }
    }

    private static final class Cursor {
        final byte[] in;
        final int end;
        int at = 1;
        /** Set by {@link #length()} when the next value is a special encoding rather than a length. */
        boolean encoded;

        Cursor(byte[] in, int end) {
            this.in = in;
            this.end = end;
        }

        private int next() {
            if (at >= end) {
                throw new IndexOutOfBoundsException();
            }
            return in[at++] & 0xff;
        }

        /** rdbLoadLen: 6-bit, 14-bit, 32-bit or 64-bit big-endian length, or a special encoding's number. */
        long length() {
            int b = next();
            encoded = false;
            switch (b >>> 6) {
                case 0:
                    return b & 0x3f;
                case 1:
                    return (b & 0x3f) << 8 | next();
                case 3:
                    encoded = true;
                    return b & 0x3f;
                default:
                    int bytes = b == 0x80 ? 4 : b == 0x81 ? 8 : -1;
                    if (bytes < 0) {
                        throw new IndexOutOfBoundsException();
                    }
                    long n = 0;
                    for (int i = 0; i < bytes; i++) {
                        n = n << 8 | next();
                    }
                    return n;
            }
        }

        byte[] string() throws LZFException {
            long n = length();
            if (!encoded) {
                return take(n);
            }
            switch ((int) n) {
                case ENC_INT8:
                    return integer((byte) next());
                case ENC_INT16:
                    return integer((short) (next() | next() << 8));
                case ENC_INT32:
                    return integer(next() | next() << 8 | next() << 16 | next() << 24);
                case ENC_LZF:
                    long compressed = length();
                    long size = length();
                    if (encoded || compressed > end - at || size > Integer.MAX_VALUE - 16) {
                        throw new IndexOutOfBoundsException();
                    }
                    byte[] out = new byte[(int) size];
                    LZF.decodeChunk(in, at, out, 0, out.length);
                    at += (int) compressed;
                    return out;
                default:
                    throw new IndexOutOfBoundsException();
            }
        }

        private byte[] take(long n) {
            if (n > end - at) {
                throw new IndexOutOfBoundsException();
            }
            byte[] out = new byte[(int) n];
            System.arraycopy(in, at, out, 0, out.length);
            at += out.length;
            return out;
        }

        private static byte[] integer(long v) {
            return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
        }
    }
}
