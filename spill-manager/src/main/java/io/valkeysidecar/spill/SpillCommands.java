package io.valkeysidecar.spill;

import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.CommandDescriptor;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** EVICT, SPILL.RESTORE and SPILL.CLEANUP: the spill tier's commands as DiceDB users know them. */
public final class SpillCommands {

    private SpillCommands() {
    }

    public static List<SidecarCommand> all(SpillEngine engine) {
        return List.of(new Evict(engine), new Restore(engine), new Cleanup(engine));
    }

    /** EVICT key [key ...]: spills the keys now; answers how many were spilled. */
    static final class Evict implements SidecarCommand {
        private final SpillEngine engine;

        Evict(SpillEngine engine) {
            this.engine = engine;
        }

        @Override
        public CommandDescriptor descriptor() {
            return new CommandDescriptor("evict", -2, List.of("write"), 1, -1, 1,
                    List.of("keyspace", "write", "slow"));
        }

        @Override
        public CompletionStage<Reply> execute(ClientContext client, Command command) {
            List<byte[]> keys = new ArrayList<>();
            for (int i = 1; i < command.argc(); i++) {
                keys.add(command.argBytes(i));
            }
            return engine.spill(client.database(), keys).thenApply(outcomes -> {
                long spilled = outcomes.stream().filter(o -> o == SpillOutcome.SPILLED).count();
                long refused = outcomes.stream().filter(o -> o == SpillOutcome.REFUSED_BUDGET).count();
                if (refused > 0) {
                    throw new SidecarException("ERR", "spill store disk budget of "
                            + engine.store().diskBudgetBytes() + " bytes reached: " + refused
                            + " key(s) stay in memory, " + spilled + " spilled");
                }
                return Reply.integer(spilled);
            });
        }
    }

    /** SPILL.RESTORE key: brings a spilled key back now; 1 if it was restored, else 0. */
    static final class Restore implements SidecarCommand {
        private final SpillEngine engine;

        Restore(SpillEngine engine) {
            this.engine = engine;
        }

        @Override
        public CommandDescriptor descriptor() {
            return new CommandDescriptor("spill.restore", 2, List.of("write"), 1, 1, 1,
                    List.of("keyspace", "write", "slow"));
        }

        @Override
        public CompletionStage<Reply> execute(ClientContext client, Command command) {
            return engine.restore(client.database(), command.argBytes(1))
                    .thenApply(o -> Reply.integer(o == RestoreOutcome.RESTORED ? 1 : 0));
        }
    }

    /** SPILL.CLEANUP: purges expired entries from disk in the background; answers how many. */
    static final class Cleanup implements SidecarCommand {
        private final SpillEngine engine;

        Cleanup(SpillEngine engine) {
            this.engine = engine;
        }

        @Override
        public CommandDescriptor descriptor() {
            return new CommandDescriptor("spill.cleanup", 1, List.of(), 0, 0, 0, List.of("keyspace", "slow"));
        }

        @Override
        public CompletionStage<Reply> execute(ClientContext client, Command command) {
            return engine.cleanup().thenApply(Reply::integer);
        }
    }
}
