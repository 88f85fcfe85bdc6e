#!/usr/bin/env bash
# test_history_sha256.sh - `sasguard --all-history` of SHA-256 repositories
# (git's plumbing: libgit2 1.5.1 cannot open them) against the same history
# in SHA-1 (libgit2): the same findings, paths, commits, notes and counts.
. "$(dirname "$0")/gitlib.sh"

# make_history DIR FORMAT: one history, byte for byte, in either object format.
make_history() {
  local d=$1
  git init -q --object-format="$2" "$d"
  (
    cd "$d" || exit 1
    export GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000'
    printf '[allow]\npath = fixtures/**\n' > .sasguard.ini
    echo base > a.txt; git add a.txt; git commit -qm base
    # a side branch: the token added, renamed, then deleted (only in history)
    git checkout -q -b side
    printf 'notes\n%s\n' "$TOKEN_LINE" > notes.md; git add notes.md; git commit -qm "side: notes"
    git mv notes.md docs-notes.md; git commit -qm "side: rename"
    git rm -q docs-notes.md; git commit -qm "side: remove"
    # another branch: an expired token, a fixture allowed by path, then copied out of it
    git checkout -q -b feature main
    printf '%s\n' "$EXPIRED_LINE" > old.txt; git add old.txt; git commit -qm "feature: old"
    mkdir fixtures src; printf 'k\n%s\n' "$KEY_LINE" > fixtures/key.txt; git add fixtures; git commit -qm "fixture"
    cp fixtures/key.txt src/key.txt; git add src; git commit -qm "fixture copied"
    # a fixture only ever at allowed paths, renamed: allowed at its first path
    printf 'f\n\n%s\n' "$TOKEN_LINE" > fixtures/sas.txt; git add fixtures; git commit -qm "fixture sas"
    git mv fixtures/sas.txt fixtures/sas2.txt; git commit -qm "fixture renamed"
    # skips: a binary blob, a large one, a Git LFS pointer (each holding a token)
    { printf '\0\1\2'; printf '%s\n' "$TOKEN_LINE"; } > blob.bin
    { head -c 3000 /dev/zero | tr '\0' x; printf '\n%s\n' "$TOKEN_LINE"; } > large.txt
    printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 12\n' 7 > model.pt
    git add blob.bin large.txt model.pt; git commit -qm "skips"
    git checkout -q main
    git merge -q --no-ff --no-edit side; git merge -q --no-ff --no-edit feature
    # a key in a commit message, a token in an annotated tag's message
    git commit -q --allow-empty -m "rotate: $KEY_LINE"
    git tag -a v1 -m "release: $TOKEN_LINE"
    # content only refs reach: a blob a tag names, a tree a ref names
    git tag blob-tag "$(printf 'tip\n%s\n' "$TOKEN_LINE" | git hash-object -w --stdin)"
    t=$(printf 'x\ny %s\n' "$TOKEN_LINE" | git hash-object -w --stdin)
    git update-ref refs/trees/t "$(printf '100644 blob %s\tin-tree.txt\n' "$t" | git mktree)"
    # a dangling blob holding a token
    printf 'lost %s\n' "$EXPIRED_LINE" | git hash-object -w --stdin >/dev/null
  ) || fail "setup: $d"
}

printf '[policy]\nmax_file_size = 2K\nscan_binary = false\n' > "$T/policy.ini"
make_history "$T/one" sha1
make_history "$T/two" sha256
[ "$(git -C "$T/two" rev-parse --show-object-format)" = sha256 ] && pass || fail "setup: not SHA-256"

# Text: the findings at their origin, 64-hex commits shortened as SHA-1's are.
expect_exit 1 "$SASGUARD" --all-history --config "$T/policy.ini" "$T/two"
cp "$T/out" "$T/two.txt"
notes=$(git -C "$T/two" rev-parse --short=12 'side~2')
tag=$(git -C "$T/two" rev-parse v1)
has "$T/out" "$notes:notes.md:2:7"
has "$T/out" "${tag:0:12}:(tag message):1:"
has "$T/out" "(commit message):1:"
has "$T/out" "src/key.txt:2:"
has "$T/out" "old.txt:1:7"
lacks "$T/out" "docs-notes.md"   # a rename adds nothing: one finding, at its origin
lacks "$T/out" "fixtures/key.txt"
lacks "$T/out" "$tag "            # no full 64-hex id in text
has "$T/out" "reachable from no ref"
lacks "$T/out" "extensions.objectformat"
no_secrets "$T/out"

# The differential: findings (path, line, column, rules, fingerprint and the
# commit by its message), notes and counts equal in both formats.
for f in one two; do
  expect_exit 1 "$SASGUARD" --all-history --format json --config "$T/policy.ini" "$T/$f"
  python3 - "$T/out" "$T/$f" > "$T/$f.set" <<'PY' || fail "JSON of $f does not parse"
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
def subject(c):
    if not c:
        return None
    raw = subprocess.run(["git", "-C", sys.argv[2], "cat-file", "-p", c], capture_output=True, text=True).stdout
    return raw.split("\n\n", 1)[1].splitlines()[0]
places = set()
for f in d["findings"]:
    for p in f["locations"]:
        places.add((p["path"], p["line"], p["column"], tuple(f["rules"]), f["fingerprint"], subject(p["commit"])))
for p in sorted(places):
    print(p)
print("notes", sorted(d["notes"]))
print("stats", sorted(d["stats"].items()))
PY
  no_secrets "$T/out"
done
if cmp -s "$T/one.set" "$T/two.set"; then pass; else fail "SHA-1 and SHA-256 histories judged differently"; diff "$T/one.set" "$T/two.set" >&2; fi
# what the differential compares is all there: each kind of place and skip
for want in "('notes.md', 2, 7" "('old.txt', 1, 7" "('src/key.txt', 2" "'(commit message)'" \
            "'(tag message)', 1, 16" "('refs/tags/blob-tag', 2, 7" "('refs/trees/t:in-tree.txt', 2, 9" "('binary_skipped', 1)" "('large_skipped', 1)" "('lfs_skipped', 1)"; do
  has "$T/two.set" "$want"
done

# hook/odb reads a SHA-256 repository's packs (32-byte ids) and loose files
# itself; git's cat-file stream is what it falls back to. Both judge alike in
# every layout: all loose, several packs and loose files holding the same
# objects, one pack of REF_DELTA entries, one of OFS_DELTA; a linked work
# tree (its objects in the common directory); a fork on a pool (alternates:
# the stream).
json_set() { # DIR [ENV...]: the findings, notes and counts of its history
  expect_exit 1 env "${@:2}" "$SASGUARD" --all-history --format json --config "$T/policy.ini" "$1"
  python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    for p in f["locations"]:
        print(p["path"], p["line"], p["column"], f["rules"], f["fingerprint"], p["commit"])
print("notes", sorted(d["notes"])); print("stats", sorted(d["stats"].items()))' "$T/out" | sort
}
cp -r "$T/two" "$T/lay"
json_set "$T/lay" SASGUARD_TEST_STREAM=1 > "$T/stream.set"
grep -q "notes.md 2 7" "$T/stream.set" && pass || fail "the stream judged nothing"
lay() { # NAME: the layout now in $T/lay judged as the stream judged it
  json_set "$T/lay" > "$T/lay-$1.set"
  if cmp -s "$T/stream.set" "$T/lay-$1.set"; then pass; else fail "layout $1: judged unlike git's stream"; diff "$T/stream.set" "$T/lay-$1.set" >&2; fi
}
lay loose
git -C "$T/lay" repack -q   # a pack of the loose objects, which stay too (no -d)
git -C "$T/lay" rev-list --objects --all | cut -d' ' -f1 |
  git -C "$T/lay" pack-objects -q "$T/lay/.git/objects/pack/pack" >/dev/null   # all again, in another pack
[ "$(ls "$T/lay/.git/objects/pack/"*.idx | wc -l)" = 2 ] && pass || fail "setup: two packs"
lay several-packs-and-loose
git -C "$T/lay" -c repack.useDeltaBaseOffset=false repack -q -a -d -f
lay ref-delta
git -C "$T/lay" repack -q -a -d -f
lay ofs-delta
git -C "$T/lay" worktree add -q "$T/lay-wt" 2>/dev/null
cp "$T/lay/.sasguard.ini" "$T/lay-wt/"   # untracked: the work tree's policy file
json_set "$T/lay-wt" > "$T/lay-wt.set"
cmp -s "$T/stream.set" "$T/lay-wt.set" && pass || fail "a linked work tree judged unlike its repository"
git clone -q --shared "$T/lay" "$T/fork"
[ -s "$T/fork/.git/objects/info/alternates" ] && pass || fail "setup: no alternates"
expect_exit 1 "$SASGUARD" --all-history --config "$T/policy.ini" "$T/fork"
has "$T/out" "notes.md:2:7"
# A damaged pack entry is named by hook/odb's reader (not git's stream): exit 3.
cp -r "$T/lay" "$T/badpack"
blob=$(git -C "$T/badpack" rev-parse 'side~2:notes.md')
idx=$(ls "$T/badpack/.git/objects/pack/"*.idx)
off=$(git -C "$T/badpack" show-index --object-format=sha256 < "$idx" | awk -v b="$blob" '$2 == b { print $1 }')
[ -n "$off" ] && pass || fail "setup: the blob's offset"
pack=${idx%.idx}.pack; chmod u+w "$pack"
printf 'XXXXXXXX' | dd of="$pack" bs=1 seek=$((off + 4)) conv=notrunc 2>/dev/null
expect_exit 1 "$SASGUARD" --all-history "$T/badpack"   # the tokens it could read block
has "$T/err" "$blob cannot be read from its pack"
has "$T/out" "1 objects could not be read"

# The differential on generated SHA-256 histories: the blobs --all-history
# judged (SASGUARD_TRACE_BLOBS) are every blob git lists, each once, in each
# layout hook/odb reads and through git's stream.
G=$T/gen; git init -q --object-format=sha256 "$G"
python3 "$SOURCE_DIR/tests/adversarial/gen_repo.py" 5 60 | git -C "$G" fast-import --quiet
git -C "$G" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectname)' |
  awk '$1 == "blob" { print $2 }' | sort > "$T/gen.want"
gen_trace() { # LAYOUT [ENV...]
  : > "$T/gen.trace"
  env SASGUARD_TRACE_BLOBS="$T/gen.trace" "${@:2}" "$SASGUARD" --all-history --quiet "$G" >/dev/null 2>"$T/err"
  [ $? -le 1 ] && pass || { fail "gen ($1): exit not 0 or 1"; cat "$T/err" >&2; }
  [ -z "$(sort "$T/gen.trace" | uniq -d)" ] && pass || fail "gen ($1): a blob judged twice"
  sort "$T/gen.trace" > "$T/gen.got"
  cmp -s "$T/gen.want" "$T/gen.got" && pass ||
    fail "gen ($1): judged $(wc -l < "$T/gen.got") blobs, git lists $(wc -l < "$T/gen.want")"
}
gen_trace fast-import-pack
gen_trace stream SASGUARD_TEST_STREAM=1
mv "$G/.git/objects/pack" "$T/gen-pack"; mkdir "$G/.git/objects/pack"
cat "$T/gen-pack/"*.pack | git -C "$G" unpack-objects -q
[ -z "$(ls "$G/.git/objects/pack")" ] && pass || fail "setup: not all loose"
gen_trace all-loose
git -C "$G" repack -q -a -d -f
gen_trace one-pack
git -C "$G" -c repack.useDeltaBaseOffset=false repack -q -a -d -f --depth=200
gen_trace ref-delta-deep
printf 'generated: %d blobs\n' "$(wc -l < "$T/gen.want")"

# The other formats: SARIF against the schema, HTML; no full signature anywhere.
expect_exit 1 "$SASGUARD" --all-history --format sarif --config "$T/policy.ini" "$T/two"
python3 "$SOURCE_DIR/tests/sarif_check.py" "$T/out" && pass || fail "SHA-256 history SARIF against the schema"
no_secrets "$T/out"
expect_exit 1 "$SASGUARD" --all-history --format html --config "$T/policy.ini" "$T/two"
has "$T/out" "notes.md"
no_secrets "$T/out"

# The same with one thread or four.
for n in 1 4; do
  "$SASGUARD" --all-history --format json --threads $n "$T/two" |
    python3 -c 'import json,sys; print(sorted((f["commit"],f["path"],f["line"]) for f in json.load(sys.stdin)["findings"]))' > "$T/t$n"
done
cmp -s "$T/t1" "$T/t4" && [ -s "$T/t1" ] && pass || fail "--threads 1 and 4 differ"

# Its own .sasguard.ini applies (client mode), from the work tree: without
# it, the key is reported where it was first committed, the fixture.
expect_exit 1 "$SASGUARD" --all-history "$T/two"
has "$T/out" ":src/key.txt:2:"
mv "$T/two/.sasguard.ini" "$T/ini.off"
expect_exit 1 "$SASGUARD" --all-history "$T/two"
has "$T/out" ":fixtures/key.txt:2:"
mv "$T/ini.off" "$T/two/.sasguard.ini"
expect_exit 1 "$SASGUARD" --all-history --show-allowed "$T/two"
has "$T/out" ":fixtures/sas.txt:3:7: "
has "$T/out" "(allowed: path)"
lacks "$T/out" "sas2.txt"

# A clean SHA-256 history exits 0.
git init -q --object-format=sha256 "$T/clean"
echo x > "$T/clean/x"; git -C "$T/clean" add x; git -C "$T/clean" commit -qm x
git -C "$T/clean" tag -a v0 -m "a tag"
expect_exit 0 "$SASGUARD" --all-history "$T/clean"
has "$T/out" "no token in the history breaks the policy"
lacks "$T/out" "note"

# --state: a SHA-256 repository is read in full every time, and says so.
expect_exit 1 "$SASGUARD" --all-history --state "$T/audit.state" "$T/two"
has "$T/out" "read in full on every audit"
expect_exit 1 "$SASGUARD" --all-history --state "$T/audit.state" "$T/two"
has "$T/out" "notes.md:2:7"

# An audit of a directory holding a SHA-1 and a SHA-256 bare repository judges both.
mkdir "$T/srv"
git clone -q --bare "$T/one" "$T/srv/one.git"
git clone -q --bare "$T/two" "$T/srv/two.git"
expect_exit 1 "$SASGUARD" --all-history --config "$T/policy.ini" "$T/srv"
has "$T/out" "one.git: "
has "$T/out" "two.git: "
grep -F "two.git" "$T/out" | grep -qF "notes.md:2:7" && pass || fail "the SHA-256 repository's finding"
has "$T/out" "2 repositories"
lacks "$T/out" "unreadable"
no_secrets "$T/out"

# Missing or damaged objects: never clean (exit 3), each said in a note.
# (a history whose tokens sit only in blobs, so what is missing hides them)
git init -q --object-format=sha256 "$T/blobs"
printf '%s\n' "$TOKEN_LINE" > "$T/blobs/t.txt"; echo y > "$T/blobs/y.txt"
git -C "$T/blobs" add . && git -C "$T/blobs" commit -qm blobs
git -C "$T/blobs" config uploadpack.allowFilter true
git clone -q --bare --no-local --filter=blob:none "file://$T/blobs" "$T/partial" 2>/dev/null
packs=$(ls "$T/partial/objects/pack" | wc -l)
expect_exit 3 "$SASGUARD" --all-history "$T/partial"
has "$T/out" "objects missing"
has "$T/out" "partial clone"
has "$T/out" "incomplete"
[ "$(ls "$T/partial/objects/pack" | wc -l)" = "$packs" ] && pass || fail "the partial clone fetched what it lacked"
expect_exit 0 "$SASGUARD" --all-history --allow-missing "$T/partial"
has "$T/out" "accepted as partial (--allow-missing)"
# the token's blob fetched, the other still missing: a flagged blob, and the
# promisor remote keeps rev-list's check (git log would fetch what it lacks)
git -C "$T/partial" cat-file blob "$(git -C "$T/blobs" rev-parse HEAD:t.txt)" >/dev/null
packs=$(ls "$T/partial/objects/pack" | wc -l)
expect_exit 1 "$SASGUARD" --all-history "$T/partial"
has "$T/out" "t.txt:1:7"
has "$T/out" "1 objects missing"
has "$T/out" "partial clone"
[ "$(ls "$T/partial/objects/pack" | wc -l)" = "$packs" ] && pass || fail "the partial clone fetched what it lacked"

# (hook/odb reads the objects: git log's walk checks the blobs, even with
# nothing flagged; SASGUARD_TEST_REV_LIST=1 takes rev-list's: the same notes)
cp -r "$T/clean" "$T/noblob"
b=$(git -C "$T/noblob" rev-parse HEAD:x); rm -f "$T/noblob/.git/objects/${b:0:2}/${b:2}"
cp -r "$T/clean" "$T/nocommit"
echo z > "$T/nocommit/z"; git -C "$T/nocommit" add z; git -C "$T/nocommit" commit -qm z
c=$(git -C "$T/nocommit" rev-parse HEAD~1); rm -f "$T/nocommit/.git/objects/${c:0:2}/${c:2}"
for way in log revlist; do
  env=$([ $way = revlist ] && echo SASGUARD_TEST_REV_LIST=1)
  expect_exit 3 env $env "$SASGUARD" --all-history "$T/noblob"
  has "$T/out" "1 objects missing"
  grep -F "objects missing" "$T/out" > "$T/noblob-$way"
  # a commit gone: git log cannot walk past it, rev-list can (and then does)
  expect_exit 3 env $env "$SASGUARD" --all-history "$T/nocommit"
  has "$T/out" "incomplete"
  grep -F "note" "$T/out" > "$T/nocommit-$way"
done
cmp -s "$T/noblob-log" "$T/noblob-revlist" && pass || fail "a missing blob: git log's check and rev-list's differ"
cmp -s "$T/nocommit-log" "$T/nocommit-revlist" && pass || fail "a missing commit: git log's way and rev-list's differ"

# With a token flagged, git log's walk checks the blobs in place of rev-list
# (hook/odb read the objects, no promisor remote): the same notes either way.
cp -r "$T/two" "$T/misstok"
mb=$(git -C "$T/misstok" rev-parse main:a.txt); rm -f "$T/misstok/.git/objects/${mb:0:2}/${mb:2}"
t=$(git -C "$T/misstok" rev-parse refs/trees/t)   # a tree only a ref names: rev-list checks it
tb=$(git -C "$T/misstok" rev-parse 'refs/trees/t:in-tree.txt'); rm -f "$T/misstok/.git/objects/${tb:0:2}/${tb:2}"
for way in log stream; do
  expect_exit 1 env $([ $way = stream ] && echo SASGUARD_TEST_STREAM=1) "$SASGUARD" --all-history "$T/misstok"
  grep -F "objects missing" "$T/out" | sed 's/first [0-9a-f]*/first X/' > "$T/miss-$way"
  has "$T/out" "2 objects missing"
  has "$T/out" "notes.md:2:7"
done
cmp -s "$T/miss-log" "$T/miss-stream" && pass || fail "git log's check and rev-list's say different things"
[ -n "$t" ] || fail "setup: refs/trees/t"
# a tree gone: git log cannot walk, and says so; never clean
cp -r "$T/two" "$T/misstree"
tr=$(git -C "$T/misstree" rev-parse 'main^{tree}'); rm -f "$T/misstree/.git/objects/${tr:0:2}/${tr:2}"
expect_exit 1 "$SASGUARD" --all-history "$T/misstree"
has "$T/out" "incomplete"

cp -r "$T/clean" "$T/damaged"
f="$T/damaged/.git/objects/${b:0:2}/${b:2}"; chmod u+w "$f"; printf 'garbage' > "$f"
expect_exit 3 "$SASGUARD" --all-history "$T/damaged"
has "$T/out" "could not be read"
has "$T/err" "loose object"

finish
