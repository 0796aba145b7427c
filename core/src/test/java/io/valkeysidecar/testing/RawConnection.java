package io.valkeysidecar.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/** A plain TCP connection to a RESP server for byte-exact tests: write bytes, read what comes back. */
public final class RawConnection implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;

    public RawConnection(String host, int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setTcpNoDelay(true);
            in = socket.getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawConnection send(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawConnection send(String ascii) {
        return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads until the bytes received end with {@code suffix}; fails after {@code timeout}. */
    public byte[] readUntilEndsWith(byte[] suffix, Duration timeout) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buf = new byte[64 * 1024];
        try {
            while (!endsWith(got, suffix)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no reply ending with " + new String(suffix, StandardCharsets.ISO_8859_1)
                            + " within " + timeout + "; got " + got.size() + " bytes");
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n = in.read(buf);
                if (n < 0) {
                    throw new AssertionError("connection closed after " + got.size() + " bytes");
                }
                got.write(buf, 0, n);
            }
            return got.toByteArray();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no reply within " + timeout + "; got " + got.size() + " bytes", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads until the server closes the connection or sends nothing for {@code quiet}; returns what arrived
     * and whether the connection was closed.
     */
    public Result readUntilClosedOrQuiet(Duration quiet) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        try {
            socket.setSoTimeout((int) quiet.toMillis());
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    return new Result(got.toByteArray(), true);
                }
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            return new Result(got.toByteArray(), false);
        } catch (IOException e) {
            // A reset after the server closed: what arrived before still counts.
            return new Result(got.toByteArray(), true);
        }
    }

    public record Result(byte[] bytes, boolean closed) {
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean endsWith(ByteArrayOutputStream got, byte[] suffix) {
        if (got.size() < suffix.length) {
            return false;
        }
        byte[] all = got.toByteArray();
        return Arrays.equals(all, all.length - suffix.length, all.length, suffix, 0, suffix.length);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
