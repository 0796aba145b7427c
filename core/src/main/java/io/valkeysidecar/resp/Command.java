package io.valkeysidecar.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ReferenceCounted;
import java.nio.charset.StandardCharsets;

/**
 * One client request exactly as it arrived. {@link #raw()} holds the original bytes, which the proxy
 * forwards untouched; the argument accessors read from them without copying (inline commands, whose
 * arguments are unquoted, keep their parsed arguments separately).
 *
 * <p>A command's reference count is its bytes' count: a counter of its own would cost every request one more atomic
 * update on the event loop, for an object that only ever lives as long as its bytes.
 */
public final class Command implements ReferenceCounted {

    private final ByteBuf raw;
    /** For multibulk requests: offset and length of each argument inside {@code raw}, two ints per argument. */
    private final int[] argSpans;
    /** For inline requests: the unquoted arguments. */
    private final byte[][] inlineArgs;
    private final int argc;
    private final long receivedNanos;
    private String name;

    private Command(ByteBuf raw, int[] argSpans, byte[][] inlineArgs, int argc, long receivedNanos) {
        this.raw = raw;
        this.argSpans = argSpans;
        this.inlineArgs = inlineArgs;
        this.argc = argc;
        this.receivedNanos = receivedNanos;
    }

    static Command multibulk(ByteBuf raw, int[] argSpans, int argc, long receivedNanos) {
        return new Command(raw, argSpans, null, argc, receivedNanos);
    }

    static Command inline(ByteBuf raw, byte[][] args, long receivedNanos) {
        return new Command(raw, null, args, args.length, receivedNanos);
    }

    /** The request bytes as received; forwarding them keeps the proxy byte-transparent. */
    public ByteBuf raw() {
        return raw;
    }

    /**
     * {@link System#nanoTime()} when the read that completed this request was decoded: one clock reading per read,
     * shared by every request pipelined in it.
     */
    public long receivedNanos() {
        return receivedNanos;
    }

    public boolean isInline() {
        return argSpans == null;
    }

    public int argc() {
        return argc;
    }

    /**
     * Command name (argument 0) with ASCII letters upper-cased, as Valkey matches names (case-insensitive for
     * ASCII only: {@code ınfo} with a dotless i is not INFO); for a name of the loaded command table the same interned
     * instance for every request ({@link CommandNames}).
     */
    public String name() {
        if (name == null) {
            if (argc == 0) {
                name = "";
            } else if (inlineArgs != null) {
                name = CommandNames.upperCase(inlineArgs[0], inlineArgs[0].length);
            } else {
                name = CommandNames.upperCase(raw, argSpans[0], argSpans[1]);
            }
        }
        return name;
    }

    public byte[] argBytes(int i) {
        checkIndex(i);
        if (inlineArgs != null) {
            return inlineArgs[i];
        }
        return ByteBufUtil.getBytes(raw, argSpans[2 * i], argSpans[2 * i + 1]);
    }

    /**
     * Where argument {@code i} starts inside {@link #raw()} (its length is {@link #argLength}), so a hot path can read
     * it in place; -1 for an inline command, whose arguments were unquoted out of the request ({@link #argBytes}).
     */
    public int argOffset(int i) {
        checkIndex(i);
        return inlineArgs != null ? -1 : argSpans[2 * i];
    }

    public String argString(int i) {
        checkIndex(i);
        if (inlineArgs != null) {
            return new String(inlineArgs[i], StandardCharsets.UTF_8);
        }
        return raw.toString(argSpans[2 * i], argSpans[2 * i + 1], StandardCharsets.UTF_8);
    }

    public int argLength(int i) {
        checkIndex(i);
        return inlineArgs != null ? inlineArgs[i].length : argSpans[2 * i + 1];
    }

    /** Case-insensitive comparison of an ASCII keyword with argument {@code i}, without allocating. */
    public boolean argIs(int i, String keyword) {
        if (i >= argc || argLength(i) != keyword.length()) {
            return false;
        }
        for (int k = 0; k < keyword.length(); k++) {
            int b = inlineArgs != null ? inlineArgs[i][k] : raw.getByte(argSpans[2 * i] + k);
            if (Character.toUpperCase((char) (b & 0xff)) != Character.toUpperCase(keyword.charAt(k))) {
                return false;
            }
        }
        return true;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= argc) {
            throw new IndexOutOfBoundsException("argument " + i + " of " + argc);
        }
    }

    @Override
    public int refCnt() {
        return raw.refCnt();
    }

    @Override
    public Command retain() {
        raw.retain();
        return this;
    }

    @Override
    public Command retain(int increment) {
        raw.retain(increment);
        return this;
    }

    @Override
    public boolean release() {
        return raw.release();
    }

    @Override
    public boolean release(int decrement) {
        return raw.release(decrement);
    }

    @Override
    public Command touch() {
        raw.touch();
        return this;
    }

    @Override
    public Command touch(Object hint) {
        raw.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "Command[" + name() + ", argc=" + argc + "]";
    }
}
