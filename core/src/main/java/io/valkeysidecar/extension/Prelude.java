package io.valkeysidecar.extension;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.valkeysidecar.resp.ReplyFrame;

/**
 * A request an interceptor has the proxy send to Valkey on the client's own path (its upstream connection,
 * shared or not), just before the intercepted command and in the same write as the client's other requests:
 * it runs in the client's database, with no connection, round trip or thread hand-off of the extension's.
 * Its reply never reaches the client. The spill tier sends its RESTOREs this way.
 */
public interface Prelude {

    /** One complete RESP request; the proxy writes and releases it. */
    ByteBuf request(ByteBufAllocator alloc);

    /**
     * Valkey's reply, on the client's event loop; the frame is valid only during the call. Answers whether the
     * request did what the command behind it needs: if not, a command sent right behind it
     * ({@link Interception#commandFollows()}) is sent again.
     */
    boolean answered(ReplyFrame reply);

    /**
     * No reply will come: the connection to Valkey ended before it arrived (a client that leaves waits for its
     * preludes' replies first). Whether Valkey ran the request is unknown.
     */
    void lost();
}
