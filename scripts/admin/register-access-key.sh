#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Register an access-layer key (K3) for your organization on the ledger (layer-keys:RegisterAccessKey).

  scripts/admin/register-access-key.sh ORG PUBLIC_KEY_HEX NOT_BEFORE_MS NOT_AFTER_MS

  ORG             org1|org2: you act as that org's admin (its Admin@ MSP in .network/crypto);
                  the key is registered for that org's MSP
  PUBLIC_KEY_HEX  the K3 public key, uncompressed SM2 point: 04 + 128 lowercase hex digits
  NOT_BEFORE_MS   start of the validity window, Unix milliseconds
  NOT_AFTER_MS    end of the validity window, Unix milliseconds (after NOT_BEFORE_MS)

Idempotent: registering the same key with the same window again succeeds and changes
nothing; the same key with another window, or a retired key, is refused (ALREADY_REGISTERED).
Prints the key entry (JSON). Exit codes: 0 registered, 1 refused or failed, 2 usage.
Endorsed by both hospitals' peers and waited for until committed.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 4)) || usage_die "$0 ORG PUBLIC_KEY_HEX NOT_BEFORE_MS NOT_AFTER_MS"
ORG="$1" PUB="${2,,}" FROM="$3" UNTIL="$4"
[[ "$PUB" =~ ^04[0-9a-f]{128}$ ]] || usage_die "PUBLIC_KEY_HEX must be 04 followed by 128 hex digits"
is_uint "$FROM" || usage_die "NOT_BEFORE_MS must be Unix milliseconds, got '$FROM'"
is_uint "$UNTIL" || usage_die "NOT_AFTER_MS must be Unix milliseconds, got '$UNTIL'"
((UNTIL > FROM)) || usage_die "NOT_AFTER_MS must be after NOT_BEFORE_MS"

admin_env "$ORG"
log "registering K3 for $ORG_MSP, valid $(date -u -d "@$((FROM / 1000))" +%FT%TZ) .. $(date -u -d "@$((UNTIL / 1000))" +%FT%TZ)"
entry="$(cc_invoke layer-keys:RegisterAccessKey "$PUB" "$FROM" "$UNTIL")"
printf '%s\n' "$entry"
ok "K3 $(jq -r '.keyId // "?"' <<<"$entry" 2>/dev/null) registered for $ORG_MSP (committed)"
