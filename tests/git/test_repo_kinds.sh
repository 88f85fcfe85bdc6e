#!/usr/bin/env bash
# test_repo_kinds.sh - every kind of repository git makes, in each mode: a
# staged token blocks a commit and a clean change passes (pre-commit); a
# pushed token is rejected and a clean push accepted (pre-receive); a token in
# history is reported and a clean history passes (--all-history).
. "$(dirname "$0")/gitlib.sh"

CLEAN_LINE='no token here'

# ---- pre-commit ---------------------------------------------------------------

# commit_case NAME DIR: in a repository (or work tree) DIR whose hook is
# installed and whose main has a commit, a token blocks and clean content passes.
commit_case() {
  local name=$1 dir=$2 before=$FAILS
  cd "$dir" || { fail "no repository $dir"; return; }
  printf '%s\n' "$TOKEN_LINE" > "kind-$name.txt"; git add "kind-$name.txt"
  expect_exit 1 git commit -m "$name: token"
  has "$T/err" "kind-$name.txt:1:7: error"
  printf '%s\n' "$CLEAN_LINE" > "kind-$name.txt"; git add "kind-$name.txt"
  expect_exit 0 git commit -m "$name: clean"
  # a token in a file HEAD already has (the old blob is read and diffed)
  printf '%s\n' "$TOKEN_LINE" >> "kind-$name.txt"
  expect_exit 1 git commit -am "$name: token in a tracked file"
  has "$T/err" "kind-$name.txt:2:7: error"
  git checkout -q HEAD -- "kind-$name.txt" 2>/dev/null
  [ "$FAILS" -eq "$before" ] || echo "  (in the repository with $name)" >&2
  cd "$T" || exit 1
}

# base_repo DIR: a repository with the hooks and a first commit of two directories.
base_repo() {
  new_repo "$1"
  mkdir -p "$1/a/deep" "$1/b/deep"
  echo one > "$1/a/deep/one.txt"; echo two > "$1/b/deep/two.txt"; echo top > "$1/top.txt"
  git -C "$1" add -A && git -C "$1" commit -qm base --no-verify
}

# Each kind of index, in both object formats (SHA-256's index holds 32-byte ids,
# read by hook/odb as SHA-1's is: plumb_index.c)
index_kinds() { # SUFFIX
  local x=$1
  for v in 2 3 4; do
    base_repo "$T/index-v$v$x"; git -C "$T/index-v$v$x" update-index --index-version "$v"
    git -C "$T/index-v$v$x" config index.version "$v"
    commit_case "index-v$v$x" "$T/index-v$v$x"
  done

  base_repo "$T/split$x"; git -C "$T/split$x" config core.splitIndex true
  git -C "$T/split$x" config splitIndex.maxPercentChange 100
  git -C "$T/split$x" update-index --split-index
  commit_case "split-index$x" "$T/split$x"
  [ -n "$(ls "$T/split$x/.git/"sharedindex.* 2>/dev/null)" ] && pass || fail "split: no shared index"

  base_repo "$T/untracked$x"; git -C "$T/untracked$x" config core.untrackedCache true
  git -C "$T/untracked$x" update-index --untracked-cache; git -C "$T/untracked$x" status >/dev/null
  commit_case "untracked-cache$x" "$T/untracked$x"

  # fsmonitor (hook protocol 2): a hook that answers "everything may have changed"
  base_repo "$T/fsmon$x"
  printf '#!/bin/sh\nprintf "tok\\0/\\0"\n' > "$T/fsmon$x/.git/fsmon.sh"; chmod +x "$T/fsmon$x/.git/fsmon.sh"
  git -C "$T/fsmon$x" config core.fsmonitorHookVersion 2
  git -C "$T/fsmon$x" config core.fsmonitor .git/fsmon.sh; git -C "$T/fsmon$x" status >/dev/null
  grep -qa FSMN "$T/fsmon$x/.git/index" && pass || fail "fsmonitor: no FSMN extension in the index"
  commit_case "fsmonitor$x" "$T/fsmon$x"

  base_repo "$T/ita$x"; printf '%s\n' "$TOKEN_LINE" > "$T/ita$x/later.txt"; git -C "$T/ita$x" add -N later.txt
  commit_case "intent-to-add$x" "$T/ita$x"

  base_repo "$T/skipwt$x"; git -C "$T/skipwt$x" update-index --skip-worktree top.txt
  commit_case "skip-worktree$x" "$T/skipwt$x"

  # sparse checkouts: the index holds directory entries ("b/") outside the cone
  for mode in cone no-cone; do
    S=$T/sparse-$mode$x; base_repo "$S"
    if [ $mode = cone ]; then git -C "$S" sparse-checkout set --cone --sparse-index a 2>/dev/null
    else git -C "$S" sparse-checkout set --no-cone '/a/' '/kind-*' 2>/dev/null; fi
    commit_case "sparse-$mode$x" "$S"
  done
  # A change to a sparse directory entry is named by its whole path, and
  # [allow] path globs are judged against it: b/deep/** allows it, deep/** does not.
  S=$T/sparse-cone$x
  git -C "$S" sparse-checkout disable
  printf '%s\n' "$TOKEN_LINE" > "$S/b/deep/secret.txt"; git -C "$S" add b/deep/secret.txt
  git -C "$S" commit -qm "outside token" --no-verify
  git -C "$S" sparse-checkout set --cone --sparse-index a 2>/dev/null
  git -C "$S" reset -q --soft HEAD^
  [ "$(git -C "$S" ls-files --sparse -s b/ | cut -c1-6)" = 040000 ] && pass || fail "b/ is not a sparse directory entry"
  cd "$S"
  printf '[allow]\npath = deep/**\n' > "$T/deep$x.ini"
  expect_exit 1 "$SASGUARD" pre-commit --config "$T/deep$x.ini"
  has "$T/err" "b/deep/secret.txt:1:7: error"
  printf '[allow]\npath = b/deep/**\n' > "$T/bdeep$x.ini"
  expect_exit 0 "$SASGUARD" pre-commit --config "$T/bdeep$x.ini"
  cd "$T"
}
# (KINDS_FORMATS: the sanitizer build takes SHA-256's alone; SHA-1's index
# reader runs there through test_pre_commit.sh and the differential test)
for fmt in ${KINDS_FORMATS:-sha1 sha256}; do
  if [ "$fmt" = sha1 ]; then index_kinds ""; else REPO_FORMAT=sha256 index_kinds -sha256; fi
done

# a linked work tree: its own index under .git/worktrees/<name>
base_repo "$T/main-wt"; git -C "$T/main-wt" worktree add -q "$T/linked" -b linked 2>/dev/null
commit_case worktree "$T/linked"

# extensions.worktreeConfig (sparse-checkout sets it): libgit2 must not refuse it
base_repo "$T/wtconfig"; git -C "$T/wtconfig" config core.repositoryformatversion 1
git -C "$T/wtconfig" config extensions.worktreeConfig true
git -C "$T/wtconfig" config --worktree core.bare false
commit_case worktree-config "$T/wtconfig"

# extensions.preciousObjects: git reads it; sasguard only reads, never prunes
base_repo "$T/precious"; git -C "$T/precious" config core.repositoryformatversion 1
git -C "$T/precious" config extensions.preciousObjects true
commit_case precious-objects "$T/precious"

# a submodule: its gitlink is not followed, the superproject's files are judged
base_repo "$T/subsrc"; base_repo "$T/super"
git -C "$T/super" -c protocol.file.allow=always submodule -q add "$T/subsrc" sub 2>/dev/null
git -C "$T/super" commit -qm "submodule" --no-verify
printf '%s\n' "$TOKEN_LINE" > "$T/super/sub/inside.txt"
commit_case submodule "$T/super"

base_repo "$T/graph"; git -C "$T/graph" commit-graph write --reachable 2>/dev/null
[ -f "$T/graph/.git/objects/info/commit-graph" ] && pass || fail "no commit-graph written"
commit_case commit-graph "$T/graph"

base_repo "$T/packed"; git -C "$T/packed" repack -adq
commit_case packed "$T/packed"

git clone -q --no-local --depth 1 "$T/graph" "$T/shallow" 2>/dev/null
cp "$T/graph/.git/hooks/pre-commit" "$T/shallow/.git/hooks/"
commit_case shallow "$T/shallow"

git clone -q --shared "$T/packed" "$T/borrower"
cp "$T/packed/.git/hooks/pre-commit" "$T/borrower/.git/hooks/"
[ -s "$T/borrower/.git/objects/info/alternates" ] && pass || fail "no alternates"
commit_case alternates "$T/borrower"

# ---- storage kinds: --all-history and pre-receive --------------------------------

# history_repo DIR: a bare repository whose history holds a token in a
# file since changed, and a clean one beside it (DIR-clean).
history_repo() {
  local w=$T/work-$(basename "$1")
  base_repo "$w"
  printf '%s\n' "$TOKEN_LINE" > "$w/a/deep/leak.txt"; git -C "$w" add -A; git -C "$w" commit -qm leak --no-verify
  echo fixed > "$w/a/deep/leak.txt"; git -C "$w" commit -qam fix --no-verify
  git clone -q --bare --no-local "$w" "$1"
  git init -q --bare "$1-clean"; git -C "$w" push -q "$1-clean" HEAD~2:refs/heads/main
}

# history_case NAME DIR: --all-history reports the token in DIR and passes DIR-clean.
history_case() {
  expect_exit 1 "$SASGUARD" --all-history "$2"
  has "$T/out" "a/deep/leak.txt:1:7"
  expect_exit 0 "$SASGUARD" --all-history "$2-clean"
}

# arrange KIND DIR: lays out DIR's objects in the form KIND names.
arrange() {
  local d=$2 p
  case $1 in
    loose) ;;
    packed) git -C "$d" repack -adq ;;
    keep) git -C "$d" repack -adq; for p in "$d"/objects/pack/*.pack; do touch "${p%.pack}.keep"; done ;;
    midx)
      git -C "$d" repack -dq
      git -C "$d" commit-tree -m extra "$(git -C "$d" mktree </dev/null)" >/dev/null
      git -C "$d" repack -dq; git -C "$d" multi-pack-index write 2>/dev/null
      [ -f "$d/objects/pack/multi-pack-index" ] && pass || fail "no multi-pack-index in $d" ;;
    cruft)
      echo unreachable | git -C "$d" hash-object -w --stdin >/dev/null
      git -C "$d" repack -adq --cruft
      ls "$d"/objects/pack/*.mtimes >/dev/null 2>&1 && pass || fail "no cruft pack in $d" ;;
    offsets64)
      # every offset past 64 bytes in the .idx's 64-bit table, as packs over 4 GiB have
      git -C "$d" repack -adq
      for p in "$d"/objects/pack/*.pack; do
        rm -f "${p%.pack}.idx"; git -C "$d" index-pack --index-version=2,64 "$p" >/dev/null
      done ;;
    commit-graph) git -C "$d" commit-graph write --reachable 2>/dev/null ;;
    alternates)
      # the objects live in another repository; this one borrows them
      mv "$d" "$d.lender"; git clone -q --bare --shared "$d.lender" "$d" ;;
  esac
}

for kind in loose packed keep midx cruft offsets64 commit-graph alternates; do
  H=$T/hist-$kind
  history_repo "$H"; arrange "$kind" "$H"; arrange "$kind" "$H-clean"
  history_case "$kind" "$H"
  # pre-receive on that storage: a clean push passes, a token is rejected
  printf '#!/bin/sh\nexec "%s" pre-receive "$@"\n' "$SASGUARD" > "$H-clean/hooks/pre-receive"
  chmod +x "$H-clean/hooks/pre-receive"
  P=$T/push-$kind; git clone -q "$H-clean" "$P" 2>/dev/null
  echo more >> "$P/a/deep/one.txt"; git -C "$P" commit -qam more
  expect_exit 0 git -C "$P" push -q origin main
  printf '%s\n' "$TOKEN_LINE" >> "$P/a/deep/one.txt"; git -C "$P" commit -qam token
  expect_exit 1 git -C "$P" push origin main
  has "$T/err" "a/deep/one.txt:3:7"
done

# a shallow clone's history: the commits past its edge are not missing
git clone -q --no-local --depth 1 "file://$T/hist-packed" "$T/shallow-hist" 2>/dev/null
expect_exit 0 "$SASGUARD" --all-history "$T/shallow-hist"
git clone -q --no-local --depth 2 "file://$T/hist-packed" "$T/shallow-hist2" 2>/dev/null
expect_exit 1 "$SASGUARD" --all-history "$T/shallow-hist2"
has "$T/out" "a/deep/leak.txt:1:7"
has "$T/out" "shallow"
# a push from a shallow clone
printf '#!/bin/sh\nexec "%s" pre-receive "$@"\n' "$SASGUARD" > "$T/hist-packed/hooks/pre-receive"
chmod +x "$T/hist-packed/hooks/pre-receive"
printf '%s\n' "$TOKEN_LINE" > "$T/shallow-hist/new.txt"; git -C "$T/shallow-hist" add new.txt
git -C "$T/shallow-hist" commit -qm token --no-verify
expect_exit 1 git -C "$T/shallow-hist" push origin HEAD:refs/heads/shallow
has "$T/err" "new.txt:1:7"
git -C "$T/shallow-hist" reset -q --hard HEAD^; echo ok > "$T/shallow-hist/ok.txt"
git -C "$T/shallow-hist" add ok.txt; git -C "$T/shallow-hist" commit -qm ok --no-verify
expect_exit 0 git -C "$T/shallow-hist" push -q origin HEAD:refs/heads/shallow

# a partial clone: the blobs it lacks are named, never a silent clean
git -C "$T/hist-packed" config uploadpack.allowFilter true
git clone -q --bare --no-local --filter=blob:none "file://$T/hist-packed" "$T/partial" 2>/dev/null
expect_exit 3 "$SASGUARD" --all-history "$T/partial"
has "$T/out" "missing"

# ---- SHA-256 -------------------------------------------------------------------
# libgit2 1.5.1 cannot open it; pre-commit judges it through git's plumbing.
H=$T/sha256; git init -q --object-format=sha256 "$H"
cp "$T/graph/.git/hooks/pre-commit" "$T/graph/.git/hooks/pre-merge-commit" "$H/.git/hooks/"
# the first commit (an unborn branch: against SHA-256's empty tree)
printf '%s\n' "$TOKEN_LINE" > "$H/first.txt"; git -C "$H" add first.txt
expect_exit 1 git -C "$H" commit -qm first
has "$T/err" "first.txt:1:7: error"
lacks "$T/err" "fatal"
git -C "$H" rm -q --cached first.txt; rm "$H/first.txt"
echo base > "$H/base.txt"; git -C "$H" add base.txt; git -C "$H" commit -qm base
commit_case sha256 "$H"
# The hook starts git's children before libgit2 loads when the repository's
# config names SHA-256 (repo_staged_looks_sha256): a linked work tree (its .git
# a file, its config in the common directory), GIT_DIR and GIT_WORK_TREE given,
# and a commit of named paths (git's next-index-*.lock) judge the same.
git -C "$H" worktree add -q "$T/sha256-linked" -b linked256 2>/dev/null
commit_case sha256-worktree "$T/sha256-linked"
cd "$T"
printf '%s\n' "$TOKEN_LINE" > "$H/gitdir.txt"
git --git-dir="$H/.git" --work-tree="$H" add gitdir.txt
expect_exit 1 git --git-dir="$H/.git" --work-tree="$H" commit -qm "sha256: GIT_DIR"
has "$T/err" "gitdir.txt:1:7: error"
git --git-dir="$H/.git" --work-tree="$H" rm -q --cached gitdir.txt; rm "$H/gitdir.txt"
cd "$H"
echo named > named.txt; git add named.txt; git commit -qm named --no-verify
printf '%s\n' "$TOKEN_LINE" >> named.txt
echo other > other.txt; git add other.txt
expect_exit 1 git commit -qm "sha256: named paths" -- named.txt
has "$T/err" "named.txt:2:7: error"
lacks "$T/err" "other.txt"
expect_exit 0 git commit -qm "sha256: the other path" -- other.txt
git checkout -q -- named.txt
# a legacy token renamed is not new; a merge adds only what no parent had
printf '%s\n' "$TOKEN_LINE" > legacy.txt; git add legacy.txt; git commit -qm legacy --no-verify
git mv legacy.txt moved.txt
expect_exit 0 git commit -m "sha256: a rename"
git checkout -q -b side; printf 'x\n%s\n' "$TOKEN_LINE" > side.txt; git add side.txt
git commit -qm side --no-verify; git checkout -q main
echo main > main.txt; git add main.txt; git commit -qm main
git merge -q --no-ff --no-commit side >/dev/null 2>&1
expect_exit 0 git commit -m merge
git rev-parse -q --verify HEAD^2 >/dev/null && pass || fail "sha256: the merge was not committed"
# A format nothing here reads (as SHA-256 is without the plumbing) says so in
# one line and lets the commit go on, unless unreadable_repo = error.
export SASGUARD_TEST_PLUMBING=off
printf '%s\n' "$TOKEN_LINE" > token.txt; git add token.txt
expect_exit 0 git commit -qm "unread"
has "$T/err" "not checked, the commit goes on"
has "$T/err" "SHA-256"
[ "$(grep -c sasguard "$T/err")" = 1 ] && pass || fail "more than one line for an unreadable repository"
printf '[policy]\nunreadable_repo = error\n' > .sasguard.ini
echo more >> token.txt; git add token.txt
expect_exit 1 git commit -qm "unread, blocking"
has "$T/err" "commit rejected"
has "$T/err" "unreadable_repo = error"
printf '[policy]\nunreadable_repo = off\n' > .sasguard.ini
expect_exit 0 git commit -qm "unread, quiet"
lacks "$T/err" "sasguard"
unset SASGUARD_TEST_PLUMBING
# --all-history judges it through git's plumbing (test_history_sha256.sh):
# the legacy token at its origin, not where the rename moved it
expect_exit 1 "$SASGUARD" --all-history "$H"
has "$T/out" ":legacy.txt:1:7: error"
lacks "$T/out" "moved.txt"
lacks "$T/out" "extensions.objectformat"
cd "$T"
# ---- SHA-256 pre-receive: judged through git's plumbing, as SHA-1 pushes are --------
S2=$T/sha256.git
git init -q --bare --object-format=sha256 "$S2"
printf '#!/bin/sh\nexec "%s" pre-receive "$@"\n' "$SASGUARD" > "$S2/hooks/pre-receive"
chmod +x "$S2/hooks/pre-receive"
git -C "$S2" config receive.advertisePushOptions true
# H's history holds tokens committed past its hook: the push names one, with its commit.
expect_exit 1 git -C "$H" push "$S2" HEAD:refs/heads/main
legacy=$(git -C "$H" log --diff-filter=A --format=%H -- legacy.txt | cut -c1-12)
has "$T/err" "$legacy:legacy.txt:1:7: error"
has "$T/err" "push rejected"
lacks "$T/err" "SHA-256"
no_secrets "$T/err"
P=$T/sha256-client; git init -q --object-format=sha256 "$P"; cd "$P"
echo hello > a.txt; git add a.txt; git commit -qm init
expect_exit 0 git push -q "$S2" main
[ "$(git -C "$S2" rev-parse main)" = "$(git rev-parse main)" ] && pass || fail "sha256: main not created"
# a token in the third of four commits: rejected, rule, path and commit named
for i in 1 2; do echo $i >> a.txt; git commit -qam "c$i"; done
printf 'Models:\n%s\n' "$TOKEN_LINE" > README.md; git add README.md; git commit -qm "add README"
bad=$(git rev-parse --short=12 HEAD)
echo 4 >> a.txt; git commit -qam c4
expect_exit 1 git push "$S2" main
has "$T/err" "remote: $bad:README.md:2:7: error: account SAS for robustnessws4285631339"
for r in account-sas permissions lifetime http; do has "$T/err" "  $r "; done
has "$T/err" "in 4 blobs of 4 commits"
no_secrets "$T/err"
[ "$(git -C "$S2" rev-list --count main)" = 1 ] && pass || fail "sha256: the server's main moved"
git reset -q --hard HEAD~2; echo 4 >> a.txt; git commit -qam c4
# several refs at once, the token on a branch other than main: all refused
git checkout -q -b feature
printf '%s\n' "$KEY_LINE" > settings.ini; git add settings.ini; git commit -qm settings
feat=$(git rev-parse --short=12 HEAD)
git checkout -q main
expect_exit 1 git push "$S2" main feature main:refs/heads/other
has "$T/err" "remote: $feat:settings.ini:1:"
has "$T/err" "account-key"
has "$T/err" "[remote rejected] main -> main (pre-receive hook declined)"
no_secrets "$T/err"
expect_exit 0 git push -q "$S2" main main:refs/heads/other
# an annotated tag of that commit (a chain of two tags), and a token in a tag's message
git tag -a -m release v1 feature; git tag -a -m "release of release" v1b v1 2>/dev/null
expect_exit 1 git push "$S2" refs/tags/v1b
has "$T/err" "$feat:settings.ini:1:"
git tag -a -m "download: $INCIDENT_URL" v2 main
expect_exit 1 git push "$S2" refs/tags/v2
has "$T/err" "(tag message):"
no_secrets "$T/err"
# refs straight at a tree and at a blob, and a tag of a tree: named by the ref
tb=$(printf 'tok = %s\n' "$INCIDENT_URL" | git hash-object -w --stdin)
tt=$(printf '040000 tree %s\tdir\n' "$(printf '100644 blob %s\tin-tree.txt\n' "$tb" | git mktree)" | git mktree)
expect_exit 1 git push "$S2" "$tt:refs/tags/tree"
has "$T/err" "remote: refs/tags/tree:dir/in-tree.txt:1:7: error"
expect_exit 1 git push "$S2" "$tb:refs/tags/blob"
has "$T/err" "remote: refs/tags/blob:1:7: error"
git tag -a -m "a tree" vt "$tt"
expect_exit 1 git push "$S2" refs/tags/vt
has "$T/err" "remote: refs/tags/vt:dir/in-tree.txt:1:7: error"
no_secrets "$T/err"
# a token in a commit message
git commit -q --allow-empty -m "see $INCIDENT_URL"
expect_exit 1 git push "$S2" main
has "$T/err" "$(git rev-parse --short=12 HEAD):(commit message):"
git reset -q --hard HEAD~1
# a push option lets one fingerprint through, with a reason, where the server allows it
printf '[server]\nallow_push_option = true\nlog = %s\n' "$T/audit256.log" > "$T/server256.ini"
git -C "$S2" config sasguard.config "$T/server256.ini"
fp=$("$SASGUARD" scan --format json settings.ini 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["findings"][0]["fingerprint"])' 2>/dev/null)
git show feature:settings.ini > "$T/settings.ini"
fp=$("$SASGUARD" scan --format json "$T/settings.ini" | python3 -c 'import json,sys; print(json.load(sys.stdin)["findings"][0]["fingerprint"])')
expect_exit 1 git push -o "sasguard.allow=$fp" "$S2" feature
has "$T/err" "needs a reason"
expect_exit 0 git push -o "sasguard.allow=$fp" -o "sasguard.reason=TICKET-7 rotated" "$S2" feature
has "$T/err" "1 allowed"
has "$T/audit256.log" "fingerprint=$fp"
has "$T/audit256.log" "path=\"settings.ini\""
no_secrets "$T/err"
git -C "$S2" config --unset sasguard.config
# Supervised as SHA-1 pushes are: a crash rejects; a timeout after a blocking
# finding rejects even where the server fails open.
git commit -q --allow-empty -m "crash test"
expect_exit 1 env SASGUARD_TEST_FAULT=crash git push "$S2" main
has "$T/err" "died of signal"
printf '[server]\nfail_open = true\nmax_seconds = 2\n' > "$T/open256.ini"
git -C "$S2" config sasguard.config "$T/open256.ini"
printf '%s\n' "$TOKEN_LINE" > timed.txt; git add timed.txt; git commit -qm timed
expect_exit 1 env SASGUARD_TEST_FAULT=hang-judged git push "$S2" main
has "$T/err" "did not finish within server.max_seconds"
has "$T/err" "found before then"
git -C "$S2" config --unset sasguard.config
git reset -q --hard HEAD~2
# The server's token on a rewritten line of its file is not new; a merge of a
# branch the server has adds nothing; an evil merge's own token is new.
hook_off "$S2"
git checkout -q -b legacy main
printf '%s\n' "$TOKEN_LINE" > legacy.txt; git add legacy.txt; git commit -qm legacy
git push -q "$S2" legacy
hook_on "$S2"
git checkout -q main
echo m >> a.txt; git commit -qam "main moves"
git merge -q --no-edit legacy
expect_exit 0 git push -q "$S2" main
printf 'moved into a sentence: %s\n' "$TOKEN_LINE" > legacy.txt
git commit -qam "legacy token's line rewritten"
expect_exit 0 git push "$S2" main
lacks "$T/err" "legacy.txt"
git checkout -q -b side2 HEAD~1; echo s >> b.txt; git add b.txt; git commit -qm side2
git checkout -q main
git merge -q --no-commit side2
printf '%s\n' "$KEY_LINE" > evil.txt; git add evil.txt
git commit -q -m "merge side2"
evil=$(git rev-parse --short=12 HEAD)
expect_exit 1 git push "$S2" main
has "$T/err" "$evil:evil.txt:1:"
git reset -q --hard HEAD~1
# A blob first pushed at a path an [allow] glob covers is judged at its other path.
printf '[allow]\npath = fixtures/**\n' > "$T/allow256.ini"
git -C "$S2" config sasguard.config "$T/allow256.ini"
mkdir -p fixtures; printf '%s\n' "$TOKEN_LINE" > fixtures/t.txt; git add fixtures; git commit -qm fixture
expect_exit 0 git push -q "$S2" main
# (both pushed at once: a fixture, then its copy under src/ in the next commit)
cp fixtures/t.txt conf.txt; git add conf.txt; printf 'x %s\n' "$TOKEN_LINE" > fixtures/u.txt
git add fixtures; git commit -qm "a fixture"
mkdir -p src; cp fixtures/u.txt src/u.txt; git add src; git commit -qm "the same in src"
expect_exit 1 git push "$S2" main
has "$T/err" "$(git rev-parse --short=12 HEAD):src/u.txt:1:"
lacks "$T/err" "conf.txt"   # a blob the server has (fixtures/t.txt) adds nothing
git reset -q --hard HEAD~2
git -C "$S2" config --unset sasguard.config
# Missing objects are never clean: a new value the server lacks, a tree whose blob is gone.
Z64=0000000000000000000000000000000000000000000000000000000000000000
gone=$(echo "never stored" | git hash-object --stdin)
expect_exit 3 sh -c "printf '%s %s refs/heads/gone\n' $Z64 $gone | GIT_DIR='$S2' '$SASGUARD' pre-receive >'$T/out' 2>'$T/err'"
has "$T/err" "missing"
has "$T/err" "push rejected"
tree=$(printf '100644 blob %s\tlost.txt\n' "$gone" | git -C "$S2" mktree --missing)
orphan=$(git -C "$S2" commit-tree -m orphan "$tree")
expect_exit 3 sh -c "printf '%s %s refs/heads/gone\n' $Z64 $orphan | GIT_DIR='$S2' '$SASGUARD' pre-receive >'$T/out' 2>'$T/err'"
has "$T/err" "1 objects missing"
has "$T/err" "$gone"
has "$T/err" "objects the push refers to are missing"
# A deletion adds nothing, alone or beside a clean update.
git checkout -q -b again main; echo again >> a.txt; git commit -qam again; git checkout -q main
expect_exit 0 git push "$S2" :refs/heads/other again
expect_exit 1 git -C "$S2" rev-parse -q --verify refs/heads/other
[ "$(git -C "$S2" rev-parse again)" = "$(git rev-parse again)" ] && pass || fail "sha256: again not created"

# ---- SHA-256 pre-receive, differential: the blobs judged are what git lists ---------
G2=$T/gen256; git init -q --object-format=sha256 "$G2"
python3 "$SOURCE_DIR/tests/adversarial/gen_repo.py" 3 40 | git -C "$G2" fast-import --quiet
git -C "$G2" symbolic-ref HEAD refs/heads/main
S3=$T/gen256.git; git init -q --bare --object-format=sha256 "$S3"
printf '#!/bin/sh\nSASGUARD_TRACE_BLOBS=%s exec "%s" pre-receive "$@"\n' "$T/push256.trace" "$SASGUARD" > "$S3/hooks/pre-receive"
chmod +x "$S3/hooks/pre-receive"
cd "$G2"
for specs in "$(git rev-parse main~10):refs/heads/main" main "+refs/heads/*:refs/heads/*" --tags; do
  case $specs in
    --tags) news=$(git for-each-ref --format='%(objectname)' refs/tags) ;;
    +*) news=$(git for-each-ref --format='%(objectname)' refs/heads) ;;
    *) news=$(git rev-parse "${specs%%:*}") ;;
  esac
  old=$(git -C "$S3" for-each-ref --format='%(objectname)')
  # shellcheck disable=SC2086
  git rev-list --objects $news --not $old | cut -d' ' -f1 |
    git cat-file --batch-check='%(objectname) %(objecttype)' | awk '$2 == "blob" { print $1 }' | sort -u > "$T/want256"
  : > "$T/push256.trace"
  # shellcheck disable=SC2086
  expect_exit 0 git push "$S3" $specs
  sort -u "$T/push256.trace" > "$T/got256"
  cmp -s "$T/want256" "$T/got256" && pass ||
    fail "sha256 differential ($specs): judged $(wc -l < "$T/got256") blobs, git lists $(wc -l < "$T/want256")"
  [ -z "$(sort "$T/push256.trace" | uniq -d)" ] && pass || fail "sha256 differential ($specs): a blob judged twice"
  printf 'sha256 differential (%s): %d blobs new\n' "$specs" "$(wc -l < "$T/want256")"
done
[ "$(git -C "$S3" for-each-ref | wc -l)" = "$(git for-each-ref | wc -l)" ] && pass || fail "sha256 differential: not every ref arrived"
cd "$T"

# A format nothing here reads (SHA-256 without the plumbing, as a newer extension
# would be) is the server's own state: its policy, read first, decides by fail_open.
export SASGUARD_TEST_PLUMBING=off
git init -q --bare --object-format=sha256 "$T/sha256-off.git"
cp "$S2/hooks/pre-receive" "$T/sha256-off.git/hooks/"
expect_exit 1 git -C "$H" push "$T/sha256-off.git" HEAD:refs/heads/main
has "$T/err" "SHA-256"
has "$T/err" "server.fail_open = false"
lacks "$T/err" "policy cannot be read"
printf '[server]\nfail_open = true\n' > "$T/open.ini"
git -C "$T/sha256-off.git" config sasguard.config "$T/open.ini"
expect_exit 0 git -C "$H" push "$T/sha256-off.git" HEAD:refs/heads/main
has "$T/err" "accepting the push unchecked"
unset SASGUARD_TEST_PLUMBING

finish
