package io.valkeysidecar.compat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Command scripts for differential tests: each line becomes one multibulk request. Words are split on spaces;
 * a word in double quotes may hold spaces and the escapes {@code \n}, {@code \r}, {@code \\}, {@code \"} and
 * {@code \xHH} (so binary arguments are possible).
 */
final class Scripts {

    /** Sent after a script; its echo marks the end of the script's replies in every protocol and mode. */
    static final String END = "__END_OF_SCRIPT__";

    private Scripts() {
    }

    static byte[] encode(String... lines) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String line : lines) {
            out.writeBytes(multibulk(words(line)));
        }
        return out.toByteArray();
    }

    static byte[] multibulk(List<byte[]> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            out.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(a);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }

    static List<byte[]> words(String line) {
        List<byte[]> words = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            if (i >= n) {
                break;
            }
            ByteArrayOutputStream w = new ByteArrayOutputStream();
            if (line.charAt(i) == '"') {
                i++;
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i);
                    if (c == '\\') {
                        char e = line.charAt(i + 1);
                        switch (e) {
                            case 'n' -> w.write('\n');
                            case 'r' -> w.write('\r');
                            case 'x' -> {
                                w.write(Integer.parseInt(line.substring(i + 2, i + 4), 16));
                                i += 2;
                            }
                            default -> w.write(e);
                        }
                        i += 2;
                    } else {
                        w.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                        i++;
                    }
                }
                i++;
            } else {
                int end = line.indexOf(' ', i);
                end = end < 0 ? n : end;
                w.writeBytes(line.substring(i, end).getBytes(StandardCharsets.UTF_8));
                i = end;
            }
            words.add(w.toByteArray());
        }
        return words;
    }

    /**
     * Runs {@code script} on a fresh connection to {@code port}: first each setup line (its one reply is read
     * and dropped, e.g. HELLO 3 whose reply holds the connection id), then the script's bytes at once as one
     * pipeline, followed by {@code PING END}. Returns every reply frame up to and including the PING's.
     */
    static List<String> run(int port, List<String> setup, byte[] script) throws IOException {
        try (RawRespClient c = new RawRespClient("127.0.0.1", port)) {
            for (String line : setup) {
                c.send(encode(line));
                c.read();
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(script);
            all.writeBytes(encode("PING " + END));
            c.send(all.toByteArray());
            return RawRespClient.show(c.readThrough(END));
        }
    }
}
