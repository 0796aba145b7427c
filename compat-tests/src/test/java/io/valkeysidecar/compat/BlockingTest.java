package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Blocking commands through the sidecar: timing out, being served by another client, and abandoned. */
class BlockingTest extends SharedSidecar {

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void timeoutsGiveTheSameRepliesAfterTheSameWait(int resp) throws Exception {
        String[] blocking = {"BLPOP bq 0.2", "BLMOVE bsrc bdst LEFT RIGHT 0.2", "BZPOPMIN bz 0.2",
                "XREAD BLOCK 200 STREAMS bs $", "BLMPOP 0.2 2 bq bq2 LEFT", "WAIT 0 0"};
        long[] elapsed = new long[2];
        List<List<String>> both = fx.bothWays(c -> {
            if (resp == 3) {
                c.unrecorded("a", "HELLO 3");
            }
            long t0 = System.nanoTime();
            c.call("a", blocking.length, blocking);
            elapsed[c.port() == fx.valkeyPort() ? 0 : 1] = (System.nanoTime() - t0) / 1_000_000;
        });
        assertThat(both.get(1)).containsExactlyElementsOf(both.get(0));
        assertThat(both.get(0)).contains("a: :0\\r\\n").hasSize(blocking.length);
        // Five timeouts of 200 ms each, one after the other: none cut short, and no waiting of the sidecar's own
        // (the margin allows for a busy build machine).
        assertThat(elapsed[0]).isGreaterThanOrEqualTo(1000L);
        assertThat(elapsed[1]).isBetween(1000L, elapsed[0] + 1500);
    }

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void servedByAnotherClient(int resp) throws Exception {
        List<List<String>> both = fx.bothWays(c -> {
            if (resp == 3) {
                c.unrecorded("a", "HELLO 3");
            }
            c.send("a", "BLPOP bq 5");
            fx.awaitBlockedClients(1);
            c.call("b", 1, "RPUSH bq x").expect("a", 1);
            c.send("a", "BLMOVE bsrc bdst LEFT RIGHT 5");
            fx.awaitBlockedClients(1);
            c.call("b", 2, "LPUSH bsrc m", "LRANGE bdst 0 -1").expect("a", 1);
            c.send("a", "BZPOPMIN bz 5");
            fx.awaitBlockedClients(1);
            c.call("b", 1, "ZADD bz 1.5 member").expect("a", 1);
            c.send("a", "XREAD BLOCK 5000 STREAMS bs $");
            fx.awaitBlockedClients(1);
            c.call("b", 1, "XADD bs 7-1 f v").expect("a", 1);
            // A request pipelined behind a blocked one is answered after it, in order.
            c.send("a", "BLPOP bq 5", "PING");
            fx.awaitBlockedClients(1);
            c.call("b", 1, "RPUSH bq y").expect("a", 2);
        });
        assertThat(both.get(1)).containsExactlyElementsOf(both.get(0));
        assertThat(both.get(0)).contains("a: +PONG\\r\\n").anyMatch(l -> l.contains("$6\\r\\nmember"));
    }

    @Test
    void aClientThatDisconnectsWhileBlockedLeavesNoGhost() throws Exception {
        fx.flush();
        String upstreamId;
        try (RawRespClient a = new RawRespClient(fx.host(), fx.sidecarPort())) {
            String id = a.call("CLIENT", "ID");
            upstreamId = id.substring(1, id.length() - 2);
            a.send("BLPOP", "ghost", "0");
            fx.awaitBlockedClients(1);
            assertThat(clientList()).contains("id=" + upstreamId + " ");
        }
        fx.awaitBlockedClients(0);
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (clientList().contains("id=" + upstreamId + " ") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(clientList()).doesNotContain("id=" + upstreamId + " ");
        try (RawRespClient b = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(b.call("RPUSH", "ghost", "x")).isEqualTo(":1\r\n");
            assertThat(b.call("LRANGE", "ghost", "0", "-1")).isEqualTo("*1\r\n$1\r\nx\r\n");
        }
    }

    private static String clientList() throws IOException {
        try (RawRespClient admin = new RawRespClient(fx.host(), fx.valkeyPort())) {
            return admin.call("CLIENT", "LIST");
        }
    }
}
