package io.valkeysidecar.proxy.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** A parsed Prometheus text exposition (format 0.0.4): its samples and its {@code # TYPE} lines. */
final class PrometheusText {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, String> types = new LinkedHashMap<>();

    private PrometheusText() {
    }

    static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.substring("# TYPE ".length()).split(" ");
                parsed.types.put(parts[0], parts[1]);
            } else if (!line.startsWith("#")) {
                parsed.samples.add(parseSample(line));
            }
        }
        return parsed;
    }

    private static Sample parseSample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        String rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            int i = brace + 1;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    if (line.charAt(j) == '\\') {
                        j++;
                    }
                    value.append(line.charAt(j));
                    j++;
                }
                labels.put(label, value.toString());
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            rest = line.substring(i + 1).trim();
        } else {
            name = line.substring(0, space);
            rest = line.substring(space + 1).trim();
        }
        String value = rest.split(" ")[0];
        return new Sample(name, Collections.unmodifiableMap(labels), parseValue(value));
    }

    private static double parseValue(String value) {
        switch (value) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                return Double.parseDouble(value);
        }
    }

    List<Sample> samples() {
        return samples;
    }

    Map<String, String> types() {
        return types;
    }

    Set<String> sampleNames() {
        Set<String> names = new TreeSet<>();
        for (Sample sample : samples) {
            names.add(sample.name());
        }
        return names;
    }

    /** The value of the one sample with this name whose labels include all of {@code labels}. */
    Optional<Double> value(String name, Map<String, String> labels) {
        List<Double> found = new ArrayList<>();
        for (Sample sample : samples) {
            if (sample.name().equals(name) && sample.labels().entrySet().containsAll(labels.entrySet())) {
                found.add(sample.value());
            }
        }
        if (found.size() > 1) {
            throw new AssertionError(found.size() + " samples of " + name + " match " + labels);
        }
        return found.stream().findFirst();
    }

    double require(String name, Map<String, String> labels) {
        return value(name, labels).orElseThrow(() -> new AssertionError("no sample " + name + labels + " in scrape"));
    }

    List<Sample> samples(String name) {
        List<Sample> found = new ArrayList<>();
        for (Sample sample : samples) {
            if (sample.name().equals(name)) {
                found.add(sample);
            }
        }
        return found;
    }
}
