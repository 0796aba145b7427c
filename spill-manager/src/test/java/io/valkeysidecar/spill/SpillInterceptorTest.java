package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.DefaultAttributeMap;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.Interception;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.testing.TestCommands;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pins a connection keeps across commands (queued in MULTI, WATCHed), driven as the proxy drives the
 * interceptor: intercept, forward, run the after-reply hook. What is pinned shows in whether a spill may move it.
 */
class SpillInterceptorTest {

    @TempDir
    Path dir;
    private SpillFixture f;
    private MemoryController controller;
    private SpillInterceptor interceptor;
    private CommandTable table;

    @BeforeEach
    void start() {
        f = new SpillFixture(dir);
        table = CommandTable.parse(f.redis.command());
        controller = new MemoryController(f.engine, MemoryController.Settings.defaults());
        interceptor = new SpillInterceptor(f.engine, () -> table, controller, 0.85);
    }

    @AfterEach
    void stop() {
        controller.close();
        f.close();
    }

    @Test
    void aConnectionRegistersOneCloseHookHoweverManyTransactionsItRuns() {
        Connection c = new Connection();
        f.redis.set("k", "v");
        for (int i = 0; i < 1_000; i++) {
            c.send("MULTI");
            c.send("SET", "k", "v" + i);
            c.send("EXEC");
        }
        c.send("WATCH", "k");
        c.send("UNWATCH");
        assertThat(c.closeHooks).hasSize(1);
        assertThat(f.spill("k")).isEqualTo(SpillOutcome.SPILLED);
    }

    @Test
    void queuedAndWatchedKeysStayPinnedUntilTheTransactionEnds() {
        f.redis.set("queued", "1");
        f.redis.set("watched", "2");
        Connection c = new Connection();
        c.send("WATCH", "watched");
        c.send("MULTI");
        c.send("INCR", "queued");
        assertThat(f.spill("queued")).isEqualTo(SpillOutcome.PINNED);
        assertThat(f.spill("watched")).isEqualTo(SpillOutcome.PINNED);
        c.send("EXEC");
        assertThat(f.spill("queued")).isEqualTo(SpillOutcome.SPILLED);
        assertThat(f.spill("watched")).isEqualTo(SpillOutcome.SPILLED);
    }

    @Test
    void aClosedConnectionReleasesWhatItsTransactionPinned() {
        f.redis.set("w", "1");
        Connection c = new Connection();
        c.send("WATCH", "w");
        c.send("MULTI");
        assertThat(f.spill("w")).isEqualTo(SpillOutcome.PINNED);
        c.close();
        assertThat(f.spill("w")).isEqualTo(SpillOutcome.SPILLED);
    }

    /** A client connection as the interceptor sees it; commands are answered at once, as Valkey would. */
    private final class Connection extends DefaultAttributeMap implements ClientContext {
        final List<Runnable> closeHooks = new ArrayList<>();

        void send(String... args) {
            Command cmd = TestCommands.decode(args);
            try {
                Interception in = interceptor.intercept(this, cmd, table.lookup(cmd));
                if (in != null) {
                    if (in.ready() != null) {
                        assertThat(in.ready().toCompletableFuture()).isCompleted();
                    }
                    if (in.afterReply() != null) {
                        in.afterReply().run();
                    }
                }
            } finally {
                cmd.release();
            }
        }

        void close() {
            closeHooks.forEach(Runnable::run);
        }

        @Override
        public int protocol() {
            return 2;
        }

        @Override
        public int database() {
            return 0;
        }

        @Override
        public String user() {
            return "default";
        }

        @Override
        public boolean preludesAllowed() {
            return false;
        }

        @Override
        public long connectionId() {
            return 1;
        }

        @Override
        public void onClose(Runnable hook) {
            closeHooks.add(hook);
        }
    }
}
