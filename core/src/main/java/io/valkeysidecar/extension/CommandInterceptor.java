package io.valkeysidecar.extension;

import io.valkeysidecar.resp.Command;
import java.util.concurrent.CompletionStage;

/**
 * Sees every command before it is forwarded to Valkey, in the client's order; the spill tier uses it to bring
 * spilled keys back first. The proxy holds the command, and every later command of that client, until the
 * returned stage completes, so a restore is invisible to the client apart from its latency.
 */
public interface CommandInterceptor {

    /**
     * Called on the client's event loop. Return null to forward at once (the common path: it must be cheap,
     * must not block and should not allocate), or a stage after which the command is forwarded; a stage that
     * fails answers the command with the mapped error instead ({@link SidecarException#toReply(Throwable)}).
     */
    CompletionStage<Void> beforeForward(ClientContext client, Command command);
}
