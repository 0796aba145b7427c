package io.valkeysidecar.extension;

import io.valkeysidecar.command.CommandSpec;
import io.valkeysidecar.resp.Command;

/**
 * Sees every command before it is forwarded to Valkey, in the client's order; the spill tier uses it to bring
 * spilled keys back first and to keep keys with commands in flight from being spilled.
 */
public interface CommandInterceptor {

    /**
     * Called on the client's event loop. Returns null when the interceptor has nothing to do with the command;
     * this is the hot path of every request, so the common case must be cheap and must not block.
     *
     * @param spec the command's entry in Valkey's command table (its sub-command's for a container command), found
     *             once by the proxy for every interceptor; null when the table does not know the command
     */
    Interception intercept(ClientContext client, Command command, CommandSpec spec);
}
