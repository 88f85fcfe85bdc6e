#!/usr/bin/env bash
# test_missing.sh - incomplete is never clean (DESIGN.md section 8): when an
# object that should be read is missing, every mode says how many, of which
# kinds and why, in text and in JSON notes, and exits 3; --allow-missing
# accepts a partial audit knowingly, keeping the note.
ADV=$(cd "$(dirname "$0")" && pwd)
. "$ADV/../git/gitlib.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')

# json_note FILE TEXT...: a note of the JSON report FILE holds every TEXT.
json_note() {
  local f=$1; shift
  "$PY" - "$f" "$@" <<'PY' && pass || { fail "no JSON note of $f holds: $*"; head -c 2000 "$f" >&2; }
import json, sys
d = json.load(open(sys.argv[1]))
want = sys.argv[2:]
assert any(all(w in n for w in want) for n in d["notes"]), d["notes"]
PY
}

# ---- a partial clone ---------------------------------------------------------------
# History: tokens in blobs deleted since, a clean tip. A --filter=blob:none
# clone fetches only the tip's blobs; the rest stays with its promisor remote.
R=$T/upstream
git init -q "$R"
cd "$R"
echo base > a.txt; git add a.txt; git commit -qm base
printf '%s\n' "$TOKEN_LINE" > old1.txt; git add old1.txt; git commit -qm old1
mkdir sub; printf 'k = %s\n' "$INCIDENT_URL" > sub/old2.txt; git add sub; git commit -qm old2
git rm -q old1.txt sub/old2.txt; git commit -qm "remove them"
echo more >> a.txt; git commit -qam more
git config uploadpack.allowFilter true
expect_exit 1 "$SASGUARD" --all-history "$R"   # control: the full repository has the tokens

P=$T/partial
git clone -q --filter=blob:none "file://$R" "$P"
cd "$P"
missing=$(git rev-list --objects --all --missing=print | grep -c '^?')
built() { if "$@"; then pass; else fail "setup: $*"; fi; }
built test -n "$(ls .git/objects/pack/*.promisor 2>/dev/null)"
built test "$missing" -ge 3    # old1.txt, sub/old2.txt, the first a.txt
built test "$(git config remote.origin.promisor)" = true

expect_exit 3 "$SASGUARD" --all-history "$P"
has "$T/out" "missing"
has "$T/out" "$missing blobs"
has "$T/out" "origin"         # the promisor remote
has "$T/out" "git "           # and the git command that fetches what is missing
lacks "$T/out" "no token in the history breaks the policy"
no_secrets "$T/out"
# No lazy fetch happened behind the scan's back.
[ "$(git rev-list --objects --all --missing=print | grep -c '^?')" = "$missing" ] && pass || fail "the scan fetched objects"

expect_exit 3 "$SASGUARD" --all-history --format json "$P"
json_note "$T/out" "missing" "$missing blobs" "origin"

# Knowingly partial: exit 0 (nothing found in what is there), the note kept.
expect_exit 0 "$SASGUARD" --all-history --allow-missing "$P"
has "$T/out" "missing"
has "$T/out" "$missing blobs"
has "$T/out" "origin"
expect_exit 0 "$SASGUARD" --all-history --allow-missing --format json "$P"
json_note "$T/out" "missing" "$missing blobs"
# A token in what is there: exit 1, the note kept. (Its own line: a file whose
# whole content is old1.txt's would be old1.txt's blob, no longer missing.)
printf 'new %s\n' "$TOKEN_LINE" > new.txt; git add new.txt; git commit -qm "token, local"
expect_exit 1 "$SASGUARD" --all-history --allow-missing "$P"
has "$T/out" "new.txt:1:11: error: account SAS for robustnessws4285631339"
has "$T/out" "$missing blobs"

# ---- a reachable blob deleted from a plain repository ---------------------------------
L=$T/lost
git init -q "$L"
cd "$L"
echo one > a.txt; echo two > b.txt; git add .; git commit -qm one
echo three > a.txt; git commit -qam two
gone=$(git rev-parse HEAD~1:a.txt)
rm ".git/objects/${gone:0:2}/${gone:2}"
built test "$(git rev-list --objects --all --missing=print | grep -c '^?')" = 1
expect_exit 3 "$SASGUARD" --all-history "$L"
has "$T/out" "missing"
has "$T/out" "1 blob"
lacks "$T/out" "no token in the history breaks the policy"
expect_exit 3 "$SASGUARD" --all-history --format json "$L"
json_note "$T/out" "missing" "1 blob"
expect_exit 0 "$SASGUARD" --all-history --allow-missing "$L"
has "$T/out" "1 blob"

# ---- a missing tree ---------------------------------------------------------------------
M=$T/tree
git init -q "$M"
cd "$M"
mkdir dir; echo x > dir/x.txt; echo y > top.txt; git add .; git commit -qm one
echo z > top.txt; git commit -qam two
gone=$(git rev-parse HEAD:dir)
rm ".git/objects/${gone:0:2}/${gone:2}"
built test "$(git rev-list --objects --all --missing=print | grep '^?' | cut -c2-)" = "$gone"
expect_exit 3 "$SASGUARD" --all-history "$M"
has "$T/out" "missing"
has "$T/out" "1 tree"
expect_exit 3 "$SASGUARD" --all-history --format json "$M"
json_note "$T/out" "missing" "1 tree"

# ---- a missing commit (not a shallow clone: no .git/shallow) -------------------------------
N=$T/commit
git init -q "$N"
cd "$N"
for i in 1 2 3; do echo $i > f.txt; git add f.txt; git commit -qm "c$i"; done
gone=$(git rev-parse HEAD~1)
rm ".git/objects/${gone:0:2}/${gone:2}"
built test ! -e .git/shallow
expect_exit 3 "$SASGUARD" --all-history "$N"
has "$T/out" "missing"
has "$T/out" "1 commit"
expect_exit 3 "$SASGUARD" --all-history --format json "$N"
json_note "$T/out" "missing" "1 commit"

# ---- pre-commit: the index names a blob the repository lacks ---------------------------------
I=$T/index
new_repo "$I"
cd "$I"
echo a > a.txt; git add a.txt; git commit -qm a
git update-index --add --cacheinfo 100644,1234567890123456789012345678901234567890,ghost.txt
expect_exit 3 "$SASGUARD" pre-commit
has "$T/err" "missing"
has "$T/err" "1 blob"
has "$T/err" "ghost.txt"

finish
