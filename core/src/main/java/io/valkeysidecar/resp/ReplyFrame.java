package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One complete top-level reply from Valkey, seen in place in the decoder's buffer so it can be relayed unchanged.
 * Only the little the proxy needs to route it is looked at: its type byte and, for aggregates, the first element
 * (to recognise pub/sub and push frames).
 *
 * <p>A view, valid only while {@link ReplyFrameDecoder.FrameHandler#onFrame} runs: the decoder reuses it for the
 * next frame and may discard the bytes after that. A handler that keeps the bytes takes {@link #retainedRaw()};
 * one that relays them at once copies them with {@link #copyTo}. No slice, reference count or object per frame:
 * on the proxy's reply path those cost more than reading the frame itself.
 */
public final class ReplyFrame {

    private ByteBuf buf;
    private int start;
    private int end;

    ReplyFrame() {
    }

    /** Points this view at {@code length} bytes of {@code buf} from {@code index}. */
    ReplyFrame reset(ByteBuf buf, int index, int length) {
        this.buf = buf;
        this.start = index;
        this.end = index + length;
        return this;
    }

    public int length() {
        return end - start;
    }

    /** The frame's byte at {@code offset} from its start. */
    public byte byteAt(int offset) {
        return buf.getByte(start + offset);
    }

    /** The frame's bytes as a retained slice, to keep beyond the callback (release it). */
    public ByteBuf retainedRaw() {
        return buf.retainedSlice(start, end - start);
    }

    /** Copies the frame's bytes to the end of {@code dst}. */
    public void copyTo(ByteBuf dst) {
        dst.writeBytes(buf, start, end - start);
    }

    /** The RESP type byte: '+', '-', ':', '$', '*', '%', '~', '>', '_', ',', '#', '(', '=', '!', '|'. */
    public byte type() {
        return buf.getByte(start);
    }

    public boolean isError() {
        byte t = type();
        return t == '-' || t == '!';
    }

    public boolean isPush() {
        return type() == '>';
    }

    /**
     * For an array or push whose first element is a short string: that string in lower case (e.g.
     * "message", "subscribe", "invalidate"); otherwise null.
     */
    public String kind() {
        byte t = type();
        if (t != '*' && t != '>') {
            return null;
        }
        int eol = buf.indexOf(start, end, (byte) '\r');
        if (eol < 0 || eol + 2 >= end) {
            return null;
        }
        int p = eol + 2;
        byte et = buf.getByte(p);
        if (et == '+') {
            int cr = buf.indexOf(p, end, (byte) '\r');
            return cr < 0 || cr - p > 16 ? null
                    : buf.toString(p + 1, cr - p - 1, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        }
        if (et != '$') {
            return null;
        }
        int lenEnd = buf.indexOf(p, end, (byte) '\r');
        if (lenEnd < 0) {
            return null;
        }
        long len = RequestDecoder.parseLong(buf, p + 1, lenEnd);
        if (len < 0 || len > 16 || lenEnd + 2 + len > end) {
            return null;
        }
        return buf.toString(lenEnd + 2, (int) len, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
    }

    /**
     * For an array or push whose last element is an integer, such as a pub/sub confirmation
     * ({@code [kind, name, count]}): that integer; -1 for any other frame.
     */
    public long trailingCount() {
        byte t = type();
        if (t != '*' && t != '>') {
            return -1;
        }
        int headerEnd = buf.indexOf(start, end, (byte) '\r');
        long n = RequestDecoder.parseLong(buf, start + 1, headerEnd);
        if (n <= 0) {
            return -1;
        }
        int p = headerEnd + 2;
        for (long i = 1; i < n; i++) {
            p = skipElement(p);
        }
        if (buf.getByte(p) != ':') {
            return -1;
        }
        long v = RequestDecoder.parseLong(buf, p + 1, buf.indexOf(p, end, (byte) '\r'));
        return v == Long.MIN_VALUE ? -1 : v;
    }

    /** The index just after the (possibly nested) element starting at {@code p}; iterative, not recursive. */
    private int skipElement(int p) {
        long pending = 1;
        while (pending > 0) {
            pending--;
            byte t = buf.getByte(p);
            int cr = buf.indexOf(p, end, (byte) '\r');
            long n = t == '+' || t == '-' || t == ':' || t == '_' || t == ',' || t == '#' || t == '('
                    ? 0 : RequestDecoder.parseLong(buf, p + 1, cr);
            p = cr + 2;
            switch (t) {
                case '$', '=', '!' -> p += n >= 0 ? (int) n + 2 : 0;
                case '*', '~', '>' -> pending += Math.max(0, n);
                case '%' -> pending += 2 * Math.max(0, n);
                case '|' -> pending += 2 * Math.max(0, n) + 1;
                default -> {
                }
            }
        }
        return p;
    }

    /**
     * Element {@code index} of a flat array or push whose leading elements are strings, nulls or integers
     * (e.g. the channel of a pub/sub confirmation {@code [kind, channel, count]}); null for a null element
     * or when the frame has another shape. Decoded as ISO-8859-1, one char per byte, so that distinct binary
     * names (not valid UTF-8) stay distinct: the proxy counts subscriptions by these names.
     */
    public String elementString(int index) {
        byte t = type();
        if (t != '*' && t != '>') {
            return null;
        }
        int p = buf.indexOf(start, end, (byte) '\n') + 1;
        for (int i = 0; p > 0 && p < end; i++) {
            byte et = buf.getByte(p);
            int eol = buf.indexOf(p, end, (byte) '\r');
            if (eol < 0) {
                return null;
            }
            String value;
            int next;
            if (et == '$') {
                long len = RequestDecoder.parseLong(buf, p + 1, eol);
                if (len < 0) {
                    value = null;
                    next = eol + 2;
                } else {
                    value = buf.toString(eol + 2, (int) len, StandardCharsets.ISO_8859_1);
                    next = eol + 2 + (int) len + 2;
                }
            } else if (et == '+' || et == ':') {
                value = buf.toString(p + 1, eol - p - 1, StandardCharsets.ISO_8859_1);
                next = eol + 2;
            } else if (et == '_') {
                value = null;
                next = eol + 2;
            } else {
                return null;
            }
            if (i == index) {
                return value;
            }
            p = next;
        }
        return null;
    }

    /** True for a null reply: RESP2 null bulk or null array, RESP3 null. */
    public boolean isNull() {
        byte t = type();
        if (t == '_') {
            return true;
        }
        return (t == '$' || t == '*') && length() == 5 && buf.getByte(start + 1) == '-';
    }

    /** The reply's full text when it is a simple string, e.g. "OK" for {@code +OK}; otherwise null. */
    public String simpleString() {
        if (type() != '+') {
            return null;
        }
        return buf.toString(start + 1, length() - 3, StandardCharsets.UTF_8);
    }
}
