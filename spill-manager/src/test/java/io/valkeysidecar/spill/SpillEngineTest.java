package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.await;
import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.valkeysidecar.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpillEngineTest {

    @TempDir
    Path dir;
    SpillFixture f;

    @BeforeEach
    void start() {
        f = new SpillFixture(dir, "--maxmemory", "64mb", "--maxmemory-policy", "noeviction");
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Every type, in its compact and its large encoding, with and without TTL, back exactly as it was. */
    @Test
    @SuppressWarnings("unchecked") // Lettuce's XREADGROUP takes generic varargs
    void everyTypeRoundTripsWithItsTtlExactToTheMillisecond() throws Exception {
        long expireAt = System.currentTimeMillis() + 600_000 + 123;
        f.redis.set("str", "hello");
        f.redis.set("int", "12345");
        f.redis.set("big-str", "x".repeat(100_000));
        f.redis.hset("hash", Map.of("a", "1", "b", "2"));
        for (int i = 0; i < 300; i++) {
            f.redis.hset("big-hash", "field" + i, "value" + i);
            f.redis.rpush("big-list", "item" + i);
            f.redis.sadd("big-set", "member" + i);
            f.redis.zadd("big-zset", i * 1.5, "member" + i);
        }
        f.redis.rpush("list", "a", "b", "c", "a");
        f.redis.sadd("intset", "1", "2", "3");
        f.redis.sadd("set", "x", "y");
        f.redis.zadd("zset", 1.0, "one", 2.5, "two");
        for (int i = 0; i < 50; i++) {
            f.redis.xadd("stream", Map.of("n", Integer.toString(i)));
        }
        f.redis.xgroupCreate(XReadArgs.StreamOffset.from("stream", "0"), "group");
        f.redis.xreadgroup(io.lettuce.core.Consumer.from("group", "c1"), XReadArgs.Builder.count(5),
                XReadArgs.StreamOffset.lastConsumed("stream"));
        List<String> keys = List.of("str", "int", "big-str", "hash", "big-hash", "list", "big-list", "intset", "set",
                "big-set", "zset", "big-zset", "stream");
        for (int i = 0; i < keys.size(); i += 2) {
            f.redis.pexpireat(keys.get(i), expireAt);
        }
        Map<String, String> before = new TreeMap<>();
        Map<String, String> types = new TreeMap<>();
        for (String k : keys) {
            before.put(k, snapshot(k));
            types.put(k, f.redis.type(k));
        }

        for (String k : keys) {
            assertThat(f.spill(k)).as(k).isEqualTo(SpillOutcome.SPILLED);
            assertThat(f.redis.exists(k)).as(k).isZero();
            SpillStore.Entry e = f.store.get(0, b(k));
            assertThat(e.type()).as(k).isEqualTo(types.get(k));
            assertThat(e.pending()).isFalse();
            SpillEngine.KeyMeta meta = await(f.engine.spilledMeta(0, b(k)));
            assertThat(meta.type()).isEqualTo(types.get(k));
            assertThat(meta.expireAt()).as(k).isEqualTo(keys.indexOf(k) % 2 == 0 ? expireAt : -1);
        }
        assertThat(f.engine.spilledCount(0)).isEqualTo(keys.size());
        assertThat(f.redis.dbsize()).isZero();

        for (String k : keys) {
            assertThat(f.throughSidecar(k, this::snapshot)).as(k).isEqualTo(before.get(k));
            // The disk copy is dropped just after the key is back in Valkey.
            Await.until(() -> f.store.get(0, b(k)) == null);
        }
        assertThat(f.engine.stats().restored()).isEqualTo(keys.size());
        assertThat(f.engine.stats().restoreLatency().count()).isEqualTo(keys.size());
    }

    /** Type, content and absolute expiry: what a client could observe of a key. */
    String snapshot(String k) {
        String type = f.redis.type(k);
        StringBuilder s = new StringBuilder(type).append('|').append(f.redis.pexpiretime(k)).append('|');
        switch (type) {
            case "string":
                s.append(f.redis.get(k));
                break;
            case "hash":
                s.append(new TreeMap<>(f.redis.hgetall(k)));
                break;
            case "list":
                s.append(f.redis.lrange(k, 0, -1));
                break;
            case "set":
                s.append(new TreeSet<>(f.redis.smembers(k)));
                break;
            case "zset":
                for (ScoredValue<String> v : f.redis.zrangeWithScores(k, 0, -1)) {
                    s.append(v.getValue()).append('=').append(v.getScore()).append(',');
                }
                break;
            case "stream":
                for (StreamMessage<String, String> m : f.redis.xrange(k, Range.create("-", "+"))) {
                    s.append(m.getId()).append(m.getBody()).append(',');
                }
                s.append(f.redis.xinfoGroups(k));
                break;
            default:
                throw new AssertionError("unexpected type " + type);
        }
        return s.toString();
    }

    @Test
    void aKeyLargerThanTheCapStaysInMemory() {
        f.engine.close();
        f.engine = new SpillEngine(f.store, null, f.valkey.uri(), 10_000);
        f.redis.set("small", "x".repeat(100));
        f.redis.set("large", "x".repeat(50_000));
        assertThat(await(f.engine.spill(0, List.of(b("small"), b("large"), b("missing")))))
                .containsExactly(SpillOutcome.SPILLED, SpillOutcome.TOO_LARGE, SpillOutcome.NOT_FOUND);
        assertThat(f.redis.exists("large")).isEqualTo(1);
        assertThat(f.store.get(0, b("large"))).isNull();
    }

    /** A batch worth several dump calls (each stops after about 1 MB) is spilled whole, in order, every key intact. */
    @Test
    void aBatchLargerThanOneDumpCallIsSpilledWhole() {
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            f.redis.set("big" + i, Integer.toString(i).repeat(300_000));
            keys.add(b("big" + i));
        }
        f.redis.set("small", "s");
        keys.add(6, b("small"));
        keys.add(b("missing"));
        List<SpillOutcome> outcomes = await(f.engine.spill(0, keys));
        assertThat(outcomes.subList(0, 13)).containsOnly(SpillOutcome.SPILLED);
        assertThat(outcomes.get(13)).isEqualTo(SpillOutcome.NOT_FOUND);
        assertThat(f.redis.dbsize()).isZero();
        for (int i = 0; i < 12; i++) {
            assertThat(await(f.engine.restore(0, b("big" + i)))).isEqualTo(RestoreOutcome.RESTORED);
            assertThat(f.redis.get("big" + i)).isEqualTo(Integer.toString(i).repeat(300_000));
        }
        assertThat(await(f.engine.restore(0, b("small")))).isEqualTo(RestoreOutcome.RESTORED);
        assertThat(f.redis.get("small")).isEqualTo("s");
    }

    @Test
    void aKeyInNeitherTierCostsNoDiskReadAndResolvesImmediately() {
        f.redis.set("resident", "v");
        assertThat(f.engine.ensureResident(0, List.of(b("resident"), b("absent"))).toCompletableFuture())
                .isCompleted();
        f.engine.release(0, List.of(b("resident"), b("absent")));
        assertThat(f.spill("resident")).isEqualTo(SpillOutcome.SPILLED);
        assertThat(f.engine.ensureResident(0, List.of(b("absent"))).toCompletableFuture()).isCompleted();
        f.engine.release(0, List.of(b("absent")));
        assertThat(await(f.engine.spilledMeta(0, b("absent")))).isNull();
    }

    /** A restore never overwrites a newer value: the disk copy is dropped instead. */
    @Test
    void restoreNeverOverwritesANewerValue() {
        f.redis.set("k", "old");
        assertThat(f.spill("k")).isEqualTo(SpillOutcome.SPILLED);
        f.redis.set("k", "new"); // a writer that bypassed the sidecar, or a duplicate left by a crash
        assertThat(await(f.engine.restore(0, b("k")))).isEqualTo(RestoreOutcome.MEMORY_NEWER);
        assertThat(f.redis.get("k")).isEqualTo("new");
        assertThat(f.store.get(0, b("k"))).isNull();
        assertThat(f.engine.stats().memoryNewer()).isEqualTo(1);
    }

    @Test
    void anExpiredEntryIsDeletedNeverRestored() throws Exception {
        long expireAt = System.currentTimeMillis() + 2000;
        f.redis.set("k", "v", io.lettuce.core.SetArgs.Builder.pxAt(expireAt));
        assertThat(f.spill("k")).isEqualTo(SpillOutcome.SPILLED);
        assertThat(await(f.engine.spilledMeta(0, b("k"))).expireAt()).isEqualTo(expireAt);
        Thread.sleep(Math.max(0, expireAt - System.currentTimeMillis() + 50));
        assertThat(await(f.engine.spilledMeta(0, b("k")))).isNull();
        assertThat(await(f.engine.spilledKeys(0, null, 100, null, null)).keys()).isEmpty();
        assertThat(await(f.engine.restore(0, b("k")))).isEqualTo(RestoreOutcome.EXPIRED);
        assertThat(f.redis.exists("k")).isZero();
        assertThat(f.store.get(0, b("k"))).isNull();
    }

    /** DEL of a spilled key counts it once and the key never comes back, not even after a restart. */
    @Test
    void deleteCountsOnceAndNeverResurrects() {
        f.redis.set("disk-only", "v");
        f.redis.set("both", "v");
        assertThat(f.spill("disk-only")).isEqualTo(SpillOutcome.SPILLED);
        assertThat(f.spill("both")).isEqualTo(SpillOutcome.SPILLED);
        f.redis.set("both", "v2"); // now in both tiers: Valkey will count it
        List<byte[]> keys = List.of(b("disk-only"), b("both"), b("nowhere"));
        assertThat(await(f.engine.deleteSpilled(0, keys))).isEqualTo(1L);
        assertThat(f.redis.del("disk-only", "both", "nowhere")).isEqualTo(1L);
        f.engine.release(0, keys);
        assertThat(f.engine.stats().deleted()).isEqualTo(2);
        f.restart();
        assertThat(f.store.keyCount()).isZero();
        assertThat(f.getThroughSidecar("disk-only")).isNull();
        assertThat(f.getThroughSidecar("both")).isNull();
    }

    /** A pinned key (a command in flight through the proxy) is never spilled under it. */
    @Test
    void aPinnedKeyIsNotSpilled() {
        f.redis.set("k", "v");
        List<byte[]> keys = List.of(b("k"));
        await(f.engine.ensureResident(0, keys));
        assertThat(f.spill("k")).isEqualTo(SpillOutcome.PINNED);
        f.engine.release(0, keys);
        assertThat(f.spill("k")).isEqualTo(SpillOutcome.SPILLED);
    }

    /**
     * A writer hammers a key (bypassing the sidecar, the worst case) while it is spilled over and over: every
     * write that lands during a spill must win (EXEC aborts, disk copy dropped), and the last write is what a
     * client finally reads.
     */
    @Test
    void aWriteRacingASpillWins() throws Exception {
        f.redis.set("k", "0");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int[] last = {0};
        Thread writer = new Thread(() -> {
            try (var c = f.client.connect()) {
                for (int i = 1; f.engine.stats().raced() < 5 && System.nanoTime() < deadline; i++) {
                    c.sync().set("k", Integer.toString(i));
                    last[0] = i;
                }
            }
        });
        writer.start();
        while (writer.isAlive()) {
            SpillOutcome o = f.spill("k");
            if (o == SpillOutcome.RACED) {
                assertThat(f.store.get(0, b("k"))).isNull();
            }
        }
        writer.join();
        assertThat(f.engine.stats().raced()).isGreaterThanOrEqualTo(5);
        assertThat(f.getThroughSidecar("k")).isEqualTo(Integer.toString(last[0]));
        // The disk copy is dropped just after the key is back in Valkey.
        Await.until(() -> f.store.get(0, b("k")) == null);
    }

    @Test
    void spilledKeysEnumerateWithMatchAndTypeFilters() {
        for (int i = 0; i < 50; i++) {
            f.redis.set("user:" + i, "v");
            f.redis.sadd("tags:" + i, "t");
        }
        List<byte[]> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(b("user:" + i));
            all.add(b("tags:" + i));
        }
        assertThat(await(f.engine.spill(0, all))).containsOnly(SpillOutcome.SPILLED);
        List<String> users = new ArrayList<>();
        byte[] cursor = null;
        int pages = 0;
        do {
            SpillStore.Page p = await(f.engine.spilledKeys(0, cursor, 7, b("user:*"), null));
            p.keys().forEach(k -> users.add(new String(k, StandardCharsets.UTF_8)));
            cursor = p.next();
            pages++;
        } while (cursor != null);
        assertThat(users).hasSize(50).allMatch(k -> k.startsWith("user:")).doesNotHaveDuplicates();
        assertThat(pages).isGreaterThan(10);
        assertThat(await(f.engine.spilledKeys(0, null, 1000, null, "set")).keys()).hasSize(50);
        assertThat(await(f.engine.spilledKeys(0, null, 1000, b("tags:1?"), "set")).keys()).hasSize(10);
        assertThat(await(f.engine.spilledKeys(0, null, 1000, null, "string")).keys()).hasSize(50);
        assertThat(await(f.engine.spilledKeys(1, null, 1000, null, null)).keys()).isEmpty();
    }

    @Test
    void databasesAreSeparate() {
        f.redis.set("k", "db0");
        f.redis.select(3);
        f.redis.set("k", "db3");
        assertThat(await(f.engine.spill(3, List.of(b("k"))))).containsExactly(SpillOutcome.SPILLED);
        assertThat(f.redis.exists("k")).isZero();
        f.redis.select(0);
        assertThat(f.redis.get("k")).isEqualTo("db0");
        assertThat(f.engine.spilledCount(3)).isEqualTo(1);
        assertThat(f.engine.spilledCount(0)).isZero();
        assertThat(f.engine.ensureResident(0, List.of(b("k"))).toCompletableFuture()).isCompleted();
        f.engine.release(0, List.of(b("k")));
        await(f.engine.ensureResident(3, List.of(b("k"))));
        f.engine.release(3, List.of(b("k")));
        f.redis.select(3);
        assertThat(f.redis.get("k")).isEqualTo("db3");
        f.redis.select(0);
        f.redis.set("gone", "v");
        assertThat(f.spill("gone")).isEqualTo(SpillOutcome.SPILLED);
        assertThat(await(f.engine.flushDb(0))).isEqualTo(1);
        assertThat(f.engine.spilledCount(0)).isZero();
    }
}
