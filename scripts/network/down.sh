#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Stop the native medshare network's processes (peers first, then the orderer). Keeps all
data in .network/, so scripts/network/up.sh brings the same network back.
Only processes started by up.sh are touched: each is found through its pid file and
checked to be the Fabric binary before it is signalled.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 0)) || die "usage: $0 (no arguments)"

if [[ ! -d "$PID_DIR" ]]; then
  ok "nothing to stop (no $PID_DIR)"
  exit 0
fi
log "stopping the medshare network in $NETWORK_HOME"
if [[ -f "$RUNTIME_FILE" && "$(<"$RUNTIME_FILE")" == docker ]]; then
  compose down || die "docker compose down failed"
  rm -f "$PID_DIR"/*.pid
  ok "containers removed; data kept in $NETWORK_HOME (scripts/network/reset.sh wipes it)"
  exit 0
fi
# Chaincode servers first (scripts/network/chaincode-server.sh; chaincode-NAME-ORG.pid, one per
# organization, or chaincode-NAME.pid for a shared one such as the baseline), so reset.sh never deletes
# .network/ under a running one.
shopt -s nullglob
for pid_file in "$PID_DIR"/chaincode-*.pid; do
  name=$(basename "$pid_file" .pid)
  "$(dirname "${BASH_SOURCE[0]}")/chaincode-server.sh" stop "${name#chaincode-}" || warn "could not stop $name"
done
shopt -u nullglob
bin="$(network_fabric_bin)"   # the release the nodes run, whatever .fabric links to now
# The four peers at once (each: SIGTERM, then SIGKILL after 15 s), then the orderer.
stoppers=()
for p in "${PEERS[@]}"; do
  peer_vars "$p"
  stop_process "$PEER_NAME" "$bin/peer" &
  stoppers+=($!)
done
for pid in "${stoppers[@]}"; do wait "$pid" || warn "stopping a peer failed"; done
stop_process orderer.example.com "$bin/orderer"

# Any other pid file left (a node from an older layout, say) is reported, not killed.
shopt -s nullglob
left=("$PID_DIR"/*.pid)
if ((${#left[@]})); then
  warn "pid files not handled by down.sh: ${left[*]}"
fi
ok "network stopped; data kept in $NETWORK_HOME (scripts/network/reset.sh wipes it)"
