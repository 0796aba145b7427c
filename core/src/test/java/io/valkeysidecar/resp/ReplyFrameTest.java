package io.valkeysidecar.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.valkeysidecar.testing.LeakCheck;
import io.valkeysidecar.testing.RawConnection;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The little {@link ReplyFrame} reads of a frame to route it, on frames Valkey sent and on edge cases. */
@ExtendWith(LeakCheck.class)
class ReplyFrameTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Applies {@code f} to each frame of {@code stream}, as the decoder hands it over. */
    private static <T> List<T> each(byte[] stream, Function<ReplyFrame, T> f) {
        List<T> out = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new ReplyFrameDecoder(frame -> out.add(f.apply(frame))));
        try {
            ch.writeInbound(LeakCheck.buffer(stream));
        } finally {
            ch.finishAndReleaseAll();
        }
        return out;
    }

    private static <T> T one(String frame, Function<ReplyFrame, T> f) {
        List<T> all = each(bytes(frame), f);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    @Test
    void framesFromValkeyAreRecognised() {
        byte[] resp2;
        byte[] resp3;
        try (TestValkey valkey = TestValkey.start();
             RawConnection c2 = new RawConnection(valkey.host(), valkey.port());
             RawConnection c3 = new RawConnection(valkey.host(), valkey.port());
             RawConnection pub = new RawConnection(valkey.host(), valkey.port())) {
            c2.send("SUBSCRIBE ch\r\nPSUBSCRIBE p*\r\nPING x\r\n");
            c2.readUntilEndsWith(bytes("$1\r\nx\r\n"), Duration.ofSeconds(10));
            pub.send("PUBLISH ch a:5\r\nPUBLISH px b\r\n")
                    .readUntilEndsWith(bytes(":1\r\n:1\r\n"), Duration.ofSeconds(10));
            c2.send("PING end\r\n");
            resp2 = c2.readUntilEndsWith(bytes("$3\r\nend\r\n"), Duration.ofSeconds(10));
            c3.send("HELLO 3\r\nCLIENT TRACKING ON\r\nGET k\r\nSET k 1\r\nSUBSCRIBE ch\r\nPUBLISH ch m\r\n"
                    + "SET s OK\r\nGET s\r\nGET nokey\r\nLRANGE nolist 0 -1\r\nINCR s\r\nECHO end\r\n");
            resp3 = c3.readUntilEndsWith(bytes("$3\r\nend\r\n"), Duration.ofSeconds(10));
        }
        // RESP2: message (ch, "a:5"), pmessage, pong; the subscribe confirmations were read before.
        assertThat(each(resp2, ReplyFrame::kind)).containsExactly("message", "pmessage", "pong");
        assertThat(each(resp2, ReplyFrame::trailingCount)).containsExactly(-1L, -1L, -1L);
        assertThat(each(resp2, f -> f.elementString(1))).containsExactly("ch", "p*", "end");
        assertThat(each(resp2, f -> f.elementString(2))).containsExactly("a:5", "px", null);
        // HELLO, TRACKING, GET k, SET k, invalidate push, subscribe push, PUBLISH, message push, SET s, GET s,
        // GET nokey, LRANGE, INCR s (an error), ECHO.
        assertThat(each(resp3, ReplyFrame::type)).containsExactly((byte) '%', (byte) '+', (byte) '_', (byte) '+',
                (byte) '>', (byte) '>', (byte) ':', (byte) '>', (byte) '+', (byte) '$', (byte) '_', (byte) '*',
                (byte) '-', (byte) '$');
        assertThat(each(resp3, ReplyFrame::kind)).containsExactly(null, null, null, null, "invalidate",
                "subscribe", null, "message", null, null, null, null, null, null);
        assertThat(each(resp3, ReplyFrame::trailingCount)).containsExactly(-1L, -1L, -1L, -1L, -1L, 1L, -1L, -1L,
                -1L, -1L, -1L, -1L, -1L, -1L);
        assertThat(each(resp3, ReplyFrame::isPush)).containsExactly(false, false, false, false, true, true, false,
                true, false, false, false, false, false, false);
        assertThat(each(resp3, ReplyFrame::simpleString)).containsExactly(null, "OK", null, "OK", null, null,
                null, null, "OK", null, null, null, null, null);
        assertThat(each(resp3, ReplyFrame::isNull)).containsExactly(false, false, true, false, false, false,
                false, false, false, false, true, false, false, false);
        assertThat(each(resp3, ReplyFrame::isError)).containsExactly(false, false, false, false, false, false,
                false, false, false, false, false, false, true, false);
    }

    @Test
    void trailingCountReadsOnlyATopLevelIntegerElement() {
        assertThat(one("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:12\r\n", ReplyFrame::trailingCount)).isEqualTo(12);
        assertThat(one(">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n", ReplyFrame::trailingCount)).isZero();
        // A bulk string ending like an integer is not one.
        assertThat(one("*1\r\n$3\r\na:5\r\n", ReplyFrame::trailingCount)).isEqualTo(-1);
        assertThat(one("*2\r\n$1\r\nx\r\n$4\r\nz\n:5\r\n", ReplyFrame::trailingCount)).isEqualTo(-1);
        // The integer of a nested aggregate is not the frame's last element.
        assertThat(one("*2\r\n:1\r\n*1\r\n:7\r\n", ReplyFrame::trailingCount)).isEqualTo(-1);
        assertThat(one("*2\r\n%1\r\n+a\r\n*1\r\n:3\r\n:9\r\n", ReplyFrame::trailingCount)).isEqualTo(9);
        assertThat(one("*2\r\n|1\r\n+k\r\n+v\r\n$2\r\nab\r\n:4\r\n", ReplyFrame::trailingCount)).isEqualTo(4);
        assertThat(one(":5\r\n", ReplyFrame::trailingCount)).isEqualTo(-1);
        assertThat(one("*0\r\n", ReplyFrame::trailingCount)).isEqualTo(-1);
        assertThat(one("*-1\r\n", ReplyFrame::trailingCount)).isEqualTo(-1);
    }

    @Test
    void kindIsLowerCasedWhateverTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            assertThat(one("*2\r\n$10\r\nINVALIDATE\r\n_\r\n", ReplyFrame::kind)).isEqualTo("invalidate");
            assertThat(one("*1\r\n+MESSAGE\r\n", ReplyFrame::kind)).isEqualTo("message");
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void kindNeedsAShortStringFirstElement() {
        assertThat(one("*1\r\n$17\r\nabcdefghijklmnopq\r\n", ReplyFrame::kind)).isNull();
        assertThat(one("*1\r\n:1\r\n", ReplyFrame::kind)).isNull();
        assertThat(one("*0\r\n", ReplyFrame::kind)).isNull();
        assertThat(one("$7\r\nmessage\r\n", ReplyFrame::kind)).isNull();
        assertThat(one("*1\r\n$-1\r\n", ReplyFrame::kind)).isNull();
    }

    @Test
    void errorsAndNullsAreRecognised() {
        assertThat(one("!9\r\nERR oops!\r\n", ReplyFrame::isError)).isTrue();
        assertThat(one("-ERR x\r\n", ReplyFrame::isError)).isTrue();
        assertThat(one("*-1\r\n", ReplyFrame::isNull)).isTrue();
        assertThat(one("$-1\r\n", ReplyFrame::isNull)).isTrue();
        assertThat(one("$0\r\n\r\n", ReplyFrame::isNull)).isFalse();
        assertThat(one("+OK\r\n", ReplyFrame::simpleString)).isEqualTo("OK");
        assertThat(one("+\r\n", ReplyFrame::simpleString)).isEmpty();
    }
}
