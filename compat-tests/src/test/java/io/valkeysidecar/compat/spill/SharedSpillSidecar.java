package io.valkeysidecar.compat.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Test classes sharing one sidecar with the spill tier (in front of a Valkey with 64 MB maxmemory) per class, and
 * a connection to a flushed server per test.
 */
abstract class SharedSpillSidecar {

    static SpillSidecar s;
    StatefulRedisConnection<String, String> conn;
    RedisCommands<String, String> c;

    @BeforeAll
    static void startSidecar() {
        s = SpillSidecar.start(64L << 20, Map.of());
    }

    @AfterAll
    static void stopSidecar() {
        s.close();
    }

    @BeforeEach
    void connect() {
        conn = s.connect();
        c = conn.sync();
        assertThat(c.flushall()).isEqualTo("OK");
    }

    @AfterEach
    void disconnect() {
        conn.close();
    }
}
