#!/usr/bin/env bash
# test_valgrind.sh [SCRIPT ...] - an integration script that drives every mode
# (scan, pre-commit, pre-receive with push options, --all-history, config) runs
# again with sasguard under valgrind's memcheck: a leak or a memory error is
# exit 99 and fails the script's own checks. The logs of any failure are printed.
#
# The suite runs git/test_allowances.sh alone: it reaches every mode (about 50
# sasguard processes, 1-2 s each under memcheck). git/test_history.sh, which
# the suite once ran here too, adds only --all-history cases (26 processes,
# about 65 s on 2 cores); its paths run under AddressSanitizer in the sanitizer
# build (git_history). To run it, or any script of tests/, under memcheck:
#   SASGUARD=build-test/sasguard SOURCE_DIR=$PWD tests/valgrind/test_valgrind.sh git/test_history.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-vg.XXXXXX")
trap 'rm -rf "$logs"' EXIT
export SASGUARD_REAL=${SASGUARD:?set SASGUARD} SASGUARD_VG_LOGS=$logs SASGUARD=$here/sasguard-memcheck
[ $# -gt 0 ] || set -- git/test_allowances.sh
status=0
for t in "$@"; do
  echo "== $t under memcheck"
  SASGUARD_TRANSCRIPTS= bash "$here/../$t" || status=1
done
if grep -ql "ERROR SUMMARY: [1-9]\|definitely lost\|indirectly lost\|Invalid \|uninitialised" "$logs"/* 2>/dev/null; then
  grep -l "definitely lost\|indirectly lost\|Invalid \|uninitialised" "$logs"/* | head -3 | xargs cat
  status=1
fi
echo "memcheck logs: $(ls "$logs" | wc -l) processes"
exit $status
