package io.valkeysidecar.compat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scripted exchange between several named connections to one port, recorded as "name: frame" lines in the
 * order the frames were read, so the same conversation can be held directly with Valkey and through the
 * sidecar and the two transcripts compared.
 */
final class Conversation implements AutoCloseable {

    @FunctionalInterface
    interface Script {
        void run(Conversation c) throws Exception;
    }

    private final int port;
    private final Map<String, RawRespClient> clients = new LinkedHashMap<>();
    private final List<String> transcript = new ArrayList<>();

    private Conversation(int port) {
        this.port = port;
    }

    /** Holds {@code script} on connections to {@code port}; returns the transcript. */
    static List<String> hold(int port, Script script) throws Exception {
        try (Conversation c = new Conversation(port)) {
            script.run(c);
            return c.transcript;
        }
    }

    int port() {
        return port;
    }

    RawRespClient client(String name) throws IOException {
        RawRespClient c = clients.get(name);
        if (c == null) {
            c = new RawRespClient("127.0.0.1", port);
            clients.put(name, c);
        }
        return c;
    }

    /** Sends the script lines as one write on connection {@code name}. */
    Conversation send(String name, String... lines) throws IOException {
        client(name).send(Scripts.encode(lines));
        return this;
    }

    /** Reads {@code n} frames on connection {@code name} into the transcript. */
    Conversation expect(String name, int n) throws IOException {
        for (byte[] f : client(name).read(n)) {
            transcript.add(name + ": " + RawRespClient.show(f));
        }
        return this;
    }

    /** Sends and reads {@code n} frames. */
    Conversation call(String name, int n, String... lines) throws IOException {
        return send(name, lines).expect(name, n);
    }

    /** Reads one frame without recording it (e.g. a reply holding a connection id); returns it as text. */
    String unrecorded(String name, String... lines) throws IOException {
        send(name, lines);
        return RawRespClient.show(client(name).read());
    }

    /** Records whether connection {@code name} stays silent for {@code millis}. */
    Conversation expectQuiet(String name, int millis) throws IOException {
        transcript.add(name + ": quiet=" + client(name).quietFor(millis));
        return this;
    }

    void note(String line) {
        transcript.add(line);
    }

    @Override
    public void close() throws IOException {
        for (RawRespClient c : clients.values()) {
            c.close();
        }
    }
}
