#!/usr/bin/env bash
# Catch-up of many small day files by `ingestd run` into a real engine, and
# the daemon's idle CPU afterwards (issue 14). Binaries given on the command
# line are measured alternately, round after round, on the same files.
#
#   scripts/bench-many.sh ENGINE_URL BIN [BIN...]
#   N="1000 3000"  day files per case, 3 lines each (auditgen), one per day
#                  ending yesterday, modified on their day
#   IDLE=60        seconds of idle CPU measured after the largest case (0: skip)
#   ROUNDS=1       rounds over all binaries
#
# Prints one line per run: binary, files, wall seconds until the engine
# acknowledged every line (ingestd_engine_indexed_total), CPU seconds of
# the daemon meanwhile, and for the largest case the idle CPU in % of one
# core. Config: rotate_grace 1s, poll_interval 1s, no GeoIP, one index per
# run (the lines' dates fall on one day: the engine is not asked to create
# an index per file).
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?engine URL}
shift
[ $# -ge 1 ] || { echo "usage: $0 ENGINE_URL BIN..." >&2; exit 2; }
ns=${N:-1000 3000}
idle=${IDLE:-60}
rounds=${ROUNDS:-1}
work="${TMPDIR:-/tmp}/ingestd-bench-many"
rm -rf "$work"
mkdir -p "$work"
largest=$(printf '%s\n' $ns | sort -n | tail -1)
go run ./cmd/auditgen -n $((3 * largest)) -o "$work/all.log"
for n in $ns; do
  python3 - "$work/all.log" "$work/src-$n" "$n" <<'EOF'
import datetime, os, sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out)
lines = open(src, 'rb').readlines()
last = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
for i in range(n):
    day = last - datetime.timedelta(days=n - 1 - i)
    p = os.path.join(out, 'audit.%s.log' % day.isoformat())
    with open(p, 'wb') as f:
        f.writelines(lines[3 * i:3 * i + 3])
    t = datetime.datetime.combine(day, datetime.time(23), datetime.timezone.utc).timestamp()
    os.utime(p, (t, t))
EOF
done

cpu_s() { # utime+stime of pid, seconds
  awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"
}
metric() { # value of a metric of the daemon at $1
  curl -s "http://$1/metrics" | awk -v m="$2" '$1==m {print $2}'
}

port=19300
for r in $(seq 1 "$rounds"); do
  for n in $ns; do
    for bin in "$@"; do
      port=$((port + 1))
      tag=$(basename "$(dirname "$bin")")-$(basename "$bin")
      run="$work/run-$r-$n"
      rm -rf "$run"
      mkdir -p "$run"
      cp -a "$work/src-$n" "$run/logs"
      index="bench-many-$r-$n-$port"
      cat >"$run/ingestd.yaml" <<EOF
input:
  dir: $run/logs
  poll_interval: 1s
  rotate_grace: 1s
registry:
  path: $run/registry.json
enrich:
  host: bench
  no_geoip: true
output:
  urls: [$url]
  engine: opensearch
  index: "$index-%{+yyyy.MM.dd}"
dead_letter:
  path: $run/dlq.ndjson
metrics:
  listen: 127.0.0.1:$port
status_interval: 1h
EOF
      start=$(date +%s.%N)
      "$bin" run --config "$run/ingestd.yaml" 2>"$run/log" &
      pid=$!
      want=$((3 * n))
      got=0
      while :; do
        got=$(metric "127.0.0.1:$port" ingestd_engine_indexed_total || true)
        if [ "${got:-0}" -ge "$want" ] 2>/dev/null; then break; fi
        kill -0 $pid 2>/dev/null || { echo "$tag: daemon exited"; tail "$run/log"; exit 1; }
        sleep 0.05
      done
      wall=$(echo "$(date +%s.%N) - $start" | bc)
      cpu=$(cpu_s $pid)
      line="$tag files=$n wall_s=$(printf %.2f "$wall") cpu_s=$cpu"
      if [ "$n" = "$largest" ] && [ "$idle" -gt 0 ]; then
        sleep 5 # registry saved, last flushes done
        c0=$(cpu_s $pid)
        sleep "$idle"
        c1=$(cpu_s $pid)
        line="$line idle_cpu_pct=$(echo "scale=3; 100 * ($c1 - $c0) / $idle" | bc) registry_bytes=$(stat -c %s "$run/registry.json")"
      fi
      kill -TERM $pid
      wait $pid || true
      echo "$line"
      curl -s -XDELETE "$url/$index-*" >/dev/null || true
      rm -rf "$run"
    done
  done
done
