# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR
# Source this file to use the peer CLI as an organization's admin against the native network:
#
#   source scripts/network/env.sh org1     # Org1MSP (Hospital 1) admin, peer0.org1
#   source scripts/network/env.sh org2     # Org2MSP (Hospital 2) admin, peer0.org2
#   source scripts/network/env.sh org1 1   # the same admin against peer1.org1
#
# It puts .fabric/bin on PATH and exports FABRIC_CFG_PATH, CORE_PEER_TLS_ENABLED,
# CORE_PEER_LOCALMSPID, CORE_PEER_MSPCONFIGPATH, CORE_PEER_ADDRESS,
# CORE_PEER_TLS_ROOTCERT_FILE, and for convenience ORDERER_ADDRESS, ORDERER_CA,
# CHANNEL_NAME, PEER0_ORG1_ADDRESS, PEER0_ORG1_TLS_CA, PEER0_ORG2_ADDRESS, PEER0_ORG2_TLS_CA:
#
#   peer channel getinfo -c "$CHANNEL_NAME"
#   peer chaincode invoke -o "$ORDERER_ADDRESS" --tls --cafile "$ORDERER_CA" -C "$CHANNEL_NAME" -n NAME \
#     --peerAddresses "$PEER0_ORG1_ADDRESS" --tlsRootCertFiles "$PEER0_ORG1_TLS_CA" \
#     --peerAddresses "$PEER0_ORG2_ADDRESS" --tlsRootCertFiles "$PEER0_ORG2_TLS_CA" -c '{"Args":[]}'
#
# It changes no shell options and never exits the shell.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "env.sh must be sourced: source ${BASH_SOURCE[0]} org1|org2" >&2
  exit 1
fi
if [[ $# -ne 1 && $# -ne 2 ]]; then
  echo "usage: source scripts/network/env.sh org1|org2 [0|1]" >&2
  return 1
fi
# lib.sh's die() exits; run the parts that can fail in a subshell first.
if ! (source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" && load_ports >/dev/null && org_vars "$1" "${2:-0}"); then
  echo "env.sh: unknown organization '$1' (use org1 or org2), peer '${2:-0}' (0 or 1) or bad port settings" >&2
  return 1
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
load_ports
export_admin_env "$1" "${2:-0}"
echo "peer CLI now acts as $CORE_PEER_LOCALMSPID admin on $CORE_PEER_ADDRESS (channel $CHANNEL_NAME)"
