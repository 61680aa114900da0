#!/usr/bin/env bash
# Fetch the real-world browser user agents of the npm package
# user-agents@2.1.198 (dist/user-agents.json: 10 000 weighted samples,
# ~950 distinct agents) into a cache outside git, and print the file's path.
# Used by enrich/uamatch's equality test; never committed.
set -euo pipefail

version=2.1.198
cache="${INGESTD_CACHE:-$HOME/.cache/ingestd}/user-agents"
file="$cache/user-agents-$version.json"
want_sha=5432ce503c8d18fb6ac2dd668d019df3fdd94843a9472fda2525507f988e0022

if [ -f "$file" ] && echo "$want_sha  $file" | sha256sum -c --status; then
  echo "$file"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-user-agents: npm is required" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "user-agents@$version" >/dev/null)
tar -xzf "$tmp/user-agents-$version.tgz" -C "$tmp" package/dist/user-agents.json
if ! echo "$want_sha  $tmp/package/dist/user-agents.json" | sha256sum -c --status; then
  echo "fetch-user-agents: checksum mismatch for user-agents.json" >&2
  exit 1
fi
mv "$tmp/package/dist/user-agents.json" "$file"
echo "$file"
