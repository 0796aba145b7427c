package io.valkeysidecar.valkey;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A blocking one-shot PING over a fresh socket, for health probes off the event loops. */
public final class Ping {

    private Ping() {
    }

    /** The first bytes of Valkey's answer to PING (e.g. "+PONG", or "-NOAUTH ..."), or null if none came. */
    public static String reply(InetSocketAddress address, int timeoutMillis) {
        try (Socket s = new Socket()) {
            InetSocketAddress resolved = address.isUnresolved()
                    ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
            s.connect(resolved, timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[64];
            int n = in.read(buf);
            return n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
