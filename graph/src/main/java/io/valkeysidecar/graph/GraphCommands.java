package io.valkeysidecar.graph;

import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.CommandDescriptor;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The GRAPH.* commands: argument parsing in front of {@link GraphService}. */
public final class GraphCommands {

    private GraphCommands() {
    }

    @FunctionalInterface
    private interface Body {
        CompletionStage<Reply> run(ClientContext client, Command command);
    }

    private static SidecarCommand command(CommandDescriptor descriptor, Body body) {
        return new SidecarCommand() {
            @Override
            public CommandDescriptor descriptor() {
                return descriptor;
            }

            @Override
            public CompletionStage<Reply> execute(ClientContext client, Command command) {
                try {
                    if (!arityOk(descriptor.arity(), command.argc())) {
                        throw SidecarException.err("wrong number of arguments for '" + descriptor.name() + "' command");
                    }
                    return body.run(client, command);
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
        };
    }

    static boolean arityOk(int arity, int argc) {
        return arity >= 0 ? argc == arity : argc >= -arity;
    }

    public static List<SidecarCommand> all(GraphService service) {
        return List.of(
                command(new CommandDescriptor("graph.query", -3, List.of("write", "denyoom"), 1, 1, 1,
                        List.of("write", "slow")), (c, cmd) -> query(service, c, cmd, GraphService.Mode.QUERY)),
                command(new CommandDescriptor("graph.ro_query", -3, List.of("readonly"), 1, 1, 1,
                        List.of("read", "slow")), (c, cmd) -> query(service, c, cmd, GraphService.Mode.RO_QUERY)),
                command(new CommandDescriptor("graph.profile", -3, List.of("write", "denyoom"), 1, 1, 1,
                        List.of("write", "slow")), (c, cmd) -> query(service, c, cmd, GraphService.Mode.PROFILE)),
                command(new CommandDescriptor("graph.explain", -3, List.of("readonly"), 1, 1, 1,
                        List.of("read", "slow")), (c, cmd) -> query(service, c, cmd, GraphService.Mode.EXPLAIN)),
                command(new CommandDescriptor("graph.delete", 2, List.of("write"), 1, 1, 1,
                        List.of("write", "slow")),
                        (c, cmd) -> service.delete(c.database(), c.user(), cmd.argBytes(1))),
                command(new CommandDescriptor("graph.list", 1, List.of("readonly"), 0, 0, 0,
                        List.of("read", "slow")), (c, cmd) -> service.list(c.database())),
                command(new CommandDescriptor("graph.config", -3, List.of("admin"), 0, 0, 0,
                        List.of("admin", "slow")), (c, cmd) -> CompletableFuture.completedFuture(config(service, cmd))),
                command(new CommandDescriptor("graph.slowlog", -2, List.of("readonly"), 1, 1, 1,
                        List.of("read", "slow")), (c, cmd) -> {
                            boolean reset = cmd.argc() > 2 && cmd.argIs(2, "RESET");
                            if (cmd.argc() > 3 || (cmd.argc() == 3 && !reset)) {
                                throw SidecarException.err("Unknown subcommand or wrong number of arguments");
                            }
                            return CompletableFuture.completedFuture(
                                    service.slowlog(c.database(), cmd.argBytes(1), reset));
                        }));
    }

    private static CompletionStage<Reply> query(GraphService service, ClientContext client, Command cmd,
                                                GraphService.Mode mode) {
        byte[] key = cmd.argBytes(1);
        String text = cmd.argString(2);
        boolean compact = false;
        long timeout = 0;
        for (int i = 3; i < cmd.argc(); i++) {
            if (cmd.argIs(i, "--compact")) {
                compact = true;
            } else if (cmd.argIs(i, "TIMEOUT") && i + 1 < cmd.argc()) {
                try {
                    timeout = Long.parseLong(cmd.argString(++i));
                } catch (NumberFormatException e) {
                    throw SidecarException.err("Failed to parse query timeout value");
                }
                if (timeout < 0) {
                    throw SidecarException.err("Failed to parse query timeout value");
                }
            } else {
                throw SidecarException.err("Unrecognized argument: " + cmd.argString(i));
            }
        }
        return service.query(client.database(), client.user(), key, text, mode, compact, timeout);
    }

    private static Reply config(GraphService service, Command cmd) {
        String sub = cmd.argString(1).toUpperCase(Locale.ROOT);
        if (sub.equals("GET") && cmd.argc() == 3) {
            return service.config().get(cmd.argString(2));
        }
        if (sub.equals("SET") && cmd.argc() == 4) {
            return service.config().set(cmd.argString(2), cmd.argString(3));
        }
        throw SidecarException.err("Unknown subcommand for GRAPH.CONFIG: use GET name or SET name value");
    }
}
