#!/usr/bin/env bash
# Where the CPU of a pipelined run through the sidecar goes, and how much of the machine stays idle. Starts its own
# valkey-server and sidecar on loopback ports, warms up (a SET of the value and the run, repeated until the JIT is
# quiet), then measures one valkey-benchmark run and prints CPU microseconds per request (from /proc) for the
# sidecar's event loops, its JIT compilers and its other threads, for Valkey and for valkey-benchmark (the event loops'
# and Valkey's split into user and kernel time), and the share of all cores none of them used. Extra `serve` options
# go in PROXY_CPU_SERVE_OPTS.
#   bench/proxy-cpu.sh [requests] [pipeline] [test] [value-bytes]     (defaults: 5000000 16 get 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requests="${1:-5000000}"
pipeline="${2:-16}"
test="${3:-get}"
size="${4:-3}"
# shellcheck source=bench/sidecar-stack.sh
. "$root/bench/sidecar-stack.sh"
# shellcheck disable=SC2086
start_sidecar_stack ${PROXY_CPU_SERVE_OPTS:-}

ticks() { sed 's/.*) //' "$1" | awk '{print $12, $13}'; }
# One line per thread of the sidecar ("tid name user-ticks kernel-ticks"), then Valkey's process.
snapshot() {
  for t in /proc/"$sidecar_pid"/task/*; do echo "${t##*/} $(tr ' ' _ <"$t/comm") $(ticks "$t/stat")"; done
  echo "valkey valkey-server $(ticks /proc/"$valkey_pid"/stat)"
}

# The warm-up's SET leaves the value a GET then reads (valkey-benchmark uses one key unless told otherwise); it runs
# again until the sidecar's JIT is quiet.
warm_up_sidecar valkey-benchmark -h 127.0.0.1 -p "$sidecar_port" -c 50 -n "$requests" -P "$pipeline" -d "$size" \
  -t "set,$test" -q
before="$(snapshot)"
start=$(date +%s%N)
bench_out="$work/bench.out"
/usr/bin/time -f "%U %S" -o "$work/bench.time" valkey-benchmark -h 127.0.0.1 -p "$sidecar_port" -c 50 -n "$requests" \
  -P "$pipeline" -d "$size" -t "$test" --csv >"$bench_out" 2>/dev/null
elapsed_ns=$(( $(date +%s%N) - start ))
after="$(snapshot)"

hz=$(getconf CLK_TCK)
join <(echo "$before" | sort) <(echo "$after" | sort) | awk -v hz="$hz" -v n="$requests" -v ns="$elapsed_ns" \
  -v cores="$(nproc)" -v bench="$(cat "$work/bench.time")" -v ops="$(tail -1 "$bench_out" | cut -d, -f2 | tr -d '"')" '
  { u = ($6 - $3) / hz; k = ($7 - $4) / hz; d = u + k; name = $2
    if (name ~ /^epollEventLoopG/) { loop += d; loopKernel += k } else if (name ~ /^C[12]_Compiler/) jit += d
    else if (name == "valkey-server") { valkey += d; valkeyKernel += k } else other += d }
  END {
    split(bench, b, " "); client = b[1] + b[2]; s = ns / 1e9; used = loop + jit + other + valkey + client
    printf "%d requests at %.0f ops/s in %.2f s; CPU us per request:\n", n, ops, s
    printf "  sidecar event loops %.3f (kernel %.3f), JIT %.3f, other sidecar threads %.3f\n", loop * 1e6 / n,
      loopKernel * 1e6 / n, jit * 1e6 / n, other * 1e6 / n
    printf "  valkey-server %.3f (kernel %.3f), valkey-benchmark %.3f\n", valkey * 1e6 / n, valkeyKernel * 1e6 / n,
      client * 1e6 / n
    printf "  all %.3f; idle share of the %d cores: %.0f%%\n", used * 1e6 / n, cores, 100 * (1 - used / (cores * s)) }'
echo "$(machine_report); $warm_up_report"
