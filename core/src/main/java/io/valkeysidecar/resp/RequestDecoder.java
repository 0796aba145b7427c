package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a client's byte stream into {@link Command}s, multibulk or inline, exactly as Valkey 8.0's
 * request parser does (same acceptance rules, same protocol error texts), so the proxy's request boundaries
 * are Valkey's. Where Valkey's outcome depends on how bytes were grouped into reads (a line longer than the
 * inline maximum passes if its end arrives in the same read), the decoder judges as if each byte came alone:
 * the strictest reading, and the same result however the input is split.
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
    /** Bytes of the current line (relative to its start) already known to hold no terminator. */
    private int lineChecked;
    /**
     * Valkey 8.0 quirk: after a non-empty line of only blanks, the next request is read as inline even when
     * it starts with '*' (its request type is not reset). Kept so our command boundaries stay Valkey's.
     */
    private boolean inlineSticky;
    private boolean broken;
    /** Where {@link #shortLine} found its line's CR. */
    private int shortLineEnd;
    /** Clock reading of the current decode pass, stamped on every request it completes. */
    private long decodeNanos;

    public RequestDecoder(RespLimits limits) {
        this.limits = limits;
        setCumulator(CompactingCumulator.INSTANCE);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        decodeNanos = System.nanoTime();
        while (!broken && in.isReadable()) {
            boolean multibulk = argsExpected >= 0 || (!inlineSticky && in.getByte(in.readerIndex()) == '*');
            Object decoded = multibulk ? decodeMultibulk(in) : decodeInline(in);
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
            long count = shortLine(in, base, (byte) '*');
            int cr = shortLineEnd;
            if (count < 0) {
                cr = findLineEnd(in, base, (byte) '\r');
                if (cr == TOO_LONG) {
                    return violation("too big mbulk count string");
                }
                if (cr == NOT_YET || cr + 1 >= in.writerIndex()) {
                    return null;
                }
                lineChecked = 0;
                count = parseLong(in, base + 1, cr);
            }
            if (count == Long.MIN_VALUE || count > Integer.MAX_VALUE || count > limits.maxArrayLength()) {
                return violation("invalid multibulk length");
            }
            if (count <= 0) {
                // Valkey silently accepts "*0" and "*-1" as empty requests.
                in.readerIndex(cr + 2);
                return SKIPPED;
            }
            argsExpected = (int) count;
            argsSeen = 0;
            scanned = cr + 2 - base;
        }
        while (argsSeen < argsExpected) {
            int pos = base + scanned;
            long len = shortLine(in, pos, (byte) '$');
            int cr = shortLineEnd;
            if (len < 0) {
                // Like Valkey, the line is complete once a CR and one more byte arrived; only then is it judged.
                cr = findLineEnd(in, pos, (byte) '\r');
                if (cr == TOO_LONG) {
                    return violation("too big bulk count string");
                }
                if (cr == NOT_YET || cr + 1 >= in.writerIndex()) {
                    return null;
                }
                byte type = in.getByte(pos);
                if (type != '$') {
                    return violation("expected '$', got '" + (char) (type & 0xff) + "'");
                }
                len = parseLong(in, pos + 1, cr);
            }
            if (len < 0 || len > limits.maxBulkLength()) {
                return violation("invalid bulk length");
            }
            int dataStart = cr + 2;
            long frameEnd = (long) dataStart + len + 2;
            if (frameEnd - base > Integer.MAX_VALUE - 16) {
                return violation("invalid bulk length");
            }
            if (in.writerIndex() < frameEnd) {
                // Reserve the whole argument once instead of letting the cumulation grow by doublings, but only
                // in a buffer that starts with this request: growing one with consumed requests in front would
                // keep them; the cumulator compacts it on the next read, and replaces a fixed-capacity one.
                if (in.readerIndex() == 0) {
                    in.ensureWritable((int) (frameEnd - in.writerIndex()), false);
                }
                return null;
            }
            lineChecked = 0;
            if (2 * argsSeen + 1 >= spans.length) {
                spans = Arrays.copyOf(spans, spans.length * 2);
            }
            spans[2 * argsSeen] = dataStart - base;
            spans[2 * argsSeen + 1] = (int) len;
            argsSeen++;
            scanned = (int) (frameEnd - base);
        }
        ByteBuf raw = in.readRetainedSlice(scanned);
        Command command = Command.multibulk(raw, Arrays.copyOf(spans, 2 * argsSeen), argsSeen, decodeNanos);
        argsExpected = -1;
        scanned = 0;
        if (spans.length > 1024) {
            spans = new int[16];
        }
        return command;
    }

    private Object decodeInline(ByteBuf in) {
        int base = in.readerIndex();
        int nl = findLineEnd(in, base, (byte) '\n');
        if (nl == TOO_LONG) {
            return violation("too big inline request");
        }
        if (nl == NOT_YET) {
            return null;
        }
        lineChecked = 0;
        int end = nl > base && in.getByte(nl - 1) == '\r' ? nl - 1 : nl;
        byte[] line = new byte[end - base];
        in.getBytes(base, line);
        byte[][] args = splitArgs(line);
        if (args == null) {
            return violation("unbalanced quotes in request");
        }
        inlineSticky = args.length == 0 && line.length > 0;
        if (args.length == 0) {
            in.readerIndex(nl + 1);
            return SKIPPED;
        }
        return Command.inline(in.readRetainedSlice(nl + 1 - base), args, decodeNanos);
    }

    private ProtocolViolation violation(String detail) {
        broken = true;
        return new ProtocolViolation(detail);
    }

    /** Constants rather than a lambda capturing the terminator, which cost an allocation per line. */
    private static final ByteProcessor UNTIL_CR_OR_NUL = b -> b != '\r' && b != 0;
    private static final ByteProcessor UNTIL_LF_OR_NUL = b -> b != '\n' && b != 0;
    private static final int NOT_YET = -1;
    private static final int TOO_LONG = -2;

    /**
     * Index of the first {@code terminator} of the line starting at {@code from}, as Valkey 8.0 finds it with
     * strchr: a NUL byte ends the search (the line then never completes), and a line is too long once more
     * than the inline maximum of bytes arrived without its terminator. Resumes where the last call stopped.
     */
    private int findLineEnd(ByteBuf in, int from, byte terminator) {
        int max = limits.maxInlineLength();
        int end = Math.min(in.writerIndex(), from + max + 1);
        int start = from + lineChecked;
        int found = start < end
                ? in.forEachByte(start, end - start, terminator == '\r' ? UNTIL_CR_OR_NUL : UNTIL_LF_OR_NUL)
                : -1;
        if (found >= 0 && in.getByte(found) == terminator) {
            lineChecked = found - from;
            return found;
        }
        lineChecked = (found >= 0 ? found : end) - from;
        return in.writerIndex() - from > max ? TOO_LONG : NOT_YET;
    }

    /**
     * The common count or length line in one 8-byte read, instead of a byte search and a parse that check bounds
     * per byte: {@code type}, one to six digits without a leading zero, CR, and at least one more byte received,
     * on a line not scanned before. Answers its value and leaves the CR's index in {@link #shortLineEnd}; -1 for any
     * other line, which the general path then judges exactly as Valkey does.
     */
    private long shortLine(ByteBuf in, int pos, byte type) {
        if (lineChecked != 0 || pos + 8 > in.writerIndex()) {
            return -1;
        }
        long word = in.getLongLE(pos);
        if ((byte) word != type) {
            return -1;
        }
        long value = 0;
        for (int i = 1; i < 8; i++) {
            int b = (int) (word >>> (8 * i)) & 0xff;
            if (b == '\r') {
                if (i == 1 || i > limits.maxInlineLength() || pos + i + 1 >= in.writerIndex()) {
                    return -1;
                }
                shortLineEnd = pos + i;
                return value;
            }
            int digit = b - '0';
            if (digit < 0 || digit > 9 || (i == 1 && digit == 0)) {
                return -1;
            }
            value = value * 10 + digit;
        }
        return -1;
    }

    /**
     * Valkey's string2ll for a length or count in [from, to): optional '-', no '+', no leading zeros, no
     * "-0", at most 20 characters, no overflow. Returns {@link Long#MIN_VALUE} when it is not such a number;
     * the one valid number that collides with that sentinel, -9223372036854775808, yields -1 instead, which
     * every caller (lengths and counts) treats alike.
     */
    static long parseLong(ByteBuf in, int from, int to) {
        int len = to - from;
        if (len <= 0 || len > 20) {
            return Long.MIN_VALUE;
        }
        if (len == 1 && in.getByte(from) == '0') {
            return 0;
        }
        boolean negative = in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i == to) {
            return Long.MIN_VALUE;
        }
        byte first = in.getByte(i);
        if (first < '1' || first > '9') {
            return Long.MIN_VALUE;
        }
        long v = 0;
        for (; i < to; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return Long.MIN_VALUE;
            }
            // Accumulate negatively so that -9223372036854775808 fits; overflow checked as Long.parseLong does,
            // without a division per digit.
            if (v < Long.MIN_VALUE / 10) {
                return Long.MIN_VALUE;
            }
            v *= 10;
            if (v < Long.MIN_VALUE + d) {
                return Long.MIN_VALUE;
            }
            v -= d;
        }
        if (negative) {
            return v == Long.MIN_VALUE ? -1 : v;
        }
        return v == Long.MIN_VALUE ? Long.MIN_VALUE : -v;
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
