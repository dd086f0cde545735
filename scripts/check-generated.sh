#!/usr/bin/env bash
# Fails when the committed schema/schema.json or sdk/python differ from what the code generates.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
.venv/bin/ocean schema > "$tmp/schema.json"
if ! diff -u schema/schema.json "$tmp/schema.json" > "$tmp/schema.diff"; then
  head -40 "$tmp/schema.diff" >&2
  echo "error: schema/schema.json is stale: run \`make schema sdk\` and commit the result." >&2
  exit 1
fi
scripts/gen-sdk.sh "$tmp/sdk"
if ! diff -ru --exclude=__pycache__ sdk/python "$tmp/sdk/python" > "$tmp/sdk.diff"; then
  head -40 "$tmp/sdk.diff" >&2
  echo "error: sdk/python is stale: run \`make sdk\` and commit the result." >&2
  exit 1
fi
echo "schema and SDK are up to date"
