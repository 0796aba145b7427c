package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Writes {@link Reply} values as RESP2 or RESP3 bytes. Stateless. */
public final class ReplyEncoder {

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] RESP3_NULL = "_\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESP2_NULL_BULK = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESP2_NULL_ARRAY = "*-1\r\n".getBytes(StandardCharsets.US_ASCII);

    private ReplyEncoder() {
    }

    public static ByteBuf encode(ByteBufAllocator alloc, Reply reply, int protocol) {
        ByteBuf out = alloc.buffer();
        try {
            encode(reply, protocol, out);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    public static void encode(Reply reply, int protocol, ByteBuf out) {
        boolean resp3 = protocol >= 3;
        if (reply instanceof Reply.SimpleString s) {
            line(out, '+', s.value());
        } else if (reply instanceof Reply.Error e) {
            line(out, '-', e.message());
        } else if (reply instanceof Reply.Integer i) {
            line(out, ':', Long.toString(i.value()));
        } else if (reply instanceof Reply.Bulk b) {
            bulk(out, b.value());
        } else if (reply instanceof Reply.Null) {
            out.writeBytes(resp3 ? RESP3_NULL : RESP2_NULL_BULK);
        } else if (reply instanceof Reply.NullArray) {
            out.writeBytes(resp3 ? RESP3_NULL : RESP2_NULL_ARRAY);
        } else if (reply instanceof Reply.Array a) {
            aggregate(out, '*', a.items(), protocol);
        } else if (reply instanceof Reply.SetReply s) {
            aggregate(out, resp3 ? '~' : '*', s.items(), protocol);
        } else if (reply instanceof Reply.Push p) {
            aggregate(out, resp3 ? '>' : '*', p.items(), protocol);
        } else if (reply instanceof Reply.MapReply m) {
            map(out, m.entries(), protocol);
        } else if (reply instanceof Reply.Double d) {
            String text = formatDouble(d.value());
            if (resp3) {
                line(out, ',', text);
            } else {
                bulk(out, text.getBytes(StandardCharsets.US_ASCII));
            }
        } else if (reply instanceof Reply.Boolean b) {
            if (resp3) {
                line(out, '#', b.value() ? "t" : "f");
            } else {
                line(out, ':', b.value() ? "1" : "0");
            }
        } else if (reply instanceof Reply.BigNumber n) {
            if (resp3) {
                line(out, '(', n.value().toString());
            } else {
                bulk(out, n.value().toString().getBytes(StandardCharsets.US_ASCII));
            }
        } else if (reply instanceof Reply.Verbatim v) {
            if (resp3) {
                byte[] payload = (v.format() + ":" + v.text()).getBytes(StandardCharsets.UTF_8);
                line(out, '=', Integer.toString(payload.length));
                out.writeBytes(payload).writeBytes(CRLF);
            } else {
                bulk(out, v.text().getBytes(StandardCharsets.UTF_8));
            }
        } else {
            throw new IllegalArgumentException("unknown reply type " + reply.getClass());
        }
    }

    /**
     * Valkey's double formatting (d2string): "nan", "inf", "-inf", "-0"; integral values within +-2^62 as
     * integers; others as the shortest digits that read back as the same double, laid out like Valkey's
     * fpconv_dtoa (plain for moderate exponents, else {@code d.ddde+N}). Valkey's Grisu2 digits are not always
     * the shortest (1.23e22 comes out as 12300000000000001000000); those rare values differ in their digits.
     */
    public static String formatDouble(double d) {
        if (java.lang.Double.isNaN(d)) {
            return "nan";
        }
        if (java.lang.Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0" : "0";
        }
        if (Math.abs(d) <= 0x1p62 && d == Math.rint(d)) {
            return Long.toString((long) d);
        }
        BigDecimal shortest = null;
        BigDecimal exact = new BigDecimal(d);
        for (int precision = 1; precision <= 17 && shortest == null; precision++) {
            BigDecimal candidate = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == d) {
                shortest = candidate.stripTrailingZeros();
            }
        }
        String digits = shortest.unscaledValue().abs().toString();
        int k = -shortest.scale();
        int n = digits.length();
        int exp = Math.abs(k + n - 1);
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (k >= 0 && exp < n + 7) {
            sb.append(digits).append("0".repeat(k));
        } else if (k < 0 && (k > -7 || exp < 4)) {
            int offset = n + k;
            if (offset <= 0) {
                sb.append("0.").append("0".repeat(-offset)).append(digits);
            } else {
                sb.append(digits, 0, offset).append('.').append(digits, offset, n);
            }
        } else {
            sb.append(digits.charAt(0));
            if (n > 1) {
                sb.append('.').append(digits, 1, n);
            }
            sb.append('e').append(k + n - 1 < 0 ? '-' : '+').append(exp);
        }
        return sb.toString();
    }

    private static void aggregate(ByteBuf out, char type, List<Reply> items, int protocol) {
        line(out, type, Integer.toString(items.size()));
        for (Reply item : items) {
            encode(item, protocol, out);
        }
    }

    private static void map(ByteBuf out, List<Map.Entry<Reply, Reply>> entries, int protocol) {
        if (protocol >= 3) {
            line(out, '%', Integer.toString(entries.size()));
        } else {
            line(out, '*', Integer.toString(entries.size() * 2));
        }
        for (Map.Entry<Reply, Reply> e : entries) {
            encode(e.getKey(), protocol, out);
            encode(e.getValue(), protocol, out);
        }
    }

    private static void bulk(ByteBuf out, byte[] value) {
        line(out, '$', Integer.toString(value.length));
        out.writeBytes(value).writeBytes(CRLF);
    }

    private static void line(ByteBuf out, char type, String text) {
        out.writeByte(type);
        // Simple strings and errors may not contain CR or LF; replace them rather than corrupt the stream.
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\r' || bytes[i] == '\n') {
                bytes[i] = ' ';
            }
        }
        out.writeBytes(bytes).writeBytes(CRLF);
    }
}
