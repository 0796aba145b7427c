package io.valkeysidecar.graph.exec;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.model.Edge;
import io.valkeysidecar.graph.model.Node;
import io.valkeysidecar.graph.model.PathValue;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Cypher value semantics: equality with three-valued logic, ordering, arithmetic and printing. */
public final class Values {

    private Values() {
    }

    public static String typeName(Object v) {
        if (v == null) {
            return "Null";
        } else if (v instanceof Long) {
            return "Integer";
        } else if (v instanceof Double) {
            return "Float";
        } else if (v instanceof String) {
            return "String";
        } else if (v instanceof Boolean) {
            return "Boolean";
        } else if (v instanceof List) {
            return "List";
        } else if (v instanceof Map) {
            return "Map";
        } else if (v instanceof Node) {
            return "Node";
        } else if (v instanceof Edge) {
            return "Edge";
        } else if (v instanceof PathValue) {
            return "Path";
        }
        return v.getClass().getSimpleName();
    }

    public static SidecarException typeError(String expected, Object got) {
        return SidecarException.err("Type mismatch: expected " + expected + " but was " + typeName(got));
    }

    /** Cypher equality: null when either side is null, else true/false. */
    public static Boolean equalsCypher(Object a, Object b) {
        if (a == null || b == null) {
            return null;
        }
        if (a instanceof Number x && b instanceof Number y) {
            if (a instanceof Long && b instanceof Long) {
                return x.longValue() == y.longValue();
            }
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return false;
            }
            boolean sawNull = false;
            for (int i = 0; i < la.size(); i++) {
                Boolean e = equalsCypher(la.get(i), lb.get(i));
                if (e == null) {
                    sawNull = true;
                } else if (!e) {
                    return false;
                }
            }
            return sawNull ? null : true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (!ma.keySet().equals(mb.keySet())) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                Boolean eq = equalsCypher(e.getValue(), mb.get(e.getKey()));
                if (eq == null || !eq) {
                    return eq;
                }
            }
            return true;
        }
        if (a instanceof Node || a instanceof Edge) {
            return a == b;
        }
        return a.equals(b);
    }

    /** Comparison for {@code < > <= >=}: null when the values are not comparable. */
    public static Integer compareCypher(Object a, Object b) {
        if (a == null || b == null) {
            return null;
        }
        if (a instanceof Number x && b instanceof Number y) {
            if (a instanceof Long && b instanceof Long) {
                return Long.compare(x.longValue(), y.longValue());
            }
            double dx = x.doubleValue();
            double dy = y.doubleValue();
            if (Double.isNaN(dx) || Double.isNaN(dy)) {
                return null;
            }
            return Double.compare(dx, dy);
        }
        if (a instanceof String x && b instanceof String y) {
            return Integer.signum(x.compareTo(y));
        }
        if (a instanceof Boolean x && b instanceof Boolean y) {
            return Boolean.compare(x, y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                Integer c = compareCypher(x.get(i), y.get(i));
                if (c == null || c != 0) {
                    return c;
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        return null;
    }

    private static int typeRank(Object v) {
        if (v instanceof Map) {
            return 0;
        } else if (v instanceof Node) {
            return 1;
        } else if (v instanceof Edge) {
            return 2;
        } else if (v instanceof List) {
            return 3;
        } else if (v instanceof PathValue) {
            return 4;
        } else if (v instanceof String) {
            return 5;
        } else if (v instanceof Boolean) {
            return 6;
        } else if (v instanceof Number) {
            return 7;
        }
        return 8; // null sorts last ascending
    }

    /** The total order used by ORDER BY, min() and max(). */
    public static int orderCompare(Object a, Object b) {
        int ra = typeRank(a);
        int rb = typeRank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        if (a == null) {
            return 0;
        }
        if (a instanceof Node x) {
            return Long.compare(x.id, ((Node) b).id);
        }
        if (a instanceof Edge x) {
            return Long.compare(x.id, ((Edge) b).id);
        }
        if (a instanceof List<?> x) {
            List<?> y = (List<?>) b;
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                int c = orderCompare(x.get(i), y.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Number x) {
            Number y = (Number) b;
            if (a instanceof Long && b instanceof Long) {
                return Long.compare(x.longValue(), y.longValue());
            }
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        Integer c = compareCypher(a, b);
        return c == null ? 0 : c;
    }

    public static boolean truthy(Object v) {
        return v instanceof Boolean b && b;
    }

    // ------------------------------------------------------------------ arithmetic

    public static Object add(Object a, Object b) {
        if (a == null || b == null) {
            return null;
        }
        if (a instanceof List<?> la) {
            List<Object> out = new ArrayList<>(la);
            if (b instanceof List<?> lb) {
                out.addAll(lb);
            } else {
                out.add(b);
            }
            return out;
        }
        if (b instanceof List<?> lb) {
            List<Object> out = new ArrayList<>();
            out.add(a);
            out.addAll(lb);
            return out;
        }
        if (a instanceof String || b instanceof String) {
            return toStringValue(a) + toStringValue(b);
        }
        if (a instanceof Long x && b instanceof Long y) {
            return x + y;
        }
        return num(a, "+") + num(b, "+");
    }

    public static Object arith(String op, Object a, Object b) {
        if (a == null || b == null) {
            return null;
        }
        if (op.equals("^")) {
            return Math.pow(num(a, op), num(b, op));
        }
        if (a instanceof Long x && b instanceof Long y) {
            switch (op) {
                case "-":
                    return x - y;
                case "*":
                    return x * y;
                case "/":
                    if (y == 0) {
                        throw SidecarException.err("Division by zero");
                    }
                    return x / y;
                default:
                    if (y == 0) {
                        throw SidecarException.err("Division by zero");
                    }
                    return x % y;
            }
        }
        double x = num(a, op);
        double y = num(b, op);
        switch (op) {
            case "-":
                return x - y;
            case "*":
                return x * y;
            case "/":
                return x / y;
            default:
                return x % y;
        }
    }

    private static double num(Object v, String op) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw SidecarException.err("Type mismatch: expected Integer, Float, or Null but was " + typeName(v)
                + " (operator " + op + ")");
    }

    // ------------------------------------------------------------------ printing

    /** toString() semantics: how a value is rendered into a string. */
    public static String toStringValue(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Double d) {
            return formatDouble(d);
        }
        return printNested(v);
    }

    /** RedisGraph's {@code %.15g}: 15 significant digits, trailing zeros trimmed. */
    public static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0" : "0";
        }
        BigDecimal bd = new BigDecimal(d).round(new MathContext(15));
        int exp = bd.precision() - bd.scale() - 1;
        if (exp < -4 || exp >= 15) {
            BigDecimal mant = bd.movePointLeft(exp).stripTrailingZeros();
            String m = mant.toPlainString();
            return m + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        String s = bd.stripTrailingZeros().toPlainString();
        return s;
    }

    /** The text RedisGraph prints for values nested in lists, maps and paths in verbose replies. */
    public static String printNested(Object v) {
        StringBuilder sb = new StringBuilder();
        printNested(v, sb);
        return sb.toString();
    }

    private static void printNested(Object v, StringBuilder sb) {
        if (v == null) {
            sb.append("NULL");
        } else if (v instanceof String s) {
            sb.append(s); // SIValue_ToString prints strings bare inside lists
        } else if (v instanceof Double d) {
            sb.append(String.format(java.util.Locale.ROOT, "%f", d));
        } else if (v instanceof Long || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Node n) {
            sb.append('(').append(n.id).append(')');
        } else if (v instanceof Edge e) {
            sb.append('[').append(e.id).append(']');
        } else if (v instanceof List<?> list) {
            sb.append('[');
            Iterator<?> it = list.iterator();
            while (it.hasNext()) {
                printNested(it.next(), sb);
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> map) {
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                sb.append(e.getKey()).append(": ");
                printNested(e.getValue(), sb);
                if (it.hasNext()) {
                    sb.append(", ");
                }
            }
            sb.append('}');
        } else if (v instanceof PathValue p) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < p.nodes().size(); i++) {
                items.add(p.nodes().get(i));
                if (i < p.edges().size()) {
                    items.add(p.edges().get(i));
                }
            }
            printNested(items, sb);
        } else {
            sb.append(Objects.toString(v));
        }
    }

    /** A key for DISTINCT/grouping: equal Cypher values give equal keys (1 and 1.0 included). */
    public static Object groupKey(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            return d.longValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(groupKey(o));
            }
            return out;
        }
        return v;
    }
}
