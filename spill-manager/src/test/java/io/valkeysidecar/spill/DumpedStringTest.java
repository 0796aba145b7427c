package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Strings decoded from payloads a real Valkey's DUMP produced, in every encoding it writes a string in. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DumpedStringTest {

    static TestValkey valkey;
    static RedisClient client;
    static StatefulRedisConnection<byte[], byte[]> conn;
    static RedisCommands<byte[], byte[]> redis;

    @BeforeAll
    static void start() {
        valkey = TestValkey.start();
        client = RedisClient.create(valkey.uri());
        conn = client.connect(ByteArrayCodec.INSTANCE);
        redis = conn.sync();
    }

    @AfterAll
    static void stop() {
        conn.close();
        client.shutdown();
        valkey.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] dumpOf(byte[] value) {
        redis.set(b("k"), value);
        return redis.dump(b("k"));
    }

    @Test
    void everyStringEncodingValkeyWritesDecodesToTheStoredBytes() {
        Random random = new Random(42);
        byte[] incompressible = new byte[1024];
        random.nextBytes(incompressible);
        byte[] allBytes = new byte[256 * 4];
        for (int i = 0; i < allBytes.length; i++) {
            allBytes[i] = (byte) i;
        }
        List<byte[]> values = new ArrayList<>(List.of(b(""), b("0"), b("7"), b("-128"), b("127"), b("-32768"),
                b("32767"), b("-2147483648"), b("2147483647"), b("2147483648"), b("007"), b("-0"), b("+5"),
                b("12345678901234567890"), b("x".repeat(63)), b("x".repeat(64)), b("héllo wörld"),
                b("ab".repeat(20_000)), b("0123456789".repeat(3)), incompressible, allBytes));
        for (byte[] value : values) {
            assertThat(DumpedString.value(dumpOf(value))).as(new String(value, StandardCharsets.ISO_8859_1))
                    .isEqualTo(value);
        }
    }

    @Test
    void aValueSetAsAnIntegerAndOneGrownByAppendDecodeToo() {
        redis.set(b("n"), b("41"));
        redis.incr(b("n"));
        assertThat(DumpedString.value(redis.dump(b("n")))).isEqualTo(b("42"));
        redis.set(b("a"), b("abc"));
        redis.append(b("a"), b("abc".repeat(100)));
        assertThat(DumpedString.value(redis.dump(b("a")))).isEqualTo(b("abc".repeat(101)));
    }

    @Test
    void otherTypesAndDamagedPayloadsAreNotStrings() {
        redis.del(b("h"), b("l"));
        redis.hset(b("h"), b("f"), b("v"));
        redis.rpush(b("l"), b("x"));
        assertThat(DumpedString.value(redis.dump(b("h")))).isNull();
        assertThat(DumpedString.value(redis.dump(b("l")))).isNull();
        byte[] payload = dumpOf(b("ab".repeat(500)));
        for (int cut = 0; cut < payload.length; cut++) {
            assertThat(DumpedString.value(Arrays.copyOf(payload, cut))).as("cut at " + cut).isNull();
        }
        byte[] longer = Arrays.copyOf(dumpOf(b("plain")), dumpOf(b("plain")).length + 1);
        assertThat(DumpedString.value(longer)).as("trailing byte").isNull();
    }
}
