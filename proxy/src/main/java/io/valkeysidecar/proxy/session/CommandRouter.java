package io.valkeysidecar.proxy.session;

import io.valkeysidecar.extension.CommandInterceptor;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.proxy.info.CommandTableRewriter;
import io.valkeysidecar.proxy.info.InfoRewriter;
import io.valkeysidecar.resp.Command;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Decides, per request, whether the sidecar answers it or Valkey does, and whether Valkey's reply is amended. */
public final class CommandRouter {

    private final Map<String, SidecarCommand> local;
    private final InfoRewriter info;
    private final CommandTableRewriter commandTable;
    private final List<CommandInterceptor> interceptors;

    public CommandRouter(List<SidecarCommand> commands, List<CommandInterceptor> interceptors, InfoRewriter info,
                         CommandTableRewriter commandTable) {
        this.interceptors = List.copyOf(interceptors);
        this.local = commands.stream().collect(Collectors.toUnmodifiableMap(
                c -> c.descriptor().name().toUpperCase(Locale.ROOT), Function.identity()));
        this.info = info;
        this.commandTable = commandTable;
    }

    /** Interceptors every forwarded command passes first, in order. */
    List<CommandInterceptor> interceptors() {
        return interceptors;
    }

    /** Upper-case names of the sidecar's own commands. */
    Set<String> localNames() {
        return local.keySet();
    }

    /** The sidecar command answering requests named {@code upperName}, or null when they go to Valkey. */
    SidecarCommand localCommand(String upperName) {
        return local.get(upperName);
    }

    /** Whether Valkey's replies to requests named {@code upperName} may be amended ({@link #amendmentFor}). */
    static boolean amends(String upperName) {
        return upperName.equals("INFO") || upperName.equals("COMMAND");
    }

    /** How Valkey's reply to {@code c} is amended, or null when it is relayed unchanged. */
    ReplyAmendment amendmentFor(Command c) {
        switch (c.name()) {
            case "INFO":
                return info.forRequest(c);
            case "COMMAND":
                return commandTable.forRequest(c);
            default:
                return null;
        }
    }
}
