package io.valkeysidecar.extension;

import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

/** What a sidecar command may know about the client connection that sent it. */
public interface ClientContext {

    /** 2 or 3, as negotiated with HELLO; replies are encoded accordingly by the proxy. */
    int protocol();

    /** The database selected with SELECT. */
    int database();

    /** The ACL user this connection is authenticated as ("default" until AUTH/HELLO says otherwise). */
    String user();

    /**
     * Whether an interceptor may send {@link Prelude}s ahead of this client's next command: its connection to Valkey
     * would answer them with exactly one reply each, right away (no transaction open, replies not switched off, not
     * subscribed or monitoring), and they would not take a setting meant for the command (CLIENT CACHING, ASKING).
     */
    boolean preludesAllowed();

    /** The sidecar's id for this client connection (stable for its lifetime). */
    long connectionId();

    /**
     * Runs {@code hook} on the event loop when the connection closes (at once if it already has), so per-connection
     * state an extension keeps (pins held across a transaction) never outlives the connection.
     */
    void onClose(Runnable hook);

    /**
     * State an extension keeps for this connection (pins held across a transaction), reached without a lookup by
     * connection id on every command; it goes with the connection.
     */
    <T> Attribute<T> attr(AttributeKey<T> key);
}
