#!/usr/bin/env bash
# tests/mutate.sh - mutation testing: do the tests fail when the code is wrong?
#
#   tests/mutate.sh              every mutant of tests/mutants.txt, each alone
#   tests/mutate.sh --list       the mutants, and whether each still applies
#   tests/mutate.sh --only ID    one mutant (repeat --only for several; an id or its number)
#   tests/mutate.sh --keep       leave the private copy and its build for a look afterwards
#   tests/mutate.sh --quick-baseline   check the unmutated copy against tiers 1 and 3 only
#                                (the heavier tests take minutes; use when the suite just passed)
#
# Each mutant is one plausible bug, written in tests/mutants.txt as a file, an
# exact snippet of it and its replacement. The script copies the work tree once
# into a private directory (the real tree is never touched, also on Ctrl-C),
# builds it once, checks that the unmutated copy passes every test the mutants
# name, then for each mutant: puts the bug in, rebuilds (incrementally), runs
# the tests in tiers and stops at the first failure:
#   1. the unit tests of lib/ (seconds; for a mutant of lib/ only: none links hook/)
#   2. the mutant's own heavier tests (its "tests:" line, e.g. git_pre_receive)
#   3. the command-line tests and the shared corpus (cli_*, shared_corpus)
# and puts the original back. The shell tests stop at their first failed check
# (SASGUARD_TEST_FAIL_FAST=1), so a kill costs seconds; tier 2 comes before
# tier 3 because a mutant of hook/ is killed by the test named for it, while
# cli_scan (a minute on a loaded machine) would run whole for nothing. A
# survivor runs all three. A mutant is
#   KILLED     a test failed (or the mutant did not compile: -Werror caught it)
#   SURVIVED   every test passed: a hole in the tests, or an equivalent mutant
#   STALE      its snippet is no longer found exactly once: the code moved on;
#              update the snippet (counted in neither)
#   NOBUILD    it does not compile (-Werror: an unused variable, say): the
#              compiler, not a test, caught it; rewrite it (counted in neither)
#   EQUIVALENT marked so in tests/mutants.txt with the reason it cannot change
#              behaviour: listed, not run, not counted
# and the score is killed / (killed + survived). Not part of CI: it takes a
# while (nice -n 10 tests/mutate.sh; about a minute a mutant on 2 cores).
# Exits 0 when nothing survived and nothing is stale, 1 otherwise, 2 on misuse.
set -uo pipefail
export SASGUARD_TEST_FAIL_FAST=1

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
list=$here/tests/mutants.txt
only=() keep=0 listonly=0 quickbase=0
while [ $# -gt 0 ]; do
  case "$1" in
    --list) listonly=1 ;;
    --only) shift; [ $# -gt 0 ] || { echo "mutate.sh: --only needs an id" >&2; exit 2; }; only+=("$1") ;;
    --keep) keep=1 ;;
    --quick-baseline) quickbase=1 ;;
    --mutants) shift; list=$1 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "mutate.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

fast1='^unit_(when|token|judge|scan|policy|corpus)$'
fast2='^(cli_scan|cli_help|shared_corpus)$'

# The mutants file, parsed and checked against a tree: one tab-separated line a
# mutant (number, id, file, status, tests, what), status being ok, stale (why)
# or equivalent (why). "mutate.py apply TREE N" puts mutant N in; "restore" takes it out.
py() {
  python3 - "$@" <<'PY'
import os, sys, json
cmd, listfile, tree = sys.argv[1], sys.argv[2], sys.argv[3]

def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)

mutants, cur = [], None
for n, line in enumerate(open(listfile, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if line.startswith("#"):
        continue
    if not line.strip():
        cur = None
        continue
    key, sep, val = line.partition(":")
    if not sep or key not in ("id", "file", "from", "to", "what", "tests", "equivalent"):
        sys.exit("%s:%d: expected 'key: value' (id, file, from, to, what, tests, equivalent)" % (listfile, n))
    if key == "id":
        cur = {"id": val.strip(), "line": n}
        mutants.append(cur)
        continue
    if cur is None:
        sys.exit("%s:%d: a mutant starts with its id: line" % (listfile, n))
    if key in cur:
        sys.exit("%s:%d: %s given twice" % (listfile, n, key))
    cur[key] = unescape(val[1:] if val.startswith(" ") else val)
ids = set()
for m in mutants:
    for k in ("file", "from", "to", "what"):
        if k not in m:
            sys.exit("%s:%d: mutant %s has no %s:" % (listfile, m["line"], m["id"], k))
    if m["id"] in ids:
        sys.exit("%s:%d: id %s used twice" % (listfile, m["line"], m["id"]))
    ids.add(m["id"])

def status(m):
    path = os.path.join(tree, m["file"])
    if "equivalent" in m:
        return "equivalent", m["equivalent"]
    if not os.path.exists(path):
        return "stale", "%s is gone" % m["file"]
    n = open(path, encoding="utf-8").read().count(m["from"])
    if n != 1:
        return "stale", "the snippet is found %d times in %s, not once" % (n, m["file"])
    return "ok", ""

if cmd == "table":
    for i, m in enumerate(mutants, 1):
        st, why = status(m)
        # fields apart by \x1f, not a tab: read splits runs of whitespace as one, and fields may be empty
        print("\x1f".join([str(i), m["id"], m["file"], st, why, m.get("tests", "").strip(), m["what"]]))
elif cmd == "apply":
    m = mutants[int(sys.argv[4]) - 1]
    path = os.path.join(tree, m["file"])
    text = open(path, encoding="utf-8").read()
    assert text.count(m["from"]) == 1
    open(path + ".mutate-orig", "w", encoding="utf-8").write(text)
    open(path, "w", encoding="utf-8").write(text.replace(m["from"], m["to"]))
elif cmd == "restore":
    m = mutants[int(sys.argv[4]) - 1]
    path = os.path.join(tree, m["file"])
    os.replace(path + ".mutate-orig", path)
PY
}

table=$(py table "$list" "$here") || exit 2
if [ "$listonly" = 1 ]; then
  printf '%s\n' "$table" | awk -F'\037' '{ printf "%3s %-36s %-10s %s\n", $1, $2, ($4 == "ok" ? "" : toupper($4)), $7; if ($4 != "ok") printf "%52s(%s)\n", "", $5 }'
  exit 0
fi

selected() { # number id
  [ ${#only[@]} -eq 0 ] && return 0
  local o
  for o in "${only[@]}"; do [ "$o" = "$1" ] || [ "$o" = "$2" ] && return 0; done
  return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-mutate.XXXXXX")
cleanup() {
  if [ "$keep" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo; echo "mutate.sh: interrupted (the real tree was never changed)"; exit 130' INT TERM

# The private copy: the tracked and untracked files of the work tree as they
# are now (uncommitted edits included), no builds, no .git. The shared corpus
# checker sits beside the tree as it does beside the real one.
echo "copying $here to $work/tree ..."
mkdir -p "$work/tree"
(cd "$here" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/tree" 2>/dev/null) ||
  { echo "mutate.sh: cannot copy the tree" >&2; exit 2; }
cp "$list" "$work/mutants.txt" && list=$work/mutants.txt # edits to the list during a run change nothing
[ -d "$here/../shared" ] && ln -s "$(cd "$here/../shared" && pwd)" "$work/shared"
build=$work/tree/build
# what the tests run: the program and the unit tests (not the fuzz replays)
targets="sasguard test_when test_token test_judge test_scan test_policy test_corpus test_packread"
log=$work/log
start=$(date +%s)
echo "building once ..."
cmake -S "$work/tree" -B "$build" >"$log" 2>&1 && cmake --build "$build" -j 2 --target $targets >>"$log" 2>&1 ||
  { echo "mutate.sh: the unmutated copy does not build:"; tail -20 "$log"; exit 2; }

# ctest over a regex, stopping at the first failure; prints the failed tests
run_tier() { # regex
  local out
  out=$(ctest --test-dir "$build" -R "$1" -j 2 --stop-on-failure --timeout 600 2>&1 </dev/null)
  local rc=$?
  if [ $rc -ne 0 ]; then # "  3 - unit_judge (Failed)" under "The following tests FAILED:"
    printf '%s\n' "$out" | sed -n '/tests FAILED:/,$p' | sed -nE 's/^[[:space:]]*[0-9]+ - ([^ ]+) \((.*)\).*/\1 (\2)/p' |
      head -3 | paste -sd, -
  fi
  return $rc
}

# The unmutated copy must pass every test a mutant may run: else a failure
# would count as a kill.
heavy=$(printf '%s\n' "$table" | awk -F'\037' '$4 == "ok" && $6 != "" { print $6 }' | tr ' ,' '\n\n' | grep -v '^$' | sort -u | paste -sd'|' -)
baseline="$fast1|$fast2"
[ "$quickbase" = 1 ] || baseline="$baseline${heavy:+|^($heavy)\$}"
if [ ${#only[@]} -eq 0 ]; then
  echo "the unmutated copy against every test the mutants use ..."
  if ! why=$(run_tier "$baseline"); then
    echo "mutate.sh: the unmutated tree fails its tests: $why"; exit 2
  fi
fi

killed=0 survived=0 stale=0 equiv=0 nobuild=0
survivors=() stales=() equivs=() nobuilds=()
# the table on fd 3: a test that reads stdin must not eat the next mutants
while IFS=$'\037' read -r -u 3 n id file st why tests what; do
  selected "$n" "$id" || continue
  case "$st" in
    equivalent) equiv=$((equiv + 1)); equivs+=("$id ($file): $what -- equivalent: $why"); continue ;;
    stale) stale=$((stale + 1)); stales+=("$id ($file): $why"); printf '%3s %-36s STALE     %s\n' "$n" "$id" "$why"; continue ;;
  esac
  t0=$(date +%s)
  py apply "$list" "$work/tree" "$n" || { echo "mutate.sh: cannot apply $id" >&2; exit 2; }
  touch "$work/tree/$file"
  result="" detail=""
  if ! cmake --build "$build" -j 2 --target $targets >"$log" 2>&1; then
    result=NOBUILD detail="$(grep -m1 -E 'error' "$log" | sed 's/^.*error: //')"
  else
    regexes=()
    case "$file" in lib/*) regexes+=("$fast1") ;; esac # no unit test of tier 1 links hook/
    [ -n "$tests" ] && regexes+=("^($(printf '%s' "$tests" | tr ' ,' '||' | sed 's/||*/|/g'))\$")
    regexes+=("$fast2")
    for r in "${regexes[@]}"; do
      if ! detail=$(run_tier "$r"); then result=KILLED; break; fi
    done
    [ -n "$result" ] || { result=SURVIVED detail=""; }
  fi
  py restore "$list" "$work/tree" "$n"
  touch "$work/tree/$file"
  secs=$(( $(date +%s) - t0 ))
  if [ "$result" = KILLED ]; then
    killed=$((killed + 1))
  elif [ "$result" = NOBUILD ]; then
    nobuild=$((nobuild + 1)); nobuilds+=("$id ($file): $detail")
  else
    survived=$((survived + 1)); survivors+=("$id ($file): $what")
  fi
  printf '%3s %-36s %-9s %4ss  %s\n' "$n" "$id" "$result" "$secs" "${detail:+by $detail}"
done 3<<<"$table"
# leave the copy's build unmutated for --keep
[ "$keep" = 1 ] && cmake --build "$build" -j 2 --target $targets >"$log" 2>&1

echo
total=$((killed + survived))
if [ $total -gt 0 ]; then
  score=$(awk -v k=$killed -v t=$total 'BEGIN { printf "%.1f", 100 * k / t }')
else
  score=n/a
fi
echo "mutation score: $killed killed / $total run = $score% ($survived survived, $stale stale, $nobuild not compiling, $equiv equivalent; $(( $(date +%s) - start ))s)"
if [ ${#survivors[@]} -gt 0 ]; then
  echo "survivors (a test to write, or an equivalent to mark in tests/mutants.txt):"
  printf '  %s\n' "${survivors[@]}"
fi
if [ ${#stales[@]} -gt 0 ]; then
  echo "stale (update the snippet in tests/mutants.txt):"
  printf '  %s\n' "${stales[@]}"
fi
if [ ${#nobuilds[@]} -gt 0 ]; then
  echo "not compiling (the compiler, not a test, would catch it: rewrite the mutant):"
  printf '  %s\n' "${nobuilds[@]}"
fi
if [ ${#equivs[@]} -gt 0 ]; then
  echo "equivalent (not run):"
  printf '  %s\n' "${equivs[@]}"
fi
[ $survived -eq 0 ] && [ $stale -eq 0 ] && [ $nobuild -eq 0 ]
