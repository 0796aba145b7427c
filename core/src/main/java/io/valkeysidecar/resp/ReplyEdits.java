package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/** Small edits of raw replies that reply amendments share; each returns null when the reply has another shape. */
public final class ReplyEdits {

    private ReplyEdits() {
    }

    /** {@code :n} becomes {@code :n+delta}; releases {@code reply} on success. */
    public static ByteBuf addToInteger(ByteBuf reply, long delta, int protocol, ByteBufAllocator alloc) {
        if (reply.getByte(reply.readerIndex()) != ':') {
            return null;
        }
        long n = RequestDecoder.parseLong(reply, reply.readerIndex() + 1, reply.writerIndex() - 2);
        if (n == Long.MIN_VALUE) {
            return null;
        }
        reply.release();
        return ReplyEncoder.encode(alloc, Reply.integer(n + delta), protocol);
    }

    /**
     * The elements of a flat array of bulk strings starting at {@code from} (e.g. KEYS' reply, or SCAN's key list);
     * null when the value there is not such an array. {@code end[0]} receives the index just past it.
     */
    public static List<byte[]> bulkStrings(ByteBuf buf, int from, int[] end) {
        if (buf.getByte(from) != '*') {
            return null;
        }
        int eol = buf.indexOf(from, buf.writerIndex(), (byte) '\r');
        long n = RequestDecoder.parseLong(buf, from + 1, eol);
        if (n < 0) {
            return null;
        }
        List<byte[]> items = new ArrayList<>((int) Math.min(n, 1 << 16));
        int p = eol + 2;
        for (long i = 0; i < n; i++) {
            if (buf.getByte(p) != '$') {
                return null;
            }
            int lenEnd = buf.indexOf(p, buf.writerIndex(), (byte) '\r');
            int len = (int) RequestDecoder.parseLong(buf, p + 1, lenEnd);
            byte[] item = new byte[len];
            buf.getBytes(lenEnd + 2, item);
            items.add(item);
            p = lenEnd + 2 + len + 2;
        }
        end[0] = p;
        return items;
    }
}
