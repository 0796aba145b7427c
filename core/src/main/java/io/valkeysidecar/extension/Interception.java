package io.valkeysidecar.extension;

import io.valkeysidecar.resp.Reply;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What a {@link CommandInterceptor} does around one forwarded command.
 *
 * @param ready      null to forward at once; otherwise the command, and every later command of the client, waits
 *                   until this completes. Its value (may be null) amends Valkey's reply. If it fails, the command
 *                   is answered with the mapped error ({@link SidecarException#toReply}) and not forwarded.
 * @param answer     null to forward; otherwise the command is not forwarded and this is its reply, placed like a
 *                   sidecar command's (e.g. the spill tier answers SCAN's cursors over spilled keys itself)
 * @param afterReply null, or run on the event loop once the command is over: answered, refused, or dropped
 *                   because the client went away (e.g. to unpin keys a restore pinned)
 * @param preludes   requests sent to Valkey on the client's path before the command is held (only when
 *                   {@link ClientContext#preludesAllowed()}); {@code ready} usually completes from their replies
 * @param commandFollows the command is sent right behind its preludes instead of waiting for {@code ready}; only
 *                   for commands that may run twice (read-only, not blocking): if a prelude answers false, the
 *                   command's first reply is dropped and it is sent again once {@code ready} completes (or
 *                   answered with its failure). Later requests wait for {@code ready} either way, and its value must
 *                   be null (the command is on its way before it is known).
 */
public record Interception(CompletionStage<? extends ReplyAmendment> ready, CompletionStage<Reply> answer,
                           Runnable afterReply, List<Prelude> preludes, boolean commandFollows) {

    public static Interception hold(CompletionStage<? extends ReplyAmendment> ready, Runnable afterReply) {
        return new Interception(ready, null, afterReply, List.of(), false);
    }

    /**
     * Sends {@code preludes} at once, then the command right behind them if {@code commandFollows}, else holds it
     * until {@code ready} completes.
     */
    public static Interception afterPreludes(List<Prelude> preludes, boolean commandFollows,
                                             CompletionStage<? extends ReplyAmendment> ready, Runnable afterReply) {
        return new Interception(ready, null, afterReply, preludes, commandFollows);
    }

    public static Interception afterReply(Runnable afterReply) {
        return new Interception(null, null, afterReply, List.of(), false);
    }

    public static Interception answer(CompletionStage<Reply> answer, Runnable afterReply) {
        return new Interception(null, answer, afterReply, List.of(), false);
    }
}
