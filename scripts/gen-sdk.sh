#!/usr/bin/env bash
# Generates the Python SDK from schema/schema.json with the pinned `pulumi package gen-sdk`.
#   scripts/gen-sdk.sh DEST     → DEST/python/pulumi_ocean (DEST=sdk updates the committed SDK)
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:?usage: gen-sdk.sh DEST}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="${PULUMI_HOME:-$tmp/home}"
pulumi package gen-sdk schema/schema.json --language python --out "$tmp/out" >/dev/null
mkdir -p "$dest/python"
rm -rf "$dest/python/pulumi_ocean"
cp -r "$tmp/out/python/pulumi_ocean" "$dest/python/pulumi_ocean"
cp "$tmp/out/python/README.md" "$dest/python/README.md" 2>/dev/null || true
