#!/usr/bin/env python3
"""gen_stage.py REPO SEED ROUND [TOKEN_LINE]: one seeded round of staging in
REPO's index, for the pre-commit differential (test_differential.sh). Only
the index changes (and the work tree's files an intent-to-add names):

  files modified, appended to (a token they held stays), added (at new
  depths), removed; modes changed alone;
  symlinks; gitlinks; a file replaced by a directory and a directory by a
  file; intent-to-add entries;

then the index's own shape: version 2, 3 or 4, split or not, its cache-tree
refreshed (git write-tree) or left as the changes invalidated it, and now
and then a commit. Every new blob's content is new (no pure renames), and
with TOKEN_LINE some hold a token, so a report has findings to compare."""
import os
import random
import subprocess
import sys

repo, seed, rnd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
token = sys.argv[4] if len(sys.argv) > 4 else None
r = random.Random(seed * 1000 + rnd)


def git(*args, data=None):
    return subprocess.run(["git", "-C", repo, *args], input=data, capture_output=True, check=True,
                          text=True).stdout


def blob(text):
    return git("hash-object", "-w", "--stdin", data=text).strip()


def content(tag):
    lines = ["round %d %s %d" % (rnd, tag, r.randrange(1 << 30))]
    if token and r.random() < 0.25:
        lines.append(token)
    return "\n".join(lines) + "\n"


entries = {}  # path -> mode, for stage-0 entries
for rec in git("ls-files", "-s", "-z").split("\0"):
    if rec:
        meta, path = rec.split("\t", 1)
        mode, _id, stage = meta.split()
        if stage == "0":
            entries[path] = mode
files = sorted(p for p, m in entries.items() if m in ("100644", "100755"))
dirs = sorted({p.rsplit("/", 1)[0] for p in entries if "/" in p})
idlen = len(git("rev-parse", "HEAD").strip())
# the files whose staged content holds the token
grep = subprocess.run(["git", "-C", repo, "grep", "-l", "-F", "--cached", "-e", token or "-"], capture_output=True,
                      text=True)  # exit 1: none
tokened = sorted(set(grep.stdout.split("\n")) & set(files)) if token else []
zero = "0" * idlen
info = []  # --index-info lines: "mode id\tpath", mode 0 removes


def new_path():
    base = r.choice(dirs) + "/" if dirs and r.random() < 0.7 else ""
    for _ in range(r.randrange(0, 3)):
        base += "n%d/" % r.randrange(6)
    return base + "f%d-%d.txt" % (rnd, r.randrange(1 << 20))


for _ in range(r.randrange(2, 12)):
    op = r.choice(["modify", "append", "append", "add", "add", "remove", "chmod", "symlink", "gitlink", "file2dir",
                   "dir2file", "ita"])
    if op == "modify" and files:
        p = r.choice(files)
        info.append("%s %s\t%s" % (entries[p], blob(content("m")), p))
    elif op == "append" and files:
        # what the file held stays: a token it had is not new
        p = r.choice(tokened if tokened and r.random() < 0.5 else files)
        old = git("cat-file", "blob", ":" + p) if entries[p] != "120000" else ""
        info.append("%s %s\t%s" % (entries[p], blob(old + content("p")), p))
    elif op == "add":
        info.append("100644 %s\t%s" % (blob(content("a")), new_path()))
    elif op == "remove" and files:
        info.append("0 %s\t%s" % (zero, r.choice(files)))
    elif op == "chmod" and files:
        p = r.choice(files)
        oid = git("rev-parse", ":" + p).strip()
        info.append("%s %s\t%s" % ("100755" if entries[p] == "100644" else "100644", oid, p))
    elif op == "symlink" and files:
        info.append("120000 %s\t%s" % (blob("target-%d-%d" % (rnd, r.randrange(1 << 20))), r.choice(files)))
    elif op == "gitlink":
        info.append("160000 %s\t%s" % ("%0*x" % (idlen, r.randrange(1 << 62) + 1), new_path()[:-4]))
    elif op == "file2dir" and files:
        p = r.choice(files)
        info.append("0 %s\t%s" % (zero, p))
        info.append("100644 %s\t%s/child.txt" % (blob(content("c")), p))
    elif op == "dir2file" and dirs:
        d = r.choice(dirs)
        info += ["0 %s\t%s" % (zero, p) for p in entries if p.startswith(d + "/")]
        info.append("100644 %s\t%s" % (blob(content("d")), d))
    elif op == "ita":
        p = "ita-%d-%d.txt" % (rnd, r.randrange(1 << 20))
        with open(os.path.join(repo, p), "w") as f:
            f.write(content("i"))
        git("add", "-N", p)
if info:
    git("update-index", "--replace", "--index-info", data="\n".join(info) + "\n")
if r.random() < 0.5:
    git("write-tree")  # the cache-tree whole again
git("update-index", "--index-version", str(r.choice([2, 3, 4])))
git("update-index", "--split-index" if r.random() < 0.4 else "--no-split-index")
if r.random() < 0.2:
    git("commit", "-q", "--no-verify", "-m", "round %d" % rnd)
