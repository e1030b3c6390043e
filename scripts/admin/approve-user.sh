#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Approve a doctor or institution that registered through your organization's access layer
(registry:ApproveUser). Patients need no approval.

  scripts/admin/approve-user.sh ORG KEY_ID

  ORG     org1|org2: you act as that org's admin; the user must belong to that org
  KEY_ID  the user's key id (64 hex digits, as `medshare keygen`/`register` print it)

Idempotent: approving an active user again succeeds and changes nothing. Prints the
directory entry (JSON). Exit codes: 0 approved, 1 refused (USER_NOT_FOUND, NOT_ORG_ADMIN
when the user belongs to another org, INVALID_INPUT for a patient) or failed, 2 usage.
Endorsed by both hospitals' peers and waited for until committed.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 2)) || usage_die "$0 ORG KEY_ID"
ORG="$1" KEY_ID="${2,,}"
is_hex64 "$KEY_ID" || usage_die "KEY_ID must be 64 hex digits"

admin_env "$ORG"
# Already active: nothing to commit (registry:GetUser is an evaluation; USER_NOT_FOUND is reported here).
current="$(cc_query registry:GetUser "$KEY_ID")"
if [[ "$(jq -r '.status' <<<"$current")" == active && "$(jq -r '.role' <<<"$current")" != patient &&
  "$(jq -r '.org' <<<"$current")" == "$ORG_MSP" ]]; then
  printf '%s\n' "$current"
  ok "user $KEY_ID is already active ($(jq -r '.role + ", " + .org' <<<"$current")): nothing to do"
  exit 0
fi
log "approving user $KEY_ID as $ORG_MSP admin"
entry="$(cc_invoke registry:ApproveUser "$KEY_ID")"
printf '%s\n' "$entry"
ok "user $KEY_ID is $(jq -r '.status + " (" + .role + ", " + .org + ")"' <<<"$entry" 2>/dev/null) (committed)"
