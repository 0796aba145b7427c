package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One complete top-level reply from Valkey, kept as its original bytes so it can be relayed unchanged.
 * Only the little the proxy needs to route it is looked at: its type byte and, for aggregates, the
 * first element (to recognise pub/sub and push frames).
 */
public final class ReplyFrame extends AbstractReferenceCounted {

    private final ByteBuf raw;

    public ReplyFrame(ByteBuf raw) {
        this.raw = raw;
    }

    public ByteBuf raw() {
        return raw;
    }

    /** The RESP type byte: '+', '-', ':', '$', '*', '%', '~', '>', '_', ',', '#', '(', '=', '!', '|'. */
    public byte type() {
        return raw.getByte(raw.readerIndex());
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
        int r = raw.readerIndex();
        int eol = raw.indexOf(r, raw.writerIndex(), (byte) '\r');
        if (eol < 0 || eol + 2 >= raw.writerIndex()) {
            return null;
        }
        int p = eol + 2;
        byte et = raw.getByte(p);
        if (et == '+') {
            int end = raw.indexOf(p, raw.writerIndex(), (byte) '\r');
            return end < 0 || end - p > 16 ? null
                    : raw.toString(p + 1, end - p - 1, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        }
        if (et != '$') {
            return null;
        }
        int lenEnd = raw.indexOf(p, raw.writerIndex(), (byte) '\r');
        if (lenEnd < 0) {
            return null;
        }
        long len = RequestDecoder.parseLong(raw, p + 1, lenEnd);
        if (len < 0 || len > 16 || lenEnd + 2 + len > raw.writerIndex()) {
            return null;
        }
        return raw.toString(lenEnd + 2, (int) len, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
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
        int headerEnd = raw.indexOf(raw.readerIndex(), raw.writerIndex(), (byte) '\r');
        long n = RequestDecoder.parseLong(raw, raw.readerIndex() + 1, headerEnd);
        if (n <= 0) {
            return -1;
        }
        int p = headerEnd + 2;
        for (long i = 1; i < n; i++) {
            p = skipElement(p);
        }
        if (raw.getByte(p) != ':') {
            return -1;
        }
        long v = RequestDecoder.parseLong(raw, p + 1, raw.indexOf(p, raw.writerIndex(), (byte) '\r'));
        return v == Long.MIN_VALUE ? -1 : v;
    }

    /** The index just after the (possibly nested) element starting at {@code p}; iterative, not recursive. */
    private int skipElement(int p) {
        long pending = 1;
        while (pending > 0) {
            pending--;
            byte t = raw.getByte(p);
            int cr = raw.indexOf(p, raw.writerIndex(), (byte) '\r');
            long n = t == '+' || t == '-' || t == ':' || t == '_' || t == ',' || t == '#' || t == '('
                    ? 0 : RequestDecoder.parseLong(raw, p + 1, cr);
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
        int p = raw.indexOf(raw.readerIndex(), raw.writerIndex(), (byte) '\n') + 1;
        for (int i = 0; p > 0 && p < raw.writerIndex(); i++) {
            byte et = raw.getByte(p);
            int eol = raw.indexOf(p, raw.writerIndex(), (byte) '\r');
            if (eol < 0) {
                return null;
            }
            String value;
            int next;
            if (et == '$') {
                long len = RequestDecoder.parseLong(raw, p + 1, eol);
                if (len < 0) {
                    value = null;
                    next = eol + 2;
                } else {
                    value = raw.toString(eol + 2, (int) len, StandardCharsets.ISO_8859_1);
                    next = eol + 2 + (int) len + 2;
                }
            } else if (et == '+' || et == ':') {
                value = raw.toString(p + 1, eol - p - 1, StandardCharsets.ISO_8859_1);
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
        return (t == '$' || t == '*') && raw.readableBytes() == 5 && raw.getByte(raw.readerIndex() + 1) == '-';
    }

    /** The reply's full text when it is a simple string, e.g. "OK" for {@code +OK}; otherwise null. */
    public String simpleString() {
        if (type() != '+') {
            return null;
        }
        return raw.toString(raw.readerIndex() + 1, raw.readableBytes() - 3, StandardCharsets.UTF_8);
    }

    @Override
    protected void deallocate() {
        raw.release();
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        raw.touch(hint);
        return this;
    }
}
