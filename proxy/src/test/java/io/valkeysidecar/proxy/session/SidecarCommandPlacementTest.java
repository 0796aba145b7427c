package io.valkeysidecar.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.proxy.SidecarServer;
import io.valkeysidecar.resp.RespLimits;
import io.valkeysidecar.testing.FrameBytes;
import io.valkeysidecar.testing.TestValkey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sidecar commands answer in place inside a pipeline, in the client's protocol, with errors mapped to RESP. */
class SidecarCommandPlacementTest {

    @TempDir
    static Path dataDir;
    static TestValkey valkey;
    static SidecarServer sidecar;

    @BeforeAll
    static void start() throws Exception {
        valkey = TestValkey.start();
        sidecar = SidecarServer.start(new SidecarConfig("127.0.0.1", 0,
                new InetSocketAddress(valkey.host(), valkey.port()), null, null, dataDir, 0, 100,
                RespLimits.DEFAULTS, 1000, 1, true, Duration.ofSeconds(2), "valkey-server", Map.of()));
    }

    @AfterAll
    static void stop() {
        sidecar.close();
        valkey.close();
    }

    @Test
    void slowSidecarCommandKeepsItsPlaceInAPipeline() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("SET", "k", "1"), req("TEST.DELAYECHO", "200", "slow"), req("INCR", "k"),
                    req("TEST.DELAYECHO", "0", "fast"), req("GET", "k"), req("TEST.DELAYECHO", "50", "last"));
            assertThat(c.read(6)).containsExactly("+OK\r\n", "$4\r\nslow\r\n", ":2\r\n", "$4\r\nfast\r\n",
                    "$1\r\n2\r\n", "$4\r\nlast\r\n");
        }
    }

    @Test
    void laterCommandsWaitForTheSidecarCommandSoEffectsStayOrdered() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            // If GET overtook the slow command, its reply would still be ordered, but it must also run after it.
            c.send(req("DEL", "order"), req("TEST.DELAYECHO", "100", "x"), req("RPUSH", "order", "after"),
                    req("LRANGE", "order", "0", "-1"));
            assertThat(c.read(4)).containsExactly(":0\r\n", "$1\r\nx\r\n", ":1\r\n", "*1\r\n$5\r\nafter\r\n");
        }
    }

    @Test
    void anInterceptorHoldsTheCommandAndEverythingAfterItInOrder() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("DEL", "seq"), req("RPUSH", "seq", "1"), req("RPUSH", "seq", "slow:2"), req("RPUSH", "seq", "3"),
                    req("RPUSH", "seq", "refuse:4"), req("RPUSH", "seq", "5"), req("LRANGE", "seq", "0", "-1"));
            assertThat(c.read(7)).containsExactly(":0\r\n", ":1\r\n", ":2\r\n", ":3\r\n",
                    "-NOPERM refused refuse:4\r\n", ":4\r\n", "*4\r\n$1\r\n1\r\n$6\r\nslow:2\r\n$1\r\n3\r\n$1\r\n5\r\n");
            assertThat(DelayedEchoExtension.IN_FLIGHT.get()).as("every after-reply hook ran").isZero();
        }
    }

    @Test
    void anInterceptorMayAnswerInsteadOfValkey() throws IOException {
        try (Conn c = new Conn(sidecar.port()); Conn direct = new Conn(valkey.port())) {
            c.send(req("SET", "k1", "a"), req("SET", "answer:k", "v"), req("GET", "k1"));
            assertThat(c.read(3)).containsExactly("+OK\r\n", "$17\r\nanswered answer:k\r\n", "$1\r\na\r\n");
            direct.send(req("EXISTS", "answer:k"));
            assertThat(direct.read(1)).containsExactly(":0\r\n");
            assertThat(DelayedEchoExtension.IN_FLIGHT.get()).isZero();
        }
    }

    @Test
    void anInterceptorAmendsValkeysReply() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("DEL", "count:set"), req("SADD", "count:set", "a", "b"), req("SCARD", "count:set"));
            assertThat(c.read(3)).containsExactly(":1000\r\n", ":1002\r\n", ":1002\r\n");
        }
    }

    @Test
    void afterReplyHooksRunWhenTheClientLeavesMidHold() throws Exception {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("SET", "slow:gone", "1"));
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (DelayedEchoExtension.IN_FLIGHT.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(DelayedEchoExtension.IN_FLIGHT.get()).isZero();
    }

    @Test
    void failuresBecomeErrorRepliesAndTheConnectionGoesOn() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("TEST.FAIL", "no such graph"), req("PING"));
            assertThat(c.read(2)).containsExactly("-ERR no such graph\r\n", "+PONG\r\n");
        }
    }

    @Test
    void repliesFollowTheNegotiatedProtocolAndMirroredState() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("TEST.WHOAMI"));
            assertThat(c.read(1)).containsExactly("*4\r\n$7\r\ndefault\r\n:0\r\n$3\r\n1.5\r\n:1\r\n");
            c.send(req("HELLO", "3"), req("SELECT", "5"), req("TEST.WHOAMI"));
            List<String> replies = c.read(3);
            assertThat(replies.get(0)).startsWith("%7\r\n");
            assertThat(replies.get(1)).isEqualTo("+OK\r\n");
            assertThat(replies.get(2)).isEqualTo("*4\r\n$7\r\ndefault\r\n:5\r\n,1.5\r\n#t\r\n");
        }
    }

    @Test
    void sidecarCommandsAreRefusedInsideMulti() throws IOException {
        try (Conn c = new Conn(sidecar.port())) {
            c.send(req("MULTI"), req("TEST.WHOAMI"), req("DISCARD"));
            assertThat(c.read(3)).containsExactly("+OK\r\n",
                    "-ERR TEST.WHOAMI is a valkey-sidecar command and cannot be queued in MULTI\r\n", "+OK\r\n");
        }
    }

    @Test
    void infoHasASidecarSectionAndCommandListsSidecarCommands() throws IOException {
        try (Conn c = new Conn(sidecar.port()); Conn direct = new Conn(valkey.port())) {
            c.send(req("INFO", "sidecar"));
            String info = c.read(1).get(0);
            assertThat(info).contains("# Sidecar\r\n").contains("sidecar_version:").contains("connected_clients:");
            c.send(req("INFO"));
            assertThat(c.read(1).get(0)).contains("# Server\r\n").contains("# Sidecar\r\n");
            c.send(req("INFO", "server"));
            assertThat(c.read(1).get(0)).doesNotContain("# Sidecar");

            direct.send(req("COMMAND", "COUNT"));
            long directCount = Long.parseLong(direct.read(1).get(0).substring(1).trim());
            int own = sidecar.sidecarCommands().size();
            assertThat(sidecar.sidecarCommands()).extracting(d -> d.name()).contains("test.delayecho", "test.fail");
            c.send(req("COMMAND", "COUNT"));
            assertThat(c.read(1)).containsExactly(":" + (directCount + own) + "\r\n");
            c.send(req("COMMAND", "LIST"));
            assertThat(c.read(1).get(0)).contains("test.delayecho").contains("get");
            c.send(req("COMMAND"));
            String table = c.read(1).get(0);
            c.send(req("COMMAND", "INFO", "get", "test.delayecho", "nosuchcommand"));
            String commandInfo = c.read(1).get(0);
            direct.send(req("COMMAND", "INFO", "get"));
            String getEntry = direct.read(1).get(0).substring("*1\r\n".length());
            assertThat(commandInfo).startsWith("*3\r\n" + getEntry + "*10\r\n$14\r\ntest.delayecho\r\n:3\r\n")
                    .endsWith("$-1\r\n");
            assertThat(table).startsWith("*" + (directCount + own) + "\r\n").contains("$14\r\ntest.delayecho\r\n:3\r\n");
        }
    }

    private static byte[] req(String... args) {
        StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A raw RESP connection returning whole reply frames as text. */
    private static final class Conn implements AutoCloseable {
        private final Socket socket = new Socket();
        private final List<byte[]> frames = new ArrayList<>();
        private final EmbeddedChannel framer = new EmbeddedChannel(FrameBytes.collectingInto(frames));

        Conn(int port) throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
        }

        void send(byte[]... requests) throws IOException {
            OutputStream out = socket.getOutputStream();
            for (byte[] r : requests) {
                out.write(r);
            }
            out.flush();
        }

        List<String> read(int n) throws IOException {
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[65536];
            while (frames.size() < n) {
                int k = in.read(buf);
                if (k < 0) {
                    throw new IOException("closed");
                }
                framer.writeInbound(Unpooled.copiedBuffer(buf, 0, k));
            }
            List<String> out = new ArrayList<>();
            for (byte[] f : frames.subList(0, n)) {
                out.add(new String(f, StandardCharsets.UTF_8));
            }
            frames.subList(0, n).clear();
            return out;
        }

        @Override
        public void close() throws IOException {
            framer.finishAndReleaseAll();
            socket.close();
        }
    }
}
