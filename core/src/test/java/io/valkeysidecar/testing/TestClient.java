package io.valkeysidecar.testing;

import io.valkeysidecar.extension.ClientContext;

/**
 * The client context of a test or benchmark that calls a sidecar command directly, as the proxy would for a
 * client connection. It has no connection of its own, so nothing ever closes: close hooks never run.
 */
public record TestClient(int protocol, int database, String user, long connectionId) implements ClientContext {

    /** RESP2, database 0, the default user. */
    public static final TestClient DEFAULT = new TestClient(2, 0, "default", 1);

    public static TestClient as(String user, int database) {
        return new TestClient(2, database, user, 1);
    }

    /** No connection to Valkey to send them on. */
    @Override
    public boolean preludesAllowed() {
        return false;
    }

    @Override
    public void onClose(Runnable hook) {
        // No connection: the context lives as long as the test.
    }
}
