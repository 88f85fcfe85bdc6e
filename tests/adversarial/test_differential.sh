#!/usr/bin/env bash
# test_differential.sh - the blobs sasguard judges, checked against git's own
# answer (DESIGN.md section 8) on generated repositories (gen_repo.py: seeded
# histories with branches, merges, tags, renames, copies, re-additions):
#  (a) --all-history judges exactly the blobs `git rev-list --objects --all HEAD` lists;
#  (b) pre-receive judges exactly the blobs `git rev-list --objects <new> --not
#      <the server's refs before the push>` lists, push after push.
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
echo "differential: $(($(date +%s) - START)) s"

finish
