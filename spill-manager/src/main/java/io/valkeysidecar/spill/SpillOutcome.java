package io.valkeysidecar.spill;

/** What happened to one key asked to be spilled. */
public enum SpillOutcome {
    /** Durable on disk and deleted from Valkey. */
    SPILLED,
    /** Not in Valkey. */
    NOT_FOUND,
    /** Larger than the spillable-size cap: stays in memory. */
    TOO_LARGE,
    /** A client has it in flight: stays in memory. */
    PINNED,
    /** Written while being spilled: memory won, the disk copy was dropped. */
    RACED,
    /** The disk budget is reached: stays in memory. */
    REFUSED_BUDGET
}
