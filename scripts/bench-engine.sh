#!/usr/bin/env bash
# Documents/s into a 1-node OpenSearch on this machine, and the CPU that
# ingestd and the engine each used meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${N:-200000}"
work="${TMPDIR:-/tmp}/ingestd-bench"
mkdir -p "$work"
go build -o "$work/ingestd" ./cmd/ingestd
[ -f "$work/audit-$n.log" ] || go run ./cmd/auditgen -n "$n" -o "$work/audit-$n.log"
scripts/engine.sh start >/dev/null
url=$(scripts/engine.sh url)
pids=$(cat "${INGESTD_CACHE:-$HOME/.cache/ingestd}"/opensearch-run/node-*.pid)
engine_cpu() { # user+sys clock ticks of the engine JVMs
  local t=0 p; for p in $pids; do t=$((t + $(awk '{print $14+$15}' /proc/"$p"/stat))); done; echo "$t"
}
hz=$(getconf CLK_TCK)
for args in "" "${EXTRA:-}"; do
  idx="bench-$(date +%s%N)-%{+yyyy.MM.dd}"
  before=$(engine_cpu)
  start=$(date +%s.%N)
  /usr/bin/time -f "ingestd: user %Us sys %Ss maxrss %MkB" "$work/ingestd" replay --host bench \
    --geoip-db testdata/GeoLite2-City-Test.mmdb --dlq "$work/dlq.ndjson" --es "$url" --index "$idx" $args "$work/audit-$n.log" 2>&1 | grep -v '^time='
  end=$(date +%s.%N)
  after=$(engine_cpu)
  awk -v n="$n" -v s="$start" -v e="$end" -v c=$((after - before)) -v hz="$hz" -v a="$args" 'BEGIN {
    w = e - s; printf "settings [%s]: %d docs in %.1fs = %.0f docs/s; engine CPU %.1fs (%.0f%% of 2 cores)\n", a, n, w, n / w, c / hz, 100 * c / hz / w / 2 }'
  [ -n "${EXTRA:-}" ] || break
done
