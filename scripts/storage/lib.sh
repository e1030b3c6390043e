# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables here are used by the scripts that source this file
# Shared by scripts/storage/up.sh and down.sh (sourced, never run): where the local SeaweedFS
# server keeps its files, its ports, and how to find and query it. Sets no shell options.
#
# Layout (STORAGE_HOME, default <repo>/.storage, gitignored):
#   data/        volumes, the master's metadata and the filer's LevelDB store
#   s3.json      the S3 identities (-s3.config): one access key with a random secret, mode 0600
#   s3.env       endpoint, region, bucket and that key, for the code and tests that use it, 0600
#   ports.env    the ports the server was started with
#   weed.log     the server's log;  weed.pid  its pid
#
# Ports (environment overrides; 127.0.0.1 only). A block of its own, clear of the Fabric
# network's ports (7050-7060, 8051-8054, 9051-9052, 9443-9447, 9998-10000, 10051-10052) and of
# every port SeaweedFS uses by default, derived ones included (8333, 9333, 8080, 8888, each +10000
# for gRPC: 18333, 19333, 18080, 18888; 8181, 9101, 7333, 8111, 2022, 16777, 17777):
#   STORAGE_S3_PORT=28333      STORAGE_S3_GRPC_PORT=28334
#   STORAGE_MASTER_PORT=28330  STORAGE_MASTER_GRPC_PORT=28331
#   STORAGE_VOLUME_PORT=28335  STORAGE_VOLUME_GRPC_PORT=28336
#   STORAGE_FILER_PORT=28337   STORAGE_FILER_GRPC_PORT=28338
# The Iceberg and Lance catalog listeners of `weed server -s3` are turned off.

STORAGE_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STORAGE_SCRIPTS_DIR/../.." && pwd)"
STORAGE_HOME="${STORAGE_HOME:-$REPO_ROOT/.storage}"
DATA_DIR="$STORAGE_HOME/data"
S3_CONFIG="$STORAGE_HOME/s3.json"
S3_ENV="$STORAGE_HOME/s3.env"
PORTS_ENV="$STORAGE_HOME/ports.env"
LOG_FILE="$STORAGE_HOME/weed.log"
PID_FILE="$STORAGE_HOME/weed.pid"
# The binary built by scripts/storage/seaweedfs-binaries.sh (or SEAWEEDFS_WEED, a weed of the
# pinned version built elsewhere).
WEED="${SEAWEEDFS_WEED:-$REPO_ROOT/.seaweedfs/bin/weed}"

STORAGE_HOST=127.0.0.1
STORAGE_REGION="${STORAGE_REGION:-us-east-1}"
STORAGE_BUCKET="${STORAGE_BUCKET:-medshare}"
PORT_VARS=(STORAGE_S3_PORT STORAGE_S3_GRPC_PORT STORAGE_MASTER_PORT STORAGE_MASTER_GRPC_PORT
  STORAGE_VOLUME_PORT STORAGE_VOLUME_GRPC_PORT STORAGE_FILER_PORT STORAGE_FILER_GRPC_PORT)
STORAGE_S3_PORT="${STORAGE_S3_PORT:-28333}"
STORAGE_S3_GRPC_PORT="${STORAGE_S3_GRPC_PORT:-28334}"
STORAGE_MASTER_PORT="${STORAGE_MASTER_PORT:-28330}"
STORAGE_MASTER_GRPC_PORT="${STORAGE_MASTER_GRPC_PORT:-28331}"
STORAGE_VOLUME_PORT="${STORAGE_VOLUME_PORT:-28335}"
STORAGE_VOLUME_GRPC_PORT="${STORAGE_VOLUME_GRPC_PORT:-28336}"
STORAGE_FILER_PORT="${STORAGE_FILER_PORT:-28337}"
STORAGE_FILER_GRPC_PORT="${STORAGE_FILER_GRPC_PORT:-28338}"
S3_ENDPOINT="http://$STORAGE_HOST:$STORAGE_S3_PORT"

# shellcheck disable=SC2034  # read by lib/cli.sh
LOG_TAG=storage
# shellcheck source=SCRIPTDIR/../lib/cli.sh
source "$STORAGE_SCRIPTS_DIR/../lib/cli.sh"

check_ports() { # every port a number in 1024..65535, no two the same
  local v seen=" "
  for v in "${PORT_VARS[@]}"; do
    if ! [[ "${!v}" =~ ^[0-9]{4,5}$ ]] || ((${!v} < 1024 || ${!v} > 65535)); then die "$v=${!v} is not a port in 1024..65535"; fi
    [[ "$seen" != *" ${!v} "* ]] || die "$v=${!v}: the same port is set twice"
    seen+="${!v} "
  done
}

port_in_use() { [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# weed_pid: prints the pid of the server up.sh started, if it still runs; fails otherwise.
# Only a process whose executable is the weed binary counts (a reused pid is not signalled).
weed_pid() {
  local pid exe
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  exe="${exe% (deleted)}" # the binary was rebuilt while it ran
  [[ "${exe##*/}" == weed ]] || return 1
  printf '%s\n' "$pid"
}

# s3_curl METHOD PATH [BODY_FILE]: a SigV4-signed request to the local S3 endpoint with the
# key in s3.env (curl --aws-sigv4, which signs the x-amz-content-sha256 header given here); the
# secret reaches curl on stdin, never on its command line. Prints the response body, then the
# HTTP status on a line of its own (000 when nothing answered within S3_CURL_MAX_TIME, 5 s).
s3_curl() {
  local method="$1" path="$2" body="${3:-}" hash data=()
  # shellcheck source=/dev/null
  source "$S3_ENV"
  if [[ -n "$body" ]]; then
    hash="$(sha256sum "$body" | cut -d' ' -f1)"
    data=(--data-binary "@$body")
  else
    hash=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 # SHA-256 of ""
  fi
  printf 'user = "%s:%s"\n' "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY" |
    curl -sS -K - --max-time "${S3_CURL_MAX_TIME:-5}" --aws-sigv4 "aws:amz:$S3_REGION:s3" -X "$method" \
      -H "x-amz-content-sha256: $hash" "${data[@]}" -w '\n%{http_code}\n' "$S3_ENDPOINT$path" 2>/dev/null ||
    printf '\n000\n'
}
