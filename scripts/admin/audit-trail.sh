#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF'
Read a record's audit trail as an admin of the organization where it was uploaded
(audit:AdminAuditTrail, an evaluation on your org's peer: nothing is written). No record data.

  scripts/admin/audit-trail.sh ORG RECORD_ID [PAGE_SIZE]

  ORG        org1|org2: you act as that org's admin
  RECORD_ID  64 hex digits
  PAGE_SIZE  entries per chaincode call, 1..100 (default 50); every page is fetched

Prints one line per entry, oldest first (time, action, actor, subject, app, org, tx), or
with --json (as the first argument) a JSON array of the entries. Exit codes: 0 done,
1 refused (RECORD_NOT_FOUND, NOT_ORG_ADMIN) or failed, 2 usage.
EOF
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
JSON=0
[[ "${1:-}" == --json ]] && { JSON=1; shift; }
(($# == 2 || $# == 3)) || usage_die "$0 [--json] ORG RECORD_ID [PAGE_SIZE]"
ORG="$1" RECORD_ID="${2,,}" PAGE_SIZE="${3:-50}"
is_hex64 "$RECORD_ID" || usage_die "RECORD_ID must be 64 hex digits"
if ! [[ "$PAGE_SIZE" =~ ^[0-9]{1,3}$ ]] || ((PAGE_SIZE < 1 || PAGE_SIZE > 100)); then usage_die "PAGE_SIZE must be 1..100"; fi

admin_env "$ORG"
entries='[]' bookmark='' pages=0
while :; do
  page="$(cc_query audit:AdminAuditTrail "$RECORD_ID" "$PAGE_SIZE" "$bookmark")"
  entries="$(jq -c --argjson acc "$entries" '$acc + .items' <<<"$page")"
  pages=$((pages + 1))
  next="$(jq -r '.bookmark // ""' <<<"$page")"
  # the last page has fewer items than asked for, or no bookmark
  (($(jq '.items | length' <<<"$page") < PAGE_SIZE)) && break
  [[ -z "$next" || "$next" == "$bookmark" ]] && break
  bookmark="$next"
  ((pages < 10000)) || die "more than 10000 pages: stopping"
done

if ((JSON)); then
  jq '.' <<<"$entries"
else
  jq -r '.[] | [(.at / 1000 | strftime("%Y-%m-%dT%H:%M:%SZ")), .action, ("actor=" + .actorKeyId[0:16]),
    ("subject=" + ((.subjectKeyId // "-")[0:16])), ("app=" + .appId), ("org=" + .org), ("tx=" + .txId[0:16])] | join("  ")' <<<"$entries"
  ok "$(jq length <<<"$entries") audit entries for record $RECORD_ID ($pages page(s) of up to $PAGE_SIZE)"
fi
