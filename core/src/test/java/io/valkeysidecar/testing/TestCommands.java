package io.valkeysidecar.testing;

import io.netty.channel.embedded.EmbeddedChannel;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.RequestDecoder;
import io.valkeysidecar.resp.RespLimits;
import java.nio.charset.StandardCharsets;

/** Requests as the proxy sees them: decoded by the real {@link RequestDecoder} from what a client would send. */
public final class TestCommands {

    private TestCommands() {
    }

    /** {@code args} as one multibulk request; the caller releases the command. */
    public static Command decode(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return decodeRequest(sb.toString());
    }

    /** {@code line} as one inline (telnet-style) request; the caller releases the command. */
    public static Command decodeInline(String line) {
        return decodeRequest(line + "\r\n");
    }

    private static Command decodeRequest(String request) {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestDecoder(RespLimits.DEFAULTS));
        try {
            ch.writeInbound(LeakCheck.buffer(request.getBytes(StandardCharsets.UTF_8)));
            return ch.readInbound();
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
