package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Load: a client that stops reading slows Valkey's writes to it instead of filling the sidecar's memory, and
 * many clients pipelining at once each get their own replies, in order.
 */
class BackpressureTest extends SharedSidecar {

    @Test
    void aSlowReaderDoesNotMakeTheSidecarBuffer() throws Exception {
        int size = 1024 * 1024;
        int requests = 100;
        byte[] value = new byte[size];
        Arrays.fill(value, (byte) 'v');
        try (Socket direct = new Socket(fx.host(), fx.valkeyPort())) {
            direct.getOutputStream().write(Scripts.multibulk(List.of(
                    "SET".getBytes(StandardCharsets.US_ASCII), "big".getBytes(StandardCharsets.US_ASCII), value)));
            assertThat(new String(direct.getInputStream().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
        }
        long before = usedPooledMemory();
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(64 * 1024);
            slow.connect(new InetSocketAddress(fx.host(), fx.sidecarPort()), 2000);
            slow.setSoTimeout(30_000);
            OutputStream out = slow.getOutputStream();
            String[] gets = new String[requests];
            Arrays.fill(gets, "GET big");
            out.write(Scripts.encode(gets));
            out.flush();

            // 100 MB of replies are due; the slow client reads nothing for a while.
            long peak = 0;
            for (int i = 0; i < 100; i++) {
                peak = Math.max(peak, usedPooledMemory() - before);
                Thread.sleep(20);
            }
            assertThat(peak).isLessThan(32L * 1024 * 1024);
            // The event loop is free meanwhile: other clients are served.
            try (RawRespClient other = new RawRespClient(fx.host(), fx.sidecarPort())) {
                assertThat(other.call("PING")).isEqualTo("+PONG\r\n");
            }

            byte[] header = ("$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII);
            InputStream in = slow.getInputStream();
            for (int i = 0; i < requests; i++) {
                assertThat(in.readNBytes(header.length)).isEqualTo(header);
                byte[] body = in.readNBytes(size);
                assertThat(body.length).isEqualTo(size);
                assertThat(body[0]).isEqualTo((byte) 'v');
                assertThat(body[size - 1]).isEqualTo((byte) 'v');
                assertThat(in.readNBytes(2)).isEqualTo("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void concurrentPipelinesEachGetTheirOwnRepliesInOrder() throws Exception {
        int clients = 8;
        int perClient = 1500;
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            for (int c = 0; c < clients; c++) {
                String key = "concurrent:" + c;
                runs.add(CompletableFuture.runAsync(() -> {
                    try (RawRespClient client = new RawRespClient(fx.host(), fx.sidecarPort())) {
                        String[] lines = new String[perClient];
                        for (int i = 0; i < perClient; i++) {
                            lines[i] = i % 3 == 2 ? "ECHO " + key + ":" + i : "INCR " + key;
                        }
                        client.send(Scripts.encode(lines));
                        long expected = 0;
                        for (int i = 0; i < perClient; i++) {
                            String reply = new String(client.read(), StandardCharsets.US_ASCII);
                            if (i % 3 == 2) {
                                String echo = key + ":" + i;
                                assertThat(reply).isEqualTo("$" + echo.length() + "\r\n" + echo + "\r\n");
                            } else {
                                assertThat(reply).isEqualTo(":" + (++expected) + "\r\n");
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long usedPooledMemory() {
        return PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()
                + PooledByteBufAllocator.DEFAULT.metric().usedHeapMemory();
    }
}
