package io.valkeysidecar.graph.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A dense, append-only name table (labels, relationship types or property keys): ids start at 0, never reused. */
public final class Schema {

    private final List<String> names = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();

    public int id(String name) {
        Integer id = ids.get(name);
        return id == null ? -1 : id;
    }

    /** The id of {@code name}, adding it when new; {@code added[0]} is set to true when it was added. */
    public int intern(String name, boolean[] added) {
        Integer id = ids.get(name);
        if (id != null) {
            return id;
        }
        int n = names.size();
        names.add(name);
        ids.put(name, n);
        added[0] = true;
        return n;
    }

    public String name(int id) {
        return names.get(id);
    }

    public int size() {
        return names.size();
    }

    public List<String> names() {
        return names;
    }
}
