#!/usr/bin/env bash
# test_deep.sh - `sasguard pre-commit` in a repository whose HEAD nests 30 000
# directories deep (a crafted repository a developer pulled): the index, its
# cache-tree and HEAD's trees are read without a stack frame per level.
. "$(dirname "$0")/gitlib.sh"

DEPTH=30000
D=$T/deep
new_repo "$D"
# The hook runs with a 1 MB stack: a walk that recursed per level needed 6 MB
# at this depth (and more under the sanitizers); git gets its usual 8 MB.
printf '#!/bin/sh\nulimit -s 1024\nexec "%s" pre-commit "$@"\n' "$SASGUARD" > "$D/.git/hooks/pre-commit"

# HEAD is README beside d/d/.../d/f.txt. The objects go in one pack written
# here (a second, where a git command per tree takes minutes), and each index
# is written whole with its cache-tree, as git commit would write it first:
# git itself needs minutes for that at this depth (its cache-tree update and
# read-tree are quadratic, and read-tree overflows its stack past 4000 levels).
python3 - "$D" "$DEPTH" "$TOKEN_LINE" <<'PY'
import hashlib, struct, subprocess, sys, zlib
repo, depth, token = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode() + b"\n"
objs = []
def put(kind, body):
    objs.append((kind, body))
    return hashlib.sha1(b"%s %d\0" % (kind, len(body)) + body).digest()
def tree(entries):
    return put(b"tree", b"".join(b"%s %s\0" % (m, n) + i for m, n, i in sorted(entries, key=lambda e: e[1])))
readme, f, changed, tok, clean = (put(b"blob", b) for b in (b"top\n", b"deep file\n", b"changed\n", token, b"clean\n"))
def snapshot(deep, top=()):
    """README and top beside d/d/.../d holding deep: the root tree and the d trees, top down."""
    t = tree([(b"100644", n, i) for n, i in deep])
    dirs = [t]
    for _ in range(depth - 1):
        t = tree([(b"40000", b"d", t)])
        dirs.append(t)
    return tree([(b"100644", n, i) for n, i in ((b"README", readme),) + top] + [(b"40000", b"d", t)]), dirs[::-1]
head, _ = snapshot([(b"f.txt", f)])
commit = put(b"commit", b"tree %s\nauthor t <t@e> 1700000000 +0000\ncommitter t <t@e> 1700000000 +0000\n\n"
             b"deep\n" % head.hex().encode())
def index(name, deep, top=()):
    """The index of a snapshot, version 2, with its whole cache-tree (TREE extension)."""
    root, dirs = snapshot(deep, top)
    ents = sorted([(b"d/" * depth + n, i) for n, i in deep] + [(b"README", readme)] + list(top))
    out = [b"DIRC", struct.pack(">II", 2, len(ents))]
    for path, oid in ents:
        e = bytes(24) + struct.pack(">IIII", 0o100644, 0, 0, 0) + oid + struct.pack(">H", min(len(path), 0xfff)) + path
        out.append(e + bytes(8 - len(e) % 8))
    ext = b"\0%d 1\n" % len(ents) + root + b"".join(
        b"d\0%d %d\n" % (len(deep), k < depth - 1) + t for k, t in enumerate(dirs))
    out.append(b"TREE" + struct.pack(">I", len(ext)) + ext)
    data = b"".join(out)
    return lambda: open("%s/%s" % (repo, name), "wb").write(data + hashlib.sha1(data).digest())
indexes = [index("index-token", [(b"f.txt", changed), (b"token.txt", tok)]),
           index("index-clean", [(b"f.txt", changed), (b"clean.txt", clean)]),
           index("index-top", [(b"f.txt", f)], ((b"top.txt", tok),))]
def stored(b):  # zlib's stored block: no deflate state for each of the objects
    return b"\x78\x01\x01" + struct.pack("<HH", len(b), len(b) ^ 0xffff) + b + struct.pack(">I", zlib.adler32(b))
pack = [b"PACK", struct.pack(">II", 2, len(objs))]
for kind, body in objs:
    n = len(body); h = [({b"commit": 1, b"tree": 2, b"blob": 3}[kind] << 4) | (n & 15)]; n >>= 4
    while n: h[-1] |= 0x80; h.append(n & 0x7f); n >>= 7
    pack += [bytes(h), stored(body)]
data = b"".join(pack)
subprocess.run(["git", "-C", repo, "index-pack", "--stdin"], input=data + hashlib.sha1(data).digest(),
               check=True, stdout=subprocess.DEVNULL)
subprocess.run(["git", "-C", repo, "update-ref", "refs/heads/main", commit.hex()], check=True)
for write in indexes:
    write()
PY
deep=$(python3 -c "print('d/' * $DEPTH, end='')")

# A token staged $DEPTH levels down, beside a changed file: the commit is rejected, naming it.
cp "$D/index-token" "$D/.git/index"
expect_exit 1 git -C "$D" commit -m "a token deep down"
has "$T/err" "${deep}token.txt:1:7: error: account SAS for robustnessws4285631339"
has "$T/err" "commit rejected"
lacks "$T/err" "f.txt"
git -C "$D" rev-parse -q --verify HEAD^ >/dev/null && fail "the commit was made" || pass

# A clean file there passes. sasguard runs alone here: git commit would take
# minutes over its own work at this depth, after the hook.
cp "$D/index-clean" "$D/.git/index"
expect_exit 0 sh -c "cd '$D' && ulimit -s 1024 && exec '$SASGUARD' pre-commit"
[ ! -s "$T/err" ] && pass || fail "a clean deep commit printed: $(head -c 300 "$T/err")"

# A token on top, the deep directory unchanged: its 30 000-level cache-tree is
# read, and says that directory is HEAD's.
cp "$D/index-top" "$D/.git/index"
expect_exit 1 git -C "$D" commit -m "a token on top"
has "$T/err" "top.txt:1:7: error: account SAS for robustnessws4285631339"
lacks "$T/err" "d/d/"

finish
