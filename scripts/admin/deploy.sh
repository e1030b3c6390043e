#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Deploy or upgrade the medshare chaincode on the native network and (re)start its server.
#
#   scripts/admin/deploy.sh [VERSION [SEQUENCE]]
#
#   VERSION   definition version (default: the committed one, or 1.0 for a first deploy)
#   SEQUENCE  definition sequence (default: the committed sequence for the same VERSION,
#             committed + 1 for a new VERSION, 1 for a first deploy)
#
# Runs scripts/network/deploy-chaincode.sh CC_NAME VERSION SEQUENCE ADDRESS (package,
# install on all four peers, approve for Org1MSP and Org2MSP, commit), then
# scripts/network/chaincode-server.sh start CC_NAME, which restarts a server running an older
# package id. Both steps are idempotent, so running it again is harmless. Finally checks
# that the chaincode answers (ListAccessKeys as Org1MSP admin).
#
# Environment: CC_NAME (default medshare), CHAINCODE_SERVER_ADDRESS (default
# 127.0.0.1:$CCAAS_PORT), MEDSHARE_K4_KEY_FILE (the chaincode server's K4; a development key
# in .network/chaincode/k4.pem otherwise), CC_POLICY, FABRIC_HOME.
# Needs `npm run build` (chaincode/dist). Both orgs' admin MSPs must be on this machine
# (the native development network); in a real consortium each org runs its own install and
# approve steps. Exit codes: 0 deployed and answering, 1 failed, 2 usage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { sed -n '3,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
(($# <= 2)) || usage_die "$0 [VERSION [SEQUENCE]]"
[[ -d "$NETWORK_HOME" ]] || die "no network in $NETWORK_HOME: run scripts/network/up.sh first"
[[ -f "$REPO_ROOT/chaincode/dist/index.js" ]] || die "chaincode/dist/index.js missing: run npm run build"
load_ports
ADDRESS="${CHAINCODE_SERVER_ADDRESS:-127.0.0.1:$CCAAS_PORT}"

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

"$REPO_ROOT/scripts/network/deploy-chaincode.sh" "$CC_NAME" "$VERSION" "$SEQUENCE" "$ADDRESS" | sed '/^Start its server with:/,$d'
CHAINCODE_SERVER_ADDRESS="$ADDRESS" "$REPO_ROOT/scripts/network/chaincode-server.sh" start "$CC_NAME"

admin_env org1
# The evaluation through Org1's peer gateway (cc.mjs): stdout is the payload, stderr the error.
deadline=$((SECONDS + 30))
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
until out="$("$NODE" "$ADMIN_SCRIPTS_DIR/cc.mjs" query org1 ListAccessKeys Org1MSP 2>"$err")"; do
  ((SECONDS < deadline)) || { cat "$err" >&2; die "'$CC_NAME' does not answer after 30s (log: $LOG_DIR/chaincode-$CC_NAME.log)"; }
  sleep 1
done
ok "'$CC_NAME' $VERSION (sequence $SEQUENCE) answers on $CHANNEL_NAME; Org1MSP K3s: $out"
