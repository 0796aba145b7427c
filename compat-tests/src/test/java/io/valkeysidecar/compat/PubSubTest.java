package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pub/sub and client-side-caching invalidations, RESP2 and RESP3: the same conversation (subscriber, publisher,
 * writer) is held directly and through the sidecar, and the frame sequences each connection reads must be
 * equal. Publishers and writers connect to the same port as the subscriber, so both paths are exercised.
 */
class PubSubTest extends SharedSidecar {

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void subscribeMessagesPingAndUnsubscribing(int resp) throws Exception {
        List<String> t = fx.same(c -> {
            if (resp == 3) {
                c.unrecorded("s", "HELLO 3");
            }
            c.call("s", 2, "SUBSCRIBE ch1 ch2");
            c.call("s", 1, "PSUBSCRIBE news.*");
            c.call("s", 2, "SSUBSCRIBE sh1 sh2");
            c.call("p", 1, "PUBLISH ch1 hello").expect("s", 1);
            c.call("p", 1, "PUBLISH news.tech \"binary \\x00\\xff\"").expect("s", 1);
            c.call("p", 1, "SPUBLISH sh2 sharded").expect("s", 1);
            c.call("p", 1, "PUBLISH nobody x");
            c.call("s", 2, "PING", "PING payload");
            c.call("s", 1, "GET k");
            // Messages queued behind the subscriber's pipelined requests keep their place.
            c.call("p", 3, "PUBLISH ch2 m1", "PUBLISH news.x m2", "PUBLISH ch1 m3").expect("s", 3);
            // Pipelined PING and SUBSCRIBE answered in order; publishing only once ch3 is subscribed, so the
            // message cannot race the subscription (the same race exists direct; only its odds differ).
            c.call("s", 2, "PING in-order", "SUBSCRIBE ch3");
            c.call("p", 1, "PUBLISH ch3 after").expect("s", 1);
            c.call("s", 1, "UNSUBSCRIBE ch1");
            // Bare UNSUBSCRIBE while a pattern is still subscribed: one confirmation per channel left.
            c.call("s", 2, "UNSUBSCRIBE");
            c.call("s", 1, "UNSUBSCRIBE");
            c.call("p", 1, "PUBLISH news.late z").expect("s", 1);
            c.call("s", 1, "PUNSUBSCRIBE");
            c.call("s", 1, "PUNSUBSCRIBE");
            c.call("s", 1, "PUNSUBSCRIBE nothing");
            c.call("s", 2, "SUNSUBSCRIBE");
            c.call("s", 2, "PING", "UNSUBSCRIBE");
            c.call("s", 4, "SUBSCRIBE a b", "PSUBSCRIBE p*", "RESET");
            c.call("p", 1, "PUBLISH a gone").expectQuiet("s", 100);
            c.call("s", 1, "PING");
        });
        assertThat(t).anyMatch(l -> l.contains("pmessage") && l.contains("binary \u0000\u00ff"))
                .anyMatch(l -> l.contains("smessage"))
                .contains("s: +RESET\\r\\n", "s: quiet=true");
    }

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void bareUnsubscribeFromBinaryChannelNames(int resp) throws Exception {
        List<String> t = fx.same(c -> {
            if (resp == 3) {
                c.unrecorded("s", "HELLO 3");
            }
            c.call("s", 3, "SUBSCRIBE \"\\xff\" \"\\xfe\" \"\\xc3\\xa9\"");
            c.call("s", 3, "UNSUBSCRIBE");
            c.call("s", 1, "PING");
        });
        assertThat(t).hasSize(7);
    }

    @Test
    void sidecarStillKnowsWhereEachReplyBelongsAfterBinaryChannelNames() throws Exception {
        // Byte order alone cannot show which request a frame was taken for; the INFO rewrite can: it
        // amends only the frame the sidecar believes answers INFO.
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
            s.send(Scripts.encode("SUBSCRIBE \"\\xff\" \"\\xfe\"", "UNSUBSCRIBE", "INFO sidecar"));
            List<String> frames = RawRespClient.show(s.read(5));
            assertThat(frames.get(4)).contains("# Sidecar");
        }
    }

    @Test
    void subscriptionsMadeInsideMultiAreTracked() throws Exception {
        fx.same(c -> {
            c.call("s", 4, "MULTI", "SUBSCRIBE x y", "PSUBSCRIBE z*", "EXEC");
            c.call("p", 1, "PUBLISH x hi").expect("s", 1);
            c.call("s", 3, "UNSUBSCRIBE", "PING");
            c.call("s", 2, "PUNSUBSCRIBE", "PING");
        });
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort())) {
            // Valkey's EXEC array holds the first confirmation only; the second follows it on its own.
            s.send(Scripts.encode("MULTI", "SUBSCRIBE x y", "EXEC", "UNSUBSCRIBE", "INFO sidecar"));
            List<String> frames = RawRespClient.show(s.read(7));
            assertThat(frames.get(3)).startsWith("*3\\r\\n$9\\r\\nsubscribe\\r\\n$1\\r\\ny");
            assertThat(frames.get(6)).contains("# Sidecar");
        }
    }

    @Test
    void trackingInvalidationPushesInResp3() throws Exception {
        List<String> t = fx.same(c -> {
            c.unrecorded("r", "HELLO 3");
            c.call("r", 4, "CLIENT TRACKING ON", "GET k1", "MGET k2 k3", "HGETALL h");
            c.call("w", 1, "SET k1 v").expect("r", 1);
            c.call("w", 1, "MSET k2 a k3 b").expect("r", 2);
            c.call("w", 1, "HSET h f v").expect("r", 1);
            c.call("w", 1, "SET k1 again").expectQuiet("r", 100);
            // A push arriving while the reader's pipeline is in flight stays between the replies around it.
            c.call("r", 2, "GET k1", "GET k2");
            c.send("w", "DEL k1 k2");
            c.expect("w", 1).expect("r", 2);
            c.call("r", 1, "FLUSHALL");
            c.expect("r", 1);
            c.call("r", 4, "CLIENT TRACKING OFF", "CLIENT TRACKING ON BCAST PREFIX bc:", "SET bc:1 own", "GET x");
            c.expect("r", 1);
            c.call("w", 1, "SET bc:2 other").expect("r", 1);
            c.call("r", 3, "CLIENT TRACKING OFF", "CLIENT TRACKING ON OPTIN NOLOOP", "CLIENT CACHING YES");
            c.call("r", 2, "GET o1", "GET o2");
            c.call("w", 1, "MSET o1 x o2 y").expect("r", 1);
            c.call("r", 1, "CLIENT TRACKINGINFO");
        });
        assertThat(t).anyMatch(l -> l.startsWith("r: >2\\r\\n$10\\r\\ninvalidate\\r\\n*1\\r\\n$2\\r\\nk1"))
                .anyMatch(l -> l.startsWith("r: >2\\r\\n$10\\r\\ninvalidate\\r\\n_"));
    }

    @Test
    void trackingRedirectToAResp2Subscriber() throws Exception {
        List<String> t = fx.same(c -> {
            String idFrame = c.unrecorded("inv", "CLIENT ID");
            String id = idFrame.substring(1, idFrame.indexOf('\\'));
            c.call("inv", 1, "SUBSCRIBE __redis__:invalidate");
            c.call("r", 2, "CLIENT TRACKING ON REDIRECT " + id, "GET k");
            c.call("w", 1, "SET k v").expect("inv", 1);
            c.note("redirect matches id: " + c.unrecorded("r", "CLIENT GETREDIR").equals(idFrame));
        });
        assertThat(t).anyMatch(l -> l.startsWith("inv: *3\\r\\n$7\\r\\nmessage\\r\\n$20\\r\\n__redis__:invalidate"))
                .contains("redirect matches id: true");
    }
}
