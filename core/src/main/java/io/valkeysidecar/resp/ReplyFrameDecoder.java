package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
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

    private final RespScanner scanner = new RespScanner();
    /** Set once Valkey's stream made no sense: everything after is dropped (the connection must close). */
    private boolean broken;

    public ReplyFrameDecoder() {
        setCumulator(CompactingCumulator.INSTANCE);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            while (in.isReadable()) {
                int length = scanner.scan(in, in.readerIndex(), true);
                if (length < 0) {
                    return;
                }
                out.add(new ReplyFrame(in.readRetainedSlice(length)));
            }
        } catch (DecoderException e) {
            broken = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}
