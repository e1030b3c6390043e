#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Retire one of your organization's access-layer keys (K3) on the ledger (layer-keys:RetireAccessKey).

  scripts/admin/retire-access-key.sh ORG KEY_ID [RETIRE_AT_MS]

  ORG           org1|org2: you act as that org's admin; only your org's keys can be retired
  KEY_ID        the K3 key id (64 lowercase hex digits: SM3 of the public key)
  RETIRE_AT_MS  when requests signed with it start to fail, Unix milliseconds
                (default: the transaction's timestamp, i.e. now)

Idempotent: a key already retired is left as it is (its first retirement time stays).
Prints the key entry (JSON). Exit codes: 0 retired, 1 refused (e.g. KEY_NOT_FOUND) or
failed, 2 usage. Endorsed by both hospitals' peers and waited for until committed.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 2 || $# == 3)) || usage_die "$0 ORG KEY_ID [RETIRE_AT_MS]"
ORG="$1" KEY_ID="${2,,}" AT="${3:-}"
is_hex64 "$KEY_ID" || usage_die "KEY_ID must be 64 hex digits"
[[ -z "$AT" ]] || is_uint "$AT" || usage_die "RETIRE_AT_MS must be Unix milliseconds, got '$AT'"

admin_env "$ORG"
# Already retired: nothing to commit (layer-keys:ListAccessKeys is an evaluation).
current="$(cc_query layer-keys:ListAccessKeys "$ORG_MSP" | jq -c --arg id "$KEY_ID" '.[] | select(.keyId == $id)')"
if [[ -n "$current" && "$(jq -r '.retiredAt // ""' <<<"$current")" != "" ]]; then
  printf '%s\n' "$current"
  ok "K3 $KEY_ID of $ORG_MSP was already retired at $(jq -r '.retiredAt' <<<"$current"): nothing to do"
  exit 0
fi
when=now
[[ -n "$AT" ]] && when="at $(date -u -d "@$((AT / 1000))" +%FT%TZ)"
log "retiring K3 $KEY_ID of $ORG_MSP $when"
entry="$(cc_invoke layer-keys:RetireAccessKey "$KEY_ID" "$AT")"
printf '%s\n' "$entry"
ok "K3 $KEY_ID of $ORG_MSP retired at $(jq -r '.retiredAt' <<<"$entry" 2>/dev/null) (committed)"
