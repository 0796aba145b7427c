#!/usr/bin/env bash
# Throughput and latency of valkey-sidecar against direct Valkey, measured in the same run.
# Starts its own valkey-server and sidecar on loopback ports, runs valkey-benchmark (50 clients) for
# GET, SET, LPUSH, LRANGE_100 at pipeline 1 and 16, with 3-byte and 1 KB values, direct and through the
# sidecar alternately, then prints ops/s, p50/p99 latency and the sidecar/direct ratio.
#   bench/proxy-bench.sh [requests-per-run]        (default 200000; five times as many at pipeline 16)
#   PROXY_BENCH_SIDECAR_ARGS="--no-spill --io-threads 2" bench/proxy-bench.sh   (extra serve options)
#   PROXY_BENCH_TESTS=get,set PROXY_BENCH_PIPELINES=16 PROXY_BENCH_SIZES=3 PROXY_BENCH_ROUNDS=5 bench/proxy-bench.sh
#     (a subset, each direct/sidecar pair repeated in alternation: one row per round, then the median ratio per test,
#     which a single disturbed run on a shared machine cannot move)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests="${1:-200000}"
clients=50
tests="${PROXY_BENCH_TESTS:-get,set,lpush,lrange_100}"
pipelines="${PROXY_BENCH_PIPELINES:-1 16}"
sizes="${PROXY_BENCH_SIZES:-3 1024}"
rounds="${PROXY_BENCH_ROUNDS:-1}"
# shellcheck source=bench/sidecar-stack.sh
. "$root/bench/sidecar-stack.sh"
# shellcheck disable=SC2086 # the extra options are words
start_sidecar_stack ${PROXY_BENCH_SIDECAR_ARGS:-}

# valkey-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
# Pipeline 16 gets five times the requests: at 200,000 a run lasted a fifth of a second, mostly the 50 clients
# connecting and the JIT reacting to new connections, not the steady state being measured.
# Every run starts from an empty Valkey: LPUSH grows one list run after run (to gigabytes with 1 KB values), and a
# Valkey that large disturbed the runs after it.
run() { # port pipeline size tests
  valkey-cli -p "$valkey_port" flushall >/dev/null
  valkey-benchmark -h 127.0.0.1 -p "$1" -c "$clients" -n "$(( $2 > 1 ? 5 * requests : requests ))" -P "$2" -d "$3" \
    -t "$4" --csv -q 2>/dev/null | tail -n +2
}

# Warm up: every measured run through the sidecar, again until the JIT has compiled what they need.
warm_up_pass() {
  for pipeline in $pipelines; do
    for size in $sizes; do
      run "$sidecar_port" "$pipeline" "$size" "$tests"
    done
  done
}
warm_up_sidecar warm_up_pass
jit_before=$(jit_seconds)

printf '%-12s %4s %6s | %12s %8s %8s | %12s %8s %8s | %6s %9s\n' test P size "direct ops/s" "p50 ms" "p99 ms" \
  "sidecar ops/s" "p50 ms" "p99 ms" ratio "+p50 ms"
for pipeline in $pipelines; do
  for size in $sizes; do
    for _ in $(seq "$rounds"); do
      direct="$(run "$valkey_port" "$pipeline" "$size" "$tests")"
      sidecar="$(run "$sidecar_port" "$pipeline" "$size" "$tests")"
      paste -d, <(echo "$direct") <(echo "$sidecar") | tr -d '"' | awk -F, -v P="$pipeline" -v S="$size" '{
        split($1, name, " ");
        printf "%-12s %4d %6d | %12.0f %8.3f %8.3f | %12.0f %8.3f %8.3f | %6.2f %9.3f\n",
          name[1], P, S, $2, $5, $7, $10, $13, $15, $10 / $2, $13 - $5 }'
    done | tee "$work/rows"
    if [ "$rounds" -gt 1 ]; then
      awk '{ key = $1 " " $2 " " $3; n[key]++; r[key, n[key]] = $(NF - 1); if (!(key in seen)) { seen[key]; order[++k] = key } }
        END { for (i = 1; i <= k; i++) { key = order[i]; m = n[key];
          for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (r[key, b] < r[key, a]) { t = r[key, a]; r[key, a] = r[key, b]; r[key, b] = t }
          split(key, f, " "); printf "%-12s %4d %6d | median ratio of %d rounds: %.2f\n", f[1], f[2], f[3], m,
            m % 2 ? r[key, (m + 1) / 2] : (r[key, m / 2] + r[key, m / 2 + 1]) / 2 } }' "$work/rows"
    fi
  done
done
echo "valkey-server $(valkey-server --version | awk '{print $3}'); $requests requests per run ($((5 * requests)) at pipeline 16)," \
  "$rounds round(s);" \
  "$clients clients; $(nproc) cores; $(machine_report);" \
  "$warm_up_report; sidecar JIT CPU during the measured runs $(awk -v b="$jit_before" -v a="$(jit_seconds)" \
    'BEGIN { printf "%.2f", a - b }') s;" \
  "sidecar options: ${PROXY_BENCH_SIDECAR_ARGS:-defaults}"
