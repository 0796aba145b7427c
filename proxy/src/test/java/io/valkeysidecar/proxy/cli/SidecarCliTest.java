package io.valkeysidecar.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.proxy.SidecarConfig;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SidecarCliTest {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = SidecarCli.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsTheDocumentedOptionsAndExitsZero() {
        Run r = run("serve", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--bind", "--port", "--upstream", "--data-dir", "--metrics-port", "--max-clients",
                "--max-bulk-length", "--max-array-length", "--max-inline-length", "VALKEY_SIDECAR_METRICS_PORT");
        assertThat(run("--help").exitCode()).isZero();
    }

    @Test
    void versionPrintsTheBuildVersion() {
        Run r = run("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("valkey-sidecar ").doesNotContain("${");
    }

    @Test
    void usageErrorsExitTwoWithAMessage() {
        assertThat(run("serve", "--port", "not-a-number").exitCode()).isEqualTo(2);
        assertThat(run("serve", "--no-such-option").exitCode()).isEqualTo(2);
        Run badUpstream = run("serve", "--upstream", "nohostport");
        assertThat(badUpstream.exitCode()).isEqualTo(2);
        assertThat(badUpstream.err()).contains("--upstream must be host:port");
        assertThat(run("serve", "--port", "70000").exitCode()).isEqualTo(2);
        assertThat(run().exitCode()).isEqualTo(2);
    }

    @Test
    void runtimeFailuresExitOne() {
        // Nothing can start: the valkey-server binary does not exist.
        Run r = run("serve", "--valkey-binary", "/nonexistent/valkey-server", "--data-dir",
                System.getProperty("java.io.tmpdir") + "/sidecar-cli-test", "--metrics-port", "0", "--port", "0");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("valkey-sidecar:");
    }

    @Test
    void anUpstreamThatIsTheSidecarItselfIsRefused() throws Exception {
        String port = Integer.toString(ValkeyProcess.freePort());
        Run r = run("serve", "--port", port, "--upstream", "127.0.0.1:" + port, "--metrics-port", "0", "--no-spill",
                "--data-dir", Files.createTempDirectory("sidecar-cli-self-").toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("is this sidecar's own address");
    }

    @Test
    void defaultsMatchTheDocumentation() {
        SidecarConfig c = parse(Map.of());
        assertThat(c.bind()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(6380);
        assertThat(c.upstream()).isNull();
        assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(c.metricsPort()).isEqualTo(9464);
    }

    @Test
    void everyOptionCanComeFromTheEnvironmentAndTheCommandLineWins() {
        SidecarConfig c = parse(Map.of("VALKEY_SIDECAR_PORT", "7000", "VALKEY_SIDECAR_UPSTREAM", "valkey:6379",
                "VALKEY_SIDECAR_METRICS_PORT", "0", "VALKEY_SIDECAR_MAX_CLIENTS", "5",
                "VALKEY_SIDECAR_MAX_INLINE_LENGTH", "1024"), "--port", "7001");
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.upstream().getHostString()).isEqualTo("valkey");
        assertThat(c.upstream().getPort()).isEqualTo(6379);
        assertThat(c.metricsPort()).isZero();
        assertThat(c.maxClients()).isEqualTo(5);
        assertThat(c.limits().maxInlineLength()).isEqualTo(1024);
        assertThat(EnvironmentDefaults.variableFor("--max-bulk-length")).isEqualTo("VALKEY_SIDECAR_MAX_BULK_LENGTH");
    }

    private static SidecarConfig parse(Map<String, String> env, String... args) {
        ServeCommand serve = new ServeCommand();
        CommandLine cl = new CommandLine(serve);
        cl.setDefaultValueProvider(new EnvironmentDefaults(env));
        cl.parseArgs(args);
        return serve.toConfig();
    }
}
