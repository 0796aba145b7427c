package io.valkeysidecar.proxy.session;

import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.CommandInterceptor;
import io.valkeysidecar.extension.Interception;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.extension.CommandDescriptor;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.extension.SidecarExtension;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test extension loaded through the real ServiceLoader path: {@code TEST.DELAYECHO ms value} answers
 * {@code value} after {@code ms} milliseconds on another thread (so replies complete out of order unless the
 * proxy keeps them in place), {@code TEST.FAIL msg} fails, {@code TEST.WHOAMI} reports the client context.
 * Its interceptor holds any forwarded command with an argument starting with "slow:" for 100 ms, fails any
 * with an argument starting with "refuse:", as a spill restore would hold or fail it, and adds 1000 to the
 * integer reply of any with an argument starting with "count:"; one with an argument starting with "answer:" is
 * answered by the interceptor itself and never reaches Valkey.
 */
public final class DelayedEchoExtension implements SidecarExtension {

    @Override
    public List<SidecarCommand> start(SidecarRuntime runtime) {
        return List.of(new DelayEcho(), new Fail(), new WhoAmI());
    }

    /** Commands started minus commands over, as seen by the interceptor's after-reply hook. */
    static final AtomicInteger IN_FLIGHT = new AtomicInteger();

    @Override
    public List<CommandInterceptor> interceptors() {
        return List.of((client, command, spec) -> {
            for (int i = 1; i < command.argc(); i++) {
                String arg = command.argString(i);
                if (arg.startsWith("slow:")) {
                    IN_FLIGHT.incrementAndGet();
                    return Interception.hold(CompletableFuture.supplyAsync(() -> null,
                            CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)), IN_FLIGHT::decrementAndGet);
                }
                if (arg.startsWith("refuse:")) {
                    IN_FLIGHT.incrementAndGet();
                    return Interception.hold(CompletableFuture.failedFuture(new SidecarException("NOPERM", "refused " + arg)),
                            IN_FLIGHT::decrementAndGet);
                }
                if (arg.startsWith("answer:")) {
                    IN_FLIGHT.incrementAndGet();
                    return Interception.answer(CompletableFuture.supplyAsync(() -> Reply.bulk("answered " + arg),
                            CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)), IN_FLIGHT::decrementAndGet);
                }
                if (arg.startsWith("count:")) {
                    // Amends Valkey's integer reply, as the spill tier adds keys deleted from disk to DEL's count.
                    return Interception.hold(CompletableFuture.completedFuture(addThousand()), null);
                }
            }
            return null;
        });
    }

    private static ReplyAmendment addThousand() {
        return (reply, protocol, alloc) -> {
            long n = Long.parseLong(reply.toString(reply.readerIndex() + 1, reply.readableBytes() - 3,
                    StandardCharsets.US_ASCII));
            reply.release();
            return alloc.buffer().writeBytes((":" + (n + 1000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        };
    }

    @Override
    public void close() {
    }

    private static final class DelayEcho implements SidecarCommand {
        @Override
        public CommandDescriptor descriptor() {
            return new CommandDescriptor("TEST.DELAYECHO", 3, List.of("readonly", "fast"), 0, 0, 0, List.of("read"));
        }

        @Override
        public CompletionStage<Reply> execute(ClientContext client, Command command) {
            long ms = Long.parseLong(command.argString(1));
            byte[] value = command.argBytes(2);
            return CompletableFuture.supplyAsync(() -> Reply.bulk(value),
                    CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
        }
    }

    private static final class Fail implements SidecarCommand {
        @Override
        public CommandDescriptor descriptor() {
            return new CommandDescriptor("TEST.FAIL", 2, List.of(), 0, 0, 0, List.of());
        }

        @Override
        public CompletionStage<Reply> execute(ClientContext client, Command command) {
            return CompletableFuture.failedFuture(SidecarException.err(command.argString(1)));
        }
    }

    private static final class WhoAmI implements SidecarCommand {
        @Override
        public CommandDescriptor descriptor() {
            return new CommandDescriptor("TEST.WHOAMI", 1, List.of(), 0, 0, 0, List.of());
        }

        @Override
        public CompletionStage<Reply> execute(ClientContext client, Command command) {
            return CompletableFuture.completedFuture(Reply.array(Reply.bulk(client.user()),
                    Reply.integer(client.database()), new Reply.Double(1.5), new Reply.Boolean(true)));
        }
    }
}
