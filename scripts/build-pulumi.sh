#!/usr/bin/env bash
# Makes the pinned Pulumi CLI and Python language host available, and prints the bin directory.
#
#   scripts/build-pulumi.sh            -> prints the directory holding pulumi, pulumi-language-python
#                                          and pulumi-language-python-exec
#
# Order of preference:
#   1. a `pulumi` on PATH at the pinned version (real users have one) — used as is;
#   2. the cache  ${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ocean/pulumi-v<pin>/bin;
#   3. a build from Pulumi's Go modules through the Go module proxy, into a temporary directory that
#      is renamed into the cache only when complete (an interrupted or concurrent build never leaves
#      a half cache).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PIN="$(tr -d ' \n' < "$here/../PULUMI_VERSION")"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ocean"
bin="$cache_root/pulumi-v$PIN/bin"

log() { printf '%s\n' "$*" >&2; }

have_all() {
  [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-python" ] && [ -x "$1/pulumi-language-python-exec" ]
}

# 1. a matching pulumi on PATH, with its language host beside it or on PATH.
if command -v pulumi >/dev/null 2>&1; then
  onpath="$(dirname "$(command -v pulumi)")"
  if [ "$(pulumi version 2>/dev/null)" = "v$PIN" ] && have_all "$onpath"; then
    printf '%s\n' "$onpath"
    exit 0
  fi
fi

# 2. the cache.
if have_all "$bin"; then
  printf '%s\n' "$bin"
  exit 0
fi

# 3. build.
if ! command -v go >/dev/null 2>&1; then
  log "error: Pulumi CLI v$PIN is needed and was not found, and there is no Go toolchain to build it."
  log "Install Pulumi v$PIN: curl -fsSL https://get.pulumi.com | sh -s -- --version $PIN"
  log "(or install Go >= 1.20 and rerun: the CLI is then built from Pulumi's Go modules)."
  exit 1
fi

log "Building Pulumi CLI v$PIN and its Python language host from Go modules (once; cached in $bin) ..."
mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/.build-v$PIN.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# Pulumi v3.79.0 is the newest release whose Python language host resolves through the Go module
# proxy reachable here: up to v3.79.0 the host is a package of the sdk/v3 module; later releases moved
# it into a module of its own (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
# that the proxy refuses with "403 This module version is not available". See README "Pulumi version".
#
# pkg/v3's go.mod has `replace` directives, so `go install pkg@version` refuses; a throwaway wrapper
# module requires both modules and repeats only the replaces that dependencies need.
mkdir -p "$work/src" "$work/bin"
cat > "$work/src/go.mod" <<GOMOD
module pulumiocean.local/pulumibuild

go 1.20

require (
	github.com/pulumi/pulumi/pkg/v3 v$PIN
	github.com/pulumi/pulumi/sdk/v3 v$PIN
)

replace github.com/sergi/go-diff => github.com/sergi/go-diff v1.1.0

replace github.com/xanzy/ssh-agent => github.com/pulumi/ssh-agent v0.5.1
GOMOD
cat > "$work/src/tools.go" <<'GOSRC'
//go:build tools

package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
)
GOSRC

# -checklinkname=0: Pulumi v3.79 depends on github.com/pgavlin/text, which go:linknames into the
# runtime (internal/bytealg); Go >= 1.23 refuses that unless the linker check is off.
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# Pulumi v3.79 reads its version from pkg/v3/version (the CLI) and sdk/v3/go/common/version (plugins):
# without the -X flags the version is empty and the engine silently skips its version checks.
ldflags="-s -w -checklinkname=0 -X github.com/pulumi/pulumi/pkg/v3/version.Version=v$PIN"
ldflags="$ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PIN"
(
  cd "$work/src"
  go mod tidy -e >/dev/null 2>"$work/tidy.log" || { cat "$work/tidy.log" >&2; exit 1; }
  go build -trimpath -ldflags "$ldflags" -o "$work/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  go build -trimpath -ldflags "$ldflags" -o "$work/bin/pulumi-language-python" \
    github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
  sdkdir="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$work/bin/pulumi-language-python-exec"
)

got="$("$work/bin/pulumi" version)"
if [ "$got" != "v$PIN" ]; then
  log "error: built pulumi reports $got, expected v$PIN"
  exit 1
fi

mkdir -p "$(dirname "$bin")"
final="$cache_root/pulumi-v$PIN"
staged="$work/pulumi-v$PIN"
mkdir -p "$staged" && mv "$work/bin" "$staged/bin"
# Rename into place; a concurrent build that won the race leaves its (identical) copy.
if ! mv -T "$staged" "$final" 2>/dev/null; then
  have_all "$bin" || { log "error: could not install the build into $final"; exit 1; }
fi
log "Built Pulumi $got in $(( $(date +%s) - start ))s."
printf '%s\n' "$bin"
