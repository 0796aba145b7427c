package io.valkeysidecar.compat;

import org.junit.jupiter.api.BeforeAll;

/**
 * The whole differential corpus again with {@code --no-share-upstream}: every client on its own upstream
 * connection from its first request, the sidecar's other connection model.
 */
class DedicatedUpstreamCorpusTest extends DifferentialCorpusTest {

    /** Hides {@link SharedSidecar#startSidecar()}: JUnit runs this one instead. */
    @BeforeAll
    static void startSidecar() {
        fx = SidecarFixture.startWithDedicatedUpstreams();
    }
}
