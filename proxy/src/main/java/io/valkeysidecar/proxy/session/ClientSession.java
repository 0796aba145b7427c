package io.valkeysidecar.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.valkeysidecar.command.CommandSpec;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.ClientContext;
import io.valkeysidecar.extension.CommandInterceptor;
import io.valkeysidecar.extension.Interception;
import io.valkeysidecar.extension.Prelude;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.ProtocolViolation;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.resp.ReplyEncoder;
import io.valkeysidecar.resp.ReplyFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection and its upstream to Valkey. Connection state (selected db, user, protocol,
 * transaction, subscriptions, tracking) lives on the Valkey connection, so a client that uses any of it gets
 * a dedicated upstream connection. Until then, while its connection is in Valkey's default state, it sends
 * its requests over its event loop's {@link SharedUpstream}; before its first connection-scoped request
 * ({@link ConnectionAffinity}), or when it pipelines deeply or stops reading, it waits for its replies there
 * and moves to a connection of its own for good.
 *
 * <p>Everything here runs on the client's event loop; upstream channels are registered on the same loop,
 * so no state is shared across threads. Requests are dispatched in order: forwarded ones go to Valkey at once
 * (pipelining is preserved), a sidecar command waits until every earlier reply has arrived and holds all later
 * requests until it has answered, so its reply sits exactly in its place. Replies leave in request order
 * through the {@link Slot} queue.
 *
 * <p>Backpressure: the client is read only while the upstream accepts writes and the number of outstanding
 * replies is bounded; Valkey is read only while the client accepts writes. A slow reader therefore slows
 * Valkey's writes to it instead of growing the sidecar's memory.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements ClientContext {

    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final short CRLF = ('\r' << 8) | '\n';
    /** Requests a session may have in flight on the shared upstream; deeper pipelines get their own connection. */
    private static final int SHARED_PIPELINE_DEPTH = 32;
    private static final String BREAKER_OPEN = "circuit breaker open after repeated failures";

    private enum UpstreamState { CONNECTING, CONNECTED, UNAVAILABLE, CLOSED }

    private final SessionServices services;
    private final long id;
    private Channel client;
    /** Replies on their way to the client, gathered until the next flush. */
    private WriteBatch out;
    /** The event loop's shared upstream while this session uses it; null once it has {@link #upstream}. */
    private SharedUpstream shared;
    private Channel upstream;
    private UpstreamState upstreamState = UpstreamState.UNAVAILABLE;
    private String unavailableReason = "not connected";

    /** Reply order: one slot per dispatched request, plus ready slots for pushes with nothing to precede. */
    private final ArrayDeque<Slot> slots = new ArrayDeque<>();
    /** Forwarded slots still waiting for frames from Valkey, oldest first. */
    private final ArrayDeque<Slot> awaiting = new ArrayDeque<>();
    /** Requests received but not dispatched yet (behind a sidecar command or a pending upstream connect). */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    /** The sidecar command being answered (its slot), with the command until it starts. */
    private Slot localSlot;
    private Command localCommand;
    private LocalExecution localHandler;
    /** Set while the head held request waits for an interceptor (e.g. a spill restore) before forwarding. */
    private CompletionStage<?> gate;
    /** How many interceptors the head held request has already passed, and what they asked for so far. */
    private int interceptorsPassed;
    private ReplyAmendment pendingAmendment;
    private Runnable pendingAfterReply;
    /** The ready stage of an interception whose command follows its preludes, until the command is forwarded. */
    private CompletionStage<?> followGate;
    /**
     * A command sent right behind its preludes while its gate or a void first reply is pending (one at a time:
     * later requests wait for the gate). {@link #aheadVoid}: a prelude answered false, so its first reply is
     * dropped and it is sent again once the gate opened.
     */
    private Slot ahead;
    private boolean aheadVoid;
    private boolean aheadGateDone;
    private Throwable aheadFailure;
    private CompletionStage<Reply> pendingAnswer;
    /** Extensions' hooks to run when the connection closes. */
    private Runnable closeHooks;

    // Connection state mirrored from Valkey's replies, so sidecar commands and framing see what Valkey sees.
    private int protocol = 2;
    private int db;
    private String user = "default";
    private boolean inMulti;
    /** MULTI forwarded and no EXEC, DISCARD or RESET after it: Valkey would queue a prelude instead of running it. */
    private boolean multiSent;
    /** The last command forwarded applies to the next one (CLIENT CACHING, ASKING), which must not be a prelude. */
    private boolean flagsNextCommand;
    private String multiSelect;
    private boolean monitoring;
    private boolean repliesOff;
    private boolean skipNextReply;
    private final Set<String> channels = new HashSet<>();
    private final Set<String> patterns = new HashSet<>();
    private final Set<String> shardChannels = new HashSet<>();
    /**
     * Pub/sub commands queued in the open transaction: their confirmations come nested in EXEC's reply, so the
     * subscription sets are updated from their arguments when EXEC succeeds.
     */
    private final List<Slot> queuedPubSub = new ArrayList<>();

    private boolean admitted;
    private boolean closing;
    /**
     * QUIT was forwarded: Valkey answers it and closes, ignoring whatever the client pipelined after it, so
     * the sidecar forwards nothing more (and answers nothing more with errors once the connection is gone).
     */
    private boolean quitSent;
    private boolean clientReading;
    private boolean upstreamReading = true;
    private boolean wroteSinceFlush;
    /**
     * CLIENT SETINFO requests Valkey accepted on the shared upstream, by attribute (the latest of each): replayed on
     * the client's own connection when it moves there, whose replies are then dropped.
     */
    private final Map<String, byte[]> libraryInfo = new HashMap<>(2);
    private int repliesToDrop;
    /** Preludes sent whose reply has not arrived yet. */
    private int preludesOwed;
    /** Request bytes read in the current read burst, counted once at its end. */
    private long receivedInBurst;
    /** {@link #replyClock()}'s reading for the current upstream read burst; 0 between bursts. */
    private long replyNanos;
    /** Already listed by the shared upstream among the sessions answered in the current event-loop pass. */
    private boolean answeredInBurst;

    public ClientSession(SessionServices services) {
        this.services = services;
        this.id = services.nextConnectionId();
    }

    // ---- ClientContext ----

    @Override
    public int protocol() {
        return protocol;
    }

    @Override
    public int database() {
        return db;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public long connectionId() {
        return id;
    }

    @Override
    public boolean preludesAllowed() {
        return !multiSent && !flagsNextCommand && !repliesOff && !skipNextReply && !monitoring && !isSubscribed()
                && !quitSent;
    }

    @Override
    public void onClose(Runnable hook) {
        if (client == null || !client.isActive()) {
            hook.run();
        } else {
            closeHooks = Hooks.then(closeHooks, hook);
        }
    }

    @Override
    public <T> Attribute<T> attr(AttributeKey<T> key) {
        return client.attr(key);
    }

    // ---- client channel events ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        out = new WriteBatch(client);
        admitted = services.admitClient();
        if (!admitted) {
            services.metrics().clientRejected();
            ByteBuf err = ReplyEncoder.encode(client.alloc(), Reply.error("ERR max number of clients reached"), 2);
            client.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
            closing = true;
            return;
        }
        services.metrics().clientConnected();
        shared = services.sharedUpstream(client.eventLoop());
        connectUpstream();
        updateReadability();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof Command c) {
            receivedInBurst += c.raw().readableBytes();
        }
        // Dispatched at the end of the read burst, so the dispatch sees the whole burst (its depth decides
        // between the shared upstream and a dedicated one).
        held.add(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        services.metrics().bytesReceived(receivedInBurst);
        receivedInBurst = 0;
        drainHeld();
        flushBoth();
        updateReadability();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReadability();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (admitted) {
            services.releaseClient();
            services.metrics().clientDisconnected();
        }
        closing = true;
        if (preludesOwed == 0) {
            releaseUpstream();
        }
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        if (pendingAfterReply != null) {
            pendingAfterReply.run();
            pendingAfterReply = null;
        }
        if (closeHooks != null) {
            Runnable hooks = closeHooks;
            closeHooks = null;
            hooks.run();
        }
        slots.forEach(Slot::discard);
        slots.clear();
        if (out != null) {
            out.discard();
        }
        if (localCommand != null) {
            localCommand.release();
            localCommand = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            ctx.close();
        } else {
            fail(cause);
        }
    }

    /** Serving this client failed (in its pipeline, or in the shared upstream's flush): logged, connection closed. */
    void fail(Throwable cause) {
        log.warn("client connection {} failed", id, cause);
        client.close();
    }

    /**
     * The client is gone: its upstream connection is left (or closed) and the replies still owed are ignored. While
     * a prelude is owed a reply this waits for it, so the prelude learns whether Valkey ran it rather than being
     * told it may still run (a RESTORE could otherwise bring back a key deleted meanwhile).
     */
    private void releaseUpstream() {
        if (shared != null) {
            shared.leave(this);
        }
        if (upstream != null) {
            upstream.close();
        }
        awaiting.clear();
    }

    // ---- dispatch ----

    private void drainHeld() {
        drainHeld(true);
    }

    /**
     * Dispatches held requests in order until one must wait (a sidecar command in progress, or an upstream
     * connect). Upstream writes are not flushed here: the caller flushes once per read burst.
     *
     * @param mayConnect whether a request may trigger a new connection attempt to Valkey
     */
    private void drainHeld(boolean mayConnect) {
        while (!held.isEmpty() && localSlot == null && gate == null && !closing) {
            if (upstreamState == UpstreamState.CONNECTING) {
                return;
            }
            if (quitSent) {
                held.forEach(ReferenceCountUtil::release);
                held.clear();
                return;
            }
            Object next = held.peek();
            if (next instanceof ProtocolViolation violation) {
                held.poll();
                services.metrics().protocolError();
                stopReading();
                // Valkey's exact bytes: the offending byte is echoed raw, not re-encoded as UTF-8.
                queueLocalReply("", Unpooled.wrappedBuffer(violation.errorBytes()), true, true);
                break;
            }
            Command c = (Command) next;
            CommandProfiles.Profile profile = services.profiles().of(c);
            SidecarCommand handler = profile.local();
            if (handler != null) {
                held.poll();
                startLocal(c, handler::execute, null);
                continue;
            }
            if (shared != null && mayConnect && leavesShared(c, profile)) {
                if (!awaiting.isEmpty()) {
                    // Resumes when the last reply on the shared connection has arrived: the request must not
                    // overtake earlier ones on another connection.
                    return;
                }
                shared.leave(this);
                shared = null;
                upstreamState = UpstreamState.UNAVAILABLE;
            }
            if (upstreamState != UpstreamState.CONNECTED) {
                // No check of the breaker's state here: connecting asks it for permission, and only asking moves
                // an open breaker to half-open once its wait is over, so a client that stayed connected through
                // an outage is served again without reconnecting.
                if (mayConnect && upstreamState == UpstreamState.UNAVAILABLE) {
                    connectUpstream();
                    if (upstreamState != UpstreamState.CONNECTED) {
                        return;
                    }
                    continue;
                }
                held.poll();
                String name = c.name();
                c.release();
                localReplySlot(name, Reply.error("ERR valkey-sidecar: Valkey is unavailable (" + unavailableReason + ")"),
                        false);
                continue;
            }
            if (!passInterceptors(c, profile)) {
                return;
            }
            held.poll();
            Runnable afterReply = pendingAfterReply;
            pendingAfterReply = null;
            if (pendingAnswer != null) {
                CompletionStage<Reply> answer = pendingAnswer;
                pendingAnswer = null;
                pendingAmendment = null;
                startLocal(c, (client, command) -> answer, afterReply);
                continue;
            }
            forward(c, profile, pendingAmendment, afterReply);
            pendingAmendment = null;
        }
    }

    /**
     * Whether the session must move to its own upstream before {@code c}: a connection-scoped request, a deep
     * pipeline (its replies would all be buffered here, where a dedicated connection lets TCP hold them back
     * in Valkey) or a client that stopped reading.
     */
    private boolean leavesShared(Command c, CommandProfiles.Profile profile) {
        return (profile.connectionScoped() && !ConnectionAffinity.isSetInfo(c))
                || awaiting.size() + held.size() > SHARED_PIPELINE_DEPTH || !client.isWritable();
    }

    /** Runs the interceptors in turn; false when one of them holds the request (the gate reopens later). */
    private boolean passInterceptors(Command c, CommandProfiles.Profile profile) {
        List<CommandInterceptor> interceptors = services.router().interceptors();
        CommandSpec spec = interceptorsPassed < interceptors.size() ? CommandTable.lookup(profile.spec(), c) : null;
        while (interceptorsPassed < interceptors.size()) {
            Interception in;
            try {
                in = interceptors.get(interceptorsPassed++).intercept(this, c, spec);
            } catch (RuntimeException e) {
                in = Interception.hold(CompletableFuture.failedFuture(e), null);
            }
            if (in == null) {
                continue;
            }
            pendingAfterReply = Hooks.then(pendingAfterReply, in.afterReply());
            if (!in.preludes().isEmpty()) {
                in.preludes().forEach(this::sendPrelude);
            }
            if (in.answer() != null) {
                // The interceptor answers the command itself: later interceptors do not see it.
                pendingAnswer = in.answer();
                break;
            }
            if (in.ready() == null) {
                continue;
            }
            CompletableFuture<? extends ReplyAmendment> ready = in.ready().toCompletableFuture();
            if (ready.isDone() && !ready.isCompletedExceptionally()) {
                pendingAmendment = Hooks.then(pendingAmendment, ready.join());
                continue;
            }
            if (in.commandFollows() && !in.preludes().isEmpty()) {
                followGate = ready;
                continue;
            }
            gate = ready;
            ready.whenComplete((amendment, failure) -> onLoop(() -> gateOpened(c, amendment, failure)));
            return false;
        }
        interceptorsPassed = 0;
        return true;
    }

    /** Written ahead of the held command; its reply goes to the prelude, not to the client. */
    private void sendPrelude(Prelude prelude) {
        preludesOwed++;
        awaiting.add(Slot.prelude(prelude));
        writeUpstream(prelude.request(client.alloc()));
    }

    /** Writes a request (taking ownership of it) to the shared upstream or the session's own. */
    private void writeUpstream(ByteBuf request) {
        if (shared != null) {
            shared.write(this, request);
        } else {
            upstream.write(request, upstream.voidPromise());
        }
    }

    /** {@code s} went right behind its preludes: later requests wait for {@code gate} all the same. */
    private void startAhead(Slot s, CompletionStage<?> aheadGate) {
        ahead = s;
        aheadVoid = false;
        aheadGateDone = false;
        aheadFailure = null;
        gate = aheadGate;
        // Never inline: the gate may complete inside a prelude's answer, before the session has noted what it said.
        aheadGate.whenComplete((v, failure) -> client.eventLoop().execute(() -> aheadGateOpened(s, failure)));
    }

    private void aheadGateOpened(Slot s, Throwable failure) {
        if (closing || ahead != s) {
            return;
        }
        aheadGateDone = true;
        aheadFailure = failure;
        if (!aheadVoid) {
            // Every prelude did its part before the command ran: its reply stands.
            ahead = null;
            gate = null;
            drainHeld();
            flushBoth();
            updateReadability();
        } else if (s.replyDropped) {
            finishAhead();
        }
        // Otherwise the gate stays closed until the void reply is dropped, so nothing overtakes the re-sent command.
    }

    /** The void first reply of {@link #ahead} was dropped and its gate opened: send it again, or answer the failure. */
    private void finishAhead() {
        Slot s = ahead;
        ahead = null;
        gate = null;
        s.replyDropped = false;
        if (aheadFailure == null) {
            awaiting.add(s);
            writeUpstream(s.takeResend());
        } else {
            s.failed = true;
            s.add(ReplyEncoder.encode(client.alloc(), SidecarException.toReply(aheadFailure), protocol));
            complete(s, System.nanoTime());
            flushSlots();
        }
        drainHeld();
        flushBoth();
        updateReadability();
    }

    private void gateOpened(Command c, ReplyAmendment amendment, Throwable failure) {
        gate = null;
        if (closing) {
            return;
        }
        if (failure != null) {
            held.poll();
            interceptorsPassed = 0;
            String name = c.name();
            c.release();
            localReplySlot(name, SidecarException.toReply(failure), false);
            Runnable after = pendingAfterReply;
            pendingAmendment = null;
            pendingAfterReply = null;
            if (after != null) {
                after.run();
            }
        } else {
            pendingAmendment = Hooks.then(pendingAmendment, amendment);
        }
        drainHeld();
        flushBoth();
        updateReadability();
    }

    private void onLoop(Runnable task) {
        if (client.eventLoop().inEventLoop()) {
            task.run();
        } else {
            client.eventLoop().execute(task);
        }
    }

    private void forward(Command c, CommandProfiles.Profile profile, ReplyAmendment interceptorAmendment,
                         Runnable afterReply) {
        String name = c.name();
        SlotKind kind = profile.kind();
        int expected = expectedReplies(c, kind);
        String param = stateParam(c, kind);
        ReplyAmendment amendment = Hooks.then(profile.amends() ? services.router().amendmentFor(c) : null,
                interceptorAmendment);
        Slot s = new Slot(name, kind, param, expected, amendment, afterReply, c.receivedNanos());
        if (kind == SlotKind.HELLO) {
            s.user = helloUser(c);
        }
        if (kind.isPubSub()) {
            s.names = new ArrayList<>(c.argc() - 1);
            for (int i = 1; i < c.argc(); i++) {
                s.names.add(new String(c.argBytes(i), StandardCharsets.ISO_8859_1));
            }
        }
        if (expected == 0) {
            complete(s, System.nanoTime());
        } else {
            awaiting.add(s);
        }
        slots.add(s);
        if (name.equals("QUIT")) {
            quitSent = true;
        }
        switch (kind) {
            case MULTI -> multiSent = true;
            case EXEC, DISCARD, RESET -> multiSent = false;
            default -> {
            }
        }
        flagsNextCommand = name.equals("ASKING") || name.equals("CLIENT") && c.argc() >= 2 && c.argIs(1, "CACHING");
        if (shared != null && followGate == null && !c.isInline() && !ConnectionAffinity.isSetInfo(c)) {
            // The common case: the shared upstream's batch copies the request, which is released right after.
            shared.writeCopy(this, c.raw());
            c.release();
            return;
        }
        ByteBuf request = c.isInline() ? asMultibulk(c) : c.raw().retain();
        if (followGate != null) {
            s.resend = request.retainedDuplicate();
            startAhead(s, followGate);
            followGate = null;
        }
        if (shared != null && ConnectionAffinity.isSetInfo(c)) {
            if (c.argc() == 4) {
                // Valkey accepts only this form; the label is kept if it does.
                s.label = new LibraryLabel(c.argString(2).toUpperCase(Locale.ROOT), ByteBufUtil.getBytes(request));
            }
            shared.writeSetInfo(this, request);
        } else {
            writeUpstream(request);
        }
        c.release();
    }

    /** How a command answered by the sidecar is run: a sidecar command, or an interceptor's own answer. */
    @FunctionalInterface
    private interface LocalExecution {
        CompletionStage<Reply> run(ClientContext client, Command command);
    }

    /**
     * An inline request re-encoded from the arguments the decoder parsed. Valkey's inline parsing depends on
     * what came before it (after a line of only blanks, even a line starting with '*' is read as inline), and
     * blank lines are consumed here, not forwarded: relaying the raw line could make Valkey frame it otherwise.
     */
    private ByteBuf asMultibulk(Command c) {
        ByteBuf request = client.alloc().buffer(c.raw().readableBytes() + 16 * c.argc());
        request.writeByte('*').writeCharSequence(Integer.toString(c.argc()), StandardCharsets.US_ASCII);
        request.writeShort(CRLF);
        for (int i = 0; i < c.argc(); i++) {
            byte[] arg = c.argBytes(i);
            request.writeByte('$').writeCharSequence(Integer.toString(arg.length), StandardCharsets.US_ASCII);
            request.writeShort(CRLF).writeBytes(arg).writeShort(CRLF);
        }
        return request;
    }

    private void startLocal(Command c, LocalExecution handler, Runnable afterReply) {
        Slot s = new Slot(c.name(), SlotKind.LOCAL, null, 1, null, afterReply, c.receivedNanos());
        s.suppressed = suppressReply();
        slots.add(s);
        localSlot = s;
        localCommand = c;
        localHandler = handler;
        runLocalWhenDrained();
    }

    /** A sidecar command starts only after all earlier forwarded commands have been answered by Valkey. */
    private void runLocalWhenDrained() {
        if (localCommand == null || !awaiting.isEmpty()) {
            return;
        }
        Command c = localCommand;
        LocalExecution handler = localHandler;
        localCommand = null;
        localHandler = null;
        if (inMulti) {
            c.release();
            finishLocal(Reply.error("ERR " + c.name() + " is a valkey-sidecar command and cannot be queued in MULTI"));
            return;
        }
        CompletionStage<Reply> stage;
        try {
            stage = handler.run(this, c);
        } catch (RuntimeException e) {
            c.release();
            finishLocal(SidecarException.toReply(e));
            return;
        }
        stage.whenComplete((reply, failure) -> {
            c.release();
            Reply r = failure != null ? SidecarException.toReply(failure) : reply;
            onLoop(() -> finishLocal(r));
        });
    }

    private void finishLocal(Reply reply) {
        Slot s = localSlot;
        localSlot = null;
        if (closing || s == null) {
            return;
        }
        s.failed = reply instanceof Reply.Error;
        if (!s.suppressed) {
            s.add(ReplyEncoder.encode(client.alloc(), reply, protocol));
        }
        complete(s, System.nanoTime());
        flushSlots();
        drainHeld();
        flushBoth();
        updateReadability();
    }

    /**
     * A slot answered by the sidecar immediately (errors, protocol violations). {@code closeAfter} must be set
     * before the slot is queued: with no replies pending it is written (and would be forgotten) at once.
     */
    private void localReplySlot(String name, Reply reply, boolean closeAfter) {
        queueLocalReply(name, ReplyEncoder.encode(client.alloc(), reply, protocol), reply instanceof Reply.Error,
                closeAfter);
    }

    private void queueLocalReply(String name, ByteBuf encoded, boolean failed, boolean closeAfter) {
        Slot s = new Slot(name, SlotKind.LOCAL, null, 0, null, null, System.nanoTime());
        s.failed = failed;
        s.closeAfter = closeAfter;
        s.add(encoded);
        complete(s, System.nanoTime());
        slots.add(s);
        flushSlots();
    }

    private boolean suppressReply() {
        if (skipNextReply) {
            skipNextReply = false;
            return true;
        }
        return repliesOff;
    }

    // ---- replies from Valkey ----

    /** A frame from Valkey for this session; {@code frame} is valid only during the call. */
    void onUpstreamFrame(ReplyFrame frame) {
        if (closing) {
            answerPreludeWhileClosing(frame);
            return;
        }
        if (repliesToDrop > 0) {
            // A reply to a replayed CLIENT SETINFO: the client had its answer on the shared upstream.
            repliesToDrop--;
            return;
        }
        Slot head = awaiting.peek();
        if (head == null || isOutOfBand(frame, head)) {
            emitOutOfBand(frame);
            return;
        }
        if (head.prelude != null) {
            awaiting.poll();
            if (!answerPrelude(head.prelude, frame) && ahead != null) {
                aheadVoid = true;
            }
            runLocalWhenDrained();
            return;
        }
        if (head == ahead && aheadVoid) {
            awaiting.poll();
            head.replyDropped = true;
            if (aheadGateDone) {
                finishAhead();
            }
            return;
        }
        if (head.kind.isPubSub() && head.kind.confirmation.equals(frame.kind())) {
            onConfirmation(head, frame);
        } else {
            onReply(head, frame);
        }
        flushSlots();
        runLocalWhenDrained();
    }

    private boolean answerPrelude(Prelude prelude, ReplyFrame frame) {
        preludesOwed--;
        return prelude.answered(frame);
    }

    /** After the client left: replies are dropped, except those owed to preludes; then the upstream is released. */
    private void answerPreludeWhileClosing(ReplyFrame frame) {
        Slot head = preludesOwed == 0 || isOutOfBand(frame, awaiting.peek()) ? null : awaiting.poll();
        if (head != null && head.prelude != null) {
            answerPrelude(head.prelude, frame);
            if (preludesOwed == 0) {
                releaseUpstream();
            }
        }
    }

    void onUpstreamReadComplete() {
        answeredInBurst = false;
        replyNanos = 0;
        if (!held.isEmpty()) {
            // A request may have been waiting for these replies to leave the shared upstream.
            drainHeld();
        }
        flushBoth();
        updateReadability();
    }

    /** For the shared upstream: true the first time this session is answered in an event-loop pass. */
    boolean markAnswered() {
        if (answeredInBurst) {
            return false;
        }
        answeredInBurst = true;
        return true;
    }

    /** Pub/sub messages and RESP3 pushes belong to no request; they keep their place in Valkey's stream. */
    private boolean isOutOfBand(ReplyFrame frame, Slot head) {
        byte type = frame.type();
        if (monitoring && isMonitorLine(frame)) {
            return true;
        }
        if (type == '>') {
            return !(head.kind.isPubSub() && head.kind.confirmation.equals(frame.kind()));
        }
        if (type == '*' && protocol == 2 && (isSubscribed() || head.kind.isPubSub())) {
            String kind = frame.kind();
            return "message".equals(kind) || "pmessage".equals(kind) || "smessage".equals(kind)
                    || isUnexpectedConfirmation(kind, head);
        }
        return false;
    }

    /**
     * A pub/sub confirmation the head request does not expect. Valkey sends them for a SUBSCRIBE of several
     * channels queued in MULTI: EXEC's array holds the first confirmation, the others follow it on their own.
     */
    private static boolean isUnexpectedConfirmation(String kind, Slot head) {
        if (kind == null || (head.kind.isPubSub() && head.kind.confirmation.equals(kind))) {
            return false;
        }
        for (SlotKind k : SlotKind.values()) {
            if (kind.equals(k.confirmation)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A MONITOR feed line, {@code +<seconds>.<micros> [db addr] "cmd" ...}. A monitoring client's own requests
     * (PING, RESET, QUIT, ...) still get in-band replies, and none of those starts with a digit, so telling
     * them apart keeps each reply with its request and lets RESET end monitoring.
     */
    private static boolean isMonitorLine(ReplyFrame frame) {
        if (frame.type() != '+' || frame.length() < 2) {
            return false;
        }
        byte first = frame.byteAt(1);
        return first >= '0' && first <= '9';
    }

    private void onConfirmation(Slot head, ReplyFrame frame) {
        Set<String> set = subscriptionSet(head.kind);
        if (head.expected < 0) {
            // Bare UNSUBSCRIBE: Valkey confirms each subscription it drops, or once when there were none.
            head.expected = Math.max(1, set.size());
        }
        String name = frame.elementString(1);
        switch (head.kind) {
            case SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE -> set.add(name);
            default -> set.remove(name);
        }
        head.add(frame.retainedRaw());
        if (--head.expected == 0) {
            awaiting.poll();
            complete(head, replyClock());
        }
    }

    private void onReply(Slot head, ReplyFrame frame) {
        boolean error = frame.isError();
        if (head.kind.isPubSub()) {
            // An error (or +QUEUED inside MULTI) instead of confirmations answers the whole command.
            head.expected = 1;
        }
        if (!error) {
            applyStateChange(head, frame);
        } else if (head.kind == SlotKind.EXEC) {
            // EXECABORT: the transaction is over all the same.
            endTransaction();
        }
        head.failed |= error;
        if (head.amendment != null && !error) {
            head.add(head.amendment.amend(frame.retainedRaw(), protocol, client.alloc()));
        } else if (head == slots.peek()) {
            // Next in the client's reply order: relayed at once (after any push attached before it), not kept.
            head.writeReady(out);
            out.write(frame);
            wroteSinceFlush = true;
        } else {
            head.add(frame.retainedRaw());
        }
        if (--head.expected == 0) {
            awaiting.poll();
            complete(head, replyClock());
        }
    }

    private void applyStateChange(Slot s, ReplyFrame reply) {
        if (s.label != null) {
            libraryInfo.put(s.label.attribute(), s.label.request());
        }
        switch (s.kind) {
            case HELLO -> {
                if (s.param != null) {
                    protocol = Integer.parseInt(s.param);
                }
                if (s.user != null) {
                    user = s.user;
                }
            }
            case AUTH -> user = s.param;
            case SELECT -> {
                if (inMulti) {
                    multiSelect = s.param;
                } else {
                    db = Integer.parseInt(s.param);
                }
            }
            case MULTI -> {
                inMulti = true;
                multiSelect = null;
                queuedPubSub.clear();
            }
            case EXEC -> {
                if (!reply.isNull()) {
                    if (multiSelect != null) {
                        db = Integer.parseInt(multiSelect);
                    }
                    queuedPubSub.forEach(this::applySubscriptionChange);
                }
                endTransaction();
            }
            case DISCARD -> endTransaction();
            case SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE -> {
                if (inMulti && "QUEUED".equals(reply.simpleString())) {
                    queuedPubSub.add(s);
                }
            }
            case MONITOR -> monitoring = true;
            case RESET -> {
                protocol = 2;
                db = 0;
                user = "default";
                endTransaction();
                monitoring = false;
                repliesOff = false;
                channels.clear();
                patterns.clear();
                shardChannels.clear();
            }
            default -> {
            }
        }
    }

    private void endTransaction() {
        inMulti = false;
        multiSelect = null;
        queuedPubSub.clear();
    }

    /** What a pub/sub command executed inside a transaction did to the subscriptions. */
    private void applySubscriptionChange(Slot s) {
        Set<String> set = subscriptionSet(s.kind);
        switch (s.kind) {
            case SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE -> set.addAll(s.names);
            default -> {
                if (s.names.isEmpty()) {
                    set.clear();
                } else {
                    s.names.forEach(set::remove);
                }
            }
        }
    }

    private void emitOutOfBand(ReplyFrame frame) {
        Slot target = awaiting.peek();
        if (target != null && target.prelude == null) {
            target.add(frame.retainedRaw());
            flushSlots();
        } else if (slots.isEmpty()) {
            out.write(frame);
            wroteSinceFlush = true;
        } else {
            slots.add(Slot.ready(frame.retainedRaw()));
        }
    }

    private void complete(Slot s, long nowNanos) {
        s.done = true;
        s.over();
        if (s.commandName != null && !s.commandName.isEmpty()) {
            services.metrics().commandCompleted(s.commandName, nowNanos - s.startNanos, s.failed);
        }
    }

    /**
     * The clock for replies: read once per upstream read burst, not per reply (two clock reads per request were
     * ~4% of the event loop's CPU under pipelined load). A latency is then short by at most the time it takes to
     * route one read burst, microseconds against the histogram's 10 us first bucket.
     */
    private long replyClock() {
        if (replyNanos == 0) {
            replyNanos = System.nanoTime();
        }
        return replyNanos;
    }

    private void flushSlots() {
        while (!slots.isEmpty()) {
            Slot head = slots.peek();
            if (head.writeReady(out) > 0) {
                wroteSinceFlush = true;
            }
            if (!head.done) {
                return;
            }
            slots.poll();
            if (head.closeAfter) {
                closing = true;
                flushOut();
                client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
    }

    private void flushBoth() {
        if (upstream != null) {
            upstream.flush();
        }
        flushClient();
    }

    private void flushClient() {
        if (wroteSinceFlush && client != null) {
            wroteSinceFlush = false;
            flushOut();
        }
    }

    private void flushOut() {
        services.metrics().bytesSent(out.flush());
    }

    void onUpstreamClosed() {
        upstream = null;
        services.metrics().upstreamDisconnected();
        upstreamLost();
    }

    /** The upstream connection this session used ended, with the state it held. */
    void upstreamLost() {
        upstreamState = UpstreamState.CLOSED;
        // Not reported to the circuit breaker: a connection also ends by CLIENT KILL, client eviction or an
        // output-buffer limit while Valkey is healthy, and a few such kills must not refuse every new client.
        // A Valkey that is really gone shows in the connect attempts that follow.
        if (!awaiting.isEmpty()) {
            Reply lost = Reply.error("ERR valkey-sidecar: connection to Valkey lost");
            for (Slot s : awaiting) {
                if (s.preludeLost()) {
                    preludesOwed--;
                    continue;
                }
                if (closing) {
                    continue;
                }
                s.expected = 0;
                s.failed = true;
                s.add(ReplyEncoder.encode(client.alloc(), lost, protocol));
                complete(s, System.nanoTime());
            }
            awaiting.clear();
        }
        flushSlots();
        // The connection's state (db, user, transaction, subscriptions) died with it: end the client's too,
        // as Valkey would, rather than continue on a fresh connection with silently different state.
        if (!closing) {
            closing = true;
            flushOut();
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    // ---- upstream connection ----

    /** Joins the shared upstream or opens a dedicated one; CONNECTED at once when the shared one is up. */
    private void connectUpstream() {
        upstreamState = UpstreamState.CONNECTING;
        if (shared != null) {
            switch (shared.join(this)) {
                case CONNECTED -> upstreamState = UpstreamState.CONNECTED;
                case PENDING -> stopReading();
                case REFUSED -> upstreamUnavailable(BREAKER_OPEN);
            }
            return;
        }
        stopReading();
        ChannelFuture f = services.upstream().connect(client.eventLoop(), new UpstreamHandler(this));
        if (f == null) {
            upstreamUnavailable(BREAKER_OPEN);
            return;
        }
        f.addListener((ChannelFutureListener) done -> {
            if (done.isSuccess() && !closing) {
                upstream = done.channel();
                services.metrics().upstreamConnected();
                replayLibraryInfo();
                upstreamReady();
            } else if (done.isSuccess()) {
                done.channel().close();
            } else {
                Throwable cause = done.cause();
                upstreamUnavailable(cause == null ? "connect failed" : cause.getMessage());
            }
        });
    }

    /** The CLIENT SETINFO requests this client ran on the shared upstream, on its own connection now. */
    private void replayLibraryInfo() {
        for (byte[] request : libraryInfo.values()) {
            upstream.write(Unpooled.wrappedBuffer(request), upstream.voidPromise());
            repliesToDrop++;
        }
        libraryInfo.clear();
    }

    void upstreamReady() {
        upstreamState = UpstreamState.CONNECTED;
        drainHeld();
        flushBoth();
        updateReadability();
    }

    void upstreamUnavailable(String reason) {
        services.metrics().upstreamConnectFailed();
        upstreamState = UpstreamState.UNAVAILABLE;
        unavailableReason = "upstream " + services.upstream().address() + ": " + reason;
        if (closing) {
            return;
        }
        // Everything waiting gets the error now; a later request may try again once the breaker allows.
        drainHeld(false);
        flushClient();
        updateReadability();
    }

    // ---- backpressure ----

    private void stopReading() {
        if (client != null && clientReading) {
            clientReading = false;
            client.config().setAutoRead(false);
        }
    }

    void updateReadability() {
        if (client == null) {
            return;
        }
        boolean upstreamWritable = shared != null
                ? upstreamState != UpstreamState.CONNECTED || shared.isWritable()
                : upstream == null || upstream.isWritable();
        boolean readClient = !closing && !quitSent && upstreamState != UpstreamState.CONNECTING && upstreamWritable
                && slots.size() < services.maxPendingReplies() && held.size() < services.maxPendingReplies();
        if (readClient != clientReading) {
            clientReading = readClient;
            client.config().setAutoRead(readClient);
        }
        if (upstream != null) {
            boolean readUpstream = client.isWritable();
            if (readUpstream != upstreamReading) {
                upstreamReading = readUpstream;
                upstream.config().setAutoRead(readUpstream);
            }
        }
    }

    // ---- request classification ----

    private boolean isSubscribed() {
        return !channels.isEmpty() || !patterns.isEmpty() || !shardChannels.isEmpty();
    }

    private Set<String> subscriptionSet(SlotKind kind) {
        return switch (kind) {
            case SUBSCRIBE, UNSUBSCRIBE -> channels;
            case PSUBSCRIBE, PUNSUBSCRIBE -> patterns;
            default -> shardChannels;
        };
    }

    private int expectedReplies(Command c, SlotKind kind) {
        if (c.name().equals("CLIENT") && c.argc() == 3 && c.argIs(1, "REPLY")) {
            if (c.argIs(2, "OFF")) {
                repliesOff = true;
                return 0;
            }
            if (c.argIs(2, "SKIP")) {
                skipNextReply = !repliesOff;
                return 0;
            }
            if (c.argIs(2, "ON")) {
                repliesOff = false;
                skipNextReply = false;
                return 1;
            }
        }
        if (suppressReply()) {
            return 0;
        }
        if (kind.isPubSub()) {
            boolean bareUnsubscribe = c.argc() == 1 && kind.confirmation.contains("unsubscribe");
            return bareUnsubscribe ? -1 : Math.max(1, c.argc() - 1);
        }
        return 1;
    }

    /** The user of {@code HELLO ver AUTH user pass}, or null when HELLO does not authenticate. */
    private static String helloUser(Command c) {
        for (int i = 2; i + 2 < c.argc(); i++) {
            if (c.argIs(i, "AUTH")) {
                return c.argString(i + 1);
            }
        }
        return null;
    }

    /** The value a state-changing command will set if Valkey accepts it. */
    private static String stateParam(Command c, SlotKind kind) {
        switch (kind) {
            case SELECT:
                return c.argc() == 2 ? c.argString(1) : "0";
            case HELLO:
                return c.argc() >= 2 && (c.argIs(1, "2") || c.argIs(1, "3")) ? c.argString(1) : null;
            case AUTH:
                return c.argc() == 3 ? c.argString(1) : "default";
            default:
                return null;
        }
    }
}
