#!/usr/bin/env bash
# Spill-tier benchmark (spill-manager/): its own valkey-server and a RocksDB store in a temporary directory.
# Prints spill throughput, restore-on-miss GET latency p50/p99 against a resident GET in the same run (1 KB
# values, each GET as the proxy serves it: ensureResident, GET, release), and the in-memory index's bytes per
# spilled key, on the store and on the bare index at scale.
#   bench/spill-bench.sh [keys] [samples] [index-keys]     (defaults: 20000 5000 10000000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
keys="${1:-20000}"
samples="${2:-5000}"
index_keys="${3:-10000000}"
cd "$root"
mvn -q -B -o -pl spill-manager -am install -DskipTests >/dev/null 2>&1 || mvn -q -B -pl spill-manager -am install -DskipTests
mvn -q -B -o -pl spill-manager test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -Dmdep.includeScope=test >/dev/null
cp="spill-manager/target/test-classes:spill-manager/target/classes:$(cat spill-manager/target/bench.classpath)"
exec java ${SPILL_BENCH_JAVA_OPTS:--Xms1g -Xmx2g} -Dvalkey.forceLocal=true \
  -Dbench.keys="$keys" -Dbench.samples="$samples" -Dbench.indexKeys="$index_keys" \
  -cp "$cp" io.valkeysidecar.spill.SpillBench
