package io.valkeysidecar.graph.exec;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.cypher.Ast.*;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.GraphData;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.PathValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Finds the bindings of MATCH patterns in the cached graph by depth-first expansion from the cheapest anchor:
 * an already bound node, an {@code id(n) = x} predicate, an exact-match index, a label scan, or all nodes.
 * Relationship uniqueness holds across the whole pattern list (openCypher's relationship isomorphism).
 */
final class Matcher {

    /** Thrown to stop a search once one match is enough (pattern predicates). */
    private static final class Found extends RuntimeException {
        Found() {
            super(null, null, false, false);
        }
    }

    private static final Found FOUND = new Found();

    enum AnchorKind { BOUND, ID_SEEK, INDEX, LABEL, ALL }

    /** How the first node of an oriented pattern is found. */
    record Anchor(AnchorKind kind, Expr value, int label, int key) {
    }

    /** A pattern in the orientation it is expanded in. */
    record Oriented(PathPat original, List<NodePat> nodes, List<RelPat> rels, boolean reversed, Anchor anchor) {
    }

    private final QueryContext ctx;
    private final GraphData g;

    Matcher(QueryContext ctx) {
        this.ctx = ctx;
        this.g = ctx.graph;
    }

    /** Calls {@code out} with the working row for each match (the callee copies what it keeps). */
    void match(List<PathPat> patterns, Expr where, Map<String, Object> row, Consumer<Map<String, Object>> out) {
        List<PathPat> ordered = new ArrayList<>();
        for (PathPat p : patterns) {
            if (p.shortest() == null) {
                ordered.add(p);
            }
        }
        for (PathPat p : patterns) {
            if (p.shortest() != null) {
                ordered.add(p);
            }
        }
        List<Expr> conjuncts = new ArrayList<>();
        splitAnd(where, conjuncts);
        List<Conjunct> saved = early;
        early = new ArrayList<>(conjuncts.size());
        for (Expr c : conjuncts) {
            Set<String> vars = new HashSet<>();
            varsOf(c, vars);
            early.add(new Conjunct(c, vars));
        }
        Map<String, Object> work = new HashMap<>(row);
        Set<Edge> used = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            matchFrom(ordered, 0, conjuncts, work, used, w -> {
                if (where == null || Values.truthy(Evaluator.eval(where, w, ctx))) {
                    out.accept(w);
                }
            });
        } finally {
            early = saved;
        }
    }

    /** A WHERE conjunct and the variables it reads: it is checked as soon as the last of them is bound. */
    private record Conjunct(Expr expr, Set<String> vars) {
    }

    /** Not a valid variable name, so a conjunct that reads it is never ready before the match is complete. */
    private static final String NEVER_BOUND = "\0";

    /** The conjuncts of the WHERE being matched (saved and restored around nested pattern predicates). */
    private List<Conjunct> early = List.of();

    /** Prunes a partial match: false when a conjunct whose variables just became all bound is not true. */
    private boolean admissible(String justBound, Map<String, Object> work) {
        for (Conjunct c : early) {
            if (c.vars().contains(justBound) && work.keySet().containsAll(c.vars())
                    && !Values.truthy(Evaluator.eval(c.expr(), work, ctx))) {
                return false;
            }
        }
        return true;
    }

    /** Variable names an expression reads (a superset is harmless: the conjunct is then checked at the end). */
    static void varsOf(Expr e, Set<String> out) {
        if (e instanceof Var v) {
            out.add(v.name());
        } else if (e instanceof Prop p) {
            varsOf(p.target(), out);
        } else if (e instanceof Binary b) {
            varsOf(b.left(), out);
            varsOf(b.right(), out);
        } else if (e instanceof Unary u) {
            varsOf(u.operand(), out);
        } else if (e instanceof IsNull n) {
            varsOf(n.operand(), out);
        } else if (e instanceof LabelCheck lc) {
            varsOf(lc.operand(), out);
        } else if (e instanceof FuncCall f) {
            f.args().forEach(a -> varsOf(a, out));
        } else if (e instanceof ListLit l) {
            l.items().forEach(a -> varsOf(a, out));
        } else if (e instanceof MapLit m) {
            m.values().forEach(a -> varsOf(a, out));
        } else if (e instanceof Index ix) {
            varsOf(ix.target(), out);
            varsOf(ix.index(), out);
        } else if (e instanceof Literal || e instanceof Param) {
            return;
        } else {
            out.add(NEVER_BOUND); // such conjuncts are only checked on complete matches
        }
    }

    /** Pattern predicate: whether at least one match exists. */
    boolean exists(PathPat pattern, Map<String, Object> row) {
        try {
            match(List.of(pattern), null, row, w -> {
                throw FOUND;
            });
            return false;
        } catch (Found f) {
            return true;
        }
    }

    static void splitAnd(Expr e, List<Expr> out) {
        if (e == null) {
            return;
        }
        if (e instanceof Binary b && b.op().equals("AND")) {
            splitAnd(b.left(), out);
            splitAnd(b.right(), out);
        } else {
            out.add(e);
        }
    }

    private void matchFrom(List<PathPat> pats, int i, List<Expr> conj, Map<String, Object> work, Set<Edge> used,
                           Consumer<Map<String, Object>> out) {
        if (i == pats.size()) {
            out.accept(work);
            return;
        }
        PathPat p = pats.get(i);
        Runnable rest = () -> matchFrom(pats, i + 1, conj, work, used, out);
        if (p.shortest() != null) {
            shortest(p, work, rest);
            return;
        }
        Oriented o = orient(p, work.keySet(), conj);
        List<Node> cands = candidates(o.anchor(), o.nodes().get(0), work);
        NodePat first = o.nodes().get(0);
        List<Node> pathNodes = new ArrayList<>();
        List<Edge> pathEdges = new ArrayList<>();
        for (Node n : cands) {
            ctx.tick();
            if (n.deleted || !nodeMatches(first, n, work)) {
                continue;
            }
            boolean added = bind(first.var(), n, work);
            if (!added || admissible(first.var(), work)) {
                pathNodes.add(n);
                expand(o, 0, n, work, used, pathNodes, pathEdges, rest);
                pathNodes.remove(pathNodes.size() - 1);
            }
            unbind(first.var(), added, work);
        }
    }

    // ------------------------------------------------------------------ anchoring

    Oriented orient(PathPat p, Set<String> bound, List<Expr> conj) {
        Anchor a0 = anchor(p.nodes().get(0), bound, conj);
        if (p.rels().isEmpty()) {
            return new Oriented(p, p.nodes(), p.rels(), false, a0);
        }
        NodePat lastPat = p.nodes().get(p.nodes().size() - 1);
        Anchor a1 = anchor(lastPat, bound, conj);
        boolean reverse = a1.kind().ordinal() < a0.kind().ordinal()
                || (a1.kind() == AnchorKind.LABEL && a0.kind() == AnchorKind.LABEL
                && g.labelCardinality(a1.label()) < g.labelCardinality(a0.label()));
        if (!reverse) {
            return new Oriented(p, p.nodes(), p.rels(), false, a0);
        }
        List<NodePat> nodes = new ArrayList<>(p.nodes());
        Collections.reverse(nodes);
        List<RelPat> rels = new ArrayList<>();
        for (int i = p.rels().size() - 1; i >= 0; i--) {
            RelPat r = p.rels().get(i);
            Dir d = r.dir() == Dir.OUT ? Dir.IN : r.dir() == Dir.IN ? Dir.OUT : Dir.BOTH;
            rels.add(new RelPat(r.var(), r.types(), r.props(), d, r.varLength(), r.minHops(), r.maxHops()));
        }
        return new Oriented(p, nodes, rels, true, a1);
    }

    private Anchor anchor(NodePat np, Set<String> bound, List<Expr> conj) {
        String v = np.var();
        if (v != null && bound.contains(v)) {
            return new Anchor(AnchorKind.BOUND, null, -1, -1);
        }
        if (v != null) {
            for (Expr c : conj) {
                if (c instanceof Binary b && b.op().equals("=")) {
                    Expr other = idOf(b.left(), v) ? b.right() : idOf(b.right(), v) ? b.left() : null;
                    if (other != null && evaluable(other, bound)) {
                        return new Anchor(AnchorKind.ID_SEEK, other, -1, -1);
                    }
                }
            }
        }
        int bestLabel = -1;
        for (String l : np.labels()) {
            int id = g.labels.id(l);
            if (id < 0) {
                return new Anchor(AnchorKind.LABEL, null, -1, -1); // unknown label: nothing can match
            }
            if (bestLabel < 0 || g.labelCardinality(id) < g.labelCardinality(bestLabel)) {
                bestLabel = id;
            }
        }
        for (String l : np.labels()) {
            int label = g.labels.id(l);
            if (np.props() instanceof MapLit m) {
                for (int i = 0; i < m.keys().size(); i++) {
                    int key = g.keys.id(m.keys().get(i));
                    if (key >= 0 && g.hasNodeIndex(label, key) && evaluable(m.values().get(i), bound)) {
                        return new Anchor(AnchorKind.INDEX, m.values().get(i), label, key);
                    }
                }
            }
            if (v != null) {
                for (Expr c : conj) {
                    if (c instanceof Binary b && b.op().equals("=")) {
                        String key = propOf(b.left(), v);
                        Expr other = b.right();
                        if (key == null) {
                            key = propOf(b.right(), v);
                            other = b.left();
                        }
                        int keyId = key == null ? -1 : g.keys.id(key);
                        if (keyId >= 0 && g.hasNodeIndex(label, keyId) && evaluable(other, bound)) {
                            return new Anchor(AnchorKind.INDEX, other, label, keyId);
                        }
                    }
                }
            }
        }
        if (bestLabel >= 0) {
            return new Anchor(AnchorKind.LABEL, null, bestLabel, -1);
        }
        return new Anchor(AnchorKind.ALL, null, -1, -1);
    }

    private static boolean idOf(Expr e, String var) {
        return e instanceof FuncCall f && f.name().equals("id") && f.args().size() == 1
                && f.args().get(0) instanceof Var v && v.name().equals(var);
    }

    private static String propOf(Expr e, String var) {
        return e instanceof Prop p && p.target() instanceof Var v && v.name().equals(var) ? p.key() : null;
    }

    /** Whether an expression only uses variables already bound (so it can be evaluated before matching). */
    static boolean evaluable(Expr e, Set<String> bound) {
        if (e instanceof Var v) {
            return bound.contains(v.name());
        }
        if (e instanceof Literal || e instanceof Param) {
            return true;
        }
        if (e instanceof Prop p) {
            return evaluable(p.target(), bound);
        }
        if (e instanceof Binary b) {
            return evaluable(b.left(), bound) && evaluable(b.right(), bound);
        }
        if (e instanceof Unary u) {
            return evaluable(u.operand(), bound);
        }
        if (e instanceof FuncCall f) {
            return !Evaluator.AGGREGATES.contains(f.name()) && f.args().stream().allMatch(a -> evaluable(a, bound));
        }
        if (e instanceof ListLit l) {
            return l.items().stream().allMatch(a -> evaluable(a, bound));
        }
        if (e instanceof MapLit m) {
            return m.values().stream().allMatch(a -> evaluable(a, bound));
        }
        if (e instanceof Index ix) {
            return evaluable(ix.target(), bound) && evaluable(ix.index(), bound);
        }
        return false;
    }

    private List<Node> candidates(Anchor a, NodePat np, Map<String, Object> work) {
        switch (a.kind()) {
            case BOUND: {
                Object v = work.get(np.var());
                return v instanceof Node n ? List.of(n) : List.of();
            }
            case ID_SEEK: {
                Object v = Evaluator.eval(a.value(), work, ctx);
                if (!(v instanceof Long id)) {
                    return List.of();
                }
                Node n = g.node(id);
                return n == null ? List.of() : List.of(n);
            }
            case INDEX: {
                Object v = Evaluator.eval(a.value(), work, ctx);
                return v == null ? List.of() : g.indexLookup(a.label(), a.key(), v);
            }
            case LABEL:
                return a.label() < 0 ? List.of() : g.nodesWithLabel(a.label());
            default:
                return g.allNodes();
        }
    }

    // ------------------------------------------------------------------ expansion

    private void expand(Oriented o, int k, Node cur, Map<String, Object> work, Set<Edge> used, List<Node> pathNodes,
                        List<Edge> pathEdges, Runnable rest) {
        if (k == o.rels().size()) {
            String pv = o.original().pathVar();
            boolean added = false;
            if (pv != null) {
                List<Node> ns = new ArrayList<>(pathNodes);
                List<Edge> es = new ArrayList<>(pathEdges);
                if (o.reversed()) {
                    Collections.reverse(ns);
                    Collections.reverse(es);
                }
                added = bind(pv, new PathValue(ns, es), work);
            }
            rest.run();
            if (pv != null) {
                unbind(pv, added, work);
            }
            return;
        }
        RelPat r = o.rels().get(k);
        NodePat next = o.nodes().get(k + 1);
        int[] typeIds = typeIds(r);
        if (typeIds == null) {
            return;
        }
        Map<String, Object> relProps = relProps(r, work);
        if (!r.varLength()) {
            Object boundRel = r.var() == null ? null : work.get(r.var());
            for (Edge e : edgesFrom(cur, r.dir())) {
                ctx.tick();
                if (used.contains(e) || !edgeMatches(e, typeIds, relProps) || (boundRel != null && boundRel != e)) {
                    continue;
                }
                Node other = r.dir() == Dir.IN ? e.src : (e.src == cur ? e.dst : e.src);
                if (!nodeMatches(next, other, work)) {
                    continue;
                }
                used.add(e);
                boolean addedRel = bind(r.var(), e, work);
                boolean addedNode = bind(next.var(), other, work);
                if ((!addedRel || admissible(r.var(), work)) && (!addedNode || admissible(next.var(), work))) {
                    pathEdges.add(e);
                    pathNodes.add(other);
                    expand(o, k + 1, other, work, used, pathNodes, pathEdges, rest);
                    pathNodes.remove(pathNodes.size() - 1);
                    pathEdges.remove(pathEdges.size() - 1);
                }
                unbind(next.var(), addedNode, work);
                unbind(r.var(), addedRel, work);
                used.remove(e);
            }
            return;
        }
        List<Edge> hops = new ArrayList<>();
        varExpand(o, k, r, next, typeIds, relProps, cur, 0, hops, work, used, pathNodes, pathEdges, rest);
    }

    private void varExpand(Oriented o, int k, RelPat r, NodePat next, int[] typeIds, Map<String, Object> relProps,
                           Node cur, int depth, List<Edge> hops, Map<String, Object> work, Set<Edge> used,
                           List<Node> pathNodes, List<Edge> pathEdges, Runnable rest) {
        ctx.tick();
        if (depth >= r.minHops() && nodeMatches(next, cur, work)) {
            List<Edge> bound = new ArrayList<>(hops);
            if (o.reversed()) {
                Collections.reverse(bound);
            }
            boolean addedRel = bind(r.var(), bound, work);
            boolean addedNode = bind(next.var(), cur, work);
            if ((!addedRel || admissible(r.var(), work)) && (!addedNode || admissible(next.var(), work))) {
                expand(o, k + 1, cur, work, used, pathNodes, pathEdges, rest);
            }
            unbind(next.var(), addedNode, work);
            unbind(r.var(), addedRel, work);
        }
        if (r.maxHops() >= 0 && depth >= r.maxHops()) {
            return;
        }
        for (Edge e : edgesFrom(cur, r.dir())) {
            if (used.contains(e) || !edgeMatches(e, typeIds, relProps)) {
                continue;
            }
            Node other = r.dir() == Dir.IN ? e.src : (e.src == cur ? e.dst : e.src);
            used.add(e);
            hops.add(e);
            pathEdges.add(e);
            pathNodes.add(other);
            varExpand(o, k, r, next, typeIds, relProps, other, depth + 1, hops, work, used, pathNodes, pathEdges, rest);
            pathNodes.remove(pathNodes.size() - 1);
            pathEdges.remove(pathEdges.size() - 1);
            hops.remove(hops.size() - 1);
            used.remove(e);
        }
    }

    /** Edges leaving {@code n} in direction {@code d} (a snapshot, so writes later in the query cannot disturb it). */
    static List<Edge> edgesFrom(Node n, Dir d) {
        if (d == Dir.OUT) {
            return n.out;
        }
        if (d == Dir.IN) {
            return n.in;
        }
        List<Edge> all = new ArrayList<>(n.out.size() + n.in.size());
        all.addAll(n.out);
        for (Edge e : n.in) {
            if (e.src != e.dst) {
                all.add(e);
            }
        }
        return all;
    }

    private int[] typeIds(RelPat r) {
        if (r.types().isEmpty()) {
            return new int[0];
        }
        List<Integer> ids = new ArrayList<>();
        for (String t : r.types()) {
            int id = g.types.id(t);
            if (id >= 0) {
                ids.add(id);
            }
        }
        if (ids.isEmpty()) {
            return null;
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private Map<String, Object> relProps(RelPat r, Map<String, Object> work) {
        if (r.props() == null) {
            return null;
        }
        Object v = Evaluator.eval(r.props(), work, ctx);
        if (v instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> mm = (Map<String, Object>) m;
            return mm;
        }
        throw Values.typeError("Map", v);
    }

    private boolean edgeMatches(Edge e, int[] typeIds, Map<String, Object> props) {
        if (typeIds.length > 0) {
            boolean ok = false;
            for (int t : typeIds) {
                if (e.type == t) {
                    ok = true;
                    break;
                }
            }
            if (!ok) {
                return false;
            }
        }
        if (props != null) {
            for (Map.Entry<String, Object> p : props.entrySet()) {
                int key = g.keys.id(p.getKey());
                Object actual = key < 0 ? null : e.props.get(key);
                if (!Boolean.TRUE.equals(Values.equalsCypher(actual, p.getValue()))) {
                    return false;
                }
            }
        }
        return true;
    }

    boolean nodeMatches(NodePat np, Node n, Map<String, Object> work) {
        if (np.var() != null && work.containsKey(np.var())) {
            Object b = work.get(np.var());
            if (b != n) {
                return false;
            }
        }
        for (String l : np.labels()) {
            int id = g.labels.id(l);
            if (id < 0 || !n.hasLabel(id)) {
                return false;
            }
        }
        if (np.props() != null) {
            Object v = Evaluator.eval(np.props(), work, ctx);
            if (!(v instanceof Map<?, ?> m)) {
                throw Values.typeError("Map", v);
            }
            for (Map.Entry<?, ?> p : m.entrySet()) {
                int key = g.keys.id((String) p.getKey());
                Object actual = key < 0 ? null : n.props.get(key);
                if (!Boolean.TRUE.equals(Values.equalsCypher(actual, p.getValue()))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean bind(String var, Object value, Map<String, Object> work) {
        if (var == null || work.containsKey(var)) {
            return false;
        }
        work.put(var, value);
        return true;
    }

    private static void unbind(String var, boolean added, Map<String, Object> work) {
        if (added) {
            work.remove(var);
        }
    }

    // ------------------------------------------------------------------ shortest paths

    private void shortest(PathPat p, Map<String, Object> work, Runnable rest) {
        NodePat a = p.nodes().get(0);
        NodePat b = p.nodes().get(1);
        Object av = a.var() == null ? null : work.get(a.var());
        Object bv = b.var() == null ? null : work.get(b.var());
        if (!(av instanceof Node src) || !(bv instanceof Node dst)) {
            if (av == null && a.var() != null && work.containsKey(a.var())
                    || bv == null && b.var() != null && work.containsKey(b.var())) {
                return; // a null endpoint (from OPTIONAL MATCH) has no path
            }
            throw SidecarException.err("A shortestPath requires bound nodes");
        }
        RelPat r = p.rels().get(0);
        int[] typeIds = typeIds(r);
        if (typeIds == null) {
            return;
        }
        Map<String, Object> relProps = relProps(r, work);
        boolean all = "allshortestpaths".equals(p.shortest());
        int max = r.maxHops() < 0 ? Integer.MAX_VALUE : r.maxHops();
        List<List<Edge>> paths = new ArrayList<>();
        if (src == dst && r.minHops() == 0) {
            paths.add(List.of());
        } else {
            Map<Node, List<Edge>> parents = new HashMap<>();
            Map<Node, Integer> depth = new HashMap<>();
            depth.put(src, 0);
            ArrayDeque<Node> queue = new ArrayDeque<>();
            queue.add(src);
            int found = -1;
            while (!queue.isEmpty()) {
                Node cur = queue.poll();
                int d = depth.get(cur);
                if ((found >= 0 && d >= found) || d >= max) {
                    continue;
                }
                for (Edge e : edgesFrom(cur, r.dir())) {
                    ctx.tick();
                    if (!edgeMatches(e, typeIds, relProps)) {
                        continue;
                    }
                    Node other = r.dir() == Dir.IN ? e.src : (e.src == cur ? e.dst : e.src);
                    Integer od = depth.get(other);
                    if (od == null) {
                        depth.put(other, d + 1);
                        parents.computeIfAbsent(other, x -> new ArrayList<>()).add(e);
                        if (other == dst) {
                            found = d + 1;
                        } else {
                            queue.add(other);
                        }
                    } else if (od == d + 1 && all) {
                        parents.get(other).add(e);
                    }
                }
            }
            if (found < 0 || found < r.minHops()) {
                return;
            }
            collectPaths(dst, src, parents, new ArrayList<>(), paths, all);
        }
        for (List<Edge> edges : paths) {
            List<Node> nodes = new ArrayList<>();
            Node cur = src;
            nodes.add(cur);
            for (Edge e : edges) {
                cur = e.other(cur);
                nodes.add(cur);
            }
            boolean addedRel = bind(r.var(), new ArrayList<>(edges), work);
            boolean addedPath = bind(p.pathVar(), new PathValue(nodes, edges), work);
            rest.run();
            unbind(p.pathVar(), addedPath, work);
            unbind(r.var(), addedRel, work);
        }
    }

    private static void collectPaths(Node cur, Node src, Map<Node, List<Edge>> parents, List<Edge> suffix,
                                     List<List<Edge>> out, boolean all) {
        if (cur == src) {
            List<Edge> path = new ArrayList<>(suffix);
            Collections.reverse(path);
            out.add(path);
            return;
        }
        Set<Edge> seen = new HashSet<>();
        for (Edge e : parents.get(cur)) {
            if (!seen.add(e)) {
                continue;
            }
            suffix.add(e);
            collectPaths(e.other(cur), src, parents, suffix, out, all);
            suffix.remove(suffix.size() - 1);
            if (!all && !out.isEmpty()) {
                return;
            }
        }
    }
}

