package io.valkeysidecar.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.valkeysidecar.testing.FrameBytes;
import io.valkeysidecar.testing.LeakCheck;
import io.valkeysidecar.testing.RawConnection;
import io.valkeysidecar.testing.TestValkey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Frames real reply streams captured from valkey-server over a socket, RESP2 and RESP3, split at every byte
 * boundary, and compares with the frames found by an independent recursive reference parser.
 */
@ExtendWith(LeakCheck.class)
class ReplyFrameDecoderTest {

    private static final String[] DEBUG_TYPES = {
            "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim",
            "true", "false",
    };

    private static TestValkey valkey;
    /** Reply streams as Valkey sent them, each with the number of top-level frames it holds. */
    private static final List<Capture> CAPTURES = new ArrayList<>();
    private static byte[] bigStream;

    record Capture(String name, byte[] bytes, int frames) {
    }

    @BeforeAll
    static void capture() {
        valkey = TestValkey.start();
        String big = "b".repeat(100_000);
        StringBuilder debug = new StringBuilder();
        for (String t : DEBUG_TYPES) {
            debug.append("DEBUG PROTOCOL ").append(t).append("\r\n");
        }
        String common = "SET s hello\r\nGET s\r\nGET missing\r\nSET e \"\"\r\nGET e\r\nINCR n\r\nLPUSH l a b\r\n"
                + "GET l\r\nLRANGE nolist 0 -1\r\nBLPOP nolist 0.01\r\nHSET h f1 v1 f2 v2\r\nHGETALL h\r\n"
                + "HGETALL nohash\r\nSADD st x y\r\nSMEMBERS nosuchset\r\nZADD z 1.5 m 2 n\r\n"
                + "ZRANGE z 0 -1 WITHSCORES\r\nZSCORE z m\r\nXADD x 1-1 a 1 b 2\r\nXRANGE x - +\r\n"
                + "XINFO STREAM x\r\nCONFIG GET maxmemory*\r\n"
                + "EVAL \"return {1,{2,{3,'x'}},'y',{}}\" 0\r\nMULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\n"
                + "NOSUCHCOMMAND\r\n" + debug;
        int commonReplies = 28 + DEBUG_TYPES.length;
        CAPTURES.add(capture("resp2", "FLUSHALL\r\n" + common, 1 + commonReplies));
        // RESP3 adds the push frame DEBUG PROTOCOL push sends after its reply.
        CAPTURES.add(capture("resp3", "HELLO 3\r\nFLUSHALL\r\n" + common, 2 + commonReplies + 1));
        CAPTURES.add(capture("resp3 tracking and pub/sub",
                "HELLO 3\r\nCLIENT TRACKING ON\r\nGET k\r\nSET k v\r\nGET k\r\nFLUSHALL\r\nSUBSCRIBE ch\r\n"
                        + "PUBLISH ch hi\r\nPSUBSCRIBE p*\r\nPUBLISH px yo\r\nSSUBSCRIBE sh\r\nSPUBLISH sh zz\r\n"
                        + "PING\r\nUNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\n",
                // 16 replies (subscribe-type commands answer with their confirmation push), plus 2
                // invalidations and 3 messages.
                16 + 2 + 3));
        CAPTURES.add(capturePubSub2());
        CAPTURES.add(capture("resp3 attribute and verbatim only", "HELLO 3\r\nDEBUG PROTOCOL attrib\r\n"
                + "DEBUG PROTOCOL verbatim\r\nDEBUG PROTOCOL bignum\r\n", 4));
        bigStream = capture("big", "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n" + big
                + "\r\nGET big\r\nGET big\r\nHELLO 3\r\nGET big\r\n", 5).bytes();
    }

    private static Capture capture(String name, String commands, int frames) {
        try (RawConnection conn = new RawConnection(valkey.host(), valkey.port())) {
            conn.send(commands + "ECHO _end_\r\n");
            return new Capture(name, conn.readUntilEndsWith(bytes("$5\r\n_end_\r\n"), Duration.ofSeconds(10)),
                    frames + 1);
        }
    }

    /** RESP2 pub/sub: messages arrive on a subscribed connection while another one publishes. */
    private static Capture capturePubSub2() {
        try (RawConnection sub = new RawConnection(valkey.host(), valkey.port());
             RawConnection pub = new RawConnection(valkey.host(), valkey.port())) {
            sub.send("SUBSCRIBE ch other\r\nPSUBSCRIBE p*\r\nPING\r\nPING _sync_\r\n");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            got.writeBytes(sub.readUntilEndsWith(bytes("$6\r\n_sync_\r\n"), Duration.ofSeconds(10)));
            pub.send("PUBLISH ch hello\r\nPUBLISH px bye\r\n");
            pub.readUntilEndsWith(bytes(":1\r\n:1\r\n"), Duration.ofSeconds(10));
            sub.send("UNSUBSCRIBE ch\r\nPING _end_\r\n");
            got.writeBytes(sub.readUntilEndsWith(bytes("$5\r\n_end_\r\n"), Duration.ofSeconds(10)));
            // 2 + 1 confirmations, 2 pongs, 2 messages, 1 confirmation, 1 pong.
            return new Capture("resp2 pub/sub", got.toByteArray(), 9);
        }
    }

    @AfterAll
    static void stop() {
        valkey.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    // ---- independent reference framing: recursive, over a byte array ----

    private static List<byte[]> referenceFrames(byte[] b) {
        List<byte[]> frames = new ArrayList<>();
        int pos = 0;
        while (pos < b.length) {
            int end = skip(b, pos);
            frames.add(Arrays.copyOfRange(b, pos, end));
            pos = end;
        }
        return frames;
    }

    private static int skip(byte[] b, int pos) {
        int cr = pos;
        while (b[cr] != '\r') {
            cr++;
        }
        String header = new String(b, pos + 1, cr - pos - 1, StandardCharsets.US_ASCII);
        int next = cr + 2;
        switch (b[pos]) {
            case '$', '=', '!' -> {
                int len = Integer.parseInt(header);
                return len < 0 ? next : next + len + 2;
            }
            case '*', '~', '>', '%', '|' -> {
                int n = Integer.parseInt(header);
                int elements = b[pos] == '%' ? 2 * n : b[pos] == '|' ? 2 * n + 1 : n;
                for (int i = 0; i < elements; i++) {
                    next = skip(b, next);
                }
                return next;
            }
            default -> {
                return next;
            }
        }
    }

    // ---- decoding through the real decoder ----

    private static List<byte[]> decode(byte[] stream, int... cuts) {
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            pieces.add(Arrays.copyOfRange(stream, from, cut));
            from = cut;
        }
        pieces.add(Arrays.copyOfRange(stream, from, stream.length));
        return decodePieces(pieces, cuts.length == 0);
    }

    private static List<byte[]> decodeByteByByte(byte[] stream) {
        List<byte[]> pieces = new ArrayList<>(stream.length);
        for (byte x : stream) {
            pieces.add(new byte[] {x});
        }
        return decodePieces(pieces, pieces.size() <= 5000);
    }

    /**
     * Leak tracking records a stack trace per buffer, too slow for thousands of decodes: {@code tracked} says
     * whether to feed leak-tracked buffers; untracked ones are still checked to be released.
     */
    private static List<byte[]> decodePieces(List<byte[]> pieces, boolean tracked) {
        List<byte[]> frames = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(FrameBytes.collectingInto(frames));
        List<ByteBuf> fed = new ArrayList<>();
        try {
            for (byte[] p : pieces) {
                if (p.length == 0) {
                    continue;
                }
                ByteBuf buf = tracked ? LeakCheck.buffer(p) : Unpooled.buffer(p.length).writeBytes(p);
                fed.add(buf);
                ch.writeInbound(buf);
            }
            assertThat(ch.finish()).as("no partial frame left over").isFalse();
        } finally {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf buf : fed) {
            assertThat(buf.refCnt()).isZero();
        }
        return frames;
    }

    private static void assertSameFrames(List<byte[]> actual, List<byte[]> expected, String what) {
        assertThat(actual.stream().map(HexFormat.of()::formatHex).toList()).as(what)
                .isEqualTo(expected.stream().map(HexFormat.of()::formatHex).toList());
    }

    @Test
    void capturedStreamsFrameIdenticallyAtEveryBoundary() {
        for (Capture c : CAPTURES) {
            List<byte[]> expected = referenceFrames(c.bytes());
            assertThat(expected).as(c.name() + " reference frame count").hasSize(c.frames());
            assertSameFrames(decode(c.bytes()), expected, c.name() + " whole");
            for (int cut = 1; cut < c.bytes().length; cut++) {
                assertSameFrames(decode(c.bytes(), cut), expected, c.name() + " split at " + cut);
            }
            assertSameFrames(decodeByteByByte(c.bytes()), expected, c.name() + " byte by byte");
        }
    }

    @Test
    void everyResp3TypeIsInTheCorpus() {
        byte[] resp3 = CAPTURES.get(1).bytes();
        List<Byte> types = new ArrayList<>();
        for (byte[] f : referenceFrames(resp3)) {
            types.add(f[0]);
        }
        assertThat(new String(resp3, StandardCharsets.ISO_8859_1)).contains("\r\n=", "\r\n(", "\r\n,", "\r\n#t",
                "\r\n#f", "\r\n~", "\r\n%0", "\r\n_", "\r\n>", "\r\n|", "\r\n-");
        assertThat(types).contains((byte) '|', (byte) '>', (byte) '%', (byte) '~', (byte) '=', (byte) '(',
                (byte) ',', (byte) '#', (byte) '_', (byte) '-', (byte) '*', (byte) '$', (byte) ':', (byte) '+');
    }

    @Test
    void bigValuesFrameInAnyPiecesAndWithFewReads() {
        List<byte[]> expected = referenceFrames(bigStream);
        assertThat(expected).hasSize(6);
        assertThat(expected.get(2)).hasSize(100_000 + "$100000\r\n\r\n".length());
        assertSameFrames(decode(bigStream), expected, "whole");
        Random random = new Random(1);
        for (int i = 0; i < 40; i++) {
            int a = 1 + random.nextInt(bigStream.length - 2);
            int b = 1 + random.nextInt(bigStream.length - 2);
            if (a != b) {
                assertSameFrames(decode(bigStream, Math.min(a, b), Math.max(a, b)), expected, "cuts " + a + "," + b);
            }
        }
        for (int cut = 1; cut < 64; cut++) {
            assertSameFrames(decode(bigStream, cut), expected, "split at " + cut);
            assertSameFrames(decode(bigStream, bigStream.length - cut), expected, "split at -" + cut);
        }
        assertSameFrames(decodeByteByByte(bigStream), expected, "byte by byte");
    }

    @Test
    void bigValueInFixedCapacityBuffersStillFrames() {
        byte[] stream = bytes("$100000\r\n" + "v".repeat(100_000) + "\r\n+OK\r\n");
        List<Integer> sizes = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyFrameDecoder(f -> sizes.add(f.length())));
        try {
            for (int from = 0; from < stream.length; from += 1000) {
                int len = Math.min(1000, stream.length - from);
                ch.writeInbound(PooledByteBufAllocator.DEFAULT.heapBuffer(len, len).writeBytes(stream, from, len));
            }
        } finally {
            ch.finishAndReleaseAll();
        }
        assertThat(sizes).containsExactly(100_000 + 11, 5);
    }

    @Test
    void deeplyNestedRepliesNeedNoJavaStack() {
        int depth = 100_000;
        StringBuilder sb = new StringBuilder();
        sb.append("*1\r\n".repeat(depth)).append(":1\r\n").append("+OK\r\n");
        List<byte[]> frames = decode(bytes(sb.toString()));
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0)).hasSize(depth * 4 + 4);
    }

    @Test
    void emptyAndNullAggregatesAreWholeFrames() {
        String stream = "*0\r\n*-1\r\n%0\r\n~0\r\n>0\r\n$-1\r\n$0\r\n\r\n*2\r\n*0\r\n%0\r\n|0\r\n:1\r\n!3\r\nERR\r\n";
        List<byte[]> expected = referenceFrames(bytes(stream));
        assertThat(expected).hasSize(10);
        byte[] b = bytes(stream);
        for (int cut = 1; cut < b.length; cut++) {
            assertSameFrames(decode(b, cut), expected, "split at " + cut);
        }
    }

    @Test
    void garbageFromUpstreamIsOneDecoderErrorAndTheRestIsDropped() {
        for (String garbage : new String[] {"?what\r\n", "*x\r\n", "$1a\r\n"}) {
            List<String> seen = new ArrayList<>();
            EmbeddedChannel ch = new EmbeddedChannel(new ReplyFrameDecoder(f -> seen.add(f.simpleString())));
            try {
                ByteBuf first = LeakCheck.buffer(bytes("+OK\r\n" + garbage + "+MORE\r\n"));
                assertThatThrownBy(() -> ch.writeInbound(first)).as(garbage).isInstanceOf(DecoderException.class);
                assertThat(seen).containsExactly("OK");
                ByteBuf later = LeakCheck.buffer(bytes("+LATER\r\n"));
                ch.writeInbound(later);
                assertThat(later.refCnt()).isZero();
                assertThat(seen).containsExactly("OK");
                assertThat(ch.finish()).isFalse();
            } finally {
                ch.finishAndReleaseAll();
            }
        }
    }

    /**
     * With auto-read off (its client takes no more) the connection stays unread: the decoder hands frames to its
     * handler, not down the pipeline, and must not take a read that delivered them for one that produced nothing,
     * for which Netty's decoder asks for the next read itself.
     */
    @Test
    void withAutoReadOffNoFurtherReadIsRequested() {
        AtomicInteger readsRequested = new AtomicInteger();
        List<byte[]> frames = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void read(ChannelHandlerContext ctx) {
                readsRequested.incrementAndGet();
                ctx.read();
            }
        }, FrameBytes.collectingInto(frames));
        try {
            ch.config().setAutoRead(false);
            readsRequested.set(0);
            ch.writeInbound(LeakCheck.buffer(bytes("+OK\r\n$5\r\nhel")));
            ch.writeInbound(LeakCheck.buffer(bytes("lo\r\n")));
            assertThat(frames).hasSize(2);
            assertThat(readsRequested).hasValue(0);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /**
     * A reply stream that never pauses (a partial frame always pending) while the frames of each read are still
     * held when the read ends (a session keeps a frame that cannot be relayed yet): the decoder's buffer must stay
     * the size of what is unread, not of everything that went through it.
     */
    @Test
    void aStreamThatNeverPausesDoesNotGrowTheBuffer() {
        PooledByteBufAllocator alloc = new PooledByteBufAllocator(false);
        List<ByteBuf> held = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyFrameDecoder(f -> held.add(f.retainedRaw())));
        ch.config().setAllocator(alloc);
        byte[] frame = ("$1000\r\n" + "x".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        int frames = 0;
        for (int i = 0; i < 10_000; i++) {
            frames += held.size();
            held.forEach(ByteBuf::release);
            held.clear();
            // The second half of one frame (none before the first) and the first half of the next.
            ByteBuf chunk = Unpooled.buffer(frame.length);
            if (i > 0) {
                chunk.writeBytes(frame, frame.length / 2, frame.length - frame.length / 2);
            }
            chunk.writeBytes(frame, 0, frame.length / 2);
            ch.writeInbound(chunk);
        }
        frames += held.size();
        assertThat(frames).isEqualTo(9_999);
        assertThat(alloc.metric().usedHeapMemory()).isLessThan(8L * 1024 * 1024);
        held.forEach(ByteBuf::release);
        ch.finishAndReleaseAll();
    }
}
