package io.valkeysidecar.graph.cypher;

import java.util.List;

/** The syntax tree of the supported Cypher subset, as produced by {@link Parser}. */
public final class Ast {

    private Ast() {
    }

    // ---------------------------------------------------------------- expressions

    public interface Expr {
    }

    public record Literal(Object value) implements Expr {
    }

    public record Param(String name) implements Expr {
    }

    public record Var(String name) implements Expr {
    }

    public record Prop(Expr target, String key) implements Expr {
    }

    public record MapLit(List<String> keys, List<Expr> values) implements Expr {
    }

    /**
     * {@code n {.name, .*, key: expr, other}}: a map built from an entity or map; a null value in {@code values}
     * means "the property of that name", {@code allProperties} is {@code .*}.
     */
    public record MapProjection(Expr base, List<String> keys, List<Expr> values, boolean allProperties)
            implements Expr {
    }

    public record ListLit(List<Expr> items) implements Expr {
    }

    public record Index(Expr target, Expr index) implements Expr {
    }

    public record Slice(Expr target, Expr from, Expr to) implements Expr {
    }

    /** A function call; {@code name} is lower case; {@code star} marks {@code count(*)}. */
    public record FuncCall(String name, boolean distinct, List<Expr> args, boolean star) implements Expr {
    }

    public record Binary(String op, Expr left, Expr right) implements Expr {
    }

    public record Unary(String op, Expr operand) implements Expr {
    }

    public record IsNull(Expr operand, boolean negated) implements Expr {
    }

    public record LabelCheck(Expr operand, List<String> labels) implements Expr {
    }

    /** CASE; {@code subject} is null for the generic form. */
    public record Case(Expr subject, List<Expr> whens, List<Expr> thens, Expr otherwise) implements Expr {
    }

    public record ListComp(String var, Expr list, Expr where, Expr map) implements Expr {
    }

    /** A pattern used as a predicate, e.g. {@code WHERE (a)-[:KNOWS]->(b)}: true when it has a match. */
    public record PatternPredicate(PathPat pattern) implements Expr {
    }

    // ---------------------------------------------------------------- patterns

    public enum Dir { OUT, IN, BOTH }

    public record NodePat(String var, List<String> labels, Expr props) {
    }

    /** {@code maxHops} is -1 for unbounded; a fixed-length relationship has {@code varLength == false}. */
    public record RelPat(String var, List<String> types, Expr props, Dir dir, boolean varLength, int minHops,
                         int maxHops) {
    }

    /** {@code shortest} is null, "shortestpath" or "allshortestpaths". */
    public record PathPat(String pathVar, List<NodePat> nodes, List<RelPat> rels, String shortest) {
    }

    // ---------------------------------------------------------------- clauses

    public interface Clause {
    }

    public record Match(boolean optional, List<PathPat> patterns, Expr where) implements Clause {
    }

    public record Create(List<PathPat> patterns) implements Clause {
    }

    public record Merge(PathPat pattern, List<SetItem> onCreate, List<SetItem> onMatch) implements Clause {
    }

    public enum SetKind { PROPERTY, REPLACE, MERGE_MAP, LABELS }

    /** {@code target} is a {@link Prop} for PROPERTY, else a variable name in {@code var}. */
    public record SetItem(SetKind kind, Expr target, String var, Expr value, List<String> labels) {
    }

    public record SetClause(List<SetItem> items) implements Clause {
    }

    /** Either a property ({@code prop} non-null) or labels of {@code var}. */
    public record RemoveItem(Prop prop, String var, List<String> labels) {
    }

    public record Remove(List<RemoveItem> items) implements Clause {
    }

    public record Delete(boolean detach, List<Expr> targets) implements Clause {
    }

    public record Unwind(Expr list, String var) implements Clause {
    }

    public record ProjItem(Expr expr, String name) {
    }

    public record SortItem(Expr expr, boolean descending) {
    }

    public record Projection(boolean distinct, boolean star, List<ProjItem> items, List<SortItem> orderBy,
                             Expr skip, Expr limit) {
    }

    public record With(Projection projection, Expr where) implements Clause {
    }

    public record Return(Projection projection) implements Clause {
    }

    public record YieldItem(String field, String alias) {
    }

    public record Call(String procedure, List<Expr> args, List<YieldItem> yields, Expr where) implements Clause {
    }

    public record CreateIndex(String label, List<String> properties, boolean relationship) implements Clause {
    }

    public record DropIndex(String label, List<String> properties, boolean relationship) implements Clause {
    }

    // ---------------------------------------------------------------- queries

    public record SingleQuery(List<Clause> clauses) {
    }

    /** One or more single queries joined by UNION ({@code unionAll} tells which flavour). */
    public record Query(List<SingleQuery> parts, boolean unionAll) {
    }
}
