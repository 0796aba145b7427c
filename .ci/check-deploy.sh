#!/usr/bin/env bash
# Proves what can be proved about the deployment files on a machine without a Docker engine:
#   1. docker-compose.yml parses and validates (Debian's docker-compose runs `config` without an engine);
#   2. prometheus/prometheus.yml passes promtool (Debian's prometheus package);
#   3. the Dockerfile's build stage and runtime layout work: its exact mvn command is run, the files its
#      "COPY --from=build" lines take are staged in the same layout, and the image's launcher is invoked
#      from there as the image would (bin/valkey-sidecar --version).
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

printf '\ncheck-deploy: compose, prometheus config and Dockerfile steps OK\n'
