# Sourced by the benchmarks (needs $root): start_sidecar_stack [serve options...] starts a valkey-server and a
# sidecar in front of it on loopback ports, with their data in a temporary directory, waits until the sidecar
# answers, and stops both (removing the directory) when the script exits. Sets work, valkey_port, sidecar_port,
# valkey_pid and sidecar_pid. machine_report prints the load average and the share of CPU time the hypervisor took
# from this virtual machine since machine_mark, which the stack's start calls ("steal": on this shared host it
# reached half of all CPU time, and direct Valkey's throughput then varied fourfold between runs, so every figure
# printed comes with it). jit_seconds prints the CPU seconds the sidecar's JIT compiler threads used so far;
# warm_up_sidecar repeats a warm-up command until they stay quiet through it.
cpu_ticks() { # total and steal ticks of all cores
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat
}

machine_mark() {
  read -r mark_total mark_steal <<<"$(cpu_ticks)"
}

machine_report() {
  read -r total steal <<<"$(cpu_ticks)"
  awk -v t="$((total - mark_total))" -v s="$((steal - mark_steal))" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    'BEGIN { printf "load average %s; CPU stolen by the host since start: %.0f%%\n", load, t ? 100 * s / t : 0 }'
}

start_sidecar_stack() {
  machine_mark
  work="$(mktemp -d /tmp/valkey-sidecar-bench.XXXXXX)"
  valkey_port=$((20000 + RANDOM % 10000))
  sidecar_port=$((valkey_port + 1))
  valkey_pid=""
  sidecar_pid=""
  trap 'kill $valkey_pid $sidecar_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
  command -v valkey-benchmark >/dev/null \
    || { echo "valkey-benchmark not found (apt-get install -t bookworm-backports valkey-tools)" >&2; exit 1; }
  local jar="$root/proxy/target/valkey-sidecar.jar"
  [ -f "$jar" ] || (cd "$root" && mvn -q -B -DskipTests package -pl proxy -am)
  valkey-server --port "$valkey_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
    --logfile "$work/valkey.log" &
  valkey_pid=$!
  java ${VALKEY_SIDECAR_JAVA_OPTS:--Xms1g -Xmx1g} -jar "$jar" serve --port "$sidecar_port" \
    --upstream "127.0.0.1:$valkey_port" --metrics-port 0 --data-dir "$work/sidecar" "$@" 2>"$work/sidecar.log" &
  sidecar_pid=$!
  for _ in $(seq 1 100); do
    valkey-cli -p "$sidecar_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  valkey-cli -p "$sidecar_port" ping >/dev/null
}

jit_seconds() {
  local hz t sum=0 f
  hz=$(getconf CLK_TCK)
  for t in /proc/"$sidecar_pid"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      "C1 CompilerThre"* | "C2 CompilerThre"*)
        f=$(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')
        sum=$((sum + f)) ;;
    esac
  done
  awk -v t="$sum" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'
}

# Runs "$@" (a load through the sidecar) until the JIT used under 0.1 s of CPU during one run, at most 10 times.
# On two cores the sidecar's C2 compiler shares the cores with the load: after one pass it was still compiling the
# hot path, and the first rounds measured code it had not compiled yet (GET through the sidecar at half its later
# rate). Sets warm_up_report.
warm_up_sidecar() {
  local pass before after
  for pass in $(seq 1 10); do
    before=$(jit_seconds)
    "$@" >/dev/null
    after=$(jit_seconds)
    if awk -v b="$before" -v a="$after" 'BEGIN { exit !(a - b < 0.1) }'; then
      break
    fi
  done
  warm_up_report="warm-up passes: $pass (sidecar JIT CPU in the last one $(awk -v b="$before" -v a="$after" \
    'BEGIN { printf "%.2f", a - b }') s)"
}
