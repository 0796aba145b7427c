package io.valkeysidecar.compat.spill;

import static io.valkeysidecar.compat.spill.SpillSidecar.evict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.lettuce.core.CopyArgs;
import io.lettuce.core.SetArgs;
import io.valkeysidecar.compat.RawRespClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The commands other spill tiers get wrong, each on a spilled key and, where it answers something, compared
 * with the same command on a resident copy of the same key. The keys are spilled explicitly (EVICT); Valkey's
 * maxmemory is large enough that the memory controller leaves them alone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpilledKeyCommandsTest extends SharedSpillSidecar {

    private void spilled(String... keys) {
        assertThat(evict(c, keys)).as("EVICT").isEqualTo(keys.length);
        for (String k : keys) {
            assertThat(s.resident(k)).as(k + " left Valkey's memory").isFalse();
        }
    }

    @Test
    void delAndUnlinkCountSpilledKeysAndTheyStayDeletedAcrossARestart() throws Exception {
        c.mset(Map.of("a", "1", "b", "2", "c", "3", "d", "4", "e", "5"));
        spilled("a", "b", "d");
        assertThat(c.del("a", "b", "c", "missing")).isEqualTo(3);
        assertThat(c.unlink("d", "e", "missing")).isEqualTo(2);
        assertThat(c.del("a", "d")).as("a second DEL finds nothing").isZero();
        assertThat(c.exists("a", "b", "c", "d", "e")).isZero();
        assertThat(c.dbsize()).isZero();
        conn.close();
        s.restartSidecar();
        conn = s.connect();
        c = conn.sync();
        assertThat(c.mget("a", "b", "c", "d", "e")).allMatch(kv -> !kv.hasValue());
        assertThat(c.dbsize()).isZero();
        assertThat(c.keys("*")).isEmpty();
    }

    @Test
    void setOnASpilledKeySeesItExistAndWins() throws Exception {
        c.set("nx", "old");
        c.set("xx", "old");
        c.set("get", "old");
        c.psetex("ttl", 600_000, "old");
        spilled("nx", "xx", "get", "ttl");
        assertThat(c.set("nx", "new", SetArgs.Builder.nx())).as("SET NX on a spilled key").isNull();
        assertThat(c.set("xx", "new", SetArgs.Builder.xx())).as("SET XX on a spilled key").isEqualTo("OK");
        assertThat(c.setGet("get", "new")).as("SET GET answers the spilled value").isEqualTo("old");
        assertThat(c.set("ttl", "new")).isEqualTo("OK");
        assertThat(c.pttl("ttl")).as("SET drops the spilled key's TTL").isEqualTo(-1);
        conn.close();
        s.restartSidecar();
        conn = s.connect();
        c = conn.sync();
        assertThat(c.mget("nx", "xx", "get", "ttl")).extracting(kv -> kv.getValue())
                .containsExactly("old", "new", "new", "new");
        assertThat(c.pttl("ttl")).isEqualTo(-1);
    }

    @Test
    void renameFromAndOntoSpilledKeys() throws Exception {
        c.set("src", "v-src");
        c.set("dst", "v-dst");
        c.set("keep", "v-keep");
        c.set("nxsrc", "v-nxsrc");
        spilled("src", "dst", "keep");
        assertThat(c.renamenx("nxsrc", "keep")).as("RENAMENX onto a spilled key").isFalse();
        assertThat(c.rename("src", "dst")).isEqualTo("OK");
        assertThat(c.get("dst")).isEqualTo("v-src");
        assertThat(c.exists("src")).isZero();
        spilled("dst");
        assertThat(c.rename("dst", "fresh")).isEqualTo("OK");
        assertThat(c.dbsize()).isEqualTo(3);
        conn.close();
        s.restartSidecar();
        conn = s.connect();
        c = conn.sync();
        assertThat(c.exists("src", "dst")).as("renamed-away keys do not come back").isZero();
        assertThat(c.get("fresh")).isEqualTo("v-src");
        assertThat(c.get("keep")).isEqualTo("v-keep");
        assertThat(c.get("nxsrc")).isEqualTo("v-nxsrc");
    }

    @Test
    void metadataOfASpilledKeyMatchesAResidentCopy() {
        long expireAt = System.currentTimeMillis() + 3_600_123;
        c.hset("res", Map.of("f1", "v1", "f2", "v2"));
        c.hset("sp", Map.of("f1", "v1", "f2", "v2"));
        c.pexpireat("res", expireAt);
        c.pexpireat("sp", expireAt);
        c.rpush("plain", "x");
        spilled("sp", "plain");
        assertThat(c.exists("sp", "res", "plain", "missing")).isEqualTo(3);
        assertThat(c.type("sp")).isEqualTo(c.type("res")).isEqualTo("hash");
        spilled("sp");
        assertThat(c.pexpiretime("sp")).isEqualTo(c.pexpiretime("res")).isEqualTo(expireAt);
        spilled("sp");
        assertThat(c.expiretime("sp")).isEqualTo(c.expiretime("res"));
        spilled("sp");
        assertThat(c.pttl("sp")).isCloseTo(c.pttl("res"), within(50L));
        spilled("sp");
        assertThat(c.ttl("sp")).isCloseTo(c.ttl("res"), within(1L));
        assertThat(c.ttl("plain")).isEqualTo(-1);
        spilled("sp");
        assertThat(c.objectEncoding("sp")).isEqualTo(c.objectEncoding("res"));
        spilled("sp");
        assertThat(c.objectRefcount("sp")).isEqualTo(c.objectRefcount("res"));
        spilled("sp");
        assertThat(c.objectIdletime("sp")).isNotNull();
        assertThat(c.hgetall("sp")).isEqualTo(c.hgetall("res"));
    }

    @Test
    void copyAndMoveOfSpilledKeys() {
        c.set("orig", "v");
        c.set("taken", "t");
        c.set("other", "o");
        spilled("orig", "taken", "other");
        assertThat(c.copy("orig", "taken")).as("COPY onto a spilled key without REPLACE").isFalse();
        assertThat(c.copy("orig", "taken", CopyArgs.Builder.replace(true))).isTrue();
        assertThat(c.get("taken")).isEqualTo("v");
        spilled("orig");
        assertThat(c.copy("orig", "copy")).isTrue();
        assertThat(c.mget("orig", "copy")).extracting(kv -> kv.getValue()).containsExactly("v", "v");
        spilled("orig");
        assertThat(c.move("orig", 1)).isTrue();
        assertThat(c.exists("orig")).isZero();
        c.select(1);
        assertThat(c.get("orig")).isEqualTo("v");
        c.set("other", "in-db1");
        c.select(0);
        assertThat(c.move("other", 1)).as("MOVE of a spilled key onto an existing one").isFalse();
        assertThat(c.get("other")).isEqualTo("o");
    }

    @Test
    void selectedDatabasesKeepSeparateSpilledKeys() throws Exception {
        for (int db = 0; db < 3; db++) {
            c.select(db);
            c.set("same", "db" + db);
            c.set("only" + db, "x");
            spilled("same", "only" + db);
        }
        for (int db = 0; db < 3; db++) {
            c.select(db);
            assertThat(s.resident(db, "same")).isFalse();
            assertThat(c.dbsize()).isEqualTo(2);
            assertThat(c.keys("*")).containsExactlyInAnyOrder("same", "only" + db);
        }
        c.select(1);
        assertThat(c.del("same")).isEqualTo(1);
        c.select(2);
        assertThat(c.get("same")).isEqualTo("db2");
        c.select(0);
        assertThat(c.get("same")).isEqualTo("db0");
        try (RawRespClient raw = s.raw()) {
            String info = raw.call("INFO", "keyspace");
            assertThat(info).contains("db0:keys=2,").contains("db1:keys=1,").contains("db2:keys=2,");
        }
    }

    @Test
    void flushdbAndFlushallRemoveSpilledKeys() throws Exception {
        for (int db = 0; db < 2; db++) {
            c.select(db);
            c.mset(Map.of("x", "1", "y", "2", "z", "3"));
            spilled("x", "y");
        }
        c.select(1);
        assertThat(c.flushdb()).isEqualTo("OK");
        assertThat(c.dbsize()).isZero();
        assertThat(c.get("x")).isNull();
        c.select(0);
        assertThat(c.dbsize()).isEqualTo(3);
        assertThat(c.get("x")).isEqualTo("1");
        spilled("x");
        assertThat(c.flushall()).isEqualTo("OK");
        assertThat(c.dbsize()).isZero();
        assertThat(c.exists("x", "y", "z")).isZero();
        conn.close();
        s.restartSidecar();
        conn = s.connect();
        c = conn.sync();
        for (int db = 0; db < 2; db++) {
            c.select(db);
            assertThat(c.dbsize()).as("db " + db + " after restart").isZero();
            assertThat(c.keys("*")).isEmpty();
        }
    }

    @Test
    void swapdbIsRefusedWhileSpilledKeysExistAndAllowedOnceRestored() {
        c.set("k", "v");
        spilled("k");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> c.swapdb(0, 1)))
                .hasMessageContaining("SWAPDB is not supported");
        assertThat(SpillSidecar.restore(c, "k")).isEqualTo(1);
        assertThat(c.swapdb(0, 1)).isEqualTo("OK");
        c.select(1);
        assertThat(c.get("k")).isEqualTo("v");
    }

    @Test
    void blockingPopOnASpilledListAndListOfTypes() {
        c.rpush("list", "a", "b");
        c.sadd("set", "m");
        c.zadd("zset", 1, "m");
        c.xadd("stream", Map.of("f", "v"));
        spilled("list", "set", "zset", "stream");
        assertThat(c.blpop(1, "list").getValue()).isEqualTo("a");
        spilled("list");
        assertThat(c.lmove("list", "set2", io.lettuce.core.LMoveArgs.Builder.leftRight())).isEqualTo("b");
        assertThat(List.of(c.type("set"), c.type("zset"), c.type("stream")))
                .containsExactly("set", "zset", "stream");
    }
}
