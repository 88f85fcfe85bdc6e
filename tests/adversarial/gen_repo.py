"""gen_repo.py SEED [COMMITS]: a git fast-import stream, on stdout, of a
random but reproducible history for the differential tests: several
branches (some started from old, non-tip commits), merges that take content
from both sides (and resolve conflicts with new or old content), annotated
and lightweight tags, renames, copies of old blobs into new paths, deletions
and re-additions of old content, subdirectories, executable files.

    python3 gen_repo.py 7 40 | git fast-import --quiet

Every commit lists its whole tree (deleteall, then one M line per file), so
what the stream says is exactly what each commit holds. Content is clean
text: nothing in it is a token.
"""
import random
import sys

seed = int(sys.argv[1])
ncommits = int(sys.argv[2]) if len(sys.argv) > 2 else 40
rng = random.Random(seed)
out = []
w = out.append

mark = 0
blobs = []  # marks of every blob made, oldest first
pending = {}  # mark -> content of blobs not written yet
when = 1700000000


def new_mark():
    global mark
    mark += 1
    return mark


def new_blob():
    m = new_mark()
    lines = ["seed %d blob %d" % (seed, len(blobs))]
    lines += ["line %d %x" % (i, rng.getrandbits(32)) for i in range(rng.randint(0, 6))]
    # written before the first commit that uses it: an edit undone before
    # its commit leaves no dangling blob
    pending[m] = ("\n".join(lines) + "\n").encode()
    blobs.append(m)
    return m


def new_path(tree):
    for _ in range(100):
        depth = rng.choice([0, 0, 1, 1, 2])
        parts = ["d%d" % rng.randint(0, 3) for _ in range(depth)]
        p = "/".join(parts + ["f%d.txt" % rng.randint(0, 40)])
        # a path may not be both a file and a directory
        clash = any(q == p or q.startswith(p + "/") or p.startswith(q + "/") for q in tree)
        if not clash:
            return p
    return None


# tree: path -> (mode, blob mark)
branches = {}   # name -> (commit mark, tree)
commits = []    # (mark, tree) of every commit, oldest first
deleted = []    # (path, mode, blob) removed at some point
ntags = 0


def emit_commit(ref, parents, tree, msg):
    global when
    when += rng.randint(1, 5000)
    for path in sorted(tree):
        data = pending.pop(tree[path][1], None)
        if data is not None:
            w(b"blob\nmark :%d\ndata %d\n%s\n" % (tree[path][1], len(data), data))
    m = new_mark()
    data = msg.encode()
    w(b"commit %s\nmark :%d\ncommitter t <t@example.com> %d +0000\ndata %d\n%s\n"
      % (ref.encode(), m, when, len(data), data))
    if parents:
        w(b"from :%d\n" % parents[0])
    for p in parents[1:]:
        w(b"merge :%d\n" % p)
    w(b"deleteall\n")
    for path in sorted(tree):
        mode, b = tree[path]
        w(b"M %s :%d %s\n" % (mode.encode(), b, path.encode()))
    w(b"\n")
    commits.append((m, dict(tree)))
    return m


def change(tree):
    """One random edit of tree, in place."""
    ops = ["add", "add", "modify", "modify", "rename", "copy_old", "delete", "readd", "mode"]
    op = rng.choice(ops)
    paths = sorted(tree)
    if op == "add" or not paths:
        p = new_path(tree)
        if p:
            tree[p] = ("100644", new_blob())
    elif op == "modify":
        p = rng.choice(paths)
        tree[p] = (tree[p][0], new_blob())
    elif op == "rename":
        p = rng.choice(paths)
        q = new_path({k: v for k, v in tree.items() if k != p})
        if q:
            tree[q] = tree.pop(p)
    elif op == "copy_old":
        p = new_path(tree)
        if p:
            tree[p] = ("100644", rng.choice(blobs))
    elif op == "delete":
        p = rng.choice(paths)
        deleted.append((p,) + tree.pop(p))
    elif op == "readd" and deleted:
        p, mode, b = rng.choice(deleted)
        if not any(q == p or q.startswith(p + "/") or p.startswith(q + "/") for q in tree):
            tree[p] = (mode, b)
    elif op == "mode":
        p = rng.choice(paths)
        tree[p] = ("100755" if tree[p][0] == "100644" else "100644", tree[p][1])


def merge_trees(a, b):
    """Both sides' content; a conflict resolved with one side, new content or an old blob."""
    t = dict(a)
    for p, v in b.items():
        if any(q != p and (q.startswith(p + "/") or p.startswith(q + "/")) for q in t):
            continue
        if p not in t or t[p] == v:
            t[p] = v
        else:
            pick = rng.randrange(4)
            if pick == 0:
                t[p] = v
            elif pick == 2:
                t[p] = (v[0], new_blob())
            elif pick == 3:
                t[p] = (v[0], rng.choice(blobs))
    if rng.random() < 0.3:  # an evil merge: content no parent had
        p = new_path(t)
        if p:
            t[p] = ("100644", new_blob())
    return t


tree = {}
for _ in range(3):
    p = new_path(tree)
    tree[p] = ("100644", new_blob())
branches["main"] = (emit_commit("refs/heads/main", [], tree, "initial\n"), tree)

for i in range(ncommits):
    r = rng.random()
    if r < 0.15 and len(commits) > 2:
        # a new branch from an old commit, not a tip
        m, t = rng.choice(commits[:-1])
        name = "b%d" % len(branches)
        t = dict(t)
        change(t)
        branches[name] = (emit_commit("refs/heads/" + name, [m], t, "start %s\n" % name), t)
    elif r < 0.35 and len(branches) > 1:
        into, other = rng.sample(sorted(branches), 2)
        (ma, ta), (mb, tb) = branches[into], branches[other]
        if ma == mb:
            continue
        t = merge_trees(ta, tb)
        branches[into] = (emit_commit("refs/heads/" + into, [ma, mb], t, "merge %s into %s\n" % (other, into)), t)
    else:
        name = rng.choice(sorted(branches))
        m, t = branches[name]
        t = dict(t)
        for _ in range(rng.randint(1, 3)):
            change(t)
        branches[name] = (emit_commit("refs/heads/" + name, [m], t, "commit %d on %s\n" % (i, name)), t)
    if rng.random() < 0.15:
        m = rng.choice(commits)[0]
        ntags += 1
        if rng.random() < 0.5:
            msg = b"release %d\n" % ntags
            w(b"tag v%d\nfrom :%d\ntagger t <t@example.com> %d +0000\ndata %d\n%s\n"
              % (ntags, m, when, len(msg), msg))
        else:
            w(b"reset refs/tags/light%d\nfrom :%d\n\n" % (ntags, m))

# main ends with a merge of another branch, when there is one
others = [b for b in sorted(branches) if b != "main" and branches[b][0] != branches["main"][0]]
if others:
    o = rng.choice(others)
    (ma, ta), (mb, tb) = branches["main"], branches[o]
    t = merge_trees(ta, tb)
    branches["main"] = (emit_commit("refs/heads/main", [ma, mb], t, "merge %s into main\n" % o), t)

sys.stdout.buffer.write(b"".join(x if isinstance(x, bytes) else x.encode() for x in out))
