#!/usr/bin/env bash
# tests/fuzz/run.sh [-j N] [SECONDS] - build the libFuzzer harnesses with
# clang and give each SECONDS (default 60) of fuzzing on a copy of its seed
# corpus, with its dictionary, N harnesses at once (default: one per core).
#
#   tests/fuzz/run.sh          60 s each, in build-fuzz/
#   tests/fuzz/run.sh 300      5 minutes each
#   tests/fuzz/run.sh -j 1 60  one after the other
#
# With N at once the harnesses run in rounds of N; when fewer than N are
# left for the last round, each of those runs as several libFuzzer workers
# sharing its corpus for a fraction of the time, so that every harness still
# gets SECONDS of CPU: five harnesses on two cores take 2.5 minutes, not 3.
#
# Environment: CC (default clang), SASGUARD_FUZZ_BUILD (default build-fuzz/ at
# the top of the tree), FUZZ_TARGETS (default "scan policy index pack tree"),
# FUZZ_FLAGS (more libFuzzer flags).
#
# Crashes, leaks, timeouts (over 25 s) and out-of-memory inputs land in
# tests/fuzz/crashes/ (named <harness>-crash-<sha1> ...), as do inputs slower
# than 10 s (<harness>-slow-unit-<sha1>: reported, not failures). For each
# one: fix the bug, copy the input to tests/fuzz/regressions/<harness>/ under a
# telling name, and the regular test suite replays it from then on
# (ctest -R fuzz_replay). The checked-in corpus is
# never written to: new inputs the fuzzer finds stay in the temporary copy
# (kept, and printed, when a harness fails), as do each harness's logs.
#
# Exits 0 when every harness ran its time without a crash, 1 otherwise.
set -euo pipefail

usage() { echo "usage: tests/fuzz/run.sh [-j N] [SECONDS]" >&2; exit 2; }
par=$(nproc 2>/dev/null || echo 2)
while getopts j: o; do
  case "$o" in
    j) par=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
secs=${1:-60}
case "$secs$par" in
  '' | *[!0-9]*) usage ;;
esac
[ "$par" -ge 1 ] && [ "$secs" -ge 1 ] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SASGUARD_FUZZ_BUILD:-$root/build-fuzz}
read -r -a targets <<< "${FUZZ_TARGETS:-scan policy index pack tree}"
ncpu=$(nproc 2>/dev/null || echo 2)

for t in "${targets[@]}"; do
  case "$t" in
    scan | policy | index | pack | tree) ;;
    *) echo "run.sh: unknown harness '$t'" >&2; exit 2 ;;
  esac
done

# A build directory keeps the compiler it was first configured with.
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER_ID:.*Clang\|^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  echo "run.sh: $build was configured with another compiler; remove it first" >&2
  exit 2
fi
CC=${CC:-clang} cmake -S "$root" -B "$build" -DSASGUARD_FUZZ=ON -DSASGUARD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$ncpu" --target $(for t in "${targets[@]}"; do printf 'fuzz_%s ' "$t"; done) >/dev/null

mkdir -p "$here/crashes"
work=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-fuzz.XXXXXX")

# fuzz HARNESS WORKERS SECONDS: runs in $work/HARNESS/, its corpus copy in
# corpus/, its log in fuzz.log (one worker) or fuzz-<i>.log (several); its exit
# status goes to status.
fuzz() {
  local t=$1 workers=$2 s=$3 max_len dir=$work/$1
  case "$t" in
    scan) max_len=65536 ;;
    policy) max_len=8192 ;;
    index) max_len=32768 ;;
    pack) max_len=65536 ;;
    tree) max_len=8192 ;;
  esac
  mkdir -p "$dir/corpus"
  cp -R "$here/corpus/$t/." "$dir/corpus/"
  touch "$dir/start"
  local flags=(-dict="$here/$t.dict" -max_len="$max_len" -max_total_time="$s" -timeout=25
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$here/crashes/$t-")
  [ "$workers" -gt 1 ] && flags+=(-jobs="$workers" -workers="$workers")
  set +e
  # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of flags
  (cd "$dir" && exec "$build/tests/fuzz/fuzz_$t" corpus "${flags[@]}" ${FUZZ_FLAGS:-} > fuzz.log 2>&1)
  echo $? > "$dir/status"
  set -e
}

# Rounds of $par; the last round's harnesses share the cores left to them.
n=${#targets[@]}
i=0
while [ "$i" -lt "$n" ]; do
  left=$((n - i)) workers=1 s=$secs
  if [ "$left" -lt "$par" ]; then
    workers=$((par / left))
    s=$(((secs + workers - 1) / workers))
  fi
  round=("${targets[@]:i:par}")
  for t in "${round[@]}"; do
    if [ "$workers" -gt 1 ]; then
      echo "== fuzz_$t: ${s}s x $workers workers, corpus copy in $work/$t/corpus"
    else
      echo "== fuzz_$t: ${s}s, corpus copy in $work/$t/corpus"
    fi
    fuzz "$t" "$workers" "$s" &
  done
  wait
  i=$((i + ${#round[@]}))
done

failed=()
for t in "${targets[@]}"; do
  dir=$work/$t
  # several workers log to fuzz-<i>.log, and their parent repeats them in fuzz.log
  logs=("$dir"/fuzz-*.log)
  [ -e "${logs[0]}" ] || logs=("$dir/fuzz.log")
  echo "== fuzz_$t"
  grep -hE '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)' \
    "${logs[@]}" || true
  # Inputs slower than 10 s are saved too; they are reported, not failures.
  find "$here/crashes" -name "$t-slow-unit-*" -newer "$dir/start" \
    -exec echo "?? fuzz_$t: slow input (not a failure; look into it): {}" \; >&2
  status=$(cat "$dir/status" 2>/dev/null || echo 1)
  if [ "$status" -ne 0 ]; then
    echo "!! fuzz_$t failed (exit $status); logs: $dir/fuzz*.log" >&2
    grep -hE 'ERROR: |SUMMARY: |invariant broken|Test unit written to' "${logs[@]}" >&2 || true
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -ne 0 ]; then
  echo "run.sh: crashes in: ${failed[*]}; inputs in $here/crashes/, logs in $work" >&2
  exit 1
fi
rm -rf "$work"
echo "run.sh: no crashes"
