#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
synopsis() { # printed on usage errors
  cat <<'EOF'

  scripts/network/chaincode-server.sh start [NAME [ORG]] [--module-path DIR]   # default NAME: medshare
  scripts/network/chaincode-server.sh stop [NAME [ORG]]
  scripts/network/chaincode-server.sh status [NAME [ORG]]

  ORG: org1 or org2 (that org's servers), org1-b or org2-b (its second server alone)
EOF
}
usage() {
  cat <<'EOF'
Run a chaincode as a service (CCaaS) for the native network: medshare's by default.
EOF
  synopsis
  cat <<'EOF'

start: runs `fabric-chaincode-node server` on Node 24 (node_modules/.bin first on PATH) for
the Node module in DIR (--module-path, or CC_MODULE_PATH; default the repository's
chaincode/, whose chaincode/dist needs npm run build first; DIR needs a package.json with a
`main`, as fabric-chaincode-node requires).
One server per organization when deploy-chaincode.sh wrote NAME.org1.id and NAME.org2.id
(medshare, by scripts/admin/deploy.sh): ORG (org1 or org2) picks one, none means both; each
runs with its org's package id and address (org1 127.0.0.1:$CCAAS_PORT, org2
127.0.0.1:$CCAAS_ORG2_PORT; CHAINCODE_SERVER_ADDRESS_ORG1/_ORG2 override), logs to
.network/logs/chaincode-NAME-ORG.log, pid in .network/pids/chaincode-NAME-ORG.pid.
Otherwise one server for both orgs' peers (the benchmark's baseline): --chaincode-id from
NAME.id and --chaincode-address CHAINCODE_SERVER_ADDRESS (default 127.0.0.1:$CCAAS_PORT; it
must match the address in the package), log chaincode-NAME.log, pid chaincode-NAME.pid.
K4 comes from MEDSHARE_K4_KEY_FILE; when unset, .network/chaincode/k4.pem is used (by both
orgs' servers: they answer with the same K4) and created (a development key, mode 0600) if
absent. Idempotent: a server already running with the
same package id is left alone; one running with another package id (after an upgrade) is
restarted. Refuses to start when the port is taken by another process.
With CHAINCODE_SERVERS_PER_ORG=2 each org has a second server (b) for its peer1, started
with the same package id at 127.0.0.1:$CCAAS_ORG1_B_PORT / $CCAAS_ORG2_B_PORT (log and pid
chaincode-NAME-ORG-b); deploy-chaincode.sh's packages then hold a template address that each
peer's environment fills in (scripts/network/lib.sh). With 1 (the default) start stops a b
server left running, since no peer dials it any more; stop always stops the b servers too.
stop: SIGTERM, then SIGKILL after 15 s. status: exit 0 when running, 3 when not.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
MODULE_PATH="${CC_MODULE_PATH:-}"
if (($# >= 3)) && [[ "${*: -2:1}" == --module-path ]]; then
  MODULE_PATH="${*: -1}"
  set -- "${@:1:$#-2}"
fi
(($# >= 1 && $# <= 3)) || { synopsis >&2; exit 2; }
ACTION="$1" CC_NAME="${2:-medshare}" ONLY_ORG="${3:-}"
[[ "$ACTION" =~ ^(start|stop|status)$ ]] || { synopsis >&2; exit 2; }
[[ -z "$ONLY_ORG" || "$ONLY_ORG" =~ ^org[12](-b)?$ ]] || { synopsis >&2; exit 2; }
[[ -z "$MODULE_PATH" || "$ACTION" == start ]] || { synopsis >&2; exit 2; }
[[ "$CC_NAME" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "bad chaincode name '$CC_NAME'"

NODE_BIN_DIR="$REPO_ROOT/node_modules/.bin"
[[ -x "$NODE_BIN_DIR/node" ]] || die "Node 24 missing ($NODE_BIN_DIR/node): run npm ci"
NODE_EXE="$(readlink -f "$NODE_BIN_DIR/node")"
CC_HOME="$NETWORK_HOME/chaincode"
# Which servers this call is about: "ORG" and "ORG-b" entries (per-org) or one "" entry (shared).
# SECOND: the b servers that this call starts, or else stops when they run (CHAINCODE_SERVERS_PER_ORG).
load_ports
SERVERS_PER_ORG="$(cc_servers_per_org)"
TARGETS=("") SECOND=()
if [[ -s "$CC_HOME/$CC_NAME.org1.id" || -n "$ONLY_ORG" ]]; then
  if [[ -n "$ONLY_ORG" ]]; then TARGETS=("${ONLY_ORG%-b}"); else TARGETS=("${ORGS[@]}"); fi
  for t in "${TARGETS[@]}"; do SECOND+=("$t-b"); done
  [[ "$ONLY_ORG" == *-b ]] && TARGETS=()
fi
target() { # ORG, ORG-b or empty: sets PROC_NAME ID_FILE LOG_FILE ADDRESS for that server
  load_ports
  if [[ "$1" == *-b ]]; then
    PROC_NAME="chaincode-$CC_NAME-$1" ID_FILE="$CC_HOME/$CC_NAME.${1%-b}.id" ADDRESS="$(cc_address "${1%-b}" b)"
  elif [[ -n "$1" ]]; then
    PROC_NAME="chaincode-$CC_NAME-$1" ID_FILE="$CC_HOME/$CC_NAME.$1.id" ADDRESS="$(cc_address "$1")"
  else
    PROC_NAME="chaincode-$CC_NAME" ID_FILE="$CC_HOME/$CC_NAME.id" ADDRESS="${CHAINCODE_SERVER_ADDRESS:-127.0.0.1:$CCAAS_PORT}"
  fi
  LOG_FILE="$LOG_DIR/$PROC_NAME.log"
}

# The --chaincode-id a running server was started with (from its command line).
running_ccid() { # PID
  tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | sed -n 's/^--chaincode-id=//p' | head -n 1
}

do_status() {
  local pid
  if pid="$(running_pid "$PROC_NAME" "$NODE_EXE")"; then
    ok "$PROC_NAME running (pid $pid, $(running_ccid "$pid"), log $LOG_FILE)"
    return 0
  fi
  echo "$PROC_NAME not running"
  return 3
}

do_stop() { # [NAME]: default PROC_NAME
  mkdir -p "$PID_DIR"
  stop_process "${1:-$PROC_NAME}" "$NODE_EXE"
}

dev_k4() { # creates the development K4 (PKCS#8 PEM, 0600) if absent; prints its path
  local f="$CC_HOME/k4.pem"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$CC_HOME"
    (umask 077 && "$NODE_EXE" -e '
      const p = require(process.argv[1]);
      const pair = p.generateKeyPair();
      require("node:fs").writeFileSync(process.argv[2], p.privateKeyToPem(pair.privateKey), { mode: 0o600 });
    ' "$REPO_ROOT/crypto/dist/sm2/index.js" "$f.tmp") || die "could not create a development K4"
    mv "$f.tmp" "$f"
    ok "created a development K4 in $f (mode 0600; set MEDSHARE_K4_KEY_FILE for a real one)" >&2
  fi
  chmod 600 "$f"
  echo "$f"
}

do_start() {
  [[ -d "$NETWORK_HOME" ]] || die "no network in $NETWORK_HOME: run scripts/network/up.sh first"
  load_ports
  [[ -s "$ID_FILE" ]] || die "no package id in $ID_FILE: run scripts/network/deploy-chaincode.sh $CC_NAME VERSION SEQUENCE first"
  local ccid address="$ADDRESS" port pid k4 i
  ccid="$(tr -d '[:space:]' <"$ID_FILE")"
  [[ "$address" =~ ^[^:]+:([0-9]+)$ ]] || die "the chaincode server address must be host:port, got '$address'"
  port="${BASH_REMATCH[1]}"
  local module="${MODULE_PATH:-$REPO_ROOT/chaincode}"
  [[ -d "$module" ]] || die "no chaincode module in $module"
  module="$(cd "$module" && pwd)"
  [[ -f "$module/package.json" ]] || die "no package.json in $module (fabric-chaincode-node reads its main)"
  if [[ "$module" == "$REPO_ROOT/chaincode" ]]; then
    [[ -f "$REPO_ROOT/chaincode/dist/index.js" ]] || die "chaincode/dist/index.js missing: run npm run build"
  fi

  if pid="$(running_pid "$PROC_NAME" "$NODE_EXE")"; then
    if [[ "$(running_ccid "$pid")" == "$ccid" ]]; then
      ok "$PROC_NAME already running (pid $pid, $ccid)"
      return 0
    fi
    log "$PROC_NAME runs $(running_ccid "$pid"); restarting it with $ccid"
    do_stop
  fi
  # A per-org server replaces the single shared server of an older deployment (same port).
  if [[ "$PROC_NAME" != "chaincode-$CC_NAME" ]] && running_pid "chaincode-$CC_NAME" "$NODE_EXE" >/dev/null; then
    log "stopping the shared chaincode-$CC_NAME server: each organization now runs its own"
    do_stop "chaincode-$CC_NAME"
  fi
  port_in_use "$port" && die "port $port is already in use (ss -ltnp 'sport = :$port'); stop that process or set CHAINCODE_SERVER_ADDRESS"

  if [[ -n "${MEDSHARE_K4_KEY_FILE:-}" ]]; then
    k4="$MEDSHARE_K4_KEY_FILE"
    [[ -r "$k4" ]] || die "MEDSHARE_K4_KEY_FILE=$k4 is not readable"
  else
    k4="$(dev_k4)"
  fi

  mkdir -p "$LOG_DIR" "$PID_DIR"
  printf '\n===== %s starting %s (%s at %s, module %s, K4 %s) =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROC_NAME" "$ccid" "$address" "$module" "$k4" >>"$LOG_FILE"
  # setsid: the server outlives this script and a Ctrl-C in its terminal.
  PATH="$NODE_BIN_DIR:$PATH" MEDSHARE_K4_KEY_FILE="$k4" CORE_CHAINCODE_LOGGING_LEVEL=info \
    setsid "$NODE_BIN_DIR/fabric-chaincode-node" server --chaincode-address="$address" \
    --chaincode-id="$ccid" --module-path="$module" >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$PROC_NAME")"
  for ((i = 0; i < 40; i++)); do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOG_FILE" >&2; rm -f "$(pid_file "$PROC_NAME")"; die "$PROC_NAME exited at once (log: $LOG_FILE)"; }
    port_in_use "$port" && break
    sleep 0.25
  done
  port_in_use "$port" || { tail -n 30 "$LOG_FILE" >&2; die "$PROC_NAME (pid $pid) is not listening on $address after 10s (log: $LOG_FILE)"; }
  ok "$PROC_NAME listening on $address (pid $pid, $ccid, log $LOG_FILE)"
}

status=0
for t in "${TARGETS[@]}"; do
  target "$t"
  case "$ACTION" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status || status=$? ;;
  esac
done
for t in "${SECOND[@]}"; do
  target "$t"
  wanted=0
  [[ "$SERVERS_PER_ORG" == 2 || "$ONLY_ORG" == *-b ]] && wanted=1
  case "$ACTION" in
    start)
      if ((wanted)); then
        do_start
      elif [[ -f "$(pid_file "$PROC_NAME")" ]]; then
        log "stopping $PROC_NAME: with CHAINCODE_SERVERS_PER_ORG=1 no peer dials it"
        do_stop
      fi ;;
    stop) if [[ "$ONLY_ORG" == *-b || -f "$(pid_file "$PROC_NAME")" ]]; then do_stop; fi ;;
    status) if ((wanted)); then do_status || status=$?; fi ;;
  esac
done
exit "$status"

