package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.TestValkey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Malformed requests, configured limits and the client limit: Valkey's answers, and nobody else disturbed. */
class BadInputTest {

    private static SidecarFixture fx;
    /** A client connected before any bad input, which must be served throughout. */
    private static RawRespClient bystander;

    @BeforeAll
    static void start() throws IOException {
        fx = SidecarFixture.start();
        bystander = new RawRespClient(fx.host(), fx.sidecarPort());
    }

    @AfterAll
    static void stop() throws IOException {
        bystander.close();
        fx.close();
    }

    /**
     * Each input ends in a way that makes Valkey's answer independent of how its reads split the bytes. Lines
     * longer than 64 KB are sent without their line end: Valkey judges an over-long line only when its end has
     * not arrived, so a long line that arrives whole in one read may pass there, while the sidecar (at least as
     * strict, the same for every split) refuses it.
     */
    static List<String> malformed() {
        String longLine = "x".repeat(70_000);
        return List.of(
                "*abc\r\nPING\r\n",
                "*-\r\nPING\r\n",
                "*3000000000\r\nPING\r\n",
                "*1\r\nfoo\r\nPING\r\n",
                "*2\r\n$3\r\nGET\r\n:1\r\nPING\r\n",
                "*1\r\n$abc\r\nPING\r\n",
                "*1\r\n$-5\r\nPING\r\n",
                "*1\r\n$+3\r\nGET\r\nPING\r\n",
                "*1\r\n$03\r\nGET\r\nPING\r\n",
                "*1\r\n$600000000\r\nPING\r\n",
                "*" + longLine,
                "*1\r\n$" + longLine,
                longLine,
                "SET \"unbalanced value\r\nPING\r\n",
                "SET k 'single\r\nPING\r\n",
                "SET \"a\"b c\r\nPING\r\n",
                "PING\r\nPING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n");
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void protocolErrorsAreValkeysAndCloseTheConnection(String input) throws Exception {
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        String direct = exchange(fx.valkeyPort(), bytes);
        String viaSidecar = exchange(fx.sidecarPort(), bytes);
        assertThat(viaSidecar).isEqualTo(direct).contains("-ERR Protocol error: ").endsWith("<closed>");
        assertThat(bystander.call("PING")).isEqualTo("+PONG\r\n");
    }

    /** Sends {@code bytes}, returns everything received until the peer closed (marked) or 3 s passed. */
    private static String exchange(int port, byte[] bytes) throws IOException {
        try (RawRespClient c = new RawRespClient("127.0.0.1", port)) {
            c.send(bytes);
            String received = new String(c.readUntilClosed(3000), StandardCharsets.ISO_8859_1);
            return c.closedByPeer(10) ? received + "<closed>" : received;
        }
    }

    @Test
    void configuredLimitsRejectOversizeRequests() throws Exception {
        RespLimits small = new RespLimits(1024, 16, 256);
        try (SidecarServer limited = SidecarFixture.startSidecar(fx.host(), fx.valkeyPort(), small, 0, 100)) {
            int port = limited.port();
            String within = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1024\r\n" + "v".repeat(1024) + "\r\n";
            assertThat(exchangeOne(port, within)).isEqualTo("+OK\r\n");
            String bulk = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1025\r\n" + "v".repeat(1025) + "\r\n";
            assertThat(exchange(port, bulk.getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo("-ERR Protocol error: invalid bulk length\r\n<closed>");
            StringBuilder array = new StringBuilder("*17\r\n$4\r\nMGET\r\n");
            for (int i = 0; i < 16; i++) {
                array.append("$1\r\nk\r\n");
            }
            assertThat(exchange(port, array.toString().getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo("-ERR Protocol error: invalid multibulk length\r\n<closed>");
            assertThat(exchangeOne(port, "ECHO " + "i".repeat(200) + "\r\n")).startsWith("$200\r\n");
            assertThat(exchange(port, ("ECHO " + "i".repeat(300) + "\r\n").getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo("-ERR Protocol error: too big inline request\r\n<closed>");
            assertThat(exchangeOne(port, "PING\r\n")).isEqualTo("+PONG\r\n");
        }
        assertThat(bystander.call("PING")).isEqualTo("+PONG\r\n");
    }

    private static String exchangeOne(int port, String request) throws IOException {
        try (RawRespClient c = new RawRespClient("127.0.0.1", port)) {
            c.send(request.getBytes(StandardCharsets.US_ASCII));
            return new String(c.read(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void maxClientsRejectsWithValkeysTextAndRecovers() throws Exception {
        String valkeyText;
        // A Valkey of its own: lowering the fixture's maxclients would also refuse connections its sidecar opens
        // meanwhile (a session's own upstream, a reconnect), failing whichever test owned them.
        try (TestValkey full = TestValkey.start();
             RawRespClient admin = new RawRespClient(full.host(), full.port())) {
            admin.call("CONFIG", "SET", "maxclients", "1");
            try (RawRespClient over = new RawRespClient(full.host(), full.port())) {
                valkeyText = new String(over.readUntilClosed(3000), StandardCharsets.US_ASCII);
            }
        }
        assertThat(valkeyText).isEqualTo("-ERR max number of clients reached\r\n");
        try (SidecarServer limited = SidecarFixture.startSidecar(fx.host(), fx.valkeyPort(), RespLimits.DEFAULTS, 0, 2);
             RawRespClient first = new RawRespClient("127.0.0.1", limited.port());
             RawRespClient second = new RawRespClient("127.0.0.1", limited.port())) {
            assertThat(first.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(second.call("PING")).isEqualTo("+PONG\r\n");
            try (RawRespClient third = new RawRespClient("127.0.0.1", limited.port())) {
                assertThat(new String(third.readUntilClosed(3000), StandardCharsets.US_ASCII)).isEqualTo(valkeyText);
            }
            assertThat(first.call("PING")).isEqualTo("+PONG\r\n");
            second.close();
            long deadline = System.nanoTime() + 3_000_000_000L;
            String reply = "";
            while (System.nanoTime() < deadline && !reply.equals("+PONG\r\n")) {
                try (RawRespClient again = new RawRespClient("127.0.0.1", limited.port())) {
                    again.send("PING");
                    reply = new String(again.readUntilClosed(200), StandardCharsets.US_ASCII);
                }
            }
            assertThat(reply).isEqualTo("+PONG\r\n");
        }
    }
}
