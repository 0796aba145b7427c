package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.TestValkey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.List;

/**
 * A real Valkey with a sidecar in front of it (in-process, on a free loopback port, metrics off unless asked).
 * Tests talk to {@link #sidecarPort()} and, for comparison, to {@link #valkeyPort()} directly.
 */
public final class SidecarFixture implements AutoCloseable {

    private final TestValkey valkey;
    private final SidecarServer sidecar;

    private SidecarFixture(TestValkey valkey, SidecarServer sidecar) {
        this.valkey = valkey;
        this.sidecar = sidecar;
    }

    public static SidecarFixture start(String... valkeyConfig) {
        return start(RespLimits.DEFAULTS, 0, valkeyConfig);
    }

    public static SidecarFixture start(RespLimits limits, int metricsPort, String... valkeyConfig) {
        return start(true, limits, metricsPort, valkeyConfig);
    }

    /** A sidecar that gives every client its own upstream connection from the start (--no-share-upstream). */
    public static SidecarFixture startWithDedicatedUpstreams() {
        return start(false, RespLimits.DEFAULTS, 0);
    }

    private static SidecarFixture start(boolean shareUpstream, RespLimits limits, int metricsPort,
                                        String... valkeyConfig) {
        TestValkey valkey = TestValkey.start(valkeyConfig);
        try {
            return new SidecarFixture(valkey, startSidecar(valkey.host(), valkey.port(), limits, metricsPort, 10_000,
                    shareUpstream));
        } catch (Exception e) {
            valkey.close();
            throw new IllegalStateException("cannot start the sidecar", e);
        }
    }

    /** A sidecar in front of an arbitrary address (which may be down), for failure tests. */
    public static SidecarServer startSidecar(String host, int port, RespLimits limits, int metricsPort, int maxClients)
            throws Exception {
        return startSidecar(host, port, limits, metricsPort, maxClients, true);
    }

    private static SidecarServer startSidecar(String host, int port, RespLimits limits, int metricsPort,
                                              int maxClients, boolean shareUpstream) throws Exception {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("sidecar-data-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SidecarConfig config = new SidecarConfig("127.0.0.1", 0, new InetSocketAddress(host, port), null, null, dataDir,
                metricsPort, maxClients, limits, 100_000, 1, shareUpstream, Duration.ofSeconds(2), "valkey-server", Map.of());
        return SidecarServer.start(config);
    }

    public TestValkey valkey() {
        return valkey;
    }

    public SidecarServer sidecar() {
        return sidecar;
    }

    public int sidecarPort() {
        return sidecar.port();
    }

    public int valkeyPort() {
        return valkey.port();
    }

    public String host() {
        return "127.0.0.1";
    }

    public RedisURI sidecarUri() {
        return RedisURI.create("127.0.0.1", sidecar.port());
    }

    public RedisURI valkeyUri() {
        return valkey.uri();
    }

    /**
     * Waits until Valkey has no connection left from a test's raw sockets (directly or through the sidecar), so
     * a conversation starts from a clean server: connections closed by a previous run disappear from Valkey a
     * moment after their client closed them, and until then they would still receive messages and
     * invalidations. Raw sockets send no CLIENT SETINFO; the extensions' own Lettuce connections and the
     * sidecar's shared upstream connection do, and stay.
     */
    public void awaitNoOtherClients() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            String list;
            try (RawRespClient admin = new RawRespClient(host(), valkeyPort())) {
                list = admin.call("CLIENT", "LIST");
            }
            long raw = list.lines().filter(l -> l.contains(" lib-name= ")).count();
            if (raw <= 1) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Valkey still has other clients after 5 s:\n" + list);
            }
            Thread.sleep(10);
        }
    }

    /** Waits until Valkey reports {@code n} blocked clients. */
    public void awaitBlockedClients(int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        try (RawRespClient admin = new RawRespClient(host(), valkeyPort())) {
            while (!admin.call("INFO", "clients").contains("blocked_clients:" + n + "\r\n")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Valkey never had " + n + " blocked clients");
                }
                Thread.sleep(5);
            }
        }
    }

    /** Flushes everything a run may have created, through a direct connection. */
    public void flush() throws IOException {
        try (RawRespClient admin = new RawRespClient(host(), valkeyPort())) {
            for (String[] cmd : new String[][] {{"FLUSHALL"}, {"FUNCTION", "FLUSH"}, {"SCRIPT", "FLUSH"}}) {
                String reply = admin.call(cmd);
                if (!reply.equals("+OK\r\n")) {
                    throw new IllegalStateException(String.join(" ", cmd) + " failed: " + reply);
                }
            }
        }
    }

    /**
     * Holds {@code script} directly with Valkey and then through the sidecar, each time from a flushed server
     * with no other clients; returns both transcripts (direct first).
     */
    public List<List<String>> bothWays(Conversation.Script script) throws Exception {
        flush();
        awaitNoOtherClients();
        List<String> direct = Conversation.hold(valkeyPort(), script);
        flush();
        awaitNoOtherClients();
        List<String> viaSidecar = Conversation.hold(sidecarPort(), script);
        return List.of(direct, viaSidecar);
    }

    /** {@link #bothWays} that also asserts both transcripts are identical; returns the transcript. */
    public List<String> same(Conversation.Script script) throws Exception {
        List<List<String>> both = bothWays(script);
        assertThat(both.get(1)).containsExactlyElementsOf(both.get(0));
        return both.get(0);
    }

    @Override
    public void close() {
        sidecar.close();
        valkey.close();
    }
}
