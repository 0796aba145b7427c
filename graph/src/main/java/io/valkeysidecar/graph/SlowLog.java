package io.valkeysidecar.graph;

import io.valkeysidecar.resp.Reply;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The ten slowest queries of a graph, as GRAPH.SLOWLOG reports them. */
final class SlowLog {

    private static final int CAPACITY = 10;

    private record Item(long timestampSeconds, String command, String query, double millis) {
    }

    private final List<Item> items = new ArrayList<>();

    synchronized void record(String command, String query, double millis) {
        if (items.size() == CAPACITY && items.get(items.size() - 1).millis >= millis) {
            return;
        }
        items.add(new Item(System.currentTimeMillis() / 1000, command, query, millis));
        items.sort(Comparator.comparingDouble(Item::millis).reversed());
        if (items.size() > CAPACITY) {
            items.remove(items.size() - 1);
        }
    }

    synchronized void reset() {
        items.clear();
    }

    synchronized Reply toReply() {
        List<Reply> out = new ArrayList<>();
        for (Item i : items) {
            out.add(Reply.array(Reply.bulk(Long.toString(i.timestampSeconds)), Reply.bulk(i.command),
                    Reply.bulk(i.query), Reply.bulk(String.format(Locale.ROOT, "%.6f", i.millis))));
        }
        return Reply.array(out);
    }
}
