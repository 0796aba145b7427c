package io.valkeysidecar.spill;

import io.valkeysidecar.keyspace.KeyspaceEvent;
import io.valkeysidecar.keyspace.KeyspaceEventHandler;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the store coherent with writes the proxy did not see (clients connected to Valkey directly, scripts
 * touching undeclared keys). Rule of the tier: when a key is in both tiers, Valkey's copy is the truth, so after
 * an event that leaves a key in Valkey, its disk copy is dropped ({@link SpillEngine#dropIfInMemory}).
 *
 * <p>A disk copy can only go stale when its key appears in Valkey again, which Valkey announces as a "new" key
 * event ({@link #NOTIFY_FLAGS}): writes to keys already in Valkey, and the spiller's own DELs, cause no event at
 * all. Events that remove a key (del, expired, evicted, rename_from, ...), which arrive when the operator enabled
 * them, are not acted on: the spiller's own DEL produces them for keys that now rightly live on disk. Valkey's own
 * evictions are counted and reported by the {@link MemoryController} from INFO, which also sees evictions while
 * this listener was disconnected.
 */
final class SpillCoherence implements KeyspaceEventHandler {

    /** Keyevent notifications ("E") of new keys ("n", not part of Valkey's "A"). */
    static final String NOTIFY_FLAGS = "En";

    private static final Logger log = LoggerFactory.getLogger(SpillCoherence.class);

    /** Events after which the key no longer exists in Valkey. */
    private static final Set<String> IGNORED = Set.of("del", "expired", "evicted", "rename_from", "move_from");

    private final SpillEngine engine;

    SpillCoherence(SpillEngine engine) {
        this.engine = engine;
    }

    /**
     * Only keys the store may hold, and not those a restore is bringing back (the "new" event of the sidecar's own
     * RESTORE): most events are dropped on the I/O thread by one index lookup.
     */
    @Override
    public boolean wants(KeyspaceEvent event) {
        return !IGNORED.contains(event.event()) && engine.store().mightContain(event.db(), event.key())
                && !engine.restoring(event.db(), event.key());
    }

    @Override
    public void onEvent(KeyspaceEvent event) {
        dropIfInMemory(event.db(), event.key());
    }

    /** After a gap in events: any spilled key that Valkey now holds has a stale disk copy. */
    @Override
    public void onResync() {
        long checked = 0;
        long dropped = 0;
        for (int db = 0; db < SpillInterceptor.DATABASES; db++) {
            byte[] after = null;
            do {
                SpillStore.Page page = engine.store().keys(db, after, 500, null, null, System.currentTimeMillis());
                for (byte[] key : page.keys()) {
                    dropped += dropIfInMemory(db, key) ? 1 : 0;
                }
                checked += page.keys().size();
                after = page.next();
            } while (after != null);
        }
        log.info("spill store resynchronised with Valkey: {} spilled keys checked, {} stale disk copies dropped",
                checked, dropped);
    }

    private boolean dropIfInMemory(int db, byte[] key) {
        try {
            return engine.dropIfInMemory(db, key).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("could not reconcile a spilled key of db {} with Valkey", db, SpillEngine.unwrap(e));
            return false;
        }
    }
}
