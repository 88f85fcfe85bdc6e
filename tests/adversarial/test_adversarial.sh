#!/usr/bin/env bash
# test_adversarial.sh - the gate tried as an attacker would (DESIGN.md section
# 8): each crafted case of cases.sh is pushed into a fresh hooked bare
# repository twice, with the default policy and with server.fail_open = true,
# and must be rejected for its finding both times; --all-history on the
# client finds it (never "dangling"). Then the sections that need more: a
# tree 30 000 deep, objects in two packs, --all-history through alternates,
# 40 push options, skip notes, and the same content at pre-commit.
ADV=$(cd "$(dirname "$0")" && pwd)
. "$ADV/../git/gitlib.sh"
. "$ADV/cases.sh"

CASES=(
  mode_100600 mode_100664 mode_100000 mode_104755 mode_100755 mode_0100644
  mode_120000 mode_120755 dir_40755 dir_40000 dir_040000 dir_40700
  gitlink gitlink_and_token unsorted_tree
  tag_chain_16 tag_chain_17 tag_chain_40 tag_to_tree tag_chain_to_tree tag_to_blob
  ref_to_tree ref_to_blob custom_ref_to_blob tag_message_nul commit_message_nul commit_message_utf16
  lfs_header_then_token lfs_bare_prefix lfs_extra_line lfs_token_in_oid lfs_long_oid
  lfs_token_in_size lfs_valid nul_first nul_middle png_header
  alternates alternates_unreachable left_by_push left_then_child unpacked_objects
  octopus_20 octopus_20_legacy
)
SECTIONS=(deep_tree two_packs history_alternates push_options skip_notes pre_commit)
# To run a part: ADV_ONLY="case ..." runs those cases alone, ADV_SECTIONS="section ..." those sections.
[ -n "${ADV_ONLY+x}" ] && { read -ra CASES <<< "$ADV_ONLY"; SECTIONS=(); }
[ -n "${ADV_SECTIONS+x}" ] && { read -ra SECTIONS <<< "$ADV_SECTIONS"; [ -n "${ADV_ONLY+x}" ] || CASES=(); }

# remote_has FILE TEXT: a `remote:` line of FILE holds TEXT.
remote_has() {
  if grep -F -- "$2" "$1" | grep -q '^remote: '; then pass
  else fail "$CASE: no remote: line holds '$2'"; sed 's/^/  | /' "$1" | head -30 >&2; fi
}
# count_is N FILE TEXT: TEXT is on exactly N lines of FILE.
count_is() {
  local n
  n=$(grep -cF -- "$3" "$2")
  [ "$n" = "$1" ] && pass || fail "$CASE: '$3' on $n lines of $2, want $1"
}
# Both policies when run alone; in the suites (tests/CMakeLists.txt) the
# sanitizer build pushes with the default one and the plain build with
# fail_open: the README's test command runs both builds, each half the time.
ADV_POLICIES=${ADV_POLICIES:-policy_default fail_open}
fail_open() { printf '[server]\nfail_open = true\n' > "$SASGUARD_SYSTEM_CONFIG"; }
policy_default() { rm -f "$SASGUARD_SYSTEM_CONFIG"; }

# new_client DIR: a repository whose main holds one clean commit.
new_client() {
  git init -q "$1" && cd "$1" && echo hello > README && git add README && git commit -qm base
}

# push_both: the case's push, into a fresh server with each policy.
push_both() {
  local policy S spec dst
  for policy in $ADV_POLICIES; do
    S=$T/srv-$CASE-$policy.git
    new_server "$S"
    hook_off "$S"; git push -q "$S" main; hook_on "$S"
    [ -n "$PREP" ] && "$PREP" "$S"
    "$policy"
    if [ "$OUTCOME" = reject ]; then
      expect_exit 1 git push "$S" "${PUSH[@]}"
      has "$T/err" "(pre-receive hook declined)"
      remote_has "$T/err" "$FINDING"
      [ -z "$WHERE" ] || remote_has "$T/err" "$WHERE"
      lacks "$T/err" "accepting the push unchecked"
      [ "$ONE_FINDING" = 1 ] && count_is 1 "$T/err" "$FINDING"
      for spec in "${PUSH[@]}"; do
        dst=${spec#*:}
        git -C "$S" rev-parse -q --verify "$dst" >/dev/null && fail "$CASE ($policy): $dst created" || pass
      done
    else
      expect_exit 0 git push "$S" "${PUSH[@]}"
      lacks "$T/err" "error:"
      [ -z "$NOTE_WANT" ] || remote_has "$T/err" "$NOTE_WANT"
      [ -z "$NOTE_WANT2" ] || remote_has "$T/err" "$NOTE_WANT2"
    fi
    cat "$T/err" >> "$T/case.log"
  done
  policy_default
}

history_check() {
  case $HISTORY in
    1)
      expect_exit 1 "$SASGUARD" --all-history "$PWD"
      has "$T/out" "$FINDING"
      [ -z "$WHERE" ] || has "$T/out" "$WHERE"
      lacks "$T/out" "reachable from no ref"
      lacks "$T/out" "dangling"
      cat "$T/out" >> "$T/case.log" ;;
    clean)
      expect_exit 0 "$SASGUARD" --all-history "$PWD"
      lacks "$T/out" "error:" ;;
  esac
}

for CASE in "${CASES[@]}"; do
  t0=$(date +%s%N)
  new_client "$T/client-$CASE"
  PUSH=() WHERE= OUTCOME=reject PREP= HISTORY=1 NOTE_WANT= NOTE_WANT2= ONE_FINDING=0
  before=$FAILS
  if ! declare -F "case_$CASE" >/dev/null || ! "case_$CASE" || [ "${#PUSH[@]}" = 0 ]; then
    fail "$CASE: not built"; continue
  fi
  : > "$T/case.log"
  push_both
  history_check
  no_secrets "$T/case.log"  # what both pushes and the history scan printed
  printf 'case %-24s %-6s %5d ms\n' "$CASE" "$([ "$FAILS" = "$before" ] && echo ok || echo FAILED)" \
    $((($(date +%s%N) - t0) / 1000000))
done

# ---- a tree 30 000 directories deep ---------------------------------------------
# Written as a pack by mkdeep.py (30 000 loose objects take seconds of
# filesystem time) and pushed by rawpush.py, straight to git receive-pack:
# git push enumerates the trees with their full path names, O(depth^2),
# 24 s of client time here for a push the server takes in a second.
section_deep_tree() {
  CASE=deep_tree
  t0=$(date +%s)
  D=$T/deep.git
  git init -q --bare "$D"
  "$PY" "$ADV/mkdeep.py" 30000 "$TOKEN_LINE" 2>"$T/deep.ids" >"$T/deep.pack"
  read -r dt dc < "$T/deep.ids"
  git -C "$D" index-pack --stdin < "$T/deep.pack" >/dev/null
  git -C "$D" update-ref refs/heads/main "$dc"
  # 30 001 trees, each the only entry of the one above (rev-list would print 900 MB of paths)
  built "30 000 directories deep" sh -c "cd '$D' && [ \$(git cat-file --batch-all-objects --batch-check | grep -c ' tree ') = 30001 ] &&
    [ \"\$(git cat-file -p $dt)\" = \"040000 tree \$(git rev-parse $dt:d)	d\" ] &&
    [ \$(git rev-list --objects --no-object-names main | wc -l) = 30003 ]"
  echo "deep: built in $(($(date +%s) - t0)) s"
  for policy in $ADV_POLICIES; do
    t1=$(date +%s)
    S=$T/srv-deep-$policy.git
    new_server "$S"
    "$policy"
    expect_exit 1 "$PY" "$ADV/rawpush.py" "$S" "$ZERO" "$dc" refs/heads/deep "$T/deep.pack"
    has "$T/out" "unpack ok"
    has "$T/out" "ng refs/heads/deep pre-receive hook declined"
    has "$T/err" "$FINDING"
    has "$T/err" "deep.txt:1:7"
    lacks "$T/err" "died of signal"
    lacks "$T/err" "accepting the push unchecked"
    git -C "$S" rev-parse -q --verify refs/heads/deep >/dev/null && fail "deep ($policy): pushed" || pass
    echo "deep: push ($policy) $(($(date +%s) - t1)) s"
  done
  policy_default
  # The same push of a clean tree as deep: accepted (the raw push itself works).
  "$PY" "$ADV/mkdeep.py" 30000 "clean = nothing here" 2>"$T/clean.ids" >"$T/clean.pack"
  read -r _ cc < "$T/clean.ids"
  S=$T/srv-deep-clean.git
  new_server "$S"
  t1=$(date +%s)
  expect_exit 0 "$PY" "$ADV/rawpush.py" "$S" "$ZERO" "$cc" refs/heads/deep "$T/clean.pack"
  has "$T/out" "ok refs/heads/deep"
  lacks "$T/err" "died of signal"
  echo "deep: clean push $(($(date +%s) - t1)) s"
  t1=$(date +%s)
  expect_exit 1 "$SASGUARD" --all-history "$D"
  has "$T/out" "$FINDING"
  has "$T/out" "deep.txt:1:7"
  lacks "$T/out" "reachable from no ref"
  echo "deep: --all-history $(($(date +%s) - t1)) s"
}

# ---- an object stored in two packs: judged once ----------------------------------
section_two_packs() {
  CASE=two_packs
  new_client "$T/twopacks"
  printf '%s\n' "$TOKEN_LINE" > tok.txt; git add tok.txt; git commit -qm "token file"
  git commit -q --allow-empty -m "see $INCIDENT_URL"
  msg=$(git rev-parse HEAD)
  # Two packs, each holding the whole history; no loose copies.
  git rev-list --objects --all | cut -d' ' -f1 > "$T/all-objects"
  git pack-objects -q .git/objects/pack/pack < "$T/all-objects" >/dev/null
  # the second with one object more: the same content would give the same pack name
  { cat "$T/all-objects"; echo extra | git hash-object -w --stdin; } |
    git pack-objects -q .git/objects/pack/pack >/dev/null
  git prune-packed
  built "two packs hold every object" sh -c "[ \$(ls .git/objects/pack/*.idx | wc -l) = 2 ] &&
    for i in .git/objects/pack/*.idx; do git show-index < \$i | grep -q $msg || exit 1; done"
  expect_exit 1 "$SASGUARD" --all-history "$PWD"
  # one token at two places (the file, the message), each place once
  count_is 1 "$T/out" "$FINDING"
  count_is 1 "$T/out" "tok.txt:1:7: $FINDING"
  count_is 1 "$T/out" "${msg:0:12}:(commit message):"
  count_is 1 "$T/out" "at 2 places, also:"
  expect_exit 1 "$SASGUARD" --all-history --format json "$PWD"
  "$PY" -c "import json; d = json.load(open('$T/out')); assert len(d['findings']) == 1 and len(d['findings'][0]['locations']) == 2, d['findings']" &&
    pass || fail "two packs: JSON findings"
  # Pushed: the server stores the objects in a pack no ref reaches, and the push
  # brings them again in a pack of its own (receive.unpackLimit = 1 keeps it a pack).
  S=$T/srv-twopacks.git
  new_server "$S"
  git -C "$S" config receive.unpackLimit 1
  git pack-objects -q --revs --stdout <<< main | git -C "$S" index-pack --stdin >/dev/null
  built "the server stores the objects in a pack" sh -c "git -C '$S' cat-file -e $msg && [ -z \"\$(find '$S/objects' -path '*/pack' -prune -o -type f -name '[0-9a-f]*' -print)\" ]"
  expect_exit 1 git push "$S" main
  count_is 1 "$T/err" "$FINDING"
  count_is 1 "$T/err" "at 2 places, also:"
  remote_has "$T/err" "tok.txt:1:7"   # the message's commit came first: the file is the other place
  remote_has "$T/err" "${msg:0:12}:(commit message):"
}

# ---- --all-history of a repository whose objects sit in its alternates ------------
section_history_alternates() {
  CASE=history_alternates
  new_client "$T/fork"
  printf '%s\n' "$TOKEN_LINE" > tok.txt; git add tok.txt; git commit -qm token
  tok=$(git rev-parse HEAD)
  P=$T/fork-pool.git
  git init -q --bare "$P"
  git push -q "$P" main
  # A fork: its ref in its own store, every object in the pool's.
  F=$T/fork.git
  git init -q --bare "$F"
  echo "$P/objects" > "$F/objects/info/alternates"
  git -C "$F" update-ref refs/heads/main "$tok"
  built "the fork stores no object of its own" sh -c "[ -z \"\$(find '$F/objects' -type f ! -path '*/info/*')\" ] && git -C '$F' cat-file -e $tok:tok.txt"
  expect_exit 1 "$SASGUARD" --all-history "$F"
  has "$T/out" "${tok:0:12}:tok.txt:1:7: $FINDING"
  lacks "$T/out" "reachable from no ref"
}

# ---- 40 push options: no fixed limit drops one -------------------------------------
section_push_options() {
  CASE=push_options
  new_client "$T/options"
  printf 'k = %s\n' "$INCIDENT_URL" > pushed.txt; git add pushed.txt; git commit -qm pushed
  fp=$("$SASGUARD" scan --format json pushed.txt | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["findings"][0]["fingerprint"])')
  opts=()
  for i in $(seq 1 39); do opts+=(-o "sasguard.allow=$(printf '%032x' "$i")"); done
  opts+=(-o "sasguard.allow=$fp" -o "sasguard.reason=TICKET-7 the 40th option")
  [ "${#opts[@]}" = 82 ] && pass || fail "setup: 41 push options"
  printf '[server]\nallow_push_option = true\nlog = %s\n' "$T/audit.log" > "$T/server.ini"
  for policy in $ADV_POLICIES; do
    S=$T/srv-options-$policy.git
    new_server "$S"
    git -C "$S" config receive.advertisePushOptions true
    git -C "$S" config sasguard.config "$T/server.ini"
    "$policy"
    expect_exit 0 git push "${opts[@]}" "$S" main
    has "$T/err" "1 allowed"
    count_is 39 "$T/err" "matched no finding"
    lacks "$T/err" "accepting the push unchecked"
  done
  policy_default
  # The token and 40 options that allow nothing: rejected, every option accounted for.
  opts=()
  for i in $(seq 1 40); do opts+=(-o "sasguard.allow=$(printf '%032x' "$i")"); done
  S=$T/srv-options-none.git
  new_server "$S"
  git -C "$S" config receive.advertisePushOptions true
  git -C "$S" config sasguard.config "$T/server.ini"
  expect_exit 1 git push "${opts[@]}" -o "sasguard.reason=none of them" "$S" main
  remote_has "$T/err" "$FINDING"
  count_is 40 "$T/err" "matched no finding"
}

# ---- skips are exact and said ------------------------------------------------------------
section_skip_notes() {
  CASE=skip_notes
  new_client "$T/skips"
  S=$T/srv-skips.git
  new_server "$S"
  git push -q "$S" main
  # Over max_file_size: skipped with a note naming the limit.
  printf '[policy]\nmax_file_size = 1K\n' > "$T/small.ini"
  git -C "$S" config sasguard.config "$T/small.ini"
  { head -c 2000 /dev/zero | tr '\0' x; printf '\n%s\n' "$TOKEN_LINE"; } > big.txt
  git add big.txt; git commit -qm big
  expect_exit 0 git push "$S" main
  remote_has "$T/err" "skipped"
  remote_has "$T/err" "max_file_size"
  # A policy that opts out of binary content: skipped, said.
  printf '[policy]\nscan_binary = false\n' > "$T/nobin.ini"
  git -C "$S" config sasguard.config "$T/nobin.ini"
  printf '\0\n%s\n' "$TOKEN_LINE" > blob.dat; git add blob.dat; git commit -qm bin
  expect_exit 0 git push "$S" main
  remote_has "$T/err" "skipped"
  remote_has "$T/err" "binary"
  git -C "$S" config --unset sasguard.config
}

# ---- pre-commit: the same content staged ---------------------------------------------------
section_pre_commit() {
  CASE=pre_commit
  R=$T/precommit
  new_repo "$R"
  cd "$R"
  echo hello > README; git add README; git commit -qm base
  base=$(git rev-parse HEAD)
  pc_reject() {  # pc_reject NAME LINE:COL FORMAT ARG...: staging that content, git commit is rejected
    local name=$1 at=$2; shift 2
    printf "$@" > "$name"; git add "$name"
    expect_exit 1 git commit -m "add $name"
    has "$T/err" "$name:$at: $FINDING"
    has "$T/err" "commit rejected"
    no_secrets "$T/err"
    git reset -q --hard "$base"
  }
  pc_reject model.bin 2:7 '%s\n%s\n' "$LFS_HEAD" "$TOKEN_LINE"
  pc_reject model.bin 4:7 '%s\n%s\nsize 12345\n%s\n' "$LFS_HEAD" "$LFS_OID" "$TOKEN_LINE"
  pc_reject model.bin 2:12 '%s\noid sha256:%s\nsize 12345\n' "$LFS_HEAD" "$INCIDENT_URL"
  pc_reject blob.dat 2:7 '\0\n%s\n' "$TOKEN_LINE"
  pc_reject logo.png 3:7 '\211PNG\r\n\032\n%s\n' "$TOKEN_LINE"
  # A valid pointer commits, with a note that it was skipped.
  printf '%s\n%s\nsize 12345\n' "$LFS_HEAD" "$LFS_OID" > model.bin; git add model.bin
  expect_exit 0 git commit -m "lfs pointer"
  has "$T/err" "skipped"
  has "$T/err" "LFS"
}

for section in "${SECTIONS[@]}"; do
  ts=$(date +%s)
  "section_$section"
  echo "section $section: $(($(date +%s) - ts)) s"
done

finish
