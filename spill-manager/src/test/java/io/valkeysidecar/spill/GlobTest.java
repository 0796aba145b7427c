package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.valkeysidecar.testing.TestValkey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Our glob must select exactly the keys Valkey's own KEYS selects, or SCAN merges would disagree. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GlobTest {

    static final List<String> KEYS = List.of("", "a", "ab", "abc", "b", "user:1", "user:12", "user:x", "User:1",
            "h[llo", "hallo", "hello", "hxllo", "heeeello", "a*b", "a?b", "a\\b", "-", "]", "^", "a-z", "x]y",
            "caf\u00e9", "tab\tkey", "foo.bar.baz", "**");
    static final List<String> PATTERNS = List.of("*", "a*", "*b", "a?", "?", "user:*", "user:?", "user:[0-9]*",
            "[Uu]ser:1", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "h*llo", "a\\*b", "a\\?b", "a\\\\b",
            "[", "[a", "a[", "[]]", "[^]]", "*[", "h[\\[]llo", "[a-]", "x[]]y", "caf*", "tab?key", "*.*.*",
            "\\*\\*", "***", "a[b", "[^abc]", "");

    @Test
    void agreesWithValkeyKeys() {
        try (TestValkey valkey = TestValkey.start()) {
            RedisClient client = RedisClient.create(valkey.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                RedisCommands<String, String> r = c.sync();
                KEYS.forEach(k -> r.set(k, "v"));
                for (String p : PATTERNS) {
                    TreeSet<String> expected = new TreeSet<>(r.keys(p));
                    TreeSet<String> actual = new TreeSet<>();
                    for (String k : KEYS) {
                        if (Glob.matches(p.getBytes(StandardCharsets.UTF_8), k.getBytes(StandardCharsets.UTF_8))) {
                            actual.add(k);
                        }
                    }
                    assertThat(actual).as("pattern '%s'", p).isEqualTo(expected);
                }
            } finally {
                client.shutdown();
            }
        }
    }
}
