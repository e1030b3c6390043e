#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
# `npm run network:up`: the whole native network, ready for transactions, from nothing or from
# whatever part of it already exists. Returns 0 only when a transaction endorsed by both
# organizations can succeed; on any failure it exits 1 with the nodes' last log lines.
#
#   1. Fabric binaries: reused from the per-machine cache, else built from FABRIC_SOURCE (default:
#      shared/fabric/fabric-<version>-src.tar.gz beside the clone, when it exists), else through
#      the Go module proxy (scripts/fabric-binaries.sh)
#   2. orderer and peers started, channel joined, Raft leader elected (scripts/network/up.sh)
#   3. chaincode packaged per organization (each names its own server), installed, approved,
#      committed, one server per organization started (scripts/admin/deploy.sh); with
#      CHAINCODE_SERVERS_PER_ORG=2, two per organization, each org's peer1 dialling the second
#      (scripts/network/lib.sh). Run again with the other setting, it switches the network over.
#   4. a proposal endorsed by both orgs through every peer's gateway (wait-ready.mjs), bounded
#      by READY_TIMEOUT seconds (default 90)
#
# Needs `npm run build` first (the chaincode server runs chaincode/dist); npm run network:up does it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=/dev/null
source "$ROOT/network/fabric-version.env"
t0=$SECONDS
stage() { printf '\n== network:up: %s (%ss)\n' "$1" "$((SECONDS - t0))"; }

tails() {
  local f
  for f in "${NETWORK_HOME:-$ROOT/.network}"/logs/*.log; do
    [[ -f "$f" ]] || continue
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 15 "$f" | sed 's/\x1b\[[0-9;]*m//g' >&2
  done
}
# shellcheck disable=SC2154  # status is assigned first thing in the trap string
trap 'status=$?; if ((status != 0)); then tails; echo "network:up failed (exit $status)" >&2; fi' EXIT

if [[ -z "${FABRIC_SOURCE:-}" ]]; then
  for candidate in "$ROOT/../shared/fabric/fabric-$FABRIC_VERSION-src.tar.gz" "${MEDSHARE_SHARED_DIR:-/work/shared}/fabric/fabric-$FABRIC_VERSION-src.tar.gz"; do
    if [[ -f "$candidate" ]]; then export FABRIC_SOURCE="$candidate"; break; fi
  done
fi

# Before fabric-binaries.sh relinks .fabric: a network of the other release is refused here.
# shellcheck source=/dev/null
(source "$ROOT/scripts/network/lib.sh" && check_network_release)

stage "Fabric $FABRIC_VERSION binaries"
"$ROOT/scripts/fabric-binaries.sh"
stage "nodes and channel"
"$ROOT/scripts/network/up.sh"
stage "chaincode"
"$ROOT/scripts/admin/deploy.sh"
stage "endorsement by both organizations"
"$ROOT/node_modules/.bin/node" "$ROOT/scripts/network/wait-ready.mjs"
stage "ready"
