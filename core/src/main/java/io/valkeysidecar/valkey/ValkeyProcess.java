package io.valkeysidecar.valkey;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code valkey-server} child process on a loopback port with its files in one directory. Used by
 * {@code serve} when no upstream is given, and by the tests where no Docker engine exists.
 */
public final class ValkeyProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ValkeyProcess.class);

    private final Process process;
    private final int port;
    private final Path directory;
    /** Stops the server if the JVM exits without closing it (a failed test, Ctrl-C): no orphaned servers. */
    private final Thread orphanGuard;

    private ValkeyProcess(Process process, int port, Path directory) {
        this.process = process;
        this.port = port;
        this.directory = directory;
        // SIGTERM, not SIGKILL: a supervised production server flushes its append-only file on the way out.
        this.orphanGuard = new Thread(process::destroy, "valkey-orphan-guard-" + process.pid());
        Runtime.getRuntime().addShutdownHook(orphanGuard);
    }

    /**
     * Starts {@code binary} (e.g. "valkey-server" from PATH) on a free loopback port and waits until it
     * answers PING.
     *
     * @param extraArgs further config as {@code --name value} pairs
     */
    public static ValkeyProcess start(String binary, Path directory, List<String> extraArgs, Duration timeout)
            throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            ValkeyProcess vp = launch(binary, directory, freePort(), extraArgs);
            try {
                vp.awaitReady(timeout);
                return vp;
            } catch (IOException e) {
                // Most likely another process took the port between probing and binding: try another.
                last = e;
                vp.close();
            }
        }
        throw last;
    }

    /**
     * Starts {@code binary} on the given loopback port, e.g. to bring a server back where its clients expect
     * it after a crash, and waits until it answers PING.
     */
    public static ValkeyProcess startOnPort(String binary, Path directory, int port, List<String> extraArgs,
                                            Duration timeout) throws IOException {
        ValkeyProcess vp = launch(binary, directory, port, extraArgs);
        try {
            vp.awaitReady(timeout);
            return vp;
        } catch (IOException e) {
            vp.close();
            throw e;
        }
    }

    private static ValkeyProcess launch(String binary, Path directory, int port, List<String> extraArgs)
            throws IOException {
        Files.createDirectories(directory);
        List<String> cmd = new ArrayList<>(List.of(binary,
                "--port", Integer.toString(port),
                "--bind", "127.0.0.1",
                "--dir", directory.toAbsolutePath().toString(),
                "--daemonize", "no",
                "--logfile", directory.resolve("valkey.log").toAbsolutePath().toString()));
        cmd.addAll(extraArgs);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("valkey.out").toFile()).start();
        } catch (IOException e) {
            throw new IOException("cannot start '" + binary + "': is valkey-server installed and on PATH?", e);
        }
        log.info("started {} (pid {}) on 127.0.0.1:{} in {}", binary, p.pid(), port, directory);
        return new ValkeyProcess(p, port, directory);
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path directory() {
        return directory;
    }

    private void awaitReady(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("valkey-server exited with " + process.exitValue() + "; see "
                        + directory.resolve("valkey.log"));
            }
            String reply = Ping.reply(new InetSocketAddress(host(), port), 500);
            if (reply != null && reply.startsWith("+PONG")) {
                return;
            }
            sleep(20);
        }
        throw new IOException("valkey-server did not answer PING within " + timeout);
    }

    /** Stops the server: SIGTERM (Valkey shuts down cleanly), then SIGKILL if it lingers. */
    @Override
    public void close() {
        releaseGuard();
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the server without letting it shut down, as a crash would. */
    public void kill() {
        releaseGuard();
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void releaseGuard() {
        try {
            Runtime.getRuntime().removeShutdownHook(orphanGuard);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the guard is running or has run.
        }
    }

    /**
     * Stops a valkey-server an earlier run left behind in its directory (its supervisor was killed with SIGKILL,
     * so no hook stopped it), found by the pidfile the server wrote there. Two servers must never share one
     * directory: the new one would write the same append-only file. SIGTERM lets it flush first.
     */
    public static void stopLeftover(Path pidFile, Duration timeout) throws IOException {
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (NumberFormatException e) {
            Files.delete(pidFile);
            return;
        }
        java.util.Optional<ProcessHandle> leftover = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.contains("valkey")).orElse(false));
        if (leftover.isPresent()) {
            log.warn("a valkey-server left by an earlier run (pid {}) still holds {}; stopping it", pid,
                    pidFile.getParent());
            ProcessHandle h = leftover.get();
            h.destroy();
            try {
                h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        Files.deleteIfExists(pidFile);
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
