package io.valkeysidecar.graph.model;

import java.util.List;

/** A path value: n+1 nodes joined by n edges. */
public record PathValue(List<Node> nodes, List<Edge> edges) {
}
