package io.valkeysidecar.command;

import io.valkeysidecar.resp.Command;
import io.valkeysidecar.resp.CommandNames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Valkey's command table, read from its own COMMAND reply (RESP2 shape) rather than typed by hand, so key
 * positions are right for every command of the Valkey version in front of us, modules included.
 */
public final class CommandTable {

    private static final int[] NO_KEYS = new int[0];
    /** {@code {i}} for each small i: shared results for single-key commands (callers never modify them). */
    private static final int[][] FIXED_POSITIONS = IntStream.range(0, 8).mapToObj(i -> new int[] {i})
            .toArray(int[][]::new);

    private final Map<String, CommandSpec> commands;
    /** Asked for every request by the spill tier: a field read, not a call through an unmodifiable map. */
    private final boolean loaded;
    /**
     * The same specs keyed by the canonical upper-case names ({@link CommandNames}) that {@link Command#name()}
     * answers: no allocation per lookup, and keys compare by identity. A HashMap, never modified after construction:
     * its power-of-two index is cheaper per request than the division an immutable {@code Map.copyOf} probes with.
     */
    private final Map<String, CommandSpec> byUpperName = new HashMap<>();

    private CommandTable(Map<String, CommandSpec> commands) {
        this.commands = commands;
        this.loaded = !commands.isEmpty();
        CommandNames.registerAll(commands.keySet());
        commands.forEach((name, spec) -> byUpperName.put(CommandNames.canonical(name), spec));
    }

    public static CommandTable empty() {
        return new CommandTable(Map.of());
    }

    /** Builds the table from the decoded COMMAND reply (lists, strings and longs, as Lettuce returns them). */
    public static CommandTable parse(List<?> commandReply) {
        Map<String, CommandSpec> map = new HashMap<>();
        for (Object entry : commandReply) {
            CommandSpec spec = parseEntry((List<?>) entry);
            map.put(spec.name(), spec);
        }
        return new CommandTable(Collections.unmodifiableMap(map));
    }

    public int size() {
        return commands.size();
    }

    public boolean isLoaded() {
        return loaded;
    }

    /** The spec for a command, descending into its sub-command when it has one (e.g. OBJECT ENCODING). */
    public CommandSpec lookup(Command cmd) {
        return cmd.argc() == 0 ? null : lookup(byUpperName.get(cmd.name()), cmd);
    }

    /**
     * {@link #lookup(Command)} for a caller that found the spec of {@code cmd}'s name already (null if none): only the
     * descent into a sub-command remains.
     */
    public static CommandSpec lookup(CommandSpec spec, Command cmd) {
        if (spec != null && !spec.subcommands().isEmpty() && cmd.argc() > 1) {
            CommandSpec sub = spec.subcommands().get(spec.name() + "|" + cmd.argString(1).toLowerCase(Locale.ROOT));
            if (sub != null) {
                return sub;
            }
        }
        return spec;
    }

    /** Lower-case names of all top-level commands. */
    public Set<String> names() {
        return commands.keySet();
    }

    public CommandSpec get(String name) {
        return commands.get(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Argument positions of the keys {@code cmd} touches, ascending, without duplicates (SORT's STORE
     * destination included, though its key spec is "unknown"; the keys its BY/GET patterns read cannot be
     * known); none for a command Valkey would reject for its key arguments (as COMMAND GETKEYS finds none), and
     * none for specs flagged NOT_KEY (shard channels). Called for every request when the spill tier is on, so it
     * avoids boxing: positions within one key spec are already ascending and distinct, and only commands with several
     * specs (e.g. LMOVE, SORT ... STORE) need sorting and merging. The array may be shared: callers must not modify
     * it.
     */
    public int[] keyPositions(Command cmd) {
        return keyPositions(lookup(cmd), cmd);
    }

    /** {@link #keyPositions(Command)} by the spec {@link #lookup} found for {@code cmd} (null if none). */
    public static int[] keyPositions(CommandSpec spec, Command cmd) {
        if (spec == null || spec.keySpecs().isEmpty()) {
            return NO_KEYS;
        }
        int at = spec.fixedKey();
        if (at > 0 && at < FIXED_POSITIONS.length) {
            // Most commands have one key at a fixed position: answered without collecting.
            return at < cmd.argc() ? FIXED_POSITIONS[at] : NO_KEYS;
        }
        Positions positions = new Positions();
        for (KeySpec ks : spec.keySpecs()) {
            if (!ks.isNotKey() && !ks.collect(cmd, positions)) {
                return NO_KEYS;
            }
        }
        if (spec.name().equals("sort")) {
            addSortStore(cmd, positions);
        }
        return spec.keySpecs().size() == 1 ? positions.toArray() : positions.toSortedDistinctArray();
    }

    /**
     * SORT's STORE destination: COMMAND describes it with an "unknown" key spec (STORE may follow any of the
     * BY/GET/LIMIT options), so this follows Valkey's own sortGetKeys: options are skipped with their
     * arguments and the last STORE that has an argument names the destination.
     */
    private static void addSortStore(Command cmd, Positions positions) {
        int store = -1;
        for (int i = 2; i < cmd.argc(); i++) {
            if (cmd.argIs(i, "LIMIT")) {
                i += 2;
            } else if (cmd.argIs(i, "GET") || cmd.argIs(i, "BY")) {
                i += 1;
            } else if (cmd.argIs(i, "STORE") && i + 1 < cmd.argc()) {
                store = i + 1;
            }
        }
        if (store > 0) {
            positions.accept(store);
        }
    }

    /** A growable int list for key positions. */
    private static final class Positions implements IntConsumer {
        private int[] values = new int[4];
        private int size;

        @Override
        public void accept(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int[] toArray() {
            return size == 0 ? NO_KEYS : Arrays.copyOf(values, size);
        }

        int[] toSortedDistinctArray() {
            int[] sorted = Arrays.copyOf(values, size);
            Arrays.sort(sorted);
            int n = 0;
            for (int i = 0; i < sorted.length; i++) {
                if (n == 0 || sorted[n - 1] != sorted[i]) {
                    sorted[n++] = sorted[i];
                }
            }
            return n == sorted.length ? sorted : Arrays.copyOf(sorted, n);
        }
    }

    /** The keys {@code cmd} touches, as bytes. */
    public List<byte[]> keys(Command cmd) {
        return keys(lookup(cmd), cmd);
    }

    /** {@link #keys(Command)} by the spec {@link #lookup} found for {@code cmd} (null if none). */
    public static List<byte[]> keys(CommandSpec spec, Command cmd) {
        int[] pos = keyPositions(spec, cmd);
        List<byte[]> keys = new ArrayList<>(pos.length);
        for (int p : pos) {
            keys.add(cmd.argBytes(p));
        }
        return keys;
    }

    private static CommandSpec parseEntry(List<?> e) {
        String name = str(e.get(0)).toLowerCase(Locale.ROOT);
        int arity = (int) num(e.get(1));
        Set<String> flags = new LinkedHashSet<>();
        for (Object f : (List<?>) e.get(2)) {
            flags.add(str(f).toLowerCase(Locale.ROOT));
        }
        Set<String> categories = new LinkedHashSet<>();
        List<KeySpec> keySpecs = new ArrayList<>();
        Map<String, CommandSpec> subs = new HashMap<>();
        if (e.size() >= 10) {
            for (Object c : (List<?>) e.get(6)) {
                categories.add(str(c));
            }
            for (Object ks : (List<?>) e.get(8)) {
                keySpecs.add(parseKeySpec(asMap(ks)));
            }
            for (Object sub : (List<?>) e.get(9)) {
                CommandSpec s = parseEntry((List<?>) sub);
                subs.put(s.name(), s);
            }
        }
        return new CommandSpec(name, arity, flags, categories, List.copyOf(keySpecs), Map.copyOf(subs));
    }

    private static KeySpec parseKeySpec(Map<String, Object> m) {
        Set<String> flags = new LinkedHashSet<>();
        for (Object f : (List<?>) m.getOrDefault("flags", List.of())) {
            flags.add(str(f).toUpperCase(Locale.ROOT));
        }
        Map<String, Object> begin = asMap(m.get("begin_search"));
        Map<String, Object> beginSpec = asMap(begin.get("spec"));
        Map<String, Object> find = asMap(m.get("find_keys"));
        Map<String, Object> findSpec = asMap(find.get("spec"));
        String beginType = str(begin.get("type"));
        String findType = str(find.get("type"));
        boolean incomplete = !("index".equals(beginType) || "keyword".equals(beginType))
                || !("range".equals(findType) || "keynum".equals(findType));
        int beginIndex = "index".equals(beginType) ? (int) num(beginSpec.get("index")) : 0;
        String keyword = "keyword".equals(beginType) ? str(beginSpec.get("keyword")) : null;
        int keywordStart = "keyword".equals(beginType) ? (int) num(beginSpec.get("startfrom")) : 0;
        boolean range = "range".equals(findType);
        return new KeySpec(flags, beginIndex, keyword, keywordStart,
                range ? (int) num(findSpec.get("lastkey")) : 0,
                range ? (int) num(findSpec.get("limit")) : 0,
                range || incomplete ? -1 : (int) num(findSpec.get("keynumidx")),
                range || incomplete ? 0 : (int) num(findSpec.get("firstkey")),
                (int) num(findSpec.getOrDefault("keystep", 1L)),
                incomplete);
    }

    /** COMMAND's maps arrive as flat key/value lists in RESP2 (or as maps in RESP3). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        if (o == null) {
            return Map.of();
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> r = new HashMap<>();
            m.forEach((k, v) -> r.put(str(k), v));
            return r;
        }
        List<Object> list = (List<Object>) o;
        Map<String, Object> r = new HashMap<>();
        for (int i = 0; i + 1 < list.size(); i += 2) {
            r.put(str(list.get(i)), list.get(i + 1));
        }
        return r;
    }

    private static String str(Object o) {
        if (o instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return String.valueOf(o);
    }

    private static long num(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        return o == null ? 0 : Long.parseLong(str(o));
    }
}
