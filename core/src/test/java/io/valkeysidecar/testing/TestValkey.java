package io.valkeysidecar.testing;

import io.lettuce.core.RedisURI;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * A real Valkey server for tests: a Testcontainers container where a Docker engine exists, otherwise the
 * local {@code valkey-server} binary on a free port in a temporary directory (this project's CI machines
 * have no Docker engine). Debug commands are enabled so tests can ask for every RESP3 type.
 */
public final class TestValkey implements AutoCloseable {

    public static final String IMAGE = "valkey/valkey:8.0";

    private final String host;
    private final int port;
    private final AutoCloseable owner;
    private final ValkeyProcess process;

    private TestValkey(String host, int port, AutoCloseable owner, ValkeyProcess process) {
        this.host = host;
        this.port = port;
        this.owner = owner;
        this.process = process;
    }

    /** Starts a server with the given extra config, e.g. {@code "--maxmemory", "32mb"}. */
    public static TestValkey start(String... extraConfig) {
        List<String> config = new ArrayList<>(List.of("--enable-debug-command", "yes", "--save", "", "--appendonly", "no"));
        config.addAll(List.of(extraConfig));
        if (!Boolean.getBoolean("valkey.forceLocal") && dockerAvailable()) {
            List<String> cmd = new ArrayList<>(List.of("valkey-server"));
            cmd.addAll(config);
            GenericContainer<?> c = new GenericContainer<>(IMAGE).withExposedPorts(6379)
                    .withCommand(cmd.toArray(String[]::new)).waitingFor(Wait.forListeningPort());
            c.start();
            return new TestValkey(c.getHost(), c.getMappedPort(6379), c::stop, null);
        }
        try {
            Path dir = Files.createTempDirectory("test-valkey-");
            ValkeyProcess p = ValkeyProcess.start(System.getProperty("valkey.binary", "valkey-server"), dir, config,
                    Duration.ofSeconds(20));
            return new TestValkey(p.host(), p.port(), p, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public RedisURI uri() {
        return RedisURI.create(host, port);
    }

    /** Kills the server abruptly (local process only), as a crash would. */
    public void kill() {
        if (process == null) {
            throw new UnsupportedOperationException("kill() needs a local valkey-server process");
        }
        process.kill();
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
