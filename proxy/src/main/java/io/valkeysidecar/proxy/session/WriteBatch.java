package io.valkeysidecar.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.valkeysidecar.resp.ReplyFrame;

/**
 * Gathers the small buffers written to one channel between flushes into a single buffer. A pipeline's worth of
 * replies (or of requests on the shared upstream) then leaves as one outbound message instead of one per frame:
 * Netty's bookkeeping per message (an outbound entry, reference counts, pending-byte accounting, an iovec) costs
 * more than copying a few hundred bytes. Larger buffers are written as they are, never copied.
 */
final class WriteBatch {

    /** Buffers up to this size are copied into the batch. */
    private static final int COPY_LIMIT = 2048;
    /** A batch this large is handed to the channel at once, so the channel's writability still sees it. */
    private static final int BATCH_LIMIT = 64 * 1024;
    private static final int MIN_CAPACITY = 4096;

    private final Channel channel;
    private ByteBuf batch;
    /** Bytes written since the last flush, for the caller's traffic count (one counter update per flush). */
    private long pending;
    /**
     * Capacity of the next batch: what the previous one needed, and a quarter more. A steady pipeline's batch is then
     * allocated once at its size instead of growing by doublings (16 replies of 1 KB grew a 4 KB buffer three times,
     * copying each time).
     */
    private int nextCapacity = MIN_CAPACITY;

    WriteBatch(Channel channel) {
        this.channel = channel;
    }

    /** Writes {@code buf} (taking ownership of it) without flushing. */
    void write(ByteBuf buf) {
        if (buf.readableBytes() > COPY_LIMIT) {
            writeLarge(buf);
            return;
        }
        copy(buf);
        buf.release();
    }

    /**
     * Writes {@code buf} without taking ownership of it (nor moving its reader index), without flushing. A forwarded
     * request is written this way: its bytes are copied into the batch anyway, so retaining it for the write and
     * releasing it after the copy would be two atomic reference-count updates for nothing.
     */
    void writeCopy(ByteBuf buf) {
        if (buf.readableBytes() > COPY_LIMIT) {
            writeLarge(buf.retain());
            return;
        }
        copy(buf);
    }

    private void writeLarge(ByteBuf buf) {
        pending += buf.readableBytes();
        drain();
        channel.write(buf, channel.voidPromise());
    }

    private void copy(ByteBuf buf) {
        int n = buf.readableBytes();
        pending += n;
        batch().writeBytes(buf, buf.readerIndex(), n);
        drainIfFull();
    }

    /** Writes a reply frame as it is relayed, without flushing: copied, or for a large one a retained slice. */
    void write(ReplyFrame frame) {
        int n = frame.length();
        pending += n;
        if (n > COPY_LIMIT) {
            drain();
            channel.write(frame.retainedRaw(), channel.voidPromise());
            return;
        }
        frame.copyTo(batch());
        drainIfFull();
    }

    private ByteBuf batch() {
        if (batch == null) {
            batch = channel.alloc().ioBuffer(nextCapacity);
        }
        return batch;
    }

    private void drainIfFull() {
        if (batch.readableBytes() >= BATCH_LIMIT) {
            drain();
        }
    }

    /** Hands the batch gathered so far to the channel, without flushing. */
    void drain() {
        if (batch != null) {
            ByteBuf b = batch;
            batch = null;
            int used = b.readableBytes();
            nextCapacity = Math.max(MIN_CAPACITY, Math.min(BATCH_LIMIT, used + used / 4));
            channel.write(b, channel.voidPromise());
        }
    }

    /** Flushes everything written so far; returns its size in bytes. */
    long flush() {
        drain();
        channel.flush();
        long flushed = pending;
        pending = 0;
        return flushed;
    }

    /** Drops what was gathered (the channel is gone). */
    void discard() {
        if (batch != null) {
            batch.release();
            batch = null;
        }
    }
}
