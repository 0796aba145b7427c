package io.valkeysidecar.spill;

import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Deterministic keys of every type: key i has a type, ten 400-byte members (beyond the listpack limits, so
 * hashes, sets and zsets take their large encodings) and an absolute expiry or none. Written and read back
 * in one canonical text form ({@code type|content|pexpiretime}) through any client connection. Shared (test-jar)
 * by the engine's storm test and the through-sidecar tests in compat-tests.
 */
public final class Dataset {

    public static final String[] TYPES = {"string", "hash", "list", "set", "zset", "stream"};

    /** Key i: name, type, members, absolute expiry in ms (0 = none). */
    public record Spec(String key, String type, List<String> parts, long expireAt) {

        /** The bytes of the members: roughly what the key weighs in Valkey. */
        public long logicalBytes() {
            return parts.stream().mapToLong(String::length).sum();
        }
    }

    private Dataset() {
    }

    public static Spec spec(String prefix, int i, long expireAt) {
        SplittableRandom rnd = new SplittableRandom(i);
        List<String> parts = new ArrayList<>();
        for (int p = 0; p < 10; p++) {
            StringBuilder s = new StringBuilder(p + ":");
            for (int c = 0; c < 400; c++) {
                s.append((char) ('a' + rnd.nextInt(26)));
            }
            parts.add(s.toString());
        }
        return new Spec(prefix + i, TYPES[i % TYPES.length], parts, expireAt);
    }

    /** Writes the key (and its expiry) through {@code a}; completes when Valkey answered both. */
    public static CompletableFuture<?> write(RedisAsyncCommands<String, String> a, Spec s) {
        CompletableFuture<?> written = content(a, s).toCompletableFuture();
        if (s.expireAt() == 0) {
            return written;
        }
        return CompletableFuture.allOf(written, a.pexpireat(s.key(), s.expireAt()).toCompletableFuture());
    }

    private static RedisFuture<?> content(RedisAsyncCommands<String, String> a, Spec s) {
        List<String> p = s.parts();
        switch (s.type()) {
            case "string":
                return a.set(s.key(), String.join("", p));
            case "hash":
                return a.hset(s.key(), fields(p));
            case "list":
                return a.rpush(s.key(), p.toArray(String[]::new));
            case "set":
                return a.sadd(s.key(), p.toArray(String[]::new));
            case "zset": {
                List<ScoredValue<String>> v = new ArrayList<>();
                for (int i = 0; i < p.size(); i++) {
                    v.add(ScoredValue.just(i * 0.5, p.get(i)));
                }
                @SuppressWarnings("unchecked")
                ScoredValue<String>[] arr = v.toArray(ScoredValue[]::new);
                return a.zadd(s.key(), arr);
            }
            default:
                return a.xadd(s.key(), new XAddArgs().id("1-1"), fields(p));
        }
    }

    private static Map<String, String> fields(List<String> p) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < p.size(); i++) {
            m.put("f" + i, p.get(i));
        }
        return m;
    }

    /** What a client reads back, in the form of {@link #expected}. */
    public static CompletableFuture<String> read(RedisAsyncCommands<String, String> a, Spec s) {
        CompletableFuture<String> content;
        switch (s.type()) {
            case "string":
                content = a.get(s.key()).toCompletableFuture();
                break;
            case "hash":
                content = a.hgetall(s.key()).toCompletableFuture().thenApply(m -> new TreeMap<>(m).toString());
                break;
            case "list":
                content = a.lrange(s.key(), 0, -1).toCompletableFuture().thenApply(Object::toString);
                break;
            case "set":
                content = a.smembers(s.key()).toCompletableFuture().thenApply(m -> new TreeSet<>(m).toString());
                break;
            case "zset":
                content = a.zrangeWithScores(s.key(), 0, -1).toCompletableFuture().thenApply(l -> {
                    StringBuilder b = new StringBuilder();
                    l.forEach(v -> b.append(v.getScore()).append('=').append(v.getValue()).append(','));
                    return b.toString();
                });
                break;
            default:
                content = a.xrange(s.key(), Range.create("-", "+")).toCompletableFuture().thenApply(l -> {
                    StringBuilder b = new StringBuilder();
                    for (StreamMessage<String, String> m : l) {
                        b.append(m.getId()).append(new TreeMap<>(m.getBody()));
                    }
                    return b.toString();
                });
        }
        CompletableFuture<Long> expiry = a.pexpiretime(s.key()).toCompletableFuture();
        CompletableFuture<String> type = a.type(s.key()).toCompletableFuture();
        return content.thenCombine(expiry, (c, e) -> c + "|" + e).thenCombine(type, (c, t) -> t + "|" + c);
    }

    public static String expected(Spec s) {
        List<String> p = s.parts();
        String c;
        switch (s.type()) {
            case "string":
                c = String.join("", p);
                break;
            case "hash":
                c = new TreeMap<>(fields(p)).toString();
                break;
            case "stream":
                c = "1-1" + new TreeMap<>(fields(p));
                break;
            case "list":
                c = p.toString();
                break;
            case "set":
                c = new TreeSet<>(p).toString();
                break;
            default: {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < p.size(); i++) {
                    b.append(i * 0.5).append('=').append(p.get(i)).append(',');
                }
                c = b.toString();
            }
        }
        return s.type() + "|" + c + "|" + (s.expireAt() == 0 ? -1 : s.expireAt());
    }

    /** What reading an expired (or never written) key gives: no content, no expiry, type none. */
    public static String gone(Spec s) {
        String empty;
        switch (s.type()) {
            case "string":
                empty = "null";
                break;
            case "hash":
                empty = "{}";
                break;
            case "zset":
                empty = "";
                break;
            case "stream":
                empty = "";
                break;
            default:
                empty = "[]";
        }
        return "none|" + empty + "|-2";
    }
}
