package io.valkeysidecar.graph.exec;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.cypher.Ast.Expr;
import io.valkeysidecar.graph.model.ChangeSet;
import io.valkeysidecar.graph.model.GraphData;
import java.util.IdentityHashMap;
import java.util.Map;

/** Per-execution state shared by operators and the expression evaluator. */
public final class QueryContext {

    public final GraphData graph;
    public final ChangeSet changes = new ChangeSet();
    public final Stats stats = new Stats();
    public final Map<String, Object> params;
    private final long deadlineNanos;
    private int ticks;
    /** Values of aggregate calls while a grouped projection evaluates its items. */
    Map<Expr, Object> aggregates = new IdentityHashMap<>();
    Matcher matcher;

    public QueryContext(GraphData graph, Map<String, Object> params, long timeoutMillis) {
        this.graph = graph;
        this.params = params;
        this.deadlineNanos = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : Long.MAX_VALUE;
    }

    /** Called in inner loops; fails the query once its TIMEOUT has passed. */
    public void tick() {
        if ((++ticks & 0x3FF) == 0 && System.nanoTime() > deadlineNanos) {
            throw SidecarException.err("Query timed out");
        }
    }
}
