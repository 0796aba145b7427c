package io.valkeysidecar.spill;

import io.netty.buffer.ByteBuf;
import io.valkeysidecar.extension.ReplyAmendment;
import io.valkeysidecar.resp.Reply;
import io.valkeysidecar.resp.ReplyEdits;
import io.valkeysidecar.resp.ReplyEncoder;
import io.valkeysidecar.resp.TextReply;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The amendments that make Valkey's keyspace replies include spilled keys. Unexpected shapes pass unchanged. */
final class RespEdits {

    private static final Pattern KEYSPACE_LINE = Pattern.compile("^db(\\d+):keys=(\\d+)(.*)$", Pattern.MULTILINE);

    private RespEdits() {
    }

    /** DEL/UNLINK/DBSIZE: Valkey's count plus keys only the store held. */
    static ReplyAmendment addToInteger(long n) {
        return (reply, protocol, alloc) -> {
            ByteBuf amended = ReplyEdits.addToInteger(reply, n, protocol, alloc);
            return amended == null ? reply : amended;
        };
    }

    /** KEYS: Valkey's keys, then the spilled ones it did not list. */
    static ReplyAmendment appendMissingKeys(List<byte[]> spilled) {
        return (reply, protocol, alloc) -> {
            int[] end = new int[1];
            List<byte[]> resident = ReplyEdits.bulkStrings(reply, reply.readerIndex(), end);
            if (resident == null) {
                return reply;
            }
            Set<ByteBuffer> seen = new HashSet<>();
            List<Reply> all = new ArrayList<>(resident.size() + spilled.size());
            for (byte[] k : resident) {
                seen.add(ByteBuffer.wrap(k));
                all.add(Reply.bulk(k));
            }
            for (byte[] k : spilled) {
                if (seen.add(ByteBuffer.wrap(k))) {
                    all.add(Reply.bulk(k));
                }
            }
            reply.release();
            return ReplyEncoder.encode(alloc, Reply.array(all), protocol);
        };
    }

    /** SCAN: where Valkey's walk ends (cursor 0), hand the client a cursor into the store instead. */
    static ReplyAmendment continueScanOnDisk(String diskCursor) {
        return (reply, protocol, alloc) -> {
            int r = reply.readerIndex();
            if (reply.getByte(r) != '*') {
                return reply;
            }
            int cursorAt = reply.indexOf(r, reply.writerIndex(), (byte) '\n') + 1;
            int cursorLenEnd = reply.indexOf(cursorAt, reply.writerIndex(), (byte) '\r');
            String zero = "$1\r\n0\r\n";
            if (!reply.toString(cursorAt, zero.length(), StandardCharsets.US_ASCII).equals(zero)
                    || cursorLenEnd != cursorAt + 2) {
                return reply;
            }
            ByteBuf out = alloc.buffer(reply.readableBytes() + 32);
            out.writeBytes(reply, r, cursorAt - r);
            ReplyEncoder.encode(Reply.bulk(diskCursor), protocol, out);
            int rest = cursorAt + zero.length();
            out.writeBytes(reply, rest, reply.writerIndex() - rest);
            reply.release();
            return out;
        };
    }

    /** RANDOMKEY: when Valkey has no key, a spilled one. */
    static ReplyAmendment replaceNull(byte[] key) {
        return (reply, protocol, alloc) -> {
            if (!isNull(reply)) {
                return reply;
            }
            reply.release();
            return ReplyEncoder.encode(alloc, Reply.bulk(key), protocol);
        };
    }

    /** GET of a spilled string read on disk: Valkey's nil becomes the value, unless the key expired meanwhile. */
    static ReplyAmendment nullToCold(SpillEngine.ColdString cold) {
        return (reply, protocol, alloc) -> {
            if (!isNull(reply) || !cold.liveAt(System.currentTimeMillis())) {
                return reply;
            }
            reply.release();
            return ReplyEncoder.encode(alloc, Reply.bulk(cold.value()), protocol);
        };
    }

    /** RESP2's null bulk string or RESP3's null. */
    private static boolean isNull(ByteBuf reply) {
        byte t = reply.getByte(reply.readerIndex());
        return t == '_' || (t == '$' && reply.getByte(reply.readerIndex() + 1) == '-');
    }

    /** INFO keyspace: each database's key count includes its spilled keys; databases only on disk appear. */
    static ReplyAmendment addToKeyspace(long[] spilled) {
        return (reply, protocol, alloc) -> {
            String text = TextReply.text(reply);
            if (text == null || !text.contains("# Keyspace")) {
                return reply;
            }
            boolean[] listed = new boolean[spilled.length];
            Matcher m = KEYSPACE_LINE.matcher(text);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                int db = Integer.parseInt(m.group(1));
                long keys = Long.parseLong(m.group(2)) + (db < spilled.length ? spilled[db] : 0);
                if (db < spilled.length) {
                    listed[db] = true;
                }
                m.appendReplacement(sb, Matcher.quoteReplacement("db" + db + ":keys=" + keys + m.group(3)));
            }
            m.appendTail(sb);
            String amended = sb.toString();
            StringBuilder missing = new StringBuilder();
            for (int db = 0; db < spilled.length; db++) {
                if (!listed[db] && spilled[db] > 0) {
                    missing.append("db").append(db).append(":keys=").append(spilled[db])
                            .append(",expires=0,avg_ttl=0\r\n");
                }
            }
            if (missing.length() > 0) {
                int header = amended.indexOf("# Keyspace\r\n") + "# Keyspace\r\n".length();
                amended = amended.substring(0, header) + missing + amended.substring(header);
            }
            return TextReply.replace(reply, amended, protocol, alloc);
        };
    }
}
