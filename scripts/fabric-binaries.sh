#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
usage() {
  cat <<'EOF'
Build the Hyperledger Fabric binaries (peer orderer configtxgen cryptogen osnadmin, and the
chaincode-as-a-service builder) natively, at the release pinned in network/fabric-version.env,
and copy that release's sampleconfig. The build is cached per machine, outside any clone,
keyed by version: ${MEDSHARE_CACHE_DIR:-~/.cache/medshare}/fabric-<version>; <repo>/.fabric is
a symlink to it, so every clone on the machine reuses one build.

  scripts/fabric-binaries.sh           build unless the pinned release is already built
  scripts/fabric-binaries.sh --force   rebuild anyway
  scripts/fabric-binaries.sh --check   exit 0 if built, 1 if not; build nothing

Sources, tried in this order:
  1. the pinned build is already in FABRIC_HOME (its stamp names the pinned commit)
  2. FABRIC_SOURCE: a release source tarball (sha256 checked against the pin) or an extracted
     release tree (its Makefile must say the pinned version); built offline with -mod=vendor
  3. `go install` through the Go module proxy at the pinned commit (machines whose proxy
     serves Fabric's release commits)
and a clear error naming each way tried when none works.

Environment:
  FABRIC_VERSION       release to build (default: the pin file's default, 2.5.16)
  FABRIC_SOURCE        release tarball or tree (path 2)
  FABRIC_HOME          install root (default: the versioned cache folder, linked from .fabric)
  MEDSHARE_CACHE_DIR   cache root (default: ~/.cache/medshare)
  FABRIC_VERSION_FILE  pin file (default: <repo>/network/fabric-version.env)

Exit codes: 0 ok, 1 usage/other failure, 2 no usable Go, 3 no source worked.
The ccaas builder (module .../fabric/ccaas_builder, three dependencies from the module proxy)
goes to FABRIC_HOME/ccaas_builder/bin when it builds; if not, scripts/network falls back to
its bash equivalent in scripts/network/ccaas-builder.
EOF
}
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION_FILE="${FABRIC_VERSION_FILE:-$ROOT/network/fabric-version.env}"

FABRIC_MODULE=github.com/hyperledger/fabric
CCAAS_MODULE=github.com/hyperledger/fabric/ccaas_builder
FABRIC_CMDS=(peer orderer configtxgen cryptogen osnadmin)
CCAAS_CMDS=(detect build release)

# shellcheck disable=SC2034  # read by lib/cli.sh
LOG_TAG=fabric-binaries
# shellcheck source=SCRIPTDIR/lib/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/cli.sh"
build_mode "$@"
mode="$BUILD_MODE"

[[ -f "$VERSION_FILE" ]] || die 1 "version pin file not found: $VERSION_FILE"
# shellcheck source=/dev/null
source "$VERSION_FILE"
: "${FABRIC_VERSION:?FABRIC_VERSION not set in $VERSION_FILE}"
[[ -n "${FABRIC_COMMIT:-}" ]] || die 1 "Fabric $FABRIC_VERSION is not pinned in $VERSION_FILE (pinned: see its case table)"
: "${FABRIC_GO_MIN:=1.20}"
[[ "$FABRIC_COMMIT" =~ ^[0-9a-f]{40}$ ]] || die 1 "FABRIC_COMMIT must be a full 40-hex commit hash"
FABRIC_MODULE_VERSION="${FABRIC_MODULE_VERSION:-}"
if [[ -n "$FABRIC_MODULE_VERSION" && "$FABRIC_MODULE_VERSION" != *"-${FABRIC_COMMIT:0:12}" ]]; then
  die 1 "FABRIC_MODULE_VERSION $FABRIC_MODULE_VERSION does not name commit $FABRIC_COMMIT"
fi
QUERY="${FABRIC_MODULE_VERSION:-$FABRIC_COMMIT}"
FABRIC_CCAAS_MODULE_VERSION="${FABRIC_CCAAS_MODULE_VERSION:-}"

CACHE_ROOT="${MEDSHARE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/medshare}"
LINK_DOT_FABRIC=0
if [[ -z "${FABRIC_HOME:-}" ]]; then
  FABRIC_HOME="$CACHE_ROOT/fabric-$FABRIC_VERSION"
  LINK_DOT_FABRIC=1
fi
BIN_DIR="$FABRIC_HOME/bin"
CONFIG_DIR="$FABRIC_HOME/config"
STAMP="$FABRIC_HOME/.build-stamp"
# The ccaas builder binaries go in a subfolder so that bin/detect, bin/build and bin/release
# are not mistaken for anything else on a PATH that includes .fabric/bin.
CCAAS_DIR="$FABRIC_HOME/ccaas_builder"

# <repo>/.fabric -> the versioned cache (a real .fabric folder of an older layout is replaced).
link_dot_fabric() {
  ((LINK_DOT_FABRIC)) || return 0
  local dot="$ROOT/.fabric"
  if [[ -L "$dot" || ! -e "$dot" ]]; then ln -sfn "$FABRIC_HOME" "$dot"
  else rm -rf "$dot" && ln -s "$FABRIC_HOME" "$dot"
  fi
}

all_built() {
  local c
  [[ -f "$STAMP" ]] && grep -qx "commit=$FABRIC_COMMIT" "$STAMP" || return 1
  for c in "${FABRIC_CMDS[@]}"; do [[ -x "$BIN_DIR/$c" ]] || return 1; done
  if grep -qx "ccaas_builder=built" "$STAMP"; then
    for c in "${CCAAS_CMDS[@]}"; do [[ -x "$CCAAS_DIR/bin/$c" ]] || return 1; done
  fi
  [[ -f "$CONFIG_DIR/core.yaml" && -f "$CONFIG_DIR/orderer.yaml" && -f "$CONFIG_DIR/configtx.yaml" && -d "$CONFIG_DIR/msp" ]]
}

if [[ "$mode" == check ]]; then
  if all_built; then say "Fabric $FABRIC_VERSION ($FABRIC_COMMIT) is built in $FABRIC_HOME"; link_dot_fabric; exit 0; fi
  say "Fabric $FABRIC_VERSION is not built in $FABRIC_HOME (run scripts/fabric-binaries.sh)"; exit 1
fi
if [[ "$mode" == build ]] && all_built; then
  link_dot_fabric
  say "Fabric $FABRIC_VERSION ($FABRIC_COMMIT) already built in $FABRIC_HOME; nothing to do (--force rebuilds)"
  exit 0
fi

# ---------------------------------------------------------------- Go toolchain
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  if [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; return 0; fi
  return 1
}

GO="$(find_go || true)"
if [[ -z "$GO" ]]; then
  say "Go is not installed; Fabric $FABRIC_VERSION needs Go >= $FABRIC_GO_MIN"
  debian_go=""
  if command -v apt-cache >/dev/null 2>&1; then
    # Candidate looks like "2:1.19~1": strip the epoch and the Debian revision.
    debian_go="$(apt-cache policy golang-go 2>/dev/null | awk '/Candidate:/ {print $2}' | sed -e 's/^[0-9]*://' -e 's/[~+-].*//')"
  fi
  if [[ -n "$debian_go" && "$debian_go" != "(none)" ]] && version_ge "$debian_go" "$FABRIC_GO_MIN"; then
    say "installing Debian's golang-go $debian_go"
    apt-get install -y golang-go >/dev/null || die 2 "apt-get install golang-go failed"
    GO="$(find_go)" || die 2 "golang-go installed but no go command found"
  else
    die 2 "missing: Go >= $FABRIC_GO_MIN (Debian's golang-go is ${debian_go:-unavailable}, too old). Install Go $FABRIC_GO_MIN or newer (e.g. into /usr/local/go) and rerun."
  fi
fi

GO_VERSION="$("$GO" env GOVERSION)"; GO_VERSION="${GO_VERSION#go}"
version_ge "$GO_VERSION" "$FABRIC_GO_MIN" ||
  die 2 "Go $GO_VERSION at $GO is too old: Fabric $FABRIC_VERSION needs Go >= $FABRIC_GO_MIN"
say "using Go $GO_VERSION ($GO)"

# Use exactly this toolchain: never download another one behind our back.
export GOTOOLCHAIN=local
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT   # neutral cwd: outside any Go module

mkdir -p "$BIN_DIR"
short="${FABRIC_COMMIT:0:7}"
# The release's own ldflags (Makefile METADATA_VAR): version, commit, Docker label and namespace.
LDFLAGS="-X $FABRIC_MODULE/common/metadata.Version=$FABRIC_VERSION -X $FABRIC_MODULE/common/metadata.CommitSHA=$short"
LDFLAGS+=" -X $FABRIC_MODULE/common/metadata.BaseDockerLabel=org.hyperledger.fabric -X $FABRIC_MODULE/common/metadata.DockerNamespace=hyperledger"
FABRIC_DIR=""      # the release tree the binaries came from (its sampleconfig is copied)
SOURCE_DESC=""
CCAAS_STATE=unavailable
tried=()

why() { printf '%s\n' "$*" >"$WORK/reason"; }   # a failed build step's reason, read by the caller
check_release_tree() { # DIR -> fails with a reason when DIR is not the pinned release
  local dir="$1" makefile_ver mod_go
  [[ -f "$dir/Makefile" && -f "$dir/go.mod" && -d "$dir/sampleconfig" ]] || { why "$dir is not a Fabric source tree (no Makefile, go.mod or sampleconfig/)"; return 1; }
  makefile_ver="$(sed -n 's/^FABRIC_VER[[:space:]]*?=[[:space:]]*//p' "$dir/Makefile" | head -n1)"
  [[ "$makefile_ver" == "$FABRIC_VERSION" ]] || { why "$dir is Fabric ${makefile_ver:-?}, not the pinned $FABRIC_VERSION (its Makefile's FABRIC_VER)"; return 1; }
  mod_go="$(sed -n 's/^go[[:space:]]\+\([0-9.]*\).*/\1/p' "$dir/go.mod" | head -n1)"
  if [[ -n "$mod_go" ]] && ! version_ge "$GO_VERSION" "$mod_go"; then
    why "Fabric $FABRIC_VERSION's go.mod needs Go >= $mod_go but Go $GO_VERSION is installed"; return 1
  fi
}

# ---------------------------------------------------------------- path 2: release source
build_from_source() { # -> 0 built, 1 failed (reason on stdout's last line)
  local src="$1" tree sum
  if [[ -f "$src" ]]; then
    sum="$(sha256sum "$src" | awk '{print $1}')"
    [[ -n "${FABRIC_SOURCE_SHA256:-}" ]] || { why "no FABRIC_SOURCE_SHA256 pinned for $FABRIC_VERSION"; return 1; }
    [[ "$sum" == "$FABRIC_SOURCE_SHA256" ]] || { why "$src has sha256 $sum, not the pinned $FABRIC_SOURCE_SHA256"; return 1; }
    say "sha256 of $src matches the pin; extracting" >&2
    tar -xzf "$src" -C "$WORK" || { why "could not extract $src"; return 1; }
    tree="$WORK/fabric-$FABRIC_VERSION"
    [[ -d "$tree" ]] || { why "$src has no fabric-$FABRIC_VERSION/ folder"; return 1; }
  elif [[ -d "$src" ]]; then
    tree="$(cd "$src" && pwd)"
    say "using the extracted tree $tree (no tarball checksum to check)" >&2
  else
    why "FABRIC_SOURCE=$src is neither a file nor a folder"; return 1
  fi
  check_release_tree "$tree" || return 1
  [[ -d "$tree/vendor" ]] || { why "$tree has no vendor/ folder (needed to build offline)"; return 1; }
  local pkgs=() c
  for c in "${FABRIC_CMDS[@]}"; do pkgs+=("./cmd/$c"); done
  say "building ${FABRIC_CMDS[*]} from $tree (-mod=vendor) -> $BIN_DIR" >&2
  (cd "$tree" && GOFLAGS=-mod=vendor "$GO" build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$BIN_DIR/" "${pkgs[@]}") >&2 ||
    { why "go build of the Fabric commands in $tree failed (output above)"; return 1; }
  rm -rf "$CCAAS_DIR"; mkdir -p "$CCAAS_DIR/bin"
  pkgs=(); for c in "${CCAAS_CMDS[@]}"; do pkgs+=("./cmd/$c"); done
  if (cd "$tree/ccaas_builder" && GOFLAGS=-mod=mod "$GO" build -trimpath -buildvcs=false -o "$CCAAS_DIR/bin/" "${pkgs[@]}") >&2; then
    CCAAS_STATE=built
  else
    say "warning: the ccaas builder did not build (output above); the network will use scripts/network/ccaas-builder" >&2
    rm -rf "$CCAAS_DIR"
  fi
  FABRIC_DIR="$tree"
  SOURCE_DESC="source $src"
}

# ---------------------------------------------------------------- path 3: module proxy
resolve() { # module query -> prints Version=, Info=, Dir=, Hash= lines, or fails with go's own error
  local mod="$1" query="$2" out err
  err="$(mktemp)"
  if ! out="$(cd "$WORK" && "$GO" mod download -json "$mod@$query" 2>"$err")"; then
    # `go mod download -json` prints its error inside the JSON; show both.
    {
      echo "----- go mod download $mod@$query failed -----"
      printf '%b\n' "$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')"
      cat "$err"
      echo "------------------------------------------------------"
    } >&2
    rm -f "$err"
    return 1
  fi
  rm -f "$err"
  printf '%s\n' "$out" | sed -n -e 's/^[[:space:]]*"\(Version\|Info\|Dir\|Hash\)": "\(.*\)",\{0,1\}$/\1=\2/p'
}

# `go install pkg@version` also asks the proxy for the module's version list (to report
# deprecations) and fails if that is refused, so build inside a throwaway module that
# requires the pinned version instead: same dependency versions as `go install pkg@version`
# (the dependency's own go.mod decides, replace directives of a dependency never apply).
go_install_in_wrapper() { # name module version gobin ldflags pkg...
  local name="$1" mod="$2" ver="$3" gobin="$4" ldflags="$5"; shift 5
  local dir="$WORK/$name"
  mkdir -p "$dir"
  printf 'module medshare.local/%s\n\ngo %s\n\nrequire %s %s\n' "$name" "$FABRIC_GO_MIN" "$mod" "$ver" >"$dir/go.mod"
  (cd "$dir" && GOFLAGS="-mod=mod" GOBIN="$gobin" "$GO" install -trimpath -ldflags "$ldflags" "$@")
}

build_from_proxy() { # -> 0 built, 1 failed (reason on stdout's last line)
  local info modver hash dir c pkgs=() ccaas_info ccaas_ver
  say "resolving $FABRIC_MODULE@$QUERY (Fabric $FABRIC_VERSION) through $("$GO" env GOPROXY)" >&2
  info="$(resolve "$FABRIC_MODULE" "$QUERY")" || { why "the Go module proxy would not serve $FABRIC_MODULE@$QUERY (error above)"; return 1; }
  modver="$(sed -n 's/^Version=//p' <<<"$info")"
  dir="$(sed -n 's/^Dir=//p' <<<"$info")"
  hash="$(sed -n 's/^Hash=//p' <<<"$info" | head -n1)"
  if [[ -n "$hash" && "$hash" != "$FABRIC_COMMIT" ]]; then
    why "the proxy says $modver is commit $hash, not the pinned $FABRIC_COMMIT"; return 1
  fi
  check_release_tree "$dir" || return 1
  for c in "${FABRIC_CMDS[@]}"; do pkgs+=("$FABRIC_MODULE/cmd/$c"); done
  say "building ${FABRIC_CMDS[*]} at $modver -> $BIN_DIR" >&2
  go_install_in_wrapper fabric "$FABRIC_MODULE" "$modver" "$BIN_DIR" "$LDFLAGS" "${pkgs[@]}" >&2 ||
    { why "go install of the Fabric commands failed (output above)"; return 1; }
  rm -rf "$CCAAS_DIR"
  if ccaas_info="$(resolve "$CCAAS_MODULE" "${FABRIC_CCAAS_MODULE_VERSION:-$FABRIC_COMMIT}")"; then
    ccaas_ver="$(sed -n 's/^Version=//p' <<<"$ccaas_info")"
    mkdir -p "$CCAAS_DIR/bin"
    pkgs=(); for c in "${CCAAS_CMDS[@]}"; do pkgs+=("$CCAAS_MODULE/cmd/$c"); done
    if go_install_in_wrapper ccaas "$CCAAS_MODULE" "$ccaas_ver" "$CCAAS_DIR/bin" "" "${pkgs[@]}" >&2; then CCAAS_STATE=built; else rm -rf "$CCAAS_DIR"; fi
  fi
  FABRIC_DIR="$dir"
  SOURCE_DESC="module proxy $modver"
}

# ---------------------------------------------------------------- try the sources in order
start=$SECONDS
built=0
if [[ -n "${FABRIC_SOURCE:-}" ]]; then
  if build_from_source "$FABRIC_SOURCE"; then built=1
  else tried+=("FABRIC_SOURCE=$FABRIC_SOURCE: $(<"$WORK/reason")"); say "release source failed: $(<"$WORK/reason")"
  fi
else
  tried+=("FABRIC_SOURCE: not set (a release tarball such as shared/fabric/fabric-$FABRIC_VERSION-src.tar.gz, or its extracted tree)")
fi
if ((!built)); then
  if build_from_proxy; then built=1
  else tried+=("go install through the module proxy: $(<"$WORK/reason")")
  fi
fi
if ((!built)); then
  printf '[fabric-binaries] ERROR: could not build Fabric %s (%s). Tried, in order:\n' "$FABRIC_VERSION" "$FABRIC_COMMIT" >&2
  printf '[fabric-binaries]   - %s\n' "already built in $FABRIC_HOME: no (no stamp naming the pinned commit)" "${tried[@]}" >&2
  exit 3
fi
build_secs=$((SECONDS - start))

# ---------------------------------------------------------------- sampleconfig
say "copying sampleconfig of $FABRIC_DIR -> $CONFIG_DIR"
rm -rf "$CONFIG_DIR"; mkdir -p "$CONFIG_DIR"
for f in core.yaml orderer.yaml configtx.yaml msp; do
  cp -R "$FABRIC_DIR/sampleconfig/$f" "$CONFIG_DIR/"
done
chmod -R u+w "$CONFIG_DIR"   # the module cache is read-only

cat >"$STAMP" <<STAMP_EOF
version=$FABRIC_VERSION
commit=$FABRIC_COMMIT
source=$SOURCE_DESC
go=$GO_VERSION
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$build_secs
ccaas_builder=$CCAAS_STATE
STAMP_EOF
link_dot_fabric

"$BIN_DIR/peer" version | sed -e "/^[[:space:]]*$/d" -e "s/^/[fabric-binaries]   /"
say "done in ${build_secs}s from $SOURCE_DESC: binaries in $BIN_DIR, config in $CONFIG_DIR, ccaas builder: $CCAAS_STATE"
