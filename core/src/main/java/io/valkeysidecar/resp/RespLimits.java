package io.valkeysidecar.resp;

/**
 * Limits on what one client request may claim, checked before any memory is reserved for it.
 * Defaults equal Valkey's own ceilings, so the sidecar never rejects what Valkey would accept.
 */
public record RespLimits(long maxBulkLength, int maxArrayLength, int maxInlineLength) {

    /** Valkey's proto-max-bulk-len default (512 MB). */
    public static final long DEFAULT_MAX_BULK = 512L * 1024 * 1024;
    public static final int DEFAULT_MAX_ARRAY = Integer.MAX_VALUE;
    /** Valkey's PROTO_INLINE_MAX_SIZE (64 KB). */
    public static final int DEFAULT_MAX_INLINE = 64 * 1024;

    public static final RespLimits DEFAULTS = new RespLimits(DEFAULT_MAX_BULK, DEFAULT_MAX_ARRAY, DEFAULT_MAX_INLINE);

    public RespLimits {
        if (maxBulkLength < 1 || maxArrayLength < 1 || maxInlineLength < 16) {
            throw new IllegalArgumentException("limits must be positive (inline at least 16 bytes)");
        }
    }
}
