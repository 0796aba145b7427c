package io.valkeysidecar.proxy.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.valkeysidecar.resp.ReplyFrame;
import io.valkeysidecar.resp.ReplyFrameDecoder;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Valkey side of a {@link ClientSession}: hands framed replies and channel events to the session. */
final class UpstreamHandler extends ChannelInboundHandlerAdapter implements ReplyFrameDecoder.FrameHandler {

    private static final Logger log = LoggerFactory.getLogger(UpstreamHandler.class);

    private final ClientSession session;

    UpstreamHandler(ClientSession session) {
        this.session = session;
    }

    @Override
    public void onFrame(ReplyFrame frame) {
        session.onUpstreamFrame(frame);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.onUpstreamReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.updateReadability();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.onUpstreamClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!(cause instanceof IOException)) {
            log.warn("upstream connection failed", cause);
        }
        ctx.close();
    }
}
