package io.valkeysidecar.resp;

/**
 * Emitted by {@link RequestDecoder} in place of a command when the client broke the protocol.
 * It travels down the pipeline in order, so replies to the commands before it are written first;
 * the connection then answers with {@link #errorMessage()} and closes, as Valkey does.
 */
public record ProtocolViolation(String detail) {

    public String errorMessage() {
        return "ERR Protocol error: " + detail;
    }
}
