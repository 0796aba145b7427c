package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Reading and replacing the text of a bulk ({@code $}) or verbatim ({@code =txt:}) reply, such as INFO's, which
 * RESP2 clients get as a bulk string and RESP3 clients as a verbatim string.
 */
public final class TextReply {

    private TextReply() {
    }

    /** The text of a bulk or verbatim reply; null for any other shape (errors, nulls, aggregates). */
    public static String text(ByteBuf reply) {
        int r = reply.readerIndex();
        byte type = reply.getByte(r);
        if (type != '$' && type != '=') {
            return null;
        }
        int eol = reply.indexOf(r, reply.writerIndex(), (byte) '\r');
        long len = RequestDecoder.parseLong(reply, r + 1, eol);
        if (len < 0) {
            return null;
        }
        int start = eol + 2;
        if (type == '=') {
            start += 4;
            len -= 4;
        }
        return reply.toString(start, (int) len, StandardCharsets.UTF_8);
    }

    /** A reply of the same kind as {@code original} (bulk or verbatim) carrying {@code text}; releases original. */
    public static ByteBuf replace(ByteBuf original, String text, int protocol, ByteBufAllocator alloc) {
        boolean verbatim = original.getByte(original.readerIndex()) == '=';
        original.release();
        Reply out = verbatim ? new Reply.Verbatim("txt", text) : Reply.bulk(text);
        return ReplyEncoder.encode(alloc, out, protocol);
    }
}
