#!/usr/bin/env bash
# Generates the Python SDK from schema/schema.json with `pulumi package gen-sdk` (the oldest supported
# engine's, so that the SDK runs on every `pulumi` SDK from v3.79.0 on), then applies two changes:
#   - the SDK reads its own version with importlib.metadata instead of pkg_resources, which newer
#     setuptools no longer ship (and Python >= 3.12 virtualenvs do not have at all);
#   - importing it shows a one-line hint when the provider is not installed for Pulumi
#     (ocean.plugin.warn_if_missing).
#   scripts/gen-sdk.sh DEST     → DEST/python/pulumi_ocean (DEST=sdk updates the committed SDK)
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:?usage: gen-sdk.sh DEST}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="${PULUMI_HOME:-$tmp/home}"
pulumi package gen-sdk schema/schema.json --language python --out "$tmp/out" >/dev/null
python3 - "$tmp/out/python/pulumi_ocean/_utilities.py" <<'PY'
import sys

path = sys.argv[1]
text = open(path).read()
edits = [
    ("import pkg_resources\n", "import importlib.metadata\n"),
    ("pkg_resources.require(root_package)[0].version", "importlib.metadata.version(root_package)"),
    (
        "    # pkg_resources uses setuptools to inspect the set of installed packages. We use it here to ask\n"
        "    # for the currently installed version of the root package (i.e. us) and get its version.\n",
        "    # importlib.metadata gives the currently installed version of the root package (i.e. us).\n",
    ),
]
for old, new in edits:
    if text.count(old) != 1:
        sys.exit(f"gen-sdk.sh: {path} changed shape: expected once: {old!r}")
    text = text.replace(old, new)
text += '''

# Added by scripts/gen-sdk.sh: a one-line hint when Pulumi cannot find the provider plugin.
try:
    from ocean.plugin import warn_if_missing as _warn_if_missing
except ImportError:
    pass
else:
    _warn_if_missing()
'''
open(path, "w").write(text)
PY
mkdir -p "$dest/python"
rm -rf "$dest/python/pulumi_ocean"
cp -r "$tmp/out/python/pulumi_ocean" "$dest/python/pulumi_ocean"
cp "$tmp/out/python/README.md" "$dest/python/README.md" 2>/dev/null || true
