package io.valkeysidecar.spill;

import static io.valkeysidecar.spill.SpillFixture.b;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.valkeysidecar.keyspace.KeyspaceListener;
import io.valkeysidecar.testing.Await;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes that bypass the sidecar, seen through real keyspace events of a real Valkey. */
class SpillCoherenceTest {

    @TempDir
    Path dir;
    SpillFixture f;
    ClientResources resources;

    @BeforeEach
    void start() {
        f = new SpillFixture(dir);
        resources = DefaultClientResources.create();
    }

    @AfterEach
    void stop() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        f.close();
    }

    private KeyspaceListener listen() {
        KeyspaceListener listener = new KeyspaceListener(resources, f.valkey.uri(), SpillCoherence.NOTIFY_FLAGS,
                List.of(new SpillCoherence(f.engine)), 10_000);
        listener.start();
        return listener;
    }

    @Test
    void aBypassingWriteMakesTheDiskCopyStaleAndADeleteAfterItIsNotUndone() throws Exception {
        f.redis.set("k", "spilled value");
        f.spill("k");
        try (KeyspaceListener listener = listen()) {
            f.redis.set("k", "written directly");
            Await.until(() -> !f.store.mightContain(0, b("k")));
            f.redis.del("k");
            assertThat(f.getThroughSidecar("k")).as("the deleted key stays deleted").isNull();
        }
    }

    @Test
    void writesWhileNobodyListenedAreReconciledAtStart() throws Exception {
        f.redis.set("a", "1");
        f.redis.set("b", "2");
        f.spill("a");
        f.spill("b");
        f.redis.set("a", "direct");
        try (KeyspaceListener listener = listen()) {
            Await.until(() -> !f.store.mightContain(0, b("a")));
            assertThat(f.store.mightContain(0, b("b"))).as("a key only on disk stays there").isTrue();
            assertThat(f.getThroughSidecar("b")).isEqualTo("2");
        }
    }

    @Test
    void removalEventsNeverTouchTheStore() throws Exception {
        // An operator's flags add removal events: the spill's own DEL of the key then announces "del" for it.
        f.redis.configSet("notify-keyspace-events", "EA");
        f.redis.set("gone", "v");
        try (KeyspaceListener listener = listen()) {
            long before = listener.received();
            f.spill("gone");
            Await.until(() -> listener.received() > before);
            assertThat(f.store.mightContain(0, b("gone"))).isTrue();
            assertThat(f.getThroughSidecar("gone")).isEqualTo("v");
        }
    }
}
