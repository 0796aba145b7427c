package io.valkeysidecar.spill;

/** What happened to one key asked to be brought back into Valkey. */
public enum RestoreOutcome {
    /** Back in Valkey, disk copy gone. */
    RESTORED,
    /** Not on disk. */
    NOT_SPILLED,
    /** Valkey already held the key (a newer value): the disk copy was dropped. */
    MEMORY_NEWER,
    /** Expired on disk: deleted, not restored. */
    EXPIRED
}
