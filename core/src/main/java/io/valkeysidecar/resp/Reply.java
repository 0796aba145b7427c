package io.valkeysidecar.resp;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A reply produced by the sidecar itself (never a forwarded one: those stay raw bytes).
 * The same value is rendered as RESP2 or RESP3 by {@link ReplyEncoder}, depending on what
 * the client negotiated with HELLO, so sidecar features speak the client's dialect.
 */
public sealed interface Reply {

    Reply OK = new SimpleString("OK");
    Reply NULL = new Null();

    static Reply simple(String s) {
        return new SimpleString(s);
    }

    static Reply error(String messageWithCode) {
        return new Error(messageWithCode);
    }

    static Reply integer(long v) {
        return new Integer(v);
    }

    static Reply bulk(String s) {
        return s == null ? NULL : new Bulk(s.getBytes(StandardCharsets.UTF_8));
    }

    static Reply bulk(byte[] b) {
        return b == null ? NULL : new Bulk(b);
    }

    static Reply array(List<? extends Reply> items) {
        return new Array(List.copyOf(items));
    }

    static Reply array(Reply... items) {
        return new Array(List.of(items));
    }

    /** A simple status line, e.g. {@code +OK}. */
    record SimpleString(String value) implements Reply {
    }

    /** An error; {@code message} starts with the error code, e.g. {@code "ERR unknown graph"}. */
    record Error(String message) implements Reply {
    }

    record Integer(long value) implements Reply {
    }

    record Bulk(byte[] value) implements Reply {
        public String asString() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /** RESP3 null; RESP2 null bulk string ({@code $-1}). */
    record Null() implements Reply {
    }

    /** RESP2 null array ({@code *-1}); RESP3 null. */
    record NullArray() implements Reply {
    }

    record Array(List<Reply> items) implements Reply {
    }

    /** RESP3 map; RESP2 flat array of key, value, key, value. */
    record MapReply(List<Map.Entry<Reply, Reply>> entries) implements Reply {
    }

    /** RESP3 set; RESP2 array. */
    record SetReply(List<Reply> items) implements Reply {
    }

    /** RESP3 double; RESP2 bulk string. */
    record Double(double value) implements Reply {
    }

    /** RESP3 boolean; RESP2 integer 1 or 0. */
    record Boolean(boolean value) implements Reply {
    }

    /** RESP3 big number; RESP2 bulk string. */
    record BigNumber(BigInteger value) implements Reply {
    }

    /** RESP3 verbatim string with a three-letter format (e.g. {@code txt}); RESP2 bulk string. */
    record Verbatim(String format, String text) implements Reply {
    }

    /** RESP3 out-of-band push; RESP2 plain array (only meaningful in a subscribed connection). */
    record Push(List<Reply> items) implements Reply {
    }
}
