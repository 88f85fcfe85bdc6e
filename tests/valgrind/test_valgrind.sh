#!/usr/bin/env bash
# test_valgrind.sh - the integration scripts that drive every mode (scan,
# pre-commit, pre-receive with push options, --all-history, config) run again
# with sasguard under valgrind's memcheck: a leak or a memory error is exit 99
# and fails the script's own checks. The logs of any failure are printed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-vg.XXXXXX")
trap 'rm -rf "$logs"' EXIT
export SASGUARD_REAL=${SASGUARD:?set SASGUARD} SASGUARD_VG_LOGS=$logs SASGUARD=$here/sasguard-memcheck
status=0
for t in git/test_allowances.sh git/test_history.sh; do
  echo "== $t under memcheck"
  SASGUARD_TRANSCRIPTS= bash "$here/../$t" || status=1
done
if grep -ql "ERROR SUMMARY: [1-9]\|definitely lost\|indirectly lost\|Invalid \|uninitialised" "$logs"/* 2>/dev/null; then
  grep -l "definitely lost\|indirectly lost\|Invalid \|uninitialised" "$logs"/* | head -3 | xargs cat
  status=1
fi
echo "memcheck logs: $(ls "$logs" | wc -l) processes"
exit $status
