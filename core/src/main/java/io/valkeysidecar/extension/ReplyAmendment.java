package io.valkeysidecar.extension;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Amends Valkey's reply to a forwarded command before the client sees it (INFO gains the sidecar's sections,
 * DEL counts keys deleted from the spill tier). Runs on the event loop, so it must be cheap; it owns
 * {@code reply} and returns the buffer to write (possibly {@code reply} itself). Error replies are not amended.
 */
@FunctionalInterface
public interface ReplyAmendment {

    ByteBuf amend(ByteBuf reply, int protocol, ByteBufAllocator alloc);
}
