package io.valkeysidecar.compat.spill;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.valkeysidecar.compat.RawRespClient;
import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.TestValkey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A real Valkey with a small maxmemory and {@code noeviction}, and an in-process sidecar in front of it whose
 * spill tier keeps a real RocksDB store in a temporary data directory. The sidecar can be restarted on the same
 * data directory; the spill settings are the CLI's ({@code spill.*} extension settings).
 */
final class SpillSidecar implements AutoCloseable {

    final TestValkey valkey;
    final Path dataDir;
    private final Map<String, String> settings;
    private SidecarServer sidecar;
    private RedisClient client;

    private SpillSidecar(TestValkey valkey, Path dataDir, Map<String, String> settings) throws Exception {
        this.valkey = valkey;
        this.dataDir = dataDir;
        this.settings = settings;
        startSidecar();
    }

    /** Valkey with {@code maxmemory} bytes; {@code settings} override spill defaults (e.g. watermarks). */
    static SpillSidecar start(long maxmemory, Map<String, String> settings) {
        TestValkey valkey = TestValkey.start("--maxmemory", Long.toString(maxmemory), "--maxmemory-policy", "noeviction");
        try {
            return new SpillSidecar(valkey, Files.createTempDirectory("spill-sidecar-"), new HashMap<>(settings));
        } catch (Exception e) {
            valkey.close();
            throw new IllegalStateException("cannot start the sidecar", e);
        }
    }

    /** An in-process sidecar in front of 127.0.0.1:{@code valkeyPort} (which may be down) on {@code dataDir}. */
    static SidecarServer sidecar(int valkeyPort, Path dataDir, Map<String, String> settings) throws Exception {
        SidecarConfig config = new SidecarConfig("127.0.0.1", 0, new InetSocketAddress("127.0.0.1", valkeyPort),
                null, null, dataDir, 0, 10_000, RespLimits.DEFAULTS, 100_000, 2, true, Duration.ofSeconds(2),
                "valkey-server", settings);
        return SidecarServer.start(config);
    }

    private void startSidecar() throws Exception {
        sidecar = sidecar(valkey.port(), dataDir, settings);
        client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(sidecar.port())
                .withTimeout(Duration.ofSeconds(30)).build());
    }

    /** Stops the sidecar as a shutdown would and starts a new one on the same data directory. */
    void restartSidecar() throws Exception {
        stopSidecar();
        startSidecar();
    }

    private void stopSidecar() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        sidecar.close();
    }

    /** A new Lettuce connection through the sidecar (String codec). */
    StatefulRedisConnection<String, String> connect() {
        return client.connect();
    }

    /** A raw RESP connection through the sidecar. */
    RawRespClient raw() throws IOException {
        return new RawRespClient("127.0.0.1", sidecar.port());
    }

    /** A raw RESP connection straight to Valkey, bypassing the sidecar. */
    RawRespClient direct() throws IOException {
        return new RawRespClient(valkey.host(), valkey.port());
    }

    /** One field of Valkey's own INFO, asked directly. */
    String valkeyInfo(String section, String field) {
        try (RawRespClient d = direct()) {
            return field(d.call("INFO", section), field);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One field of an INFO reply's text. */
    static String field(String info, String field) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        throw new IllegalArgumentException("no field " + field + " in " + info);
    }

    /** Whether {@code key} of database 0 is in Valkey's memory right now (asked directly). */
    boolean resident(String key) {
        return resident(0, key);
    }

    boolean resident(int db, String key) {
        try (RawRespClient d = direct()) {
            if (db != 0) {
                d.call("SELECT", Integer.toString(db));
            }
            return d.call("EXISTS", key).equals(":1\r\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sidecar's own commands, for Lettuce's dispatch. */
    enum SpillCommand implements ProtocolKeyword {
        EVICT("EVICT"), RESTORE("SPILL.RESTORE");

        private final byte[] name;

        SpillCommand(String name) {
            this.name = name.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public byte[] getBytes() {
            return name;
        }
    }

    /** EVICT through the sidecar on {@code c}'s connection (its selected database); answers how many spilled. */
    static long evict(RedisCommands<String, String> c, String... keys) {
        return c.dispatch(SpillCommand.EVICT, new IntegerOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).addKeys(keys));
    }

    /** SPILL.RESTORE through the sidecar; 1 when the key was brought back. */
    static long restore(RedisCommands<String, String> c, String key) {
        return c.dispatch(SpillCommand.RESTORE, new IntegerOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).addKey(key));
    }

    @Override
    public void close() {
        try {
            stopSidecar();
        } finally {
            valkey.close();
        }
    }
}
