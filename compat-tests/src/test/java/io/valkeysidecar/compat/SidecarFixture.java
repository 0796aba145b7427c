package io.valkeysidecar.compat;

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
        TestValkey valkey = TestValkey.start(valkeyConfig);
        try {
            return new SidecarFixture(valkey, startSidecar(valkey.host(), valkey.port(), limits, metricsPort, 10_000));
        } catch (Exception e) {
            valkey.close();
            throw new IllegalStateException("cannot start the sidecar", e);
        }
    }

    /** A sidecar in front of an arbitrary address (which may be down), for failure tests. */
    public static SidecarServer startSidecar(String host, int port, RespLimits limits, int metricsPort, int maxClients)
            throws Exception {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("sidecar-data-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SidecarConfig config = new SidecarConfig("127.0.0.1", 0, new InetSocketAddress(host, port), null, null, dataDir,
                metricsPort, maxClients, limits, 100_000, 1, Duration.ofSeconds(2), "valkey-server");
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

    @Override
    public void close() {
        sidecar.close();
        valkey.close();
    }
}
