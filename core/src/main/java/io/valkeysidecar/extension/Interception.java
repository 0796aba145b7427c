package io.valkeysidecar.extension;

import java.util.concurrent.CompletionStage;

/**
 * What a {@link CommandInterceptor} does around one forwarded command.
 *
 * @param ready      null to forward at once; otherwise the command, and every later command of the client, waits
 *                   until this completes. Its value (may be null) amends Valkey's reply. If it fails, the command
 *                   is answered with the mapped error ({@link SidecarException#toReply}) and not forwarded.
 * @param afterReply null, or run on the event loop once the command is over: answered, refused, or dropped
 *                   because the client went away (e.g. to unpin keys a restore pinned)
 */
public record Interception(CompletionStage<? extends ReplyAmendment> ready, Runnable afterReply) {

    public static Interception hold(CompletionStage<? extends ReplyAmendment> ready, Runnable afterReply) {
        return new Interception(ready, afterReply);
    }

    public static Interception afterReply(Runnable afterReply) {
        return new Interception(null, afterReply);
    }
}
