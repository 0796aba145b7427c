package io.valkeysidecar.spill;

import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spill tier assembled: store, engine, memory controller and the periodic sweeper of expired entries.
 * The proxy talks to {@link #engine()}.
 */
public final class SpillManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SpillManager.class);

    private final SpillStore store;
    private final SpillEngine engine;
    private final MemoryController controller;
    private final ScheduledExecutorService sweeper;

    private SpillManager(SpillStore store, SpillEngine engine, MemoryController controller, long sweepIntervalMs) {
        this.store = store;
        this.engine = engine;
        this.controller = controller;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spill-sweeper");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                engine.cleanup().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("sweep of expired spilled keys failed", SpillEngine.unwrap(e));
            }
        }, sweepIntervalMs, sweepIntervalMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens the store, settles spills a crash left pending, and starts the memory controller and the sweeper.
     *
     * @param resources Lettuce resources to share (null: Lettuce's own)
     */
    public static SpillManager start(SpillConfig config, ClientResources resources, RedisURI upstream) {
        SpillStore store = SpillStore.open(config.directory(), config.diskBudgetBytes());
        SpillEngine engine = new SpillEngine(store, resources, upstream, config.maxSpillBytes());
        try {
            int settled = engine.recoverPending().toCompletableFuture().get(5, TimeUnit.MINUTES);
            if (settled > 0) {
                log.info("settled {} spills left pending by an earlier run", settled);
            }
        } catch (Exception e) {
            engine.close();
            store.close();
            throw new IllegalStateException("cannot settle pending spills", SpillEngine.unwrap(e));
        }
        MemoryController controller = new MemoryController(engine, config.memory());
        controller.start();
        return new SpillManager(store, engine, controller, config.sweepIntervalMs());
    }

    public SpillEngine engine() {
        return engine;
    }

    public SpillStore store() {
        return store;
    }

    public MemoryController controller() {
        return controller;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        controller.close();
        engine.close();
        store.close();
    }
}
