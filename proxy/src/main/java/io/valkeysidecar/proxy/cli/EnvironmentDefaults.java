package io.valkeysidecar.proxy.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;

/**
 * Makes every option settable by environment variable: {@code --metrics-port} reads
 * {@code VALKEY_SIDECAR_METRICS_PORT}. The command line wins over the environment, which wins over defaults.
 */
final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {

    static final String PREFIX = "VALKEY_SIDECAR_";

    private final Map<String, String> env;

    EnvironmentDefaults(Map<String, String> env) {
        this.env = env;
    }

    static String variableFor(String longOptionName) {
        return PREFIX + longOptionName.replaceFirst("^--", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        if (arg instanceof CommandLine.Model.OptionSpec option) {
            String value = env.get(variableFor(option.longestName()));
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return arg.defaultValue();
    }
}
