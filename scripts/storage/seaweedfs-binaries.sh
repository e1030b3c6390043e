#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build SeaweedFS's `weed` natively at the module version pinned in storage/seaweedfs-version.env,
# cached per machine like scripts/fabric-binaries.sh: the binary lives in
# ${MEDSHARE_CACHE_DIR:-~/.cache/medshare}/seaweedfs-<version>/bin/weed and <repo>/.seaweedfs is
# a symlink to that folder, so every clone on the machine reuses one build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION_FILE="${SEAWEEDFS_VERSION_FILE:-$ROOT/storage/seaweedfs-version.env}"

usage() {
  cat <<'EOF'
Usage: scripts/storage/seaweedfs-binaries.sh [--force | --check | --help]

Build SeaweedFS's `weed` at the version pinned in storage/seaweedfs-version.env, once per machine.

  (no argument)  build unless the pinned version is already built (a stamp naming it)
  --force        rebuild anyway
  --check        exit 0 if built, 1 if not; build nothing

How: `go mod download -json` of the pinned module through the Go module proxy (its go.sum hash
checked against the pin), a writable copy of that tree, and `go build ./weed` inside it as the
main module (`go install …/weed@version` is refused: the module has replace directives). The
build runs under `nice -n 10`; the first one takes 7-18 min on 2 shared cores and 2.2-2.7 GB of
memory; later ones reuse Go's build cache.

Environment:
  SEAWEEDFS_HOME            install root (default: the versioned cache folder, linked from .seaweedfs)
  MEDSHARE_CACHE_DIR        cache root (default: ~/.cache/medshare)
  SEAWEEDFS_VERSION_FILE    pin file (default: <repo>/storage/seaweedfs-version.env)
  SEAWEEDFS_DOWNLOAD_TIMEOUT  seconds for `go mod download` (default 600)
  SEAWEEDFS_BUILD_TIMEOUT   seconds for `go build` (default 3600)
  SEAWEEDFS_LOCK_TIMEOUT    seconds to wait for another build of the same version (default 3600)

Exit codes: 0 ok, 1 usage/other failure, 2 no usable Go, 3 the build failed.
EOF
}

# shellcheck disable=SC2034  # read by lib/cli.sh
LOG_TAG=seaweedfs-binaries
# shellcheck source=SCRIPTDIR/../lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cli.sh"
build_mode "$@"
mode="$BUILD_MODE"

[[ -f "$VERSION_FILE" ]] || die 1 "version pin file not found: $VERSION_FILE"
# shellcheck source=SCRIPTDIR/../../storage/seaweedfs-version.env
source "$VERSION_FILE"
: "${SEAWEEDFS_MODULE:?SEAWEEDFS_MODULE not set in $VERSION_FILE}"
: "${SEAWEEDFS_MODULE_VERSION:?SEAWEEDFS_MODULE_VERSION not set in $VERSION_FILE}"
: "${SEAWEEDFS_SUM:?SEAWEEDFS_SUM not set in $VERSION_FILE}"
[[ "$SEAWEEDFS_MODULE_VERSION" =~ ^v0\.0\.0-[0-9]{14}-([0-9a-f]{12})$ ]] ||
  die 1 "SEAWEEDFS_MODULE_VERSION must be a Go pseudo-version (v0.0.0-<UTC time>-<12-hex commit>), got '$SEAWEEDFS_MODULE_VERSION'"
COMMIT="${BASH_REMATCH[1]}"
VERSION="$SEAWEEDFS_MODULE_VERSION"

CACHE_ROOT="${MEDSHARE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/medshare}"
LINK_DOT=0
if [[ -z "${SEAWEEDFS_HOME:-}" ]]; then
  SEAWEEDFS_HOME="$CACHE_ROOT/seaweedfs-$VERSION"
  LINK_DOT=1
fi
BIN_DIR="$SEAWEEDFS_HOME/bin"
WEED="$BIN_DIR/weed"
STAMP="$SEAWEEDFS_HOME/.build-stamp"

link_dot() { # <repo>/.seaweedfs -> the versioned cache folder
  ((LINK_DOT)) || return 0
  ln -sfn "$SEAWEEDFS_HOME" "$ROOT/.seaweedfs"
}

built() {
  [[ -f "$STAMP" && -x "$WEED" ]] && grep -qx "module_version=$VERSION" "$STAMP"
}

if [[ "$mode" == check ]]; then
  if built; then
    link_dot
    say "SeaweedFS $VERSION is built: $WEED"
    exit 0
  fi
  say "SeaweedFS $VERSION is not built in $SEAWEEDFS_HOME (run scripts/storage/seaweedfs-binaries.sh)"
  exit 1
fi
if [[ "$mode" == build ]] && built; then
  link_dot
  say "SeaweedFS $VERSION already built: $WEED (--force rebuilds)"
  exit 0
fi

# One build per version at a time: a second caller waits, then finds the stamp.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/seaweedfs-$VERSION.lock"
lock_timeout="${SEAWEEDFS_LOCK_TIMEOUT:-3600}"
if ! flock -n 9; then
  say "another build of SeaweedFS $VERSION is running; waiting up to ${lock_timeout}s for it"
  flock -w "$lock_timeout" 9 || die 1 "gave up after ${lock_timeout}s waiting for $CACHE_ROOT/seaweedfs-$VERSION.lock"
  if [[ "$mode" == build ]] && built; then
    link_dot
    say "SeaweedFS $VERSION was built meanwhile: $WEED"
    exit 0
  fi
fi

# ---------------------------------------------------------------- Go toolchain
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

GO="$(command -v go || true)"
[[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
[[ -n "$GO" ]] || die 2 "no Go toolchain found (tried: go on the PATH, /usr/local/go/bin/go); install Go and rerun"
GO_VERSION="$("$GO" env GOVERSION)"
GO_VERSION="${GO_VERSION#go}"
# Use exactly this toolchain: never download another one behind our back.
export GOTOOLCHAIN=local
WORK="$(mktemp -d)"
SRC="$CACHE_ROOT/seaweedfs-$VERSION.src" # a stable path, so a rebuild hits Go's build cache
trap 'rm -rf "$WORK" "$SRC"' EXIT

tried=("already built in $SEAWEEDFS_HOME: no (no stamp naming module_version=$VERSION)")
fail() { # reason: print everything tried, then exit 3
  tried+=("$1")
  printf '[seaweedfs-binaries] ERROR: could not build SeaweedFS %s. Tried, in order:\n' "$VERSION" >&2
  printf '[seaweedfs-binaries]   - %s\n' "${tried[@]}" >&2
  exit 3
}

# ---------------------------------------------------------------- download
start=$SECONDS
proxy="$("$GO" env GOPROXY)"
say "downloading $SEAWEEDFS_MODULE@$VERSION through $proxy (Go $GO_VERSION)"
dl_timeout="${SEAWEEDFS_DOWNLOAD_TIMEOUT:-600}"
if ! json="$(cd "$WORK" && timeout "$dl_timeout" "$GO" mod download -json "$SEAWEEDFS_MODULE@$VERSION" 2>"$WORK/dl.err")"; then
  # `go mod download -json` reports its error inside the JSON.
  err="$(printf '%b' "$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")")"
  fail "go mod download -json $SEAWEEDFS_MODULE@$VERSION via $proxy (timeout ${dl_timeout}s): ${err:-$(tail -n 3 "$WORK/dl.err")}"
fi
field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"$json" | head -n1; }
dir="$(field Dir)"
sum="$(field Sum)"
tried+=("go mod download -json $SEAWEEDFS_MODULE@$VERSION via $proxy: ok ($dir)")
[[ "$sum" == "$SEAWEEDFS_SUM" ]] ||
  fail "checking the module hash: the proxy's $VERSION has Sum $sum, not the pinned $SEAWEEDFS_SUM"
[[ -f "$dir/go.mod" && -d "$dir/weed" ]] || fail "checking the tree: $dir has no go.mod or weed/"
mod_go="$(sed -n 's/^go[[:space:]]\{1,\}\([0-9.]*\).*/\1/p' "$dir/go.mod" | head -n1)"
if [[ -n "$mod_go" ]] && ! version_ge "$GO_VERSION" "$mod_go"; then
  die 2 "SeaweedFS $VERSION's go.mod needs Go >= $mod_go but Go $GO_VERSION is at $GO"
fi

# ---------------------------------------------------------------- build
# The module cache is read-only and `go build` must run with this module as the main module
# (its replace directives apply only there), so build in a writable copy.
rm -rf "$SRC"
cp -R "$dir" "$SRC"
chmod -R u+w "$SRC"
mkdir -p "$BIN_DIR"
build_timeout="${SEAWEEDFS_BUILD_TIMEOUT:-3600}"
# weed/Makefile's flags (-s -w), plus the commit `weed version` prints.
ldflags="-s -w -X $SEAWEEDFS_MODULE/weed/util/version.COMMIT=$COMMIT"
say "building weed in $SRC -> $WEED (nice -n 10, timeout ${build_timeout}s; the first build takes 7-18 min)"
measure=() # GNU time records the build's peak RSS when it is installed
[[ -x /usr/bin/time ]] && measure=(/usr/bin/time -f '%M' -o "$WORK/rss")
build_start=$SECONDS
if ! (cd "$SRC" && "${measure[@]}" nice -n 10 timeout "$build_timeout" \
  "$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$WEED.partial" ./weed); then
  rm -f "$WEED.partial"
  fail "go build ./weed in $SRC (nice -n 10, timeout ${build_timeout}s): failed (output above)"
fi
mv -f "$WEED.partial" "$WEED"
build_secs=$((SECONDS - build_start))
rss_kb="$(tail -n1 "$WORK/rss" 2>/dev/null || echo unknown)"

cat >"$STAMP" <<STAMP_EOF
module=$SEAWEEDFS_MODULE
module_version=$VERSION
sum=$SEAWEEDFS_SUM
go=$GO_VERSION
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$build_secs
build_peak_rss_kb=$rss_kb
binary_bytes=$(stat -c %s "$WEED")
STAMP_EOF
link_dot

"$WEED" version 2>&1 | sed -e '/^[[:space:]]*$/d' -e 's/^/[seaweedfs-binaries]   /'
say "done in $((SECONDS - start))s (go build ${build_secs}s, peak RSS ${rss_kb} KB): $WEED"
