package io.valkeysidecar.proxy.info;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.valkeysidecar.extension.CommandDescriptor;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.resp.ReplyEdits;
import io.valkeysidecar.resp.ReplyEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Makes COMMAND, COMMAND COUNT and COMMAND LIST include the sidecar's own commands, so clients that introspect
 * the server (cluster routers, Lettuce) see them as first-class commands.
 */
public final class CommandTableRewriter {

    private final List<CommandDescriptor> descriptors;

    public CommandTableRewriter(List<CommandDescriptor> descriptors) {
        this.descriptors = List.copyOf(descriptors);
    }

    /** The rewriter for a COMMAND request, or null when its reply needs no change. */
    public ReplyAmendment forRequest(Command c) {
        if (descriptors.isEmpty()) {
            return null;
        }
        if (c.argc() == 1) {
            return (reply, protocol, alloc) -> appendToArray(reply, protocol, alloc, true);
        }
        if (c.argc() == 2 && c.argIs(1, "COUNT")) {
            return this::addToCount;
        }
        if (c.argc() == 2 && c.argIs(1, "LIST")) {
            return (reply, protocol, alloc) -> appendToArray(reply, protocol, alloc, false);
        }
        return null;
    }

    private ByteBuf addToCount(ByteBuf reply, int protocol, ByteBufAllocator alloc) {
        ByteBuf amended = ReplyEdits.addToInteger(reply, descriptors.size(), protocol, alloc);
        return amended == null ? reply : amended;
    }

    private ByteBuf appendToArray(ByteBuf reply, int protocol, ByteBufAllocator alloc, boolean fullEntries) {
        int r = reply.readerIndex();
        if (reply.getByte(r) != '*') {
            return reply;
        }
        int eol = reply.indexOf(r, reply.writerIndex(), (byte) '\r');
        long n = Long.parseLong(reply.toString(r + 1, eol - r - 1, StandardCharsets.US_ASCII));
        ByteBuf out = alloc.buffer(reply.readableBytes() + 256 * descriptors.size());
        out.writeByte('*').writeCharSequence(Long.toString(n + descriptors.size()), StandardCharsets.US_ASCII);
        out.writeBytes(reply, eol, reply.writerIndex() - eol);
        for (CommandDescriptor d : descriptors) {
            ReplyEncoder.encode(fullEntries ? d.toReply() : Reply.bulk(d.name()), protocol, out);
        }
        reply.release();
        return out;
    }
}
