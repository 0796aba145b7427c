package io.valkeysidecar.resp;

import static io.valkeysidecar.resp.DecoderHarness.bytes;
import static io.valkeysidecar.resp.DecoderHarness.decode;
import static io.valkeysidecar.resp.DecoderHarness.decodeByteByByte;
import static io.valkeysidecar.resp.DecoderHarness.decodePieces;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.valkeysidecar.resp.DecoderHarness.Cmd;
import io.valkeysidecar.testing.LeakCheck;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class RequestDecoderTest {

    private static final RespLimits DEFAULTS = RespLimits.DEFAULTS;

    private static String mb(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(StandardCharsets.ISO_8859_1).length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString();
    }

    private static ProtocolViolation violation(String detail) {
        return new ProtocolViolation(detail);
    }

    /** Asserts {@code input} decodes to {@code expected} whole, split in two at every byte, and byte by byte. */
    private static void assertDecodesEverySplit(RespLimits limits, String input, List<Object> expected) {
        byte[] b = bytes(input);
        assertThat(decode(limits, b)).as("whole").isEqualTo(expected);
        for (int cut = 1; cut < b.length; cut++) {
            assertThat(decode(limits, b, cut)).as("split at %d", cut).isEqualTo(expected);
        }
        assertThat(decodeByteByByte(limits, b)).as("byte by byte").isEqualTo(expected);
    }

    @Test
    void multibulkPipelineDecodesIdenticallyAtEveryBoundary() {
        String get = mb("GET", "key");
        String binary = mb("SET", "k\r\n*1\r\n", "v\u0000\u00ff\r");
        String empty = mb("ECHO", "");
        String many = mb("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", "g", "7", "h", "8", "i");
        assertDecodesEverySplit(DEFAULTS, get + binary + empty + many, List.of(
                Cmd.multibulk(get, "GET", "key"),
                Cmd.multibulk(binary, "SET", "k\r\n*1\r\n", "v\u0000\u00ff\r"),
                Cmd.multibulk(empty, "ECHO", ""),
                Cmd.multibulk(many, "MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", "g", "7",
                        "h", "8", "i")));
    }

    @Test
    void inlineAndMixedRequestsDecodeIdenticallyAtEveryBoundary() {
        String input = "PING\r\n"
                + "SET \"a b\" 'c d'\n"
                + mb("GET", "a b")
                + "\r\n\n*0\r\n*-1\r\n"
                + "ECHO \"\\x41\\x4a\\n\\t\"\r\n"
                + "  GET\t x  \r\n";
        assertDecodesEverySplit(DEFAULTS, input, List.of(
                Cmd.inline("PING\r\n", "PING"),
                Cmd.inline("SET \"a b\" 'c d'\n", "SET", "a b", "c d"),
                Cmd.multibulk(mb("GET", "a b"), "GET", "a b"),
                Cmd.inline("ECHO \"\\x41\\x4a\\n\\t\"\r\n", "ECHO", "AJ\n\t"),
                Cmd.inline("  GET\t x  \r\n", "GET", "x")));
    }

    @Test
    void protocolErrorsEmitOneViolationAfterTheCommandsBeforeItAndNothingAfter() {
        String ping = mb("PING");
        String after = mb("GET", "never") + "PING\r\n";
        String[][] cases = {
                {"*abc\r\n", "invalid multibulk length"},
                {"*01\r\n", "invalid multibulk length"},
                {"*-0\r\n", "invalid multibulk length"},
                {"*+1\r\n", "invalid multibulk length"},
                {"*1 \r\n", "invalid multibulk length"},
                {"*\r\n", "invalid multibulk length"},
                {"*3000000000\r\n", "invalid multibulk length"},
                {"*9999999999999999999\r\n", "invalid multibulk length"},
                {"*99999999999999999999\r\n", "invalid multibulk length"},
                {"*1\r\n*1\r\n", "expected '$', got '*'"},
                {"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "expected '$', got 'f'"},
                {"*1\r\n$-1\r\n", "invalid bulk length"},
                {"*1\r\n$-0\r\n", "invalid bulk length"},
                {"*1\r\n$04\r\nPING\r\n", "invalid bulk length"},
                {"*1\r\n$+4\r\nPING\r\n", "invalid bulk length"},
                {"*1\r\n$\r\n", "invalid bulk length"},
                {"*1\r\n$536870913\r\n", "invalid bulk length"},
                {"SET \"a\"b c\r\n", "unbalanced quotes in request"},
                {"SET 'a'b c\r\n", "unbalanced quotes in request"},
                {"SET \"abc\r\n", "unbalanced quotes in request"},
                {"SET 'abc\r\n", "unbalanced quotes in request"},
                {"ECHO \"abc\\\"\r\n", "unbalanced quotes in request"},
        };
        for (String[] c : cases) {
            assertDecodesEverySplit(DEFAULTS, ping + c[0] + after,
                    List.of(Cmd.multibulk(ping, "PING"), violation(c[1])));
        }
    }

    @Test
    void overlongLinesAreViolationsOnceTheInlineMaximumIsExceeded() {
        RespLimits limits = new RespLimits(RespLimits.DEFAULT_MAX_BULK, RespLimits.DEFAULT_MAX_ARRAY, 16);
        String ping = "PING\r\n";
        // 16 bytes before the line end are allowed, 17 are not.
        // The line counts up to its '\n', so a '\r' before it is part of the 16.
        assertDecodesEverySplit(limits, ping + "ECHO 1234567890\r\n",
                List.of(Cmd.inline(ping, "PING"), Cmd.inline("ECHO 1234567890\r\n", "ECHO", "1234567890")));
        assertDecodesEverySplit(limits, ping + "ECHO 12345678901\r\nPING\r\n",
                List.of(Cmd.inline(ping, "PING"), violation("too big inline request")));
        // Without any line end, the violation comes as soon as more than the maximum arrived.
        assertDecodesEverySplit(limits, ping + "ECHO 123456789012",
                List.of(Cmd.inline(ping, "PING"), violation("too big inline request")));
        assertThat(decode(limits, bytes(ping + "ECHO 12345678901"))).containsExactly(Cmd.inline(ping, "PING"));
        assertDecodesEverySplit(limits, ping + "*" + "1".repeat(16),
                List.of(Cmd.inline(ping, "PING"), violation("too big mbulk count string")));
        assertDecodesEverySplit(limits, ping + "*1\r\n$" + "1".repeat(16),
                List.of(Cmd.inline(ping, "PING"), violation("too big bulk count string")));
        // A count line that fits is judged by its value instead.
        assertDecodesEverySplit(limits, ping + "*" + "1".repeat(15) + "\r\n",
                List.of(Cmd.inline(ping, "PING"), violation("invalid multibulk length")));
    }

    @Test
    void configuredArrayAndBulkLimitsAreHonoured() {
        RespLimits limits = new RespLimits(10, 3, RespLimits.DEFAULT_MAX_INLINE);
        String ok = mb("SET", "k", "0123456789");
        assertDecodesEverySplit(limits, ok, List.of(Cmd.multibulk(ok, "SET", "k", "0123456789")));
        assertDecodesEverySplit(limits, ok + mb("SET", "k", "01234567890"),
                List.of(Cmd.multibulk(ok, "SET", "k", "0123456789"), violation("invalid bulk length")));
        assertDecodesEverySplit(limits, ok + mb("DEL", "a", "b", "c"),
                List.of(Cmd.multibulk(ok, "SET", "k", "0123456789"), violation("invalid multibulk length")));
    }

    @Test
    void inlineArgumentsAreSplitLikeSdssplitargs() {
        Object[][] cases = {
                {"a b   c", List.of("a", "b", "c")},
                {"\"a b\"", List.of("a b")},
                {"'a b'", List.of("a b")},
                {"\"\" ''", List.of("", "")},
                {"\"\\x41\\x7a\\xff\"", List.of("Az\u00ff")},
                {"\"\\xZZ\\x4\"", List.of("xZZx4")},
                {"\"\\n\\r\\t\\b\\a\\q\\\\\\\"\"", List.of("\n\r\t\b\u0007q\\\"")},
                {"'it\\'s' 'a\\b'", List.of("it's", "a\\b")},
                {"x\"a b\"", List.of("xa b")},
                {"\"a\"\t'b'", List.of("a", "b")},
                {"\u000b a\u000bb\u000c ", List.of("a\u000bb\u000c")},
                {"a\rb", List.of("a", "b")},
                {"", List.of()},
                {" \t ", List.of()},
        };
        for (Object[] c : cases) {
            byte[][] args = RequestDecoder.splitArgs(bytes((String) c[0]));
            assertThat(args).as((String) c[0]).isNotNull();
            assertThat(Arrays.stream(args).map(DecoderHarness::iso).toList()).as((String) c[0]).isEqualTo(c[1]);
        }
        for (String unbalanced : new String[] {"\"a", "'a", "\"a\"b", "'a'b", "\"a\\\"", "a \"b\\x4"}) {
            assertThat(RequestDecoder.splitArgs(bytes(unbalanced))).as(unbalanced).isNull();
        }
    }

    @Test
    void emptyLinesAndEmptyMultibulksAreSkipped() {
        String input = "\r\n\n\r\n*0\r\n*-1\r\n*-9223372036854775808\r\nPING\r\n";
        assertDecodesEverySplit(DEFAULTS, input, List.of(Cmd.inline("PING\r\n", "PING")));
    }

    @Test
    void afterALineOfBlanksTheNextRequestIsInlineEvenWithAStar() {
        // Valkey 8.0 keeps the inline request type after a non-empty blank line; an empty line resets it.
        String input = "  \r\n" + mb("PING") + " \t\r\n\r\n" + mb("PING");
        assertDecodesEverySplit(DEFAULTS, input, List.of(
                Cmd.inline("*1\r\n", "*1"),
                Cmd.inline("$4\r\n", "$4"),
                Cmd.inline("PING\r\n", "PING"),
                Cmd.multibulk(mb("PING"), "PING")));
    }

    @Test
    void anyByteAfterTheCarriageReturnEndsACountLine() {
        String input = "*1\rX$4\rYPING\r\n";
        assertDecodesEverySplit(DEFAULTS, input, List.of(Cmd.multibulk(input, "PING")));
    }

    @Test
    void aNulByteBeforeTheLineEndKeepsTheRequestIncompleteUntilTooBig() {
        RespLimits limits = new RespLimits(RespLimits.DEFAULT_MAX_BULK, RespLimits.DEFAULT_MAX_ARRAY, 16);
        assertDecodesEverySplit(limits, "PING\u0000\r\nPING\r\n", List.of());
        assertDecodesEverySplit(limits, "PING\u0000\r\nPING\r\nPING\r\n",
                List.of(violation("too big inline request")));
        assertDecodesEverySplit(limits, "*1\u0000\r\n" + mb("PING") + mb("PING"),
                List.of(violation("too big mbulk count string")));
    }

    @Test
    void aLongPipelineKeepsEveryCommandInOrder() {
        StringBuilder sb = new StringBuilder();
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            String cmd = i % 3 == 0 ? "INCR counter:" + i + "\r\n" : mb("SET", "key:" + i, "value:" + i);
            sb.append(cmd);
            expected.add(i % 3 == 0 ? Cmd.inline(cmd, "INCR", "counter:" + i)
                    : Cmd.multibulk(cmd, "SET", "key:" + i, "value:" + i));
        }
        byte[] all = bytes(sb.toString());
        assertThat(decode(DEFAULTS, all)).isEqualTo(expected);
        Random random = new Random(42);
        List<byte[]> pieces = new ArrayList<>();
        for (int from = 0; from < all.length; ) {
            int to = Math.min(all.length, from + 1 + random.nextInt(1500));
            pieces.add(Arrays.copyOfRange(all, from, to));
            from = to;
        }
        assertThat(decodePieces(DEFAULTS, pieces)).isEqualTo(expected);
    }

    /**
     * Random mixtures of valid requests, blank lines, quotes, stray CR/LF/NUL bytes and broken headers decode the
     * same whatever the reads look like, without exceptions, with a small inline limit so that limit is hit too.
     */
    @Test
    void randomInputDecodesTheSameInAnyPieces() {
        RespLimits limits = new RespLimits(64, 8, 32);
        String[] parts = {
                mb("GET", "k"), mb("SET", "k\r\n", "v"), mb("ECHO", ""), "PING\r\n", "ECHO \"a b\" 'c'\n", "\r\n",
                "  \r\n", "*0\r\n", "*-1\r\n", "*", "$", "\r", "\n", "\u0000", "'", "\"", "\\x4", "3", "-", "x",
                " ", "*2\r\n$3\r\nGET\r\n", "$1\r\nk\r\n", "*1\r\n$100\r\n", "*99\r\n",
        };
        Random random = new Random(2024);
        for (int run = 0; run < 300; run++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + random.nextInt(12);
            for (int i = 0; i < n; i++) {
                sb.append(parts[random.nextInt(parts.length)]);
            }
            byte[] input = bytes(sb.toString());
            List<Object> whole = decode(limits, input);
            List<byte[]> pieces = new ArrayList<>();
            for (int from = 0; from < input.length; ) {
                int to = Math.min(input.length, from + 1 + random.nextInt(6));
                pieces.add(Arrays.copyOfRange(input, from, to));
                from = to;
            }
            assertThat(decodePieces(limits, pieces)).as(sb.toString()).isEqualTo(whole);
            int violations = (int) whole.stream().filter(o -> o instanceof ProtocolViolation).count();
            assertThat(violations).isLessThanOrEqualTo(1);
            if (violations == 1) {
                assertThat(whole.get(whole.size() - 1)).isInstanceOf(ProtocolViolation.class);
            }
        }
    }

    @Test
    void nothingIsEmittedAfterAViolationEvenFromLaterReads() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(DEFAULTS));
        try {
            ch.writeInbound(LeakCheck.buffer(bytes("*x\r\n")));
            assertThat(ch.<Object>readInbound()).isEqualTo(violation("invalid multibulk length"));
            ByteBuf later = LeakCheck.buffer(bytes(mb("PING") + "PING\r\n"));
            ch.writeInbound(later);
            assertThat(ch.<Object>readInbound()).isNull();
            assertThat(later.refCnt()).isZero();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void violationCarriesValkeysErrorTextAndBytes() {
        assertThat(violation("invalid bulk length").errorMessage()).isEqualTo("ERR Protocol error: invalid bulk length");
        assertThat(decode(DEFAULTS, bytes("*1\r\n\u00e9x\r\n"))).containsExactly(violation("expected '$', got '\u00e9'"));
        assertThat(violation("expected '$', got '\u00e9'").errorBytes())
                .isEqualTo(bytes("-ERR Protocol error: expected '$', got '\u00e9'\r\n"));
        assertThat(violation("expected '$', got '\n'").errorBytes())
                .isEqualTo(bytes("-ERR Protocol error: expected '$', got ' '\r\n"));
    }

    @Test
    void aTwentyMegabyteArgumentIsReservedOnceAndNotCopied() {
        int size = 20 * 1024 * 1024;
        byte[] value = new byte[size];
        new Random(7).nextBytes(value);
        byte[] header = bytes("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + size + "\r\n");
        byte[] all = new byte[header.length + size + 2];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(value, 0, all, header.length, size);
        all[all.length - 2] = '\r';
        all[all.length - 1] = '\n';

        UnpooledByteBufAllocator heap = new UnpooledByteBufAllocator(false);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(heap);
        ch.pipeline().addLast(new RequestDecoder(DEFAULTS));
        // Socket-like reads of 64 KB, allocated before measuring.
        List<ByteBuf> reads = new ArrayList<>();
        for (int from = 0; from < all.length; from += 64 * 1024) {
            int len = Math.min(64 * 1024, all.length - from);
            reads.add(heap.heapBuffer(len).writeBytes(all, from, len));
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        Command cmd;
        try {
            for (ByteBuf read : reads) {
                ch.writeInbound(read);
            }
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            // Growing by doublings and 4 MB steps would allocate several times the value.
            assertThat(allocated).isLessThan(size + size / 2L);
            cmd = ch.readInbound();
            assertThat(ch.<Object>readInbound()).isNull();
        } finally {
            ch.finishAndReleaseAll();
        }
        try {
            assertThat(cmd.argc()).isEqualTo(3);
            assertThat(cmd.argLength(2)).isEqualTo(size);
            assertThat(cmd.raw().readableBytes()).isEqualTo(all.length);
            assertThat(Arrays.equals(cmd.argBytes(2), value)).isTrue();
        } finally {
            cmd.release();
        }
        for (ByteBuf read : reads) {
            assertThat(read.refCnt()).isZero();
        }
    }

    @Test
    void aLargeArgumentArrivingInFixedCapacityBuffersStillDecodes() {
        String value = "v".repeat(100_000);
        byte[] all = bytes(mb("SET", "k", value));
        List<Object> out = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(DEFAULTS));
        try {
            for (int from = 0; from < all.length; from += 1000) {
                int len = Math.min(1000, all.length - from);
                // Buffers that cannot grow, such as a slice or a wrapped array handed on by another handler.
                ch.writeInbound(PooledByteBufAllocator.DEFAULT.heapBuffer(len, len).writeBytes(all, from, len));
            }
            Command c;
            while ((c = ch.readInbound()) != null) {
                out.add(c.argString(2));
                c.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
        assertThat(out).containsExactly(value);
    }

    @Test
    void commandNamesAreUpperCasedAsValkeyMatchesThemAndRegisteredOnesSharedBetweenRequests() {
        // As a loaded command table does.
        String registered = CommandNames.canonical("hgetall");
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(DEFAULTS));
        try {
            // A dotless i (UTF-8 C4 B1) is not an ASCII letter: Java's toUpperCase would turn "ınfo" into INFO,
            // Valkey answers it with "unknown command".
            ch.writeInbound(LeakCheck.buffer(bytes(mb("hGetAll", "k") + mb("HGETALL", "k") + "hgetall k\r\n"
                    + mb("\u00c4\u00b1nfo"))));
            List<Command> commands = List.of(ch.readInbound(), ch.readInbound(), ch.readInbound(), ch.readInbound());
            try {
                assertThat(commands.get(0).name()).isEqualTo("HGETALL").isSameAs(registered);
                assertThat(commands.get(1).name()).isSameAs(commands.get(0).name());
                assertThat(commands.get(2).name()).isSameAs(commands.get(0).name());
                assertThat(commands.get(3).name()).isEqualTo("\u00c4\u00b1NFO").isNotEqualTo("INFO");
            } finally {
                commands.forEach(Command::release);
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void commandAccessorsReadArgumentsWithoutCopyingTheFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(DEFAULTS));
        try {
            ch.writeInbound(LeakCheck.buffer(bytes(mb("zAdd", "k\u00e9", "") + "get \"x y\"\r\n")));
            Command m = ch.readInbound();
            Command i = ch.readInbound();
            try {
                assertThat(m.isInline()).isFalse();
                assertThat(m.name()).isEqualTo("ZADD");
                assertThat(m.argc()).isEqualTo(3);
                assertThat(m.argLength(1)).isEqualTo(2);
                assertThat(m.argBytes(1)).isEqualTo(new byte[] {'k', (byte) 0xe9});
                assertThat(m.argLength(2)).isZero();
                assertThat(m.argIs(0, "ZADD")).isTrue();
                assertThat(m.argIs(0, "ZAD")).isFalse();
                assertThat(m.argIs(5, "ZADD")).isFalse();
                assertThat(m.toString()).isEqualTo("Command[ZADD, argc=3]");
                assertThatThrownBy(() -> m.argBytes(3)).isInstanceOf(IndexOutOfBoundsException.class);
                assertThatThrownBy(() -> m.argString(-1)).isInstanceOf(IndexOutOfBoundsException.class);

                assertThat(i.isInline()).isTrue();
                assertThat(i.name()).isEqualTo("GET");
                assertThat(i.argString(1)).isEqualTo("x y");
                assertThat(i.argLength(1)).isEqualTo(3);
                assertThat(i.argIs(1, "X Y")).isTrue();
                assertThat(i.raw().toString(StandardCharsets.US_ASCII)).isEqualTo("get \"x y\"\r\n");
                assertThatThrownBy(() -> i.argLength(2)).isInstanceOf(IndexOutOfBoundsException.class);
            } finally {
                m.release();
                i.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void lengthsParseLikeValkeysString2ll() {
        String[][] cases = {
                {"0", "0"}, {"1", "1"}, {"-1", "-1"}, {"9223372036854775807", "9223372036854775807"},
                {"-9223372036854775807", "-9223372036854775807"}, {"-9223372036854775808", "-1"},
                {"9223372036854775808", "invalid"}, {"-9223372036854775809", "invalid"},
                {"01", "invalid"}, {"-0", "invalid"}, {"+1", "invalid"}, {"", "invalid"}, {"-", "invalid"},
                {"1a", "invalid"}, {" 1", "invalid"}, {"00000000000000000000001", "invalid"},
        };
        for (String[] c : cases) {
            ByteBuf b = LeakCheck.buffer(bytes("x" + c[0] + "y"));
            try {
                long v = RequestDecoder.parseLong(b, 1, 1 + c[0].length());
                assertThat(v == Long.MIN_VALUE ? "invalid" : Long.toString(v)).as(c[0]).isEqualTo(c[1]);
            } finally {
                b.release();
            }
        }
    }
}
