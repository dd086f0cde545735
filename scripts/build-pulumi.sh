#!/usr/bin/env bash
# Makes one of the two Pulumi engines this project is tested with available, and prints its bin dir.
#
#   scripts/build-pulumi.sh [newest]   -> the newest engine: the Pulumi CLI named in PULUMI_VERSION,
#                                         with the Python language host of PULUMI_VERSION_OLDEST beside it
#   scripts/build-pulumi.sh oldest     -> the oldest supported engine: CLI and Python language host
#                                         both at PULUMI_VERSION_OLDEST
#
# The printed directory holds pulumi, pulumi-language-python and pulumi-language-python-exec.
#
# Order of preference:
#   1. a `pulumi` on PATH at the wanted version with a language host beside it (real users have one)
#      — used as is;
#   2. the cache  ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ocean/pulumi-v<version>/bin;
#   3. a build from Pulumi's Go modules through the Go module proxy, into a temporary directory that
#      is renamed into the cache only when complete (an interrupted or concurrent build never leaves
#      a half cache).
#
# Why two versions: the Go module proxy serves the Pulumi CLI (module github.com/pulumi/pulumi/pkg/v3)
# at every release, but the Python language host only up to v3.79.0. Up to v3.79.0 the host is a
# package of the sdk/v3 module; later releases moved it into a module of its own
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) that the proxy refuses with
# "403 This module version is not available". So the newest engine pairs today's CLI with the v3.79.0
# host, and the v3.79.0 CLI is kept as the oldest supported engine. See README "Pulumi version".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
engine="${1:-newest}"
OLDEST="$(tr -d ' \n' < "$here/../PULUMI_VERSION_OLDEST")"
case "$engine" in
  newest) PIN="$(tr -d ' \n' < "$here/../PULUMI_VERSION")" ;;
  oldest) PIN="$OLDEST" ;;
  *) printf 'usage: %s [newest|oldest]\n' "$0" >&2; exit 2 ;;
esac
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ocean"
final="$cache_root/pulumi-v$PIN"
bin="$final/bin"

log() { printf '%s\n' "$*" >&2; }

have_all() {
  [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-python" ] && [ -x "$1/pulumi-language-python-exec" ]
}

# The newest engine's cache also holds the v3.79.0 host behind its shim (see the build below).
have_build() {
  have_all "$1" && { [ "$engine" = oldest ] || [ -x "$1/pulumi-language-python-v$OLDEST" ]; }
}

# 1. a matching pulumi on PATH, with its language host beside it.
if command -v pulumi >/dev/null 2>&1; then
  onpath="$(dirname "$(command -v pulumi)")"
  if [ "$(pulumi version 2>/dev/null)" = "v$PIN" ] && have_all "$onpath"; then
    printf '%s\n' "$onpath"
    exit 0
  fi
fi

# 2. the cache.
if have_build "$bin"; then
  printf '%s\n' "$bin"
  exit 0
fi

# 3. build.
if ! command -v go >/dev/null 2>&1; then
  log "error: Pulumi CLI v$PIN is needed and was not found, and there is no Go toolchain to build it."
  log "Install Pulumi v$PIN: curl -fsSL https://get.pulumi.com | sh -s -- --version $PIN"
  log "(or install Go >= 1.22 and rerun: the CLI is then built from Pulumi's Go modules)."
  exit 1
fi

# The newest engine borrows the oldest engine's language host: make sure that one exists first.
if [ "$engine" = newest ]; then
  host_bin="$("$here/build-pulumi.sh" oldest)"
fi

log "Building Pulumi CLI v$PIN from Go modules (once; cached in $bin) ..."
mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/.build-v$PIN.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
mkdir -p "$work/src" "$work/bin"

# pkg/v3's go.mod has `replace` directives, so `go install pkg@version` refuses. A throwaway wrapper
# module requires pkg/v3 and sdk/v3 at the same version and repeats pkg/v3's replaces that point at
# other modules (the one pointing at ../sdk is what the sdk/v3 requirement stands for).
cat > "$work/src/go.mod" <<GOMOD
module pulumiocean.local/pulumibuild

go 1.22

require (
	github.com/pulumi/pulumi/pkg/v3 v$PIN
	github.com/pulumi/pulumi/sdk/v3 v$PIN
)
GOMOD
(
  cd "$work/src"
  pkgmod="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PIN" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  go mod edit -json "$pkgmod" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    new = r["New"]
    if new.get("Version"):  # a module, not a local directory
        old = r["Old"]["Path"] + ("@" + r["Old"]["Version"] if r["Old"].get("Version") else "")
        print("-replace=%s=%s@%s" % (old, new["Path"], new["Version"]))
' | while read -r edit; do go mod edit "$edit"; done
) 2>"$work/replace.log" || { cat "$work/replace.log" >&2; exit 1; }

if [ "$engine" = oldest ]; then
  cat > "$work/src/tools.go" <<'GOSRC'
//go:build tools

package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
)
GOSRC
else
  cat > "$work/src/tools.go" <<'GOSRC'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GOSRC
  mkdir -p "$work/src/shim"
  cp "$here/python-host-shim/main.go" "$work/src/shim/main.go"
fi

# Pulumi reads its version from pkg/v3/version (the CLI, up to some 3.x) and sdk/v3/go/common/version
# (plugins, and the CLI later on): without the -X flags the version is empty and the engine silently
# skips its version checks. -X on a variable a version lacks is ignored.
ldflags="-s -w -X github.com/pulumi/pulumi/pkg/v3/version.Version=v$PIN"
ldflags="$ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PIN"
if [ "$engine" = oldest ]; then
  # Pulumi v3.79 depends on github.com/pgavlin/text, which go:linknames into the runtime
  # (internal/bytealg); Go >= 1.23 refuses that unless the linker check is off.
  ldflags="$ldflags -checklinkname=0"
fi
(
  cd "$work/src"
  go mod tidy -e >/dev/null 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; }
  go build -trimpath -ldflags "$ldflags" -o "$work/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  if [ "$engine" = oldest ]; then
    go build -trimpath -ldflags "$ldflags" -o "$work/bin/pulumi-language-python" \
      github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
    sdkdir="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
    install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$work/bin/pulumi-language-python-exec"
  fi
)
if [ "$engine" = newest ]; then
  # The CLI looks for language hosts beside its own executable first. There it finds a shim
  # (scripts/python-host-shim) that starts the v3.79.0 host with the project's runtime options as
  # flags, as a v3.79 CLI does; newer CLIs no longer pass them on the command line, and without them
  # the v3.79.0 host would ignore `runtime.options.virtualenv`.
  (
    cd "$work/src"
    go build -trimpath -ldflags "-s -w -X main.host=pulumi-language-python-v$OLDEST" \
      -o "$work/bin/pulumi-language-python" ./shim
  )
  install -m 0755 "$host_bin/pulumi-language-python" "$work/bin/pulumi-language-python-v$OLDEST"
  install -m 0755 "$host_bin/pulumi-language-python-exec" "$work/bin/"
fi

got="$("$work/bin/pulumi" version)"
if [ "$got" != "v$PIN" ]; then
  log "error: built pulumi reports $got, expected v$PIN"
  exit 1
fi

staged="$work/pulumi-v$PIN"
mkdir -p "$staged" && mv "$work/bin" "$staged/bin"
# An incomplete cache entry (from an older version of this script) is moved out of the way first.
if [ -e "$final" ] && ! have_build "$bin"; then
  mv -T "$final" "$work/stale" 2>/dev/null || true
fi
# Rename into place; a concurrent build that won the race leaves its (identical) copy.
if ! mv -T "$staged" "$final" 2>/dev/null; then
  have_build "$bin" || { log "error: could not install the build into $final"; exit 1; }
fi
log "Built Pulumi $got in $(( $(date +%s) - start ))s."
printf '%s\n' "$bin"
