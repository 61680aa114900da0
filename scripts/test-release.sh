#!/usr/bin/env bash
# make release: both static binaries and SHA256SUMS in dist/, checksums
# that verify, and the amd64 binary prints the stamped version.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "test-release: FAIL: $*" >&2; exit 1; }
version="v0.0.0-ci-$$"
make --no-print-directory release VERSION="$version" >/dev/null
for arch in amd64 arm64; do
  f="dist/ingestd-$version-linux-$arch"
  [ -x "$f" ] || fail "$f missing"
  go version -m "$f" | grep -q 'CGO_ENABLED=0' || fail "$f built with cgo"
  go version -m "$f" | grep -q "GOARCH=$arch" || fail "$f is not $arch"
done
(cd dist && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not verify"
[ "$(wc -l <dist/SHA256SUMS)" -eq 2 ] || fail "SHA256SUMS should list 2 files"
out="$("dist/ingestd-$version-linux-amd64" version)"
echo "$out"
head -1 <<<"$out" | grep -qx "ingestd $version" || fail "version not stamped: $out"
grep -q '^commit: [0-9a-f]\{40\}$' <<<"$out" || fail "commit not stamped: $out"
echo "test-release: OK"
