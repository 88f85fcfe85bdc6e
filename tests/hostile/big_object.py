"""big_object.py - writes a loose git blob of SIZE zero bytes followed by TAIL
into REPO's object store and prints its id, without git hashing 2 GB through
its (slow, collision-detecting) SHA-1. Usage: big_object.py REPO SIZE TAIL"""
import hashlib, os, sys, zlib

repo, size, tail = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
header = b"blob %d\0" % (size + len(tail))
sha, z = hashlib.sha1(header), zlib.compressobj(1)
chunk = bytes(64 << 20)
tmp = os.path.join(repo, ".git", "objects", "tmp_big")
with open(tmp, "wb") as out:
    out.write(z.compress(header))
    left = size
    while left:
        piece = chunk if left >= len(chunk) else bytes(left)
        sha.update(piece)
        out.write(z.compress(piece))
        left -= len(piece)
    sha.update(tail)
    out.write(z.compress(tail))
    out.write(z.flush())
oid = sha.hexdigest()
d = os.path.join(repo, ".git", "objects", oid[:2])
os.makedirs(d, exist_ok=True)
os.replace(tmp, os.path.join(d, oid[2:]))
print(oid)
