package io.valkeysidecar.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CommandNamesTest {

    /** The plain conversion the table must agree with: ASCII letters upper-cased, every other byte kept. */
    private static String reference(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append((char) (b >= 'a' && b <= 'z' ? b - 32 : b & 0xff));
        }
        return sb.toString();
    }

    /** {@code name} inside a buffer with {@code after} bytes behind it, as a request's first argument sits. */
    private static String fromBuffer(byte[] name, int after) {
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes("*1\r\n$".getBytes(StandardCharsets.US_ASCII));
        int offset = buf.writerIndex() + 4;
        buf.writeBytes(String.format("%02d\r\n", name.length).getBytes(StandardCharsets.US_ASCII));
        buf.writeBytes(name);
        buf.writeZero(after);
        try {
            return CommandNames.upperCase(buf, offset, name.length);
        } finally {
            buf.release();
        }
    }

    @Test
    void registeredNamesComeBackAsTheSameInternedInstanceInAnyLetterCase() {
        String canonical = CommandNames.canonical("zRangeByScore");
        assertThat(canonical).isEqualTo("ZRANGEBYSCORE").isSameAs("ZRANGEBYSCORE");
        for (String spelling : List.of("zrangebyscore", "ZRANGEBYSCORE", "ZrAnGeByScOrE")) {
            byte[] bytes = spelling.getBytes(StandardCharsets.US_ASCII);
            for (int after : new int[] {0, 2, 7, 30}) {
                assertThat(fromBuffer(bytes, after)).isSameAs(canonical);
            }
            assertThat(CommandNames.upperCase(bytes, bytes.length)).isSameAs(canonical);
        }
        assertThat(CommandNames.canonical("ZRANGEBYSCORE")).isSameAs(canonical);
    }

    @Test
    void namesDifferingOnlyInLengthOrInBytesNextToTheLetterRangeStayApart() {
        CommandNames.registerAll(List.of("get", "getex", "graph.query", "sixteen-bytes-xy"));
        assertThat(fromBuffer("GET\0".getBytes(StandardCharsets.ISO_8859_1), 10)).isEqualTo("GET\0");
        assertThat(fromBuffer("ge".getBytes(StandardCharsets.US_ASCII), 10)).isEqualTo("GE");
        // '@' and '[' border 'A'..'Z', '`' and '{' border 'a'..'z'; 0xE7 is 'g' with the high bit set.
        for (String name : List.of("@ET", "[ET", "`et", "{et", "g\u00e7t")) {
            byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
            assertThat(fromBuffer(bytes, 10)).isEqualTo(reference(bytes)).isNotEqualTo("GET");
        }
        assertThat(fromBuffer("Graph.Query".getBytes(StandardCharsets.US_ASCII), 0)).isSameAs("GRAPH.QUERY");
        assertThat(fromBuffer("SIXTEEN-BYTES-XY".getBytes(StandardCharsets.US_ASCII), 0)).isSameAs("SIXTEEN-BYTES-XY");
    }

    @Test
    void anyByteSequenceConvertsAsThePlainConversionWouldRegisteredOrNot() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] name = new byte[1 + random.nextInt(24)];
            for (int b = 0; b < name.length; b++) {
                // Mostly letters of both cases, some of every other byte value.
                int kind = random.nextInt(4);
                name[b] = (byte) (kind == 0 ? random.nextInt(256) : kind == 1 ? 'a' + random.nextInt(26)
                        : kind == 2 ? 'A' + random.nextInt(26) : "._|-@[`{0".charAt(random.nextInt(9)));
            }
            String expected = reference(name);
            if (i % 10 == 0) {
                assertThat(CommandNames.canonical(new String(name, StandardCharsets.ISO_8859_1))).isEqualTo(expected);
            }
            assertThat(fromBuffer(name, random.nextInt(20))).isEqualTo(expected);
            assertThat(CommandNames.upperCase(name, name.length)).isEqualTo(expected);
        }
    }
}
