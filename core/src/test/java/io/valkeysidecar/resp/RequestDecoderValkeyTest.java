package io.valkeysidecar.resp;

import static io.valkeysidecar.resp.DecoderHarness.bytes;
import static io.valkeysidecar.resp.DecoderHarness.iso;
import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.resp.DecoderHarness.Cmd;
import io.valkeysidecar.testing.LeakCheck;
import io.valkeysidecar.testing.RawConnection;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Differential test: the same bytes go to a real valkey-server over a socket and through {@link RequestDecoder}.
 * What Valkey answers must be exactly what the decoder's commands would get, in the same order, with a
 * protocol violation rendered as Valkey's own {@code -ERR Protocol error: ...} followed by the connection closing.
 * This pins our command boundaries, inline argument vectors and error texts to Valkey's parser.
 */
@ExtendWith(LeakCheck.class)
class RequestDecoderValkeyTest {

    private static final String SENTINEL = "*2\r\n$4\r\nECHO\r\n$5\r\n_end_\r\n";
    private static final String SENTINEL_REPLY = "$5\r\n_end_\r\n";

    private static TestValkey valkey;

    @BeforeAll
    static void start() {
        valkey = TestValkey.start();
    }

    @AfterAll
    static void stop() {
        valkey.close();
    }

    /** The reply Valkey gives to each command these tests send. */
    private static String expectedReply(Cmd cmd) {
        List<String> a = cmd.args();
        String name = a.get(0).toUpperCase(java.util.Locale.ROOT);
        if (name.equals("PING") && a.size() == 1) {
            return "+PONG\r\n";
        }
        if (name.equals("ECHO") && a.size() == 2) {
            return bulk(a.get(1));
        }
        if (name.equals("ECHO")) {
            return "-ERR wrong number of arguments for 'echo' command\r\n";
        }
        if (name.equals("EVAL") && a.get(1).equals("return ARGV") && a.get(2).equals("0")) {
            StringBuilder sb = new StringBuilder("*").append(a.size() - 3).append("\r\n");
            a.subList(3, a.size()).forEach(arg -> sb.append(bulk(arg)));
            return sb.toString();
        }
        assertThat(name).as("test commands are PING, ECHO, EVAL or unknown ones").doesNotContain("GET", "SET");
        StringBuilder sb = new StringBuilder("-ERR unknown command '").append(a.get(0))
                .append("', with args beginning with: ");
        a.subList(1, a.size()).forEach(arg -> sb.append('\'').append(arg).append("' "));
        return sb.append("\r\n").toString();
    }

    private static String bulk(String s) {
        return "$" + s.getBytes(StandardCharsets.ISO_8859_1).length + "\r\n" + s + "\r\n";
    }

    /**
     * Sends {@code input} to Valkey and through the decoder and compares. When the decoder sees no violation, a
     * sentinel ECHO follows the input so the comparison ends as soon as Valkey answered it; when the decoder
     * waits for more (an incomplete request), Valkey must stay silent and keep the connection open.
     */
    private static void assertSameAsValkey(String input) {
        assertSameAsValkey(input, Integer.MAX_VALUE);
    }

    /** As {@link #assertSameAsValkey(String)}, writing {@code chunk} bytes at a time, each read by Valkey alone. */
    private static void assertSameAsValkey(String input, int chunk) {
        List<Object> decoded = DecoderHarness.decode(RespLimits.DEFAULTS, bytes(input + SENTINEL));
        boolean violated = !decoded.isEmpty() && decoded.get(decoded.size() - 1) instanceof ProtocolViolation;
        boolean sentinelDecoded = !decoded.isEmpty()
                && decoded.get(decoded.size() - 1).equals(Cmd.multibulk(SENTINEL, "ECHO", "_end_"));
        StringBuilder expected = new StringBuilder();
        for (Object o : decoded) {
            if (o instanceof ProtocolViolation v) {
                expected.append(iso(v.errorBytes()));
            } else {
                expected.append(expectedReply((Cmd) o));
            }
        }
        try (RawConnection conn = new RawConnection(valkey.host(), valkey.port())) {
            byte[] all = bytes(input + SENTINEL);
            StringBuilder early = new StringBuilder();
            int from = 0;
            for (; from + chunk < all.length; from += chunk) {
                // Let Valkey process this read alone; stop writing once it answered with an error and closed.
                conn.send(java.util.Arrays.copyOfRange(all, from, from + chunk));
                RawConnection.Result r = conn.readUntilClosedOrQuiet(Duration.ofMillis(20));
                early.append(r.text());
                if (r.closed()) {
                    assertThat(early.toString()).as("Valkey's replies to %s", printable(input))
                            .isEqualTo(expected.toString());
                    assertThat(violated).as("Valkey closed the connection after %s", printable(input)).isTrue();
                    return;
                }
            }
            conn.send(java.util.Arrays.copyOfRange(all, from, all.length));
            if (sentinelDecoded) {
                String got = early + iso(conn.readUntilEndsWith(bytes(SENTINEL_REPLY), Duration.ofSeconds(10)));
                assertThat(got).as("Valkey's replies to %s", printable(input)).isEqualTo(expected.toString());
            } else {
                RawConnection.Result r = conn.readUntilClosedOrQuiet(Duration.ofMillis(violated ? 10_000 : 300));
                assertThat(early + r.text()).as("Valkey's replies to %s", printable(input))
                        .isEqualTo(expected.toString());
                assertThat(r.closed()).as("Valkey closed the connection after %s", printable(input)).isEqualTo(violated);
            }
        }
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "...(" + s.length() + " bytes)" : s;
        return t.replace("\r", "\\r").replace("\n", "\\n").replace("\u0000", "\\0");
    }

    @Test
    void protocolErrorsHaveValkeysTextsAndPositions() {
        String[] malformed = {
                "*abc\r\n", "*01\r\n", "*-0\r\n", "*+1\r\n", "*1 \r\n", "*\r\n", "*3000000000\r\n",
                "*9999999999999999999\r\n", "*1\r\n*1\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
                "*1\r\n$-1\r\n", "*1\r\n$-0\r\n", "*1\r\n$04\r\nPING\r\n", "*1\r\n$+4\r\nPING\r\n", "*1\r\n$\r\n",
                "*1\r\n$536870913\r\n", "*1\r\n$4abc\r\n", "*1\r\n\u00e9\r\n", "*1\r\n\r\n", "*2\r\n$1\r\nx\r\n\n\r\n",
                "ECHO \"a\"b\r\n", "ECHO 'a'b\r\n", "ECHO \"abc\r\n", "ECHO 'abc\r\n", "ECHO \"abc\\\"\r\n",
        };
        for (String bad : malformed) {
            assertSameAsValkey("PING\r\n" + bad);
        }
    }

    /**
     * Valkey refuses a line once more than 64 KB of it sit in its query buffer without a line end, so whether a
     * longer line passes depends on how its bytes were grouped into reads. The decoder judges as if every byte
     * came alone (the strictest and the only deterministic choice); Valkey agrees when the line arrives in
     * separately processed 16 KB reads (its read size).
     */
    @Test
    void overlongLinesAreRefusedAsValkeyRefusesThem() {
        String digits = "1".repeat(100_000);
        assertSameAsValkey("PING\r\nECHO " + "x".repeat(100_000), 16 * 1024);
        assertSameAsValkey("PING\r\n*" + digits, 16 * 1024);
        assertSameAsValkey("PING\r\n*1\r\n$" + digits, 16 * 1024);
    }

    @Test
    void inlineQuotingGivesValkeysArgumentVectors() {
        String[] lines = {
                "EVAL \"return ARGV\" 0 a b   c",
                "EVAL \"return ARGV\" 0 \"a b\" 'c d' \"\" ''",
                "EVAL \"return ARGV\" 0 \"\\x41\\x7a\\xff\\xZZ\" \"\\n\\r\\t\\b\\a\\q\\\\\\\"\"",
                "EVAL \"return ARGV\" 0 'it\\'s' 'a\\b' x\"a b\" \"a\"\t'b'",
                "EVAL \"return ARGV\" 0 a\u000bb\u000c \u000b x",
                "ECHO \"a\\x41\\n\" ",
                "  ECHO\tx  ",
                "PI\rNG",
        };
        for (String line : lines) {
            assertSameAsValkey("PING\r\n" + line + "\r\n");
            assertSameAsValkey(line + "\n");
        }
    }

    @Test
    void boundaryQuirksMatchValkey() {
        assertSameAsValkey("\r\n\n\r\n*0\r\n*-1\r\n*-9223372036854775808\r\nPING\r\n");
        assertSameAsValkey("  \r\n*1\r\n$4\r\nPING\r\n");
        assertSameAsValkey("\t\n\t\n*1\r\n$4\r\nPING\r\n");
        assertSameAsValkey("  \r\n\r\n*1\r\n$4\r\nPING\r\n");
        assertSameAsValkey("*1\rX$4\rYPING\r\n");
        assertSameAsValkey("*1\r\n$4\r\nPINGxxPING\r\n");
        assertSameAsValkey("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    }

    @Test
    void aNulByteInALineStallsTheConnection() {
        assertSameAsValkey("PING\r\nPING\u0000\r\nPING\r\n");
        assertSameAsValkey("PING\r\n*1\u0000\r\n$4\r\nPING\r\n");
    }
}
