package io.valkeysidecar.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.valkeysidecar.testing.FrameBytes;
import io.valkeysidecar.testing.LeakCheck;
import io.valkeysidecar.testing.RawConnection;
import io.valkeysidecar.testing.TestValkey;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LeakCheck.class)
class ReplyEncoderTest {

    private static String encode(Reply reply, int protocol) {
        ByteBuf buf = ReplyEncoder.encode(PooledByteBufAllocator.DEFAULT, reply, protocol);
        try {
            return buf.toString(StandardCharsets.ISO_8859_1);
        } finally {
            buf.release();
        }
    }

    private static final Reply NESTED = Reply.array(
            Reply.simple("OK"),
            new Reply.MapReply(List.of(Map.entry(Reply.bulk("k"), Reply.array(Reply.integer(1), Reply.NULL)),
                    Map.entry(Reply.simple("s"), new Reply.SetReply(List.of(Reply.bulk("a"), Reply.bulk("b")))))),
            new Reply.Double(1.5),
            new Reply.Boolean(false),
            new Reply.NullArray(),
            Reply.array());

    /** Each reply with its RESP2 and RESP3 bytes. */
    private static final Object[][] CASES = {
            {Reply.OK, "+OK\r\n", "+OK\r\n"},
            {Reply.simple("a\r\nb"), "+a  b\r\n", "+a  b\r\n"},
            {Reply.error("ERR no\nway"), "-ERR no way\r\n", "-ERR no way\r\n"},
            {Reply.integer(-42), ":-42\r\n", ":-42\r\n"},
            {Reply.integer(Long.MIN_VALUE), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
            {Reply.bulk("h\u00e9"), "$3\r\nh\u00c3\u00a9\r\n", "$3\r\nh\u00c3\u00a9\r\n"},
            {Reply.bulk(new byte[] {0, '\r', '\n'}), "$3\r\n\u0000\r\n\r\n", "$3\r\n\u0000\r\n\r\n"},
            {Reply.bulk(""), "$0\r\n\r\n", "$0\r\n\r\n"},
            {Reply.bulk((String) null), "$-1\r\n", "_\r\n"},
            {Reply.bulk((byte[]) null), "$-1\r\n", "_\r\n"},
            {Reply.NULL, "$-1\r\n", "_\r\n"},
            {new Reply.NullArray(), "*-1\r\n", "_\r\n"},
            {Reply.array(), "*0\r\n", "*0\r\n"},
            {Reply.array(List.of(Reply.integer(1), Reply.bulk("x"))), "*2\r\n:1\r\n$1\r\nx\r\n", "*2\r\n:1\r\n$1\r\nx\r\n"},
            {new Reply.MapReply(List.of(Map.entry(Reply.bulk("f"), Reply.integer(2)))),
                    "*2\r\n$1\r\nf\r\n:2\r\n", "%1\r\n$1\r\nf\r\n:2\r\n"},
            {new Reply.MapReply(List.of()), "*0\r\n", "%0\r\n"},
            {new Reply.SetReply(List.of(Reply.bulk("m"))), "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n"},
            {new Reply.Push(List.of(Reply.bulk("message"), Reply.bulk("c"), Reply.bulk("hi"))),
                    "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"},
            {new Reply.Double(3.141), "$5\r\n3.141\r\n", ",3.141\r\n"},
            {new Reply.Double(java.lang.Double.NEGATIVE_INFINITY), "$4\r\n-inf\r\n", ",-inf\r\n"},
            {new Reply.Double(java.lang.Double.NaN), "$3\r\nnan\r\n", ",nan\r\n"},
            {new Reply.Double(-0.0), "$2\r\n-0\r\n", ",-0\r\n"},
            {new Reply.Boolean(true), ":1\r\n", "#t\r\n"},
            {new Reply.Boolean(false), ":0\r\n", "#f\r\n"},
            {new Reply.BigNumber(new BigInteger("1234567999999999999999999999999999999")),
                    "$37\r\n1234567999999999999999999999999999999\r\n", "(1234567999999999999999999999999999999\r\n"},
            {new Reply.BigNumber(BigInteger.valueOf(-5)), "$2\r\n-5\r\n", "(-5\r\n"},
            {new Reply.Verbatim("txt", "This is a verbatim\nstring"), "$25\r\nThis is a verbatim\nstring\r\n",
                    "=29\r\ntxt:This is a verbatim\nstring\r\n"},
            {new Reply.Verbatim("mkd", "\u00e9"), "$2\r\n\u00c3\u00a9\r\n", "=6\r\nmkd:\u00c3\u00a9\r\n"},
            {NESTED,
                    "*6\r\n+OK\r\n*4\r\n$1\r\nk\r\n*2\r\n:1\r\n$-1\r\n+s\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n$3\r\n1.5\r\n"
                            + ":0\r\n*-1\r\n*0\r\n",
                    "*6\r\n+OK\r\n%2\r\n$1\r\nk\r\n*2\r\n:1\r\n_\r\n+s\r\n~2\r\n$1\r\na\r\n$1\r\nb\r\n,1.5\r\n"
                            + "#f\r\n_\r\n*0\r\n"},
    };

    @Test
    void everyReplyTypeHasItsResp2AndResp3Bytes() {
        for (Object[] c : CASES) {
            Reply r = (Reply) c[0];
            assertThat(encode(r, 2)).as("RESP2 %s", r).isEqualTo(c[1]);
            assertThat(encode(r, 3)).as("RESP3 %s", r).isEqualTo(c[2]);
        }
    }

    @Test
    void everyEncodingIsExactlyOneFrameForTheReplyDecoder() {
        for (Object[] c : CASES) {
            for (int protocol = 2; protocol <= 3; protocol++) {
                ByteBuf encoded = ReplyEncoder.encode(PooledByteBufAllocator.DEFAULT, (Reply) c[0], protocol);
                byte[] expected = ByteBufUtil.getBytes(encoded);
                List<byte[]> frames = new ArrayList<>();
                EmbeddedChannel ch = new EmbeddedChannel(FrameBytes.collectingInto(frames));
                try {
                    ch.writeInbound(encoded);
                    assertThat(frames).as("one frame for %s", c[0]).hasSize(1);
                    assertThat(frames.get(0)).isEqualTo(expected);
                    assertThat(ch.finish()).isFalse();
                } finally {
                    ch.finishAndReleaseAll();
                }
            }
        }
    }

    private static Reply randomReply(java.util.Random r, int depth) {
        int kind = r.nextInt(depth >= 4 ? 10 : 15);
        switch (kind) {
            case 0: return Reply.simple("s" + r.nextInt(100));
            case 1: return Reply.error("ERR e" + r.nextInt(100));
            case 2: return Reply.integer(r.nextLong());
            case 3: return Reply.bulk("b\r\n".repeat(r.nextInt(4)));
            case 4: return Reply.NULL;
            case 5: return new Reply.NullArray();
            case 6: return new Reply.Double(r.nextDouble() * 1e6);
            case 7: return new Reply.Boolean(r.nextBoolean());
            case 8: return new Reply.BigNumber(BigInteger.valueOf(r.nextLong()).pow(2));
            case 9: return new Reply.Verbatim("txt", "v\n".repeat(r.nextInt(3)));
            default:
                List<Reply> items = new ArrayList<>();
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    items.add(randomReply(r, depth + 1));
                }
                if (kind == 10) {
                    return Reply.array(items);
                }
                if (kind == 11) {
                    return new Reply.SetReply(items);
                }
                if (kind == 12) {
                    return new Reply.Push(items);
                }
                List<Map.Entry<Reply, Reply>> entries = new ArrayList<>();
                for (Reply item : items) {
                    entries.add(Map.entry(item, randomReply(r, depth + 1)));
                }
                return new Reply.MapReply(entries);
        }
    }

    @Test
    void randomReplyStreamsFrameBackIntoTheirReplies() {
        java.util.Random r = new java.util.Random(99);
        for (int run = 0; run < 100; run++) {
            int protocol = 2 + r.nextInt(2);
            List<String> expected = new ArrayList<>();
            StringBuilder stream = new StringBuilder();
            int count = 1 + r.nextInt(6);
            for (int i = 0; i < count; i++) {
                String one = encode(randomReply(r, 0), protocol);
                expected.add(one);
                stream.append(one);
            }
            byte[] all = stream.toString().getBytes(StandardCharsets.ISO_8859_1);
            List<byte[]> frames = new ArrayList<>();
            EmbeddedChannel ch = new EmbeddedChannel(FrameBytes.collectingInto(frames));
            try {
                for (int from = 0; from < all.length; ) {
                    int to = Math.min(all.length, from + 1 + r.nextInt(8));
                    ch.writeInbound(LeakCheck.buffer(java.util.Arrays.copyOfRange(all, from, to)));
                    from = to;
                }
                assertThat(ch.finish()).isFalse();
            } finally {
                ch.finishAndReleaseAll();
            }
            assertThat(frames).extracting(f -> new String(f, StandardCharsets.ISO_8859_1)).isEqualTo(expected);
        }
    }

    @Test
    void encodingIntoAGivenBufferAppends() {
        ByteBuf out = PooledByteBufAllocator.DEFAULT.buffer();
        try {
            ReplyEncoder.encode(Reply.integer(1), 3, out);
            ReplyEncoder.encode(Reply.OK, 3, out);
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo(":1\r\n+OK\r\n");
        } finally {
            out.release();
        }
    }

    @Test
    void aFailedEncodingReleasesItsBuffer() {
        List<Map.Entry<Reply, Reply>> entries = new ArrayList<>();
        entries.add(new AbstractMap.SimpleEntry<>(Reply.bulk("k"), null));
        Reply broken = new Reply.MapReply(entries);
        // LeakCheck fails this test if the partly written buffer is not released.
        assertThatThrownBy(() -> ReplyEncoder.encode(PooledByteBufAllocator.DEFAULT, broken, 3))
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void doublesAreFormattedLikeValkey() {
        String[] scores = {
                "1.5", "0.1", "100", "-1.5", "3.141592653589793", "1e17", "1e18", "4.6e18", "4611686018427387904",
                "-4611686018427387904", "4611686018427387905", "5e18", "1e20", "1e21", "1e-5", "0.0001", "0.00001234",
                "123456789.123", "1e300", "1e16", "12345678901234567", "2.5e-7", "1e22", "0.001", "5e-324",
                "1.7976931348623157e308", "-1.7976931348623157e308", "1e-7", "1234567.0000001", "0.3", "2.0000001",
                "-0.000123", "99999999999999999999", "1.1e-6", "123.456e-10", "inf", "-inf",
        };
        try (TestValkey valkey = TestValkey.start(); RawConnection conn = new RawConnection(valkey.host(), valkey.port())) {
            for (String score : scores) {
                conn.send("ZADD z " + score + " m\r\nZSCORE z m\r\nHELLO 3\r\nZSCORE z m\r\nHELLO 2\r\nECHO _end_\r\n");
                String got = new String(conn.readUntilEndsWith("$5\r\n_end_\r\n".getBytes(StandardCharsets.US_ASCII),
                        Duration.ofSeconds(10)), StandardCharsets.ISO_8859_1);
                String[] lines = got.split("\r\n");
                String resp2 = lines[2];
                String resp3 = got.substring(got.indexOf(",")).split("\r\n")[0].substring(1);
                double d = java.lang.Double.parseDouble(score.replace("inf", "Infinity"));
                assertThat(resp3).as("Valkey's RESP2 and RESP3 texts of %s", score).isEqualTo(resp2);
                assertThat(ReplyEncoder.formatDouble(d)).as("formatDouble(%s)", score).isEqualTo(resp3);
            }
        }
    }

    @Test
    void grisuDigitsThatAreNotShortestAreAKnownDifference() {
        // Valkey prints 1.23e22 as 12300000000000001000000 (Grisu2's digits); we print the shortest form,
        // which reads back as the same double.
        assertThat(ReplyEncoder.formatDouble(1.23e22)).isEqualTo("1.23e+22");
        assertThat(java.lang.Double.parseDouble("12300000000000001000000")).isEqualTo(1.23e22);
    }
}
