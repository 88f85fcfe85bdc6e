"""rawpush.py GIT_DIR OLD NEW REF PACK: one push, spoken to `git receive-pack`
directly (protocol v0, report-status, no side-band): the ref update, then
the pack file as it is. The server runs its hooks as for any push; their
stderr comes through on ours. Prints receive-pack's report (`unpack ok`,
`ok REF` or `ng REF <why>`); exits 0 when the ref was updated, 1 when not.

git push builds its pack by walking the trees with their path names, which
costs it O(depth^2): 24 s for a tree 30 000 deep. The server's side does not
care how a pack was made."""
import subprocess
import sys

gitdir, old, new, ref, packfile = sys.argv[1:6]


def read_pkt(f):
    n = f.read(4)
    if len(n) < 4:
        return None
    n = int(n, 16)
    return b"" if n == 0 else f.read(n - 4)


def pkt(data):
    return b"%04x" % (len(data) + 4) + data


p = subprocess.Popen(["git", "receive-pack", gitdir], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
while read_pkt(p.stdout):  # the advertisement, up to its flush
    pass
p.stdin.write(pkt(b"%s %s %s\0report-status\n" % (old.encode(), new.encode(), ref.encode())) + b"0000")
with open(packfile, "rb") as f:
    p.stdin.write(f.read())
p.stdin.close()
ok = False
while True:
    line = read_pkt(p.stdout)
    if not line:
        break
    line = line.decode(errors="replace").rstrip("\n")
    print(line)
    ok = ok or line == "ok " + ref
p.wait()
sys.exit(0 if ok else 1)
