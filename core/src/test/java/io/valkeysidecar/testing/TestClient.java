package io.valkeysidecar.testing;

import io.netty.util.DefaultAttributeMap;
import io.valkeysidecar.extension.ClientContext;

/**
 * The client context of a test or benchmark that calls a sidecar command or interceptor directly, as the proxy
 * would for a client connection (RESP2, connection id 1). It has no connection of its own, so nothing ever closes:
 * close hooks never run.
 */
public final class TestClient extends DefaultAttributeMap implements ClientContext {

    private final int database;
    private final String user;

    private TestClient(String user, int database) {
        this.user = user;
        this.database = database;
    }

    /** RESP2, database 0, the default user. */
    public static TestClient defaults() {
        return as("default", 0);
    }

    public static TestClient as(String user, int database) {
        return new TestClient(user, database);
    }

    @Override
    public int protocol() {
        return 2;
    }

    @Override
    public int database() {
        return database;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public long connectionId() {
        return 1;
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
