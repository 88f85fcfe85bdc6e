#!/usr/bin/env bash
# test_differential.sh - the blobs sasguard judges, checked against git's own
# answer (DESIGN.md section 8) on generated repositories (gen_repo.py: seeded
# histories with branches, merges, tags, renames, copies, re-additions):
#  (a) --all-history judges exactly the blobs `git rev-list --objects --all HEAD` lists;
#  (b) pre-receive judges exactly the blobs `git rev-list --objects <new> --not
#      <the server's refs before the push>` lists, push after push;
#  (c) pre-commit judges exactly the content blobs `git diff-index --cached`
#      adds or changes, round after round of staging (gen_stage.py), in SHA-1
#      and SHA-256 repositories; in SHA-256, hook/odb's walk of the index
#      (plumb_index.c) and git diff-index's list give the same report.
# SASGUARD_TRACE_BLOBS=FILE makes sasguard write each blob it judged, once.
ADV=$(cd "$(dirname "$0")" && pwd)
. "$ADV/../git/gitlib.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
SEEDS=${DIFF_SEEDS:-"1 2 3 4"}
COMMITS=${DIFF_COMMITS:-40}

# blobs_of REPO REV...: the blob ids `git rev-list --objects REV...` lists, sorted.
blobs_of() {
  local repo=$1; shift
  git -C "$repo" rev-list --objects "$@" | cut -d' ' -f1 |
    git -C "$repo" cat-file --batch-check='%(objectname) %(objecttype)' | awk '$2 == "blob" { print $1 }' | sort -u
}

# same_set WHAT WANT GOT: the two sorted lists are equal; GOT has no line twice.
same_set() {
  local what=$1 want=$2 got=$3
  sort -u "$got" > "$got.sorted"
  if cmp -s "$want" "$got.sorted"; then pass
  else
    fail "$what: judged $(wc -l < "$got.sorted") blobs, git lists $(wc -l < "$want")"
    comm -23 "$want" "$got.sorted" | head -3 | sed 's/^/  not judged: /' >&2
    comm -13 "$want" "$got.sorted" | head -3 | sed 's/^/  judged, not listed: /' >&2
  fi
  [ -z "$(sort "$got" | uniq -d)" ] && pass || fail "$what: a blob judged twice in one run"
}

START=$(date +%s)
for seed in $SEEDS; do
  G=$T/gen-$seed
  git init -q "$G"
  "$PY" "$ADV/gen_repo.py" "$seed" "$COMMITS" | git -C "$G" fast-import --quiet
  git -C "$G" symbolic-ref HEAD refs/heads/main
  # The generator's promises, checked: merges, branches, tags of both kinds, renames, copies.
  [ "$(git -C "$G" rev-list --merges --all | wc -l)" -ge 2 ] &&
    [ "$(git -C "$G" for-each-ref refs/heads | wc -l)" -ge 3 ] &&
    [ -n "$(git -C "$G" log --all -M --diff-filter=R --format=%h)" ] &&
    [ -n "$(git -C "$G" log --all -C -C --diff-filter=C --format=%h)" ] && pass ||
    fail "seed $seed: the generated history lacks merges, branches, renames or copies"

  # (a) --all-history: every reachable blob, and only those.
  blobs_of "$G" --all HEAD > "$T/want"
  : > "$T/hist.trace"
  expect_exit 0 env SASGUARD_TRACE_BLOBS="$T/hist.trace" "$SASGUARD" --all-history "$G"
  same_set "seed $seed: --all-history" "$T/want" "$T/hist.trace"

  # (b) a sequence of pushes into a hooked bare server.
  S=$T/srv-$seed.git
  git init -q --bare "$S"
  printf '#!/bin/sh\nSASGUARD_TRACE_BLOBS=%s exec "%s" pre-receive "$@"\n' "$T/push.trace" "$SASGUARD" > "$S/hooks/pre-receive"
  chmod +x "$S/hooks/pre-receive"
  cd "$G"
  depth=$(git rev-list --first-parent --count main)
  other=$(git for-each-ref --format='%(refname:short)' refs/heads | grep -vx main | head -1)
  # a branch main has not merged (what a force push brings is then new), else any
  third=$(git for-each-ref --no-merged main --format='%(refname:short)' refs/heads | grep -vx "$other" | tail -1)
  [ -n "$third" ] || third=$(git for-each-ref --format='%(refname:short)' refs/heads | grep -vx main | tail -1)
  # a clean commit on an old one: a new file, and an old blob (the server has it) at a new path
  GIT_INDEX_FILE=$T/index git read-tree "$third~2"
  GIT_INDEX_FILE=$T/index git update-index --add --cacheinfo "100644,$(echo "seed $seed late" | git hash-object -w --stdin),late.txt"
  GIT_INDEX_FILE=$T/index git update-index --add --cacheinfo "100644,$(git ls-tree -r "$(git rev-list --max-parents=0 main)" | awk 'NR == 1 { print $3 }'),copied-late.txt"
  late=$(git commit-tree -p "$third~2" -m late "$(GIT_INDEX_FILE=$T/index git write-tree)")
  # step: what it pushes (refspecs), the new objects' ids
  steps=(
    "initial, an old commit|$(git rev-parse "main~$((depth / 2))"):refs/heads/main"
    "fast-forward to a merge|main"
    "new branch at an old non-tip commit|$(git rev-parse "$other~1"):refs/heads/feature"
    "force push|+$third:refs/heads/feature"
    "tags, annotated and lightweight|--tags"
    "every branch|+refs/heads/*:refs/heads/*"
    "delete one ref, create another on an old commit|:refs/heads/feature $late:refs/heads/again"
  )
  n=0
  for step in "${steps[@]}"; do
    n=$((n + 1))
    what="seed $seed, push $n (${step%%|*})"
    read -ra specs <<< "${step#*|}"
    # The new tips: each refspec's source, or every tag.
    news=()
    for spec in "${specs[@]}"; do
      case $spec in
        --tags) mapfile -t -O "${#news[@]}" news < <(git for-each-ref --format='%(objectname)' refs/tags) ;;
        *'*'*) mapfile -t -O "${#news[@]}" news < <(git for-each-ref --format='%(objectname)' refs/heads) ;;
        :*) ;;
        *) src=${spec%%:*}; news+=("$(git rev-parse "${src#+}")") ;;
      esac
    done
    # git's answer, before the push: new objects not reachable from the server's refs.
    mapfile -t old < <(git -C "$S" for-each-ref --format='%(objectname)')
    if [ "${#news[@]}" -gt 0 ]; then blobs_of "$G" "${news[@]}" --not "${old[@]}" > "$T/want"; else : > "$T/want"; fi
    : > "$T/push.trace"
    expect_exit 0 git push "$S" "${specs[@]}"
    same_set "$what" "$T/want" "$T/push.trace"
    printf '%s: %d blobs new\n' "$what" "$(wc -l < "$T/want")"
  done
  # The server after the pushes: --all-history there too.
  blobs_of "$S" --all > "$T/want"
  : > "$T/hist.trace"
  expect_exit 0 env SASGUARD_TRACE_BLOBS="$T/hist.trace" "$SASGUARD" --all-history "$S"
  same_set "seed $seed: --all-history of the server" "$T/want" "$T/hist.trace"
  cd "$T"
done
# staged_want REPO: the content blobs (files, symlinks) `git diff-index
# --cached` adds or changes against HEAD (a mode changed alone adds none).
staged_want() {
  git -C "$1" diff-index --cached -z --raw --no-renames --ignore-submodules=all HEAD |
    "$PY" -c '
import sys
f = sys.stdin.buffer.read().split(b"\0")
empty = {"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
         "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"}
for meta, path in zip(f[0::2], f[1::2]):
    om, nm, oid, nid, st = meta[1:].decode().split()
    if st[0] in "AMT" and nm in ("100644", "100755", "120000") and oid != nid and nid not in empty:
        print(nid)' | sort -u
}
for fmt in sha1 sha256; do
  P=$T/stage-$fmt
  git init -q --object-format=$fmt "$P"
  "$PY" - "$TOKEN_LINE" <<'PY' | git -C "$P" fast-import --quiet
import sys
w = sys.stdout.write
for i in range(120):
    body = "file %d\n" % i + (sys.argv[1] + "\n" if i % 12 == 0 else "")  # ten hold a token already
    w("blob\nmark :%d\ndata %d\n%s\n" % (i + 1, len(body), body))
w("commit refs/heads/main\ncommitter t <t@example.com> 1700000000 +0000\ndata 5\nbase\n")
for i in range(120):
    w("M 100644 :%d d%d/e%d/f%d.txt\n" % (i + 1, i % 5, i % 3, i))
w("\n")
PY
  git -C "$P" symbolic-ref HEAD refs/heads/main
  git -C "$P" reset -q --hard main
  for round in $(seq 1 "${DIFF_ROUNDS:-14}"); do
    "$PY" "$ADV/gen_stage.py" "$P" 7 "$round" "$TOKEN_LINE" || { fail "$fmt round $round: gen_stage.py failed"; continue; }
    what="$fmt, staged round $round"
    staged_want "$P" > "$T/want"
    : > "$T/staged.trace"
    # (in SHA-256, the index walk and only it: SASGUARD_TEST_DIFF_INDEX=0)
    (cd "$P" && SASGUARD_TEST_DIFF_INDEX=0 SASGUARD_TRACE_BLOBS="$T/staged.trace" "$SASGUARD" pre-commit \
       > "$T/staged.out" 2>&1)
    st=$?
    [ "$st" -le 1 ] && pass || { fail "$what: exit $st"; cat "$T/staged.out" >&2; }
    grep -v -x -e e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 \
      -e 473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813 "$T/staged.trace" > "$T/staged.got"
    same_set "$what" "$T/want" "$T/staged.got"
    if [ "$fmt" = sha256 ]; then
      # from git diff-index's list: the same report, the same blobs
      : > "$T/staged.trace"
      (cd "$P" && SASGUARD_TEST_DIFF_INDEX=1 SASGUARD_TRACE_BLOBS="$T/staged.trace" "$SASGUARD" pre-commit \
         > "$T/staged-git.out" 2>&1)
      # (git diff-index lists an intent-to-add entry as an empty file added:
      # read there, it adds one to the files counted, nothing else)
      [ "$?" = "$st" ] && cmp -s <(sed 's/ in [0-9]* files\{0,1\}$//' "$T/staged.out") \
        <(sed 's/ in [0-9]* files\{0,1\}$//' "$T/staged-git.out") && pass ||
        { fail "$what: hook/odb's walk and git diff-index disagree"; diff "$T/staged.out" "$T/staged-git.out" >&2; }
      grep -v -x -e 473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813 "$T/staged.trace" > "$T/staged.got"
      same_set "$what (git diff-index)" "$T/want" "$T/staged.got"
    fi
    printf '%s: %d blobs staged, exit %d\n' "$what" "$(wc -l < "$T/want")" "$st"
  done
done
echo "differential: $(($(date +%s) - START)) s"

finish
