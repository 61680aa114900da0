#!/usr/bin/env bash
# Checks the deployment files: the systemd units (systemd-analyze verify,
# any warning fails) and the Prometheus alert rules (promtool check rules
# and the unit tests of deploy/prometheus/ingestd-alerts.test.yaml, which
# fire each alert). Installs promtool (Debian package prometheus) when
# missing; fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "test-deploy: FAIL: $*" >&2; exit 1; }

echo "== systemd-analyze verify deploy/systemd/*.service"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (Debian package systemd)"
# The units name /usr/local/bin/ingestd; verify checks that it exists.
go build -o "$tmp/ingestd" ./cmd/ingestd
for u in deploy/systemd/*.service; do
  sed "s#/usr/local/bin/ingestd#$tmp/ingestd#g" "$u" >"$tmp/$(basename "$u")"
done
out="$(systemd-analyze verify "$tmp"/*.service 2>&1)" || fail "$out"
[ -z "$out" ] || fail "systemd-analyze verify warned:
$out"

echo "== promtool check rules / test rules deploy/prometheus"
if ! command -v promtool >/dev/null; then
  echo "== installing promtool (Debian package prometheus)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool check rules deploy/prometheus/ingestd-alerts.yaml
(cd deploy/prometheus && promtool test rules ingestd-alerts.test.yaml)
# Every alert has a unit test that fires it.
for a in $(sed -n 's/^ *- alert: *//p' deploy/prometheus/ingestd-alerts.yaml); do
  grep -q "alertname: $a\$" deploy/prometheus/ingestd-alerts.test.yaml || fail "alert $a has no unit test"
  grep -q "^- \`$a\`: " README.md || fail "alert $a has no runbook line in README.md"
done
echo "test-deploy: OK"
