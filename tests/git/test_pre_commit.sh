#!/usr/bin/env bash
# test_pre_commit.sh - `sasguard pre-commit` installed in real repositories and
# run by real `git commit`: only what the staged change adds is judged.
. "$(dirname "$0")/gitlib.sh"

R=$T/repo
new_repo "$R"
cd "$R"

# An initial commit (unborn branch) adding the incident URL is rejected, path:line named.
printf 'Models:\n\n%s\n' "$TOKEN_LINE" > README.md
git add README.md
expect_exit 1 git commit -m "add models"
has "$T/err" "README.md:3:7: error: account SAS for robustnessws4285631339"
for r in account-sas permissions lifetime http; do has "$T/err" "  $r "; done
has "$T/err" "commit rejected"
no_secrets "$T/err"
expect_exit 1 git rev-parse -q --verify HEAD

# A clean initial commit passes, and says nothing.
printf 'Models: ask the team for a link.\n' > README.md
git add README.md
expect_exit 0 git commit -m "readme"
[ ! -s "$T/err" ] || grep -qv "sasguard" "$T/err" && pass || fail "a clean commit printed sasguard output"

# A token already in history does not block an unrelated edit of the same file.
printf '%s\n' "$TOKEN_LINE" >> README.md
git commit -qam "legacy token" --no-verify
printf 'More text.\n' >> README.md
expect_exit 0 git commit -am "unrelated edit"
# Its figures count the new side only: the old blob read for comparison is not scanned content.
printf '%s\n' "$KEY_LINE" >> README.md; git add README.md
expect_exit 1 "$SASGUARD" pre-commit --format json
python3 -c "
import json; d=json.load(open('$T/out'))
assert d['stats']['tokens'] == 2 and d['stats']['findings'] == 1, d['stats']
" && pass || fail "pre-commit figures count the old side"
git reset -q README.md; git checkout -q README.md
# Moving the old token to another line is not new either (its fingerprint was
# there): the diff shows the line removed below and added on top.
{ echo "Top line."; grep -F "$TOKEN_LINE" README.md; grep -vF "$TOKEN_LINE" README.md; } > R.tmp && mv R.tmp README.md
[ "$(sed -n 2p README.md)" = "$TOKEN_LINE" ] && pass || fail "the token line moved to the top"
expect_exit 0 git commit -am "reflow"

# git commit -a (GIT_INDEX_FILE is index.lock) sees the tracked file's new token.
printf '%s\n' "$KEY_LINE" >> README.md
expect_exit 1 git commit -am "with a key"
has "$T/err" "README.md:"
has "$T/err" "account-key"
git checkout -q README.md

# git commit <paths> (next-index-*.lock) judges only those paths:
# a staged token elsewhere, not part of this commit, does not block it.
echo one > one.txt; git add one.txt; git commit -qm one --no-verify
printf '%s\n' "$TOKEN_LINE" > staged-token.txt
git add staged-token.txt
echo two >> one.txt
expect_exit 0 git commit -m "only one.txt" one.txt
expect_exit 1 git commit -m "now the token"
has "$T/err" "staged-token.txt:1:"
git rm -q --cached staged-token.txt; rm staged-token.txt

# Unstaged work-tree changes are never read.
echo three >> one.txt; git add one.txt
printf '%s\n' "$TOKEN_LINE" >> one.txt
expect_exit 0 git commit -m "staged part only"
git checkout -q one.txt

# A rename of a file that holds a token adds nothing.
printf '%s\n' "$TOKEN_LINE" > old-name.txt
git add old-name.txt; git commit -qm "token file" --no-verify
git mv old-name.txt new-name.txt
expect_exit 0 git commit -m "rename"
# It is not even read: beside a new token elsewhere, one file was judged.
git mv new-name.txt renamed-again.txt
printf '%s\n' "$KEY_LINE" > added-key.txt; git add added-key.txt
expect_exit 1 git commit -m "rename, and a key"
has "$T/err" "added-key.txt:1:"
has "$T/err" " in 1 file"
lacks "$T/err" "renamed-again.txt"
git reset -q --hard HEAD
# So does a directory's rename, and a file that takes a directory's place
# (HEAD's files below it are gone, as git diff-index lists them).
mkdir -p olddir/sub; cp new-name.txt olddir/sub/t.txt; echo other > olddir/o.txt
git add -A; git commit -qm "token in a directory" --no-verify
git mv olddir newdir
expect_exit 0 git commit -m "directory renamed"
git rm -rq --cached newdir; rm -rf newdir
printf 'x\n%s\n' "$TOKEN_LINE" > newdir; git add newdir
expect_exit 0 git commit -m "a file where the directory was"
git rm -q newdir; git commit -qm "cleanup" --no-verify

# Binary content (a NUL in the first 8000 bytes) is scanned, its tokens as bytes
# and as UTF-16 strings among other bytes; a repository's policy may opt out.
{ printf 'BIN\0\0'; printf '%s\n' "$TOKEN_LINE"; } > blob.bin
git add blob.bin
expect_exit 1 git commit -m "binary"
has "$T/err" "blob.bin:1:12: error"
python3 -c "
import sys
sys.stdout.buffer.write(b'\x7fELF\x02\x01\x01\x00' + bytes(range(11, 256)) * 8 + b'\n\x00' + sys.argv[1].encode('utf-16-le') + b'\x00\x00\xff')" "$TOKEN_LINE" > blob2.bin
git add blob2.bin
expect_exit 1 git commit -m "binary with a UTF-16 string"
has "$T/err" "blob2.bin:2:"
has "$T/err" "UTF-16 inside binary content"
no_secrets "$T/err"
git rm -q --cached blob2.bin; rm blob2.bin
printf '[policy]\nscan_binary = false\n' > .sasguard.ini
expect_exit 0 git commit -m "binary, skipped by the repository's policy"
rm .sasguard.ini

# UTF-16 is text, not binary: its token is found on its line; an unrelated edit
# of a UTF-16 file that already held a token passes; a re-encoded file adds nothing.
utf16 deploy.ps1 '$container = "models"' "\$u = '$INCIDENT_URL'"
git add deploy.ps1
expect_exit 1 git commit -m "utf-16 script"
has "$T/err" "deploy.ps1:2:7: error: account SAS for robustnessws4285631339"
no_secrets "$T/err"
git commit -qm "legacy utf-16 token" --no-verify
utf16 deploy.ps1 '$container = "models"' "\$u = '$INCIDENT_URL'" 'Write-Host "done"'
expect_exit 0 git commit -am "utf-16 unrelated edit"
iconv -f UTF-16 -t UTF-8 deploy.ps1 > d.tmp && mv d.tmp deploy.ps1
expect_exit 0 git commit -am "re-encoded as UTF-8"
utf16 deploy.ps1 '$container = "models"' "\$u = '$INCIDENT_URL'" 'Write-Host "done"' "$KEY_LINE"
expect_exit 1 git commit -am "utf-16 again, with a key"
has "$T/err" "deploy.ps1:4:"
has "$T/err" "account-key"
lacks "$T/err" "deploy.ps1:2:"
# The same, staged, as JSON: the figures count what was judged, not the old side.
git add deploy.ps1
expect_exit 1 "$SASGUARD" pre-commit --format json
python3 - "$T/out" <<'PY' && pass || fail "pre-commit JSON of a UTF-16 file"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(f["path"], f["line"], f["kind"]) for f in d["findings"]] == [("deploy.ps1", 4, "storage-account-key")], d["findings"]
assert d["stats"]["tokens"] == 2 and d["stats"]["utf16"] == 1, d["stats"]
PY
git reset -q deploy.ps1
git checkout -q deploy.ps1

# A Kubernetes Secret with the URL base64-encoded under data: is rejected on its line.
printf 'kind: Secret\ndata:\n  MODELS_URL: %s\n' "$(printf '%s' "$INCIDENT_URL" | base64 -w0)" > secret.yaml
git add secret.yaml
expect_exit 1 git commit -m "k8s secret"
has "$T/err" "secret.yaml:3:15: error: account SAS for robustnessws4285631339"
no_secrets "$T/err"
git rm -q --cached secret.yaml; rm secret.yaml

# .gitattributes cannot hide a file from the scan.
printf '*.md -diff\n*.cfg binary\n' > .gitattributes
printf '%s\n' "$TOKEN_LINE" > hidden.cfg
git add .gitattributes hidden.cfg
expect_exit 1 git commit -m "attributes"
has "$T/err" "hidden.cfg:1:"
git rm -q --cached hidden.cfg; rm hidden.cfg; git commit -qm attrs

# Allowances: inline with a reason, and [allow] path in the repository's .sasguard.ini.
printf '%s  # sasguard:allow fake signature for the parser tests\n' "$TOKEN_LINE" > fixture.py
git add fixture.py
expect_exit 0 git commit -m "allowed inline"
mkdir -p tests/fixtures; printf '%s\n' "$TOKEN_LINE" > tests/fixtures/sas.txt
printf '[allow]\npath = tests/fixtures/**\n' > .sasguard.ini
git add .sasguard.ini tests
expect_exit 0 git commit -m "allowed path"
# A stricter repository policy: a one-hour read-only link is over a 30-minute limit.
printf '[policy]\nmax_lifetime = 30m\n[allow]\npath = tests/fixtures/**\n' > .sasguard.ini
printf 'w = %s\n' "$(hour_url)" > weights.txt
git add .sasguard.ini weights.txt
expect_exit 1 git commit -m "strict"
has "$T/err" "weights.txt:1:"
has "$T/err" "lifetime"
git reset -q; rm weights.txt; git checkout -q .sasguard.ini

# An odd path: a newline and a non-UTF-8 byte, escaped in the report.
odd=$(printf 'odd\nname\377.txt')
printf '%s\n' "$TOKEN_LINE" > "$odd"
git add -- "$odd"
expect_exit 1 git commit -m "odd"
has "$T/err" 'odd\x0aname\xff.txt:1:'
git rm -q --cached -- "$odd"; rm -- "$odd"

# core.hooksPath: hooks kept outside .git.
mkdir -p "$T/hooks"; cp .git/hooks/pre-commit .git/hooks/pre-merge-commit "$T/hooks/"; rm .git/hooks/pre-commit
git config core.hooksPath "$T/hooks"
printf '%s\n' "$TOKEN_LINE" > hp.txt; git add hp.txt
expect_exit 1 git commit -m "hooks path"
git rm -q --cached hp.txt; rm hp.txt

# A linked worktree, and GIT_DIR / GIT_WORK_TREE given explicitly.
git worktree add -q "$T/wt" -b side
cd "$T/wt"
printf '%s\n' "$TOKEN_LINE" > wt.txt; git add wt.txt
expect_exit 1 git commit -m "in a worktree"
has "$T/err" "wt.txt:1:"
git rm -q --cached wt.txt; rm wt.txt
cd "$R"
printf '%s\n' "$TOKEN_LINE" > env.txt
GIT_DIR=$R/.git GIT_WORK_TREE=$R git add env.txt
expect_exit 1 env GIT_DIR="$R/.git" GIT_WORK_TREE="$R" git commit -m "env"
has "$T/err" "env.txt:1:"
git rm -q --cached env.txt; rm env.txt

# Merges. A branch whose token is already committed merges without a new finding
# (pre-merge-commit); a conflict resolved by adding a token is rejected (pre-commit).
[ -x "$(git config core.hooksPath)/pre-merge-commit" ] && pass || fail "the merges below run no pre-merge-commit hook"
git checkout -q -b feature
printf '%s\n' "$TOKEN_LINE" > feature.txt; git add feature.txt
git commit -qm "feature token" --no-verify
git checkout -q main
echo "main work" > main.txt; git add main.txt; git commit -qm "main work"
expect_exit 0 git merge -q --no-edit feature
# git runs pre-merge-commit before it writes MERGE_HEAD: the heads merged are
# read from GIT_REFLOG_ACTION (git merge) and FETCH_HEAD (git pull). Each
# branch's token is on that branch alone, so only the merge's other parent
# can make it old.
git checkout -q -b feature2
printf 'only on feature2: %s\n' "$INCIDENT_URL" > feature2.txt; git add feature2.txt
git commit -qm "feature2 token" --no-verify
git checkout -q -b feature3
printf 'only on feature3: %s\n' "$INCIDENT_URL" > feature3.txt; git add feature3.txt
git commit -qm "feature3 token" --no-verify
git checkout -q main
echo "more main work" >> main.txt; git add main.txt; git commit -qm "more main work"
expect_exit 0 git merge -q --no-edit feature2
echo "still more" >> main.txt; git add main.txt; git commit -qm "still more"
expect_exit 0 git -c pull.rebase=false pull -q --no-edit . feature3
# A name that resolves to nothing is passed over: the commit is judged plainly.
printf 'plain: %s\n' "$INCIDENT_URL" > plain.txt; git add plain.txt
expect_exit 1 env GIT_REFLOG_ACTION="merge no-such-branch --no-ff" git commit -qm plain
has "$T/err" "plain.txt:1:"
git rm -q --cached plain.txt; rm plain.txt
git checkout -q -b left; echo left > conflict.txt; git add conflict.txt; git commit -qm left
git checkout -q main; echo right > conflict.txt; git add conflict.txt; git commit -qm right
git merge -q left >/dev/null 2>&1 || true
printf 'resolved\n%s\n' "$KEY_LINE" > conflict.txt; git add conflict.txt
expect_exit 1 git commit --no-edit
has "$T/err" "conflict.txt:2:"
printf 'resolved\n' > conflict.txt; git add conflict.txt
expect_exit 0 git commit --no-edit

# The index as git writes it in all its forms (sasguard reads it itself).
# Version 4 (path compression):
git update-index --index-version 4
printf '%s\n' "$TOKEN_LINE" > v4.txt; git add v4.txt
expect_exit 1 git commit -m "index v4"
has "$T/err" "v4.txt:1:7"
printf 'clean\n' > v4.txt; git add v4.txt
expect_exit 0 git commit -m "index v4 clean"
git update-index --index-version 2
# Intent-to-add (version 3 extended flags): not part of the commit.
printf '%s\n' "$TOKEN_LINE" > ita.txt; git add -N ita.txt
echo more >> one.txt; git add one.txt
expect_exit 0 git commit -m "with an intent-to-add entry"
git rm -q --cached ita.txt; rm ita.txt
# A token moved out of a removed file into a new one is not new.
git rm -q old-name.txt 2>/dev/null || git rm -q new-name.txt
{ echo "header"; printf '%s\n' "$TOKEN_LINE"; } > moved.txt; git add moved.txt
expect_exit 0 git commit -m "move the token"
# A sparse index: directory entries outside the cone, a token inside it.
mkdir -p inside outside; echo i > inside/i.txt; echo o > outside/o.txt
git add inside outside; git commit -qm "dirs"
git sparse-checkout set --cone --sparse-index inside 2>/dev/null
printf '%s\n' "$TOKEN_LINE" > inside/t.txt; git add inside/t.txt
expect_exit 1 git commit -m "sparse"
has "$T/err" "inside/t.txt:1:7"
git rm -q --cached inside/t.txt; rm inside/t.txt
# A change outside the cone is staged as a directory entry ("outside/"): its
# findings are named by their whole path (what [allow] path globs match).
git sparse-checkout disable
printf '%s\n' "$TOKEN_LINE" > outside/new.txt; git add outside/new.txt
git commit -qm "outside token" --no-verify
git sparse-checkout set --cone --sparse-index inside 2>/dev/null
git reset -q --soft HEAD^
[ "$(git ls-files --sparse -s outside/ | cut -c1-6)" = 040000 ] && pass || fail "outside/ is not a sparse directory entry"
expect_exit 1 git commit -m "sparse directory"
has "$T/err" "outside/new.txt:1:7: error"
git reset -q --soft ORIG_HEAD
git sparse-checkout disable
# A split index (the link extension and sharedindex.<id>) is read as git
# reads it: entries it replaces, deletes and adds over the shared index.
git update-index --split-index
echo split >> one.txt; git add one.txt
expect_exit 0 git commit -m "split"
printf '%s\n' "$TOKEN_LINE" >> one.txt; git add one.txt
[ -n "$(ls .git/sharedindex.* 2>/dev/null)" ] && pass || fail "no shared index was written"
expect_exit 1 git commit -m "split with a token"
has "$T/err" "one.txt:"
lacks "$T/err" "cannot read the index"
git checkout -q HEAD one.txt
printf '%s\n' "$TOKEN_LINE" > split-new.txt; git add split-new.txt
expect_exit 1 git commit -m "split, a new file with a token"
has "$T/err" "split-new.txt:1:7"
git rm -q --cached split-new.txt; rm split-new.txt
git rm -q README.md; expect_exit 0 git commit -m "split, a deletion"
# the shared index's deletions count: a legacy token moved to a new name is not new
printf '%s\n' "$TOKEN_LINE" > legacy.txt; git add legacy.txt; git commit -qm legacy --no-verify
git update-index --split-index
git mv legacy.txt moved-legacy.txt
expect_exit 0 git commit -m "split, a rename"
git update-index --no-split-index
expect_exit 0 git commit --allow-empty -m "unsplit"

# git writes the cache-tree's subdirectories shortest name first, the index
# is in name order: each directory is still found, and one the cache-tree
# says is HEAD's is not read. HEAD's lib/ is deleted here: reading it fails.
C=$T/cache-tree
new_repo "$C"
mkdir "$C/docs" "$C/lib" "$C/src"
echo d > "$C/docs/d.md"; echo l > "$C/lib/l.c"; echo s > "$C/src/s.c"
git -C "$C" add . && git -C "$C" commit -qm dirs --no-verify
printf '%s\n' "$TOKEN_LINE" > "$C/docs/new.md"; git -C "$C" add docs/new.md
lib=$(git -C "$C" rev-parse HEAD:lib); rm "$C/.git/objects/${lib:0:2}/${lib:2}"
expect_exit 1 sh -c "cd '$C' && exec '$SASGUARD' pre-commit"
has "$T/err" "docs/new.md:1:7: error"

# A repository with 50 000 tracked files (built by fast-import, index read by git).
B=$T/big
new_repo "$B"
python3 - <<'PY' | git -C "$B" fast-import --quiet
import sys
w = sys.stdout.write
w("blob\nmark :1\ndata 6\nhello\n")
w("commit refs/heads/main\ncommitter t <t@example.com> 1700000000 +0000\ndata 4\nbig\n")
for i in range(50000):
    w("M 100644 :1 d%03d/f%05d.txt\n" % (i % 500, i))
w("\n")
PY
git -C "$B" reset -q --hard main
[ "$(git -C "$B" ls-files | wc -l)" -eq 50000 ] && pass || fail "50k files"
printf '%s\n' "$TOKEN_LINE" > "$B/d123/new.txt"
git -C "$B" add d123/new.txt
expect_exit 1 git -C "$B" commit -m "token among 50k"
has "$T/err" "d123/new.txt:1:"
printf 'clean\n' > "$B/d123/new.txt"; git -C "$B" add d123/new.txt
expect_exit 0 git -C "$B" commit -m "clean among 50k"

# max_file_size is inclusive, at the byte: a staged file of 1024 bytes is
# judged under 1K, one of 1025 (or 2000, under twice the limit) is skipped.
Z=$T/sizes
new_repo "$Z"
printf '[policy]\nmax_file_size = 1K\n' > "$Z/.sasguard.ini"
for size in 1024 1025 2000; do
  python3 - "$Z/size$size.txt" "$TOKEN_LINE" "$size" <<'PY'
import sys
line, size = sys.argv[2], int(sys.argv[3])
open(sys.argv[1], "w").write("a" * (size - len(line) - 2) + "\n" + line + "\n")
PY
done
git -C "$Z" add size1024.txt
expect_exit 1 git -C "$Z" commit -m "1024 bytes"
has "$T/err" "size1024.txt:2:"
git -C "$Z" rm -q --cached size1024.txt
git -C "$Z" add size1025.txt size2000.txt
expect_exit 0 git -C "$Z" commit -m "1025 and 2000 bytes: over the limit"
# An edit is judged by the lines it adds, also when the old side was over the
# limit (its tokens unknown): trimmed under 1K, the kept token line is not new;
# a token on an added line is.
{ echo top; printf '%s\n' "$TOKEN_LINE"; head -c 1500 /dev/zero | tr '\0' b; echo; } > "$Z/trim.txt"
git -C "$Z" add trim.txt && git -C "$Z" commit -qm "big, with a token" --no-verify
{ echo top; printf '%s\n' "$TOKEN_LINE"; } > "$Z/trim.txt"
git -C "$Z" add trim.txt
expect_exit 0 git -C "$Z" commit -m "trimmed under the limit: nothing added"
printf '%s\n' "$EXPIRED_LINE" "$KEY_LINE" >> "$Z/trim.txt"
git -C "$Z" add trim.txt
expect_exit 1 git -C "$Z" commit -m "a key added"
has "$T/err" "trim.txt:4:"
lacks "$T/err" "trim.txt:2:"

# Outside a repository: a clear error and exit 3.
expect_exit 3 sh -c "cd '$T' && GIT_CEILING_DIRECTORIES='$T' '$SASGUARD' pre-commit"
has "$T/err" "cannot open the repository"

finish
