#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Usage: scripts/storage/up.sh   (npm run storage:up)

Start a local SeaweedFS server (`weed server -s3`: master, volume, filer and S3 gateway in one
process) for the S3 blob-store backend, bound to 127.0.0.1 only, and wait until it serves S3.

Builds weed first if this machine has no build of the pinned version
(scripts/storage/seaweedfs-binaries.sh; once per machine). On first start it writes the S3
identities (one access key, random secret) to .storage/s3.json, mode 0600, and the same key
with the endpoint, region and bucket to .storage/s3.env. Ready means: a signed ListBuckets
answers 200, the bucket exists (created if missing) and a probe object can be written and
deleted. Data, log (weed.log) and pid file live in .storage/ (STORAGE_HOME); ports and their
environment overrides: scripts/storage/lib.sh.

Idempotent: a server that already runs is checked for readiness and left alone. Refuses to
start when one of its ports is taken. scripts/storage/down.sh stops it and keeps the data.

Environment: STORAGE_HOME, STORAGE_BUCKET (default medshare), STORAGE_REGION (default
us-east-1), STORAGE_READY_TIMEOUT (seconds, default 90), the STORAGE_*_PORT variables,
SEAWEEDFS_WEED (a weed binary to use instead of .seaweedfs/bin/weed).
Exit codes: 0 ready, 1 failed (the log's last lines are printed), 2 usage.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

no_arguments "$@"
check_ports
READY_TIMEOUT="${STORAGE_READY_TIMEOUT:-90}"
[[ "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || die "STORAGE_READY_TIMEOUT=$READY_TIMEOUT is not a number of seconds"
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
command -v openssl >/dev/null || die "openssl is needed for the S3 secret (apt-get install openssl)"

if [[ -z "${SEAWEEDFS_WEED:-}" ]] && ! bash "$STORAGE_SCRIPTS_DIR/seaweedfs-binaries.sh" --check >/dev/null; then
  say "no build of the pinned SeaweedFS on this machine yet: building it (once per machine, 7-18 min on 2 cores)"
  bash "$STORAGE_SCRIPTS_DIR/seaweedfs-binaries.sh" || die "scripts/storage/seaweedfs-binaries.sh failed (output above)"
fi
[[ -x "$WEED" ]] || die "no weed binary at $WEED"

log_tail() {
  printf -- '----- last lines of %s -----\n' "$LOG_FILE" >&2
  tail -n 25 "$LOG_FILE" >&2 2>/dev/null || true
}

# ---------------------------------------------------------------- credentials (first start)
mkdir -p "$DATA_DIR"
chmod 700 "$STORAGE_HOME"
if [[ ! -s "$S3_CONFIG" || ! -s "$S3_ENV" ]]; then
  access_key="medshare$(openssl rand -hex 6)"
  secret_key="$(openssl rand -hex 32)"
  (
    umask 077
    cat >"$S3_CONFIG.tmp" <<JSON
{
  "identities": [
    {
      "name": "medshare-gateway",
      "credentials": [{ "accessKey": "$access_key", "secretKey": "$secret_key" }],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
JSON
    mv -f "$S3_CONFIG.tmp" "$S3_CONFIG"
    cat >"$S3_ENV.tmp" <<ENV
# The local SeaweedFS S3 endpoint (scripts/storage/up.sh). Secret: keep out of git and logs.
S3_ENDPOINT=$S3_ENDPOINT
S3_REGION=$STORAGE_REGION
S3_BUCKET=$STORAGE_BUCKET
S3_ACCESS_KEY_ID=$access_key
S3_SECRET_ACCESS_KEY=$secret_key
ENV
    mv -f "$S3_ENV.tmp" "$S3_ENV"
  )
  say "wrote a new S3 access key to $S3_CONFIG and $S3_ENV (mode 0600)"
fi
# The endpoint and bucket follow this run's settings; the key stays.
sed -i -e "s|^S3_ENDPOINT=.*|S3_ENDPOINT=$S3_ENDPOINT|" -e "s|^S3_REGION=.*|S3_REGION=$STORAGE_REGION|" \
  -e "s|^S3_BUCKET=.*|S3_BUCKET=$STORAGE_BUCKET|" "$S3_ENV"

status_of() { tail -n1 <<<"$1"; }

# ready: ListBuckets signed with our key answers 200, the bucket exists, a probe object is
# written and deleted. Fails (quietly) while any step does not work yet.
PROBE="$STORAGE_HOME/.probe"
ready() {
  local out
  out="$(s3_curl GET /)"
  [[ "$(status_of "$out")" == 200 ]] || return 1
  if ! grep -q "<Name>$STORAGE_BUCKET</Name>" <<<"$out"; then
    out="$(s3_curl PUT "/$STORAGE_BUCKET")"
    # 409 BucketAlreadyOwnedByYou: another caller created it meanwhile.
    [[ "$(status_of "$out")" =~ ^(200|409)$ ]] || return 1
  fi
  printf 'ready\n' >"$PROBE"
  # The first write waits inside the server (lock ring, volume growth): let it, rather than
  # abandoning it and asking again.
  [[ "$(status_of "$(S3_CURL_MAX_TIME=30 s3_curl PUT "/$STORAGE_BUCKET/.medshare-ready" "$PROBE")")" == 200 ]] || return 1
  [[ "$(status_of "$(s3_curl DELETE "/$STORAGE_BUCKET/.medshare-ready")")" == 204 ]]
}

rss_mb() { awk '/^VmRSS:/ {printf "%d", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo '?'; }

if pid="$(weed_pid)"; then
  ready || die "SeaweedFS (pid $pid) runs but does not serve S3 on $S3_ENDPOINT; scripts/storage/down.sh and retry (log: $LOG_FILE)"
  say "SeaweedFS already running (pid $pid, RSS $(rss_mb "$pid") MB): S3 on $S3_ENDPOINT, bucket $STORAGE_BUCKET"
  exit 0
fi
rm -f "$PID_FILE"

for v in "${PORT_VARS[@]}"; do
  port_in_use "${!v}" && die "port ${!v} ($v) is already in use (ss -ltnp 'sport = :${!v}'); stop that process or set $v"
done
{
  for v in "${PORT_VARS[@]}"; do printf '%s=%s\n' "$v" "${!v}"; done
} >"$PORTS_ENV"

# ---------------------------------------------------------------- start
printf '\n===== %s starting %s server -s3 (S3 %s) =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$WEED" "$S3_ENDPOINT" >>"$LOG_FILE"
args=(
  -logtostderr=true server
  -ip="$STORAGE_HOST" -ip.bind="$STORAGE_HOST" -dir="$DATA_DIR"
  -master.port="$STORAGE_MASTER_PORT" -master.port.grpc="$STORAGE_MASTER_GRPC_PORT"
  -master.telemetry=false -master.volumeSizeLimitMB=1024
  -master.electionTimeout=2s
  -volume.port="$STORAGE_VOLUME_PORT" -volume.port.grpc="$STORAGE_VOLUME_GRPC_PORT"
  -volume.max=0 -volume.preStopSeconds=1
  -filer -filer.port="$STORAGE_FILER_PORT" -filer.port.grpc="$STORAGE_FILER_GRPC_PORT"
  -filer.localSocket="$STORAGE_HOME/filer.sock"
  -s3 -s3.port="$STORAGE_S3_PORT" -s3.port.grpc="$STORAGE_S3_GRPC_PORT"
  -s3.port.iceberg=0 -s3.port.lance=0 -s3.localSocket="$STORAGE_HOME/s3.sock"
  -s3.config="$S3_CONFIG"
)
t0=$SECONDS
start_ns="$(date +%s%N)"
# setsid: the server outlives this script and a Ctrl-C in its terminal. cwd: nothing lands
# in the caller's folder.
(cd "$STORAGE_HOME" && exec setsid "$WEED" "${args[@]}" >>"$LOG_FILE" 2>&1 </dev/null) &
pid=$!
disown "$pid" # no job notice from this shell when down.sh kills it
echo "$pid" >"$PID_FILE"
say "started weed (pid $pid), waiting up to ${READY_TIMEOUT}s for S3 on $S3_ENDPOINT (log: $LOG_FILE)"

until ready; do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$PID_FILE"
    log_tail
    die "weed (pid $pid) exited before it was ready (log: $LOG_FILE)"
  fi
  if ((SECONDS - t0 >= READY_TIMEOUT)); then
    log_tail
    bash "$STORAGE_SCRIPTS_DIR/down.sh" >&2 || true
    die "SeaweedFS did not serve S3 on $S3_ENDPOINT within ${READY_TIMEOUT}s (stopped it again; log: $LOG_FILE)"
  fi
  sleep 0.5
done
rm -f "$PROBE"
ready_ms=$((($(date +%s%N) - start_ns) / 1000000))
say "SeaweedFS ready in $((ready_ms / 1000)).$(printf '%03d' $((ready_ms % 1000)))s (pid $pid, RSS $(rss_mb "$pid") MB): S3 on $S3_ENDPOINT, bucket $STORAGE_BUCKET, credentials in $S3_ENV"
