package io.valkeysidecar.keyspace;

/** Receives keyspace events, one at a time, on the listener's own thread (never a Netty or Lettuce I/O thread). */
public interface KeyspaceEventHandler {

    /**
     * Whether {@link #onEvent} should see {@code event}. Called on the subscription's I/O thread for every event
     * Valkey sends, so it must be cheap and never block; events no handler wants are dropped there.
     */
    default boolean wants(KeyspaceEvent event) {
        return true;
    }

    void onEvent(KeyspaceEvent event);

    /**
     * The subscription was established (at start) or re-established after a gap: events may have been missed, so
     * whatever the handler derives from them must be re-checked against Valkey's current state.
     */
    void onResync();
}
