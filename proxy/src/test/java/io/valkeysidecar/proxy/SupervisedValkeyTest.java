package io.valkeysidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without --upstream the sidecar runs its own valkey-server under the data directory, and only one. */
class SupervisedValkeyTest {

    @TempDir
    Path dataDir;

    @Test
    void startsItsOwnValkeyStopsALeftoverOneAndStopsItsOwnOnClose() throws Exception {
        Path valkeyDir = dataDir.resolve("valkey");
        Path pidFile = valkeyDir.resolve("valkey.pid").toAbsolutePath();
        // What a sidecar killed with SIGKILL leaves behind: its server still running in the data directory.
        ValkeyProcess leftover = ValkeyProcess.start("valkey-server", valkeyDir,
                List.of("--save", "", "--pidfile", pidFile.toString()), Duration.ofSeconds(20));
        long supervisedPid;
        try (SidecarServer sidecar = SidecarServer.start(new SidecarConfig("127.0.0.1", 0, null, null, null, dataDir,
                0, 100, RespLimits.DEFAULTS, 1000, 1, true, Duration.ofSeconds(2), "valkey-server", Map.of()))) {
            assertThat(leftover.isAlive()).as("the leftover server was stopped first").isFalse();
            supervisedPid = Long.parseLong(Files.readString(pidFile).trim());
            assertThat(supervisedPid).isNotEqualTo(leftover.pid());
            RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", sidecar.port()));
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                assertThat(c.sync().set("k", "v")).isEqualTo("OK");
                assertThat(c.sync().configGet("appendonly")).containsEntry("appendonly", "yes");
                assertThat(c.sync().configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "noeviction");
            } finally {
                client.shutdown();
            }
        } finally {
            leftover.close();
        }
        assertThat(ProcessHandle.of(supervisedPid).map(ProcessHandle::isAlive).orElse(false))
                .as("the supervised server stops with the sidecar").isFalse();
    }
}
