package io.valkeysidecar.proxy.session;

import io.netty.buffer.ByteBuf;
import io.valkeysidecar.extension.Prelude;
import io.valkeysidecar.extension.ReplyAmendment;
import java.util.ArrayList;
import java.util.List;

/**
 * One position in a client's reply stream. Every request gets a slot when it is dispatched, so replies are
 * written in request order whether they come from Valkey or from the sidecar; out-of-band frames (pub/sub
 * messages, RESP3 pushes) are attached to the slot they preceded in Valkey's stream.
 */
final class Slot {

    final String commandName;
    final SlotKind kind;
    /** Parameter of the state change this command makes (db index, protocol version, user), if any. */
    final String param;
    final long startNanos;
    /** In-band replies still expected from Valkey; -1 = not yet known (bare UNSUBSCRIBE). */
    int expected;
    /** Amends the (single) in-band reply before it is written, e.g. INFO gains the sidecar's sections. */
    final ReplyAmendment amendment;
    /** Run once when the slot is over (answered, refused or dropped), e.g. to unpin keys. */
    private Runnable afterReply;
    boolean done;
    boolean failed;
    /** HELLO ... AUTH user: the user the connection becomes if Valkey accepts it. */
    String user;
    /** CLIENT SETINFO on the shared upstream: what to replay on the client's own connection if Valkey accepts it. */
    LibraryLabel label;
    /** Pub/sub commands: the names given (one char per byte), applied when the command is queued in MULTI. */
    List<String> names;
    /** The client switched replies off (CLIENT REPLY OFF/SKIP): answer nothing. */
    boolean suppressed;
    /** Close the client once this slot is written (protocol violation). */
    boolean closeAfter;
    /** Set for a prelude's place among the replies Valkey owes: never queued for the client, its reply goes here. */
    final Prelude prelude;
    /** A command sent right behind its preludes: its request, kept until its reply is known to stand. */
    ByteBuf resend;
    /** Its first reply was void (a prelude answered false) and dropped; it is to be sent again. */
    boolean replyDropped;

    /** A single ByteBuf, or a List of them when pushes were attached; null when nothing is ready. */
    private Object output;

    Slot(String commandName, SlotKind kind, String param, int expected, ReplyAmendment amendment, Runnable afterReply,
         long startNanos) {
        this(commandName, kind, param, expected, amendment, afterReply, startNanos, null);
    }

    private Slot(String commandName, SlotKind kind, String param, int expected, ReplyAmendment amendment,
                 Runnable afterReply, long startNanos, Prelude prelude) {
        this.prelude = prelude;
        this.commandName = commandName;
        this.kind = kind;
        this.param = param;
        this.expected = expected;
        this.amendment = amendment;
        this.afterReply = afterReply;
        this.startNanos = startNanos;
    }

    static Slot prelude(Prelude prelude) {
        return new Slot(null, SlotKind.PLAIN, null, 1, null, null, 0, prelude);
    }

    /** For a prelude's slot: tells the prelude its reply will not come, and answers true. */
    boolean preludeLost() {
        if (prelude == null) {
            return false;
        }
        prelude.lost();
        return true;
    }

    static Slot ready(ByteBuf frame) {
        Slot s = new Slot(null, SlotKind.PLAIN, null, 0, null, null, 0);
        s.add(frame);
        s.done = true;
        return s;
    }

    @SuppressWarnings("unchecked")
    void add(ByteBuf buf) {
        if (output == null) {
            output = buf;
        } else if (output instanceof ByteBuf first) {
            List<ByteBuf> list = new ArrayList<>(4);
            list.add(first);
            list.add(buf);
            output = list;
        } else {
            ((List<ByteBuf>) output).add(buf);
        }
    }

    /** Writes (without flushing) whatever is ready; returns the number of bytes written. */
    @SuppressWarnings("unchecked")
    long writeReady(WriteBatch client) {
        Object o = output;
        if (o == null) {
            return 0;
        }
        output = null;
        if (o instanceof ByteBuf b) {
            int n = b.readableBytes();
            client.write(b);
            return n;
        }
        long n = 0;
        for (ByteBuf b : (List<ByteBuf>) o) {
            n += b.readableBytes();
            client.write(b);
        }
        return n;
    }

    /** The request kept for sending again; the slot no longer holds it. */
    ByteBuf takeResend() {
        ByteBuf b = resend;
        resend = null;
        return b;
    }

    /** Runs the after-reply hook, once, and lets go of a request kept for sending again. */
    void over() {
        if (resend != null) {
            resend.release();
            resend = null;
        }
        Runnable r = afterReply;
        if (r != null) {
            afterReply = null;
            r.run();
        }
    }

    @SuppressWarnings("unchecked")
    void discard() {
        over();
        Object o = output;
        output = null;
        if (o instanceof ByteBuf b) {
            b.release();
        } else if (o != null) {
            ((List<ByteBuf>) o).forEach(ByteBuf::release);
        }
    }
}
