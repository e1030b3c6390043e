# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables here are used by the scripts that source this file
# Shared by scripts/admin/*.sh (sourced, never run): an organization's admin against the native
# medshare network (scripts/network/lib.sh; the peer CLI environment is the same as
# `source scripts/network/env.sh ORG`), and the two calls the admin scripts make, both through
# the org peer's gateway with @hyperledger/fabric-gateway (scripts/admin/cc.mjs):
#
#   cc_invoke FCN ARGS...   endorsed by BOTH peers (the gateway picks them for the endorsement
#                           policy AND(Org1, Org2)), ordered, and waited for until committed;
#                           prints the payload
#   cc_query FCN ARGS...    an evaluation on the org's own peer; prints the payload
#
# Both exit 1 with `refused CODE: message` on stderr when the chaincode refuses (its coded
# errors), or with `ERROR ... failed: ...` otherwise. Usage errors exit 2. Neither reads the
# peer CLI's output, so they do not depend on its log level or format (which differ between
# Fabric 2.5 and 3.x).
#
# Environment: CC_NAME (chaincode name, default medshare), FABRIC_HOME / NETWORK_HOME and the
# port variables of scripts/network/lib.sh, PEER_TIMEOUT (how long an invoke waits for its
# commit, default 30s).

ADMIN_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$ADMIN_SCRIPTS_DIR/../network/lib.sh"

CC_NAME="${CC_NAME:-medshare}"
PEER_TIMEOUT="${PEER_TIMEOUT:-30s}"
export CC_NAME PEER_TIMEOUT NETWORK_HOME CHANNEL_NAME
NODE="$REPO_ROOT/node_modules/.bin/node"   # Node 24 from the root package's dev dependency

usage_die() { printf 'usage: %s\n' "$*" >&2; exit 2; }

# admin_env ORG: checks the network and exports the peer CLI environment of ORG's admin;
# ORG_NAME (org1|org2) names the org for cc.mjs.
admin_env() {
  [[ -d "$NETWORK_HOME" ]] || die "no network in $NETWORK_HOME: run scripts/network/up.sh first"
  load_ports
  export_admin_env "$1" || usage_die "unknown organization '$1' (org1 or org2)"
  ORG_NAME="${ORG_DOMAIN%%.*}"
  [[ -d "$CORE_PEER_MSPCONFIGPATH" ]] || die "no admin MSP for $ORG_MSP at $CORE_PEER_MSPCONFIGPATH"
  [[ -x "$NODE" ]] || die "Node 24 missing ($NODE): run npm ci"
}

# Both calls go through the org peer's gateway (cc.mjs): it prints the payload on stdout and
# the refusal or error on stderr. In the $(...) the scripts run them in, `exit 1` ends that
# subshell; the assignment fails and `set -e` ends the script with 1.
cc_invoke() { # FCN ARGS...
  "$NODE" "$ADMIN_SCRIPTS_DIR/cc.mjs" invoke "$ORG_NAME" "$@" || exit 1
}

cc_query() { # FCN ARGS...
  "$NODE" "$ADMIN_SCRIPTS_DIR/cc.mjs" query "$ORG_NAME" "$@" || exit 1
}

is_uint() { [[ "$1" =~ ^[0-9]{1,16}$ ]]; }
is_hex64() { [[ "$1" =~ ^[0-9a-f]{64}$ ]]; }
