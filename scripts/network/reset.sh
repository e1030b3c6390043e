#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Stop the native medshare network and delete all its data (.network/: crypto material,
genesis block, ledgers, logs, pid files, saved ports). The Fabric binaries in .fabric/
are kept. With --up, start a fresh network afterwards.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

up=false
case "${1:-}" in
  "") ;;
  --up) up=true ;;
  -h|--help) usage; exit 0 ;;
  *) die "usage: $0 [--up]" ;;
esac

"$NET_SCRIPTS_DIR/down.sh"
if [[ -d "$NETWORK_HOME" ]]; then
  # Refuse to delete a folder that up.sh did not create.
  [[ -f "$NETWORK_MARKER" ]] ||
    die "$NETWORK_HOME has no $(basename "$NETWORK_MARKER") marker; not deleting it (remove it yourself if it is the network's)"
  log "deleting $NETWORK_HOME"
  rm -rf "$NETWORK_HOME"
  ok "network data deleted"
else
  ok "no network data ($NETWORK_HOME does not exist)"
fi
if $up; then
  exec "$NET_SCRIPTS_DIR/up.sh"
fi
