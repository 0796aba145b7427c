package io.valkeysidecar.extension;

import io.valkeysidecar.resp.Reply;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An error a sidecar command reports to its client. The one place where failures become RESP errors:
 * {@link #toReply(Throwable)} is used for every sidecar-generated error reply.
 */
public class SidecarException extends RuntimeException {

    private static final Logger log = LoggerFactory.getLogger(SidecarException.class);

    private final String code;

    /** @param code the RESP error code, e.g. "ERR", "WRONGTYPE", "NOPERM" */
    public SidecarException(String code, String message) {
        super(message);
        this.code = code;
    }

    public static SidecarException err(String message) {
        return new SidecarException("ERR", message);
    }

    public String code() {
        return code;
    }

    /** Maps any failure to the error reply a client sees; unexpected ones are logged, never leaked as traces. */
    public static Reply toReply(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SidecarException se) {
            return Reply.error(se.code + " " + se.getMessage());
        }
        log.warn("internal error while serving a sidecar command", t);
        return Reply.error("ERR valkey-sidecar internal error: " + t.getClass().getSimpleName()
                + (t.getMessage() == null ? "" : ": " + t.getMessage()));
    }
}
