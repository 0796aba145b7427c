package io.valkeysidecar.graph.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Side-effect counters of one query, rendered as RedisGraph's statistics strings. */
public final class Stats {

    public long labelsAdded;
    public long labelsRemoved;
    public long nodesCreated;
    public long propertiesSet;
    public long propertiesRemoved;
    public long relationshipsCreated;
    public long nodesDeleted;
    public long relationshipsDeleted;
    public long indicesCreated;
    public long indicesDeleted;

    /** The statistics lines in RedisGraph's order: non-zero counters, then cache flag and execution time. */
    public List<String> lines(boolean cached, double millis) {
        List<String> out = new ArrayList<>();
        add(out, "Labels added", labelsAdded);
        add(out, "Labels removed", labelsRemoved);
        add(out, "Nodes created", nodesCreated);
        add(out, "Properties set", propertiesSet);
        add(out, "Properties removed", propertiesRemoved);
        add(out, "Relationships created", relationshipsCreated);
        add(out, "Nodes deleted", nodesDeleted);
        add(out, "Relationships deleted", relationshipsDeleted);
        add(out, "Indices created", indicesCreated);
        add(out, "Indices deleted", indicesDeleted);
        out.add("Cached execution: " + (cached ? 1 : 0));
        out.add(String.format(Locale.ROOT, "Query internal execution time: %.6f milliseconds", millis));
        return out;
    }

    private static void add(List<String> out, String label, long n) {
        if (n != 0) {
            out.add(label + ": " + n);
        }
    }
}
