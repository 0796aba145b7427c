package io.valkeysidecar.graph.model;

import java.util.List;

/** An exact-match index on a label (or relationship type) and property keys, identified by schema ids. */
public record IndexDef(boolean relationship, int schemaId, List<Integer> keys) {
}
