package io.valkeysidecar.compat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.valkeysidecar.testing.FrameBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A bare socket speaking RESP, for byte-exact comparisons: requests go out as given, replies come back as the
 * exact bytes of each top-level frame. Reads time out (generously: the build machine may be busy) instead
 * of hanging a test.
 */
public final class RawRespClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final List<byte[]> ready = new ArrayList<>();
    private final EmbeddedChannel framer = new EmbeddedChannel(FrameBytes.collectingInto(ready));

    public RawRespClient(String host, int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 2000);
        socket.setSoTimeout(20_000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Encodes {@code args} as one multibulk request. */
    public static byte[] request(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    public RawRespClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RawRespClient send(String... args) throws IOException {
        return send(request(args));
    }

    /** Sends one command and returns its single reply frame as text. */
    public String call(String... args) throws IOException {
        send(args);
        return new String(read(), StandardCharsets.UTF_8);
    }

    /** The next complete reply frame, byte-exact. */
    public byte[] read() throws IOException {
        byte[] buf = new byte[64 * 1024];
        while (ready.isEmpty()) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("connection closed by peer");
            }
            framer.writeInbound(Unpooled.wrappedBuffer(buf, 0, n));
        }
        return ready.remove(0);
    }

    /** Reads frames up to and including the first one whose bytes contain {@code marker}. */
    public List<byte[]> readThrough(String marker) throws IOException {
        byte[] m = marker.getBytes(StandardCharsets.ISO_8859_1);
        List<byte[]> frames = new ArrayList<>();
        while (true) {
            byte[] f = read();
            frames.add(f);
            if (indexOf(f, m) >= 0) {
                return frames;
            }
        }
    }

    /** Whether no frame arrives within {@code millis} (the read timeout is restored afterwards). */
    public boolean quietFor(int millis) throws IOException {
        if (!ready.isEmpty()) {
            return false;
        }
        int old = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(old);
        }
    }

    /** A frame as readable text: CR and LF escaped, other bytes as ISO-8859-1 (so the mapping is exact). */
    public static String show(byte[] frame) {
        return new String(frame, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
    }

    public static List<String> show(List<byte[]> frames) {
        return frames.stream().map(RawRespClient::show).toList();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Reads {@code n} frames. */
    public List<byte[]> read(int n) throws IOException {
        List<byte[]> frames = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            frames.add(read());
        }
        return frames;
    }

    /** True when the peer closed the connection within the timeout (after any pending bytes). */
    public boolean closedByPeer(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        try {
            byte[] buf = new byte[4096];
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Reads raw bytes until the peer closes or {@code timeoutMillis} passes; for protocol-error tests. */
    public byte[] readUntilClosed(int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // Timed out or reset: return what arrived.
        }
        return all.toByteArray();
    }

    @Override
    public void close() throws IOException {
        framer.finishAndReleaseAll();
        socket.close();
    }
}
