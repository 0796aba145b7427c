package io.valkeysidecar.graph.exec;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.cypher.Ast.*;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.GraphData;
import io.valkeysidecar.graph.model.IndexDef;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.PathValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs a parsed query against the cached graph as a push pipeline of operators, one per clause. Reading operators
 * become eager (they finish matching before passing rows on) when the query writes, so a query never observes its
 * own later writes while matching.
 */
public final class Executor {

    /** What a query produced. {@code columns} is null for queries without RETURN; {@code plan} is empty unless profiled. */
    public record Result(List<String> columns, List<Object[]> rows, Stats stats, List<String> plan) {
    }

    private Executor() {
    }

    public static boolean isWrite(Query q) {
        for (SingleQuery sq : q.parts()) {
            for (Clause c : sq.clauses()) {
                if (c instanceof Create || c instanceof Merge || c instanceof SetClause || c instanceof Remove
                        || c instanceof Delete || c instanceof CreateIndex || c instanceof DropIndex) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Executes the query; with {@code profile} the plan lines carry record counts and times. */
    public static Result execute(Query q, QueryContext ctx, boolean profile) {
        ctx.matcher = new Matcher(ctx);
        boolean writes = isWrite(q);
        List<String> columns = null;
        List<Object[]> rows = new ArrayList<>();
        Set<List<Object>> seen = new HashSet<>();
        List<String> plan = new ArrayList<>();
        for (SingleQuery sq : q.parts()) {
            Pipeline p = build(sq, ctx, writes);
            if (columns != null && !columns.equals(p.sink.columns)) {
                throw SidecarException.err("All sub queries in a UNION must have the same column names.");
            }
            columns = p.sink.columns;
            p.run(profile);
            for (Object[] r : p.sink.rows) {
                if (q.parts().size() > 1 && !q.unionAll() && !seen.add(distinctKey(r))) {
                    continue;
                }
                rows.add(r);
            }
            if (profile) {
                plan.addAll(p.describe(true, q.parts().size() > 1 ? 1 : 0));
            }
        }
        if (profile && q.parts().size() > 1) {
            plan.add(0, "Union");
        }
        return new Result(columns, rows, ctx.stats, plan);
    }

    /** The plan lines of a query without running it (GRAPH.EXPLAIN). */
    public static List<String> explain(Query q, QueryContext ctx) {
        ctx.matcher = new Matcher(ctx);
        boolean writes = isWrite(q);
        List<String> plan = new ArrayList<>();
        for (SingleQuery sq : q.parts()) {
            plan.addAll(build(sq, ctx, writes).describe(false, q.parts().size() > 1 ? 1 : 0));
        }
        if (q.parts().size() > 1) {
            plan.add(0, "Union");
        }
        return plan;
    }

    private static List<Object> distinctKey(Object[] row) {
        List<Object> k = new ArrayList<>(row.length);
        for (Object o : row) {
            k.add(Values.groupKey(o));
        }
        return k;
    }

    // ------------------------------------------------------------------ pipeline construction

    private static final class Pipeline {
        final List<Op> ops = new ArrayList<>();
        Sink sink;

        void run(boolean profile) {
            for (Op op : ops) {
                op.profiling = profile;
            }
            Op first = ops.isEmpty() ? sink : ops.get(0);
            first.push(new HashMap<>());
            first.finish();
        }

        List<String> describe(boolean profile, int baseDepth) {
            List<String> lines = new ArrayList<>();
            List<Op> all = new ArrayList<>(ops);
            if (sink.columns != null) {
                all.add(sink);
            }
            Collections.reverse(all);
            int depth = baseDepth;
            for (Op op : all) {
                for (String line : op.describe()) {
                    String text = "    ".repeat(depth) + line;
                    if (profile) {
                        text += String.format(Locale.ROOT, " | Records produced: %d, Execution time: %.6f ms",
                                op.produced, op.nanos / 1e6);
                    }
                    lines.add(text);
                    depth++;
                }
            }
            return lines;
        }
    }

    private static Pipeline build(SingleQuery sq, QueryContext ctx, boolean eager) {
        Pipeline p = new Pipeline();
        List<String> scope = new ArrayList<>();
        List<Clause> clauses = sq.clauses();
        List<String> columns = null;
        for (int i = 0; i < clauses.size(); i++) {
            Clause c = clauses.get(i);
            boolean last = i == clauses.size() - 1;
            if (c instanceof Return r) {
                if (!last) {
                    throw SidecarException.err("RETURN can only be used at the end of the query");
                }
                checkProjection(r.projection(), null, scope);
                ProjectOp op = new ProjectOp(ctx, r.projection(), null, new ArrayList<>(scope));
                columns = op.columns;
                p.ops.add(op);
            } else if (c instanceof With w) {
                checkProjection(w.projection(), w.where(), scope);
                ProjectOp op = new ProjectOp(ctx, w.projection(), w.where(), new ArrayList<>(scope));
                scope.clear();
                scope.addAll(op.columns);
                p.ops.add(op);
            } else if (c instanceof Match m) {
                List<String> newVars = new ArrayList<>();
                for (PathPat pat : m.patterns()) {
                    patternVars(pat, newVars);
                }
                newVars.removeAll(scope);
                p.ops.add(new MatchOp(ctx, m, eager, newVars));
                addAll(scope, newVars);
                checkVars(m.where(), scope);
            } else if (c instanceof Unwind u) {
                checkVars(u.list(), scope);
                p.ops.add(new UnwindOp(ctx, u));
                addAll(scope, List.of(u.var()));
            } else if (c instanceof Create cr) {
                for (PathPat pat : cr.patterns()) {
                    List<String> vars = new ArrayList<>();
                    patternVars(pat, vars);
                    addAll(scope, vars);
                }
                p.ops.add(new CreateOp(ctx, cr));
            } else if (c instanceof Merge mg) {
                List<String> vars = new ArrayList<>();
                patternVars(mg.pattern(), vars);
                addAll(scope, vars);
                p.ops.add(new MergeOp(ctx, mg));
            } else if (c instanceof SetClause s) {
                p.ops.add(new SetOp(ctx, s.items()));
            } else if (c instanceof Remove r) {
                p.ops.add(new RemoveOp(ctx, r));
            } else if (c instanceof Delete d) {
                d.targets().forEach(t -> checkVars(t, scope));
                p.ops.add(new DeleteOp(ctx, d));
            } else if (c instanceof Call call) {
                CallOp op = new CallOp(ctx, call);
                addAll(scope, op.outputNames());
                p.ops.add(op);
                if (last) {
                    columns = op.outputNames();
                }
            } else if (c instanceof CreateIndex ci) {
                p.ops.add(new IndexOp(ctx, ci.label(), ci.properties(), ci.relationship(), true));
            } else if (c instanceof DropIndex di) {
                p.ops.add(new IndexOp(ctx, di.label(), di.properties(), di.relationship(), false));
            } else {
                throw SidecarException.err("Unsupported clause " + c.getClass().getSimpleName());
            }
        }
        Clause lastClause = clauses.get(clauses.size() - 1);
        if (lastClause instanceof With || lastClause instanceof Unwind || lastClause instanceof Match) {
            throw SidecarException.err("Query cannot conclude with " + clauseName(lastClause)
                    + " (must be RETURN or an update clause)");
        }
        p.sink = new Sink(columns);
        for (int i = 0; i < p.ops.size(); i++) {
            p.ops.get(i).next = i + 1 < p.ops.size() ? p.ops.get(i + 1) : p.sink;
        }
        return p;
    }

    /** Fails on variables that are not in scope (checked before running, so empty inputs fail too). */
    private static void checkProjection(Projection proj, Expr where, List<String> scope) {
        List<String> visible = new ArrayList<>(scope);
        for (ProjItem item : proj.items()) {
            checkVars(item.expr(), scope);
            visible.add(item.name());
        }
        for (SortItem s : proj.orderBy()) {
            checkVars(s.expr(), visible);
        }
        checkVars(where, visible);
    }

    static void checkVars(Expr e, List<String> scope) {
        if (e == null) {
            return;
        }
        if (e instanceof Var v) {
            if (!scope.contains(v.name())) {
                throw SidecarException.err(v.name() + " not defined");
            }
        } else if (e instanceof ListComp lc) {
            checkVars(lc.list(), scope);
            List<String> inner = new ArrayList<>(scope);
            inner.add(lc.var());
            checkVars(lc.where(), inner);
            checkVars(lc.map(), inner);
        } else if (e instanceof PatternPredicate pp) {
            for (NodePat n : pp.pattern().nodes()) {
                checkVars(n.props(), scope);
            }
        } else if (e instanceof Prop p) {
            checkVars(p.target(), scope);
        } else if (e instanceof Binary b) {
            checkVars(b.left(), scope);
            checkVars(b.right(), scope);
        } else if (e instanceof Unary u) {
            checkVars(u.operand(), scope);
        } else if (e instanceof IsNull n) {
            checkVars(n.operand(), scope);
        } else if (e instanceof LabelCheck lc) {
            checkVars(lc.operand(), scope);
        } else if (e instanceof FuncCall f) {
            if (!Functions.NAMES.contains(f.name()) && !Evaluator.AGGREGATES.contains(f.name())) {
                throw SidecarException.err("Unknown function '" + f.name() + "'");
            }
            f.args().forEach(a -> checkVars(a, scope));
        } else if (e instanceof ListLit l) {
            l.items().forEach(a -> checkVars(a, scope));
        } else if (e instanceof MapLit m) {
            m.values().forEach(a -> checkVars(a, scope));
        } else if (e instanceof MapProjection mp) {
            checkVars(mp.base(), scope);
            mp.values().forEach(a -> checkVars(a, scope));
        } else if (e instanceof Index ix) {
            checkVars(ix.target(), scope);
            checkVars(ix.index(), scope);
        } else if (e instanceof Slice sl) {
            checkVars(sl.target(), scope);
            checkVars(sl.from(), scope);
            checkVars(sl.to(), scope);
        } else if (e instanceof Case c) {
            checkVars(c.subject(), scope);
            c.whens().forEach(a -> checkVars(a, scope));
            c.thens().forEach(a -> checkVars(a, scope));
            checkVars(c.otherwise(), scope);
        }
    }

    private static String clauseName(Clause c) {
        if (c instanceof With) {
            return "WITH";
        }
        if (c instanceof Unwind) {
            return "UNWIND";
        }
        return "MATCH";
    }

    private static void addAll(List<String> scope, List<String> vars) {
        for (String v : vars) {
            if (!scope.contains(v)) {
                scope.add(v);
            }
        }
    }

    static void patternVars(PathPat p, List<String> out) {
        if (p.pathVar() != null && !out.contains(p.pathVar())) {
            out.add(p.pathVar());
        }
        for (int i = 0; i < p.nodes().size(); i++) {
            String nv = p.nodes().get(i).var();
            if (nv != null && !out.contains(nv)) {
                out.add(nv);
            }
            if (i < p.rels().size()) {
                String rv = p.rels().get(i).var();
                if (rv != null && !out.contains(rv)) {
                    out.add(rv);
                }
            }
        }
    }

    // ------------------------------------------------------------------ operators

    abstract static class Op {
        Op next;
        long produced;
        long nanos;
        boolean profiling;
        final QueryContext ctx;

        Op(QueryContext ctx) {
            this.ctx = ctx;
        }

        final void push(Map<String, Object> row) {
            if (profiling) {
                long t0 = System.nanoTime();
                accept(row);
                nanos += System.nanoTime() - t0;
            } else {
                accept(row);
            }
        }

        abstract void accept(Map<String, Object> row);

        void finish() {
            next.finish();
        }

        void emit(Map<String, Object> row) {
            produced++;
            next.push(row);
        }

        abstract List<String> describe();
    }

    /** Collects the final rows in column order. */
    static final class Sink extends Op {
        final List<String> columns;
        final List<Object[]> rows = new ArrayList<>();

        Sink(List<String> columns) {
            super(null);
            this.columns = columns;
        }

        @Override
        void accept(Map<String, Object> row) {
            produced++;
            if (columns != null) {
                Object[] r = new Object[columns.size()];
                for (int i = 0; i < r.length; i++) {
                    r[i] = row.get(columns.get(i));
                }
                rows.add(r);
            }
        }

        @Override
        void finish() {
        }

        @Override
        List<String> describe() {
            return List.of("Results");
        }
    }

    static final class MatchOp extends Op {
        private final Match m;
        private final boolean eager;
        private final List<String> newVars;
        private final List<Map<String, Object>> buffer = new ArrayList<>();

        MatchOp(QueryContext ctx, Match m, boolean eager, List<String> newVars) {
            super(ctx);
            this.m = m;
            this.eager = eager;
            this.newVars = newVars;
        }

        @Override
        void accept(Map<String, Object> row) {
            boolean[] any = {false};
            ctx.matcher.match(m.patterns(), m.where(), row, w -> {
                any[0] = true;
                // downstream operators copy what they keep, so the working row is only copied when buffered
                out(eager ? new HashMap<>(w) : w);
            });
            if (!any[0] && m.optional()) {
                Map<String, Object> r = new HashMap<>(row);
                for (String v : newVars) {
                    r.putIfAbsent(v, null);
                }
                out(r);
            }
        }

        private void out(Map<String, Object> r) {
            if (eager) {
                buffer.add(r);
            } else {
                emit(r);
            }
        }

        @Override
        void finish() {
            for (Map<String, Object> r : buffer) {
                emit(r);
            }
            buffer.clear();
            next.finish();
        }

        @Override
        List<String> describe() {
            List<String> lines = new ArrayList<>();
            if (m.optional()) {
                lines.add("Optional");
            }
            if (m.where() != null) {
                lines.add("Filter");
            }
            List<Expr> conj = new ArrayList<>();
            Matcher.splitAnd(m.where(), conj);
            Set<String> bound = new HashSet<>();
            for (PathPat pat : m.patterns()) {
                if (pat.shortest() != null) {
                    lines.add("Conditional Variable Length Traverse | " + text(pat.nodes(), pat.rels()));
                    continue;
                }
                Matcher.Oriented o = ctx.matcher.orient(pat, bound, conj);
                for (int i = o.rels().size() - 1; i >= 0; i--) {
                    RelPat r = o.rels().get(i);
                    String kind = r.varLength() ? "Conditional Variable Length Traverse" : "Conditional Traverse";
                    lines.add(kind + " | " + text(o.nodes().subList(i, i + 2), List.of(r)));
                }
                NodePat first = o.nodes().get(0);
                String nt = nodeText(first);
                switch (o.anchor().kind()) {
                    case BOUND:
                        lines.add("Argument | " + nt);
                        break;
                    case ID_SEEK:
                        lines.add("NodeByIdSeek | " + nt);
                        break;
                    case INDEX:
                        lines.add("Node By Index Scan | " + nt);
                        break;
                    case LABEL:
                        lines.add("Node By Label Scan | " + nt);
                        break;
                    default:
                        lines.add("All Node Scan | " + nt);
                }
                List<String> vs = new ArrayList<>();
                patternVars(pat, vs);
                bound.addAll(vs);
            }
            return lines;
        }
    }

    static String nodeText(NodePat n) {
        StringBuilder sb = new StringBuilder("(");
        if (n.var() != null) {
            sb.append(n.var());
        }
        for (String l : n.labels()) {
            sb.append(':').append(l);
        }
        return sb.append(')').toString();
    }

    static String text(List<NodePat> nodes, List<RelPat> rels) {
        StringBuilder sb = new StringBuilder(nodeText(nodes.get(0)));
        for (int i = 0; i < rels.size(); i++) {
            RelPat r = rels.get(i);
            sb.append(r.dir() == Dir.IN ? "<-[" : "-[");
            if (r.var() != null) {
                sb.append(r.var());
            }
            if (!r.types().isEmpty()) {
                sb.append(':').append(String.join("|", r.types()));
            }
            if (r.varLength()) {
                sb.append('*').append(r.minHops()).append("..").append(r.maxHops() < 0 ? "INF" : r.maxHops());
            }
            sb.append(r.dir() == Dir.OUT ? "]->" : "]-");
            sb.append(nodeText(nodes.get(i + 1)));
        }
        return sb.toString();
    }

    static final class UnwindOp extends Op {
        private final Unwind u;

        UnwindOp(QueryContext ctx, Unwind u) {
            super(ctx);
            this.u = u;
        }

        @Override
        void accept(Map<String, Object> row) {
            Object v = Evaluator.eval(u.list(), row, ctx);
            if (v == null) {
                return;
            }
            List<?> items = v instanceof List<?> l ? l : List.of(v);
            for (Object item : items) {
                ctx.tick();
                Map<String, Object> r = new HashMap<>(row);
                r.put(u.var(), item);
                emit(r);
            }
        }

        @Override
        List<String> describe() {
            return List.of("Unwind");
        }
    }

    // ------------------------------------------------------------------ writes

    static Object storable(Object v) {
        if (v == null || v instanceof String || v instanceof Long || v instanceof Double || v instanceof Boolean) {
            return v;
        }
        if (v instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof List || o instanceof Map || o instanceof Node || o instanceof Edge
                        || o instanceof PathValue) {
                    throw SidecarException.err("Property values can only be of primitive types or arrays of primitive types");
                }
            }
            return v;
        }
        throw SidecarException.err("Property values can only be of primitive types or arrays of primitive types");
    }

    static void setProperty(QueryContext ctx, Object entity, String key, Object value) {
        Object v = storable(value);
        GraphData g = ctx.graph;
        if (entity instanceof Node n) {
            int k = v == null ? g.keys.id(key) : g.internKey(key, ctx.changes);
            if (k < 0) {
                return;
            }
            Object old = n.props.get(k);
            if (v == null && old == null) {
                return;
            }
            g.setNodeProp(n, k, v, ctx.changes);
            count(ctx, v);
        } else if (entity instanceof Edge e) {
            int k = v == null ? g.keys.id(key) : g.internKey(key, ctx.changes);
            if (k < 0) {
                return;
            }
            Object old = e.props.get(k);
            if (v == null && old == null) {
                return;
            }
            g.setEdgeProp(e, k, v, ctx.changes);
            count(ctx, v);
        } else if (entity != null) {
            throw Values.typeError("Node or Edge", entity);
        }
    }

    private static void count(QueryContext ctx, Object v) {
        if (v == null) {
            ctx.stats.propertiesRemoved++;
        } else {
            ctx.stats.propertiesSet++;
        }
    }

    private static Map<?, ?> propsMap(QueryContext ctx, Expr props, Map<String, Object> row) {
        if (props == null) {
            return Map.of();
        }
        Object v = Evaluator.eval(props, row, ctx);
        if (v instanceof Map<?, ?> m) {
            return m;
        }
        throw Values.typeError("Map", v);
    }

    /** Creates the unbound parts of a pattern, binding new variables into {@code row}. */
    static void createPattern(QueryContext ctx, PathPat pat, Map<String, Object> row) {
        GraphData g = ctx.graph;
        List<Node> nodes = new ArrayList<>();
        for (NodePat np : pat.nodes()) {
            Object bound = np.var() == null ? null : row.get(np.var());
            if (bound instanceof Node n) {
                if (!np.labels().isEmpty() || np.props() != null) {
                    throw SidecarException.err("The bound variable '" + np.var() + "' can't be redeclared in a "
                            + "CREATE clause");
                }
                nodes.add(n);
                continue;
            }
            if (np.var() != null && row.containsKey(np.var()) && bound == null) {
                throw SidecarException.err("Failed to create node: variable '" + np.var() + "' is null");
            }
            int[] labels = new int[np.labels().size()];
            for (int i = 0; i < labels.length; i++) {
                int before = g.labels.size();
                labels[i] = g.internLabel(np.labels().get(i), ctx.changes);
                if (g.labels.size() > before) {
                    ctx.stats.labelsAdded++;
                }
            }
            Map<?, ?> props = propsMap(ctx, np.props(), row);
            Node n = g.createNode(labels, ctx.changes);
            ctx.stats.nodesCreated++;
            for (Map.Entry<?, ?> e : props.entrySet()) {
                if (e.getValue() != null) {
                    setProperty(ctx, n, (String) e.getKey(), e.getValue());
                }
            }
            if (np.var() != null) {
                row.put(np.var(), n);
            }
            nodes.add(n);
        }
        List<Edge> edges = new ArrayList<>();
        for (int i = 0; i < pat.rels().size(); i++) {
            RelPat r = pat.rels().get(i);
            if (r.dir() == Dir.BOTH) {
                throw SidecarException.err("Only directed relationships are supported in CREATE");
            }
            if (r.types().size() != 1) {
                throw SidecarException.err("Exactly one relationship type must be specified for CREATE");
            }
            if (r.varLength()) {
                throw SidecarException.err("Variable length relationships cannot be used in CREATE");
            }
            Node a = nodes.get(i);
            Node b = nodes.get(i + 1);
            Node src = r.dir() == Dir.OUT ? a : b;
            Node dst = r.dir() == Dir.OUT ? b : a;
            int type = g.internType(r.types().get(0), ctx.changes);
            Map<?, ?> props = propsMap(ctx, r.props(), row);
            Edge e = g.createEdge(type, src, dst, ctx.changes);
            ctx.stats.relationshipsCreated++;
            for (Map.Entry<?, ?> pe : props.entrySet()) {
                if (pe.getValue() != null) {
                    setProperty(ctx, e, (String) pe.getKey(), pe.getValue());
                }
            }
            if (r.var() != null) {
                row.put(r.var(), e);
            }
            edges.add(e);
        }
        if (pat.pathVar() != null) {
            row.put(pat.pathVar(), new PathValue(nodes, edges));
        }
    }

    static final class CreateOp extends Op {
        private final Create c;

        CreateOp(QueryContext ctx, Create c) {
            super(ctx);
            this.c = c;
        }

        @Override
        void accept(Map<String, Object> row) {
            Map<String, Object> r = new HashMap<>(row);
            for (PathPat p : c.patterns()) {
                createPattern(ctx, p, r);
            }
            emit(r);
        }

        @Override
        List<String> describe() {
            return List.of("Create");
        }
    }

    static final class MergeOp extends Op {
        private final Merge m;

        MergeOp(QueryContext ctx, Merge m) {
            super(ctx);
            this.m = m;
        }

        @Override
        void accept(Map<String, Object> row) {
            List<Map<String, Object>> matches = new ArrayList<>();
            ctx.matcher.match(List.of(m.pattern()), null, row, w -> matches.add(new HashMap<>(w)));
            if (!matches.isEmpty()) {
                for (Map<String, Object> r : matches) {
                    applySet(ctx, m.onMatch(), r);
                    emit(r);
                }
                return;
            }
            Map<String, Object> r = new HashMap<>(row);
            createPattern(ctx, m.pattern(), r);
            applySet(ctx, m.onCreate(), r);
            emit(r);
        }

        @Override
        List<String> describe() {
            return List.of("Merge");
        }
    }

    static void applySet(QueryContext ctx, List<SetItem> items, Map<String, Object> row) {
        GraphData g = ctx.graph;
        for (SetItem item : items) {
            switch (item.kind()) {
                case PROPERTY: {
                    Prop p = (Prop) item.target();
                    Object entity = Evaluator.eval(p.target(), row, ctx);
                    setProperty(ctx, entity, p.key(), Evaluator.eval(item.value(), row, ctx));
                    break;
                }
                case REPLACE:
                case MERGE_MAP: {
                    Object entity = Evaluator.eval(new Var(item.var()), row, ctx);
                    if (entity == null) {
                        break;
                    }
                    Object v = Evaluator.eval(item.value(), row, ctx);
                    Map<String, Object> map;
                    if (v instanceof Node n) {
                        map = Evaluator.propertiesMap(n.props, ctx);
                    } else if (v instanceof Edge e) {
                        map = Evaluator.propertiesMap(e.props, ctx);
                    } else if (v instanceof Map<?, ?> mm) {
                        map = new LinkedHashMap<>();
                        for (Map.Entry<?, ?> en : mm.entrySet()) {
                            map.put((String) en.getKey(), en.getValue());
                        }
                    } else {
                        throw Values.typeError("Map", v);
                    }
                    if (item.kind() == SetKind.REPLACE) {
                        Map<String, Object> current = entity instanceof Node n ? Evaluator.propertiesMap(n.props, ctx)
                                : Evaluator.propertiesMap(((Edge) entity).props, ctx);
                        for (String k : current.keySet()) {
                            if (!map.containsKey(k)) {
                                setProperty(ctx, entity, k, null);
                            }
                        }
                    }
                    for (Map.Entry<String, Object> en : map.entrySet()) {
                        setProperty(ctx, entity, en.getKey(), en.getValue());
                    }
                    break;
                }
                default: {
                    Object entity = Evaluator.eval(new Var(item.var()), row, ctx);
                    if (entity == null) {
                        break;
                    }
                    if (!(entity instanceof Node n)) {
                        throw Values.typeError("Node", entity);
                    }
                    for (String l : item.labels()) {
                        if (g.addLabel(n, g.internLabel(l, ctx.changes), ctx.changes)) {
                            ctx.stats.labelsAdded++;
                        }
                    }
                }
            }
        }
    }

    static final class SetOp extends Op {
        private final List<SetItem> items;

        SetOp(QueryContext ctx, List<SetItem> items) {
            super(ctx);
            this.items = items;
        }

        @Override
        void accept(Map<String, Object> row) {
            applySet(ctx, items, row);
            emit(row);
        }

        @Override
        List<String> describe() {
            return List.of("Update");
        }
    }

    static final class RemoveOp extends Op {
        private final Remove r;

        RemoveOp(QueryContext ctx, Remove r) {
            super(ctx);
            this.r = r;
        }

        @Override
        void accept(Map<String, Object> row) {
            GraphData g = ctx.graph;
            for (RemoveItem item : r.items()) {
                if (item.prop() != null) {
                    Object entity = Evaluator.eval(item.prop().target(), row, ctx);
                    setProperty(ctx, entity, item.prop().key(), null);
                } else {
                    Object entity = Evaluator.eval(new Var(item.var()), row, ctx);
                    if (entity instanceof Node n) {
                        for (String l : item.labels()) {
                            int id = g.labels.id(l);
                            if (id >= 0 && g.removeLabel(n, id, ctx.changes)) {
                                ctx.stats.labelsRemoved++;
                            }
                        }
                    } else if (entity != null) {
                        throw Values.typeError("Node", entity);
                    }
                }
            }
            emit(row);
        }

        @Override
        List<String> describe() {
            return List.of("Update");
        }
    }

    static final class DeleteOp extends Op {
        private final Delete d;

        DeleteOp(QueryContext ctx, Delete d) {
            super(ctx);
            this.d = d;
        }

        @Override
        void accept(Map<String, Object> row) {
            for (Expr e : d.targets()) {
                delete(Evaluator.eval(e, row, ctx));
            }
            emit(row);
        }

        private void delete(Object v) {
            GraphData g = ctx.graph;
            if (v == null) {
                return;
            }
            if (v instanceof Node n) {
                if (n.deleted) {
                    return;
                }
                if (!d.detach() && (!n.out.isEmpty() || !n.in.isEmpty())) {
                    throw SidecarException.err("Cannot delete node<" + n.id + ">, because it still has "
                            + "relationships. To delete this node, you must first delete its relationships, "
                            + "or use DETACH DELETE.");
                }
                for (Edge e : new ArrayList<>(n.out)) {
                    deleteEdge(e);
                }
                for (Edge e : new ArrayList<>(n.in)) {
                    deleteEdge(e);
                }
                g.deleteNode(n, ctx.changes);
                ctx.stats.nodesDeleted++;
            } else if (v instanceof Edge e) {
                deleteEdge(e);
            } else if (v instanceof PathValue p) {
                p.edges().forEach(this::deleteEdge);
                p.nodes().forEach(this::delete);
            } else if (v instanceof List<?> l) {
                l.forEach(this::delete);
            } else {
                throw SidecarException.err("Delete type mismatch, expecting either Node or Relationship.");
            }
        }

        private void deleteEdge(Edge e) {
            if (!e.deleted) {
                ctx.graph.deleteEdge(e, ctx.changes);
                ctx.stats.relationshipsDeleted++;
            }
        }

        @Override
        List<String> describe() {
            return List.of("Delete");
        }
    }

    static final class IndexOp extends Op {
        private final String label;
        private final List<String> props;
        private final boolean relationship;
        private final boolean create;

        IndexOp(QueryContext ctx, String label, List<String> props, boolean relationship, boolean create) {
            super(ctx);
            this.label = label;
            this.props = props;
            this.relationship = relationship;
            this.create = create;
        }

        @Override
        void accept(Map<String, Object> row) {
            GraphData g = ctx.graph;
            if (create) {
                int schemaId = relationship ? g.internType(label, ctx.changes) : g.internLabel(label, ctx.changes);
                List<Integer> keys = new ArrayList<>();
                for (String p : props) {
                    keys.add(g.internKey(p, ctx.changes));
                }
                if (g.addIndex(new IndexDef(relationship, schemaId, keys), ctx.changes)) {
                    ctx.stats.indicesCreated += keys.size();
                }
            } else {
                int schemaId = relationship ? g.types.id(label) : g.labels.id(label);
                List<Integer> keys = new ArrayList<>();
                for (String p : props) {
                    keys.add(g.keys.id(p));
                }
                if (schemaId < 0 || keys.contains(-1)
                        || !g.dropIndex(new IndexDef(relationship, schemaId, keys), ctx.changes)) {
                    throw SidecarException.err("Unable to drop index on :" + label + "(" + String.join(",", props)
                            + "): no such index.");
                }
                ctx.stats.indicesDeleted += keys.size();
            }
            emit(row);
        }

        @Override
        List<String> describe() {
            return List.of(create ? "Create Index" : "Drop Index");
        }
    }

    // ------------------------------------------------------------------ procedures

    static final class CallOp extends Op {
        private final Call call;
        private final List<String> fields;

        CallOp(QueryContext ctx, Call call) {
            super(ctx);
            this.call = call;
            this.fields = procedureFields(call.procedure());
            for (YieldItem y : call.yields()) {
                if (!fields.contains(y.field())) {
                    throw SidecarException.err("Procedure `" + call.procedure() + "` does not yield output `"
                            + y.field() + "`");
                }
            }
        }

        List<String> outputNames() {
            if (call.yields().isEmpty()) {
                return fields;
            }
            List<String> out = new ArrayList<>();
            call.yields().forEach(y -> out.add(y.alias()));
            return out;
        }

        private static List<String> procedureFields(String proc) {
            switch (proc.toLowerCase(Locale.ROOT)) {
                case "db.labels":
                    return List.of("label");
                case "db.relationshiptypes":
                    return List.of("relationshipType");
                case "db.propertykeys":
                    return List.of("propertyKey");
                case "db.indexes":
                    return List.of("type", "label", "properties", "language", "stopwords", "entitytype");
                default:
                    throw SidecarException.err("Procedure `" + proc + "` is not registered");
            }
        }

        @Override
        void accept(Map<String, Object> row) {
            GraphData g = ctx.graph;
            List<List<Object>> records = new ArrayList<>();
            switch (call.procedure().toLowerCase(Locale.ROOT)) {
                case "db.labels":
                    g.labels.names().forEach(n -> records.add(List.of(n)));
                    break;
                case "db.relationshiptypes":
                    g.types.names().forEach(n -> records.add(List.of(n)));
                    break;
                case "db.propertykeys":
                    g.keys.names().forEach(n -> records.add(List.of(n)));
                    break;
                default:
                    for (IndexDef d : g.indexes) {
                        List<Object> props = new ArrayList<>();
                        d.keys().forEach(k -> props.add(g.keys.name(k)));
                        String label = d.relationship() ? g.types.name(d.schemaId()) : g.labels.name(d.schemaId());
                        records.add(List.of("exact-match", label, props, "english", new ArrayList<>(),
                                d.relationship() ? "RELATIONSHIP" : "NODE"));
                    }
            }
            List<String> names = outputNames();
            for (List<Object> rec : records) {
                Map<String, Object> r = new HashMap<>(row);
                if (call.yields().isEmpty()) {
                    for (int i = 0; i < fields.size(); i++) {
                        r.put(fields.get(i), rec.get(i));
                    }
                } else {
                    for (int i = 0; i < call.yields().size(); i++) {
                        r.put(names.get(i), rec.get(fields.indexOf(call.yields().get(i).field())));
                    }
                }
                if (call.where() == null || Values.truthy(Evaluator.eval(call.where(), r, ctx))) {
                    emit(r);
                }
            }
        }

        @Override
        List<String> describe() {
            return List.of("ProcedureCall");
        }
    }

    // ------------------------------------------------------------------ projection (WITH / RETURN)

    static final class ProjectOp extends Op {
        private final Projection proj;
        private final Expr where;
        private final List<String> starVars;
        final List<String> columns = new ArrayList<>();
        private final List<ProjItem> items;
        private final boolean aggregating;
        private final List<List<FuncCall>> itemAggregates = new ArrayList<>();
        // streaming state
        private final Set<List<Object>> distinctSeen = new HashSet<>();
        private final List<Object[]> sortBuffer = new ArrayList<>();
        private long skipped;
        private long emitted;
        private Long skip;
        private Long limit;
        // grouping state
        private final Map<List<Object>, Group> groups = new LinkedHashMap<>();

        private static final class Group {
            Map<String, Object> firstRow;
            Object[] keyValues;
            Map<FuncCall, Accumulator> accs = new java.util.IdentityHashMap<>();
        }

        ProjectOp(QueryContext ctx, Projection proj, Expr where, List<String> scope) {
            super(ctx);
            this.proj = proj;
            this.where = where;
            this.starVars = proj.star() ? scope : List.of();
            if (proj.star() && scope.isEmpty()) {
                throw SidecarException.err("RETURN * is not allowed when there are no variables in scope");
            }
            columns.addAll(starVars);
            this.items = proj.items();
            boolean agg = false;
            for (ProjItem item : items) {
                if (columns.contains(item.name())) {
                    throw SidecarException.err("Error: Multiple result columns with the same name are not supported.");
                }
                columns.add(item.name());
                List<FuncCall> found = new ArrayList<>();
                Evaluator.collectAggregates(item.expr(), found);
                itemAggregates.add(found);
                agg |= !found.isEmpty();
            }
            this.aggregating = agg;
        }

        private long bound(Expr e) {
            Object v = Evaluator.eval(e, Map.of(), ctx);
            if (!(v instanceof Long l) || l < 0) {
                throw SidecarException.err("SKIP and LIMIT expect a non-negative integer, got " + Values.typeName(v));
            }
            return l;
        }

        @Override
        void accept(Map<String, Object> row) {
            if (skip == null) {
                skip = proj.skip() == null ? 0L : bound(proj.skip());
                limit = proj.limit() == null ? Long.MAX_VALUE : bound(proj.limit());
            }
            if (aggregating) {
                Object[] keyValues = new Object[items.size()];
                List<Object> key = new ArrayList<>();
                for (String v : starVars) {
                    key.add(Values.groupKey(row.get(v)));
                }
                for (int i = 0; i < items.size(); i++) {
                    if (itemAggregates.get(i).isEmpty()) {
                        keyValues[i] = Evaluator.eval(items.get(i).expr(), row, ctx);
                        key.add(Values.groupKey(keyValues[i]));
                    }
                }
                Group grp = groups.get(key);
                if (grp == null) {
                    grp = new Group();
                    grp.firstRow = new HashMap<>(row);
                    grp.keyValues = keyValues;
                    groups.put(key, grp);
                }
                for (List<FuncCall> aggs : itemAggregates) {
                    for (FuncCall f : aggs) {
                        Accumulator acc = grp.accs.computeIfAbsent(f, Accumulator::new);
                        acc.add(f.star() ? null : Evaluator.eval(f.args().get(0), row, ctx), f.star());
                    }
                }
                return;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (String v : starVars) {
                out.put(v, row.get(v));
            }
            for (ProjItem item : items) {
                out.put(item.name(), Evaluator.eval(item.expr(), row, ctx));
            }
            offer(out, row);
        }

        /** A projected row goes through DISTINCT, then ORDER BY buffering or streaming SKIP/LIMIT. */
        private void offer(Map<String, Object> out, Map<String, Object> source) {
            if (proj.distinct()) {
                List<Object> key = new ArrayList<>();
                for (Object v : out.values()) {
                    key.add(Values.groupKey(v));
                }
                if (!distinctSeen.add(key)) {
                    return;
                }
            }
            if (!proj.orderBy().isEmpty()) {
                Map<String, Object> evalRow = new HashMap<>(source);
                evalRow.putAll(out);
                Object[] keys = new Object[proj.orderBy().size() + 1];
                for (int i = 0; i < proj.orderBy().size(); i++) {
                    keys[i] = sortValue(proj.orderBy().get(i).expr(), out, evalRow);
                }
                keys[keys.length - 1] = out;
                sortBuffer.add(keys);
                return;
            }
            pass(out);
        }

        private Object sortValue(Expr e, Map<String, Object> out, Map<String, Object> evalRow) {
            for (ProjItem item : items) {
                if (item.expr().equals(e)) {
                    return out.get(item.name());
                }
            }
            return Evaluator.eval(e, evalRow, ctx);
        }

        private void pass(Map<String, Object> out) {
            if (skipped < skip) {
                skipped++;
                return;
            }
            if (emitted >= limit) {
                return;
            }
            if (where != null && !Values.truthy(Evaluator.eval(where, out, ctx))) {
                return;
            }
            emitted++;
            emit(out);
        }

        @Override
        void finish() {
            if (skip == null) {
                skip = proj.skip() == null ? 0L : bound(proj.skip());
                limit = proj.limit() == null ? Long.MAX_VALUE : bound(proj.limit());
            }
            if (aggregating) {
                if (groups.isEmpty() && starVars.isEmpty()
                        && itemAggregates.stream().noneMatch(List::isEmpty)) {
                    Group grp = new Group();
                    grp.firstRow = Map.of();
                    grp.keyValues = new Object[items.size()];
                    groups.put(List.of(), grp);
                }
                for (Group grp : groups.values()) {
                    ctx.aggregates = new java.util.IdentityHashMap<>();
                    for (List<FuncCall> aggs : itemAggregates) {
                        for (FuncCall f : aggs) {
                            Accumulator acc = grp.accs.get(f);
                            ctx.aggregates.put(f, acc == null ? new Accumulator(f).result() : acc.result());
                        }
                    }
                    Map<String, Object> out = new LinkedHashMap<>();
                    for (String v : starVars) {
                        out.put(v, grp.firstRow.get(v));
                    }
                    for (int i = 0; i < items.size(); i++) {
                        out.put(items.get(i).name(), itemAggregates.get(i).isEmpty() ? grp.keyValues[i]
                                : Evaluator.eval(items.get(i).expr(), grp.firstRow, ctx));
                    }
                    offer(out, grp.firstRow);
                }
                ctx.aggregates = new java.util.IdentityHashMap<>();
                groups.clear();
            }
            if (!sortBuffer.isEmpty()) {
                List<SortItem> order = proj.orderBy();
                sortBuffer.sort((a, b) -> {
                    for (int i = 0; i < order.size(); i++) {
                        int c = Values.orderCompare(a[i], b[i]);
                        if (c != 0) {
                            return order.get(i).descending() ? -c : c;
                        }
                    }
                    return 0;
                });
                for (Object[] k : sortBuffer) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> out = (Map<String, Object>) k[k.length - 1];
                    pass(out);
                }
                sortBuffer.clear();
            }
            next.finish();
        }

        @Override
        List<String> describe() {
            List<String> lines = new ArrayList<>();
            if (where != null) {
                lines.add("Filter");
            }
            if (proj.limit() != null) {
                lines.add("Limit");
            }
            if (proj.skip() != null) {
                lines.add("Skip");
            }
            if (!proj.orderBy().isEmpty()) {
                lines.add("Sort");
            }
            if (proj.distinct()) {
                lines.add("Distinct");
            }
            lines.add(aggregating ? "Aggregate" : "Project");
            return lines;
        }
    }

    /** State of one aggregate function over one group. */
    static final class Accumulator {
        private final FuncCall f;
        private final Set<Object> seen;
        private long count;
        private long longSum;
        private double doubleSum;
        private boolean sawDouble;
        private Object best;
        private final List<Object> values = new ArrayList<>();

        Accumulator(FuncCall f) {
            this.f = f;
            this.seen = f.distinct() ? new LinkedHashSet<>() : null;
        }

        void add(Object v, boolean star) {
            if (star) {
                count++;
                return;
            }
            if (v == null) {
                return;
            }
            if (seen != null && !seen.add(Values.groupKey(v))) {
                return;
            }
            count++;
            switch (f.name()) {
                case "sum":
                case "avg":
                case "stdev":
                case "stdevp":
                    if (v instanceof Long l) {
                        longSum += l;
                        doubleSum += l;
                    } else if (v instanceof Double d) {
                        sawDouble = true;
                        doubleSum += d;
                    } else {
                        throw Values.typeError("Integer or Float", v);
                    }
                    if (f.name().startsWith("stdev")) {
                        values.add(((Number) v).doubleValue());
                    }
                    break;
                case "min":
                    if (best == null || Values.orderCompare(v, best) < 0) {
                        best = v;
                    }
                    break;
                case "max":
                    if (best == null || Values.orderCompare(v, best) > 0) {
                        best = v;
                    }
                    break;
                case "collect":
                    values.add(v);
                    break;
                default:
                    break;
            }
        }

        Object result() {
            switch (f.name()) {
                case "count":
                    return count;
                case "sum":
                    return sawDouble ? (Object) doubleSum : (Object) longSum;
                case "avg":
                    return count == 0 ? null : doubleSum / count;
                case "min":
                case "max":
                    return best;
                case "collect":
                    return new ArrayList<>(values);
                default: {
                    boolean sample = f.name().equals("stdev");
                    if (values.size() < (sample ? 2 : 1)) {
                        return 0.0;
                    }
                    double mean = doubleSum / values.size();
                    double ss = 0;
                    for (Object o : values) {
                        double d = (Double) o - mean;
                        ss += d * d;
                    }
                    return Math.sqrt(ss / (sample ? values.size() - 1 : values.size()));
                }
            }
        }
    }
}
