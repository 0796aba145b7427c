package io.valkeysidecar.graph.exec;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.cypher.Ast.*;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.Props;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Evaluates expressions against a row of variable bindings. */
public final class Evaluator {

    static final Set<String> AGGREGATES = Set.of("count", "sum", "avg", "min", "max", "collect", "stdev", "stdevp");

    private Evaluator() {
    }

    public static Object eval(Expr e, Map<String, Object> row, QueryContext ctx) {
        if (e instanceof Literal l) {
            return l.value();
        }
        if (e instanceof Var v) {
            if (!row.containsKey(v.name())) {
                throw SidecarException.err(v.name() + " not defined");
            }
            return row.get(v.name());
        }
        if (e instanceof Param p) {
            if (!ctx.params.containsKey(p.name())) {
                throw SidecarException.err("Missing parameters: " + p.name());
            }
            return ctx.params.get(p.name());
        }
        if (e instanceof Prop p) {
            return property(eval(p.target(), row, ctx), p.key(), ctx);
        }
        if (e instanceof Binary b) {
            return binary(b, row, ctx);
        }
        if (e instanceof Unary u) {
            Object v = eval(u.operand(), row, ctx);
            if (u.op().equals("NOT")) {
                if (v == null) {
                    return null;
                }
                if (!(v instanceof Boolean bv)) {
                    throw Values.typeError("Boolean", v);
                }
                return !bv;
            }
            if (v == null) {
                return null;
            }
            if (v instanceof Long l) {
                return -l;
            }
            if (v instanceof Double d) {
                return -d;
            }
            throw Values.typeError("Integer or Float", v);
        }
        if (e instanceof FuncCall f) {
            if (AGGREGATES.contains(f.name())) {
                if (!ctx.aggregates.containsKey(f)) {
                    throw SidecarException.err("Invalid use of aggregating function '" + f.name() + "'");
                }
                return ctx.aggregates.get(f);
            }
            if (f.name().equals("exists") && f.args().size() == 1 && f.args().get(0) instanceof PatternPredicate pp) {
                return ctx.matcher.exists(pp.pattern(), row);
            }
            List<Object> args = new ArrayList<>(f.args().size());
            for (Expr a : f.args()) {
                args.add(eval(a, row, ctx));
            }
            return Functions.call(f.name(), args, ctx);
        }
        if (e instanceof IsNull n) {
            Object v = eval(n.operand(), row, ctx);
            return n.negated() ? v != null : v == null;
        }
        if (e instanceof ListLit l) {
            List<Object> out = new ArrayList<>(l.items().size());
            for (Expr item : l.items()) {
                out.add(eval(item, row, ctx));
            }
            return out;
        }
        if (e instanceof MapLit m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (int i = 0; i < m.keys().size(); i++) {
                out.put(m.keys().get(i), eval(m.values().get(i), row, ctx));
            }
            return out;
        }
        if (e instanceof MapProjection mp) {
            return mapProjection(mp, row, ctx);
        }
        if (e instanceof Index ix) {
            return index(eval(ix.target(), row, ctx), eval(ix.index(), row, ctx), ctx);
        }
        if (e instanceof Slice s) {
            return slice(s, row, ctx);
        }
        if (e instanceof LabelCheck lc) {
            Object v = eval(lc.operand(), row, ctx);
            if (v == null) {
                return null;
            }
            if (!(v instanceof Node n)) {
                throw Values.typeError("Node", v);
            }
            for (String label : lc.labels()) {
                int id = ctx.graph.labels.id(label);
                if (id < 0 || !n.hasLabel(id)) {
                    return false;
                }
            }
            return true;
        }
        if (e instanceof Case c) {
            return caseExpr(c, row, ctx);
        }
        if (e instanceof ListComp lc) {
            return listComprehension(lc, row, ctx);
        }
        if (e instanceof PatternPredicate pp) {
            return ctx.matcher.exists(pp.pattern(), row);
        }
        throw SidecarException.err("Unsupported expression " + e.getClass().getSimpleName());
    }

    private static Object mapProjection(MapProjection mp, Map<String, Object> row, QueryContext ctx) {
        Object base = eval(mp.base(), row, ctx);
        if (base == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (mp.allProperties()) {
            if (base instanceof Node n) {
                out.putAll(propertiesMap(n.props, ctx));
            } else if (base instanceof Edge ed) {
                out.putAll(propertiesMap(ed.props, ctx));
            } else if (base instanceof Map<?, ?> m) {
                m.forEach((k, v) -> out.put((String) k, v));
            } else {
                throw Values.typeError("Map, Node or Edge", base);
            }
        }
        for (int i = 0; i < mp.keys().size(); i++) {
            Expr v = mp.values().get(i);
            String key = mp.keys().get(i);
            out.put(key, v == null ? property(base, key, ctx) : eval(v, row, ctx));
        }
        return out;
    }

    static Object property(Object target, String key, QueryContext ctx) {
        if (target == null) {
            return null;
        }
        if (target instanceof Node n) {
            int k = ctx.graph.keys.id(key);
            return k < 0 ? null : n.props.get(k);
        }
        if (target instanceof Edge ed) {
            int k = ctx.graph.keys.id(key);
            return k < 0 ? null : ed.props.get(k);
        }
        if (target instanceof Map<?, ?> m) {
            return m.get(key);
        }
        throw Values.typeError("Map, Node or Edge", target);
    }

    /** The properties of a node or edge as a name-to-value map, in property order. */
    static Map<String, Object> propertiesMap(Props props, QueryContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < props.size(); i++) {
            out.put(ctx.graph.keys.name(props.keyAt(i)), props.valueAt(i));
        }
        return out;
    }

    private static Object binary(Binary b, Map<String, Object> row, QueryContext ctx) {
        String op = b.op();
        switch (op) {
            case "AND": {
                Object l = eval(b.left(), row, ctx);
                if (Boolean.FALSE.equals(l)) {
                    return false;
                }
                Object r = eval(b.right(), row, ctx);
                checkBool(l);
                checkBool(r);
                if (Boolean.FALSE.equals(r)) {
                    return false;
                }
                return l == null || r == null ? null : true;
            }
            case "OR": {
                Object l = eval(b.left(), row, ctx);
                if (Boolean.TRUE.equals(l)) {
                    return true;
                }
                Object r = eval(b.right(), row, ctx);
                checkBool(l);
                checkBool(r);
                if (Boolean.TRUE.equals(r)) {
                    return true;
                }
                return l == null || r == null ? null : false;
            }
            case "XOR": {
                Object l = eval(b.left(), row, ctx);
                Object r = eval(b.right(), row, ctx);
                checkBool(l);
                checkBool(r);
                return l == null || r == null ? null : !l.equals(r);
            }
            default:
                break;
        }
        Object l = eval(b.left(), row, ctx);
        Object r = eval(b.right(), row, ctx);
        switch (op) {
            case "=":
                return Values.equalsCypher(l, r);
            case "<>": {
                Boolean eq = Values.equalsCypher(l, r);
                return eq == null ? null : !eq;
            }
            case "<": {
                Integer c = Values.compareCypher(l, r);
                return c == null ? null : c < 0;
            }
            case ">": {
                Integer c = Values.compareCypher(l, r);
                return c == null ? null : c > 0;
            }
            case "<=": {
                Integer c = Values.compareCypher(l, r);
                return c == null ? null : c <= 0;
            }
            case ">=": {
                Integer c = Values.compareCypher(l, r);
                return c == null ? null : c >= 0;
            }
            case "+":
                return Values.add(l, r);
            case "-":
            case "*":
            case "/":
            case "%":
            case "^":
                return Values.arith(op, l, r);
            case "IN":
                return in(l, r);
            case "STARTS WITH":
            case "ENDS WITH":
            case "CONTAINS": {
                if (l == null || r == null) {
                    return null;
                }
                if (!(l instanceof String ls) || !(r instanceof String rs)) {
                    throw Values.typeError("String", l instanceof String ? r : l);
                }
                return op.equals("CONTAINS") ? ls.contains(rs) : op.equals("STARTS WITH") ? ls.startsWith(rs)
                        : ls.endsWith(rs);
            }
            case "=~": {
                if (l == null || r == null) {
                    return null;
                }
                return Pattern.compile(r.toString()).matcher(l.toString()).matches();
            }
            default:
                throw SidecarException.err("Unsupported operator " + op);
        }
    }

    private static void checkBool(Object v) {
        if (v != null && !(v instanceof Boolean)) {
            throw Values.typeError("Boolean", v);
        }
    }

    private static Object in(Object l, Object r) {
        if (r == null) {
            return null;
        }
        if (!(r instanceof List<?> list)) {
            throw Values.typeError("List", r);
        }
        boolean sawNull = false;
        for (Object item : list) {
            Boolean eq = Values.equalsCypher(l, item);
            if (eq == null) {
                sawNull = true;
            } else if (eq) {
                return true;
            }
        }
        return sawNull ? null : false;
    }

    private static Object index(Object target, Object idx, QueryContext ctx) {
        if (target == null || idx == null) {
            return null;
        }
        if (target instanceof List<?> list) {
            if (!(idx instanceof Long l)) {
                throw Values.typeError("Integer", idx);
            }
            long i = l < 0 ? list.size() + l : l;
            return i < 0 || i >= list.size() ? null : list.get((int) i);
        }
        if (idx instanceof String key) {
            return property(target, key, ctx);
        }
        throw Values.typeError("List", target);
    }

    private static Object slice(Slice s, Map<String, Object> row, QueryContext ctx) {
        Object t = eval(s.target(), row, ctx);
        if (t == null) {
            return null;
        }
        if (!(t instanceof List<?> list)) {
            throw Values.typeError("List", t);
        }
        int n = list.size();
        Object fromV = s.from() == null ? Long.valueOf(0) : eval(s.from(), row, ctx);
        Object toV = s.to() == null ? Long.valueOf(n) : eval(s.to(), row, ctx);
        if (fromV == null || toV == null) {
            return null;
        }
        long from = (Long) fromV;
        long to = (Long) toV;
        if (from < 0) {
            from += n;
        }
        if (to < 0) {
            to += n;
        }
        from = Math.max(0, Math.min(n, from));
        to = Math.max(0, Math.min(n, to));
        return from >= to ? new ArrayList<>() : new ArrayList<>(list.subList((int) from, (int) to));
    }

    private static Object caseExpr(Case c, Map<String, Object> row, QueryContext ctx) {
        Object subject = c.subject() == null ? null : eval(c.subject(), row, ctx);
        for (int i = 0; i < c.whens().size(); i++) {
            Object w = eval(c.whens().get(i), row, ctx);
            boolean hit = c.subject() == null ? Values.truthy(w) : Boolean.TRUE.equals(Values.equalsCypher(subject, w));
            if (hit) {
                return eval(c.thens().get(i), row, ctx);
            }
        }
        return c.otherwise() == null ? null : eval(c.otherwise(), row, ctx);
    }

    private static Object listComprehension(ListComp lc, Map<String, Object> row, QueryContext ctx) {
        Object lv = eval(lc.list(), row, ctx);
        if (lv == null) {
            return null;
        }
        if (!(lv instanceof List<?> list)) {
            throw Values.typeError("List", lv);
        }
        Map<String, Object> inner = new HashMap<>(row);
        List<Object> out = new ArrayList<>();
        for (Object item : list) {
            inner.put(lc.var(), item);
            if (lc.where() != null && !Values.truthy(eval(lc.where(), inner, ctx))) {
                continue;
            }
            out.add(lc.map() == null ? item : eval(lc.map(), inner, ctx));
        }
        return out;
    }

    static void collectAggregates(Expr e, List<FuncCall> out) {
        if (e instanceof FuncCall f) {
            if (AGGREGATES.contains(f.name())) {
                out.add(f);
                return;
            }
            f.args().forEach(a -> collectAggregates(a, out));
        } else if (e instanceof Binary b) {
            collectAggregates(b.left(), out);
            collectAggregates(b.right(), out);
        } else if (e instanceof Unary u) {
            collectAggregates(u.operand(), out);
        } else if (e instanceof Prop p) {
            collectAggregates(p.target(), out);
        } else if (e instanceof IsNull n) {
            collectAggregates(n.operand(), out);
        } else if (e instanceof ListLit l) {
            l.items().forEach(a -> collectAggregates(a, out));
        } else if (e instanceof MapLit m) {
            m.values().forEach(a -> collectAggregates(a, out));
        } else if (e instanceof Index ix) {
            collectAggregates(ix.target(), out);
            collectAggregates(ix.index(), out);
        } else if (e instanceof Case c) {
            if (c.subject() != null) {
                collectAggregates(c.subject(), out);
            }
            c.whens().forEach(a -> collectAggregates(a, out));
            c.thens().forEach(a -> collectAggregates(a, out));
            if (c.otherwise() != null) {
                collectAggregates(c.otherwise(), out);
            }
        }
    }
}
