#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
synopsis() { # printed on usage errors
  cat <<'EOF'

  scripts/network/deploy-chaincode.sh NAME VERSION SEQUENCE [ADDRESS | ORG1_ADDRESS ORG2_ADDRESS]

  NAME      chaincode name, e.g. medshare
  VERSION   definition version, e.g. 1.0 (also in the package label NAME_VERSION)
  SEQUENCE  definition sequence: 1 for the first definition, +1 for each upgrade
  ADDRESS   host:port of one chaincode server for both orgs' peers (default
            127.0.0.1:$CCAAS_PORT, i.e. 127.0.0.1:9999)
  ORG1_ADDRESS ORG2_ADDRESS  one server per organization, as an alliance runs it: each org
            gets its own package (its connection.json names its server, so the package ids
            differ), its peers install it and it approves its own package id for the same
            definition (Fabric allows that: the package id is not part of the definition).
            An address may also be a template, {{.KEY}}: each peer then dials the address
            its own environment gives for KEY (CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG, a JSON
            object), so the two peers of an org can dial two servers with one package
            (scripts/admin/deploy.sh with CHAINCODE_SERVERS_PER_ORG=2; scripts/network/lib.sh)

EOF
}
usage() {
  cat <<'EOF'
Deploy a chaincode-as-a-service (CCaaS) definition on the native medshare network.
EOF
  synopsis
  cat <<'EOF'
Environment: CC_POLICY (endorsement policy, default "AND('Org1MSP.peer','Org2MSP.peer')"),
CC_DIAL_TIMEOUT (default 10s).

Steps, each skipped when already done: build the package(s) (.network/chaincode/NAME/),
install on the peers (each org's on its own peers), approve the definition for Org1MSP and
Org2MSP, check commit readiness, commit, query. The package id is printed last and written
to .network/chaincode/NAME.id (one server), or each org's to NAME.org1.id and NAME.org2.id
(per-org servers; NAME.id is then removed): scripts/network/chaincode-server.sh reads them.
The peers only dial a server when the chaincode is invoked, so it may be started before or
after this script.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# >= 3 && $# <= 5)) || { synopsis >&2; exit 1; }

[[ -d "$NETWORK_HOME" ]] || die "no network in $NETWORK_HOME: run scripts/network/up.sh first"
load_ports
CC_NAME="$1" CC_VERSION="$2" CC_SEQUENCE="$3"
declare -A CC_ADDRESS=() PACKAGE_ID=()
if (($# == 5)); then
  PER_ORG=1 CC_ADDRESS[org1]="$4" CC_ADDRESS[org2]="$5"
else
  PER_ORG=0 CC_ADDRESS[org1]="${4:-127.0.0.1:$CCAAS_PORT}"
  CC_ADDRESS[org2]="${CC_ADDRESS[org1]}"
fi
CC_POLICY="${CC_POLICY:-AND('Org1MSP.peer','Org2MSP.peer')}"
CC_DIAL_TIMEOUT="${CC_DIAL_TIMEOUT:-10s}"
CC_LABEL="${CC_NAME}_${CC_VERSION}"

[[ "$CC_NAME" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "bad chaincode name '$CC_NAME'"
[[ "$CC_VERSION" =~ ^[a-zA-Z0-9_.+-]+$ ]] || die "bad version '$CC_VERSION'"
[[ "$CC_SEQUENCE" =~ ^[1-9][0-9]*$ ]] || die "SEQUENCE must be a positive integer, got '$CC_SEQUENCE'"
for org in org1 org2; do
  [[ "${CC_ADDRESS[$org]}" =~ ^[^:{}]+:[0-9]+$ || "${CC_ADDRESS[$org]}" =~ ^\{\{\.[A-Za-z_][A-Za-z0-9_]*\}\}$ ]] ||
    die "ADDRESS must be host:port or a template {{.KEY}}, got '${CC_ADDRESS[$org]}'"
done
((PER_ORG == 0)) || [[ "${CC_ADDRESS[org1]}" != "${CC_ADDRESS[org2]}" ]] || die "the two organizations' servers need different addresses"

ORDERER_ARGS=(-o "127.0.0.1:$ORDERER_PORT" --tls --cafile "$ORDERER_CA")
CC_DIR="$NETWORK_HOME/chaincode/$CC_NAME"
mkdir -p "$CC_DIR"

# Runs a peer CLI command as ORG's admin and prints its stdout only: the results read here
# (--output json, the package id) are on stdout, while the CLI's log lines go to stderr (Fabric
# 3.x logs gRPC INFO/WARN lines there at the default level), so they never reach jq. On failure
# prints both and stops.
peer_as() { # ORG args...   (against the org's peer0)
  local org="$1"; shift
  peer_as_on "$org:0" "$@"
}
peer_as_on() { # ORG:INDEX args...
  local on="$1" org="${1%%:*}" out err; shift
  err="$(mktemp)"
  if ! out="$(as_admin_on "$on" peer "$@" 2>"$err")"; then
    cat "$err" >&2
    [[ -n "$out" ]] && printf '%s\n' "$out" >&2
    rm -f "$err"
    die "peer ${1:-} ${2:-} ${3:-} failed as $org admin"
  fi
  rm -f "$err"
  printf '%s\n' "$out"
}

# ------------------------------------------------------------------ package
# Built reproducibly (fixed order, times and owners; gzip without name and time), so the
# same NAME, VERSION and ADDRESS always give the same package id.
det_tar() { # DIR OUT FILES...
  local dir="$1" out="$2"; shift 2
  tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode='u=rw,go=r' \
    -cf - "$@" | gzip -n >"$out"
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
package() { # ADDRESS PKG -> prints the package id
  local address="$1" pkg="$2" w
  w="$work/$(basename "$pkg" .tar.gz)"
  mkdir -p "$w/src" "$w/pkg"
  jq -n --arg a "$address" --arg t "$CC_DIAL_TIMEOUT" \
    '{address: $a, dial_timeout: $t, tls_required: false}' >"$w/src/connection.json"
  jq -n --arg l "$CC_LABEL" '{type: "ccaas", label: $l}' >"$w/pkg/metadata.json"
  det_tar "$w/src" "$w/pkg/code.tar.gz" connection.json
  det_tar "$w/pkg" "$w/package.tar.gz" code.tar.gz metadata.json
  if [[ -f "$pkg" ]] && cmp -s "$pkg" "$w/package.tar.gz"; then
    ok "package unchanged ($pkg)" >&2
  else
    mv "$w/package.tar.gz" "$pkg"
    ok "package $pkg" >&2
  fi
  as_admin org1 peer lifecycle chaincode calculatepackageid "$pkg" 2>/dev/null ||
    die "peer lifecycle chaincode calculatepackageid failed"
}
declare -A PKG=()
for org in org1 org2; do
  if ((PER_ORG)); then
    PKG[$org]="$CC_DIR/$CC_LABEL-$org.tar.gz"
  else
    PKG[$org]="$CC_DIR/$CC_LABEL.tar.gz"
  fi
  if ((PER_ORG == 0)) && [[ "$org" == org2 ]]; then
    PACKAGE_ID[org2]="${PACKAGE_ID[org1]}"
    continue
  fi
  log "packaging $CC_LABEL for $org (chaincode server at ${CC_ADDRESS[$org]})"
  PACKAGE_ID[$org]="$(package "${CC_ADDRESS[$org]}" "${PKG[$org]}")"
  ok "package id for $org: ${PACKAGE_ID[$org]}"
done

# ------------------------------------------------------------------ install
# Each peer installs its org's package (the same one for both orgs with one shared server);
# the definition is approved once per org below, with that org's package id.
for p in "${PEERS[@]}"; do
  peer_vars "$p"
  org="${p%%:*}"
  installed="$(peer_as_on "$p" lifecycle chaincode queryinstalled --output json)"
  if jq -e --arg id "${PACKAGE_ID[$org]}" '(.installed_chaincodes // []) | any(.package_id == $id)' <<<"$installed" >/dev/null; then
    ok "already installed on $PEER_NAME"
  else
    log "installing on $PEER_NAME"
    peer_as_on "$p" lifecycle chaincode install "${PKG[$org]}" >/dev/null
    ok "installed on $PEER_NAME"
  fi
done

# ------------------------------------------------------------------ approve
DEF_ARGS=(--channelID "$CHANNEL_NAME" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$CC_SEQUENCE"
  --signature-policy "$CC_POLICY")

committed_json() { as_admin org1 peer lifecycle chaincode querycommitted -C "$CHANNEL_NAME" -n "$CC_NAME" --output json 2>/dev/null; }
committed_seq=0
if cj="$(committed_json)"; then
  committed_seq="$(jq -r '.sequence // 0' <<<"$cj")"
fi
if ((committed_seq > CC_SEQUENCE)); then
  die "'$CC_NAME' is already committed at sequence $committed_seq, past $CC_SEQUENCE"
fi

for org in org1 org2; do
  org_vars "$org"
  # queryapproved fails when nothing is approved at that sequence.
  if aj="$(as_admin "$org" peer lifecycle chaincode queryapproved -C "$CHANNEL_NAME" -n "$CC_NAME" \
    --sequence "$CC_SEQUENCE" --output json 2>/dev/null)" &&
    [[ "$(jq -r '.version + " " + (.source.Type.LocalPackage.package_id // "")' <<<"$aj")" == "$CC_VERSION ${PACKAGE_ID[$org]}" ]]; then
    ok "$ORG_MSP already approved $CC_NAME $CC_VERSION sequence $CC_SEQUENCE"
  else
    log "approving $CC_NAME $CC_VERSION sequence $CC_SEQUENCE for $ORG_MSP (package ${PACKAGE_ID[$org]})"
    peer_as "$org" lifecycle chaincode approveformyorg "${ORDERER_ARGS[@]}" "${DEF_ARGS[@]}" \
      --package-id "${PACKAGE_ID[$org]}" >/dev/null
    ok "$ORG_MSP approved"
  fi
done

# ------------------------------------------------------------------ commit
if ((committed_seq == CC_SEQUENCE)); then
  ok "'$CC_NAME' sequence $CC_SEQUENCE already committed"
else
  readiness="$(peer_as org1 lifecycle chaincode checkcommitreadiness "${DEF_ARGS[@]}" --output json)"
  jq -e '.approvals | all' <<<"$readiness" >/dev/null ||
    die "definition not approved by every org: $(jq -c '.approvals' <<<"$readiness")"
  ok "commit readiness: $(jq -c '.approvals' <<<"$readiness")"
  log "committing $CC_NAME $CC_VERSION sequence $CC_SEQUENCE on '$CHANNEL_NAME'"
  peer_as org1 lifecycle chaincode commit "${ORDERER_ARGS[@]}" "${DEF_ARGS[@]}" \
    --peerAddresses "127.0.0.1:$PEER0_ORG1_PORT" \
    --tlsRootCertFiles "$CRYPTO_DIR/peerOrganizations/org1.example.com/peers/peer0.org1.example.com/tls/ca.crt" \
    --peerAddresses "127.0.0.1:$PEER0_ORG2_PORT" \
    --tlsRootCertFiles "$CRYPTO_DIR/peerOrganizations/org2.example.com/peers/peer0.org2.example.com/tls/ca.crt" >/dev/null
  ok "committed"
fi

for org in org1 org2; do
  org_vars "$org"
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  until cj="$(as_admin "$org" peer lifecycle chaincode querycommitted -C "$CHANNEL_NAME" -n "$CC_NAME" --output json 2>/dev/null)" &&
    (($(jq -r '.sequence' <<<"$cj") == CC_SEQUENCE)); do
    ((SECONDS < deadline)) || die "$PEER_NAME does not show '$CC_NAME' sequence $CC_SEQUENCE after ${HEALTH_TIMEOUT}s"
    sleep 0.5
  done
  ok "$PEER_NAME: $(jq -c '{sequence, version, approvals}' <<<"$cj")"
done

if ((PER_ORG)); then
  for org in org1 org2; do printf '%s\n' "${PACKAGE_ID[$org]}" >"$NETWORK_HOME/chaincode/$CC_NAME.$org.id"; done
  rm -f "$NETWORK_HOME/chaincode/$CC_NAME.id"
else
  printf '%s\n' "${PACKAGE_ID[org1]}" >"$NETWORK_HOME/chaincode/$CC_NAME.id"
  rm -f "$NETWORK_HOME/chaincode/$CC_NAME.org1.id" "$NETWORK_HOME/chaincode/$CC_NAME.org2.id"
fi
cat <<EOF

${_c_b}$CC_NAME $CC_VERSION (sequence $CC_SEQUENCE) is defined on '$CHANNEL_NAME'${_c_0}; package ids in $NETWORK_HOME/chaincode/
Start its server(s) with scripts/network/chaincode-server.sh start $CC_NAME:
  org1: ${PACKAGE_ID[org1]} at ${CC_ADDRESS[org1]}
  org2: ${PACKAGE_ID[org2]} at ${CC_ADDRESS[org2]}
${PACKAGE_ID[org1]}
EOF
