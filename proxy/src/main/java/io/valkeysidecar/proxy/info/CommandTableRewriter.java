package io.valkeysidecar.proxy.info;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.valkeysidecar.extension.CommandDescriptor;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.resp.ReplyEdits;
import io.valkeysidecar.resp.ReplyEncoder;
import io.valkeysidecar.resp.RespScanner;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Makes COMMAND, COMMAND COUNT, COMMAND LIST and COMMAND INFO include the sidecar's own commands, so clients that introspect
 * the server (cluster routers, Lettuce) see them as first-class commands.
 */
public final class CommandTableRewriter {

    private final List<CommandDescriptor> descriptors;
    private final Map<String, CommandDescriptor> byName = new HashMap<>();

    public CommandTableRewriter(List<CommandDescriptor> descriptors) {
        this.descriptors = List.copyOf(descriptors);
        descriptors.forEach(d -> byName.put(d.name(), d));
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
        if (c.argIs(1, "INFO")) {
            if (c.argc() == 2) {
                return (reply, protocol, alloc) -> appendToArray(reply, protocol, alloc, true);
            }
            CommandDescriptor[] asked = new CommandDescriptor[c.argc() - 2];
            boolean any = false;
            for (int i = 2; i < c.argc(); i++) {
                asked[i - 2] = byName.get(c.argString(i).toLowerCase(Locale.ROOT));
                any |= asked[i - 2] != null;
            }
            return any ? (reply, protocol, alloc) -> fillInfo(reply, asked, protocol, alloc) : null;
        }
        return null;
    }

    /** COMMAND INFO a b c: Valkey answers null for the sidecar's commands; put their entries there. */
    private static ByteBuf fillInfo(ByteBuf reply, CommandDescriptor[] asked, int protocol, ByteBufAllocator alloc) {
        int r = reply.readerIndex();
        if (reply.getByte(r) != '*') {
            return reply;
        }
        int p = reply.indexOf(r, reply.writerIndex(), (byte) '\n') + 1;
        ByteBuf out = alloc.buffer(reply.readableBytes() + 256);
        out.writeBytes(reply, r, p - r);
        for (CommandDescriptor d : asked) {
            int end = RespScanner.valueEnd(reply, p);
            if (end < 0) {
                out.release();
                return reply;
            }
            byte t = reply.getByte(p);
            boolean isNull = t == '_' || ((t == '*' || t == '$') && reply.getByte(p + 1) == '-');
            if (d != null && isNull) {
                ReplyEncoder.encode(d.toReply(), protocol, out);
            } else {
                out.writeBytes(reply, p, end - p);
            }
            p = end;
        }
        reply.release();
        return out;
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
