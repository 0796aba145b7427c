package io.valkeysidecar.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Rewrites Valkey's reply to a forwarded command before the client sees it (e.g. INFO gains the sidecar's
 * sections). Runs on the event loop, so it must be cheap; it owns {@code reply} and returns the buffer to write.
 */
@FunctionalInterface
public interface ReplyRewriter {

    ByteBuf rewrite(ByteBuf reply, int protocol, ByteBufAllocator alloc);
}
