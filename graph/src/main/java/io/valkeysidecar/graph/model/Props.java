package io.valkeysidecar.graph.model;

import java.util.Arrays;

/** Properties of a node or edge: property-key ids and values in insertion order (the order replies list them). */
public final class Props {

    private static final int[] NO_KEYS = new int[0];
    private static final Object[] NO_VALUES = new Object[0];

    private int[] keys = NO_KEYS;
    private Object[] values = NO_VALUES;

    public int size() {
        return keys.length;
    }

    public int keyAt(int i) {
        return keys[i];
    }

    public Object valueAt(int i) {
        return values[i];
    }

    public Object get(int key) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == key) {
                return values[i];
            }
        }
        return null;
    }

    /** Sets or (with a null value) removes a property; returns the previous value. */
    public Object set(int key, Object value) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == key) {
                Object old = values[i];
                if (value == null) {
                    int n = keys.length - 1;
                    int[] nk = new int[n];
                    Object[] nv = new Object[n];
                    System.arraycopy(keys, 0, nk, 0, i);
                    System.arraycopy(keys, i + 1, nk, i, n - i);
                    System.arraycopy(values, 0, nv, 0, i);
                    System.arraycopy(values, i + 1, nv, i, n - i);
                    keys = nk;
                    values = nv;
                } else {
                    values[i] = value;
                }
                return old;
            }
        }
        if (value != null) {
            keys = Arrays.copyOf(keys, keys.length + 1);
            values = Arrays.copyOf(values, values.length + 1);
            keys[keys.length - 1] = key;
            values[values.length - 1] = value;
        }
        return null;
    }
}
