package io.valkeysidecar.compat.spill;

import static io.valkeysidecar.compat.spill.SpillSidecar.evict;
import static io.valkeysidecar.compat.spill.SpillSidecar.field;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.compat.RawRespClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A GET of a spilled string that is no hotter than the keys spilled lately is answered from its disk copy, the key
 * left on disk; a key read often enough comes back into Valkey. Each test first spills a key read 300 times
 * (access heat saturates at 255), which puts the bar for coming back out of reach of keys read a few times.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ColdReadsTest extends SharedSpillSidecar {

    private void raiseBar() {
        c.set("hot", "h");
        for (int i = 0; i < 300; i++) {
            c.get("hot");
        }
        assertThat(evict(c, "hot")).isEqualTo(1);
    }

    private long readOnDisk() {
        return Long.parseLong(field(c.info("spill"), "keys_read_on_disk"));
    }

    @Test
    void coldStringsAreAnsweredFromDiskExactlyAsAResidentCopy() {
        Map<String, String> values = new HashMap<>();
        values.put("empty", "");
        values.put("int8", "-7");
        values.put("int16", "32000");
        values.put("int32", "-2000000000");
        values.put("notint", "12345678901234567890");
        values.put("text", "héllo wörld");
        values.put("lzf", "abc".repeat(2000));
        values.put("kb", "q".repeat(10) + "z9".repeat(507));
        values.forEach((k, v) -> {
            c.set("sp:" + k, v);
            c.set("res:" + k, v);
        });
        assertThat(evict(c, values.keySet().stream().map(k -> "sp:" + k).toArray(String[]::new)))
                .isEqualTo(values.size());
        raiseBar();
        long before = readOnDisk();
        for (String k : values.keySet()) {
            assertThat(c.get("sp:" + k)).as(k).isEqualTo(c.get("res:" + k)).isEqualTo(values.get(k));
            assertThat(s.resident("sp:" + k)).as(k + " stays on disk").isFalse();
        }
        assertThat(readOnDisk() - before).isEqualTo(values.size());
        assertThat(c.dbsize()).as("every key is still counted once").isEqualTo(2L * values.size() + 1);
    }

    @Test
    void resp2AndResp3RepliesAreByteForByteThoseOfAResidentKey() throws Exception {
        c.set("sp", "v".repeat(100));
        c.set("res", "v".repeat(100));
        evict(c, "sp");
        raiseBar();
        for (String protocol : List.of("2", "3")) {
            try (RawRespClient raw = s.raw()) {
                raw.call("HELLO", protocol);
                assertThat(RawRespClient.show(raw.send("GET", "sp").read()))
                        .isEqualTo(RawRespClient.show(raw.send("GET", "res").read()));
                assertThat(RawRespClient.show(raw.send("GET", "missing").read()))
                        .isEqualTo(protocol.equals("2") ? "$-1\\r\\n" : "_\\r\\n");
            }
        }
        assertThat(s.resident("sp")).isFalse();
    }

    @Test
    void aKeyReadOftenEnoughComesBack() {
        c.set("k", "v");
        evict(c, "k");
        raiseBar();
        long before = readOnDisk();
        assertThat(c.get("k")).isEqualTo("v");
        assertThat(s.resident("k")).isFalse();
        int reads = 1;
        while (!s.resident("k") && reads < 300) {
            assertThat(c.get("k")).isEqualTo("v");
            reads++;
        }
        assertThat(s.resident("k")).as("back in Valkey after %d reads", reads).isTrue();
        assertThat(readOnDisk() - before).isEqualTo(reads - 1);
    }

    @Test
    void expiryTypeErrorsAndTransactionsGoTheUsualWay() throws Exception {
        c.psetex("short", 300, "x");
        c.psetex("long", 600_000, "y");
        c.hset("hash", "f", "v");
        c.hset("res-hash", "f", "v");
        c.set("queued", "q");
        evict(c, "short", "long", "hash", "queued");
        raiseBar();
        Thread.sleep(400);
        assertThat(c.get("short")).as("expired on disk").isNull();
        assertThat(c.get("long")).isEqualTo("y");
        assertThat(c.pttl("long")).isBetween(590_000L, 600_000L);
        assertThatThrownBy(() -> c.get("hash")).isInstanceOf(RedisCommandExecutionException.class)
                .hasMessage(errorOf(() -> c.get("res-hash")));
        c.multi();
        c.get("queued");
        assertThat(c.exec().<String>get(0)).as("GET queued in MULTI").isEqualTo("q");
        assertThat(s.resident("queued")).as("restored for the transaction").isTrue();
    }

    private static String errorOf(Runnable command) {
        try {
            command.run();
        } catch (RedisCommandExecutionException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error");
    }

    /**
     * Reads race writes, spills and deletes of the same keys: every key takes the values 1 to 5 in turn, spilled
     * after each, then is deleted. A reader must never see a key go back to an older value, nor a deleted key
     * come back (a stale disk copy served after a newer write or a DEL would).
     */
    @Test
    void readsNeverGoBackInTimeWhileKeysAreWrittenSpilledAndDeleted() throws Exception {
        int keys = 40;
        raiseBar();
        for (int k = 0; k < keys; k++) {
            c.set("r" + k, "1");
            evict(c, "r" + k);
        }
        long before = readOnDisk();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<CompletableFuture<String>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            readers.add(CompletableFuture.supplyAsync(() -> {
                try (StatefulRedisConnection<String, String> rc = s.connect()) {
                    RedisCommands<String, String> reader = rc.sync();
                    int[] seen = new int[keys];
                    boolean last = false;
                    while (!last) {
                        last = !writing.get();
                        for (int k = 0; k < keys; k++) {
                            String v = reader.get("r" + k);
                            int now = v == null ? 6 : Integer.parseInt(v);
                            if (now < seen[k]) {
                                return "r" + k + " went back from " + seen[k] + " to " + now;
                            }
                            seen[k] = now;
                        }
                    }
                    for (int k = 0; k < keys; k++) {
                        if (seen[k] != 6) {
                            return "r" + k + " still " + seen[k] + " after its DEL";
                        }
                    }
                    return "ok";
                }
            }));
        }
        try (StatefulRedisConnection<String, String> wc = s.connect()) {
            RedisCommands<String, String> writer = wc.sync();
            for (int round = 2; round <= 5; round++) {
                for (int k = 0; k < keys; k++) {
                    writer.set("r" + k, Integer.toString(round));
                    writer.set("hot", "h");
                    // Spilled with the hot key, which keeps the bar for coming back high.
                    evict(writer, "r" + k, "hot");
                }
            }
            for (int k = 0; k < keys; k++) {
                writer.del("r" + k);
            }
        } finally {
            writing.set(false);
        }
        for (CompletableFuture<String> reader : readers) {
            assertThat(reader.get(50, TimeUnit.SECONDS)).isEqualTo("ok");
        }
        assertThat(readOnDisk() - before).as("reads answered from disk").isPositive();
    }
}
