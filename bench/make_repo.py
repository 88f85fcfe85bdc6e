#!/usr/bin/env python3
"""make_repo.py - builds a benchmark repository with git fast-import: FILES
files of source-like text, COMMITS commits each changing a few of them, and a
handful of tokens somewhere in history.
Layouts: "deep" (default) is shaped like a real project, modules/packages/files
nested three deep with a few dozen entries per directory, each commit changing
1-8 files of one module; "flat" is a worst case for tree churn, 300
directories under one src/ and 10 random directories changed by every commit.
--object-format sha256 builds the same history as a SHA-256 repository.
Usage: make_repo.py DIR [--files N] [--commits N] [--tokens N] [--layout deep|flat] [--seed N]
                        [--object-format sha1|sha256]"""
import argparse, os, random, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--files", type=int, default=30000)
ap.add_argument("--commits", type=int, default=3000)
ap.add_argument("--tokens", type=int, default=5)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--layout", choices=("deep", "flat"), default="deep")
ap.add_argument("--object-format", choices=("sha1", "sha256"), default="sha1")
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

subprocess.run(["git", "init", "-q", "--object-format=" + a.object_format, a.dir], check=True)
fi = subprocess.Popen(["git", "-C", a.dir, "fast-import", "--quiet"], stdin=subprocess.PIPE)
out = fi.stdin
if a.layout == "flat":
    paths = ["src/d%03d/f%05d.py" % (i % 300, i) for i in range(a.files)]
else:
    # 25 modules x 24 packages x the rest as files: ~50 files a directory at 30 000
    paths = ["m%02d/p%02d/f%05d.py" % (i % 25, (i // 25) % 24, i) for i in range(a.files)]
modules = {}
for p in paths:
    modules.setdefault(p.split("/")[0], []).append(p)
mods = sorted(modules)
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
        if a.layout == "flat":
            changed = rnd.sample(paths, 10)
        else:
            pool = modules[rnd.choice(mods)]
            changed = rnd.sample(pool, min(len(pool), rnd.randrange(1, 9)))
        for p in changed:
            out.write(b"M 100644 inline %s\n" % p.encode())
            body = text(rnd.randrange(20, 80))
            if c in token_at:
                body += TOKEN % c
                token_at.discard(c)
            blob(body, out)
    out.write(b"\n")
out.close()
sys.exit(fi.wait())
