#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'USAGE'
Usage: scripts/storage/down.sh   (npm run storage:down)

Stop the local SeaweedFS server that scripts/storage/up.sh started: SIGTERM, then SIGKILL after
STORAGE_STOP_TIMEOUT seconds (default 15; `weed server` does not always stop on SIGTERM).
Keeps the data, credentials and log in .storage/ (STORAGE_HOME): up.sh brings the same store
back; delete .storage/ to start empty. Only the process in .storage/weed.pid is signalled, and
only if its executable is weed. Idempotent: nothing running is not an error.
Exit codes: 0 stopped or not running, 1 it would not die, 2 usage.
USAGE
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

no_arguments "$@"
STOP_TIMEOUT="${STORAGE_STOP_TIMEOUT:-15}"
[[ "$STOP_TIMEOUT" =~ ^[0-9]+$ ]] || die "STORAGE_STOP_TIMEOUT=$STOP_TIMEOUT is not a number of seconds"

if ! pid="$(weed_pid)"; then
  if [[ -f "$PID_FILE" ]]; then
    rm -f "$PID_FILE"
    say "SeaweedFS was not running (stale pid file removed)"
  else
    say "SeaweedFS not running"
  fi
  exit 0
fi

gone() { ! kill -0 "$pid" 2>/dev/null; }
wait_gone() { # seconds: polls every 0.2 s
  local i
  for ((i = 0; i < $1 * 5; i++)); do
    gone && return 0
    sleep 0.2
  done
  gone
}

start_ns="$(date +%s%N)"
kill -TERM "$pid" 2>/dev/null || true
how=SIGTERM
if ! wait_gone "$STOP_TIMEOUT"; then
  say "weed (pid $pid) still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  how=SIGKILL
  wait_gone 5 || die "weed (pid $pid) survived SIGKILL for 5s"
fi
rm -f "$PID_FILE"
# `weed server` also serves each gRPC port on /tmp/seaweedfs-<name>-grpc-<port>.sock (a fixed
# path); a killed master leaves its socket behind. Remove ours, with the ports it started with.
if [[ -f "$PORTS_ENV" ]]; then
  # shellcheck source=/dev/null
  source "$PORTS_ENV"
fi
for sock in "master:$STORAGE_MASTER_GRPC_PORT" "volume:$STORAGE_VOLUME_GRPC_PORT" "filer:$STORAGE_FILER_GRPC_PORT" "s3:$STORAGE_S3_GRPC_PORT"; do
  sock="/tmp/seaweedfs-${sock%%:*}-grpc-${sock#*:}.sock"
  if [[ -S "$sock" ]]; then rm -f "$sock"; fi
done
ms=$((($(date +%s%N) - start_ns) / 1000000))
say "SeaweedFS stopped by $how in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s (pid $pid); data kept in $STORAGE_HOME"
