#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck source-path=SCRIPTDIR
usage() {
  cat <<'EOF_USAGE'
Set your organization's app-version policy on the ledger (app-policy:SetAppPolicy): the
versions of the medshare app whose shares and downloads your org's access layers and the
contract accept (docs/protocol.md §7.6).

  scripts/admin/set-app-policy.sh ORG MIN_VERSION [DENIED_VERSIONS]
  scripts/admin/set-app-policy.sh ORG --show

  ORG              org1|org2: you act as that org's admin; the policy is that org's MSP's
  MIN_VERSION      the lowest version allowed, SemVer 2.0.0 (e.g. 1.4.0), or "" for none
  DENIED_VERSIONS  versions refused whatever the minimum, separated by commas (e.g.
                   1.5.1,1.6.0-rc.1); compared by SemVer precedence, so 1.5.1+build7 is 1.5.1.
                   Default: none
  --show           print the current policy (an evaluation; nothing is written)

The whole policy is replaced; "" "" opens it again (every version, and requests that state
none, allowed). While a policy constrains anything, requests that state no appVersion (apps
older than the member) are refused. Access layers pick a change up within 30 s.
Prints the policy (JSON) on stdout, progress on stderr. Exit codes: 0 set, 1 refused (INVALID_INPUT for a malformed
version, NOT_ORG_ADMIN) or failed, 2 usage. Endorsed by both hospitals' peers and waited
for until committed.
EOF_USAGE
}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ "${1:-}" =~ ^(-h|--help)$ ]] && { usage; exit 0; }
(($# == 2 || $# == 3)) || usage_die "$0 ORG MIN_VERSION [DENIED_VERSIONS] | $0 ORG --show"
ORG="$1"
# SemVer 2.0.0's core, pre-release and build; the contract checks the details (leading zeros).
VERSION_RE='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'

if [[ "$2" == --show ]]; then
  (($# == 2)) || usage_die "$0 ORG --show"
  admin_env "$ORG"
  cc_query app-policy:GetAppPolicy "$ORG_MSP"
  exit 0
fi
MIN="$2" DENIED="${3:-}"
[[ -z "$MIN" || "$MIN" =~ $VERSION_RE ]] || usage_die "MIN_VERSION must be a SemVer version like 1.4.0 (or \"\"), got '$MIN'"
if [[ -n "$DENIED" ]]; then
  IFS=',' read -r -a denied_list <<<"$DENIED"
  for v in "${denied_list[@]}"; do
    [[ "$v" =~ $VERSION_RE ]] || usage_die "DENIED_VERSIONS must be SemVer versions separated by commas, got '$v'"
  done
fi

admin_env "$ORG"
# Progress goes to stderr: stdout is the policy alone (JSON), for the caller to parse.
log "setting the app-version policy of $ORG_MSP: minimum ${MIN:-none}, denied ${DENIED:-none}" >&2
policy="$(cc_invoke app-policy:SetAppPolicy "$MIN" "$DENIED")"
printf '%s\n' "$policy"
ok "app-version policy of $ORG_MSP set (committed); access layers apply it within 30 s" >&2
