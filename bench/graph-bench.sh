#!/usr/bin/env bash
# graph500 benchmark of the GRAPH.* commands (graph/): generates a deterministic Kronecker graph
# (scale 16: 65,536 nodes, 1,048,576 edges), loads it through GRAPH.QUERY into its own valkey-server, and prints
# load time, 1-hop neighbour count by id (p50/p99, q/s with 1 and 32 clients), 2-hop distinct count p50 and
# indexed point lookup p50. Runs at executor level (the SidecarCommand API the proxy calls).
#   bench/graph-bench.sh [scale] [seconds-per-phase]     (defaults: 16 10)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale="${1:-16}"
seconds="${2:-10}"
cd "$root"
mvn -q -B -o -pl graph -am install -DskipTests >/dev/null 2>&1 || mvn -q -B -pl graph -am install -DskipTests
mvn -q -B -o -pl graph test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -Dmdep.includeScope=test >/dev/null
cp="graph/target/test-classes:graph/target/classes:$(cat graph/target/bench.classpath)"
exec java ${GRAPH_BENCH_JAVA_OPTS:--Xms2g -Xmx6g -XX:+UseParallelGC} -Dvalkey.forceLocal=true \
  -cp "$cp" io.valkeysidecar.graph.bench.GraphBench "$scale" "$seconds"
