#!/usr/bin/env bash
# Mutation testing of the core packages with gremlins (issue 15; see
# TESTING.md): `make mutation`, or scripts/mutation.sh [PKG...].
#
# Installs the pinned gremlins with `go install` when it is missing or
# another version, then runs it on each package — unit tests only, one
# worker (the machine is shared), each package bounded by
# MUTATION_TIMEOUT — and prints each package's score, killed/(killed+lived).
# A package cut off by the time bound is scored on the mutants it got to,
# and marked so. Not part of `make test`: a full run takes tens of minutes
# per package.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v0.6.0
bin="$(go env GOPATH)/bin/gremlins"
if ! go version -m "$bin" 2>/dev/null | grep -q "mod[[:space:]]*github.com/go-gremlins/gremlins[[:space:]]*$version"; then
  echo "installing gremlins $version" >&2
  go install "github.com/go-gremlins/gremlins/cmd/gremlins@$version"
fi

timeout_per_pkg="${MUTATION_TIMEOUT:-60m}"
workers="${MUTATION_WORKERS:-1}"
# Each mutant's test run may take this many times the coverage run. On a
# busy 2-core machine a factor of 3 reported most slowed-down runs as
# "timed out" (91 of the parser's 341 mutants); with 10 only mutants that
# loop for ever time out (TESTING.md).
coefficient="${MUTATION_TIMEOUT_COEFFICIENT:-10}"
out="${MUTATION_OUT:-$(mktemp -d)}"
mkdir -p "$out"
[ $# -gt 0 ] || set -- parser query sink source enrich pipeline
# gremlins bounds each mutant's test run by the time of its coverage run;
# a coverage run answered from Go's test cache takes under a second and
# every mutant would then be reported "timed out".
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"

summary=()
for pkg in "$@"; do
  # enrich/uamatch is a package of its own (issue 12): scored apart.
  exclude=()
  [ "$pkg" = enrich ] && exclude=(--exclude-files 'uamatch/')
  log="$out/$pkg.txt"
  echo "== gremlins unleash --workers $workers --timeout-coefficient $coefficient ${exclude[*]} ./$pkg (bound $timeout_per_pkg)"
  status=complete
  # In a session of its own: a mutant that hangs leaves its test binary
  # running after gremlins gives up on it; the whole group is ended below.
  setsid timeout "$timeout_per_pkg" "$bin" unleash --workers "$workers" --timeout-coefficient "$coefficient" "${exclude[@]}" "./$pkg" >"$log" 2>&1 &
  group=$!
  wait "$group" || { rc=$?; [ $rc -eq 124 ] && status="cut off after $timeout_per_pkg" || status="gremlins exit $rc"; }
  kill -- "-$group" 2>/dev/null || true
  killed=$(grep -c '^ *KILLED' "$log" || true)
  lived=$(grep -c '^ *LIVED' "$log" || true)
  uncovered=$(grep -c '^ *NOT COVERED' "$log" || true)
  timedout=$(grep -c '^ *TIMED OUT' "$log" || true)
  grep '^ *LIVED' "$log" || true
  score=n/a
  [ $((killed + lived)) -gt 0 ] && score=$(awk -v k="$killed" -v l="$lived" 'BEGIN { printf "%.1f %%", 100 * k / (k + l) }')
  summary+=("$(printf '%-9s %6s killed %4d lived %4d not covered %4d timed out %4d  (%s)' "$pkg" "$score" "$killed" "$lived" "$uncovered" "$timedout" "$status")")
done
echo
echo "mutation scores (killed/(killed+lived)); logs in $out"
printf '%s\n' "${summary[@]}"
