package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Transactions and the state that lives on a connection (db, name, user, protocol, reply mode, monitor),
 * compared direct vs sidecar; plus what only the sidecar can show (its upstream connection, its memory).
 */
class ConnectionStateTest extends SharedSidecar {

    @Test
    void transactionsWithSelectAndWatchConflicts() throws Exception {
        List<String> t = fx.same(c -> {
            c.call("a", 6, "MULTI", "SET k db0", "SELECT 5", "SET k db5", "EXEC", "GET k");
            c.call("a", 2, "SELECT 0", "GET k");
            c.call("a", 2, "WATCH k", "GET k");
            c.call("b", 1, "SET k changed-by-b");
            c.call("a", 3, "MULTI", "SET k lost", "EXEC");
            c.call("a", 1, "GET k");
            c.call("a", 5, "WATCH k", "MULTI", "INCR counter", "EXEC", "DISCARD");
            c.call("a", 4, "MULTI", "SET x 1", "NOSUCH", "EXEC");
        });
        assertThat(t).contains("a: $3\\r\\ndb5\\r\\n", "a: *-1\\r\\n", "a: $12\\r\\nchanged-by-b\\r\\n")
                .anyMatch(l -> l.startsWith("a: -EXECABORT"));
    }

    @Test
    void clientReplyOffOnSkip() throws Exception {
        List<String> t = fx.same(c -> {
            c.send("a", "CLIENT REPLY OFF", "SET r 1", "INCR r", "CLIENT REPLY ON", "GET r");
            c.expect("a", 2);
            c.send("a", "CLIENT REPLY SKIP", "INCR r", "GET r", "CLIENT REPLY SKIP", "NOSUCH", "PING");
            c.expect("a", 2);
            c.call("b", 1, "GET r");
            c.expectQuiet("a", 100);
        });
        assertThat(t).containsExactly("a: +OK\\r\\n", "a: $1\\r\\n2\\r\\n", "a: $1\\r\\n3\\r\\n", "a: +PONG\\r\\n",
                "b: $1\\r\\n3\\r\\n", "a: quiet=true");
    }

    @Test
    void clientNameAndInfoAreTheClientsOwn() throws Exception {
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort());
             RawRespClient direct = new RawRespClient(fx.host(), fx.valkeyPort())) {
            assertThat(s.call("CLIENT", "SETNAME", "compat-app")).isEqualTo("+OK\r\n");
            assertThat(s.call("CLIENT", "GETNAME")).isEqualTo("$10\r\ncompat-app\r\n");
            String id = s.call("CLIENT", "ID");
            assertThat(id).matches(":\\d+\r\n");
            String info = s.call("CLIENT", "INFO");
            assertThat(info).contains("id=" + id.substring(1, id.length() - 2) + " ", "name=compat-app ",
                    "cmd=client|info");
            assertThat(direct.call("CLIENT", "LIST")).contains("name=compat-app ");
        }
    }

    @Test
    void clientKillOfItsUpstreamClosesTheClient() throws Exception {
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort());
             RawRespClient direct = new RawRespClient(fx.host(), fx.valkeyPort())) {
            String id = s.call("CLIENT", "ID");
            assertThat(direct.call("CLIENT", "KILL", "ID", id.substring(1, id.length() - 2))).isEqualTo(":1\r\n");
            assertThat(s.closedByPeer(3000)).isTrue();
        }
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(s.call("PING")).isEqualTo("+PONG\r\n");
        }
    }

    @Test
    void killingClientsWithRequestsInFlightDoesNotRefuseOthers() throws Exception {
        // Valkey is healthy: connections it ends on purpose must not trip the sidecar's circuit breaker.
        List<RawRespClient> blocked = new ArrayList<>();
        try (RawRespClient direct = new RawRespClient(fx.host(), fx.valkeyPort())) {
            for (int i = 0; i < 8; i++) {
                RawRespClient c = new RawRespClient(fx.host(), fx.sidecarPort());
                blocked.add(c);
                String id = c.call("CLIENT", "ID");
                c.send("BLPOP", "never" + i, "0");
                fx.awaitBlockedClients(1);
                assertThat(direct.call("CLIENT", "KILL", "ID", id.substring(1, id.length() - 2))).isEqualTo(":1\r\n");
                assertThat(new String(c.readUntilClosed(3000), StandardCharsets.US_ASCII))
                        .isEqualTo("-ERR valkey-sidecar: connection to Valkey lost\r\n");
                fx.awaitBlockedClients(0);
            }
        } finally {
            for (RawRespClient c : blocked) {
                c.close();
            }
        }
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(s.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(s.call("INFO", "sidecar")).contains("upstream_circuit_state:closed");
        }
    }

    @Test
    void monitorSeesOtherClientsAndResetEndsIt() throws Exception {
        try (RawRespClient m = new RawRespClient(fx.host(), fx.sidecarPort());
             RawRespClient w = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(m.call("MONITOR")).isEqualTo("+OK\r\n");
            assertThat(w.call("SET", "mon-key", "mon-value")).isEqualTo("+OK\r\n");
            // The feed also shows the sidecar's own connections (the spill tier polls INFO memory): skip them.
            assertThat(nextMatching(m, f -> f.contains("\"mon-key\"")))
                    .matches("\\+\\d+\\.\\d+ \\[0 127\\.0\\.0\\.1:\\d+\\] \"SET\" \"mon-key\" \"mon-value\"\r\n");
            // A monitoring client's own PING is answered in-band; RESET ends monitoring.
            m.send("PING");
            assertThat(nextMatching(m, f -> !isMonitorLine(f))).isEqualTo("+PONG\r\n");
            m.send("RESET");
            assertThat(nextMatching(m, f -> !isMonitorLine(f))).isEqualTo("+RESET\r\n");
            w.call("SET", "after", "reset");
            assertThat(m.call("GET", "after")).isEqualTo("$5\r\nreset\r\n");
            // The sidecar knows which reply answers which request again: INFO gets its section.
            assertThat(m.call("INFO", "sidecar")).contains("# Sidecar");
        }
    }

    private static boolean isMonitorLine(String frame) {
        return frame.matches("(?s)\\+\\d+\\.\\d+ \\[.*");
    }

    /** The next frame satisfying {@code wanted}, reading past at most 1,000 others. */
    private static String nextMatching(RawRespClient c, Predicate<String> wanted) throws IOException {
        for (int i = 0; i < 1000; i++) {
            String frame = new String(c.read(), StandardCharsets.UTF_8);
            if (wanted.test(frame)) {
                return frame;
            }
        }
        throw new AssertionError("no matching frame among 1,000");
    }

    @Test
    void resetRestoresEveryDefault() throws Exception {
        fx.same(c -> {
            c.unrecorded("a", "HELLO 3");
            c.call("a", 5, "SELECT 3", "CLIENT SETNAME n", "CLIENT TRACKING ON", "MULTI", "SET k v");
            c.call("a", 1, "RESET");
            c.call("a", 4, "GET k", "CLIENT GETNAME", "CLIENT TRACKINGINFO", "DEBUG PROTOCOL map");
        });
    }

    @Test
    void quitAnswersOkAndClosesIgnoringWhatFollows() throws Exception {
        byte[] pipeline = Scripts.encode("SET q 1", "QUIT", "SET q 2", "PING");
        byte[] direct;
        try (RawRespClient d = new RawRespClient(fx.host(), fx.valkeyPort())) {
            d.send(pipeline);
            direct = d.readUntilClosed(3000);
        }
        byte[] viaSidecar;
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
            s.send(pipeline);
            viaSidecar = s.readUntilClosed(3000);
        }
        assertThat(new String(viaSidecar, StandardCharsets.ISO_8859_1))
                .isEqualTo(new String(direct, StandardCharsets.ISO_8859_1)).isEqualTo("+OK\r\n+OK\r\n");
        try (RawRespClient d = new RawRespClient(fx.host(), fx.valkeyPort())) {
            assertThat(d.call("GET", "q")).isEqualTo("$1\r\n1\r\n");
        }
        // Valkey closing after QUIT is no upstream failure: many such clients must not open the breaker.
        for (int i = 0; i < 8; i++) {
            try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
                s.send(pipeline);
                s.readUntilClosed(3000);
            }
        }
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(s.call("INFO", "sidecar")).contains("upstream_circuit_state:closed");
        }
    }

    @Test
    void helloWithAuthAndSetnameAndAclUsers() throws Exception {
        List<String> t = fx.same(c -> {
            c.call("admin", 3, "ACL SETUSER alice reset on >alicepw ~* &* +@all",
                    "ACL SETUSER bob reset on >bobpw ~bob:* resetchannels &news +get +set +publish +subscribe +hello +auth",
                    "SET secret s");
            c.note(masked(c.unrecorded("a", "HELLO 3 AUTH alice alicepw SETNAME alice-app")));
            c.call("a", 3, "ACL WHOAMI", "CLIENT GETNAME", "DEBUG PROTOCOL double");
            c.call("a", 1, "HELLO 3 AUTH alice wrong");
            c.call("a", 1, "HELLO 4");
            c.note(masked(c.unrecorded("a", "HELLO 2")));
            c.call("a", 1, "DEBUG PROTOCOL double");
            c.call("b", 1, "AUTH bob wrong");
            c.call("b", 1, "AUTH bob bobpw");
            c.call("b", 6, "SET bob:1 x", "GET bob:1", "GET secret", "FLUSHALL", "DEL bob:1", "ACL WHOAMI");
            c.call("b", 2, "PUBLISH news x", "PUBLISH other x");
            c.call("b", 1, "SUBSCRIBE other");
            c.call("b", 1, "EVAL \"return 1\" 0");
            c.call("b", 1, "AUTH default nopass");
            c.call("b", 1, "AUTH nosuchuser x");
        });
        assertThat(t).anyMatch(l -> l.startsWith("b: -NOPERM No permissions to access a key"))
                .anyMatch(l -> l.startsWith("b: -WRONGPASS"))
                .anyMatch(l -> l.contains("$6\\r\\nalice-app") || l.contains("$5\\r\\nalice"));
        try (RawRespClient admin = new RawRespClient(fx.host(), fx.valkeyPort())) {
            assertThat(admin.call("ACL", "DELUSER", "alice", "bob")).isEqualTo(":2\r\n");
        }
    }

    /** A HELLO reply with its connection id (different on every connection) replaced. */
    private static String masked(String hello) {
        return hello.replaceAll("id\\\\r\\\\n:\\d+", "id\\\\r\\\\n:ID");
    }

    @Test
    void hundredMegabyteValueWithoutSeveralCopies() throws Exception {
        int size = 100 * 1024 * 1024;
        byte[] value = new byte[size];
        for (int i = 0; i < size; i += 4096) {
            value[i] = (byte) (i >>> 12);
        }
        AtomicLong peak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()
                        + PooledByteBufAllocator.DEFAULT.metric().usedHeapMemory(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        try (Socket s = new Socket(fx.host(), fx.sidecarPort())) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
            out.write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(value);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readLine(in)).isEqualTo("+OK");
            out.write(Scripts.encode("GET big", "STRLEN big"));
            out.flush();
            assertThat(readLine(in)).isEqualTo("$" + size);
            byte[] back = in.readNBytes(size);
            assertThat(Arrays.equals(back, value)).isTrue();
            assertThat(readLine(in)).isEmpty();
            assertThat(readLine(in)).isEqualTo(":" + size);
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        // One copy of the value in the request cumulation and one in the reply framing, never both for long;
        // a relay that copied per hop or grew buffers by doubling would need several times the value.
        assertThat(peak.get()).isLessThan(3L * size);
        try (RawRespClient admin = new RawRespClient(fx.host(), fx.valkeyPort())) {
            admin.call("DEL", "big");
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) != '\r') {
            if (b < 0) {
                throw new IOException("closed");
            }
            sb.append((char) b);
        }
        in.read();
        return sb.toString();
    }
}
