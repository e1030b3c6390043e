#!/usr/bin/env bash
# Build the Hyperledger Fabric binaries natively with `go install` at the release pinned in
# network/fabric-version.env, into .fabric/bin, and copy Fabric's sampleconfig into
# .fabric/config.
#
#   scripts/fabric-binaries.sh           build unless the pinned commit is already built
#   scripts/fabric-binaries.sh --force   rebuild anyway
#   scripts/fabric-binaries.sh --check   exit 0 if built, 1 if not; build nothing
#
# Environment:
#   FABRIC_HOME          install root (default: <repo>/.fabric)
#   FABRIC_VERSION_FILE  pin file (default: <repo>/network/fabric-version.env)
#
# Exit codes: 0 ok, 1 usage/other failure, 2 no usable Go, 3 module proxy refused Fabric.
# Fabric's chaincode-as-a-service builder (module .../fabric/ccaas_builder) is built into
# .fabric/ccaas_builder/bin when the proxy serves it; if not, scripts/network falls back to
# its bash equivalent in scripts/network/ccaas-builder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION_FILE="${FABRIC_VERSION_FILE:-$ROOT/network/fabric-version.env}"
FABRIC_HOME="${FABRIC_HOME:-$ROOT/.fabric}"
BIN_DIR="$FABRIC_HOME/bin"
CONFIG_DIR="$FABRIC_HOME/config"
STAMP="$FABRIC_HOME/.build-stamp"

FABRIC_MODULE=github.com/hyperledger/fabric
CCAAS_MODULE=github.com/hyperledger/fabric/ccaas_builder
FABRIC_CMDS=(peer orderer configtxgen cryptogen osnadmin)
CCAAS_CMDS=(detect build release)

say() { printf '[fabric-binaries] %s\n' "$*"; }
die() { local code="$1"; shift; printf '[fabric-binaries] ERROR: %s\n' "$*" >&2; exit "$code"; }

mode=build
case "${1:-}" in
  "") ;;
  --force) mode=force ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die 1 "unknown argument '$1' (use --force, --check or --help)" ;;
esac

[[ -f "$VERSION_FILE" ]] || die 1 "version pin file not found: $VERSION_FILE"
# shellcheck source=/dev/null
source "$VERSION_FILE"
: "${FABRIC_VERSION:?FABRIC_VERSION not set in $VERSION_FILE}"
: "${FABRIC_COMMIT:?FABRIC_COMMIT not set in $VERSION_FILE}"
: "${FABRIC_GO_MIN:=1.20}"
[[ "$FABRIC_COMMIT" =~ ^[0-9a-f]{40}$ ]] || die 1 "FABRIC_COMMIT must be a full 40-hex commit hash"
# Optional canonical pseudo-version of that commit (v1.4.0-rc1.0.<time>-<12 hex>): when set it
# is what `go` asks the proxy for, so no VCS lookup of the hash is needed.
FABRIC_MODULE_VERSION="${FABRIC_MODULE_VERSION:-}"
if [[ -n "$FABRIC_MODULE_VERSION" && "$FABRIC_MODULE_VERSION" != *"-${FABRIC_COMMIT:0:12}" ]]; then
  die 1 "FABRIC_MODULE_VERSION $FABRIC_MODULE_VERSION does not name commit $FABRIC_COMMIT"
fi
QUERY="${FABRIC_MODULE_VERSION:-$FABRIC_COMMIT}"
# Likewise for the nested module github.com/hyperledger/fabric/ccaas_builder (v0.0.0-<time>-<12 hex>).
FABRIC_CCAAS_MODULE_VERSION="${FABRIC_CCAAS_MODULE_VERSION:-}"

# The ccaas builder binaries go in a subfolder so that bin/detect, bin/build and bin/release
# are not mistaken for anything else on a PATH that includes .fabric/bin.
CCAAS_DIR="$FABRIC_HOME/ccaas_builder"

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
  if all_built; then say "Fabric $FABRIC_VERSION ($FABRIC_COMMIT) is built in $FABRIC_HOME"; exit 0; fi
  say "Fabric $FABRIC_VERSION is not built (run scripts/fabric-binaries.sh)"; exit 1
fi
if [[ "$mode" == build ]] && all_built; then
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

# ---------------------------------------------------------------- resolve the pinned commit
resolve() { # module query -> prints Version=, Time=, Dir=, GoMod=, Hash= lines, or fails with go's own error
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
info_field() { # info-file field -> value of a string field of the module's .info JSON
  sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n1
}

say "resolving $FABRIC_MODULE@$QUERY (Fabric $FABRIC_VERSION) through $("$GO" env GOPROXY)"
if ! fabric_info="$(resolve "$FABRIC_MODULE" "$QUERY")"; then
  die 3 "the Go module proxy would not serve Fabric $FABRIC_VERSION at commit $FABRIC_COMMIT (error above). Without it the binaries cannot be built on this machine."
fi
FABRIC_MODVER="$(sed -n 's/^Version=//p' <<<"$fabric_info")"
FABRIC_INFO="$(sed -n 's/^Info=//p' <<<"$fabric_info")"
FABRIC_TIME="$(info_field "$FABRIC_INFO" Time)"
FABRIC_DIR="$(sed -n 's/^Dir=//p' <<<"$fabric_info")"
FABRIC_HASH="$(sed -n 's/^Hash=//p' <<<"$fabric_info" | head -n1)"
[[ -n "$FABRIC_HASH" ]] || FABRIC_HASH="$(info_field "$FABRIC_INFO" Hash)"
say "resolved to $FABRIC_MODVER (commit time $FABRIC_TIME)"
if [[ -n "$FABRIC_HASH" && "$FABRIC_HASH" != "$FABRIC_COMMIT" ]]; then
  die 1 "the proxy says $FABRIC_MODVER is commit $FABRIC_HASH, not the pinned $FABRIC_COMMIT"
fi

# Check that the commit really is the release we pinned: the release branch's Makefile
# carries FABRIC_VER and the tag commit carries its release notes.
makefile_ver="$(sed -n 's/^FABRIC_VER[[:space:]]*?=[[:space:]]*//p' "$FABRIC_DIR/Makefile" | head -n1)"
[[ "$makefile_ver" == "$FABRIC_VERSION" ]] ||
  die 1 "commit $FABRIC_COMMIT is not Fabric $FABRIC_VERSION: its Makefile says FABRIC_VER=${makefile_ver:-?}"
[[ -f "$FABRIC_DIR/release_notes/v$FABRIC_VERSION.md" ]] ||
  say "warning: release_notes/v$FABRIC_VERSION.md is missing at this commit"
mod_go="$(sed -n 's/^go[[:space:]]\+\([0-9.]*\).*/\1/p' "$FABRIC_DIR/go.mod" | head -n1)"
if [[ -n "$mod_go" ]] && ! version_ge "$GO_VERSION" "$mod_go"; then
  die 2 "Fabric $FABRIC_VERSION's go.mod needs Go >= $mod_go but Go $GO_VERSION is installed"
fi

# The ccaas builder is optional: without it scripts/network uses its bash equivalent.
CCAAS_MODVER=""
if ccaas_info="$(resolve "$CCAAS_MODULE" "${FABRIC_CCAAS_MODULE_VERSION:-$FABRIC_COMMIT}")"; then
  CCAAS_MODVER="$(sed -n 's/^Version=//p' <<<"$ccaas_info")"
  say "resolved $CCAAS_MODULE to $CCAAS_MODVER"
else
  say "warning: $CCAAS_MODULE not available (error above); the network will use scripts/network/ccaas-builder instead"
fi

# ---------------------------------------------------------------- build
mkdir -p "$BIN_DIR"
short="${FABRIC_COMMIT:0:7}"
LDFLAGS="-X $FABRIC_MODULE/common/metadata.Version=$FABRIC_VERSION -X $FABRIC_MODULE/common/metadata.CommitSHA=$short"
start=$SECONDS

# `go install pkg@version` also asks the proxy for the module's version list (to report
# deprecations) and fails if that is refused, so build inside a throwaway module that
# requires the pinned version instead: same dependency versions as `go install pkg@version`
# (the dependency's own go.mod decides, replace directives of a dependency never apply).
go_install_in_wrapper() { # name module version gobin ldflags pkg...
  local name="$1" mod="$2" ver="$3" gobin="$4" ldflags="$5"; shift 5
  local dir="$WORK/$name"
  mkdir -p "$dir"
  printf 'module medshare.local/%s\n\ngo %s\n\nrequire %s %s\n' "$name" "${mod_go:-1.20}" "$mod" "$ver" >"$dir/go.mod"
  (cd "$dir" && GOFLAGS="${GOFLAGS:-} -mod=mod" GOBIN="$gobin" "$GO" install -trimpath -ldflags "$ldflags" "$@")
}

say "building ${FABRIC_CMDS[*]} -> $BIN_DIR"
pkgs=(); for c in "${FABRIC_CMDS[@]}"; do pkgs+=("$FABRIC_MODULE/cmd/$c"); done
go_install_in_wrapper fabric "$FABRIC_MODULE" "$FABRIC_MODVER" "$BIN_DIR" "$LDFLAGS" "${pkgs[@]}" ||
  die 1 "go install of the Fabric commands failed (output above)"

ccaas_state=unavailable
rm -rf "$CCAAS_DIR"
if [[ -n "$CCAAS_MODVER" ]]; then
  say "building ccaas builder ${CCAAS_CMDS[*]} -> $CCAAS_DIR/bin"
  mkdir -p "$CCAAS_DIR/bin"
  pkgs=(); for c in "${CCAAS_CMDS[@]}"; do pkgs+=("$CCAAS_MODULE/cmd/$c"); done
  go_install_in_wrapper ccaas "$CCAAS_MODULE" "$CCAAS_MODVER" "$CCAAS_DIR/bin" "" "${pkgs[@]}" ||
    die 1 "go install of the ccaas builder failed (output above)"
  ccaas_state=built
fi
build_secs=$((SECONDS - start))

# ---------------------------------------------------------------- sampleconfig
say "copying sampleconfig -> $CONFIG_DIR"
rm -rf "$CONFIG_DIR"; mkdir -p "$CONFIG_DIR"
for f in core.yaml orderer.yaml configtx.yaml msp; do
  cp -R "$FABRIC_DIR/sampleconfig/$f" "$CONFIG_DIR/"
done
chmod -R u+w "$CONFIG_DIR"   # the module cache is read-only

cat >"$STAMP" <<EOF
version=$FABRIC_VERSION
commit=$FABRIC_COMMIT
module_version=$FABRIC_MODVER
commit_time=$FABRIC_TIME
go=$GO_VERSION
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$build_secs
ccaas_builder=$ccaas_state
EOF

"$BIN_DIR/peer" version | sed -e "/^[[:space:]]*$/d" -e "s/^/[fabric-binaries]   /"
say "done in ${build_secs}s: binaries in $BIN_DIR, config in $CONFIG_DIR, ccaas builder: $ccaas_state${CCAAS_MODVER:+ ($CCAAS_DIR/bin)}"
