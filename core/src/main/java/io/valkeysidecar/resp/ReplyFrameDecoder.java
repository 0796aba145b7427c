package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;

/**
 * Splits Valkey's reply stream into top-level {@link ReplyFrame}s without decoding them, for RESP2 and
 * every RESP3 type (map, set, push, attribute, double, boolean, big number, verbatim, blob error, null), and hands
 * each to a {@link FrameHandler} in place: no message travels the pipeline, so a reply costs no object, slice or
 * reference count of its own.
 *
 * <p>Hand-written because no library frames RESP3 while keeping the original bytes (Netty's codec-redis is
 * RESP2 only). The scan is resumable with an explicit stack, so a million-element reply arriving in many
 * reads costs one pass, and nesting depth never touches the Java stack.
 */
public final class ReplyFrameDecoder extends ByteToMessageDecoder {

    /** Receives every frame, in stream order, on the channel's event loop. */
    @FunctionalInterface
    public interface FrameHandler {
        /** {@code frame} is valid only during this call (see {@link ReplyFrame}). */
        void onFrame(ReplyFrame frame);
    }

    private final FrameHandler handler;
    private final RespScanner scanner = new RespScanner();
    private final ReplyFrame view = new ReplyFrame();
    /** Set once Valkey's stream made no sense: everything after is dropped (the connection must close). */
    private boolean broken;

    public ReplyFrameDecoder(FrameHandler handler) {
        this.handler = handler;
        setCumulator(CompactingCumulator.INSTANCE);
    }

    /**
     * Frames go to the handler, not down the pipeline, so Netty's decoder would take every read for one that produced
     * nothing and, with auto-read off, ask for the next read at once: the handler's backpressure (auto-read off while
     * its client takes no more) would not hold. Here the handler alone decides when reading resumes.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        discardSomeReadBytes();
        ctx.fireChannelReadComplete();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return;
        }
        while (in.isReadable()) {
            int start = in.readerIndex();
            int length;
            try {
                length = scanner.scan(in, start, true);
            } catch (DecoderException e) {
                broken = true;
                in.skipBytes(in.readableBytes());
                throw e;
            }
            if (length < 0) {
                return;
            }
            // Consumed first: the bytes stay in place until this pass ends, whatever the handler does.
            in.skipBytes(length);
            handler.onFrame(view.reset(in, start, length));
        }
    }
}
