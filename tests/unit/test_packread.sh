#!/usr/bin/env bash
# test_packread.sh - drives test_packread over packs built to be hard: delta
# chains as deep as git writes them (OFS_DELTA), the same as REF_DELTA, a
# cache so small it evicts all the time, and a damaged pack.
set -eu
bin=${1:?test_packread binary}; src=${2:?source dir}
T=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-packread.XXXXXX"); trap 'rm -rf "$T"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$T
python3 "$src/bench/make_repo.py" "$T/r" --files 300 --commits 400 --tokens 2 >/dev/null
git -C "$T/r" repack -q -a -d -f --depth=4095 --window=50
"$bin" "$T/r" $((64 << 20))
"$bin" "$T/r" 4096
git clone -q --bare "$T/r" "$T/ref"
git -C "$T/ref" -c repack.useDeltaBaseOffset=false repack -q -a -d -f --depth=100
"$bin" "$T/ref" $((1 << 20))
# damaged: bytes flipped across the pack; reads fail cleanly or match libgit2
p=$(ls "$T/r/.git/objects/pack/"*.pack)
chmod u+w "$p"
python3 - "$p" <<'PY'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read()); rnd = random.Random(3)
for _ in range(200):
    i = rnd.randrange(12, len(b) - 20); b[i] ^= 1 << rnd.randrange(8)
open(sys.argv[1], "wb").write(b)
PY
"$bin" "$T/r" $((1 << 20)) --damaged
