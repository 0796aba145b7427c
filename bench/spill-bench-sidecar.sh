#!/usr/bin/env bash
# Spill tier through the whole sidecar: real valkey-server processes (maxmemory, noeviction), each behind the
# sidecar's jar in a JVM of its own with its RocksDB store in a temporary directory, Lettuce clients over loopback.
# Prints
#   (a) restore-on-miss GET latency p50/p99 against a resident GET, 1 KB values, interleaved in one run;
#   (b) a Zipfian (theta 0.99) 90% GET / 10% SET workload with ~20% of the data fitting in Valkey's memory,
#       as a throughput ratio against the same workload with everything in memory (both through a sidecar,
#       both stacks up at once and measured in four alternating windows of seconds/4 after a 20 s warm-up each);
#   (c) sidecar memory per spilled key (INFO spill: index bytes / spilled keys).
#   bench/spill-bench-sidecar.sh [latency-keys] [zipf-keys] [clients] [seconds]   (defaults: 20000 60000 16 20)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -q -B -o -pl core,graph,keyspace-listener,spill-manager install -DskipTests >/dev/null 2>&1 \
  || mvn -q -B -pl core,graph,keyspace-listener,spill-manager install -DskipTests
mvn -q -B -o -pl proxy install -Dmaven.test.skip=true >/dev/null 2>&1 || mvn -q -B -pl proxy install -Dmaven.test.skip=true
mvn -q -B -o -pl compat-tests test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
  -Dmdep.includeScope=test >/dev/null
cp="compat-tests/target/test-classes:$(cat compat-tests/target/bench.classpath)"
exec java ${SPILL_BENCH_JAVA_OPTS:--Xms1g -Xmx2g} -Dvalkey.forceLocal=true \
  -Dlogback.configurationFile=compat-tests/src/test/resources/logback-test.xml \
  -Dbench.latencyKeys="${1:-20000}" -Dbench.zipfKeys="${2:-60000}" -Dbench.threads="${3:-16}" \
  -Dbench.seconds="${4:-20}" \
  -cp "$cp" io.valkeysidecar.compat.spill.bench.SpillSidecarBench
