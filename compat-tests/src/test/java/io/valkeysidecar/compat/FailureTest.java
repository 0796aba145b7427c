package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.TestValkey;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Valkey unreachable, crashing and coming back: clients get immediate clear errors and then service again. */
class FailureTest {

    private static final String UNAVAILABLE = "-ERR valkey-sidecar: Valkey is unavailable (";
    private static final String LOST = "-ERR valkey-sidecar: connection to Valkey lost\r\n";

    @Test
    void nothingListeningGivesAnImmediateClearError() throws Exception {
        int port = refusedPortBelowEphemeralRange();
        try (SidecarServer sidecar = SidecarFixture.startSidecar("127.0.0.1", port, RespLimits.DEFAULTS, 0, 100)) {
            // Enough clients to open the circuit breaker; each request is answered at once either way.
            for (int i = 0; i < 8; i++) {
                try (RawRespClient c = new RawRespClient("127.0.0.1", sidecar.port())) {
                    long t0 = System.nanoTime();
                    c.send(Scripts.encode("PING", "GET k", "SET k v"));
                    List<String> replies = RawRespClient.show(c.read(3));
                    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000);
                    assertThat(replies).allMatch(r -> r.startsWith(UNAVAILABLE) && r.contains("127.0.0.1:" + port));
                    // The connection stays usable: a later request is answered (and may retry Valkey) too.
                    assertThat(c.call("PING")).startsWith(UNAVAILABLE);
                }
            }
        }
    }

    /**
     * A loopback port where nothing listens, outside the ephemeral range: a probed "free" ephemeral port could be
     * handed to the sidecar's own port-0 bind a moment later, making the sidecar its own upstream.
     */
    private static int refusedPortBelowEphemeralRange() throws IOException {
        for (int port = 19999; port > 19000; port--) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            } catch (ConnectException refused) {
                return port;
            }
        }
        throw new IllegalStateException("no refused port between 19000 and 19999");
    }

    @Test
    void killedValkeyFailsPendingRequestsAndARestartedOneIsServedAgain() throws Exception {
        TestValkey valkey = TestValkey.start();
        ValkeyProcess restarted = null;
        try (SidecarServer sidecar = SidecarFixture.startSidecar(valkey.host(), valkey.port(), RespLimits.DEFAULTS, 0, 100);
             RawRespClient idle = new RawRespClient("127.0.0.1", sidecar.port());
             RawRespClient blocked = new RawRespClient("127.0.0.1", sidecar.port())) {
            assertThat(idle.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(blocked.call("PING")).isEqualTo("+PONG\r\n");
            blocked.send(Scripts.encode("BLPOP never 0", "PING"));
            Thread.sleep(200);

            long t0 = System.nanoTime();
            valkey.kill();
            byte[] fromBlocked = blocked.readUntilClosed(3000);
            assertThat(new String(fromBlocked, StandardCharsets.US_ASCII)).isEqualTo(LOST + LOST);
            assertThat(blocked.closedByPeer(100)).isTrue();
            assertThat(idle.closedByPeer(3000)).isTrue();
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(3000);

            // While Valkey is down, a client that connects is answered at once and stays connected.
            try (RawRespClient during = new RawRespClient("127.0.0.1", sidecar.port())) {
                for (int i = 0; i < 6; i++) {
                    long t1 = System.nanoTime();
                    assertThat(during.call("PING")).startsWith(UNAVAILABLE);
                    assertThat((System.nanoTime() - t1) / 1_000_000).isLessThan(3000);
                }
                restarted = ValkeyProcess.startOnPort("valkey-server", Files.createTempDirectory("restarted-valkey-"),
                        valkey.port(), List.of("--save", "", "--appendonly", "no"), Duration.ofSeconds(20));
                // The same connection is served again once the breaker lets a connection attempt through.
                assertThat(pingUntilPong(during, 10_000)).isTrue();
                assertThat(during.call("SET", "back", "yes")).isEqualTo("+OK\r\n");
            }
            try (RawRespClient after = new RawRespClient("127.0.0.1", sidecar.port())) {
                assertThat(after.call("GET", "back")).isEqualTo("$3\r\nyes\r\n");
                assertThat(after.call("INFO", "sidecar")).contains("upstream_circuit_state:closed");
            }
        } finally {
            if (restarted != null) {
                restarted.close();
            }
            valkey.close();
        }
    }

    private static boolean pingUntilPong(RawRespClient c, long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            String reply = c.call("PING");
            if (reply.equals("+PONG\r\n")) {
                return true;
            }
            assertThat(reply).startsWith(UNAVAILABLE);
            Thread.sleep(100);
        }
        return false;
    }
}
