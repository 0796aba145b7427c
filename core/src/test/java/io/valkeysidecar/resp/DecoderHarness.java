package io.valkeysidecar.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.valkeysidecar.testing.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Feeds bytes to a {@link RequestDecoder} in given pieces and snapshots what it emits, releasing everything. */
final class DecoderHarness {

    private DecoderHarness() {
    }

    /** What a decoded {@link Command} holds, comparable by value; arguments as ISO-8859-1 text. */
    record Cmd(boolean inline, List<String> args, String raw) {
        static Cmd multibulk(String raw, String... args) {
            return new Cmd(false, List.of(args), raw);
        }

        static Cmd inline(String raw, String... args) {
            return new Cmd(true, List.of(args), raw);
        }
    }

    static byte[] bytes(String iso) {
        return iso.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String iso(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** Decodes {@code input} split at the given offsets (ascending). */
    static List<Object> decode(RespLimits limits, byte[] input, int... cuts) {
        List<byte[]> pieces = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            pieces.add(java.util.Arrays.copyOfRange(input, from, cut));
            from = cut;
        }
        pieces.add(java.util.Arrays.copyOfRange(input, from, input.length));
        return decodePieces(limits, pieces);
    }

    static List<Object> decodeByteByByte(RespLimits limits, byte[] input) {
        List<byte[]> pieces = new ArrayList<>();
        for (byte b : input) {
            pieces.add(new byte[] {b});
        }
        return decodePieces(limits, pieces);
    }

    static List<Object> decodePieces(RespLimits limits, List<byte[]> pieces) {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(limits));
        List<ByteBuf> fed = new ArrayList<>();
        List<Object> result = new ArrayList<>();
        try {
            for (byte[] piece : pieces) {
                if (piece.length == 0) {
                    continue;
                }
                // Leak tracking records a stack trace per buffer: beyond a few thousand reads, plain buffers
                // (whose release is still checked below) keep the test fast.
                ByteBuf buf = pieces.size() > 5000 ? Unpooled.buffer(piece.length).writeBytes(piece)
                        : LeakCheck.buffer(piece);
                fed.add(buf);
                ch.writeInbound(buf);
                drain(ch, result);
            }
            ch.finish();
            drain(ch, result);
        } finally {
            ch.finishAndReleaseAll();
        }
        for (ByteBuf buf : fed) {
            assertThat(buf.refCnt()).as("input buffer released").isZero();
        }
        return result;
    }

    private static void drain(EmbeddedChannel ch, List<Object> result) {
        Object msg;
        while ((msg = ch.readInbound()) != null) {
            result.add(snapshot(msg));
        }
    }

    private static Object snapshot(Object msg) {
        if (!(msg instanceof Command c)) {
            ReferenceCountUtil.release(msg);
            return msg;
        }
        List<String> args = new ArrayList<>();
        for (int i = 0; i < c.argc(); i++) {
            args.add(iso(c.argBytes(i)));
        }
        Cmd cmd = new Cmd(c.isInline(), args, c.raw().toString(StandardCharsets.ISO_8859_1));
        assertThat(c.refCnt()).isEqualTo(1);
        c.release();
        assertThat(c.refCnt()).isZero();
        return cmd;
    }
}
