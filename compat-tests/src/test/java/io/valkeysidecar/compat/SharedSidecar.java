package io.valkeysidecar.compat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Test classes whose tests share one real Valkey with a sidecar in front of it, started once per class. */
abstract class SharedSidecar {

    static SidecarFixture fx;

    @BeforeAll
    static void startSidecar() {
        fx = SidecarFixture.start();
    }

    @AfterAll
    static void stopSidecar() {
        fx.close();
    }
}
