package io.valkeysidecar.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.valkeysidecar.proxy.Version;
import io.valkeysidecar.resp.ReplyFrame;
import io.valkeysidecar.resp.ReplyFrameDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream connection per event loop that clients in Valkey's default connection state share.
 *
 * <p>Why: on loopback most of a proxied request's cost is the kernel's work per socket write and read, and a
 * dedicated upstream per client doubles those (client to sidecar, sidecar to Valkey, and back). Requests of
 * all sessions that arrive in one event-loop pass go to Valkey in a single write here, and Valkey answers them
 * with a single write, so Valkey and the sidecar each do a fraction of the socket calls. Replies come back in
 * request order on one connection, so a FIFO of the sessions that sent them routes each frame.
 *
 * <p>Only requests whose result cannot depend on, or change, the state of the connection they run on come
 * here ({@link ConnectionAffinity}); a session leaves for its own connection before its first other request
 * and never comes back. Everything runs on the loop that owns this connection, as do its sessions.
 */
final class SharedUpstream {

    private static final Logger log = LoggerFactory.getLogger(SharedUpstream.class);

    private enum State { IDLE, CONNECTING, CONNECTED }

    /**
     * Names the connection in CLIENT LIST for operators, at connect and again after a client's CLIENT SETINFO ran
     * on it (the client's own connection gets that one later: {@link ClientSession}). Its replies go to no session.
     */
    private static final byte[] INTRODUCTION = (setInfo("LIB-NAME", "valkey-sidecar-shared")
            + setInfo("LIB-VER", Version.get())).getBytes(StandardCharsets.US_ASCII);
    private static final int INTRODUCTION_REPLIES = 2;
    /** Marks, in {@link #inFlight}, a request of the connection's own. */
    private static final Object OWN = new Object();

    private final EventLoop loop;
    private final SessionServices services;
    private State state = State.IDLE;
    private Channel channel;
    /** Requests gathered for the channel until the end of the event-loop pass. */
    private WriteBatch out;
    /** Sessions using this connection: told about writability and about the connection's end. */
    private final Set<ClientSession> attached = new HashSet<>();
    /** Sessions waiting for the connection attempt in progress. */
    private final List<ClientSession> waitingForConnect = new ArrayList<>();
    /** The session of every request written and not answered yet (or {@link #OWN}), in write order. */
    private final ArrayDeque<Object> inFlight = new ArrayDeque<>();
    /** Sessions that received replies in the current event-loop pass, to be flushed once at its end. */
    private final List<ClientSession> answered = new ArrayList<>();
    private boolean flushScheduled;
    private final Runnable flushTask = this::flush;

    SharedUpstream(EventLoop loop, SessionServices services) {
        this.loop = loop;
        this.services = services;
    }

    /** How a session's request to join came out. */
    enum Join { CONNECTED, PENDING, REFUSED }

    /**
     * Attaches {@code session}; with no connection yet, starts one (PENDING: the session hears of the outcome
     * through {@link ClientSession#upstreamReady()} or {@link ClientSession#upstreamUnavailable(String)}), unless
     * the circuit breaker refuses (REFUSED).
     */
    Join join(ClientSession session) {
        attached.add(session);
        switch (state) {
            case CONNECTED:
                return Join.CONNECTED;
            case CONNECTING:
                waitingForConnect.add(session);
                return Join.PENDING;
            default:
                break;
        }
        ChannelFuture f = services.upstream().connect(loop, new Handler());
        if (f == null) {
            attached.remove(session);
            return Join.REFUSED;
        }
        state = State.CONNECTING;
        waitingForConnect.add(session);
        channel = f.channel();
        out = new WriteBatch(channel);
        f.addListener((ChannelFutureListener) done -> connected(done));
        return Join.PENDING;
    }

    void leave(ClientSession session) {
        attached.remove(session);
        waitingForConnect.remove(session);
    }

    boolean isWritable() {
        return channel != null && channel.isWritable();
    }

    /**
     * Writes a request (taking ownership of it); it reaches the socket with every other request of this
     * event-loop pass.
     */
    void write(ClientSession session, ByteBuf request) {
        inFlight.add(session);
        out.write(request);
        scheduleFlush();
    }

    /** {@link #write} without taking ownership of {@code request}: its bytes are copied (or it is retained). */
    void writeCopy(ClientSession session, ByteBuf request) {
        inFlight.add(session);
        out.writeCopy(request);
        scheduleFlush();
    }

    /** Writes a client's CLIENT SETINFO (taking ownership of it), then restores the connection's own. */
    void writeSetInfo(ClientSession session, ByteBuf request) {
        write(session, request);
        introduce();
    }

    private void introduce() {
        for (int i = 0; i < INTRODUCTION_REPLIES; i++) {
            inFlight.add(OWN);
        }
        out.write(Unpooled.wrappedBuffer(INTRODUCTION));
        scheduleFlush();
    }

    private static String setInfo(String attribute, String value) {
        return "*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$" + attribute.length() + "\r\n" + attribute + "\r\n$"
                + value.length() + "\r\n" + value + "\r\n";
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flushTask);
        }
    }

    /**
     * Runs once per event-loop pass, after its I/O: the requests gathered go to Valkey first, then the sessions that
     * got replies in the pass flush them to their clients. In that order Valkey works on its next batch while the
     * sidecar makes its many small writes to clients; flushing each client as its replies arrived (before the
     * requests read in the same pass went out) kept Valkey waiting for all of those writes.
     */
    private void flush() {
        flushScheduled = false;
        if (out != null) {
            out.flush();
        }
        // Replies arrive only from this channel's reads, never during the sessions' calls below. A session that
        // fails here is closed alone: the others answered in this pass still get their replies.
        for (int i = 0; i < answered.size(); i++) {
            ClientSession session = answered.get(i);
            try {
                session.onUpstreamReadComplete();
            } catch (RuntimeException e) {
                session.fail(e);
            }
        }
        answered.clear();
    }

    private void connected(ChannelFuture done) {
        List<ClientSession> waiting = new ArrayList<>(waitingForConnect);
        waitingForConnect.clear();
        if (done.isSuccess()) {
            state = State.CONNECTED;
            services.metrics().upstreamConnected();
            introduce();
            waiting.forEach(ClientSession::upstreamReady);
        } else {
            state = State.IDLE;
            channel = null;
            out = null;
            Throwable cause = done.cause();
            String reason = cause == null ? "connect failed" : cause.getMessage();
            waiting.forEach(attached::remove);
            waiting.forEach(s -> s.upstreamUnavailable(reason));
        }
    }

    /**
     * The connection ended (Valkey died, or an operator killed it): the sessions on it are ended as their own
     * connections would have been, so a client never continues on a connection that silently changed.
     */
    private void closed() {
        if (state == State.CONNECTED) {
            services.metrics().upstreamDisconnected();
        }
        state = State.IDLE;
        channel = null;
        out.discard();
        out = null;
        inFlight.clear();
        answered.clear();
        List<ClientSession> sessions = new ArrayList<>(attached);
        attached.clear();
        sessions.forEach(ClientSession::upstreamLost);
    }

    /** The pipeline end of the shared connection; one instance per connection (Netty handlers are not reusable). */
    private final class Handler extends ChannelInboundHandlerAdapter implements ReplyFrameDecoder.FrameHandler {

        @Override
        public void onFrame(ReplyFrame frame) {
            Object owner = inFlight.poll();
            if (owner == OWN) {
                // Any answer will do (an unauthenticated connection gets -NOAUTH): the name is cosmetic.
                return;
            }
            if (owner == null) {
                // Nothing sent here asks for an unsolicited frame; drop rather than misroute it.
                log.warn("unexpected frame on the shared upstream connection");
                return;
            }
            ClientSession session = (ClientSession) owner;
            if (session.markAnswered()) {
                answered.add(session);
            }
            session.onUpstreamFrame(frame);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (!answered.isEmpty()) {
                scheduleFlush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            new ArrayList<>(attached).forEach(ClientSession::updateReadability);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == channel) {
                closed();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!(cause instanceof IOException)) {
                log.warn("shared upstream connection failed", cause);
            }
            ctx.close();
        }
    }
}
