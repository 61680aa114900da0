#!/usr/bin/env bash
# Replay throughput with many distinct browser user agents (issue 12):
# 1M lines with the 14 SDK-heavy agents, and 1M lines where half carry one
# of 10 000 distinct browser agents (auditgen -browser-agents), replayed to
# /dev/null by an old and the current binary alternately, ROUNDS times.
# Prints wall lines/s and user+sys CPU per run: on a shared machine the
# CPU seconds are the comparable figure.
#   scripts/bench-ua.sh OLD_COMMIT
set -euo pipefail
cd "$(dirname "$0")/.."
old="${1:?usage: scripts/bench-ua.sh OLD_COMMIT}"
n="${N:-1000000}"
rounds="${ROUNDS:-2}"
work="${TMPDIR:-/tmp}/ingestd-bench-ua"
mkdir -p "$work"
tree="$work/old-tree"
rm -rf "$tree"
git worktree prune
git worktree add --detach "$tree" "$old" >/dev/null
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
(cd "$tree" && go build -o "$work/ingestd-old" ./cmd/ingestd)
go build -o "$work/ingestd-new" ./cmd/ingestd
[ -f "$work/sdk-$n.log" ] || go run ./cmd/auditgen -n "$n" -o "$work/sdk-$n.log"
[ -f "$work/browsers-$n.log" ] || go run ./cmd/auditgen -n "$n" -browser-agents 10000 -o "$work/browsers-$n.log"
db="${GEOIP_DB:-testdata/GeoLite2-City-Test.mmdb}"
for round in $(seq "$rounds"); do
  for corpus in sdk browsers; do
    for bin in old new; do
      start=$(date +%s.%N)
      /usr/bin/time -f "%U %S %M" -o "$work/time.txt" "$work/ingestd-$bin" replay --host bench \
        --geoip-db "$db" --dlq "$work/dlq.ndjson" -o /dev/null "$work/$corpus-$n.log" 2>/dev/null
      end=$(date +%s.%N)
      read -r user sys rss <"$work/time.txt"
      awk -v r="$round" -v c="$corpus" -v b="$bin" -v n="$n" -v s="$start" -v e="$end" -v u="$user" -v y="$sys" -v m="$rss" \
        'BEGIN { printf "round %s %-8s %s: %8.0f lines/s wall (%.1f s), CPU %.2f s (%.0f lines/CPU-s), max RSS %d MB\n", r, c, b, n/(e-s), e-s, u+y, n/(u+y), m/1024 }'
    done
  done
done
