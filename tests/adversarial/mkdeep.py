"""mkdeep.py DEPTH TEXT: writes to stdout a pack holding one blob (TEXT and a
newline) at d/d/.../d/deep.txt, DEPTH directories deep, and a commit of that
tree; prints "TREE COMMIT" (their ids) on stderr. Feed it to `git index-pack
--stdin`, or to a server with rawpush.py: 30 000 loose objects would cost
seconds of filesystem time."""
import hashlib
import struct
import sys
import zlib

depth, text = int(sys.argv[1]), sys.argv[2].encode() + b"\n"
objs = []


def add(kind, code, body):
    objs.append((code, body))
    return hashlib.sha1(b"%s %d\0" % (kind, len(body)) + body).digest()


def deflate(body):
    # memLevel 1: zlib.compress's default state costs a page-faulting
    # allocation per call (1.9 s for 30 000 tiny objects, 0.06 s this way)
    z = zlib.compressobj(1, zlib.DEFLATED, 15, 1)
    return z.compress(body) + z.flush()


tree = add(b"tree", 2, b"100644 deep.txt\0" + add(b"blob", 3, text))
for _ in range(depth):
    tree = add(b"tree", 2, b"40000 d\0" + tree)
commit = add(b"commit", 1, b"tree %s\nauthor t <t@example.com> 1700000000 +0000\n"
             b"committer t <t@example.com> 1700000000 +0000\n\n%d directories deep\n" % (tree.hex().encode(), depth))
out = bytearray(b"PACK" + struct.pack(">II", 2, len(objs)))
for code, body in objs:
    n = len(body)
    c = (code << 4) | (n & 15)
    n >>= 4
    while n:
        out.append(c | 0x80)
        c = n & 0x7F
        n >>= 7
    out.append(c)
    out += deflate(body)
out += hashlib.sha1(out).digest()
sys.stdout.buffer.write(out)
sys.stderr.write(tree.hex() + " " + commit.hex() + "\n")
