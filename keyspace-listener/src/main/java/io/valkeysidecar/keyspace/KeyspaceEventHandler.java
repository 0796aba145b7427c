package io.valkeysidecar.keyspace;

/** Receives keyspace events, one at a time, on the listener's own thread (never a Netty or Lettuce I/O thread). */
public interface KeyspaceEventHandler {

    void onEvent(KeyspaceEvent event);

    /**
     * The subscription was established (at start) or re-established after a gap: events may have been missed, so
     * whatever the handler derives from them must be re-checked against Valkey's current state.
     */
    void onResync();
}
