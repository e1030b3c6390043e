#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Start the native medshare Fabric network: one Raft orderer (orderer.example.com,
OrdererMSP) and two peers for each hospital (peer0 and peer1.org1.example.com of Org1MSP,
peer0 and peer1.org2.example.com of Org2MSP; peer0 is the org's anchor peer), TLS
everywhere, LevelDB state, channel 'medshare'.

Idempotent: reuses existing crypto material, genesis block and ledgers, skips nodes that
are already running and channel joins already done. A running peer whose chaincode builder
configuration changes (CHAINCODE_SERVERS_PER_ORG, see lib.sh) is restarted, its cached
chaincode builds dropped. Data lives in .network/ (NETWORK_HOME);
binaries come from .fabric/ (scripts/fabric-binaries.sh). Ports: see scripts/network/lib.sh.

--docker: run the five nodes from network/docker-compose.yaml (hyperledger/fabric-orderer
and fabric-peer images, host networking) instead of as local processes; crypto material,
channel block, configuration, ports and data are the same. Needs a Docker engine, and
cryptogen, configtxgen, osnadmin and peer in .fabric/bin for the steps around the nodes.

FABRIC_PROFILE=1: the nodes it starts also serve Go's pprof on 127.0.0.1 (ports
ORDERER_PROFILE_PORT, PEER<i>_ORG<n>_PROFILE_PORT, see lib.sh); off by default. A node's
environment is written when it starts: nodes already running keep theirs (down.sh first).
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  "") ;;
  --docker) RUNTIME=docker ;;
  -h|--help) usage; exit 0 ;;
  *) die "usage: $0 [--docker]   (ports and paths come from the environment, see lib.sh)" ;;
esac

check_profile_switch
require_binaries
if [[ "$RUNTIME" == docker ]]; then
  docker compose version >/dev/null 2>&1 || die "--docker needs Docker with the compose plugin (docker compose version failed)"
  docker info >/dev/null 2>&1 || die "--docker needs a running Docker engine (docker info failed)"
fi
mkdir -p "$NETWORK_HOME"
if [[ -f "$RUNTIME_FILE" && "$(<"$RUNTIME_FILE")" != "$RUNTIME" ]] && [[ -d "$PID_DIR" ]] &&
  compgen -G "$PID_DIR/*.pid" >/dev/null; then
  die "the network is running with runtime '$(<"$RUNTIME_FILE")'; stop it with scripts/network/down.sh first"
fi
echo "$RUNTIME" >"$RUNTIME_FILE"
check_network_release
save_network_release
load_ports
mkdir -p "$CONFIG_DIR" "$CHANNEL_DIR" "$DATA_DIR" "$LOG_DIR" "$PID_DIR"
touch "$NETWORK_MARKER"
save_ports
log "Fabric binaries: $("$FABRIC_BIN/peer" version | awk '/Version:/ {print $2; exit}') in $FABRIC_BIN (pinned: $FABRIC_VERSION)"
log "network home: $NETWORK_HOME"

# ------------------------------------------------------------------ crypto material
if [[ -d "$ORDERER_DIR" && -d "$CRYPTO_DIR/peerOrganizations/org1.example.com" && -d "$CRYPTO_DIR/peerOrganizations/org2.example.com" ]]; then
  missing=()
  for p in "${PEERS[@]}"; do peer_vars "$p"; [[ -d "$PEER_DIR" ]] || missing+=("$PEER_NAME"); done
  if ((${#missing[@]})); then
    # A network made with one peer per org: the same CAs sign the new peers' certificates.
    log "adding crypto material for ${missing[*]} (cryptogen extend)"
    "$FABRIC_BIN/cryptogen" extend --config "$NETWORK_CONFIG_SRC/crypto-config.yaml" --input "$CRYPTO_DIR" >/dev/null
  fi
  ok "crypto material exists ($CRYPTO_DIR)"
else
  log "generating crypto material with cryptogen (NodeOUs on)"
  rm -rf "$CRYPTO_DIR"
  "$FABRIC_BIN/cryptogen" generate --config "$NETWORK_CONFIG_SRC/crypto-config.yaml" --output "$CRYPTO_DIR" >/dev/null
  ok "crypto material in $CRYPTO_DIR"
fi

# ------------------------------------------------------------------ node configuration
# configtx.yaml: the template in network/ with paths and ports filled in.
mkdir -p "$CONFIG_DIR/configtx" "$CONFIG_DIR/peer" "$CONFIG_DIR/orderer"
# shellcheck disable=SC2016  # envsubst takes the variable names literally
CRYPTO_DIR="$CRYPTO_DIR" ORDERER_HOST=127.0.0.1 PEER0_ORG1_HOST=127.0.0.1 PEER0_ORG2_HOST=127.0.0.1 \
  envsubst '${CRYPTO_DIR} ${ORDERER_HOST} ${ORDERER_PORT} ${PEER0_ORG1_HOST} ${PEER0_ORG1_PORT} ${PEER0_ORG2_HOST} ${PEER0_ORG2_PORT}' \
  <"$NETWORK_CONFIG_SRC/configtx.yaml" >"$CONFIG_DIR/configtx/configtx.yaml"

# core.yaml: Fabric's sample with the ccaas external builder pointed at our build of it and
# the Docker chaincode runtime switched off (there is no Docker engine; every chaincode
# runs as a service). Everything node-specific is set through CORE_* variables (lib.sh).
# The seds match by key, whatever the indentation: 2.5's sampleconfig indents by 4, 3.x's by 2.
sed -e "s#^\(\s*path:\s*\)/opt/hyperledger/ccaas_builder\s*\$#\1$CCAAS_BUILDER_DIR#" \
  -e 's#^\(\s*endpoint:\s*\)unix:///var/run/docker.sock\s*$#\1""#' \
  "$FABRIC_HOME/config/core.yaml" >"$CONFIG_DIR/peer/core.yaml"
grep -q "path: $CCAAS_BUILDER_DIR\$" "$CONFIG_DIR/peer/core.yaml" ||
  die "could not set the ccaas builder path in $CONFIG_DIR/peer/core.yaml (sampleconfig changed?)"
! grep -q '^\s*endpoint:\s*unix:///var/run/docker.sock' "$CONFIG_DIR/peer/core.yaml" ||
  die "could not switch the Docker chaincode runtime off in $CONFIG_DIR/peer/core.yaml (sampleconfig changed?)"
cp "$FABRIC_HOME/config/orderer.yaml" "$CONFIG_DIR/orderer/orderer.yaml"
ok "node configuration in $CONFIG_DIR (chaincode-as-a-service builder: $CCAAS_BUILDER_DIR)"

# ------------------------------------------------------------------ genesis block
if [[ -s "$GENESIS_BLOCK" ]]; then
  ok "genesis block of '$CHANNEL_NAME' exists ($GENESIS_BLOCK)"
else
  log "creating the genesis block of channel '$CHANNEL_NAME' (profile $CHANNEL_PROFILE)"
  FABRIC_CFG_PATH="$CONFIG_DIR/configtx" "$FABRIC_BIN/configtxgen" -profile "$CHANNEL_PROFILE" \
    -channelID "$CHANNEL_NAME" -outputBlock "$GENESIS_BLOCK" >>"$LOG_DIR/configtxgen.log" 2>&1 ||
    { tail -n 20 "$LOG_DIR/configtxgen.log" >&2; die "configtxgen failed (log: $LOG_DIR/configtxgen.log)"; }
  ok "genesis block in $GENESIS_BLOCK"
fi

# ------------------------------------------------------------------ processes
# launch_node starts a node unless it runs; start_node also waits until it is healthy.
launch_node() { # NAME BINARY ENV_FUNC OPS_PORT "OTHER_PORTS" [args...]
  local name="$1" bin="$2" envfunc="$3" ops="$4" ports="$5" p; shift 5
  if node_alive "$name" "$bin"; then
    ok "$name already running"
    if profiling && ! node_profiled "$name"; then
      warn "FABRIC_PROFILE=1 but $name runs without pprof (it was started without it): run scripts/network/down.sh, then this script again"
    elif ! profiling && node_profiled "$name"; then
      warn "$name runs with pprof on (started with FABRIC_PROFILE=1); down.sh and up.sh without it to switch it off"
    fi
  else
    for p in $ops $ports; do
      ! port_in_use "$p" ||
        die "port $p (for $name) is already in use by another process; stop it or choose other ports (see scripts/network/lib.sh)"
    done
    if [[ "$RUNTIME" == docker ]]; then
      log "starting $name in Docker (docker compose -p medshare logs $name)"
      write_node_env "$name" "$envfunc"
      mkdir -p "$PID_DIR" && echo docker >"$(pid_file "$name")"
      compose up -d "$name" >/dev/null || die "docker compose up $name failed"
    else
      log "starting $name (log: $LOG_DIR/$name.log)"
      start_process "$name" "$bin" "$envfunc" "$@"
    fi
  fi
}
start_node() { # NAME BINARY ENV_FUNC OPS_PORT "OTHER_PORTS" [args...]
  launch_node "$@"
  wait_healthy "$1" "$2" "$4"
}

start_node "$ORDERER_NAME" "$FABRIC_BIN/orderer" orderer_node_env "$ORDERER_OPS_PORT" \
  "$ORDERER_PORT $ORDERER_ADMIN_PORT $(profile_port_if_on "$ORDERER_PROFILE_PORT")"

# ------------------------------------------------------------------ orderer joins the channel
# osnadmin prints "Status: NNN" and then the JSON body on stdout; it exits 0 even on a 404.
# Only stdout is parsed: the CLIs' stderr (errors, and log lines in some releases) goes to
# CLI_ERR and into the error message.
CLI_ERR="$LOG_DIR/cli-stderr.log"
orderer_channel() { # -> JSON of the channel on the orderer, or fails
  local out
  out="$(osnadmin_cmd channel list --channelID "$CHANNEL_NAME" 2>/dev/null)" || return 1
  [[ "$(head -n1 <<<"$out")" == "Status: 200" ]] || return 1
  tail -n +2 <<<"$out"
}
if orderer_channel >/dev/null; then
  ok "orderer already a member of '$CHANNEL_NAME'"
else
  log "joining the orderer to '$CHANNEL_NAME' (channel participation API)"
  out="$(osnadmin_cmd channel join --channelID "$CHANNEL_NAME" --config-block "$GENESIS_BLOCK" 2>"$CLI_ERR")" ||
    die "osnadmin channel join failed: $(<"$CLI_ERR") $out"
  [[ "$(head -n1 <<<"$out")" == "Status: 201" ]] || die "osnadmin channel join failed: $out $(<"$CLI_ERR")"
  ok "orderer joined '$CHANNEL_NAME'"
fi
deadline=$((SECONDS + HEALTH_TIMEOUT))
info=""
until info="$(orderer_channel)" &&
  [[ "$(jq -r '.consensusRelation + "/" + .status' <<<"$info")" == consenter/active ]]; do
  ((SECONDS < deadline)) || die "orderer has not activated '$CHANNEL_NAME' after ${HEALTH_TIMEOUT}s: ${info:-no answer}"
  sleep 0.5
done
# After a (re)start Raft needs an election before it orders anything ("no Raft leader");
# with the single orderer of this topology, wait until it reports itself leader.
until curl -fsS --max-time 2 "http://127.0.0.1:$ORDERER_OPS_PORT/metrics" 2>/dev/null |
  grep -Eq "^consensus_etcdraft_is_leader\{channel=\"$CHANNEL_NAME\"\} 1\b"; do
  ((SECONDS < deadline)) || die "orderer has no Raft leader for '$CHANNEL_NAME' after ${HEALTH_TIMEOUT}s"
  sleep 0.5
done
ok "orderer serves '$CHANNEL_NAME' as an active consenter and Raft leader"

# ------------------------------------------------------------------ peers
# A peer keeps what its ccaas builder made of each package (externalbuilder/builds/, connection.json
# with the address filled in) and reuses it after a restart. When the builder configuration in its
# environment (CHAINCODE_SERVERS_PER_ORG, lib.sh's ccaas_builder_env) differs from the one it last
# started with, a running peer is restarted and its builds are dropped, so it builds them again
# (cheap for ccaas) with the new one and dials the server that configuration names.
builder_config_of() { sed -n 's/^CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG=//p' "$1" 2>/dev/null || true; }
refresh_builder_config() { # ENV_FUNC: for the peer of the last peer_vars
  local was want
  was="$(builder_config_of "$CONFIG_DIR/$PEER_NAME.env")"
  want="$("$1" | sed -n 's/^CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG=//p')"
  [[ "$was" == "$want" ]] && return 0
  if node_alive "$PEER_NAME" "$FABRIC_BIN/peer"; then
    [[ "$RUNTIME" == native ]] ||
      die "$PEER_NAME runs with another chaincode builder configuration (CHAINCODE_SERVERS_PER_ORG); stop the network first (scripts/network/down.sh)"
    log "restarting $PEER_NAME: its chaincode builder configuration changes (${was:-none} -> ${want:-none})"
    stop_process "$PEER_NAME" "$FABRIC_BIN/peer"
  fi
  rm -rf "$DATA_DIR/$PEER_NAME/externalbuilder/builds"
  write_node_env "$PEER_NAME" "$1"
}

# All four are launched first and then waited for, so their start-ups overlap.
for p in "${PEERS[@]}"; do
  peer_vars "$p"
  refresh_builder_config "peer_node_env_peer${PEER_INDEX}_${p%%:*}"
  launch_node "$PEER_NAME" "$FABRIC_BIN/peer" "peer_node_env_peer${PEER_INDEX}_${p%%:*}" "$PEER_OPS_PORT" \
    "$PEER_PORT $PEER_CC_PORT $(profile_port_if_on "$PEER_PROFILE_PORT")" node start
done
for p in "${PEERS[@]}"; do
  peer_vars "$p"
  wait_healthy "$PEER_NAME" "$FABRIC_BIN/peer" "$PEER_OPS_PORT"
done

# ------------------------------------------------------------------ peers join the channel
channel_height() { # ORG:INDEX -> prints the peer's height of the channel, or fails
  as_admin_on "$1" peer channel getinfo -c "$CHANNEL_NAME" 2>/dev/null |
    sed -n 's/^Blockchain info: //p' | jq -er '.height'
}
for p in "${PEERS[@]}"; do
  peer_vars "$p"
  if as_admin_on "$p" peer channel list 2>/dev/null | grep -qx "$CHANNEL_NAME"; then
    ok "$PEER_NAME already joined '$CHANNEL_NAME'"
  else
    log "joining $PEER_NAME to '$CHANNEL_NAME' as $ORG_MSP admin"
    as_admin_on "$p" peer channel join -b "$GENESIS_BLOCK" >/dev/null 2>"$CLI_ERR" ||
      die "peer channel join failed for $PEER_NAME: $(<"$CLI_ERR")"
    ok "$PEER_NAME joined '$CHANNEL_NAME'"
  fi
done

# Each peer pulls the channel's blocks from the orderer; report their heights.
for p in "${PEERS[@]}"; do
  peer_vars "$p"
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  until h="$(channel_height "$p")" && ((h >= 1)); do
    ((SECONDS < deadline)) || die "$PEER_NAME reports no height for '$CHANNEL_NAME' after ${HEALTH_TIMEOUT}s"
    sleep 0.5
  done
  ok "$PEER_NAME: '$CHANNEL_NAME' height $h"
done

cat <<EOF

${_c_b}medshare network is up${_c_0} (channel '$CHANNEL_NAME')
  orderer.example.com     127.0.0.1:$ORDERER_PORT  admin :$ORDERER_ADMIN_PORT  ops :$ORDERER_OPS_PORT
  peer0.org1.example.com  127.0.0.1:$PEER0_ORG1_PORT  chaincode :$PEER0_ORG1_CC_PORT  ops :$PEER0_ORG1_OPS_PORT  (Org1MSP, Hospital 1)
  peer0.org2.example.com  127.0.0.1:$PEER0_ORG2_PORT  chaincode :$PEER0_ORG2_CC_PORT  ops :$PEER0_ORG2_OPS_PORT  (Org2MSP, Hospital 2)
  peer1.org1.example.com  127.0.0.1:$PEER1_ORG1_PORT  chaincode :$PEER1_ORG1_CC_PORT  ops :$PEER1_ORG1_OPS_PORT  (Org1MSP)
  peer1.org2.example.com  127.0.0.1:$PEER1_ORG2_PORT  chaincode :$PEER1_ORG2_CC_PORT  ops :$PEER1_ORG2_OPS_PORT  (Org2MSP)
  logs: $LOG_DIR   pids: $PID_DIR
  act as an org admin:  source scripts/network/env.sh org1   (or org2)
  stop: scripts/network/down.sh   stop and wipe: scripts/network/reset.sh
EOF
if profiling; then
  echo "  Go pprof (FABRIC_PROFILE=1, http://127.0.0.1:PORT/debug/pprof/): orderer :$ORDERER_PROFILE_PORT  peer0.org1 :$PEER0_ORG1_PROFILE_PORT  peer0.org2 :$PEER0_ORG2_PROFILE_PORT  peer1.org1 :$PEER1_ORG1_PROFILE_PORT  peer1.org2 :$PEER1_ORG2_PROFILE_PORT"
fi
