#!/usr/bin/env bash
# End-to-end monitoring check with real parts: a real Prometheus (Debian's package) on loopback scrapes a
# running sidecar's /metrics every second, then every expression of grafana/dashboards/valkey-sidecar.json is
# asked of Prometheus's HTTP API (/api/v1/query) and must return data: at least one series, and not only NaN
# (except quantiles and ratios, which are NaN while no command has been counted).
#
# Usage: .ci/check-monitoring.sh METRICS_PORT [RESP_PORT]
#   METRICS_PORT  the running sidecar's --metrics-port on 127.0.0.1
#   RESP_PORT     optional: the sidecar's RESP port on 127.0.0.1; when given, the check sends a few commands
#                 per second through it (PING, SET, GET and one unknown command) so that rates and latency
#                 quantiles have something to show
# Environment: CHECK_MONITORING_TIMEOUT (seconds, default 120) bounds the whole check; the Prometheus it starts
# and the traffic loop are stopped on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
metrics_port="${1:?usage: $0 METRICS_PORT [RESP_PORT]}"
resp_port="${2:-}"
timeout_s="${CHECK_MONITORING_TIMEOUT:-120}"
deadline=$((SECONDS + timeout_s))
dashboard="$root/grafana/dashboards/valkey-sidecar.json"

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

work="$(mktemp -d)"
prometheus_pid=""
traffic_pid=""
cleanup() {
  if [ -n "$traffic_pid" ]; then kill "$traffic_pid" 2>/dev/null || true; wait "$traffic_pid" 2>/dev/null || true; fi
  if [ -n "$prometheus_pid" ]; then kill "$prometheus_pid" 2>/dev/null || true; wait "$prometheus_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== sidecar /metrics on 127.0.0.1:$metrics_port"
if ! curl -fsS --max-time 5 "http://127.0.0.1:$metrics_port/metrics" -o "$work/scrape.txt"; then
  echo "no /metrics on 127.0.0.1:$metrics_port: is the sidecar running with --metrics-port $metrics_port?" >&2
  exit 1
fi
grep -q '^valkey_sidecar_' "$work/scrape.txt" || { echo "/metrics has no valkey_sidecar_ samples" >&2; exit 1; }
echo "$(grep -c '^valkey_sidecar_' "$work/scrape.txt") valkey_sidecar_ samples"

prometheus_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: valkey-sidecar
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
YAML
promtool check config "$work/prometheus.yml" >/dev/null

echo "== starting Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') on 127.0.0.1:$prometheus_port"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn > "$work/prometheus.log" 2>&1 &
prometheus_pid=$!
api="http://127.0.0.1:$prometheus_port"
until curl -fsS --max-time 2 "$api/-/ready" >/dev/null 2>&1; do
  if ! kill -0 "$prometheus_pid" 2>/dev/null; then cat "$work/prometheus.log" >&2; echo "Prometheus exited" >&2; exit 1; fi
  [ "$SECONDS" -lt "$deadline" ] || { echo "Prometheus not ready in time" >&2; exit 1; }
  sleep 0.5
done

if [ -n "$resp_port" ]; then
  echo "== sending commands through 127.0.0.1:$resp_port while the check runs"
  (
    exec 3<>"/dev/tcp/127.0.0.1/$resp_port"
    i=0
    while [ "$SECONDS" -lt "$deadline" ]; do
      printf '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$19\r\ncheck-monitoring:%02d\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$19\r\ncheck-monitoring:%02d\r\n*1\r\n$22\r\nCHECK-MONITORING-NOCMD\r\n' \
        $((i % 100)) $((i % 100)) >&3
      for _ in 1 2 3 4 5; do read -r -t 5 _ <&3; done
      i=$((i + 1))
      sleep 0.2
    done
  ) &
  traffic_pid=$!
fi

echo "== waiting for Prometheus to scrape the sidecar"
until [ "$(curl -fsS --max-time 2 "$api/api/v1/query" --data-urlencode 'query=up{job="valkey-sidecar"}' \
  | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')" = "1" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "Prometheus never scraped 127.0.0.1:$metrics_port successfully" >&2; \
    curl -fsS "$api/api/v1/targets" >&2 || true; exit 1; }
  sleep 1
done
# Rates need two samples inside the query's range; give Prometheus a few scrapes.
sleep 5

echo "== asking Prometheus for every dashboard expression"
python3 - "$dashboard" "$api" "$deadline" "$SECONDS" <<'PY'
import json, sys, time, urllib.parse, urllib.request

dashboard_path, api, deadline, now = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
stop_at = time.monotonic() + (deadline - now)

def panels(items):
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))

dashboard = json.load(open(dashboard_path))
exprs = []
for panel in panels(dashboard["panels"]):
    for target in panel.get("targets", []):
        exprs.append((panel["title"], target["expr"]))
for variable in dashboard.get("templating", {}).get("list", []):
    if variable.get("type") == "query":
        query = variable["query"]["query"]
        metric = query[len("label_values("):].split(",")[0].strip()
        exprs.append(("variable $" + variable["name"], metric))
if not exprs:
    sys.exit("the dashboard has no expressions")

def grafana_to_promql(expr):
    # What Grafana substitutes before sending: every instance, and a rate window of several 1s scrapes.
    return (expr.replace('"$instance"', '".*"').replace("$__rate_interval", "15s")
            .replace("$__interval", "15s").replace("$__range", "1m"))

def query(promql):
    data = urllib.parse.urlencode({"query": promql}).encode()
    try:
        with urllib.request.urlopen(api + "/api/v1/query", data=data, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        return json.load(e)

pending = {i: e for i, e in enumerate(exprs)}
results = {}
while pending:
    for i, (title, expr) in list(pending.items()):
        body = query(grafana_to_promql(expr))
        if body.get("status") != "success":
            print(f"FAIL  [{title}] {expr}\n      Prometheus rejected it: {body.get('errorType')}: {body.get('error')}")
            sys.exit(1)
        result = body["data"]["result"]
        # A gauge whose object is gone reads NaN; only quantiles and ratios may be NaN (no commands yet).
        nan_allowed = "histogram_quantile" in expr or " / " in expr
        if result and (nan_allowed or any(r["value"][1] != "NaN" for r in result)):
            values = sorted({r["value"][1] for r in result})
            results[i] = f"{len(result)} series, values {', '.join(values[:4])}{' ...' if len(values) > 4 else ''}"
            del pending[i]
    if not pending or time.monotonic() >= stop_at:
        break
    time.sleep(2)

for i, (title, expr) in enumerate(exprs):
    if i in results:
        print(f"ok    [{title}] {expr}\n      {results[i]}")
for i, (title, expr) in pending.items():
    print(f"EMPTY [{title}] {expr}  (no series, or only NaN)")
print(f"{len(results)} passed, {len(pending)} failed")
sys.exit(1 if pending else 0)
PY
