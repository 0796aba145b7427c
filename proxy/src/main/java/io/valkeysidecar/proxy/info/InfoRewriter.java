package io.valkeysidecar.proxy.info;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.TextReply;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Appends the sidecar's INFO sections to Valkey's INFO reply: all of them for plain INFO (and "default",
 * "all", "everything"), otherwise those named in the request, so monitoring that parses INFO sees one document.
 */
public final class InfoRewriter {

    private final List<InfoSection> sections;

    public InfoRewriter(List<InfoSection> sections) {
        this.sections = List.copyOf(sections);
    }

    /** The rewriter for this INFO request, or null when it asks for none of the sidecar's sections. */
    public ReplyAmendment forRequest(Command info) {
        List<InfoSection> chosen = new ArrayList<>();
        if (info.argc() == 1) {
            chosen.addAll(sections);
        } else {
            Set<String> requested = new HashSet<>();
            for (int i = 1; i < info.argc(); i++) {
                requested.add(info.argString(i).toLowerCase(Locale.ROOT));
            }
            boolean everything = requested.contains("default") || requested.contains("all")
                    || requested.contains("everything");
            for (InfoSection s : sections) {
                if (everything || requested.contains(s.name())) {
                    chosen.add(s);
                }
            }
        }
        return chosen.isEmpty() ? null : (reply, protocol, alloc) -> append(reply, chosen, protocol, alloc);
    }

    private static ByteBuf append(ByteBuf reply, List<InfoSection> chosen, int protocol, ByteBufAllocator alloc) {
        String text = TextReply.text(reply);
        if (text == null) {
            return reply;
        }
        StringBuilder sb = new StringBuilder(text);
        for (InfoSection s : chosen) {
            if (sb.length() > 0) {
                sb.append("\r\n");
            }
            sb.append("# ").append(Character.toUpperCase(s.name().charAt(0))).append(s.name().substring(1)).append("\r\n");
            for (Map.Entry<String, String> f : s.fields().entrySet()) {
                sb.append(f.getKey()).append(':').append(f.getValue()).append("\r\n");
            }
        }
        return TextReply.replace(reply, sb.toString(), protocol, alloc);
    }
}
