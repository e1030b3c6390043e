#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Register a re-encryption proxy of your organization on the ledger (files:RegisterProxy): an
SM2 key that one of your gateways holds (its config's proxies.hosted), so that file owners can
seal key fragments to it and it can re-encrypt for their receivers (docs/protocol.md §17).

  scripts/admin/register-proxy.sh ORG PUBLIC_KEY_HEX

  ORG             org1|org2: you act as that org's admin (its Admin@ MSP in .network/crypto);
                  the proxy is registered for that org's MSP
  PUBLIC_KEY_HEX  the proxy's public key, uncompressed SM2 point: 04 + 128 lowercase hex digits
                  (from its PEM: openssl pkey -in proxy-1.pem -pubout -outform DER | tail -c 65 | xxd -p -c 65)

The proxy id is the key id of the public key (SM3, 64 hex digits). Idempotent: a proxy your org
already registered and has not retired is left as it is; a key registered by another org, or
retired, is refused (ALREADY_REGISTERED). Prints the proxy entry (JSON). Exit codes:
0 registered, 1 refused or failed, 2 usage. Endorsed by both hospitals' peers and waited for
until committed.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 2)) || usage_die "$0 ORG PUBLIC_KEY_HEX"
ORG="$1" PUB="${2,,}"
[[ "$PUB" =~ ^04[0-9a-f]{128}$ ]] || usage_die "PUBLIC_KEY_HEX must be 04 followed by 128 hex digits"

admin_env "$ORG"
# Already registered by this org and not retired: nothing to commit (files:ListProxies is an evaluation).
current="$(cc_query files:ListProxies | jq -c --arg pub "$PUB" '.[] | select(.publicKey == $pub)')"
if [[ -n "$current" && "$(jq -r '.org' <<<"$current")" == "$ORG_MSP" && "$(jq -r '.retiredAt // ""' <<<"$current")" == "" ]]; then
  printf '%s\n' "$current"
  ok "proxy $(jq -r '.proxyId' <<<"$current") is already registered for $ORG_MSP: nothing to do"
  exit 0
fi
log "registering a re-encryption proxy for $ORG_MSP"
entry="$(cc_invoke files:RegisterProxy "$PUB")"
printf '%s\n' "$entry"
ok "proxy $(jq -r '.proxyId // "?"' <<<"$entry" 2>/dev/null) registered for $ORG_MSP (committed)"
