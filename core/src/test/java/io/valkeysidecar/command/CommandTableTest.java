package io.valkeysidecar.command;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.testing.LeakCheck;
import io.valkeysidecar.testing.TestCommands;
import io.valkeysidecar.testing.RawConnection;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The command table read from a real Valkey's COMMAND reply (through Lettuce, RESP2) finds the same keys as
 * Valkey's own {@code COMMAND GETKEYS} for a broad corpus of commands of every type.
 */
@ExtendWith(LeakCheck.class)
class CommandTableTest {

    private static TestValkey valkey;
    private static CommandTable table;
    private static RawConnection raw;

    @BeforeAll
    static void load() {
        valkey = TestValkey.start();
        RedisClient client = RedisClient.create(valkey.uri());
        try {
            client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP2).build());
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                table = CommandTable.parse(conn.sync().command());
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        raw = new RawConnection(valkey.host(), valkey.port());
    }

    @AfterAll
    static void stop() {
        raw.close();
        valkey.close();
    }

    /** Valkey's own answer: the keys of COMMAND GETKEYS, or an empty list when it finds none. */
    private static List<String> valkeyKeys(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length + 2).append("\r\n$7\r\nCOMMAND\r\n$7\r\nGETKEYS\r\n");
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        raw.send(sb.toString() + "PING\r\n");
        String reply = new String(raw.readUntilEndsWith("+PONG\r\n".getBytes(StandardCharsets.US_ASCII),
                Duration.ofSeconds(10)), StandardCharsets.UTF_8);
        List<String> keys = new ArrayList<>();
        if (reply.startsWith("-")) {
            return keys;
        }
        String[] lines = reply.split("\r\n");
        int n = Integer.parseInt(lines[0].substring(1));
        for (int i = 0; i < n; i++) {
            keys.add(lines[2 + 2 * i]);
        }
        return keys;
    }

    private static List<String> tableKeys(String... args) {
        Command cmd = TestCommands.decode(args);
        try {
            List<String> keys = new ArrayList<>();
            for (byte[] k : table.keys(cmd)) {
                keys.add(new String(k, StandardCharsets.UTF_8));
            }
            return keys;
        } finally {
            cmd.release();
        }
    }

    /** Space-separated arguments; {@code ""} stands for an empty one. */
    private static String[] words(String line) {
        String[] w = line.split(" ");
        for (int i = 0; i < w.length; i++) {
            if (w[i].equals("\"\"")) {
                w[i] = "";
            }
        }
        return w;
    }

    /** Commands whose keys the key specs and Valkey's getkeys agree on. */
    private static final String[] AGREE = {
            "GET k", "SET k v", "SET k v EX 10 GET", "GETEX k PERSIST", "GETDEL k", "APPEND k v", "STRLEN k",
            "INCR k", "INCRBYFLOAT k 1.5", "SETRANGE k 0 v", "GETRANGE k 0 1", "MSET a 1 b 2 c 3", "MSETNX a 1 b 2",
            "MGET a b c", "DEL a b c", "UNLINK a b", "EXISTS a a b", "TOUCH a b", "TYPE k", "EXPIRE k 10",
            "PEXPIREAT k 1 NX", "TTL k", "PERSIST k", "RENAME a b", "RENAMENX a b", "COPY a b", "COPY a b DB 1 REPLACE",
            "MOVE k 1", "DUMP k", "RESTORE k 0 x REPLACE", "OBJECT ENCODING k", "OBJECT FREQ k", "MEMORY USAGE k",
            "LPUSH l a b", "RPUSHX l a", "LRANGE l 0 -1", "LPOP l 2", "LINSERT l BEFORE a b", "LMOVE a b LEFT RIGHT",
            "RPOPLPUSH a b", "BLPOP a b c 0", "BRPOP a 1.5", "BLMOVE a b LEFT RIGHT 0", "BRPOPLPUSH a b 0",
            "LMPOP 2 a b LEFT COUNT 2", "BLMPOP 0 3 a b c RIGHT", "SADD s a", "SMEMBERS s", "SMOVE a b m",
            "SINTER a b c", "SUNIONSTORE d a b", "SDIFFSTORE d a", "SINTERCARD 2 a b LIMIT 5", "SMISMEMBER s a b",
            "HSET h f v", "HGETALL h", "HMGET h a b", "HINCRBY h f 1", "HSCAN h 0", "ZADD z 1 m",
            "ZRANGE z 0 -1 WITHSCORES", "ZRANGESTORE d z 0 -1", "ZUNIONSTORE d 2 a b WEIGHTS 1 2",
            "ZINTERSTORE d 3 a b c AGGREGATE MAX", "ZUNION 2 a b", "ZDIFF 2 a b WITHSCORES", "ZDIFFSTORE d 2 a b",
            "ZINTERCARD 2 a b LIMIT 1", "ZMPOP 2 a b MIN", "BZMPOP 0 2 a b MAX COUNT 3", "BZPOPMIN a b 0",
            "BZPOPMAX a 1", "ZSCORE z m", "ZRANGEBYLEX z - +", "XADD x * f v", "XRANGE x - +", "XLEN x",
            "XREAD COUNT 2 STREAMS a b 0 0", "XREAD BLOCK 0 STREAMS a $", "XREADGROUP GROUP g c STREAMS a b > >",
            "XREADGROUP GROUP g c COUNT 1 NOACK STREAMS a >", "XGROUP CREATE x g $ MKSTREAM", "XACK x g 1-1",
            "XCLAIM x g c 0 1-1", "XAUTOCLAIM x g c 0 0", "XINFO STREAM x FULL", "XINFO GROUPS x", "XTRIM x MAXLEN 1",
            "PFADD p a", "PFCOUNT a b", "PFMERGE d a b", "SETBIT k 1 1", "BITCOUNT k", "BITOP AND d a b c",
            "BITOP NOT d a", "BITFIELD k GET u8 0", "BITFIELD_RO k GET u8 0", "BITPOS k 1", "GEOADD g 1 2 m",
            "GEORADIUS g 1 2 3 km STORE d", "GEORADIUS g 1 2 3 km STOREDIST d", "GEORADIUS g 1 2 3 km",
            "GEORADIUSBYMEMBER g m 3 km STORE d", "GEOSEARCH g FROMMEMBER m BYRADIUS 1 km",
            "GEOSEARCHSTORE d g FROMMEMBER m BYRADIUS 1 km", "GEODIST g a b", "LCS a b", "LCS a b LEN",
            "EVAL s 2 a b x y", "EVAL s 0 x", "EVALSHA abc 1 a", "EVAL_RO s 1 a", "FCALL f 2 a b x", "FCALL_RO f 1 a",
            "SORT k", "SORT k BY w* GET # LIMIT 0 1", "SORT_RO k ALPHA", "WATCH a b", "SUBSTR k 0 1", "GETSET k v",
            "PSETEX k 100 v", "SETNX k v", "LSET l 0 v", "LTRIM l 0 1", "SPOP s", "SRANDMEMBER s 2", "HRANDFIELD h",
            "ZREVRANK z m", "ZLEXCOUNT z - +", "WAIT 0 0", "PING", "ECHO x", "DBSIZE", "FLUSHALL", "INFO keyspace",
            "CLIENT LIST", "CONFIG GET maxmemory", "PUBLISH ch m", "SUBSCRIBE ch", "SPUBLISH ch m",
            "SSUBSCRIBE a b", "SUNSUBSCRIBE a", "OBJECT HELP", "XINFO CONSUMERS x g", "DEBUG OBJECT k",
            "ZUNIONSTORE d 0", "MIGRATE h 1 k 0 10", "MIGRATE h 1 k 0 10 COPY REPLACE", "SORT k STORE d",
            "SORT k BY w* STORE d", "SORT k LIMIT 0 1 GET # STORE d1 ALPHA STORE d2", "SORT k GET store STORE d",
            "SORT k STORE", "SORT k LIMIT store 1 STORE d", "sort k store d", "SORT k BY store",
    };

    @Test
    void keySpecsFindTheKeysValkeyFinds() {
        assertThat(table.size()).isGreaterThan(200);
        SoftAssertions softly = new SoftAssertions();
        for (String line : AGREE) {
            String[] args = words(line);
            softly.assertThat(tableKeys(args)).as(line).containsExactlyInAnyOrderElementsOf(valkeyKeys(args));
        }
        softly.assertAll();
    }

    /** Malformed key arguments: Valkey finds no keys (and rejects the command), so neither do we. */
    private static final String[] INVALID = {
            "EVAL s 3 a", "EVAL s -1 a", "EVAL s x a", "FCALL f 2 a", "ZUNIONSTORE d 3 a b", "EVAL s 0",
            "ZUNION 5 a", "LMPOP 3 a LEFT", "SINTERCARD 2 a", "XREAD STREAMS a", "XREAD STREAMS a b c",
            "ZINTERCARD 1", "BLMPOP 0 2 a",
    };

    @Test
    void commandsWithBrokenKeyArgumentsHaveNoKeys() {
        SoftAssertions softly = new SoftAssertions();
        for (String line : INVALID) {
            String[] args = words(line);
            softly.assertThat(tableKeys(args)).as(line).containsExactlyInAnyOrderElementsOf(valkeyKeys(args));
        }
        softly.assertAll();
    }

    /**
     * Where key specs and Valkey's getkeys procedures legitimately differ. COMMAND GETKEYS prefers a command's
     * key specs but falls back to its hand-written getkeys procedure when a spec cannot be evaluated; the table
     * only has the specs COMMAND publishes (SORT's STORE destination, which COMMAND leaves "unknown", is the one
     * procedure the table mirrors, see the SORT cases above):
     * <ul>
     * <li>MIGRATE with KEYS: the key specs name argument 3 (the empty "" placeholder, flagged INCOMPLETE) and the
     * keys after KEYS; migrateGetKeys returns only the latter. The empty name is no key of the database.</li>
     * <li>EVAL with a key count such as "01": Valkey's spec parser (string2ll) refuses it and evalGetKeys, more
     * lenient, reads 1; EVAL itself refuses "01" ("value is not an integer"), so no key is touched.</li>
     * </ul>
     */
    @Test
    void keySpecsAndGetkeysProceduresDifferWhereDocumented() {
        String[][] cases = {
                // command, table's keys, Valkey's GETKEYS keys
                {"MIGRATE h 1 \"\" 0 10 KEYS a b", " a b", "a b"},
                {"EVAL s 01 a", "", "a"},
        };
        for (String[] c : cases) {
            String[] args = words(c[0]);
            assertThat(String.join(" ", tableKeys(args))).as(c[0]).isEqualTo(c[1]);
            assertThat(String.join(" ", valkeyKeys(args))).as(c[0]).isEqualTo(c[2]);
        }
        // Callers can tell the commands whose key list may be short.
        assertThat(table.get("sort").keysIncomplete()).isTrue();
        assertThat(table.get("sort_ro").keysIncomplete()).isTrue();
        assertThat(table.get("migrate").keysIncomplete()).isTrue();
        List<String> incomplete = new ArrayList<>();
        for (String name : table.names()) {
            CommandSpec spec = table.get(name);
            if (spec.keysIncomplete()) {
                incomplete.add(name);
            }
            spec.subcommands().values().stream().filter(CommandSpec::keysIncomplete).forEach(s -> incomplete.add(s.name()));
        }
        assertThat(incomplete).containsExactlyInAnyOrder("sort", "sort_ro", "migrate");
    }

    @Test
    void specsCarryArityFlagsCategoriesAndSubcommands() {
        CommandSpec set = table.get("SET");
        assertThat(set.name()).isEqualTo("set");
        assertThat(set.arity()).isEqualTo(-3);
        assertThat(set.isWrite()).isTrue();
        assertThat(set.isBlocking()).isFalse();
        assertThat(set.aclCategories()).contains("@write", "@string");
        assertThat(table.get("blpop").isBlocking()).isTrue();
        assertThat(table.get("get").hasFlag("readonly")).isTrue();
        assertThat(table.names()).contains("get", "object", "xinfo").hasSize(table.size());
        assertThat(table.get("object").subcommands()).containsKey("object|encoding");

        Command encoding = TestCommands.decode("object", "Encoding", "k");
        Command container = TestCommands.decode("OBJECT");
        Command unknownSub = TestCommands.decode("OBJECT", "nosuch", "k");
        Command unknown = TestCommands.decode("NOSUCHCOMMAND", "k");
        try {
            assertThat(table.lookup(encoding).name()).isEqualTo("object|encoding");
            assertThat(table.keyPositions(encoding)).containsExactly(2);
            assertThat(table.lookup(container).name()).isEqualTo("object");
            assertThat(table.lookup(unknownSub).name()).isEqualTo("object");
            assertThat(table.keyPositions(unknownSub)).isEmpty();
            assertThat(table.lookup(unknown)).isNull();
            assertThat(table.keyPositions(unknown)).isEmpty();
            assertThat(CommandTable.empty().isLoaded()).isFalse();
            assertThat(CommandTable.empty().keyPositions(encoding)).isEmpty();
            assertThat(table.isLoaded()).isTrue();
        } finally {
            encoding.release();
            container.release();
            unknownSub.release();
            unknown.release();
        }
    }

    @Test
    void theResp3ShapeOfCommandGivesTheSameTable() {
        RedisClient client = RedisClient.create(valkey.uri());
        CommandTable resp3;
        try {
            client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
            try (StatefulRedisConnection<String, String> conn = client.connect()) {
                resp3 = CommandTable.parse(conn.sync().command());
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        assertThat(resp3.size()).isEqualTo(table.size());
        for (String line : AGREE) {
            Command cmd = TestCommands.decode(words(line));
            try {
                assertThat(resp3.keyPositions(cmd)).as(line).isEqualTo(table.keyPositions(cmd));
            } finally {
                cmd.release();
            }
        }
    }

    @Test
    void shardChannelsAreNotKeys() {
        Command cmd = TestCommands.decode("SPUBLISH", "ch", "m");
        try {
            assertThat(table.keyPositions(cmd)).isEmpty();
            assertThat(table.lookup(cmd).keySpecs()).singleElement().satisfies(ks -> assertThat(ks.isNotKey()).isTrue());
        } finally {
            cmd.release();
        }
    }
}
