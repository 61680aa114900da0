#!/usr/bin/env bash
# Builds the image (make image) and tests it without running a container
# (the sandbox refuses `podman run`): the image's filesystem is exported
# and its entrypoint run from that tree with chroot, as the image's user:
#   - `ingestd version`;
#   - a replay of the seed line, which must equal `make run`'s output (that
#     one is checked against the reference sample by TestSeedLineMatchesSample);
#   - nothing is written to the root filesystem, and the tree holds only the
#     binary and the CA bundle.
# Installs podman (Debian) when missing; fails, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null; then
  echo "== installing podman"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman >/dev/null
fi
if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ca-certificates >/dev/null
fi

tag="ingestd:test-$$"
echo "== make image IMAGE=$tag"
make --no-print-directory image IMAGE="$tag" >/dev/null

tree="$(mktemp -d)"
ctr=""
cleanup() {
  [ -n "$ctr" ] && podman rm -f "$ctr" >/dev/null 2>&1 || true
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$tree"
}
trap cleanup EXIT
ctr="$(podman create "$tag")"
podman export "$ctr" | tar -x -C "$tree"
chmod 755 "$tree" # mktemp made it 0700; it is the image's /

fail() { echo "test-image: FAIL: $*" >&2; exit 1; }

user="$(podman image inspect --format '{{.Config.User}}' "$tag")"
[ "$user" = "65532:65532" ] || fail "image user is '$user', want 65532:65532"
entry="$(podman image inspect --format '{{json .Config.Entrypoint}}' "$tag")"
[ "$entry" = '["/usr/bin/ingestd"]' ] || fail "entrypoint is $entry"

# Nothing but the binary and the CA bundle (podman adds empty mount points).
files="$(cd "$tree" && find . -type f | sort | tr '\n' ' ')"
[ "$files" = "./etc/ssl/certs/ca-certificates.crt ./usr/bin/ingestd " ] || fail "unexpected files in the image: $files"
go version -m "$tree/usr/bin/ingestd" | grep -q 'CGO_ENABLED=0' || fail "the binary was built with cgo (not static)"

# The seed line and the data the replay needs, outside the image's tree
# content (as a volume would be), readable by the image's user.
mkdir -p "$tree/data"
cp testdata/audit.2021-09-22.log testdata/GeoLite2-City-Test.mmdb testdata/directory.yaml "$tree/data/"
chmod -R a+rX "$tree/data"
before="$(cd "$tree" && find . -path ./data -prune -o -print | sort | sha256sum)"

echo "== entrypoint from the exported tree: version"
chroot --userspec=65532:65532 "$tree" /usr/bin/ingestd version | tee "$tree/data/version.txt"
grep -q '^ingestd ' "$tree/data/version.txt" || fail "version printed nothing"

echo "== entrypoint from the exported tree: replay of the seed line"
chroot --userspec=65532:65532 "$tree" /usr/bin/ingestd replay --host logstash-ds-q4xg9 \
  --geoip-db /data/GeoLite2-City-Test.mmdb --directory /data/directory.yaml \
  --path-dir /var/log/authing-server /data/audit.2021-09-22.log >"$tree/data/got.ndjson" 2>"$tree/data/stderr.txt" \
  || { cat "$tree/data/stderr.txt" >&2; fail "replay in the image failed"; }
go run ./cmd/ingestd replay --host logstash-ds-q4xg9 --geoip-db testdata/GeoLite2-City-Test.mmdb \
  --directory testdata/directory.yaml --path-dir /var/log/authing-server testdata/audit.2021-09-22.log \
  >"$tree/data/want.ndjson" 2>/dev/null
# path differs only in where the file was read: both record --path-dir.
cmp "$tree/data/got.ndjson" "$tree/data/want.ndjson" || fail "the image's replay differs from make run"
[ "$(wc -l <"$tree/data/got.ndjson")" -eq 1 ] || fail "want one document"

after="$(cd "$tree" && find . -path ./data -prune -o -print | sort | sha256sum)"
[ "$before" = "$after" ] || fail "the image wrote to its root filesystem"
echo "test-image: OK (static binary, user 65532, version and seed replay from the exported filesystem)"
