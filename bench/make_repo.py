#!/usr/bin/env python3
"""make_repo.py - builds a benchmark repository with git fast-import: FILES
files of source-like text in a few hundred directories, COMMITS commits each
changing a few of them, and a handful of tokens somewhere in history.
Usage: make_repo.py DIR [--files N] [--commits N] [--tokens N] [--seed N]"""
import argparse, os, random, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--files", type=int, default=30000)
ap.add_argument("--commits", type=int, default=3000)
ap.add_argument("--tokens", type=int, default=5)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
rnd = random.Random(a.seed)

WORDS = ("account storage container blob value weight total index count signal design config "
         "timeout retry backoff request response handler buffer stream offset length").split()
TOKEN = ("url = https://bench%d.blob.core.windows.net/c/b?sv=2021-06-08&sr=b&sp=rw&se=2030-01-01"
         "&spr=https&sig=ypeBEsobvcr6wjGzmiPcTaeG7%%2FgUfE5yuYB3ha%%2FuSLs%%3D\n")

def text(n_lines):
    out = []
    for _ in range(n_lines):
        w = rnd.sample(WORDS, 4)
        out.append("    %s = %s(%s, %d) # %s=%d%%\n" % (w[0], w[1], w[2], rnd.randrange(1000), w[3], rnd.randrange(100)))
    return "".join(out)

def blob(data, out):
    b = data.encode()
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")

subprocess.run(["git", "init", "-q", a.dir], check=True)
fi = subprocess.Popen(["git", "-C", a.dir, "fast-import", "--quiet"], stdin=subprocess.PIPE)
out = fi.stdin
paths = ["src/d%03d/f%05d.py" % (i % 300, i) for i in range(a.files)]
token_at = set(rnd.sample(range(1, a.commits), min(a.tokens, max(a.commits - 1, 0))))
t = 1600000000
for c in range(a.commits):
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer Bench <bench@example.com> %d +0000\n" % (t + c * 60))
    msg = b"commit %d\n" % c
    out.write(b"data %d\n%s" % (len(msg), msg))
    if c == 0:
        for p in paths:
            out.write(b"M 100644 inline %s\n" % p.encode())
            blob(text(rnd.randrange(20, 80)), out)
    else:
        for p in rnd.sample(paths, 10):
            out.write(b"M 100644 inline %s\n" % p.encode())
            body = text(rnd.randrange(20, 80))
            if c in token_at:
                body += TOKEN % c
                token_at.discard(c)
            blob(body, out)
    out.write(b"\n")
out.close()
sys.exit(fi.wait())
