#!/usr/bin/env bash
# test_audit.sh - `sasguard --all-history` over a server's repositories: the
# layouts servers use (plain, GitLab's hashed storage, Gitea's owner/repo),
# one report naming each finding's repository, a summary row per repository,
# an unreadable repository named and counted, never skipped in silence.
. "$(dirname "$0")/gitlib.sh"

# A work repository whose history grows; bare copies of it at three stages.
W=$T/work
git init -q "$W"
cd "$W"
echo hi > a.txt; git add a.txt; git commit -qm a
SRV=$T/srv
mkdir -p "$SRV/git/@hashed/6b/86" "$SRV/gitea/alice" "$SRV/gitea/bob"
git clone -q --bare "$W" "$SRV/git/plain.git"
git clone -q --bare "$W" "$SRV/git/@hashed/6b/86/6b86b273ff34fce1.git"
printf 'url %s\n' "$INCIDENT_URL" > live.txt; git add live.txt; git commit -qm live
git clone -q --bare "$W" "$SRV/gitea/alice/models.git"
git rm -q live.txt; printf '%s\n' "$EXPIRED_LINE" > old.txt; git add old.txt; git commit -qm expired
git clone -q --bare "$W" "$SRV/gitea/bob/tools.git"
# not repositories: a plain directory, a file; skipped without a word is fine
mkdir -p "$SRV/git/lost+found"; echo x > "$SRV/README"
cd "$T"

expect_exit 1 "$SASGUARD" --all-history --now "$NOW" "$SRV"
has "$T/out" "gitea/alice/models.git: "
has "$T/out" ":live.txt:1:5: error: account SAS for robustnessws4285631339"
has "$T/out" "gitea/bob/tools.git: "
has "$T/out" ":old.txt:1:7: info:"
no_secrets "$T/out"
# one row each, in path order, live blocking tokens counted
has "$T/out" "repository"
grep -E '^[^ ]*git/@hashed/6b/86/6b86b273ff34fce1.git +0 +0 +0 +0  judged$' "$T/out" >/dev/null && pass || fail "hashed row"
grep -E '^[^ ]*gitea/alice/models.git +1 +1 +1 +1  judged$' "$T/out" >/dev/null && pass || fail "models row"
grep -E '^[^ ]*gitea/bob/tools.git +1 +1 +2 +2  judged$' "$T/out" >/dev/null && pass || fail "tools row: the live token of its history, the expired one"
has "$T/out" "4 repositories"

# JSON and SARIF carry the repository of each finding, and the rows.
expect_exit 1 "$SASGUARD" --all-history --now "$NOW" --format json "$SRV/git" "$SRV/gitea"
python3 - "$T/out" "$SRV" <<'PY' && pass || fail "JSON of an audit"
import json, sys
d = json.load(open(sys.argv[1])); srv = sys.argv[2]
rows = {r["path"][len(srv) + 1:]: r for r in d["repositories"]}
assert sorted(rows) == ["git/@hashed/6b/86/6b86b273ff34fce1.git", "git/plain.git", "gitea/alice/models.git",
                        "gitea/bob/tools.git"], sorted(rows)
assert rows["gitea/alice/models.git"]["live_blocking"] == 1 and rows["git/plain.git"]["findings"] == 0, rows
assert all(r["status"] == "judged" for r in rows.values()), rows
repos = sorted({f["repository"][len(srv) + 1:] for f in d["findings"]})
assert repos == ["gitea/alice/models.git", "gitea/bob/tools.git"], repos
PY
expect_exit 1 "$SASGUARD" --all-history --now "$NOW" --format sarif "$SRV"
python3 "$SOURCE_DIR/tests/sarif_check.py" "$T/out" && pass || fail "the audit's SARIF"
grep -q '"repository":"[^"]*gitea/alice/models.git"' "$T/out" && pass || fail "SARIF results name their repository"

# A repository git cannot open: named, counted, the audit incomplete (exit 3).
git clone -q --bare "$W" "$SRV/git/future.git"
git -C "$SRV/git/future.git" config core.repositoryformatversion 99
expect_exit 3 "$SASGUARD" --all-history --now "$NOW" "$SRV/git"
has "$T/out" "git/future.git: unreadable: unsupported repository version 99"
grep -E 'future.git +0 +0 +0 +0  unreadable' "$T/out" >/dev/null && pass || fail "the unreadable row"
has "$T/out" "the scan is incomplete"
expect_exit 3 "$SASGUARD" --all-history --now "$NOW" --format json "$SRV/git"
python3 - "$T/out" <<'PY' && pass || fail "JSON names the unreadable repository"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [r for r in d["repositories"] if r["status"].startswith("unreadable")]
assert len(bad) == 1 and bad[0]["path"].endswith("future.git"), d["repositories"]
assert any("future.git" in n for n in d["notes"]), d["notes"]
PY
rm -rf "$SRV/git/future.git"

# A path that names no repository at all, and a missing path.
mkdir "$T/nothing"
expect_exit 3 "$SASGUARD" --all-history "$T/nothing" "$T/nothing"
has "$T/err" "no repository under the paths given"
expect_exit 3 "$SASGUARD" --all-history "$SRV/git/plain.git" "$T/absent"
has "$T/out" "absent: unreadable: not a directory"

# ---- --state: the next audit reads only what it has not judged -------------
ST=$T/audit.state
: > "$T/trace1"
expect_exit 1 env SASGUARD_TRACE_BLOBS="$T/trace1" "$SASGUARD" --all-history --now "$NOW" --state "$ST" "$SRV"
[ -s "$ST" ] && pass || fail "no state written"
all_blobs=$(sort -u "$T/trace1" | wc -l)
[ "$all_blobs" -ge 3 ] && pass || fail "the first audit judged $all_blobs blobs"
# Nothing moved: nothing is read but the findings' blobs, reported as before.
: > "$T/trace2"
expect_exit 1 env SASGUARD_TRACE_BLOBS="$T/trace2" "$SASGUARD" --all-history --now "$NOW" --state "$ST" "$SRV"
[ ! -s "$T/trace2" ] && pass || fail "an unchanged server was judged again: $(wc -l < "$T/trace2") blobs"
has "$T/out" ":live.txt:1:5: error: account SAS for robustnessws4285631339"
grep -E '^[^ ]*gitea/alice/models.git +1 +1 +1 +1  judged \(unchanged since the last audit\)$' "$T/out" >/dev/null \
  && pass || fail "models row from the state"
# Findings from the state are judged anew: after the token's expiry it blocks nothing.
expect_exit 0 "$SASGUARD" --all-history --now 2052-01-01T00:00:00Z --state "$ST" "$SRV"
has "$T/out" ":live.txt:1:5: info:"
# A push to one repository: only its new blobs are read.
cd "$W"; printf 'again %s\n' "$INCIDENT_URL" > again.txt; git add again.txt; git commit -qm again
git push -q "$SRV/git/plain.git" HEAD:refs/heads/more; cd "$T"
: > "$T/trace3"
expect_exit 1 env SASGUARD_TRACE_BLOBS="$T/trace3" "$SASGUARD" --all-history --now "$NOW" --state "$ST" "$SRV"
has "$T/out" "git/plain.git: "
has "$T/out" ":again.txt:1:7"   # the same token as live.txt: one of its places
has "$T/out" "judged clean by an earlier audit (--state) were not read again"
! grep -qxF "$(echo hi | git hash-object --stdin)" "$T/trace3" && pass || fail "a clean blob judged before was read again"
grep -qxF "$(git -C "$W" rev-parse HEAD:again.txt)" "$T/trace3" && pass || fail "the new blob was not judged"
# Another policy: every repository judged anew.
printf '[policy]\nmax_lifetime = 30d\n' > "$T/other.ini"
: > "$T/trace4"
expect_exit 1 env SASGUARD_TRACE_BLOBS="$T/trace4" "$SASGUARD" --all-history --now "$NOW" --config "$T/other.ini" \
  --state "$ST" "$SRV"
[ "$(sort -u "$T/trace4" | wc -l)" -gt "$all_blobs" ] && pass || fail "a new policy did not judge everything again"
# A state file that is not one: a clear error, nothing overwritten.
echo "not a state" > "$T/bad.state"
expect_exit 2 "$SASGUARD" --all-history --state "$T/bad.state" "$SRV"
has "$T/err" "not a sasguard state file"
[ "$(cat "$T/bad.state")" = "not a state" ] && pass || fail "the bad state file was overwritten"
expect_exit 2 "$SASGUARD" scan --state "$ST" "$T/other.ini"
has "$T/err" "--state"

# One repository named directly is the plain mode: no repository column.
expect_exit 1 "$SASGUARD" --all-history --now "$NOW" "$SRV/gitea/alice/models.git"
lacks "$T/out" "models.git: "
! grep -qE '^repository +live +blocking' "$T/out" && pass || fail "a table for one repository"

finish
