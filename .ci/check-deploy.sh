#!/usr/bin/env bash
# Proves what can be proved about the deployment files on a machine without a Docker engine:
#   1. docker-compose.yml parses and validates (Debian's docker-compose runs `config` without an engine);
#   2. prometheus/prometheus.yml passes promtool (Debian's prometheus package), and the Grafana provisioning
#      files, compose mounts and scrape targets agree with each other;
#   3. the Dockerfile's build stage and runtime layout work: its exact mvn command is run, the files its
#      "COPY --from=build" lines take are staged in the same layout, and the image's launcher is invoked
#      from there as the image would (bin/valkey-sidecar --version), and every VALKEY_SIDECAR_* variable the
#      compose file and the Dockerfile set is an option of that launcher's `serve`.
# Usage: .ci/check-deploy.sh   (from anywhere; installs the two Debian packages when missing)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

step "docker-compose config (docker-compose $(docker-compose version --short 2>/dev/null || echo '?'))"
docker-compose -f docker-compose.yml config -q
services="$(docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')"
echo "services: $services"
for service in valkey sidecar redis-exporter prometheus grafana; do
  case " $services " in
    *" $service "*) ;;
    *) echo "docker-compose.yml has no service '$service'" >&2; exit 1 ;;
  esac
done

step "promtool check config"
promtool check config prometheus/prometheus.yml

step "files agree with each other (Grafana provisioning, compose mounts, Prometheus targets)"
# Debian's docker-compose brings python3-yaml for /usr/bin/python3.
docker-compose -f docker-compose.yml config > "${TMPDIR:-/tmp}/check-deploy-compose.$$.yml"
/usr/bin/python3 - "${TMPDIR:-/tmp}/check-deploy-compose.$$.yml" <<'PY'
import json, os, sys, yaml

compose = yaml.safe_load(open(sys.argv[1]))
os.remove(sys.argv[1])
services = compose["services"]
problems = []

def mounts(service):
    found = {}
    for volume in services[service].get("volumes", []):
        if isinstance(volume, dict):
            found[volume["target"]] = volume.get("source", "")
        else:
            parts = volume.split(":")
            found[parts[1]] = parts[0]
    return found

datasources = yaml.safe_load(open("grafana/provisioning/datasources/prometheus.yml"))
if datasources.get("apiVersion") != 1:
    problems.append("datasources: apiVersion must be 1")
prometheus_ds = [d for d in datasources["datasources"] if d["type"] == "prometheus"]
if [d["url"] for d in prometheus_ds] != ["http://prometheus:9090"]:
    problems.append("datasources: expected one prometheus data source at http://prometheus:9090")

providers = yaml.safe_load(open("grafana/provisioning/dashboards/dashboards.yml"))
paths = [p["options"]["path"] for p in providers["providers"]]
grafana_mounts = mounts("grafana")
for path in paths:
    source = grafana_mounts.get(path, "")
    if not source.endswith("grafana/dashboards"):
        problems.append(f"dashboards provider reads {path}, but compose mounts {source or 'nothing'} there")
if not grafana_mounts.get("/etc/grafana/provisioning", "").endswith("grafana/provisioning"):
    problems.append("compose does not mount grafana/provisioning at /etc/grafana/provisioning")
dashboard = json.load(open("grafana/dashboards/valkey-sidecar.json"))
if dashboard.get("uid") != "valkey-sidecar":
    problems.append("dashboard uid must stay valkey-sidecar")

if not mounts("prometheus").get("/etc/prometheus/prometheus.yml", "").endswith("prometheus/prometheus.yml"):
    problems.append("compose does not mount prometheus/prometheus.yml")
prometheus = yaml.safe_load(open("prometheus/prometheus.yml"))
targets = {t for job in prometheus["scrape_configs"] for c in job.get("static_configs", []) for t in c["targets"]}
metrics_port = services["sidecar"]["environment"]["VALKEY_SIDECAR_METRICS_PORT"]
for target in (f"sidecar:{metrics_port}", "redis-exporter:9121"):
    if target not in targets:
        problems.append(f"prometheus.yml does not scrape {target}")
if "redis://valkey:6379" not in str(services["redis-exporter"].get("environment", {})):
    problems.append("redis-exporter is not pointed at redis://valkey:6379")
if services["sidecar"]["environment"].get("VALKEY_SIDECAR_UPSTREAM") != "valkey:6379":
    problems.append("the sidecar's upstream is not valkey:6379")
valkey_command = " ".join(services["valkey"]["command"])
for setting in ("--maxmemory-policy noeviction", "--notify-keyspace-events"):
    if setting not in valkey_command:
        problems.append(f"valkey is not started with {setting}")

for problem in problems:
    print("problem:", problem)
if problems:
    sys.exit(1)
print("grafana provisioning, compose mounts and prometheus targets agree")
PY

step "Dockerfile build stage"
build_cmd="$(sed -n 's/^RUN --mount=[^ ]* \(mvn .*\)$/\1/p' Dockerfile)"
if [ -z "$build_cmd" ] || [ "$(printf '%s\n' "$build_cmd" | wc -l)" -ne 1 ]; then
  echo "expected exactly one 'RUN --mount=... mvn ...' line in the Dockerfile" >&2
  exit 1
fi
echo "+ $build_cmd"
eval "$build_cmd"

step "Dockerfile runtime layout"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
copies=0
while read -r source target; do
  [ -n "$source" ] || continue
  if [ ! -e "$source" ]; then
    echo "the Dockerfile copies /src/$source from the build stage, but the build did not produce it" >&2
    exit 1
  fi
  mkdir -p "$stage/$(dirname "$target")"
  cp -p "$source" "$stage/$target"
  echo "COPY /src/$source -> $target"
  copies=$((copies + 1))
done < <(sed -n 's#^COPY --from=build /src/\([^ ]*\) \([^ ]*\)$#\1 \2#p' Dockerfile)
if [ "$copies" -eq 0 ]; then
  echo "no 'COPY --from=build /src/...' lines in the Dockerfile" >&2
  exit 1
fi
entrypoint="$(sed -n 's/^ENTRYPOINT \["\([^"]*\)"\]$/\1/p' Dockerfile)"
[ -n "$entrypoint" ] || { echo "no single-element ENTRYPOINT in the Dockerfile" >&2; exit 1; }

step "launcher: $entrypoint --version (from the staged image layout)"
version="$(cd "$stage" && "./$entrypoint" --version)"
echo "$version"
case "$version" in
  valkey-sidecar\ *) ;;
  *) echo "unexpected --version output" >&2; exit 1 ;;
esac

step "every VALKEY_SIDECAR_* setting in docker-compose.yml and the Dockerfile is a real serve option"
help="$(cd "$stage" && "./$entrypoint" serve --help)"
variables="$( (docker-compose -f docker-compose.yml config; cat Dockerfile) | grep -o 'VALKEY_SIDECAR_[A-Z_]*' | sort -u)"
for variable in $variables; do
  case "$variable" in
    VALKEY_SIDECAR_JAVA_OPTS|VALKEY_SIDECAR_JAR) continue ;;  # read by bin/valkey-sidecar itself
  esac
  option="--$(printf '%s' "${variable#VALKEY_SIDECAR_}" | tr 'A-Z_' 'a-z-')"
  if ! grep -q -- "$option[ =,]" <<<"$help"; then
    echo "$variable is set, but 'serve --help' has no $option" >&2
    exit 1
  fi
  echo "$variable -> $option"
done
grep -q 'VALKEY_SIDECAR_JAVA_OPTS' bin/valkey-sidecar || { echo "bin/valkey-sidecar no longer reads VALKEY_SIDECAR_JAVA_OPTS" >&2; exit 1; }

printf '\ncheck-deploy: compose, prometheus config, Grafana provisioning and Dockerfile steps OK\n'
