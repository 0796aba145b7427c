package io.valkeysidecar.extension;

import io.valkeysidecar.resp.Command;

/**
 * Sees every command before it is forwarded to Valkey, in the client's order; the spill tier uses it to bring
 * spilled keys back first and to keep keys with commands in flight from being spilled.
 */
public interface CommandInterceptor {

    /**
     * Called on the client's event loop. Returns null when the interceptor has nothing to do with the command;
     * this is the hot path of every request, so the common case must be cheap and must not block.
     */
    Interception intercept(ClientContext client, Command command);
}
