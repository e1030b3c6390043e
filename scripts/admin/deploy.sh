#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Deploy or upgrade the medshare chaincode on the native network and (re)start its server.

  scripts/admin/deploy.sh [VERSION [SEQUENCE]]

  VERSION   definition version (default: the committed one, or 1.0 for a first deploy)
  SEQUENCE  definition sequence (default: the committed sequence for the same VERSION,
            committed + 1 for a new VERSION, 1 for a first deploy)

Each organization runs its own chaincode server, as an alliance does (with
CHAINCODE_SERVERS_PER_ORG=2, two: its peer0 dials the first, its peer1 the second). Runs
scripts/network/deploy-chaincode.sh CC_NAME VERSION SEQUENCE ORG1_ADDRESS ORG2_ADDRESS (a
package per org, each naming its org's server; installed on that org's peers; each org
approves its own package id; commit), then scripts/network/chaincode-server.sh start CC_NAME
(both servers; it restarts one running an older package id, and stops the shared server of
an older deployment). Both steps are idempotent, so running it again is harmless. Finally
checks that the chaincode answers through each org (layer-keys:ListAccessKeys as each org's admin).

Environment: CC_NAME (default medshare), CHAINCODE_SERVER_ADDRESS_ORG1 (default
127.0.0.1:$CCAAS_PORT), CHAINCODE_SERVER_ADDRESS_ORG2 (default 127.0.0.1:$CCAAS_ORG2_PORT),
CHAINCODE_SERVERS_PER_ORG (1 or 2, default 1), MEDSHARE_K4_KEY_FILE (the servers' K4, the same for all; a development key in
.network/chaincode/k4.pem otherwise), CC_POLICY, FABRIC_HOME.
Needs `npm run build` (chaincode/dist). Both orgs' admin MSPs must be on this machine
(the native development network); in a real consortium each org runs its own install and
approve steps. Exit codes: 0 deployed and answering, 1 failed, 2 usage.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# <= 2)) || usage_die "$0 [VERSION [SEQUENCE]]"
[[ -d "$NETWORK_HOME" ]] || die "no network in $NETWORK_HOME: run scripts/network/up.sh first"
[[ -f "$REPO_ROOT/chaincode/dist/index.js" ]] || die "chaincode/dist/index.js missing: run npm run build"
load_ports
# The addresses in the packages: each org's server, or with CHAINCODE_SERVERS_PER_ORG=2 a template
# that each peer's environment fills in (its org's server a for peer0, b for peer1; lib.sh).
ORG1_ADDRESS="$(cc_package_address org1)" ORG2_ADDRESS="$(cc_package_address org2)"

committed_version='' committed_seq=0
if cj="$(as_admin org1 peer lifecycle chaincode querycommitted -C "$CHANNEL_NAME" -n "$CC_NAME" --output json 2>/dev/null)"; then
  committed_version="$(jq -r '.version // ""' <<<"$cj")"
  committed_seq="$(jq -r '.sequence // 0' <<<"$cj")"
fi
VERSION="${1:-${committed_version:-1.0}}"
if [[ -n "${2:-}" ]]; then
  SEQUENCE="$2"
elif ((committed_seq == 0)); then
  SEQUENCE=1
elif [[ "$VERSION" == "$committed_version" ]]; then
  SEQUENCE="$committed_seq"
else
  SEQUENCE=$((committed_seq + 1))
fi
if ((committed_seq > 0)); then
  log "'$CC_NAME' is committed at version $committed_version sequence $committed_seq; target $VERSION sequence $SEQUENCE"
else
  log "'$CC_NAME' is not defined yet; deploying $VERSION sequence $SEQUENCE"
fi

"$REPO_ROOT/scripts/network/deploy-chaincode.sh" "$CC_NAME" "$VERSION" "$SEQUENCE" "$ORG1_ADDRESS" "$ORG2_ADDRESS" | sed '/^Start its server(s) with/,$d'
"$REPO_ROOT/scripts/network/chaincode-server.sh" start "$CC_NAME"

# One evaluation through each org's peer gateway (cc.mjs), so each org's server has answered:
# stdout is the payload, stderr the error.
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
for org in "${ORGS[@]}"; do
  admin_env "$org"
  msp="Org${org#org}MSP"
  deadline=$((SECONDS + 30))
  until out="$("$NODE" "$ADMIN_SCRIPTS_DIR/cc.mjs" query "$org" layer-keys:ListAccessKeys "$msp" 2>"$err")"; do
    ((SECONDS < deadline)) || { cat "$err" >&2; die "'$CC_NAME' does not answer through $org after 30s (log: $LOG_DIR/chaincode-$CC_NAME-$org.log)"; }
    sleep 1
  done
  ok "'$CC_NAME' $VERSION (sequence $SEQUENCE) answers on $CHANNEL_NAME through $org's server; $msp K3s: $out"
done
