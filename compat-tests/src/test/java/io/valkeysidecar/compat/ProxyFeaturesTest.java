package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where the sidecar deliberately differs from Valkey: INFO gains a "# Sidecar" section and the command table
 * includes the sidecar's own commands. Everything else in those replies stays Valkey's, well framed in both
 * protocols, and answered in its place within a pipeline.
 */
class ProxyFeaturesTest extends SharedSidecar {

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void infoCarriesTheSidecarSectionOnlyWhenAskedFor(int resp) throws Exception {
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort());
             RawRespClient d = new RawRespClient(fx.host(), fx.valkeyPort())) {
            if (resp == 3) {
                s.call("HELLO", "3");
                d.call("HELLO", "3");
            }
            s.send(Scripts.encode("PING a", "INFO", "PING b", "INFO server", "INFO sidecar", "INFO everything",
                    "INFO server sidecar"));
            List<String> replies = RawRespClient.show(s.read(7));
            String prefix = resp == 3 ? "=" : "$";
            assertThat(replies.get(0)).isEqualTo("$1\\r\\na\\r\\n");
            assertThat(replies.get(2)).isEqualTo("$1\\r\\nb\\r\\n");
            assertThat(replies.get(1)).startsWith(prefix).contains("# Server", "# Keyspace", "# Sidecar",
                    "upstream:127.0.0.1:" + fx.valkeyPort(), "upstream_circuit_state:closed", "connected_clients:");
            assertThat(replies.get(3)).startsWith(prefix).contains("# Server").doesNotContain("# Sidecar");
            assertThat(replies.get(4)).startsWith(prefix).contains("# Sidecar").doesNotContain("# Server");
            assertThat(replies.get(5)).contains("# Commandstats", "# Sidecar");
            assertThat(replies.get(6)).contains("# Server", "# Sidecar").doesNotContain("# Clients");
            // Valkey's own part is untouched: the same sections in the same order, then the sidecar's (and any
            // extension's) sections.
            assertThat(sectionHeaders(replies.get(1))).startsWith(sectionHeaders(direct(d, "INFO")) + "Sidecar;");
        }
    }

    private static String direct(RawRespClient d, String... command) throws Exception {
        return RawRespClient.show(d.send(command).read());
    }

    private static String sectionHeaders(String info) {
        StringBuilder sb = new StringBuilder();
        for (String part : info.split("\\\\r\\\\n")) {
            if (part.startsWith("# ")) {
                sb.append(part.substring(2)).append(';');
            }
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "RESP{0}")
    @ValueSource(ints = {2, 3})
    void commandTableCountsAgree(int resp) throws Exception {
        try (RawRespClient s = new RawRespClient(fx.host(), fx.sidecarPort());
             RawRespClient d = new RawRespClient(fx.host(), fx.valkeyPort())) {
            if (resp == 3) {
                s.call("HELLO", "3");
                d.call("HELLO", "3");
            }
            long valkeyCount = integer(direct(d, "COMMAND", "COUNT"));
            String valkeyList = direct(d, "COMMAND", "LIST");
            long valkeyListed = Long.parseLong(valkeyList.substring(1, valkeyList.indexOf('\\')));
            s.send(Scripts.encode("COMMAND COUNT", "COMMAND LIST", "COMMAND", "COMMAND INFO get"));
            List<String> replies = RawRespClient.show(s.read(4));
            long count = integer(replies.get(0));
            long added = count - valkeyCount;
            assertThat(added).isNotNegative();
            // COMMAND LIST names subcommands too, so it is longer than COMMAND COUNT; both grow by the same.
            assertThat(replies.get(1)).startsWith("*" + (valkeyListed + added) + "\\r\\n");
            assertThat(replies.get(2)).startsWith("*" + count + "\\r\\n");
            assertThat(replies.get(3)).isEqualTo(direct(d, "COMMAND", "INFO", "get"));
        }
    }

    private static long integer(String frame) {
        assertThat(frame).startsWith(":");
        return Long.parseLong(frame.substring(1, frame.indexOf('\\')));
    }
}
