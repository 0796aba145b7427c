package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Clients in Valkey's default connection state share one upstream connection; a connection-scoped request
 * moves its client to a connection of its own, after everything it sent before has been answered.
 */
class SharedUpstreamTest extends SharedSidecar {

    @BeforeEach
    void cleanServer() throws Exception {
        fx.flush();
        fx.awaitNoOtherClients();
    }

    @Test
    void clientsInTheDefaultStateShareOneUpstreamConnection() throws Exception {
        List<RawRespClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                RawRespClient c = new RawRespClient(fx.host(), fx.sidecarPort());
                clients.add(c);
                c.send(Scripts.encode("SET k" + i + " v" + i, "INCR counter", "GET k" + i));
            }
            for (int i = 0; i < 20; i++) {
                List<String> replies = RawRespClient.show(clients.get(i).read(3));
                assertThat(replies.get(0)).isEqualTo("+OK\\r\\n");
                assertThat(replies.get(1)).startsWith(":");
                assertThat(replies.get(2)).isEqualTo("$" + ("v" + i).length() + "\\r\\nv" + i + "\\r\\n");
            }
            String list = directClientList();
            assertThat(list.lines().filter(l -> l.contains(" lib-name=valkey-sidecar-shared "))).hasSize(1);
            // Only the listing connection itself is a raw one: none of the 20 clients has a connection of its own.
            assertThat(list.lines().filter(l -> l.contains(" lib-name= "))).hasSize(1);
        } finally {
            for (RawRespClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void aConnectionScopedRequestMovesTheClientOnlyAfterItsEarlierRequestsRan() throws Exception {
        try (RawRespClient c = new RawRespClient(fx.host(), fx.sidecarPort())) {
            // BLPOP needs the client's own connection; it must see the RPUSH sent before it on the shared one,
            // or it blocks for its whole timeout and answers nil.
            c.send(Scripts.encode("RPUSH moved x", "BLPOP moved 5", "CLIENT SETNAME mover", "CLIENT GETNAME"));
            assertThat(RawRespClient.show(c.read(4)))
                    .containsExactly(":1\\r\\n", "*2\\r\\n$5\\r\\nmoved\\r\\n$1\\r\\nx\\r\\n", "+OK\\r\\n", "$5\\r\\nmover\\r\\n");
            assertThat(directClientList()).contains(" name=mover ");
            // It stays on its own connection: its state is there.
            assertThat(c.call("GET", "moved")).isEqualTo("$-1\r\n");
            assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("$5\r\nmover\r\n");
        }
    }

    @Test
    void aSharedClientIsEndedWithTheSharedConnectionAndNewClientsAreServedAgain() throws Exception {
        try (RawRespClient shared = new RawRespClient(fx.host(), fx.sidecarPort());
             RawRespClient own = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(shared.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(own.call("SELECT", "0")).isEqualTo("+OK\r\n");
            String line = directClientList().lines().filter(l -> l.contains(" lib-name=valkey-sidecar-shared "))
                    .findFirst().orElseThrow();
            String id = line.substring(3, line.indexOf(' '));
            try (RawRespClient admin = new RawRespClient(fx.host(), fx.valkeyPort())) {
                assertThat(admin.call("CLIENT", "KILL", "ID", id)).isEqualTo(":1\r\n");
            }
            // As if its own connection had been killed: the client is disconnected, never silently moved.
            assertThat(shared.readUntilClosed(3000)).isEmpty();
            assertThat(own.call("PING")).isEqualTo("+PONG\r\n");
        }
        try (RawRespClient again = new RawRespClient(fx.host(), fx.sidecarPort())) {
            assertThat(again.call("PING")).isEqualTo("+PONG\r\n");
            assertThat(directClientList().lines().filter(l -> l.contains(" lib-name=valkey-sidecar-shared ")))
                    .hasSize(1);
        }
    }

    @Test
    void clientLibraryLabelsKeepAClientSharedAndFollowItToItsOwnConnection() throws Exception {
        // What Jedis and redis-py send on connecting, rejected labels and ordinary traffic, as Valkey answers them.
        String[][] requests = {
            {"CLIENT", "SETINFO", "LIB-NAME", "mylib"}, {"CLIENT", "SETINFO", "lib-ver", "1.2.3"},
            {"CLIENT", "SETINFO", "LIB-NAME", "bad name"}, {"CLIENT", "SETINFO", "LIB-NAME"},
            {"CLIENT", "SETINFO", "COLOR", "red"}, {"SET", "labelled", "v"}};
        List<String> expected = new ArrayList<>();
        try (RawRespClient direct = new RawRespClient(fx.host(), fx.valkeyPort())) {
            for (String[] request : requests) {
                expected.add(direct.call(request));
            }
        }
        try (RawRespClient c = new RawRespClient(fx.host(), fx.sidecarPort())) {
            List<String> actual = new ArrayList<>();
            for (String[] request : requests) {
                actual.add(c.call(request));
            }
            assertThat(actual).isEqualTo(expected);
            String list = directClientList();
            assertThat(list).doesNotContain("lib-name=mylib");
            assertThat(list.lines().filter(l -> l.contains(" lib-name=valkey-sidecar-shared "))).hasSize(1);

            // CLIENT INFO needs the client's own connection, which has the labels Valkey accepted ("bad name" was not).
            assertThat(c.call("CLIENT", "INFO")).contains(" lib-name=mylib lib-ver=1.2.3 ");
            assertThat(c.call("GET", "labelled")).isEqualTo("$1\r\nv\r\n");
            assertThat(directClientList().lines().filter(l -> l.contains(" lib-name=valkey-sidecar-shared ")))
                    .hasSize(1);
        }
    }

    private static String directClientList() throws Exception {
        try (RawRespClient admin = new RawRespClient(fx.host(), fx.valkeyPort())) {
            return admin.call("CLIENT", "LIST");
        }
    }
}
