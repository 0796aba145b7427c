package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a client's byte stream into {@link Command}s, multibulk or inline, exactly as Valkey's
 * request parser does (same acceptance rules, same protocol error texts).
 *
 * <p>Hand-written because Netty's codec-redis re-encodes values and does not keep the original bytes,
 * and client libraries only parse replies. Parsing is resumable: a frame that arrives in many reads is
 * scanned once in total, never from its start again, and its buffer is sized once when its length is known.
 */
public final class RequestDecoder extends ByteToMessageDecoder {

    private final RespLimits limits;

    // State of the multibulk request being scanned, relative to the reader index (which only moves when
    // a whole request is consumed, so these offsets stay valid across reads).
    private int scanned;
    private int argsExpected = -1;
    private int argsSeen;
    private int[] spans = new int[16];
    private boolean broken;

    public RequestDecoder(RespLimits limits) {
        this.limits = limits;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!broken && in.isReadable()) {
            Object decoded = in.getByte(in.readerIndex()) == '*' ? decodeMultibulk(in) : decodeInline(in);
            if (decoded == null) {
                return;
            }
            if (decoded != SKIPPED) {
                out.add(decoded);
            }
        }
        if (broken) {
            in.skipBytes(in.readableBytes());
        }
    }

    private static final Object SKIPPED = new Object();

    private Object decodeMultibulk(ByteBuf in) {
        int base = in.readerIndex();
        if (argsExpected < 0) {
            int eol = findCrlf(in, base, limits.maxInlineLength());
            if (eol == NOT_YET) {
                return null;
            }
            if (eol == TOO_LONG) {
                return violation("too big mbulk count string");
            }
            long count = parseLong(in, base + 1, eol);
            if (count == Long.MIN_VALUE || count > limits.maxArrayLength()) {
                return violation("invalid multibulk length");
            }
            if (count <= 0) {
                // Valkey silently accepts "*0" and "*-1" as empty requests.
                in.readerIndex(eol + 2);
                return SKIPPED;
            }
            argsExpected = (int) count;
            argsSeen = 0;
            scanned = eol + 2 - base;
        }
        while (argsSeen < argsExpected) {
            int pos = base + scanned;
            if (in.writerIndex() <= pos) {
                return null;
            }
            byte type = in.getByte(pos);
            if (type != '$') {
                return violation("expected '$', got '" + (char) (type & 0xff) + "'");
            }
            int eol = findCrlf(in, pos, limits.maxInlineLength());
            if (eol == NOT_YET) {
                return null;
            }
            if (eol == TOO_LONG) {
                return violation("too big bulk count string");
            }
            long len = parseLong(in, pos + 1, eol);
            if (len < 0 || len > limits.maxBulkLength()) {
                return violation("invalid bulk length");
            }
            int dataStart = eol + 2;
            long frameEnd = (long) dataStart + len + 2;
            if (frameEnd - base > Integer.MAX_VALUE - 16) {
                return violation("invalid bulk length");
            }
            if (in.writerIndex() < frameEnd) {
                // Reserve the whole argument once instead of letting the cumulation grow by doublings.
                in.ensureWritable((int) (frameEnd - in.writerIndex()));
                return null;
            }
            if (2 * argsSeen + 1 >= spans.length) {
                spans = Arrays.copyOf(spans, spans.length * 2);
            }
            spans[2 * argsSeen] = dataStart - base;
            spans[2 * argsSeen + 1] = (int) len;
            argsSeen++;
            scanned = (int) (frameEnd - base);
        }
        ByteBuf raw = in.readRetainedSlice(scanned);
        Command command = Command.multibulk(raw, Arrays.copyOf(spans, 2 * argsSeen), argsSeen);
        argsExpected = -1;
        scanned = 0;
        if (spans.length > 1024) {
            spans = new int[16];
        }
        return command;
    }

    private Object decodeInline(ByteBuf in) {
        int base = in.readerIndex();
        int nl = in.indexOf(base, in.writerIndex(), (byte) '\n');
        if (nl < 0) {
            return in.readableBytes() > limits.maxInlineLength() ? violation("too big inline request") : null;
        }
        if (nl - base > limits.maxInlineLength()) {
            return violation("too big inline request");
        }
        int end = nl > base && in.getByte(nl - 1) == '\r' ? nl - 1 : nl;
        byte[] line = new byte[end - base];
        in.getBytes(base, line);
        byte[][] args = splitArgs(line);
        if (args == null) {
            return violation("unbalanced quotes in request");
        }
        if (args.length == 0) {
            in.readerIndex(nl + 1);
            return SKIPPED;
        }
        return Command.inline(in.readRetainedSlice(nl + 1 - base), args);
    }

    private ProtocolViolation violation(String detail) {
        broken = true;
        return new ProtocolViolation(detail);
    }

    private static final int NOT_YET = -1;
    private static final int TOO_LONG = -2;

    /** Index of the CR of the first CRLF at or after {@code from}; the line may be at most {@code max} bytes. */
    private static int findCrlf(ByteBuf in, int from, int max) {
        int limit = Math.min(in.writerIndex(), from + max + 2);
        int cr = in.indexOf(from, limit, (byte) '\r');
        while (cr >= 0 && cr + 1 < in.writerIndex() && in.getByte(cr + 1) != '\n') {
            cr = in.indexOf(cr + 1, limit, (byte) '\r');
        }
        if (cr >= 0 && cr + 1 < in.writerIndex()) {
            return cr;
        }
        return in.writerIndex() - from > max ? TOO_LONG : NOT_YET;
    }

    /** Parses a signed decimal in [from, to); {@link Long#MIN_VALUE} when it is not a valid number. */
    static long parseLong(ByteBuf in, int from, int to) {
        if (from >= to || to - from > 19) {
            return Long.MIN_VALUE;
        }
        boolean negative = in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i == to) {
            return Long.MIN_VALUE;
        }
        long v = 0;
        for (; i < to; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return Long.MIN_VALUE;
            }
            v = v * 10 + d;
        }
        return negative ? -v : v;
    }

    /**
     * Valkey's sdssplitargs: whitespace-separated words, "double quotes" with C escapes (\xHH, \n, \r, \t,
     * \b, \a), 'single quotes' with only \' escaped; a closing quote must be followed by a space or the end.
     * Returns null on unbalanced quotes.
     */
    static byte[][] splitArgs(byte[] line) {
        List<byte[]> args = new ArrayList<>();
        int i = 0;
        int n = line.length;
        while (true) {
            while (i < n && isSpace(line[i])) {
                i++;
            }
            if (i >= n) {
                return args.toArray(new byte[0][]);
            }
            ByteArrayOutputStream cur = new ByteArrayOutputStream();
            boolean inDq = false;
            boolean inSq = false;
            boolean done = false;
            while (!done) {
                if (inDq) {
                    if (i >= n) {
                        return null;
                    }
                    if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
                        cur.write(Character.digit(line[i + 2], 16) * 16 + Character.digit(line[i + 3], 16));
                        i += 3;
                    } else if (line[i] == '\\' && i + 1 < n) {
                        i++;
                        cur.write(switch (line[i]) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> line[i];
                        });
                    } else if (line[i] == '"') {
                        if (i + 1 < n && !isSpace(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        cur.write(line[i]);
                    }
                } else if (inSq) {
                    if (i >= n) {
                        return null;
                    }
                    if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
                        i++;
                        cur.write('\'');
                    } else if (line[i] == '\'') {
                        if (i + 1 < n && !isSpace(line[i + 1])) {
                            return null;
                        }
                        done = true;
                    } else {
                        cur.write(line[i]);
                    }
                } else {
                    if (i >= n) {
                        done = true;
                        continue;
                    }
                    switch (line[i]) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDq = true;
                        case '\'' -> inSq = true;
                        default -> cur.write(line[i]);
                    }
                }
                if (i < n) {
                    i++;
                }
            }
            args.add(cur.toByteArray());
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
    }

    private static boolean isHex(byte b) {
        return Character.digit(b, 16) >= 0;
    }
}
