package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.Arrays;
import java.util.List;

/**
 * Splits Valkey's reply stream into top-level {@link ReplyFrame}s without decoding them, for RESP2 and
 * every RESP3 type (map, set, push, attribute, double, boolean, big number, verbatim, blob error, null).
 *
 * <p>Hand-written because no library frames RESP3 while keeping the original bytes (Netty's codec-redis is
 * RESP2 only). The scan is resumable with an explicit stack, so a million-element reply arriving in many
 * reads costs one pass, and nesting depth never touches the Java stack.
 */
public final class ReplyFrameDecoder extends ByteToMessageDecoder {

    /** Bytes of the current frame already scanned, relative to the reader index. */
    private int scanned;
    /** Elements still expected at each open aggregate level. */
    private long[] remaining = new long[8];
    private int depth;
    /** Set once Valkey's stream made no sense: everything after is dropped (the connection must close). */
    private boolean broken;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            while (in.isReadable()) {
                if (!scan(in)) {
                    return;
                }
                out.add(new ReplyFrame(in.readRetainedSlice(scanned)));
                scanned = 0;
            }
        } catch (DecoderException e) {
            broken = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /** Advances over the current frame; true when it is complete (its length is then {@link #scanned}). */
    private boolean scan(ByteBuf in) {
        int base = in.readerIndex();
        while (true) {
            int pos = base + scanned;
            if (pos >= in.writerIndex()) {
                return false;
            }
            byte type = in.getByte(pos);
            int eol = in.indexOf(pos + 1, in.writerIndex(), (byte) '\n');
            if (eol < 0) {
                return false;
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
                            // Reserve the rest of a big value once; a fixed-capacity cumulation is replaced by
                            // Netty on the next read instead.
                            in.ensureWritable((int) (end - in.writerIndex()), false);
                            return false;
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
                        // An attribute is a map followed by the reply it annotates, all in one frame.
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
                return true;
            }
        }
    }

    private void push(long n) {
        if (depth == remaining.length) {
            remaining = Arrays.copyOf(remaining, depth * 2);
        }
        remaining[depth++] = n;
    }

    /** Marks one element complete; true when that completed the whole top-level frame. */
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
