# cases.sh - crafted pushes, one function each, built with git plumbing
# (hash-object --literally, raw trees, mktag, commit-tree) in a client
# repository. Sourced by test_adversarial.sh, after gitlib.sh.
#
# A case runs in a fresh client repository (the current directory) whose
# main holds one clean commit; the server it is pushed to already has that
# main (pushed past the hook). It sets:
#   PUSH         the refspecs to push (array)
#   WHERE        what the finding line must also name (commit:path:line:col),
#                empty where no place is defined (a blob under a tag)
#   OUTCOME      reject (the default): both pushes rejected with the finding;
#                accept: the push goes through, nothing reported
#   NOTE_WANT, NOTE_WANT2  what a remote: line must say when accepted (a skip)
#   ONE_FINDING  1: the finding is reported once, not once per commit
#   PREP         a function run with the server's path before the push
#   HISTORY      1 (default): --all-history on the client finds the token;
#                0 to leave --all-history out; clean: exit 0, no finding
# Every case also checks that it was built as designed (raw mode bytes, what
# git checks out, depths, where the objects are): a case git would not
# check out, or a push that carries other objects, would prove nothing.

FINDING='error: account SAS for robustnessws4285631339'
# The interpreter itself: a version manager's shim costs 0.4 s a call.
PY=$(python3 -c 'import sys; print(sys.executable)')

# blob LINE...: a blob of those lines; its id.
blob() { printf '%s\n' "$@" | git hash-object -w --stdin; }
# rawblob FORMAT [ARG...]: a blob of printf's bytes; its id.
rawblob() { printf "$@" | git hash-object -w --stdin; }

# tree "MODE NAME ID"...: a tree of those entries written byte for byte
# (any mode text, zero padding included), sorted as git sorts (a directory
# as NAME/); its id. With TREE_UNSORTED=1, in the order given.
tree() {
  "$PY" - "$@" <<'PY' | git hash-object -t tree --literally -w --stdin
import os, sys
ents = []
for spec in sys.argv[1:]:
    mode, name, oid = spec.split(" ", 2)
    isdir = (int(mode, 8) & 0o170000) == 0o040000
    ents.append((name.encode() + (b"/" if isdir else b""), mode.encode(), name.encode(), bytes.fromhex(oid)))
if os.environ.get("TREE_UNSORTED") != "1":
    ents.sort()
sys.stdout.buffer.write(b"".join(m + b" " + n + b"\0" + i for _, m, n, i in ents))
PY
}

# on_base "MODE NAME ID"...: main's tree (README) with those entries added; its id.
on_base() {
  local base
  mapfile -t base < <(git ls-tree main | awk -F '\t' '{ split($1, m, " "); print m[1], $2, m[3] }')
  tree "${base[@]}" "$@"
}

# raw_entries TREE: "MODE NAME" per entry as stored (not as git prints them).
raw_entries() {
  git cat-file tree "$1" | "$PY" -c '
import sys
d = sys.stdin.buffer.read(); i = 0
while i < len(d):
    sp = d.index(b" ", i); nul = d.index(b"\0", sp)
    print(d[i:sp].decode(), d[sp + 1:nul].decode(errors="replace")); i = nul + 21'
}

# has_raw TREE "MODE NAME": the tree stores that entry with those very mode bytes.
has_raw() { raw_entries "$1" | grep -qxF -- "$2"; }

# built WHAT COND...: a setup check (a case not built as designed proves nothing).
built() {
  local what=$1; shift
  if "$@"; then pass; else fail "setup of $CASE: $what"; fi
}

# checks_out COMMIT PATH: git checks the commit out with PATH holding the
# token (read-tree and checkout-index into a scratch work tree, the client
# repository untouched).
checks_out() {
  local wt=$T/checkout-$CASE
  rm -rf "$wt"; mkdir -p "$wt"
  GIT_INDEX_FILE=$wt.index git read-tree "$1" &&
    GIT_INDEX_FILE=$wt.index git --work-tree="$wt" checkout-index -a &&
    if [ -L "$wt/$2" ]; then readlink "$wt/$2"; else cat "$wt/$2"; fi | grep -qF "$SIG_INCIDENT"
}

# commit TREE [MESSAGE]: a commit of TREE on top of main; its id.
commit() { git commit-tree -p main -m "${2:-crafted}" "$1"; }

# with_mode MODE NAME: a commit on main adding NAME (mode MODE) holding TOKEN_LINE.
with_mode() {
  local b t c
  b=$(blob "$TOKEN_LINE")
  t=$(on_base "$1 $2 $b")
  c=$(commit "$t" "add $2 as $1")
  built "raw mode $1 of $2" has_raw "$t" "$1 $2"
  built "git checks out $2 ($1)" checks_out "$c" "$2"
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:$2:1:7: $FINDING"
}

# ---- tree entry modes git checks out ----------------------------------------
# git (canon_mode) checks out any S_IFREG mode as 100644 or 100755, any
# S_IFLNK as a symlink, any S_IFDIR as a directory; receive.fsckObjects is off
# by default, so a push carries whatever mode bytes the client wrote.
case_mode_100600() { with_mode 100600 cfg.txt; }
case_mode_100664() { with_mode 100664 cfg.txt; }
case_mode_100000() { with_mode 100000 cfg.txt; }
case_mode_104755() { with_mode 104755 cfg.txt; }   # setuid bit: checked out 100755
case_mode_100755() { with_mode 100755 run.sh; }    # control: the ordinary executable
case_mode_0100644() { with_mode 0100644 cfg.txt; } # zero-padded (fsck: a warning)

# A symlink whose target text holds the token (checked out as a link to it).
symlink_case() {
  local b t c
  b=$(printf '%s' "$INCIDENT_URL" | git hash-object -w --stdin)
  t=$(on_base "$1 link $b")
  c=$(commit "$t" "link $1")
  built "raw mode $1 of link" has_raw "$t" "$1 link"
  built "git reads $1 as a symlink" sh -c "git ls-tree $t link | grep -q '^120000 '"
  built "git checks out link ($1)" checks_out "$c" link
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:link:1:1: $FINDING"
}
case_mode_120000() { symlink_case 120000; }
case_mode_120755() { symlink_case 120755; }

# A directory entry: the token one level down.
dir_case() {
  local b sub t c
  b=$(blob "$TOKEN_LINE")
  sub=$(tree "100644 cfg.txt $b")
  t=$(on_base "$1 conf $sub")
  c=$(commit "$t" "dir $1")
  built "raw mode $1 of conf" has_raw "$t" "$1 conf"
  built "git checks out conf/cfg.txt ($1)" checks_out "$c" conf/cfg.txt
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:conf/cfg.txt:1:7: $FINDING"
}
case_dir_40755() { dir_case 40755; }
case_dir_40000() { dir_case 40000; }    # control: the ordinary directory
case_dir_040000() { dir_case 040000; }  # zero-padded directory mode
case_dir_40700() { dir_case 40700; }

# A gitlink (a submodule's commit, absent here) is not content: skipped, not a failure.
case_gitlink() {
  local t c
  t=$(on_base "160000 sub 1111111111111111111111111111111111111111")
  c=$(commit "$t" "submodule")
  built "a gitlink entry" sh -c "git ls-tree $t sub | grep -q '^160000 commit'"
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  OUTCOME=accept
  HISTORY=clean
}
# A gitlink beside the token: the gitlink derails nothing.
case_gitlink_and_token() {
  local b t c
  b=$(blob "$TOKEN_LINE")
  t=$(on_base "160000 sub 1111111111111111111111111111111111111111" \
        "100644 zz.txt $b")
  c=$(commit "$t" "submodule and token")
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:zz.txt:1:7: $FINDING"
}

# Entries out of git's order: the token file first, then README.
case_unsorted_tree() {
  local b t c
  b=$(blob "$TOKEN_LINE")
  t=$(TREE_UNSORTED=1 tree "100644 zz.txt $b" "100644 README $(git rev-parse main:README)")
  c=$(commit "$t" "unsorted")
  built "entries out of order" sh -c "[ \"\$(git cat-file tree $t | head -c 13 | tail -c 6)\" = zz.txt ]"
  built "git checks out zz.txt" checks_out "$c" zz.txt
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:zz.txt:1:7: $FINDING"
}

# ---- tags and refs to anything ---------------------------------------------
# A commit adding the token, and nothing pointing at it but what the case builds.
token_commit() {
  local b t
  b=$(blob "$TOKEN_LINE")
  t=$(on_base "100644 tok.txt $b")
  commit "$t" "token"
}

# tag_chain N OBJECT TYPE: N annotated tags, each of the one before; the outermost's id.
tag_chain() {
  local n=$1 obj=$2 type=$3 i
  for i in $(seq 1 "$n"); do
    obj=$(printf 'object %s\ntype %s\ntag level%d\ntagger t <t@example.com> 1700000000 +0000\n\nlevel %d\n' \
            "$obj" "$type" "$i" "$i" | git mktag) || return 1
    type=tag
  done
  echo "$obj"
}

chain_case() {
  local c tg
  c=$(token_commit)
  tg=$(tag_chain "$1" "$c" commit)
  built "$1 tags deep" sh -c "[ \"\$(git cat-file -p $tg | sed -n 2p)\" = 'type tag' ] && [ \"\$(git rev-parse $tg^{commit})\" = $c ]"
  git update-ref refs/tags/chain "$tg"
  PUSH=(refs/tags/chain)
  WHERE="${c:0:12}:tok.txt:1:7: $FINDING"
}
case_tag_chain_16() { chain_case 16; }  # control: the old limit
case_tag_chain_17() { chain_case 17; }
case_tag_chain_40() { chain_case 40; }

token_tree() {
  local b
  b=$(blob "$TOKEN_LINE")
  tree "100644 tok.txt $b"
}
case_tag_to_tree() {
  local t tg
  t=$(token_tree)
  tg=$(tag_chain 1 "$t" tree)
  built "a tag of a tree" sh -c "git cat-file -p $tg | grep -q '^type tree'"
  git update-ref refs/tags/tree "$tg"
  PUSH=(refs/tags/tree)
  WHERE="tok.txt:1:7: $FINDING"
}
case_tag_chain_to_tree() {
  local t tg
  t=$(token_tree)
  tg=$(tag_chain 20 "$t" tree)
  git update-ref refs/tags/tree "$tg"
  PUSH=(refs/tags/tree)
  WHERE="tok.txt:1:7: $FINDING"
}
case_tag_to_blob() {
  local b tg
  b=$(blob "$TOKEN_LINE")
  tg=$(tag_chain 1 "$b" blob)
  built "a tag of a blob" sh -c "git cat-file -p $tg | grep -q '^type blob'"
  git update-ref refs/tags/blob "$tg"
  PUSH=(refs/tags/blob)
}
case_ref_to_tree() {
  git update-ref refs/tags/lwtree "$(token_tree)"
  PUSH=(refs/tags/lwtree)
  WHERE="tok.txt:1:7: $FINDING"
}
case_ref_to_blob() {
  git update-ref refs/tags/lwblob "$(blob "$TOKEN_LINE")"
  PUSH=(refs/tags/lwblob)
}
case_custom_ref_to_blob() {
  git update-ref refs/custom/data "$(blob "$TOKEN_LINE")"
  PUSH=(refs/custom/data)
}
# The token in the message of a tag, after a NUL.
case_tag_message_nul() {
  local tg
  tg=$(printf 'object %s\ntype commit\ntag nul\ntagger t <t@example.com> 1700000000 +0000\n\nrelease\n\0\ndownload: %s\n' \
         "$(git rev-parse main)" "$INCIDENT_URL" | git hash-object -t tag --literally -w --stdin)
  built "a NUL in the tag message" sh -c "git cat-file tag $tg | tr '\\0' @ | grep -q '^@'"
  git update-ref refs/tags/nul "$tg"
  PUSH=(refs/tags/nul)
  WHERE="(tag message):"
}

# ---- messages ----------------------------------------------------------------
case_commit_message_nul() {
  local c
  c=$(printf 'tree %s\nparent %s\nauthor t <t@example.com> 1700000000 +0000\ncommitter t <t@example.com> 1700000000 +0000\n\nrelease notes\n\0\nsee %s\n' \
        "$(git rev-parse main^{tree})" "$(git rev-parse main)" "$INCIDENT_URL" | git hash-object -t commit --literally -w --stdin)
  built "a NUL in the commit message" sh -c "git cat-file commit $c | tr '\\0' @ | grep -q '^@'"
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:(commit message):"
}

# A message in UTF-16 (an encoding header says so): NUL bytes all along, and
# the token readable in it as in a UTF-16 file.
case_commit_message_utf16() {
  local c
  c=$( { printf 'tree %s\nparent %s\nauthor t <t@example.com> 1700000000 +0000\ncommitter t <t@example.com> 1700000000 +0000\nencoding UTF-16LE\n\n' \
           "$(git rev-parse main^{tree})" "$(git rev-parse main)"
         printf 'see %s\n' "$INCIDENT_URL" | iconv -f UTF-8 -t UTF-16LE; } | git hash-object -t commit --literally -w --stdin)
  built "a UTF-16 commit message" sh -c "git cat-file commit $c | grep -qa '^encoding UTF-16LE' && [ \$(git cat-file commit $c | tr -cd '\\0' | wc -c) -gt 100 ]"
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:(commit message):"
}

# ---- content that only looks skippable ----------------------------------------
LFS_HEAD='version https://git-lfs.github.com/spec/v1'
LFS_OID='oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393'
content_case() {  # content_case NAME LINE-OF-THE-TOKEN COLUMN FORMAT [ARG...]
  local name=$1 line=$2 col=$3 b t c; shift 3
  b=$(rawblob "$@")
  t=$(on_base "100644 $name $b")
  c=$(commit "$t" "add $name")
  built "$name under 1 KiB" sh -c "[ \$(git cat-file -s $b) -lt 1024 ]"
  git update-ref refs/heads/crafted "$c"
  PUSH=(refs/heads/crafted)
  WHERE="${c:0:12}:$name:$line:$col: $FINDING"
}
case_lfs_header_then_token() { content_case model.bin 2 7 '%s\n%s\n' "$LFS_HEAD" "$TOKEN_LINE"; }
case_lfs_bare_prefix() { content_case model.bin 1 47 '%s%s\n' "version https://git-lfs.github.com/spec/" "$TOKEN_LINE"; }
case_lfs_extra_line() { content_case model.bin 4 7 '%s\n%s\nsize 12345\n%s\n' "$LFS_HEAD" "$LFS_OID" "$TOKEN_LINE"; }
case_lfs_token_in_oid() { content_case model.bin 2 12 '%s\noid sha256:%s\nsize 12345\n' "$LFS_HEAD" "$INCIDENT_URL"; }
case_lfs_long_oid() { content_case model.bin 2 76 '%s\n%s%s\nsize 12345\n' "$LFS_HEAD" "$LFS_OID" "$INCIDENT_URL"; }
case_lfs_token_in_size() { content_case model.bin 3 14 '%s\n%s\nsize 1 %s\n' "$LFS_HEAD" "$LFS_OID" "$TOKEN_LINE"; }
# A valid pointer by the spec: skipped, with a note; the push goes through.
case_lfs_valid() {
  content_case model.bin 0 0 '%s\n%s\nsize 12345\n' "$LFS_HEAD" "$LFS_OID"
  OUTCOME=accept NOTE_WANT="skipped" NOTE_WANT2="LFS" HISTORY=clean WHERE=
}
case_nul_first() { content_case blob.dat 2 7 '\0\n%s\n' "$TOKEN_LINE"; }
case_nul_middle() { content_case notes.txt 2 7 'header\0\n%s\n' "$TOKEN_LINE"; }
case_png_header() { content_case logo.png 3 7 '\211PNG\r\n\032\n%s\n' "$TOKEN_LINE"; }

# ---- objects the server stores that no ref reaches -----------------------------
# A client copy of a commit with the token on top of main (the server has main).
hidden_commit() {
  git update-ref refs/heads/hidden "$(token_commit)"
  git rev-parse refs/heads/hidden
}

# A fork network: the server borrows objects from a pool (objects/info/alternates)
# that holds the commit; receive-pack advertises the pool's refs as .have, so the
# client sends no object and git's quarantine stays empty.
pool_prep() {
  local pool=$T/pool-$CASE-$RANDOM.git
  git init -q --bare "$pool"
  git push -q "$pool" "$HIDDEN:refs/heads/pool"
  [ "$POOL_DROP_REF" = 1 ] && git -C "$pool" update-ref -d refs/heads/pool
  echo "$pool/objects" > "$1/objects/info/alternates"
  stored_unreached "$1"
}
# stored_unreached SERVER: the server reads $HIDDEN, and none of its refs reaches it.
stored_unreached() {
  built "the server stores the commit, no ref reaches it" sh -c \
    "git -C '$1' cat-file -e $HIDDEN && [ -z \"\$(git -C '$1' for-each-ref --contains $HIDDEN)\" ]"
}
case_alternates() {
  HIDDEN=$(hidden_commit); POOL_DROP_REF=0
  PREP=pool_prep
  PUSH=("$HIDDEN:refs/heads/x")
  WHERE="${HIDDEN:0:12}:tok.txt:1:7: $FINDING"
}
# The pool no longer has a ref to it: the client sends the commit again, and
# git drops what the repository (through its alternates) already has.
case_alternates_unreachable() { case_alternates; POOL_DROP_REF=1; }

# Objects an earlier allowed push left: pushed past the hook, the branch deleted.
left_prep() {
  hook_off "$1"
  git push -q "$1" "$HIDDEN:refs/heads/tmp" && git push -q "$1" :refs/heads/tmp
  hook_on "$1"
  stored_unreached "$1"
}
case_left_by_push() {
  HIDDEN=$(hidden_commit)
  PREP=left_prep
  PUSH=("$HIDDEN:refs/heads/x")
  WHERE="${HIDDEN:0:12}:tok.txt:1:7: $FINDING"
}
# The same with a new, clean commit on top: the new commit is in the
# quarantine, its parent (the token) is not.
case_left_then_child() {
  HIDDEN=$(hidden_commit)
  local child
  child=$(git commit-tree -p "$HIDDEN" -m child "$HIDDEN^{tree}")
  git update-ref refs/heads/child "$child"
  PREP=left_prep
  PUSH=(refs/heads/child)
  WHERE="${HIDDEN:0:12}:tok.txt:1:7: $FINDING"
}
# Written into the server by other means (git unpack-objects, a backup restore).
unpacked_prep() {
  git pack-objects -q --revs --stdout <<< "$HIDDEN" | git -C "$1" unpack-objects -q
  stored_unreached "$1"
}
case_unpacked_objects() {
  HIDDEN=$(hidden_commit)
  PREP=unpacked_prep
  PUSH=("$HIDDEN:refs/heads/x")
  WHERE="${HIDDEN:0:12}:tok.txt:1:7: $FINDING"
}

# ---- fixed limits: parents ---------------------------------------------------------
# octopus N K: a merge of N side commits on main, side K adding the token.
octopus() {
  local n=$1 k=$2 i b t side name parents=() merged=()
  for i in $(seq 1 "$n"); do
    name=side$(printf %02d "$i").txt
    if [ "$i" = "$k" ]; then b=$(blob "$TOKEN_LINE"); else b=$(blob "side $i"); fi
    side=$(commit "$(on_base "100644 $name $b")" "side $i")
    [ "$i" = "$k" ] && SIDE=$side
    parents+=(-p "$side")
    merged+=("100644 $name $b")
  done
  OCTO=$(git commit-tree "${parents[@]}" -m "octopus of $n" "$(on_base "${merged[@]}")")
  built "$n parents" sh -c "[ \$(git cat-file -p $OCTO | grep -c '^parent ') = $n ]"
  git update-ref refs/heads/octo "$OCTO"
}
case_octopus_20() {
  octopus 20 18
  PUSH=(refs/heads/octo)
  WHERE="${SIDE:0:12}:side18.txt:1:7: $FINDING"
  ONE_FINDING=1  # the merge adds nothing no parent had
}
# The server already has side 18 (legacy, pushed past the hook): the merge adds nothing.
legacy_prep() {
  hook_off "$1"; git push -q "$1" "$SIDE:refs/heads/legacy"; hook_on "$1"
}
case_octopus_20_legacy() {
  octopus 20 18
  PREP=legacy_prep
  PUSH=(refs/heads/octo)
  OUTCOME=accept
  HISTORY=0
}
