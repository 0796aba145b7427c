package io.valkeysidecar.graph.exec;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.PathValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Scalar and list functions. */
final class Functions {

    /** Every name {@link #call} answers, so unknown functions fail before the query runs. */
    static final java.util.Set<String> NAMES = java.util.Set.of("id", "labels", "type", "properties", "keys",
            "exists", "coalesce", "size", "length", "nodes", "relationships", "startnode", "endnode", "head", "last",
            "tail", "reverse", "range", "tostring", "tointeger", "tofloat", "toboolean", "tolower", "toupper", "trim",
            "ltrim", "rtrim", "left", "right", "substring", "replace", "split", "abs", "ceil", "floor", "round", "sqrt",
            "sign", "log", "exp", "rand", "pi", "timestamp");

    private Functions() {
    }

    static Object call(String name, List<Object> a, QueryContext ctx) {
        switch (name) {
            case "id":
                arity(name, a, 1);
                if (a.get(0) == null) {
                    return null;
                }
                if (a.get(0) instanceof Node n) {
                    return n.id;
                }
                if (a.get(0) instanceof Edge e) {
                    return e.id;
                }
                throw Values.typeError("Node or Edge", a.get(0));
            case "labels": {
                arity(name, a, 1);
                if (a.get(0) == null) {
                    return null;
                }
                Node n = node(a.get(0));
                List<Object> out = new ArrayList<>();
                for (int l : n.labels) {
                    out.add(ctx.graph.labels.name(l));
                }
                return out;
            }
            case "type":
                arity(name, a, 1);
                return a.get(0) == null ? null : ctx.graph.types.name(edge(a.get(0)).type);
            case "properties":
                arity(name, a, 1);
                if (a.get(0) == null) {
                    return null;
                }
                if (a.get(0) instanceof Node n) {
                    return Evaluator.propertiesMap(n.props, ctx);
                }
                if (a.get(0) instanceof Edge e) {
                    return Evaluator.propertiesMap(e.props, ctx);
                }
                if (a.get(0) instanceof Map<?, ?> m) {
                    return m;
                }
                throw Values.typeError("Map, Node or Edge", a.get(0));
            case "keys": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                if (v instanceof Map<?, ?> m) {
                    return new ArrayList<Object>(m.keySet());
                }
                Map<String, Object> props = v instanceof Node n ? Evaluator.propertiesMap(n.props, ctx)
                        : v instanceof Edge e ? Evaluator.propertiesMap(e.props, ctx) : null;
                if (props == null) {
                    throw Values.typeError("Map, Node or Edge", v);
                }
                return new ArrayList<Object>(props.keySet());
            }
            case "exists":
                arity(name, a, 1);
                return a.get(0) != null;
            case "coalesce":
                for (Object v : a) {
                    if (v != null) {
                        return v;
                    }
                }
                return null;
            case "size": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                if (v instanceof List<?> l) {
                    return (long) l.size();
                }
                if (v instanceof String s) {
                    return (long) s.length();
                }
                throw Values.typeError("List or String", v);
            }
            case "length": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                if (v instanceof PathValue p) {
                    return (long) p.edges().size();
                }
                if (v instanceof List<?> l) {
                    return (long) l.size();
                }
                if (v instanceof String s) {
                    return (long) s.length();
                }
                throw Values.typeError("Path", v);
            }
            case "nodes":
                arity(name, a, 1);
                return a.get(0) == null ? null : new ArrayList<Object>(path(a.get(0)).nodes());
            case "relationships":
                arity(name, a, 1);
                return a.get(0) == null ? null : new ArrayList<Object>(path(a.get(0)).edges());
            case "startnode":
                arity(name, a, 1);
                return a.get(0) == null ? null : edge(a.get(0)).src;
            case "endnode":
                arity(name, a, 1);
                return a.get(0) == null ? null : edge(a.get(0)).dst;
            case "head": {
                arity(name, a, 1);
                List<?> l = list(a.get(0));
                return l == null || l.isEmpty() ? null : l.get(0);
            }
            case "last": {
                arity(name, a, 1);
                List<?> l = list(a.get(0));
                return l == null || l.isEmpty() ? null : l.get(l.size() - 1);
            }
            case "tail": {
                arity(name, a, 1);
                List<?> l = list(a.get(0));
                return l == null ? null : l.isEmpty() ? new ArrayList<>() : new ArrayList<Object>(l.subList(1, l.size()));
            }
            case "reverse": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                if (v instanceof String s) {
                    return new StringBuilder(s).reverse().toString();
                }
                List<Object> out = new ArrayList<>(list(v));
                Collections.reverse(out);
                return out;
            }
            case "range": {
                if (a.size() < 2 || a.size() > 3) {
                    throw arityError(name, "2 or 3", a.size());
                }
                long from = integer(a.get(0));
                long to = integer(a.get(1));
                long step = a.size() == 3 ? integer(a.get(2)) : 1;
                if (step == 0) {
                    throw SidecarException.err("ArgumentError: step argument to range() can't be 0");
                }
                List<Object> out = new ArrayList<>();
                for (long i = from; step > 0 ? i <= to : i >= to; i += step) {
                    out.add(i);
                    ctx.tick();
                }
                return out;
            }
            case "tostring":
                arity(name, a, 1);
                return a.get(0) == null ? null : Values.toStringValue(a.get(0));
            case "tointeger": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                if (v instanceof Long) {
                    return v;
                }
                if (v instanceof Double d) {
                    return (long) Math.floor(d);
                }
                if (v instanceof String s) {
                    try {
                        return (long) Math.floor(Double.parseDouble(s.trim()));
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
                throw Values.typeError("String, Integer or Float", v);
            }
            case "tofloat": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                if (v instanceof Number n) {
                    return n.doubleValue();
                }
                if (v instanceof String s) {
                    try {
                        return Double.parseDouble(s.trim());
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
                throw Values.typeError("String, Integer or Float", v);
            }
            case "toboolean": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null || v instanceof Boolean) {
                    return v;
                }
                if (v instanceof String s) {
                    String t = s.trim().toLowerCase(Locale.ROOT);
                    return t.equals("true") ? Boolean.TRUE : t.equals("false") ? Boolean.FALSE : null;
                }
                throw Values.typeError("String or Boolean", v);
            }
            case "tolower":
                arity(name, a, 1);
                return a.get(0) == null ? null : string(a.get(0)).toLowerCase(Locale.ROOT);
            case "toupper":
                arity(name, a, 1);
                return a.get(0) == null ? null : string(a.get(0)).toUpperCase(Locale.ROOT);
            case "trim":
                arity(name, a, 1);
                return a.get(0) == null ? null : string(a.get(0)).strip();
            case "ltrim":
                arity(name, a, 1);
                return a.get(0) == null ? null : string(a.get(0)).stripLeading();
            case "rtrim":
                arity(name, a, 1);
                return a.get(0) == null ? null : string(a.get(0)).stripTrailing();
            case "left": {
                arity(name, a, 2);
                if (a.get(0) == null) {
                    return null;
                }
                String s = string(a.get(0));
                return s.substring(0, (int) Math.min(s.length(), integer(a.get(1))));
            }
            case "right": {
                arity(name, a, 2);
                if (a.get(0) == null) {
                    return null;
                }
                String s = string(a.get(0));
                return s.substring((int) Math.max(0, s.length() - integer(a.get(1))));
            }
            case "substring": {
                if (a.size() < 2 || a.size() > 3) {
                    throw arityError(name, "2 or 3", a.size());
                }
                if (a.get(0) == null) {
                    return null;
                }
                String s = string(a.get(0));
                int start = (int) Math.min(s.length(), integer(a.get(1)));
                int end = a.size() == 3 ? (int) Math.min(s.length(), start + integer(a.get(2))) : s.length();
                return s.substring(start, end);
            }
            case "replace":
                arity(name, a, 3);
                if (a.get(0) == null || a.get(1) == null || a.get(2) == null) {
                    return null;
                }
                return string(a.get(0)).replace(string(a.get(1)), string(a.get(2)));
            case "split": {
                arity(name, a, 2);
                if (a.get(0) == null || a.get(1) == null) {
                    return null;
                }
                String s = string(a.get(0));
                String sep = string(a.get(1));
                List<Object> out = new ArrayList<>();
                if (sep.isEmpty()) {
                    for (char c : s.toCharArray()) {
                        out.add(String.valueOf(c));
                    }
                    return out;
                }
                int from = 0;
                int at;
                while ((at = s.indexOf(sep, from)) >= 0) {
                    out.add(s.substring(from, at));
                    from = at + sep.length();
                }
                out.add(s.substring(from));
                return out;
            }
            case "abs": {
                arity(name, a, 1);
                Object v = a.get(0);
                if (v == null) {
                    return null;
                }
                return v instanceof Long l ? (Object) Math.abs(l) : (Object) Math.abs(number(v));
            }
            case "ceil":
                arity(name, a, 1);
                return a.get(0) == null ? null : Math.ceil(number(a.get(0)));
            case "floor":
                arity(name, a, 1);
                return a.get(0) == null ? null : Math.floor(number(a.get(0)));
            case "round":
                arity(name, a, 1);
                return a.get(0) == null ? null : (double) Math.round(number(a.get(0)));
            case "sqrt":
                arity(name, a, 1);
                return a.get(0) == null ? null : Math.sqrt(number(a.get(0)));
            case "sign":
                arity(name, a, 1);
                return a.get(0) == null ? null : (long) Math.signum(number(a.get(0)));
            case "log":
                arity(name, a, 1);
                return a.get(0) == null ? null : Math.log(number(a.get(0)));
            case "exp":
                arity(name, a, 1);
                return a.get(0) == null ? null : Math.exp(number(a.get(0)));
            case "rand":
                arity(name, a, 0);
                return ThreadLocalRandom.current().nextDouble();
            case "pi":
                arity(name, a, 0);
                return Math.PI;
            case "timestamp":
                arity(name, a, 0);
                return System.currentTimeMillis();
            default:
                throw SidecarException.err("Unknown function '" + name + "'");
        }
    }

    private static void arity(String name, List<Object> a, int n) {
        if (a.size() != n) {
            throw arityError(name, String.valueOf(n), a.size());
        }
    }

    private static SidecarException arityError(String name, String expected, int got) {
        return SidecarException.err("Received " + got + " arguments to function '" + name + "', expected " + expected);
    }

    private static Node node(Object v) {
        if (v instanceof Node n) {
            return n;
        }
        throw Values.typeError("Node", v);
    }

    private static Edge edge(Object v) {
        if (v instanceof Edge e) {
            return e;
        }
        throw Values.typeError("Edge", v);
    }

    private static PathValue path(Object v) {
        if (v instanceof PathValue p) {
            return p;
        }
        throw Values.typeError("Path", v);
    }

    private static List<?> list(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            return l;
        }
        throw Values.typeError("List", v);
    }

    private static String string(Object v) {
        if (v instanceof String s) {
            return s;
        }
        throw Values.typeError("String", v);
    }

    private static long integer(Object v) {
        if (v instanceof Long l) {
            return l;
        }
        throw Values.typeError("Integer", v);
    }

    private static double number(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw Values.typeError("Integer or Float", v);
    }
}
