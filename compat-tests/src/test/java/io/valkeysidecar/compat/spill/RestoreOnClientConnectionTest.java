package io.valkeysidecar.compat.spill;

import static io.valkeysidecar.compat.RawRespClient.request;
import static io.valkeysidecar.compat.spill.SpillSidecar.evict;
import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.compat.RawRespClient;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A spilled key's RESTORE goes to Valkey on the client's own connection, ahead of its command: pipelines
 * around it keep their replies, and where that connection cannot run it, the tier's own connection does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RestoreOnClientConnectionTest extends SharedSpillSidecar {

    private static byte[] pipeline(String[]... requests) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String[] r : requests) {
            all.writeBytes(request(r));
        }
        return all.toByteArray();
    }

    private long restoredAhead() {
        return Long.parseLong(SpillSidecar.field(c.info("spill"), "keys_restored_ahead"));
    }

    @Test
    void aRestoredKeyIsCountedOnceByTheCommandPipelinedAfterIt() throws Exception {
        c.set("a", "1");
        c.set("b", "2");
        assertThat(evict(c, "a")).isEqualTo(1);
        long ahead = restoredAhead();
        try (RawRespClient raw = s.raw()) {
            raw.send(pipeline(new String[] {"GET", "a"}, new String[] {"DBSIZE"}, new String[] {"GET", "a"}));
            assertThat(RawRespClient.show(raw.read(3))).containsExactly("$1\\r\\n1\\r\\n", ":2\\r\\n",
                    "$1\\r\\n1\\r\\n");
        }
        assertThat(s.resident("a")).isTrue();
        assertThat(restoredAhead()).as("INFO spill counts the restore as sent ahead").isEqualTo(ahead + 1);
    }

    @Test
    void aRestoreIsNotQueuedInAPipelinedTransaction() throws Exception {
        c.set("t", "v");
        assertThat(evict(c, "t")).isEqualTo(1);
        long held = keyWaits();
        try (RawRespClient raw = s.raw()) {
            raw.send(pipeline(new String[] {"MULTI"}, new String[] {"GET", "t"}, new String[] {"EXEC"}));
            assertThat(RawRespClient.show(raw.read(3))).containsExactly("+OK\\r\\n", "+QUEUED\\r\\n",
                    "*1\\r\\n$1\\r\\nv\\r\\n");
        }
        assertThat(keyWaits()).as("INFO spill counts the GET held for the tier's own restore").isEqualTo(held + 1);
    }

    private long keyWaits() {
        return Long.parseLong(SpillSidecar.field(c.info("spill"), "key_waits"));
    }

    @Test
    void aSkippedReplyIsTheClientsNotTheRestores() throws Exception {
        c.set("s1", "one");
        c.set("s2", "two");
        assertThat(evict(c, "s1", "s2")).isEqualTo(2);
        try (RawRespClient raw = s.raw()) {
            raw.send(pipeline(new String[] {"CLIENT", "REPLY", "SKIP"}, new String[] {"GET", "s1"},
                    new String[] {"GET", "s2"}));
            assertThat(RawRespClient.show(raw.read())).isEqualTo("$3\\r\\ntwo\\r\\n");
            assertThat(raw.quietFor(200)).isTrue();
        }
        assertThat(s.resident("s1")).isTrue();
    }

    /** CLIENT CACHING YES applies to the command after it, so that command's RESTORE must not come in between. */
    @Test
    void clientCachingStaysWithTheCommandItWasMeantFor() throws Exception {
        c.set("cached", "v");
        assertThat(evict(c, "cached")).isEqualTo(1);
        try (RawRespClient raw = s.raw()) {
            raw.call("HELLO", "3");
            assertThat(raw.call("CLIENT", "TRACKING", "ON", "OPTIN")).isEqualTo("+OK\r\n");
            raw.send(pipeline(new String[] {"CLIENT", "CACHING", "YES"}, new String[] {"GET", "cached"}));
            assertThat(RawRespClient.show(raw.read(2))).containsExactly("+OK\\r\\n", "$1\\r\\nv\\r\\n");
            c.set("cached", "changed");
            assertThat(RawRespClient.show(raw.read())).as("the GET was tracked")
                    .isEqualTo(">2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$6\\r\\ncached\\r\\n");
        }
    }

    /**
     * The RESTORE fails on the client's connection and the GET behind it has already run: its reply is dropped,
     * the tier restores the key on its own connection, the GET runs again, and the SET pipelined after it waits.
     */
    @Test
    void aClientWhoseUserMayNotRestoreStillReadsSpilledKeysInOrder() throws Exception {
        c.set("guarded", "value");
        assertThat(evict(c, "guarded")).isEqualTo(1);
        try (RawRespClient admin = s.direct()) {
            assertThat(admin.call("ACL", "SETUSER", "reader", "on", ">pw", "~*", "+get", "+set", "+auth"))
                    .isEqualTo("+OK\r\n");
        }
        try (RawRespClient raw = s.raw()) {
            assertThat(raw.call("AUTH", "reader", "pw")).isEqualTo("+OK\r\n");
            assertThat(raw.call("RESTORE", "x", "0", "payload")).as("the user may not RESTORE").startsWith("-NOPERM");
            raw.send(pipeline(new String[] {"GET", "guarded"}, new String[] {"SET", "guarded", "new"},
                    new String[] {"GET", "guarded"}));
            assertThat(RawRespClient.show(raw.read(3))).containsExactly("$5\\r\\nvalue\\r\\n", "+OK\\r\\n",
                    "$3\\r\\nnew\\r\\n");
        } finally {
            try (RawRespClient admin = s.direct()) {
                admin.call("ACL", "DELUSER", "reader");
            }
        }
        assertThat(c.dbsize()).isEqualTo(1);
    }
}
