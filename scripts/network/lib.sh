# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables here are used by the scripts that source this file
# Shared by scripts/network/*.sh (sourced, never run). Defines the layout of the native
# medshare network, its ports, and helpers to start, watch and stop its processes.
# It sets no shell options: the scripts that source it use `set -euo pipefail`, and env.sh
# sources it into an interactive shell.
#
# Layout (all runtime data under NETWORK_HOME, default <repo>/.network):
#   crypto/            cryptogen output (network/crypto-config.yaml)
#   config/            rendered configtx.yaml, peer/core.yaml, orderer/orderer.yaml
#   channel-artifacts/ genesis block of the channel
#   data/<node>/       ledgers (LevelDB state), Raft WAL and snapshots
#   logs/<node>.log    one log per process
#   pids/<node>.pid    one pid file per process
#   ports.env          the ports the network was created with
#
# Ports (environment overrides, 127.0.0.1 only):
#   ORDERER_PORT=7050  ORDERER_ADMIN_PORT=7053  ORDERER_OPS_PORT=9443
#   PEER0_ORG1_PORT=7051  PEER0_ORG1_CC_PORT=7052  PEER0_ORG1_OPS_PORT=9444
#   PEER0_ORG2_PORT=9051  PEER0_ORG2_CC_PORT=9052  PEER0_ORG2_OPS_PORT=9445
#   PEER1_ORG1_PORT=8051  PEER1_ORG1_CC_PORT=8052  PEER1_ORG1_OPS_PORT=9446
#   PEER1_ORG2_PORT=10051 PEER1_ORG2_CC_PORT=10052 PEER1_ORG2_OPS_PORT=9447
#   CCAAS_PORT=9999 (org1's chaincode-as-a-service server, and the default for a shared one)
#   CCAAS_ORG2_PORT=9998 (org2's chaincode server: one per organization, as an alliance runs it)
#   ORDERER_PROFILE_PORT=6060 PEER0_ORG1_PROFILE_PORT=6061 PEER0_ORG2_PROFILE_PORT=6062
#   PEER1_ORG1_PROFILE_PORT=6063 PEER1_ORG2_PROFILE_PORT=6064 (Go pprof, only with FABRIC_PROFILE=1)
#   CCAAS_ORG1_B_PORT=9997 CCAAS_ORG2_B_PORT=9996 (each org's second chaincode server, dialled by
#     its peer1, with CHAINCODE_SERVERS_PER_ORG=2; see cc_servers_per_org)
# ORDERER_PORT and the two peer0 ports (the anchor peers) are written into the channel's
# genesis block, so they are fixed once the network exists (reset.sh to change them); the
# others, the peer1 ports included, may change between runs.
#
# FABRIC_PROFILE=1 (default 0, off): the orderer and the four peers also serve Go's pprof
# (/debug/pprof/, net/http/pprof) on 127.0.0.1:<NODE>_PROFILE_PORT, for profiling Fabric's own
# CPU (scripts/bench/fabric-profile.mjs). Fabric 2.5's settings: peer.profile.enabled and
# peer.profile.listenAddress (CORE_PEER_PROFILE_*), General.Profile.Enabled and .Address
# (ORDERER_GENERAL_PROFILE_*); off, nothing of it is written to the nodes' environment. A node's
# environment (config/<node>.env) is written each time up.sh starts it, never for a node that is
# already running: to switch profiling on or off for an existing network, run down.sh, then
# up.sh (or network-up.sh) with FABRIC_PROFILE set as wanted; ledgers and channel are kept.

NET_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$NET_SCRIPTS_DIR/../.." && pwd)"
NETWORK_CONFIG_SRC="$REPO_ROOT/network"

# shellcheck source=/dev/null
source "${FABRIC_VERSION_FILE:-$NETWORK_CONFIG_SRC/fabric-version.env}"

FABRIC_HOME="${FABRIC_HOME:-$REPO_ROOT/.fabric}"
# .fabric is a symlink into the per-machine cache (scripts/fabric-binaries.sh): use the real
# path, which is what /proc/PID/exe shows for a running node.
[[ -d "$FABRIC_HOME" ]] && FABRIC_HOME="$(cd -P "$FABRIC_HOME" && pwd)"
FABRIC_BIN="$FABRIC_HOME/bin"
# External builder for chaincode-as-a-service: Fabric's own (built by fabric-binaries.sh into
# .fabric/ccaas_builder/bin), else the equivalent bash one in scripts/network/ccaas-builder.
if [[ -z "${CCAAS_BUILDER_DIR:-}" ]]; then
  if [[ -x "$FABRIC_HOME/ccaas_builder/bin/detect" ]]; then
    CCAAS_BUILDER_DIR="$FABRIC_HOME/ccaas_builder"
  else
    CCAAS_BUILDER_DIR="$NET_SCRIPTS_DIR/ccaas-builder"
  fi
fi
NETWORK_HOME="${NETWORK_HOME:-$REPO_ROOT/.network}"

CRYPTO_DIR="$NETWORK_HOME/crypto"
CONFIG_DIR="$NETWORK_HOME/config"
CHANNEL_DIR="$NETWORK_HOME/channel-artifacts"
DATA_DIR="$NETWORK_HOME/data"
LOG_DIR="$NETWORK_HOME/logs"
PID_DIR="$NETWORK_HOME/pids"
PORTS_FILE="$NETWORK_HOME/ports.env"
NETWORK_MARKER="$NETWORK_HOME/.medshare-network"
RUNTIME_FILE="$NETWORK_HOME/runtime"        # "native" or "docker": how up.sh ran the nodes
RELEASE_FILE="$NETWORK_HOME/fabric-release" # "VERSION FABRIC_HOME": the release up.sh ran the nodes with
COMPOSE_FILE="$NETWORK_CONFIG_SRC/docker-compose.yaml"

CHANNEL_NAME="${CHANNEL_NAME:-medshare}"
CHANNEL_PROFILE=MedshareChannel
GENESIS_BLOCK="$CHANNEL_DIR/$CHANNEL_NAME.block"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"

ORDERER_NAME=orderer.example.com
ORDERER_ORG_DIR="$CRYPTO_DIR/ordererOrganizations/example.com"
ORDERER_DIR="$ORDERER_ORG_DIR/orderers/$ORDERER_NAME"
ORDERER_CA="$ORDERER_DIR/tls/ca.crt"     # TLS CA of the orderer org
ORDERER_ADMIN_TLS_DIR="$ORDERER_ORG_DIR/users/Admin@example.com/tls"

FIXED_PORT_VARS=(ORDERER_PORT PEER0_ORG1_PORT PEER0_ORG2_PORT)
FREE_PORT_VARS=(ORDERER_ADMIN_PORT ORDERER_OPS_PORT PEER0_ORG1_CC_PORT PEER0_ORG1_OPS_PORT
  PEER0_ORG2_CC_PORT PEER0_ORG2_OPS_PORT
  PEER1_ORG1_PORT PEER1_ORG1_CC_PORT PEER1_ORG1_OPS_PORT PEER1_ORG2_PORT PEER1_ORG2_CC_PORT PEER1_ORG2_OPS_PORT
  CCAAS_PORT CCAAS_ORG2_PORT CCAAS_ORG1_B_PORT CCAAS_ORG2_B_PORT
  ORDERER_PROFILE_PORT PEER0_ORG1_PROFILE_PORT PEER0_ORG2_PROFILE_PORT PEER1_ORG1_PROFILE_PORT PEER1_ORG2_PROFILE_PORT)
declare -A DEFAULT_PORTS=(
  [ORDERER_PORT]=7050 [ORDERER_ADMIN_PORT]=7053 [ORDERER_OPS_PORT]=9443
  [PEER0_ORG1_PORT]=7051 [PEER0_ORG1_CC_PORT]=7052 [PEER0_ORG1_OPS_PORT]=9444
  [PEER0_ORG2_PORT]=9051 [PEER0_ORG2_CC_PORT]=9052 [PEER0_ORG2_OPS_PORT]=9445
  [PEER1_ORG1_PORT]=8051 [PEER1_ORG1_CC_PORT]=8052 [PEER1_ORG1_OPS_PORT]=9446
  [PEER1_ORG2_PORT]=10051 [PEER1_ORG2_CC_PORT]=10052 [PEER1_ORG2_OPS_PORT]=9447
  [CCAAS_PORT]=9999 [CCAAS_ORG2_PORT]=9998 [CCAAS_ORG1_B_PORT]=9997 [CCAAS_ORG2_B_PORT]=9996
  [ORDERER_PROFILE_PORT]=6060 [PEER0_ORG1_PROFILE_PORT]=6061 [PEER0_ORG2_PROFILE_PORT]=6062
  [PEER1_ORG1_PROFILE_PORT]=6063 [PEER1_ORG2_PROFILE_PORT]=6064
)
# Each organization runs its own chaincode server; its peers dial it at this address (which is
# in the org's chaincode package, so each org installs and approves its own package id).
ORGS=(org1 org2)
cc_address() { # ORG [SERVER] -> host:port of that org's chaincode server (SERVER a, the default, or b)
  case "$1:${2:-a}" in
    org1:a) echo "${CHAINCODE_SERVER_ADDRESS_ORG1:-127.0.0.1:$CCAAS_PORT}" ;;
    org2:a) echo "${CHAINCODE_SERVER_ADDRESS_ORG2:-127.0.0.1:$CCAAS_ORG2_PORT}" ;;
    org1:b) echo "127.0.0.1:$CCAAS_ORG1_B_PORT" ;;
    org2:b) echo "127.0.0.1:$CCAAS_ORG2_B_PORT" ;;
    *) die "unknown org or server '$1' '${2:-}'" ;;
  esac
}
# CHAINCODE_SERVERS_PER_ORG=2 (opt-in; default 1) gives each org a second chaincode server
# process (b, at CCAAS_ORG<N>_B_PORT) that its peer1 dials while its peer0 dials the first (a):
# the org's package then holds a template address, {{.<CC_NAME>_<ORG>}} (cc_package_address),
# and each peer's environment fills it in (CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG, which the
# sampleconfig's core.yaml propagates to the ccaas builder; ccaas_builder_env), so both peers
# of an org install the same package. With 1 the package names the server, as before.
cc_servers_per_org() {
  case "${CHAINCODE_SERVERS_PER_ORG:-1}" in
    1|2) echo "${CHAINCODE_SERVERS_PER_ORG:-1}" ;;
    *) die "CHAINCODE_SERVERS_PER_ORG must be 1 or 2 (one chaincode server per peer of an org at most), got '$CHAINCODE_SERVERS_PER_ORG'" ;;
  esac
}
cc_template_key() { # ORG -> the template key of ORG's server address for CC_NAME (default medshare)
  local name="${CC_NAME:-medshare}"
  echo "${name//[^A-Za-z0-9_]/_}_$1"
}
cc_package_address() { # ORG -> the address written into ORG's package (connection.json)
  if [[ "$(cc_servers_per_org)" == 2 ]]; then echo "{{.$(cc_template_key "$1")}}"; else cc_address "$1"; fi
}
# The builder configuration line of a peer's environment (needs org_vars first): with two
# servers per org, which of its org's servers this peer dials (peer0: a, peer1: b); else nothing.
ccaas_builder_env() {
  [[ "$(cc_servers_per_org)" == 2 ]] || return 0
  local org="org${ORG_MSP//[^0-9]/}" server=a
  [[ "$PEER_INDEX" == 1 ]] && server=b
  printf 'CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG={"%s":"%s"}\n' "$(cc_template_key "$org")" "$(cc_address "$org" "$server")"
}
# Every peer as ORG:INDEX (peer<INDEX>.<org>.example.com), in start order. peer0 of each org is
# its anchor peer; peer1 joins its org's gossip through peer0.
PEERS=(org1:0 org2:0 org1:1 org2:1)

# ------------------------------------------------------------------ output
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  _c_b=$'\e[1m' _c_g=$'\e[32m' _c_y=$'\e[33m' _c_r=$'\e[31m' _c_0=$'\e[0m'
else
  _c_b='' _c_g='' _c_y='' _c_r='' _c_0=''
fi
log()  { printf '%s==>%s %s\n' "$_c_b" "$_c_0" "$*"; }
ok()   { printf '%s  ok%s %s\n' "$_c_g" "$_c_0" "$*"; }
warn() { printf '%swarn%s %s\n' "$_c_y" "$_c_0" "$*" >&2; }
die()  { printf '%sERROR%s %s\n' "$_c_r" "$_c_0" "$*" >&2; exit 1; }

# ------------------------------------------------------------------ profiling (FABRIC_PROFILE)
# profiling: true when FABRIC_PROFILE=1 (up.sh refuses any value but 0, 1 or unset).
profiling() { [[ "${FABRIC_PROFILE:-0}" == 1 ]]; }
check_profile_switch() {
  [[ "${FABRIC_PROFILE:-0}" =~ ^[01]$ ]] || die "FABRIC_PROFILE must be 0 or 1, got '$FABRIC_PROFILE'"
}
# The pprof port of a node if profiling, else nothing (for the port checks of up.sh).
profile_port_if_on() { if profiling; then echo "$1"; fi; }
# Whether the running node NAME was started with pprof on (its config/NAME.env says so).
node_profiled() { grep -Eq '^(CORE_PEER|ORDERER_GENERAL)_PROFILE_ENABLED=true$' "$CONFIG_DIR/$1.env" 2>/dev/null; }

# ------------------------------------------------------------------ ports
# Fills the port variables: saved value (ports.env) < default, env overrides, and refuses to
# move a port that is baked into the existing channel.
load_ports() {
  local v saved
  declare -A saved_ports=()
  if [[ -f "$PORTS_FILE" ]]; then
    while IFS='=' read -r v saved; do
      [[ -n "$v" && "$v" != \#* ]] && saved_ports[$v]="$saved"
    done <"$PORTS_FILE"
  fi
  for v in "${FIXED_PORT_VARS[@]}" "${FREE_PORT_VARS[@]}"; do
    saved="${saved_ports[$v]:-}"
    if [[ -n "${!v:-}" ]]; then
      if [[ -n "$saved" && "${!v}" != "$saved" ]] && [[ " ${FIXED_PORT_VARS[*]} " == *" $v "* ]]; then
        die "$v=${!v} but the network in $NETWORK_HOME was created with $v=$saved (it is in the channel config); unset it, or run scripts/network/reset.sh to start over"
      fi
    else
      printf -v "$v" '%s' "${saved:-${DEFAULT_PORTS[$v]}}"
    fi
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a port number, got '${!v}'"
    export "${v?}"
  done
  cc_servers_per_org >/dev/null # a bad CHAINCODE_SERVERS_PER_ORG stops here, not in a subshell
}

save_ports() {
  local v
  {
    echo "# Ports of the native medshare network (written by scripts/network/up.sh)"
    for v in "${FIXED_PORT_VARS[@]}" "${FREE_PORT_VARS[@]}"; do echo "$v=${!v}"; done
  } >"$PORTS_FILE"
}

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# ------------------------------------------------------------------ binaries
require_binaries() {
  local b missing=()
  for b in peer orderer configtxgen cryptogen osnadmin; do
    # with RUNTIME=docker the orderer runs from its image; the peer CLI is still needed
    [[ "$b" == orderer && "${RUNTIME:-native}" == docker ]] && continue
    [[ -x "$FABRIC_BIN/$b" ]] || missing+=("$b")
  done
  ((${#missing[@]} == 0)) ||
    die "Fabric binaries missing in $FABRIC_BIN: ${missing[*]}. Build them with scripts/fabric-binaries.sh"
  [[ -f "$FABRIC_HOME/config/core.yaml" && -f "$FABRIC_HOME/config/orderer.yaml" ]] ||
    die "Fabric sampleconfig missing in $FABRIC_HOME/config. Run scripts/fabric-binaries.sh"
  local step
  for step in detect build release; do
    [[ -x "$CCAAS_BUILDER_DIR/bin/$step" ]] ||
      die "chaincode-as-a-service builder incomplete: $CCAAS_BUILDER_DIR/bin/$step missing"
  done
}

# ------------------------------------------------------------------ the network's release
# A network's ledgers, channel and running nodes belong to the Fabric release that created
# them (FABRIC_VERSION=2.5.16 or 3.1.5 share .network/ and .fabric, which fabric-binaries.sh
# relinks): using them with the other release is refused, and down.sh stops the nodes with the
# binaries they were started from, even after .fabric was relinked.
check_network_release() {
  local v h
  [[ -f "$RELEASE_FILE" ]] || return 0
  read -r v h <"$RELEASE_FILE" || true
  [[ -z "$v" || "$v" == "$FABRIC_VERSION" ]] ||
    die "the network in $NETWORK_HOME was created with Fabric $v, not $FABRIC_VERSION: use FABRIC_VERSION=$v, or start over with scripts/network/reset.sh (npm run network:reset)"
}
save_network_release() { echo "$FABRIC_VERSION $FABRIC_HOME" >"$RELEASE_FILE"; }
# The bin folder of the release the network's nodes were started with (FABRIC_BIN if unknown).
network_fabric_bin() {
  local v h
  if [[ -f "$RELEASE_FILE" ]] && read -r v h <"$RELEASE_FILE" && [[ -n "$h" && -d "$h/bin" ]]; then
    echo "$h/bin"
  else
    echo "$FABRIC_BIN"
  fi
}

# ------------------------------------------------------------------ orgs and nodes
# org_vars ORG [INDEX] -> sets ORG_MSP ORG_DOMAIN PEER_INDEX PEER_NAME PEER_PORT PEER_CC_PORT
# PEER_OPS_PORT PEER_PROFILE_PORT for peer<INDEX> of ORG (default peer0), and ANCHOR_PORT (that
# org's peer0).
# Returns 1 for an unknown org or index.
org_vars() {
  local n v
  case "$1" in
    org1|Org1|Org1MSP|1) ORG_MSP=Org1MSP ORG_DOMAIN=org1.example.com n=1 ;;
    org2|Org2|Org2MSP|2) ORG_MSP=Org2MSP ORG_DOMAIN=org2.example.com n=2 ;;
    *) return 1 ;;
  esac
  PEER_INDEX="${2:-0}"
  [[ "$PEER_INDEX" == 0 || "$PEER_INDEX" == 1 ]] || return 1
  v="PEER${PEER_INDEX}_ORG${n}_PORT"; PEER_PORT="${!v:-}"
  v="PEER${PEER_INDEX}_ORG${n}_CC_PORT"; PEER_CC_PORT="${!v:-}"
  v="PEER${PEER_INDEX}_ORG${n}_OPS_PORT"; PEER_OPS_PORT="${!v:-}"
  v="PEER${PEER_INDEX}_ORG${n}_PROFILE_PORT"; PEER_PROFILE_PORT="${!v:-}"
  v="PEER0_ORG${n}_PORT"; ANCHOR_PORT="${!v:-}"
  PEER_NAME="peer$PEER_INDEX.$ORG_DOMAIN"
  ORG_DIR="$CRYPTO_DIR/peerOrganizations/$ORG_DOMAIN"
  PEER_DIR="$ORG_DIR/peers/$PEER_NAME"
}

# peer_vars ORG:INDEX (an entry of PEERS) -> org_vars ORG INDEX
peer_vars() { org_vars "${1%%:*}" "${1##*:}"; }

# Environment of the orderer process (one VAR=value per line).
orderer_node_env() {
  local tls="$ORDERER_DIR/tls"
  cat <<EOF
FABRIC_CFG_PATH=$CONFIG_DIR/orderer
FABRIC_LOGGING_SPEC=${FABRIC_LOGGING_SPEC:-INFO}
ORDERER_GENERAL_LISTENADDRESS=127.0.0.1
ORDERER_GENERAL_LISTENPORT=$ORDERER_PORT
ORDERER_GENERAL_LOCALMSPID=OrdererMSP
ORDERER_GENERAL_LOCALMSPDIR=$ORDERER_DIR/msp
ORDERER_GENERAL_BOOTSTRAPMETHOD=none
ORDERER_GENERAL_TLS_ENABLED=true
ORDERER_GENERAL_TLS_PRIVATEKEY=$tls/server.key
ORDERER_GENERAL_TLS_CERTIFICATE=$tls/server.crt
ORDERER_GENERAL_TLS_ROOTCAS=[$tls/ca.crt]
ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=$tls/server.crt
ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=$tls/server.key
ORDERER_GENERAL_CLUSTER_ROOTCAS=[$tls/ca.crt]
ORDERER_CHANNELPARTICIPATION_ENABLED=true
ORDERER_ADMIN_LISTENADDRESS=127.0.0.1:$ORDERER_ADMIN_PORT
ORDERER_ADMIN_TLS_ENABLED=true
ORDERER_ADMIN_TLS_PRIVATEKEY=$tls/server.key
ORDERER_ADMIN_TLS_CERTIFICATE=$tls/server.crt
ORDERER_ADMIN_TLS_ROOTCAS=[$tls/ca.crt]
ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
ORDERER_ADMIN_TLS_CLIENTROOTCAS=[$tls/ca.crt]
ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:$ORDERER_OPS_PORT
ORDERER_OPERATIONS_TLS_ENABLED=false
ORDERER_METRICS_PROVIDER=prometheus
ORDERER_FILELEDGER_LOCATION=$DATA_DIR/$ORDERER_NAME/ledger
ORDERER_CONSENSUS_WALDIR=$DATA_DIR/$ORDERER_NAME/etcdraft/wal
ORDERER_CONSENSUS_SNAPDIR=$DATA_DIR/$ORDERER_NAME/etcdraft/snapshot
EOF
  if profiling; then
    echo "ORDERER_GENERAL_PROFILE_ENABLED=true"
    echo "ORDERER_GENERAL_PROFILE_ADDRESS=127.0.0.1:$ORDERER_PROFILE_PORT"
  fi
}

# Environment of a peer process (one VAR=value per line). Needs org_vars first. Gossip: a peer
# advertises itself and bootstraps from its org's peer0 (peer0 from itself, as in Fabric's
# test-network), so a peer1 joins its org's membership through the anchor.
peer_node_env() {
  local tls="$PEER_DIR/tls" data="$DATA_DIR/$PEER_NAME"
  cat <<EOF
FABRIC_CFG_PATH=$CONFIG_DIR/peer
FABRIC_LOGGING_SPEC=${FABRIC_LOGGING_SPEC:-INFO}
CORE_PEER_ID=$PEER_NAME
CORE_PEER_LOCALMSPID=$ORG_MSP
CORE_PEER_MSPCONFIGPATH=$PEER_DIR/msp
CORE_PEER_LISTENADDRESS=127.0.0.1:$PEER_PORT
CORE_PEER_ADDRESS=127.0.0.1:$PEER_PORT
CORE_PEER_CHAINCODELISTENADDRESS=127.0.0.1:$PEER_CC_PORT
CORE_PEER_CHAINCODEADDRESS=127.0.0.1:$PEER_CC_PORT
CORE_PEER_GOSSIP_BOOTSTRAP=127.0.0.1:$ANCHOR_PORT
CORE_PEER_GOSSIP_EXTERNALENDPOINT=127.0.0.1:$PEER_PORT
CORE_PEER_GOSSIP_ALIVETIMEINTERVAL=1s
CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT=5s
CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s
CORE_PEER_GOSSIP_MEMBERSHIPTRACKERINTERVAL=1s
CORE_PEER_GOSSIP_PULLINTERVAL=1s
CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL=1s
CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s
CORE_PEER_TLS_ENABLED=true
CORE_PEER_TLS_CERT_FILE=$tls/server.crt
CORE_PEER_TLS_KEY_FILE=$tls/server.key
CORE_PEER_TLS_ROOTCERT_FILE=$tls/ca.crt
CORE_PEER_FILESYSTEMPATH=$data
CORE_LEDGER_STATE_STATEDATABASE=goleveldb
CORE_LEDGER_SNAPSHOTS_ROOTDIR=$data/snapshots
CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:$PEER_OPS_PORT
CORE_OPERATIONS_TLS_ENABLED=false
CORE_METRICS_PROVIDER=prometheus
EOF
  if profiling; then
    echo "CORE_PEER_PROFILE_ENABLED=true"
    echo "CORE_PEER_PROFILE_LISTENADDRESS=127.0.0.1:$PEER_PROFILE_PORT"
  fi
}

# Exports what the peer CLI needs to act as ORG's admin against that org's peer<INDEX>
# (default peer0; used by env.sh). ORG: org1|org2 (or Org1MSP, 1, ...). Returns 1 for an
# unknown org or index.
export_admin_env() {
  org_vars "$1" "${2:-0}" || return 1
  [[ ":$PATH:" == *":$FABRIC_BIN:"* ]] || export PATH="$FABRIC_BIN:$PATH"
  export FABRIC_CFG_PATH="$CONFIG_DIR/peer"
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_LOCALMSPID="$ORG_MSP"
  export CORE_PEER_MSPCONFIGPATH="$ORG_DIR/users/Admin@$ORG_DOMAIN/msp"
  export CORE_PEER_ADDRESS="127.0.0.1:$PEER_PORT"
  export CORE_PEER_TLS_ROOTCERT_FILE="$PEER_DIR/tls/ca.crt"
  export ORDERER_ADDRESS="127.0.0.1:$ORDERER_PORT"
  export ORDERER_CA
  export CHANNEL_NAME
  # both peers, for transactions that need the two hospitals' endorsements
  export PEER0_ORG1_ADDRESS="127.0.0.1:$PEER0_ORG1_PORT"
  export PEER0_ORG1_TLS_CA="$CRYPTO_DIR/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/ca.crt"
  export PEER0_ORG2_ADDRESS="127.0.0.1:$PEER0_ORG2_PORT"
  export PEER0_ORG2_TLS_CA="$CRYPTO_DIR/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/tls/ca.crt"
}

# Runs a command as ORG's admin in a subshell, so the caller's environment is unchanged.
as_admin() { # ORG cmd...
  local org="$1"; shift
  (export_admin_env "$org" && "$@")
}

# The same against one peer: ORG:INDEX (an entry of PEERS).
as_admin_on() { # ORG:INDEX cmd...
  local peer="$1"; shift
  (export_admin_env "${peer%%:*}" "${peer##*:}" && "$@")
}

osnadmin_cmd() { # osnadmin subcommand args... against the orderer's admin endpoint
  "$FABRIC_BIN/osnadmin" "$@" -o "127.0.0.1:$ORDERER_ADMIN_PORT" --ca-file "$ORDERER_CA" \
    --client-cert "$ORDERER_ADMIN_TLS_DIR/client.crt" --client-key "$ORDERER_ADMIN_TLS_DIR/client.key"
}

# ------------------------------------------------------------------ processes
# RUNTIME: native (default) runs the Fabric binaries as local processes; docker runs the
# same nodes, with the same environment files and data, from network/docker-compose.yaml.
RUNTIME="${RUNTIME:-native}"

compose() {
  NETWORK_HOME="$NETWORK_HOME" CCAAS_BUILDER_DIR="$CCAAS_BUILDER_DIR" \
    FABRIC_IMAGE_TAG="${FABRIC_IMAGE_TAG:-$FABRIC_VERSION}" \
    docker compose -f "$COMPOSE_FILE" -p medshare "$@"
}

# Writes config/NAME.env from an env function: what the node runs with, in either runtime.
write_node_env() { # NAME ENV_FUNC
  "$2" >"$CONFIG_DIR/$1.env"
}

node_alive() { # NAME BINARY
  if [[ "$RUNTIME" == docker ]]; then
    [[ -n "$(compose ps --status running -q "$1" 2>/dev/null)" ]]
  else
    running_pid "$1" "$2" >/dev/null
  fi
}

node_log_tail() { # NAME
  if [[ "$RUNTIME" == docker ]]; then compose logs --tail 40 "$1" >&2 || true
  else tail -n 40 "$LOG_DIR/$1.log" >&2 || true
  fi
}

pid_file() { echo "$PID_DIR/$1.pid"; }

# Prints the pid of NAME if its pid file names a live process running BINARY.
running_pid() { # NAME BINARY
  local f pid exe
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "${exe% (deleted)}" == "$2" ]] || return 1
  echo "$pid"
}

# start_process NAME BINARY ENV_FUNC [args...]: runs BINARY in the background in its own
# session with the environment printed by ENV_FUNC, logging to logs/NAME.log.
start_process() {
  local name="$1" bin="$2" envfunc="$3"; shift 3
  local log="$LOG_DIR/$name.log" envs=() line pid
  write_node_env "$name" "$envfunc"
  while IFS= read -r line; do [[ -n "$line" ]] && envs+=("$line"); done <"$CONFIG_DIR/$name.env"
  mkdir -p "$LOG_DIR" "$PID_DIR"
  printf '\n===== %s starting %s %s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$bin" "$*" >>"$log"
  # setsid: the node survives the end of this script and a Ctrl-C in its terminal.
  env "${envs[@]}" setsid "$bin" "$@" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file "$name")"
  sleep 0.3
  kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "$name exited at once (log: $log)"; }
}

# wait_healthy NAME BINARY OPS_PORT: polls the node's operations /healthz until it answers
# OK; fails early, with the log's tail, if the process dies.
wait_healthy() {
  local name="$1" bin="$2" port="$3" deadline=$((SECONDS + HEALTH_TIMEOUT)) body
  while ((SECONDS < deadline)); do
    if ! node_alive "$name" "$bin"; then
      node_log_tail "$name"
      die "$name died while starting (log: $LOG_DIR/$name.log or docker compose logs)"
    fi
    if body="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null)"; then
      ok "$name healthy (http://127.0.0.1:$port/healthz: $(tr -d ' \n' <<<"$body"))"
      return 0
    fi
    sleep 0.5
  done
  node_log_tail "$name"
  die "$name not healthy after ${HEALTH_TIMEOUT}s on http://127.0.0.1:$port/healthz (log: $LOG_DIR/$name.log)"
}

# stop_process NAME BINARY: SIGTERM, then SIGKILL after 15 s; removes the pid file.
stop_process() {
  local name="$1" bin="$2" pid i
  if ! pid="$(running_pid "$name" "$bin")"; then
    [[ -f "$(pid_file "$name")" ]] && { rm -f "$(pid_file "$name")"; ok "$name was not running (stale pid file removed)"; return 0; }
    ok "$name not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name (pid $pid) ignored SIGTERM for 15s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$(pid_file "$name")"
  ok "$name stopped (pid $pid)"
}

peer_node_env_peer0_org1() { org_vars org1 0 && peer_node_env && ccaas_builder_env; }
peer_node_env_peer0_org2() { org_vars org2 0 && peer_node_env && ccaas_builder_env; }
peer_node_env_peer1_org1() { org_vars org1 1 && peer_node_env && ccaas_builder_env; }
peer_node_env_peer1_org2() { org_vars org2 1 && peer_node_env && ccaas_builder_env; }
