#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] - build the libFuzzer harnesses with clang and
# run each for SECONDS (default 60) on a copy of its seed corpus, with its
# dictionary, one after the other.
#
#   tests/fuzz/run.sh          60 s each, in build-fuzz/
#   tests/fuzz/run.sh 300      5 minutes each
#
# Environment: CC (default clang), SASGUARD_FUZZ_BUILD (default build-fuzz/ at
# the top of the tree), FUZZ_TARGETS (default "scan policy index pack tree"), FUZZ_FLAGS (more
# libFuzzer flags, e.g. "-jobs=2").
#
# Crashes, leaks, timeouts (over 25 s) and out-of-memory inputs land in
# tests/fuzz/crashes/ (named <harness>-crash-<sha1> ...), as do inputs slower
# than 10 s (<harness>-slow-unit-<sha1>: reported, not failures). For each
# one: fix the bug, copy the input to tests/fuzz/regressions/<harness>/ under a
# telling name, and the regular test suite replays it from then on
# (ctest -R fuzz_replay). The checked-in corpus is
# never written to: new inputs the fuzzer finds stay in the temporary copy
# (kept, and printed, when a harness fails).
#
# Exits 0 when every harness ran its time without a crash, 1 otherwise.
set -euo pipefail

secs=${1:-60}
case "$secs" in
  '' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SASGUARD_FUZZ_BUILD:-$root/build-fuzz}
targets=${FUZZ_TARGETS:-scan policy index pack tree}
jobs=$(nproc 2>/dev/null || echo 2)

# A build directory keeps the compiler it was first configured with.
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER_ID:.*Clang\|^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  echo "run.sh: $build was configured with another compiler; remove it first" >&2
  exit 2
fi
CC=${CC:-clang} cmake -S "$root" -B "$build" -DSASGUARD_FUZZ=ON -DSASGUARD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target $(for t in $targets; do printf 'fuzz_%s ' "$t"; done) >/dev/null

mkdir -p "$here/crashes"
work=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-fuzz.XXXXXX")
failed=()

for t in $targets; do
  case "$t" in
    scan) max_len=65536 ;;
    policy) max_len=8192 ;;
    index) max_len=32768 ;;
    pack) max_len=65536 ;;
    tree) max_len=8192 ;;
    *) echo "run.sh: unknown harness '$t'" >&2; exit 2 ;;
  esac
  mkdir -p "$work/$t"
  cp -R "$here/corpus/$t/." "$work/$t/"
  echo "== fuzz_$t: ${secs}s, corpus copy in $work/$t"
  touch "$work/$t.start"
  set +e
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  "$build/tests/fuzz/fuzz_$t" "$work/$t" \
    -dict="$here/$t.dict" -max_len="$max_len" -max_total_time="$secs" \
    -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$here/crashes/$t-" ${FUZZ_FLAGS:-} >"$work/$t.log" 2>&1
  status=$?
  set -e
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)' \
    "$work/$t.log" || true
  # Inputs slower than 10 s are saved too; they are reported, not failures.
  find "$here/crashes" -name "$t-slow-unit-*" -newer "$work/$t.start" \
    -exec echo "?? fuzz_$t: slow input (not a failure; look into it): {}" \; >&2
  if [ "$status" -ne 0 ]; then
    echo "!! fuzz_$t failed (exit $status); log: $work/$t.log" >&2
    grep -E 'ERROR: |SUMMARY: |invariant broken|Test unit written to' "$work/$t.log" >&2 || true
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "run.sh: crashes in: ${failed[*]}; inputs in $here/crashes/, logs in $work" >&2
  exit 1
fi
rm -rf "$work"
echo "run.sh: no crashes"
