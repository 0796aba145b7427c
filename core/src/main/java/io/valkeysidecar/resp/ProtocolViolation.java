package io.valkeysidecar.resp;

import java.nio.charset.StandardCharsets;

/**
 * Emitted by {@link RequestDecoder} in place of a command when the client broke the protocol.
 * It travels down the pipeline in order, so replies to the commands before it are written first;
 * the connection then answers with {@link #errorBytes()} and closes, as Valkey does.
 */
public record ProtocolViolation(String detail) {

    public String errorMessage() {
        return "ERR Protocol error: " + detail;
    }

    /**
     * The whole error reply exactly as Valkey writes it: one byte per character of {@link #errorMessage()}
     * (the detail may quote the offending byte, e.g. {@code expected '$', got '\u00e9'}, which Valkey sends
     * as the raw byte 0xE9, not as UTF-8), CR and LF replaced by spaces, then CRLF.
     */
    public byte[] errorBytes() {
        String line = "-" + errorMessage().replace('\r', ' ').replace('\n', ' ') + "\r\n";
        return line.getBytes(StandardCharsets.ISO_8859_1);
    }
}
