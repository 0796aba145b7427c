package io.valkeysidecar.spill;

import static org.assertj.core.api.Assertions.assertThat;

import io.valkeysidecar.resp.Command;
import io.valkeysidecar.testing.TestCommands;
import org.junit.jupiter.api.Test;

class KeyHashTest {

    /**
     * The proxy hashes a key inside the request's bytes, the store hashes the same key as a byte array: were the two
     * to differ for any length (the 8-byte words, the tail), a spilled key would look absent to every command.
     */
    @Test
    void aKeyHashedInPlaceHashesAsItsBytes() {
        StringBuilder key = new StringBuilder();
        for (int length = 0; length <= 40; length++) {
            Command inline = TestCommands.decodeInline("GET " + (length == 0 ? "\"\"" : key));
            assertThat(inline.isInline()).isTrue();
            for (Command cmd : new Command[] {TestCommands.decode("GET", key.toString()), inline}) {
                try {
                    for (int db : new int[] {0, 3}) {
                        assertThat(KeyHash.fingerprint(db, cmd, 1)).as("length %d, db %d, %s", length, db, cmd)
                                .isEqualTo(KeyHash.fingerprint(db, cmd.argBytes(1)));
                    }
                } finally {
                    cmd.release();
                }
            }
            key.append((char) ('a' + length % 26));
        }
    }

    @Test
    void theDatabaseAndEveryByteCount() {
        assertThat(KeyHash.fingerprint(0, "k".getBytes())).isNotEqualTo(KeyHash.fingerprint(1, "k".getBytes()));
        assertThat(KeyHash.fingerprint(0, "ab".getBytes())).isNotEqualTo(KeyHash.fingerprint(0, "ba".getBytes()));
        assertThat(KeyHash.fingerprint(0, new byte[0])).isNotEqualTo(KeyHash.fingerprint(0, new byte[1]));
    }
}
