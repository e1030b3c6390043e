# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # SC2154: _c_* colours come from scripts/network/lib.sh
# Shared by scripts/admin/*.sh (sourced, never run): the peer CLI as an organization's admin
# against the native medshare network (scripts/network/lib.sh, the same as
# `source scripts/network/env.sh ORG`), and the two calls the admin scripts make:
#
#   cc_invoke FCN ARGS...   endorsed by BOTH peers (the endorsement policy needs Org1 and Org2),
#                           ordered, and waited for (--waitForEvent); prints the payload
#   cc_query FCN ARGS...    an evaluation on the org's own peer; prints the payload
#
# Both exit 1 with `refused CODE: message` when the chaincode refuses (its coded errors),
# or with the peer CLI's error otherwise. Usage errors exit 2.
#
# Environment: CC_NAME (chaincode name, default medshare), FABRIC_HOME / NETWORK_HOME and the
# port variables of scripts/network/lib.sh, PEER_TIMEOUT (default 30s).

ADMIN_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$ADMIN_SCRIPTS_DIR/../network/lib.sh"

CC_NAME="${CC_NAME:-medshare}"
PEER_TIMEOUT="${PEER_TIMEOUT:-30s}"

usage_die() { printf 'usage: %s\n' "$*" >&2; exit 2; }

# admin_env ORG: checks the network and exports the peer CLI environment of ORG's admin.
admin_env() {
  [[ -d "$NETWORK_HOME" ]] || die "no network in $NETWORK_HOME: run scripts/network/up.sh first"
  load_ports
  export_admin_env "$1" || usage_die "unknown organization '$1' (org1 or org2)"
  [[ -x "$FABRIC_BIN/peer" ]] || die "peer CLI missing in $FABRIC_BIN (scripts/fabric-binaries.sh, or FABRIC_HOME=...)"
  [[ -d "$CORE_PEER_MSPCONFIGPATH" ]] || die "no admin MSP for $ORG_MSP at $CORE_PEER_MSPCONFIGPATH"
}

# JSON {"Args":[...]} from the function name and its arguments.
_cc_args_json() { jq -cn '{Args: $ARGS.positional}' --args "$@"; }

# The peer CLI prints the payload as a quoted protobuf text string; decode the common escapes.
_decode_payload() {
  local raw="$1"
  # raw is "..." with \" \\ \n and octal escapes; JSON-compatible for our ASCII payloads.
  jq -r '.' <<<"$raw" 2>/dev/null || printf '%s\n' "$raw"
}

# On a peer CLI failure: a chaincode-coded error becomes `refused CODE: message`.
_report_failure() { # OUTPUT WHAT
  local out="$1" what="$2" msg
  msg="$(sed -n 's/.*message:"\(.*\)"[[:space:]]*$/\1/p' <<<"$out" | head -n 1)"
  if [[ "$msg" =~ ^([A-Z][A-Z0-9_]+):\ (.*)$ ]]; then
    printf '%srefused%s %s: %s\n' "$_c_r" "$_c_0" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]//\\\"/\"}" >&2
  else
    printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' >&2
    printf '%sERROR%s %s failed\n' "$_c_r" "$_c_0" "$what" >&2
  fi
  exit 1
}

cc_invoke() { # FCN ARGS...
  local out raw
  if ! out="$(peer chaincode invoke -o "$ORDERER_ADDRESS" --tls --cafile "$ORDERER_CA" \
    -C "$CHANNEL_NAME" -n "$CC_NAME" \
    --peerAddresses "$PEER0_ORG1_ADDRESS" --tlsRootCertFiles "$PEER0_ORG1_TLS_CA" \
    --peerAddresses "$PEER0_ORG2_ADDRESS" --tlsRootCertFiles "$PEER0_ORG2_TLS_CA" \
    --waitForEvent --waitForEventTimeout "$PEER_TIMEOUT" \
    -c "$(_cc_args_json "$@")" 2>&1)"; then
    _report_failure "$out" "$1 (invoke as $ORG_MSP admin)"
  fi
  # success: "... Chaincode invoke successful. result: status:200 payload:"..." "
  grep -q 'Chaincode invoke successful' <<<"$out" || _report_failure "$out" "$1 (no success line from peer CLI)"
  raw="$(sed -n 's/.*Chaincode invoke successful\. result: status:200 payload:\(".*"\)[[:space:]]*$/\1/p' <<<"$out" | head -n 1)"
  [[ -n "$raw" ]] && _decode_payload "$raw"
  return 0
}

cc_query() { # FCN ARGS...
  local out
  if ! out="$(peer chaincode query -C "$CHANNEL_NAME" -n "$CC_NAME" -c "$(_cc_args_json "$@")" 2>&1)"; then
    _report_failure "$out" "$1 (query as $ORG_MSP admin)"
  fi
  printf '%s\n' "$out"
}

is_uint() { [[ "$1" =~ ^[0-9]{1,16}$ ]]; }
is_hex64() { [[ "$1" =~ ^[0-9a-f]{64}$ ]]; }
