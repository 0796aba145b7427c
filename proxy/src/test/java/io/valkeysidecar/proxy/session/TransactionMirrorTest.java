package io.valkeysidecar.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.RawConnection;
import io.valkeysidecar.testing.TestValkey;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transaction state the session mirrors ends however Valkey ends the transaction, so a later SELECT is
 * mirrored (sidecar commands see the right database) and sidecar commands are accepted again.
 */
class TransactionMirrorTest {

    @TempDir
    static Path dataDir;
    static TestValkey valkey;
    static SidecarServer sidecar;

    @BeforeAll
    static void start() throws Exception {
        valkey = TestValkey.start();
        sidecar = SidecarServer.start(new SidecarConfig("127.0.0.1", 0,
                new InetSocketAddress(valkey.host(), valkey.port()), null, null, dataDir, 0, 100,
                RespLimits.DEFAULTS, 1000, 1, true, Duration.ofSeconds(2), "valkey-server", Map.of()));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        valkey.close();
    }

    @Test
    void anAbortedExecEndsTheTransaction() {
        try (RawConnection c = new RawConnection("127.0.0.1", sidecar.port())) {
            c.send("MULTI\r\nNOSUCHCOMMAND\r\nEXEC\r\nSELECT 3\r\nTEST.WHOAMI\r\n");
            assertThat(c.readUntilClosedOrQuiet(Duration.ofMillis(500)).text()).isEqualTo("+OK\r\n"
                    + "-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: \r\n"
                    + "-EXECABORT Transaction discarded because of previous errors.\r\n"
                    + "+OK\r\n"
                    + "*4\r\n$7\r\ndefault\r\n:3\r\n$3\r\n1.5\r\n:1\r\n");
        }
    }
}
