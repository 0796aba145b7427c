package io.valkeysidecar.compat.spill;

import static io.valkeysidecar.compat.spill.SpillSidecar.evict;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.compat.RawRespClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SCAN (MATCH, COUNT, TYPE), KEYS, DBSIZE, RANDOMKEY and INFO keyspace over keys of which half are spilled:
 * a full SCAN returns every key at least once, also while keys move between the tiers during the scan, and
 * all of them agree on what exists. Keys that expired on disk are never listed or served.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KeyspaceOverBothTiersTest extends SharedSpillSidecar {

    static final int KEYS = 3000;
    static final String[] TYPES = {"string", "hash", "list", "set", "zset"};

    /** KEYS keys "k:<i>" of rotating types; every other one spilled. Answers the spilled ones. */
    private List<String> populate() {
        List<String> spilled = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            String k = "k:" + i;
            switch (TYPES[i % TYPES.length]) {
                case "string" -> c.set(k, "v");
                case "hash" -> c.hset(k, "f", "v");
                case "list" -> c.rpush(k, "v");
                case "set" -> c.sadd(k, "v");
                default -> c.zadd(k, 1, "v");
            }
            if (i % 2 == 0) {
                spilled.add(k);
            }
        }
        for (int from = 0; from < spilled.size(); from += 500) {
            List<String> batch = spilled.subList(from, Math.min(spilled.size(), from + 500));
            assertThat(evict(c, batch.toArray(String[]::new))).isEqualTo(batch.size());
        }
        return spilled;
    }

    private static Set<String> expectedKeys(String prefix, String type) {
        Set<String> want = new TreeSet<>();
        for (int i = 0; i < KEYS; i++) {
            String k = "k:" + i;
            if (k.startsWith(prefix) && (type == null || TYPES[i % TYPES.length].equals(type))) {
                want.add(k);
            }
        }
        return want;
    }

    /** A full SCAN with the given arguments; {@code afterFirstPage} runs once the first page has arrived. */
    private Set<String> fullScan(ScanArgs args, Consumer<Integer> afterPage) {
        Set<String> found = new HashSet<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        int pages = 0;
        do {
            KeyScanCursor<String> page = c.scan(cursor, args);
            found.addAll(page.getKeys());
            cursor = page;
            afterPage.accept(pages++);
            assertThat(pages).as("SCAN terminates").isLessThan(10 * KEYS);
        } while (!cursor.isFinished());
        return found;
    }

    @Test
    void fullScansWithMatchCountAndTypeReturnEveryKeyOfBothTiers() {
        populate();
        assertThat(fullScan(ScanArgs.Builder.limit(100), p -> { })).isEqualTo(expectedKeys("", null));
        assertThat(fullScan(ScanArgs.Builder.limit(7).match("k:1*"), p -> { })).isEqualTo(expectedKeys("k:1", null));
        for (String type : TYPES) {
            assertThat(fullScan(KeyScanArgs.Builder.type(type).limit(50), p -> { }))
                    .as("SCAN TYPE " + type).isEqualTo(expectedKeys("", type));
        }
        assertThat(fullScan(KeyScanArgs.Builder.type("hash").match("k:2*").limit(1000), p -> { }))
                .isEqualTo(expectedKeys("k:2", "hash"));
    }

    @Test
    void aFullScanReturnsKeysThatMoveBetweenTiersDuringIt() {
        List<String> spilled = populate();
        List<String> resident = new ArrayList<>(expectedKeys("", null));
        resident.removeAll(spilled);
        try (StatefulRedisConnection<String, String> mover = s.connect()) {
            RedisCommands<String, String> m = mover.sync();
            Set<String> found = fullScan(ScanArgs.Builder.limit(200), page -> {
                // Restore spilled keys and spill resident ones between pages.
                for (int i = page * 60; i < Math.min(spilled.size(), page * 60 + 60); i++) {
                    SpillSidecar.restore(m, spilled.get(i));
                }
                int from = page * 60;
                if (from < resident.size()) {
                    evict(m, resident.subList(from, Math.min(resident.size(), from + 60)).toArray(String[]::new));
                }
            });
            assertThat(difference(expectedKeys("", null), found)).as("keys the SCAN missed").isEmpty();
        }
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }

    @Test
    void keysDbsizeRandomkeyAndInfoKeyspaceAgree() throws Exception {
        populate();
        assertThat(new TreeSet<>(c.keys("*"))).isEqualTo(expectedKeys("", null));
        assertThat(c.keys("*")).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(c.keys("k:12*"))).isEqualTo(expectedKeys("k:12", null));
        assertThat(c.dbsize()).isEqualTo(KEYS);
        try (RawRespClient raw = s.raw()) {
            assertThat(SpillSidecar.field(raw.call("INFO", "keyspace"), "db0")).startsWith("keys=" + KEYS + ",");
            assertThat(SpillSidecar.field(raw.call("INFO"), "db0")).startsWith("keys=" + KEYS + ",");
        }
        for (int i = 0; i < 20; i++) {
            assertThat(c.randomkey()).isIn(expectedKeys("", null));
        }
        List<String> residentKeys = new ArrayList<>(expectedKeys("", null));
        for (int from = 0; from < residentKeys.size(); from += 500) {
            evict(c, residentKeys.subList(from, Math.min(residentKeys.size(), from + 500)).toArray(String[]::new));
        }
        try (RawRespClient direct = s.direct()) {
            assertThat(direct.call("DBSIZE")).as("Valkey itself holds no key").isEqualTo(":0\r\n");
        }
        assertThat(c.randomkey()).as("RANDOMKEY when every key is spilled").isIn(expectedKeys("", null));
        assertThat(c.dbsize()).isEqualTo(KEYS);
        try (RawRespClient raw = s.raw()) {
            assertThat(SpillSidecar.field(raw.call("INFO", "keyspace"), "db0")).startsWith("keys=" + KEYS + ",");
        }
    }

    @Test
    void keysThatExpiredOnDiskAreNeitherServedNorListed() throws Exception {
        c.set("live", "v");
        c.psetex("short", 300, "v");
        c.psetex("shortlist", 300, "v");
        assertThat(evict(c, "live", "short", "shortlist")).isEqualTo(3);
        Thread.sleep(400);
        assertThat(c.get("short")).isNull();
        assertThat(c.exists("shortlist")).isZero();
        assertThat(c.pttl("shortlist")).isEqualTo(-2);
        assertThat(c.keys("*")).containsExactly("live");
        assertThat(fullScan(ScanArgs.Builder.limit(10), p -> { })).containsExactly("live");
        assertThat(c.del("shortlist")).as("DEL of a key expired on disk").isZero();
    }
}
