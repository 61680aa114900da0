#!/usr/bin/env bash
# Replay vs verify of the same 200 000 generated lines against a 1-node
# OpenSearch on this machine, alternately, ROUNDS times: wall time,
# lines/s, ingestd CPU and engine CPU of each. Each round replays into a
# fresh index, then verifies it (and verifies with --extra).
# INGESTD_ENGINE_INSTANCE selects the engine (scripts/engine.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${N:-200000}"
rounds="${ROUNDS:-2}"
work="${TMPDIR:-/tmp}/ingestd-bench"
mkdir -p "$work"
go build -o "$work/ingestd" ./cmd/ingestd
[ -f "$work/audit-$n.log" ] || go run ./cmd/auditgen -n "$n" -o "$work/audit-$n.log"
scripts/engine.sh start >/dev/null
url=$(scripts/engine.sh url)
suffix=""; [ "${INGESTD_ENGINE_INSTANCE:-0}" = 0 ] || suffix="-$INGESTD_ENGINE_INSTANCE"
pids=$(cat "${INGESTD_CACHE:-$HOME/.cache/ingestd}"/opensearch-run$suffix/node-*.pid)
engine_cpu() { # user+sys clock ticks of the engine JVMs
  local t=0 p; for p in $pids; do t=$((t + $(awk '{print $14+$15}' /proc/"$p"/stat))); done; echo "$t"
}
hz=$(getconf CLK_TCK)
common=(--host bench --geoip-db testdata/GeoLite2-City-Test.mmdb --es "$url")
measure() { # label, command...
  local label=$1; shift
  local before start end after
  before=$(engine_cpu); start=$(date +%s.%N)
  /usr/bin/time -o "$work/time" -f "%U %S %M" "$@" >/dev/null 2>"$work/stderr" || true
  end=$(date +%s.%N); after=$(engine_cpu)
  read -r u s m <"$work/time"
  awk -v l="$label" -v n="$n" -v s="$start" -v e="$end" -v c=$((after - before)) -v hz="$hz" -v u="$u" -v sy="$s" -v m="$m" 'BEGIN {
    w = e - s; printf "%-22s %6.1fs %8.0f lines/s  ingestd CPU %5.2fs  max RSS %4d MB  engine CPU %5.1fs (%3.0f%% of 2 cores)\n",
      l, w, n / w, u + sy, m / 1024, c / hz, 100 * c / hz / w / 2 }'
  grep -E '^verify: total|^ingestd:' "$work/stderr" || true
}
for r in $(seq "$rounds"); do
  idx="bench-verify-$(date +%s%N)-%{+yyyy.MM.dd}"
  measure "replay (round $r)" "$work/ingestd" replay "${common[@]}" --dlq "$work/dlq.ndjson" --index "$idx" "$work/audit-$n.log"
  measure "verify (round $r)" "$work/ingestd" verify "${common[@]}" --index "$idx" ${VERIFY_ARGS:-} "$work/audit-$n.log"
  measure "verify --extra ($r)" "$work/ingestd" verify "${common[@]}" --index "$idx" --extra ${VERIFY_ARGS:-} "$work/audit-$n.log"
done
