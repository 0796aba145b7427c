package io.valkeysidecar.graph.cypher;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.graph.cypher.Ast.*;
import io.valkeysidecar.graph.cypher.Lexer.Token;
import io.valkeysidecar.graph.cypher.Lexer.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hand-written recursive-descent parser for the supported Cypher subset. No parser library on Maven Central fits a
 * small Java 17 proxy (the openCypher front end is Scala, libcypher-parser is C), and a hand-written parser gives
 * RedisGraph-style error messages with exact positions.
 */
public final class Parser {

    private static final java.util.Set<String> UNSUPPORTED = java.util.Set.of(
            "FOREACH", "LOAD", "USING", "START", "CONSTRAINT");

    private final String src;
    private final Lexer.Stream toks;
    private int p;

    private Parser(String src) {
        this.src = src;
        this.toks = new Lexer.Stream(src);
    }

    /** Parses a whole query (without the CYPHER parameter prefix). */
    public static Query parse(String query) {
        return new Parser(query).query();
    }

    /** The result of splitting {@code CYPHER a=1 b='x' MATCH ...} into parameters and the query text. */
    public record Prefixed(Map<String, Object> params, String query) {
    }

    /** Splits off the {@code CYPHER name=value ...} parameter prefix that RedisGraph clients prepend. */
    public static Prefixed splitParams(String text) {
        Parser ps = new Parser(text);
        Map<String, Object> params = new LinkedHashMap<>();
        if (!ps.peek().is("CYPHER")) {
            return new Prefixed(params, text);
        }
        ps.p++;
        while (ps.peek().type == Type.IDENT || ps.peek().type == Type.QUOTED_IDENT) {
            if (!ps.peekAt(1).is("=")) {
                break;
            }
            String name = ps.next().text;
            ps.p++;
            Expr value = ps.expr();
            params.put(name, ConstantEvaluator.evaluate(value, ps));
        }
        return new Prefixed(params, text.substring(ps.peek().start));
    }

    // ---------------------------------------------------------------- errors

    static SidecarException error(String src, int offset, String message) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < offset && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return SidecarException.err(message + " line: " + line + ", column: " + col + ", offset: " + offset);
    }

    SidecarException errorAt(Token t, String expected) {
        String found = t.type == Type.EOF ? "end of input" : "'" + t.text + "'";
        return error(src, t.start, "Invalid input " + found + ": expected " + expected);
    }

    // ---------------------------------------------------------------- token helpers

    private Token peek() {
        return toks.get(p);
    }

    private Token peekAt(int k) {
        return toks.get(p + k);
    }

    private Token next() {
        return toks.get(p++);
    }

    private boolean accept(String s) {
        if (peek().is(s)) {
            p++;
            return true;
        }
        return false;
    }

    private Token expect(String s) {
        if (!peek().is(s)) {
            throw errorAt(peek(), "'" + s + "'");
        }
        return next();
    }

    private String name(String what) {
        Token t = peek();
        if (t.type == Type.IDENT || t.type == Type.QUOTED_IDENT) {
            p++;
            return t.text;
        }
        throw errorAt(t, what);
    }

    private boolean isName() {
        return peek().type == Type.IDENT || peek().type == Type.QUOTED_IDENT;
    }

    // ---------------------------------------------------------------- query and clauses

    private Query query() {
        List<SingleQuery> parts = new ArrayList<>();
        Boolean all = null;
        parts.add(singleQuery());
        while (accept("UNION")) {
            boolean thisAll = accept("ALL");
            if (all != null && all != thisAll) {
                throw error(src, peek().start, "Invalid combination of UNION and UNION ALL.");
            }
            all = thisAll;
            parts.add(singleQuery());
        }
        accept(";");
        if (peek().type != Type.EOF) {
            throw errorAt(peek(), "a clause or end of input");
        }
        return new Query(parts, all != null && all);
    }

    private SingleQuery singleQuery() {
        List<Clause> clauses = new ArrayList<>();
        while (peek().type != Type.EOF && !peek().is("UNION") && !peek().is(";")) {
            clauses.add(clause());
        }
        if (clauses.isEmpty()) {
            throw errorAt(peek(), "a clause");
        }
        return new SingleQuery(clauses);
    }

    private Clause clause() {
        Token t = peek();
        if (t.type != Type.IDENT) {
            throw errorAt(t, "a clause (MATCH, CREATE, MERGE, RETURN, ...)");
        }
        String kw = t.text.toUpperCase(Locale.ROOT);
        switch (kw) {
            case "MATCH":
                p++;
                return match(false);
            case "OPTIONAL":
                p++;
                expect("MATCH");
                return match(true);
            case "CREATE":
                p++;
                if (peek().is("INDEX")) {
                    p++;
                    return indexSpec();
                }
                return new Create(patternList());
            case "DROP":
                p++;
                expect("INDEX");
                CreateIndex ci = indexSpec();
                return new DropIndex(ci.label(), ci.properties(), ci.relationship());
            case "MERGE":
                p++;
                return merge();
            case "SET":
                p++;
                return new SetClause(setItems());
            case "REMOVE":
                p++;
                return remove();
            case "DETACH":
                p++;
                expect("DELETE");
                return new Delete(true, exprList());
            case "DELETE":
                p++;
                return new Delete(false, exprList());
            case "UNWIND": {
                p++;
                Expr e = expr();
                expect("AS");
                return new Unwind(e, name("a variable name"));
            }
            case "WITH": {
                p++;
                Projection proj = projection();
                Expr where = accept("WHERE") ? expr() : null;
                return new With(proj, where);
            }
            case "RETURN":
                p++;
                return new Return(projection());
            case "CALL":
                p++;
                return call();
            default:
                if (UNSUPPORTED.contains(kw)) {
                    throw error(src, t.start, "The " + kw + " clause is not supported by valkey-sidecar graph");
                }
                throw errorAt(t, "a clause (MATCH, CREATE, MERGE, RETURN, ...)");
        }
    }

    private Match match(boolean optional) {
        List<PathPat> patterns = patternList();
        Expr where = accept("WHERE") ? expr() : null;
        return new Match(optional, patterns, where);
    }

    /** {@code ON :L(p, ...)} (RedisGraph 2.x) or {@code FOR (n:L) ON (n.p, ...)} / {@code FOR ()-[r:T]-() ON (r.p)}. */
    private CreateIndex indexSpec() {
        if (accept("ON")) {
            expect(":");
            String label = name("a label");
            expect("(");
            List<String> props = new ArrayList<>();
            do {
                props.add(name("a property name"));
            } while (accept(","));
            expect(")");
            return new CreateIndex(label, props, false);
        }
        expect("FOR");
        PathPat pat = pathPattern(null);
        boolean rel = !pat.rels().isEmpty();
        String label;
        String var;
        if (rel) {
            RelPat r = pat.rels().get(0);
            if (r.types().size() != 1) {
                throw errorAt(peek(), "exactly one relationship type in the index pattern");
            }
            label = r.types().get(0);
            var = r.var();
        } else {
            NodePat n = pat.nodes().get(0);
            if (n.labels().size() != 1) {
                throw errorAt(peek(), "exactly one label in the index pattern");
            }
            label = n.labels().get(0);
            var = n.var();
        }
        expect("ON");
        expect("(");
        List<String> props = new ArrayList<>();
        do {
            Token vt = peek();
            String v = name("a variable");
            if (!v.equals(var)) {
                throw error(src, vt.start, "Unknown variable '" + v + "' in index definition");
            }
            expect(".");
            props.add(name("a property name"));
        } while (accept(","));
        expect(")");
        return new CreateIndex(label, props, rel);
    }

    private Merge merge() {
        PathPat pattern = pattern();
        List<SetItem> onCreate = new ArrayList<>();
        List<SetItem> onMatch = new ArrayList<>();
        while (peek().is("ON")) {
            p++;
            if (accept("CREATE")) {
                expect("SET");
                onCreate.addAll(setItems());
            } else if (accept("MATCH")) {
                expect("SET");
                onMatch.addAll(setItems());
            } else {
                throw errorAt(peek(), "CREATE or MATCH");
            }
        }
        return new Merge(pattern, onCreate, onMatch);
    }

    private List<SetItem> setItems() {
        List<SetItem> items = new ArrayList<>();
        do {
            String var = name("a variable");
            if (peek().is(":")) {
                items.add(new SetItem(SetKind.LABELS, null, var, null, labels()));
            } else if (accept("=")) {
                items.add(new SetItem(SetKind.REPLACE, null, var, expr(), null));
            } else if (accept("+=")) {
                items.add(new SetItem(SetKind.MERGE_MAP, null, var, expr(), null));
            } else {
                Expr target = new Var(var);
                expect(".");
                target = new Prop(target, name("a property name"));
                while (accept(".")) {
                    target = new Prop(target, name("a property name"));
                }
                expect("=");
                items.add(new SetItem(SetKind.PROPERTY, target, var, expr(), null));
            }
        } while (accept(","));
        return items;
    }

    private Remove remove() {
        List<RemoveItem> items = new ArrayList<>();
        do {
            String var = name("a variable");
            if (peek().is(":")) {
                items.add(new RemoveItem(null, var, labels()));
            } else {
                expect(".");
                items.add(new RemoveItem(new Prop(new Var(var), name("a property name")), var, null));
            }
        } while (accept(","));
        return new Remove(items);
    }

    private List<String> labels() {
        List<String> labels = new ArrayList<>();
        while (accept(":")) {
            labels.add(name("a label"));
        }
        return labels;
    }

    private Call call() {
        StringBuilder proc = new StringBuilder(name("a procedure name"));
        while (accept(".")) {
            proc.append('.').append(name("a procedure name"));
        }
        List<Expr> args = new ArrayList<>();
        expect("(");
        if (!peek().is(")")) {
            args = exprList();
        }
        expect(")");
        List<YieldItem> yields = new ArrayList<>();
        Expr where = null;
        if (accept("YIELD")) {
            do {
                String field = name("a field name");
                String alias = accept("AS") ? name("an alias") : field;
                yields.add(new YieldItem(field, alias));
            } while (accept(","));
            if (accept("WHERE")) {
                where = expr();
            }
        }
        return new Call(proc.toString(), args, yields, where);
    }

    private Projection projection() {
        boolean distinct = accept("DISTINCT");
        boolean star = false;
        List<ProjItem> items = new ArrayList<>();
        if (accept("*")) {
            star = true;
            if (accept(",")) {
                items = projItems();
            }
        } else {
            items = projItems();
        }
        List<SortItem> order = new ArrayList<>();
        if (accept("ORDER")) {
            expect("BY");
            do {
                Expr e = expr();
                boolean desc = false;
                if (accept("DESC") || accept("DESCENDING")) {
                    desc = true;
                } else if (!accept("ASC")) {
                    accept("ASCENDING");
                }
                order.add(new SortItem(e, desc));
            } while (accept(","));
        }
        Expr skip = accept("SKIP") ? expr() : null;
        Expr limit = accept("LIMIT") ? expr() : null;
        return new Projection(distinct, star, items, order, skip, limit);
    }

    private List<ProjItem> projItems() {
        List<ProjItem> items = new ArrayList<>();
        do {
            int start = peek().start;
            Expr e = expr();
            int end = toks.get(p - 1).end;
            String nameText = accept("AS") ? name("an alias") : src.substring(start, end);
            items.add(new ProjItem(e, nameText));
        } while (accept(","));
        return items;
    }

    private List<Expr> exprList() {
        List<Expr> list = new ArrayList<>();
        do {
            list.add(expr());
        } while (accept(","));
        return list;
    }

    // ---------------------------------------------------------------- patterns

    private List<PathPat> patternList() {
        List<PathPat> list = new ArrayList<>();
        do {
            list.add(pattern());
        } while (accept(","));
        return list;
    }

    private PathPat pattern() {
        String pathVar = null;
        if (isName() && peekAt(1).is("=")) {
            pathVar = next().text;
            p++;
        }
        if (isName() && (peek().text.equalsIgnoreCase("shortestPath") || peek().text.equalsIgnoreCase("allShortestPaths"))
                && peekAt(1).is("(")) {
            String kind = next().text.toLowerCase(Locale.ROOT);
            expect("(");
            PathPat inner = pathPattern(pathVar);
            expect(")");
            if (inner.rels().size() != 1) {
                throw errorAt(peek(), "a single relationship inside " + kind);
            }
            return new PathPat(pathVar, inner.nodes(), inner.rels(), kind);
        }
        return pathPattern(pathVar);
    }

    private PathPat pathPattern(String pathVar) {
        List<NodePat> nodes = new ArrayList<>();
        List<RelPat> rels = new ArrayList<>();
        nodes.add(nodePattern());
        while (peek().is("-") || peek().is("<")) {
            rels.add(relPattern());
            nodes.add(nodePattern());
        }
        return new PathPat(pathVar, nodes, rels, null);
    }

    private NodePat nodePattern() {
        expect("(");
        String var = isName() ? next().text : null;
        List<String> labels = labels();
        Expr props = null;
        if (peek().is("{")) {
            props = mapLiteral();
        } else if (peek().type == Type.PARAM) {
            props = new Param(next().text);
        }
        expect(")");
        return new NodePat(var, labels, props);
    }

    private RelPat relPattern() {
        boolean left = accept("<");
        expect("-");
        String var = null;
        List<String> types = new ArrayList<>();
        Expr props = null;
        boolean varLength = false;
        int min = 1;
        int max = 1;
        if (accept("[")) {
            if (isName()) {
                var = next().text;
            }
            if (accept(":")) {
                types.add(name("a relationship type"));
                while (accept("|")) {
                    accept(":");
                    types.add(name("a relationship type"));
                }
            }
            if (accept("*")) {
                varLength = true;
                min = 1;
                max = -1;
                if (peek().type == Type.INTEGER) {
                    min = ((Long) next().value).intValue();
                    max = min;
                }
                if (accept("..")) {
                    max = peek().type == Type.INTEGER ? ((Long) next().value).intValue() : -1;
                }
            }
            if (peek().is("{")) {
                props = mapLiteral();
            } else if (peek().type == Type.PARAM) {
                props = new Param(next().text);
            }
            expect("]");
        }
        expect("-");
        boolean right = accept(">");
        if (left && right) {
            throw errorAt(toks.get(p - 1), "a relationship with at most one direction");
        }
        Dir dir = left ? Dir.IN : right ? Dir.OUT : Dir.BOTH;
        return new RelPat(var, types, props, dir, varLength, min, max);
    }

    // ---------------------------------------------------------------- expressions

    Expr expr() {
        return or();
    }

    private Expr or() {
        Expr l = xor();
        while (accept("OR")) {
            l = new Binary("OR", l, xor());
        }
        return l;
    }

    private Expr xor() {
        Expr l = and();
        while (accept("XOR")) {
            l = new Binary("XOR", l, and());
        }
        return l;
    }

    private Expr and() {
        Expr l = not();
        while (accept("AND")) {
            l = new Binary("AND", l, not());
        }
        return l;
    }

    private Expr not() {
        if (accept("NOT")) {
            return new Unary("NOT", not());
        }
        return comparison();
    }

    private Expr comparison() {
        Expr l = predicate();
        while (true) {
            Token t = peek();
            if (t.type == Type.SYMBOL && (t.text.equals("=") || t.text.equals("<>") || t.text.equals("<")
                    || t.text.equals(">") || t.text.equals("<=") || t.text.equals(">=") || t.text.equals("=~"))) {
                p++;
                l = new Binary(t.text, l, predicate());
            } else {
                return l;
            }
        }
    }

    private Expr predicate() {
        Expr l = additive();
        while (true) {
            if (accept("IN")) {
                l = new Binary("IN", l, additive());
            } else if (peek().is("STARTS") && peekAt(1).is("WITH")) {
                p += 2;
                l = new Binary("STARTS WITH", l, additive());
            } else if (peek().is("ENDS") && peekAt(1).is("WITH")) {
                p += 2;
                l = new Binary("ENDS WITH", l, additive());
            } else if (accept("CONTAINS")) {
                l = new Binary("CONTAINS", l, additive());
            } else if (peek().is("IS")) {
                p++;
                boolean neg = accept("NOT");
                expect("NULL");
                l = new IsNull(l, neg);
            } else {
                return l;
            }
        }
    }

    private Expr additive() {
        Expr l = multiplicative();
        while (peek().is("+") || peek().is("-")) {
            String op = next().text;
            l = new Binary(op, l, multiplicative());
        }
        return l;
    }

    private Expr multiplicative() {
        Expr l = power();
        while (peek().is("*") || peek().is("/") || peek().is("%")) {
            String op = next().text;
            l = new Binary(op, l, power());
        }
        return l;
    }

    private Expr power() {
        Expr l = unary();
        while (accept("^")) {
            l = new Binary("^", l, unary());
        }
        return l;
    }

    private Expr unary() {
        if (accept("-")) {
            Expr e = unary();
            if (e instanceof Literal lit && lit.value() instanceof Long v) {
                return new Literal(-v);
            }
            if (e instanceof Literal lit && lit.value() instanceof Double v) {
                return new Literal(-v);
            }
            return new Unary("-", e);
        }
        if (accept("+")) {
            return unary();
        }
        return postfix();
    }

    private Expr postfix() {
        Expr e = atom();
        while (true) {
            if (peek().is(".") && (peekAt(1).type == Type.IDENT || peekAt(1).type == Type.QUOTED_IDENT)) {
                p++;
                e = new Prop(e, next().text);
            } else if (peek().is("[")) {
                p++;
                Expr from = peek().is("..") ? null : expr();
                if (accept("..")) {
                    Expr to = peek().is("]") ? null : expr();
                    expect("]");
                    e = new Slice(e, from, to);
                } else {
                    expect("]");
                    e = new Index(e, from);
                }
            } else if (peek().is("{") && e instanceof Var) {
                e = mapProjection(e);
            } else if (peek().is(":") && e instanceof Var) {
                e = new LabelCheck(e, labels());
            } else {
                return e;
            }
        }
    }

    private Expr mapProjection(Expr base) {
        expect("{");
        List<String> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        boolean all = false;
        if (!peek().is("}")) {
            do {
                if (accept(".")) {
                    if (accept("*")) {
                        all = true;
                    } else {
                        keys.add(name("a property name"));
                        values.add(null);
                    }
                } else {
                    String key = name("a map projection item");
                    keys.add(key);
                    values.add(accept(":") ? expr() : new Var(key));
                }
            } while (accept(","));
        }
        expect("}");
        return new MapProjection(base, keys, values, all);
    }

    private Expr atom() {
        Token t = peek();
        switch (t.type) {
            case INTEGER:
            case FLOAT:
            case STRING:
                p++;
                return new Literal(t.value);
            case PARAM:
                p++;
                return new Param(t.text);
            case QUOTED_IDENT:
                p++;
                return new Var(t.text);
            case SYMBOL:
                if (t.is("(")) {
                    return parenthesisOrPattern();
                }
                if (t.is("[")) {
                    return listOrComprehension();
                }
                if (t.is("{")) {
                    return mapLiteral();
                }
                throw errorAt(t, "an expression");
            case IDENT:
                return identAtom(t);
            default:
                throw errorAt(t, "an expression");
        }
    }

    private Expr identAtom(Token t) {
        String upper = t.text.toUpperCase(Locale.ROOT);
        switch (upper) {
            case "TRUE":
                p++;
                return new Literal(Boolean.TRUE);
            case "FALSE":
                p++;
                return new Literal(Boolean.FALSE);
            case "NULL":
                p++;
                return new Literal(null);
            case "CASE":
                p++;
                return caseExpr();
            default:
                break;
        }
        if (peekAt(1).is("(") || (peekAt(1).is(".") && isDottedCall())) {
            return functionCall();
        }
        p++;
        return new Var(t.text);
    }

    /** Whether {@code a.b.c(} starts here (a namespaced function such as {@code toLower} spelled with a prefix). */
    private boolean isDottedCall() {
        int k = p;
        while (toks.get(k).type == Type.IDENT && toks.get(k + 1).is(".")) {
            k += 2;
        }
        return toks.get(k).type == Type.IDENT && toks.get(k + 1).is("(");
    }

    private Expr functionCall() {
        StringBuilder fname = new StringBuilder(next().text);
        while (accept(".")) {
            fname.append('.').append(name("a function name"));
        }
        expect("(");
        String lname = fname.toString().toLowerCase(Locale.ROOT);
        if (lname.equals("count") && accept("*")) {
            expect(")");
            return new FuncCall("count", false, List.of(), true);
        }
        boolean distinct = accept("DISTINCT");
        List<Expr> args = new ArrayList<>();
        if (!peek().is(")")) {
            args = exprList();
        }
        expect(")");
        return new FuncCall(lname, distinct, args, false);
    }

    private Expr caseExpr() {
        Expr subject = peek().is("WHEN") ? null : expr();
        List<Expr> whens = new ArrayList<>();
        List<Expr> thens = new ArrayList<>();
        while (accept("WHEN")) {
            whens.add(expr());
            expect("THEN");
            thens.add(expr());
        }
        if (whens.isEmpty()) {
            throw errorAt(peek(), "WHEN");
        }
        Expr otherwise = accept("ELSE") ? expr() : null;
        expect("END");
        return new Case(subject, whens, thens, otherwise);
    }

    private Expr parenthesisOrPattern() {
        int save = p;
        try {
            PathPat pat = pathPattern(null);
            if (!pat.rels().isEmpty()) {
                return new PatternPredicate(pat);
            }
        } catch (SidecarException notAPattern) {
            // fall through: it is a parenthesised expression
        }
        p = save;
        expect("(");
        Expr e = expr();
        expect(")");
        return e;
    }

    private Expr listOrComprehension() {
        expect("[");
        if (isName() && peekAt(1).is("IN")) {
            String var = next().text;
            p++;
            Expr list = expr();
            Expr where = accept("WHERE") ? expr() : null;
            Expr map = accept("|") ? expr() : null;
            expect("]");
            return new ListComp(var, list, where, map);
        }
        List<Expr> items = new ArrayList<>();
        if (!peek().is("]")) {
            items = exprList();
        }
        expect("]");
        return new ListLit(items);
    }

    private MapLit mapLiteral() {
        expect("{");
        List<String> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        if (!peek().is("}")) {
            do {
                Token k = peek();
                if (k.type == Type.STRING) {
                    p++;
                    keys.add((String) k.value);
                } else {
                    keys.add(name("a property name"));
                }
                expect(":");
                values.add(expr());
            } while (accept(","));
        }
        expect("}");
        return new MapLit(keys, values);
    }

    /** Evaluates parameter values, which must be constant (literals, lists, maps). */
    static final class ConstantEvaluator {
        private ConstantEvaluator() {
        }

        static Object evaluate(Expr e, Parser ps) {
            if (e instanceof Literal l) {
                return l.value();
            }
            if (e instanceof ListLit l) {
                List<Object> out = new ArrayList<>();
                for (Expr item : l.items()) {
                    out.add(evaluate(item, ps));
                }
                return out;
            }
            if (e instanceof MapLit m) {
                Map<String, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < m.keys().size(); i++) {
                    out.put(m.keys().get(i), evaluate(m.values().get(i), ps));
                }
                return out;
            }
            if (e instanceof Unary u && u.operand() instanceof Literal) {
                Object v = evaluate(u.operand(), ps);
                if (v instanceof Long l) {
                    return -l;
                }
                if (v instanceof Double d) {
                    return -d;
                }
            }
            throw ps.errorAt(ps.toks.get(Math.max(0, ps.p - 1)), "a constant parameter value");
        }
    }
}
