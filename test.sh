#!/usr/bin/env bash
# Runs every Mosaic test: builds the solution, then runs the unit and integration suites against real SQLite and real
# `mosaic` processes on 127.0.0.1. Installs what is missing first (you need only the .NET SDK and root for apt-get).
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
# Cluster tests start their own PostgreSQL (initdb in a temp dir, free port); they need the server binaries.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# The nginx tests run Debian's nginx (as a child process, on free ports) with deploy/nginx/mosaic.conf.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need_apt+=(nginx)
# Cache, rate-limit and Redis Cluster tests start their own redis-server processes (redis-tools brings redis-cli).
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || need_apt+=(redis-server redis-tools)
# Operations tests: a real Prometheus scrapes the cluster (promtool lints /metrics).
command -v promtool >/dev/null || need_apt+=(prometheus)
# Dashboard tests: headless Chromium renders /dashboard and reads the DOM its script leaves.
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null; else echo "test.sh: please install: ${need_apt[*]}" >&2; exit 1; fi
  # The package may create and start a "main" cluster on 5432; the tests never use it (each starts its own), so stop
  # the one we just installed and keep it from starting with the machine.
  if [[ " ${need_apt[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null; then
    { pg_lsclusters --no-header 2>/dev/null || true; } | while read -r ver name _; do
      pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
      if [ -f "/etc/postgresql/$ver/$name/start.conf" ]; then echo manual >"/etc/postgresql/$ver/$name/start.conf"; fi
    done
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build Mosaic.sln -c Release -nologo -clp:ErrorsOnly
set +e
# One test assembly at a time: the cluster suite starts PostgreSQL and many processes, and CI has 2 cores.
dotnet test Mosaic.sln -c Release --no-build -nologo -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test assemblies, in the plain "N passed, N failed" form.
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { gsub(",", "", p); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
# CI shows only the tail of the output: name the failed tests last so that the tail says what broke.
grep -E '^[[:space:]]+Failed [[:alnum:]_.]+' "$log" | sed -E 's/^[[:space:]]+Failed /failed: /' || true
exit "$status"
