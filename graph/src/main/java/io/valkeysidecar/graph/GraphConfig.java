package io.valkeysidecar.graph;

import io.valkeysidecar.extension.SidecarException;
import io.valkeysidecar.resp.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** GRAPH.CONFIG: RedisGraph's configuration names; the run-time settable ones take effect. */
public final class GraphConfig {

    private static final List<String> RUNTIME = List.of("TIMEOUT", "RESULTSET_SIZE", "MAX_QUEUED_QUERIES",
            "QUERY_MEM_CAPACITY");

    private final Map<String, Long> values = new LinkedHashMap<>();

    public GraphConfig() {
        values.put("TIMEOUT", 0L);
        values.put("CACHE_SIZE", 512L);
        values.put("ASYNC_DELETE", 1L);
        values.put("OMP_THREAD_COUNT", 1L);
        values.put("THREAD_COUNT", (long) Runtime.getRuntime().availableProcessors());
        values.put("RESULTSET_SIZE", -1L);
        values.put("VKEY_MAX_ENTITY_COUNT", 100000L);
        values.put("MAX_QUEUED_QUERIES", 4294967295L);
        values.put("QUERY_MEM_CAPACITY", 0L);
        values.put("NODE_CREATION_BUFFER", 16384L);
    }

    public synchronized long timeoutMillis() {
        return values.get("TIMEOUT");
    }

    public synchronized int resultSetSize() {
        long v = values.get("RESULTSET_SIZE");
        return v < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, v);
    }

    public synchronized Reply get(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.equals("*")) {
            List<Reply> all = new ArrayList<>();
            values.forEach((k, v) -> all.add(Reply.array(Reply.bulk(k), Reply.integer(v))));
            return Reply.array(all);
        }
        Long v = values.get(n);
        if (v == null) {
            throw SidecarException.err("Unknown configuration field");
        }
        return Reply.array(Reply.bulk(n), Reply.integer(v));
    }

    public synchronized Reply set(String name, String value) {
        String n = name.toUpperCase(Locale.ROOT);
        if (!values.containsKey(n)) {
            throw SidecarException.err("Unknown configuration field");
        }
        if (!RUNTIME.contains(n)) {
            throw SidecarException.err("This configuration parameter cannot be set at run-time");
        }
        long v;
        try {
            v = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw SidecarException.err("Failed to set config value " + n + " to " + value);
        }
        values.put(n, v);
        return Reply.OK;
    }
}
