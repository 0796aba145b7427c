package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderException;
import java.util.Arrays;

/**
 * Finds where one RESP2/RESP3 value ends without decoding it. Resumable: when the value is incomplete, the
 * scanner remembers how far it got (with an explicit stack of open aggregates, so nesting never touches the
 * Java stack) and continues from there when called again with more bytes at the same start.
 */
public final class RespScanner {

    /** Bytes of the current value already scanned, relative to its start. */
    private int scanned;
    /** Elements still expected at each open aggregate level. */
    private long[] remaining = new long[8];
    private int depth;

    /** The end index (exclusive) of the complete value starting at {@code from}, or -1 if it is incomplete. */
    public static int valueEnd(ByteBuf buf, int from) {
        int length = new RespScanner().scan(buf, from, false);
        return length < 0 ? -1 : from + length;
    }

    /**
     * Scans the value starting at {@code base}; returns its length once complete (and resets for the next
     * value), or -1 when more bytes are needed.
     *
     * @param reserve when the value is a large incomplete bulk, reserve its remaining bytes in {@code in} once
     *                instead of letting the buffer grow by doublings
     */
    public int scan(ByteBuf in, int base, boolean reserve) {
        while (true) {
            int pos = base + scanned;
            if (pos >= in.writerIndex()) {
                return -1;
            }
            byte type = in.getByte(pos);
            int eol = in.indexOf(pos + 1, in.writerIndex(), (byte) '\n');
            if (eol < 0) {
                return -1;
            }
            int lineEnd = eol - 1; // index of '\r'
            switch (type) {
                case '+', '-', ':', '_', ',', '#', '(' -> scanned = eol + 1 - base;
                case '$', '=', '!' -> {
                    long len = number(in, pos + 1, lineEnd);
                    if (len >= 0) {
                        long end = (long) eol + 1 + len + 2;
                        if (end - base > Integer.MAX_VALUE - 16) {
                            throw new DecoderException("reply frame too large: " + len + " bytes");
                        }
                        if (end > in.writerIndex()) {
                            if (reserve && in.readerIndex() == 0) {
                                // Only a buffer that starts with this frame grows in place: one with framed
                                // bytes in front would keep them, and the cumulator compacts it on the next read
                                // (after which this frame starts it). A fixed-capacity buffer is replaced there too.
                                in.ensureWritable((int) (end - in.writerIndex()), false);
                            }
                            return -1;
                        }
                        scanned = (int) (end - base);
                    } else {
                        scanned = eol + 1 - base;
                    }
                }
                case '*', '~', '>', '%', '|' -> {
                    long n = number(in, pos + 1, lineEnd);
                    scanned = eol + 1 - base;
                    if (type == '%') {
                        n *= 2;
                    } else if (type == '|') {
                        // An attribute is a map followed by the reply it annotates, all in one value.
                        n = n * 2 + 1;
                    }
                    if (n > 0) {
                        push(n);
                        continue;
                    }
                }
                default -> throw new DecoderException("unexpected RESP type byte 0x" + Integer.toHexString(type & 0xff));
            }
            if (elementDone()) {
                int length = scanned;
                scanned = 0;
                return length;
            }
        }
    }

    private void push(long n) {
        if (depth == remaining.length) {
            remaining = Arrays.copyOf(remaining, depth * 2);
        }
        remaining[depth++] = n;
    }

    /** Marks one element complete; true when that completed the whole value. */
    private boolean elementDone() {
        while (depth > 0) {
            if (--remaining[depth - 1] > 0) {
                return false;
            }
            depth--;
        }
        return true;
    }

    private static long number(ByteBuf in, int from, int to) {
        long v = RequestDecoder.parseLong(in, from, to);
        if (v == Long.MIN_VALUE) {
            throw new DecoderException("malformed length in reply from Valkey");
        }
        return v;
    }
}
