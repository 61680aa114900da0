#!/usr/bin/env bash
# Replay throughput on a generated 1M-line file, with the test GeoIP
# database and with the real GeoLite2 database. Prints lines/s.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${N:-1000000}"
work="${TMPDIR:-/tmp}/ingestd-bench"
mkdir -p "$work"
go build -o "$work/ingestd" ./cmd/ingestd
if [ ! -f "$work/audit-$n.log" ]; then
  go run ./cmd/auditgen -n "$n" -o "$work/audit-$n.log"
fi
real_db=$(scripts/fetch-geolite.sh)
for db in testdata/GeoLite2-City-Test.mmdb "$real_db"; do
  for out in /dev/null "$work/out.ndjson"; do
    echo "== geoip-db=$(basename "$db") out=$out"
    /usr/bin/time -f "wall %es user %Us sys %Ss maxrss %MkB" \
      "$work/ingestd" replay --host bench --geoip-db "$db" --dlq "$work/dlq.ndjson" -o "$out" "$work/audit-$n.log"
  done
done
rm -f "$work/out.ndjson"
