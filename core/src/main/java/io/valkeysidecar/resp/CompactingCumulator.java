package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Cumulation for decoders whose frames are retained slices of it. Netty's default cumulator grows the buffer in
 * place, keeping the bytes already framed, and discards them only when no frame holds the buffer; on a stream
 * that never pauses while frames are in flight (the shared upstream connection) that moment may never come
 * and the buffer grows without end. Here a cumulation that runs out of room is replaced by one holding only the
 * unread tail, sized with the allocator's usual growth so a large frame arriving in many reads is still copied
 * an amortised constant number of times; the frames keep the old buffer alive only as long as they live.
 */
final class CompactingCumulator implements ByteToMessageDecoder.Cumulator {

    static final CompactingCumulator INSTANCE = new CompactingCumulator();

    private CompactingCumulator() {
    }

    @Override
    public ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (!cumulation.isReadable() && in.isContiguous()) {
            cumulation.release();
            return in;
        }
        try {
            int required = in.readableBytes();
            if (required <= cumulation.maxFastWritableBytes() && !cumulation.isReadOnly()) {
                cumulation.writeBytes(in, in.readerIndex(), required);
                in.readerIndex(in.writerIndex());
                return cumulation;
            }
            int needed = cumulation.readableBytes() + required;
            ByteBuf fresh = alloc.buffer(alloc.calculateNewCapacity(needed, Integer.MAX_VALUE));
            fresh.writeBytes(cumulation).writeBytes(in);
            cumulation.release();
            return fresh;
        } finally {
            in.release();
        }
    }
}
