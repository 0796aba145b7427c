package io.valkeysidecar.proxy.cli;

import io.netty.util.ResourceLeakDetector;
import io.valkeysidecar.proxy.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code valkey-sidecar}: exit code 0 on success, 1 on a runtime failure, 2 on a usage error. Every option
 * can also be set through an environment variable named after it (see {@link EnvironmentDefaults}).
 */
@Command(name = "valkey-sidecar", mixinStandardHelpOptions = true, versionProvider = SidecarCli.VersionProvider.class,
        description = "A RESP proxy that adds a spill tier, reactive watches and graph commands to an unmodified Valkey.",
        subcommands = {ServeCommand.class})
public final class SidecarCli implements Runnable {

    private static final String LEAK_DETECTION = "io.netty.leakDetection.level";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty(LEAK_DETECTION) == null) {
            // Netty's default samples one buffer in 128, but every slice of a sampled read buffer is then tracked
            // with a stack trace: ~3% of the event loop's CPU under pipelined load, measured. The test suite runs
            // with paranoid detection; an operator can still set the property.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(newCommandLine().execute(args));
    }

    /** The configured command line (exposed so tests run exactly what the launcher runs). */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new SidecarCli());
        cl.setDefaultValueProvider(new EnvironmentDefaults(System.getenv()));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("valkey-sidecar: " + ex.getMessage());
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'valkey-sidecar serve'");
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"valkey-sidecar " + Version.get()};
        }
    }
}
