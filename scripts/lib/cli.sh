# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034  # BUILD_MODE is read by the scripts that source this file
# The command-line pieces every script shares (sourced, never run; sets no shell options):
# messages tagged with the script's name, and its two argument shapes. Set LOG_TAG first and
# define usage() (a heredoc) in the script.

say() { printf '[%s] %s\n' "$LOG_TAG" "$*"; }

# die [CODE] MESSAGE…: prints the message to stderr and exits with CODE (default 1).
die() {
  local code=1
  if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    code="$1"
    shift
  fi
  printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2
  exit "$code"
}

# A script that takes no arguments: --help prints usage; anything else is a usage error (2).
no_arguments() {
  case "${1:-}" in
    "") ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
}

# The cached-build scripts: sets BUILD_MODE to build (reuse a valid cache), force or check.
build_mode() {
  case "${1:-}" in
    "") BUILD_MODE=build ;;
    --force) BUILD_MODE=force ;;
    --check) BUILD_MODE=check ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die 1 "unknown argument '$1' (use --force, --check or --help)" ;;
  esac
}
