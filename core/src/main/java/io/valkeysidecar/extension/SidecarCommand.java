package io.valkeysidecar.extension;

import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.Reply;
import java.util.concurrent.CompletionStage;

/**
 * A command the sidecar answers itself instead of forwarding (e.g. GRAPH.QUERY, EVICT).
 *
 * <p>The proxy calls {@link #execute} on the client's event loop after every earlier command of that client
 * has been answered, and holds the client's later commands until the returned stage completes, so the reply
 * lands exactly in its place in the pipeline. Implementations must not block: do I/O asynchronously and
 * CPU-heavy work on {@link SidecarRuntime#workers()}. A stage that fails is answered through
 * {@link SidecarException#toReply(Throwable)}.
 */
public interface SidecarCommand {

    /** How the command is listed by COMMAND / COMMAND INFO; its name is what clients send. */
    CommandDescriptor descriptor();

    CompletionStage<Reply> execute(ClientContext client, Command command);
}
