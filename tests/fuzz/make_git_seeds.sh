#!/usr/bin/env bash
# tests/fuzz/make_git_seeds.sh - (re)writes the seed corpora of fuzz_index,
# fuzz_pack and fuzz_tree (tests/fuzz/corpus/{index,pack,tree}/) from small
# repositories made here by git itself. The seeds are checked in; run this
# only to change them (git's output differs by version: these came from
# git 2.39). The input formats are in each harness's opening comment.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-seeds.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME=$T GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
  GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE='1700000000 +0000' \
  GIT_COMMITTER_DATE='1700000000 +0000'
git config --global init.defaultBranch main
git config --global protocol.file.allow always
idx=$here/corpus/index pack=$here/corpus/pack tree=$here/corpus/tree
mkdir -p "$idx" "$pack" "$tree"

# index_seed NAME [TREE...]: the repository's index, then each tree's raw
# bytes after the separator fuzz_index splits on (the first is HEAD's).
index_seed() {
  local name=$1 t; shift
  { cat .git/index; for t in "$@"; do printf '\nSGTREE\n'; git cat-file tree "$t"; done; } > "$idx/$name"
}
# every tree of a commit or tree, the root first
trees_of() { git rev-parse "$1^{tree}"; git ls-tree -r -t "$1" | awk '$2 == "tree" { print $3 }'; }

# A small repository: directories whose names differ in length (the
# cache-tree orders them by length first), an executable, a symlink.
R=$T/r
git init -q "$R" && cd "$R"
mkdir -p src/lib docs
printf 'hello\n' > README.md
printf 'int a;\n' > src/a.c
printf 'int b;\n' > src/lib/b.c
printf '# x\n' > docs/x.md
printf '#!/bin/sh\n' > run.sh && chmod +x run.sh
ln -s README.md link
git add . && git commit -qm one

index_seed v2-clean-cache-tree $(trees_of HEAD)
printf 'int b = 2;\n' > src/lib/b.c && printf 'new\n' > docs/new.md
git add . && index_seed v2-staged $(trees_of HEAD)
git write-tree >/dev/null && index_seed v2-staged-cache-tree $(trees_of HEAD)
printf 'later\n' > later.txt && git add -N later.txt
index_seed v3-intent-to-add $(trees_of HEAD)
git update-index --index-version 4 && index_seed v4-staged $(trees_of HEAD)
git rm -q --cached later.txt
git update-index --index-version 2
git -c index.recordEndOfIndexEntries=true -c index.recordOffsetTable=true -c index.threads=2 \
  update-index --untracked-cache --force-write-index 2>/dev/null || true
index_seed v2-extensions $(trees_of HEAD)
git update-index --no-untracked-cache
git commit -qm two
index_seed v2-deleted $(git rm -q --cached docs/x.md && trees_of HEAD)
git reset -q
# a gitlink (submodule) entry
git update-index --add --cacheinfo 160000,"$(git rev-parse HEAD)",sub && index_seed v2-gitlink $(trees_of HEAD)
git rm -q --cached sub
# a conflict: stages 1, 2 and 3 of one path
git checkout -q -b side && printf 'side\n' > README.md && git commit -qam side
git checkout -q main && printf 'main\n' > README.md && git commit -qam main
git merge -q side >/dev/null 2>&1 || true
index_seed v2-conflict $(trees_of HEAD)
git merge --abort
# a split index: the link extension, without its shared index here
git update-index --split-index && index_seed v2-split-index
git update-index --no-split-index
# sparse: directory entries outside the cone, with and without the sdir extension
git sparse-checkout set --cone --sparse-index src 2>/dev/null
printf 'int c;\n' > src/c.c && git add src/c.c
index_seed v3-sparse $(trees_of HEAD) $(trees_of "$(git write-tree)")
python3 - .git/index <<'PY'
import hashlib, sys
d = open(sys.argv[1], "rb").read()[:-20]
i = d.find(b"sdir")  # its length is 0: drop its 8 bytes
d = d[:i] + d[i + 8:] if i > 0 else d
open(sys.argv[1], "wb").write(d + hashlib.sha1(d).digest())
PY
index_seed v3-sparse-no-sdir $(trees_of HEAD) $(trees_of "$(git write-tree)")

# A SHA-256 repository's index (32-byte ids; fuzz_index parses every input
# both ways): a cache-tree, a staged change, a split index.
R2=$T/r256
git init -q --object-format=sha256 "$R2" && cd "$R2"
mkdir -p src/lib && printf 'a\n' > src/a.c && printf 'b\n' > src/lib/b.c && printf 'r\n' > README
git add . && git commit -qm one && printf 'b2\n' > src/lib/b.c && git add .
index_seed v2-sha256-staged
git update-index --split-index && index_seed v2-sha256-split-index


T2=$T/t && git init -q "$T2" && cd "$T2"
for n in a-b a.b a0 'a b' é.txt; do printf '%s\n' "$n" > "$n"; done
mkdir a && echo x > a/x
printf '#!/bin/sh\n' > x.sh && chmod +x x.sh && ln -s a0 l
git add . && git update-index --add --cacheinfo 160000,"$(git -C "$R" rev-parse HEAD)",mod
git commit -qm t
git cat-file tree HEAD > "$tree/modes-and-order"
git cat-file tree HEAD:a > "$tree/one-entry"
: > "$tree/empty"
mkdir many && for i in $(seq 1 60); do echo "$i" > "many/f$i"; done && git add many && git commit -qm many
git cat-file tree HEAD:many > "$tree/sixty-entries"
# old git wrote a tree's mode with a leading zero: not git's form, still a tree
git cat-file tree HEAD | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().replace(b"40000 ", b"040000 "))' > "$tree/leading-zero-mode"

# Packs: ten versions of a file (OFS_DELTA chains), then as REF_DELTA.
P=$T/p && git init -q "$P" && cd "$P"
python3 - <<'PY'
import random
rnd = random.Random(5)
lines = ["line %d %s\n" % (i, "".join(rnd.choice("abcdef") for _ in range(20))) for i in range(40)]
open("base.txt", "w").writelines(lines)
PY
for i in $(seq 1 10); do
  sed -i "$((i * 3))s/.*/changed $i/" base.txt && printf 'v%s\n' "$i" > v.txt
  git add . && git commit -qm "v$i"
done
# raw_seed NAME: 'R', the .idx's length (4 bytes, big-endian), the .idx, the .pack
raw_seed() {
  local i p=$(ls .git/objects/pack/*.pack) x
  x=${p%.pack}.idx
  python3 - "$x" "$p" "$pack/$1" <<'PY'
import struct, sys
i, p = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(b"R" + struct.pack(">I", len(i)) + i + p)
PY
}
git repack -q -a -d -f --depth=10 --window=10 && raw_seed ofs-delta-chain
git -c repack.useDeltaBaseOffset=false repack -q -a -d -f --depth=10 --window=10 && raw_seed ref-delta-chain
git -c pack.compression=0 repack -q -a -d -f --depth=3 --window=10 && raw_seed stored-short-chains
# Some 250 objects: enough that the cache's slots collide.
for i in $(seq 11 90); do
  sed -i "$((i % 40 + 1))s/.*/again $i/" base.txt && git commit -qam "v$i"
done
git repack -q -a -d -f --depth=50 --window=10 && raw_seed many-objects
# Recipes (any input not starting with 'R'; the format is fuzz_pack.c's):
# five objects, each a delta of the one before, OFS_DELTA and REF_DELTA in
# turn, with copies and inserts; and a copy of exactly 64 KiB (size 0 in the
# instruction).
printf '\x04\x05\x06\x00\x03\x30\x0bhello, pack\x02\x00\x02\x01\x00\x00\x00\x05\x00\x08\x03xyz\x01\x10\x00\x00\x0a\x00\x03\x01\x00\x05\x02\x00\x00\x04\x00\x00\x02\x02\x00\x02\x01Q\x03\x03\x00\x01\x00\x00\x00\x00\x00' > "$pack/recipe-ofs-ref-chain"
printf '\x01\x00\x06\x00\x82\x00\x10\x01\x04abcd\x02\x00\x00\x03\x00\x00\x00' > "$pack/recipe-64k-copy"
echo "seeds written: $(ls "$idx" | wc -l) index, $(ls "$pack" | wc -l) pack, $(ls "$tree" | wc -l) tree"
