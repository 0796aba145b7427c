#!/usr/bin/env bash
# graph500 benchmark of the GRAPH.* commands (graph/): generates a deterministic Kronecker graph
# (scale 16: 65,536 nodes, 1,048,576 edges), loads it through GRAPH.QUERY and prints load time, 1-hop neighbour
# count by id (p50/p99, q/s with 1 and 32 clients), 2-hop distinct count p50 and indexed point lookup p50.
# Modes: "executor" (the SidecarCommand API the proxy calls, in-process, its own valkey-server), "sidecar"
# (a real sidecar process in front of a fresh valkey-server, clients over TCP), or "both" (default).
#   bench/graph-bench.sh [scale] [seconds-per-phase] [both|executor|sidecar]     (defaults: 16 10 both)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale="${1:-16}"
seconds="${2:-10}"
mode="${3:-both}"
java_opts="${GRAPH_BENCH_JAVA_OPTS:--Xms2g -Xmx6g -XX:+UseParallelGC}"
work="$(mktemp -d /tmp/graph-bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cd "$root"

mvn -q -B -o -pl graph -am install -DskipTests >/dev/null 2>&1 || mvn -q -B -pl graph -am install -DskipTests
mvn -q -B -o -pl graph test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -Dmdep.includeScope=test >/dev/null
cp="graph/target/test-classes:graph/target/classes:$(cat graph/target/bench.classpath)"
driver() { java $java_opts -Dvalkey.forceLocal=true -cp "$cp" io.valkeysidecar.graph.bench.GraphBench "$@"; }

if [ "$mode" = both ] || [ "$mode" = executor ]; then
  driver "$scale" "$seconds"
fi

if [ "$mode" = both ] || [ "$mode" = sidecar ]; then
  jar="proxy/target/valkey-sidecar.jar"
  if [ ! -f "$jar" ]; then
    mvn -q -B -o -Dmaven.test.skip=true package -pl proxy -am >"$work/build.log" 2>&1 \
      || { cat "$work/build.log" >&2; echo "cannot build $jar" >&2; exit 1; }
  fi
  valkey_port=$((20000 + RANDOM % 10000))
  sidecar_port=$((valkey_port + 1))
  valkey-server --port "$valkey_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    --logfile "$work/valkey.log" &
  pids+=($!)
  # graph/target/classes first: the sidecar runs the graph code just built even if the jar is older
  java ${VALKEY_SIDECAR_JAVA_OPTS:--Xms2g -Xmx6g -XX:+UseParallelGC} -cp "graph/target/classes:$jar" \
    io.valkeysidecar.proxy.cli.SidecarCli serve --port "$sidecar_port" \
    --upstream "127.0.0.1:$valkey_port" --metrics-port 0 --data-dir "$work/sidecar" >"$work/sidecar.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do
    valkey-cli -p "$sidecar_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  valkey-cli -p "$sidecar_port" ping >/dev/null
  driver "$scale" "$seconds" "127.0.0.1:$sidecar_port" "127.0.0.1:$valkey_port"
fi
