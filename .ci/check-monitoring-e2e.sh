#!/usr/bin/env bash
# Starts the built sidecar (with the local valkey-server it supervises) on free loopback ports and runs
# .ci/check-monitoring.sh against it: a real Prometheus must answer every dashboard expression with data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/monitoring-e2e.XXXXXX)"
resp_port=$((30000 + RANDOM % 10000))
metrics_port=$((resp_port + 1))
"$root/bin/valkey-sidecar" serve --port "$resp_port" --metrics-port "$metrics_port" --data-dir "$work" \
  2>"$work/sidecar.log" &
sidecar=$!
trap 'kill "$sidecar" 2>/dev/null || true; wait "$sidecar" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:$metrics_port/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$metrics_port/ready" || { cat "$work/sidecar.log"; exit 1; }
echo
"$root/.ci/check-monitoring.sh" "$metrics_port" "$resp_port"
