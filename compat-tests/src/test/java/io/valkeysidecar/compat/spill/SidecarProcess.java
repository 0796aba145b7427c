package io.valkeysidecar.compat.spill;

import io.valkeysidecar.compat.RawRespClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The sidecar's runnable jar ({@code proxy/target/valkey-sidecar.jar}, built by {@code mvn -pl proxy package})
 * as a separate OS process in front of a given Valkey, so a test can {@code kill -9} it, and a benchmark runs it
 * as operators do, in a JVM of its own.
 */
public final class SidecarProcess implements AutoCloseable {

    final Process process;
    public final int port;

    private SidecarProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static Path jar() {
        for (Path p : List.of(Path.of("../proxy/target/valkey-sidecar.jar"), Path.of("proxy/target/valkey-sidecar.jar"))) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new IllegalStateException("proxy/target/valkey-sidecar.jar is missing: run mvn -pl proxy -am package");
    }

    /**
     * Starts the jar on a free port and waits until it answers PING (it listens once it has loaded Valkey's
     * command table and settled spills a crash left pending).
     */
    public static SidecarProcess start(int valkeyPort, Path dataDir, Path log, String... extraArgs) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar().toString(), "serve", "--upstream", "127.0.0.1:" + valkeyPort,
                "--port", Integer.toString(port), "--metrics-port", "0", "--data-dir", dataDir.toString()));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        SidecarProcess sp = new SidecarProcess(p, port);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("sidecar exited with " + p.exitValue() + "; see " + log);
            }
            try (RawRespClient c = new RawRespClient("127.0.0.1", port)) {
                if (c.call("PING").equals("+PONG\r\n")) {
                    return sp;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    sp.close();
                    throw new IllegalStateException("sidecar did not come up in 60 s; see " + log, e);
                }
            }
            Thread.sleep(100);
        }
    }

    public long pid() {
        return process.pid();
    }

    /** {@code kill -9}: no shutdown hook, no flush, no goodbye. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill9();
        }
    }
}
