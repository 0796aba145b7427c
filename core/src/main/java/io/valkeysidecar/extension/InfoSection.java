package io.valkeysidecar.extension;

import java.util.Map;

/** A section of the INFO reply contributed by the sidecar (e.g. "# Sidecar", "# Spill"). */
public interface InfoSection {

    /** The section name as INFO takes it, lower case (e.g. "sidecar"). */
    String name();

    /** The field/value lines, in order. Called on an event loop: must be cheap and non-blocking. */
    Map<String, String> fields();
}
