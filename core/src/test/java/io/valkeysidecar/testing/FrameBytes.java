package io.valkeysidecar.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.valkeysidecar.resp.ReplyFrameDecoder;
import java.util.List;

/** Tests' way to read Valkey replies as whole frames: a {@link ReplyFrameDecoder} that copies each frame out. */
public final class FrameBytes {

    private FrameBytes() {
    }

    /** A decoder that appends the bytes of every frame it sees to {@code into}. */
    public static ReplyFrameDecoder collectingInto(List<byte[]> into) {
        return new ReplyFrameDecoder(frame -> {
            ByteBuf raw = frame.retainedRaw();
            try {
                into.add(ByteBufUtil.getBytes(raw));
            } finally {
                raw.release();
            }
        });
    }
}
