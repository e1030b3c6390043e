#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Retire one of your organization's re-encryption proxies on the ledger (files:RetireProxy):
from the transaction's time on, no new share may name it, and the fragments it made no longer
count in a receiver's view (docs/protocol.md §17). Shares that already name it keep their
other proxies: re-share a file whose threshold its remaining proxies no longer reach.

  scripts/admin/retire-proxy.sh ORG PROXY_ID

  ORG       org1|org2: you act as that org's admin; only your org's proxies can be retired
  PROXY_ID  the proxy id (64 lowercase hex digits: SM3 of its public key, as
            scripts/admin/register-proxy.sh and GET /v1/proxies print it)

Idempotent: a proxy already retired is left as it is (its first retirement time stays).
Prints the proxy entry (JSON). Exit codes: 0 retired, 1 refused (PROXY_NOT_FOUND,
NOT_ORG_ADMIN for another org's proxy) or failed, 2 usage. Endorsed by both hospitals'
peers and waited for until committed.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 2)) || usage_die "$0 ORG PROXY_ID"
ORG="$1" PROXY_ID="${2,,}"
is_hex64 "$PROXY_ID" || usage_die "PROXY_ID must be 64 hex digits"

admin_env "$ORG"
# Already retired: nothing to commit (files:ListProxies is an evaluation). Unknown ids and
# another org's proxies are left to the contract, which refuses them with their codes.
current="$(cc_query files:ListProxies | jq -c --arg id "$PROXY_ID" '.[] | select(.proxyId == $id)')"
if [[ -n "$current" && "$(jq -r '.org' <<<"$current")" == "$ORG_MSP" && "$(jq -r '.retiredAt // ""' <<<"$current")" != "" ]]; then
  printf '%s\n' "$current"
  ok "proxy $PROXY_ID of $ORG_MSP was already retired at $(jq -r '.retiredAt' <<<"$current"): nothing to do"
  exit 0
fi
log "retiring proxy $PROXY_ID of $ORG_MSP"
entry="$(cc_invoke files:RetireProxy "$PROXY_ID")"
printf '%s\n' "$entry"
ok "proxy $PROXY_ID of $ORG_MSP retired at $(jq -r '.retiredAt' <<<"$entry" 2>/dev/null) (committed)"
