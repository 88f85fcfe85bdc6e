#!/usr/bin/env bash
# bench/run.sh - sasguard against git itself, side by side, in one run.
#
#   bench/run.sh [--quick] [REPO]
#
# Builds its own inputs in a temporary directory (a generated repository of
# 30 000 files and 3 000 commits with a few tokens; a 60 000-file repository;
# a server repository with 100 000 refs), or takes REPO for the history
# comparison. Needs hyperfine and GNU time (/usr/bin/time); uses $SASGUARD, or
# the build in build/ (building it if needed). --quick: smaller inputs.
# Prints, for each target of DESIGN.md section 7, both times, the ratio and
# peak memory (RSS).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
repo=
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) repo=$a ;;
  esac
done
for tool in hyperfine git python3 cc; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed (apt-get install hyperfine)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
if [ -z "${SASGUARD:-}" ]; then
  cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$here/build" -j "$(nproc)" >/dev/null
  SASGUARD=$here/build/sasguard
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$W/home SASGUARD_SYSTEM_CONFIG=$W/none.ini
mkdir -p "$HOME"
printf '[server]\nmax_seconds = 3600\n' > "$W/none.ini"   # the benchmarks measure, never time out
git config --global user.name bench; git config --global user.email bench@example.com
git config --global init.defaultBranch main

files=30000 commits=3000 big=60000 pushes="1 100 10000 100000" refs=100000 mb=1024
if [ "$quick" = 1 ]; then files=5000 commits=500 big=50000 pushes="1 100 1000" refs=100000 mb=256; fi

mean() { python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['results'][${2:-0}]['mean'])" "$1"; }
# Peak memory, "anon+file" in MB: what the program allocates, and mapped files
# (pack files: page cache the kernel can drop). bench/peakmem.py samples both.
rss() { python3 "$here/bench/peakmem.py" "$@" | awk '{printf "%.0f+%.0f", $1/1024, $2/1024}'; }
row() { # label ours theirs ours_rss theirs_rss (theirs "-": nothing to compare with)
  python3 -c "
import sys; l, a, b, ra, rb = sys.argv[1:6]; a = float(a)
if b == '-':
    print('%-38s %9.1f ms %12s %8s %12s' % (l, a * 1e3, '-', '-', ra))
else:
    b = float(b); print('%-38s %9.1f ms %9.1f ms %7.2fx %12s %12s' % (l, a * 1e3, b * 1e3, a / b, ra, rb))" "$@"
}
# expect CODE CMD...: the command must exit CODE, or its timing means nothing.
expect() {
  local want=$1; shift
  "$@" >/dev/null 2>"$W/err"; local got=$?
  [ "$got" = "$want" ] || { echo "bench: '$*' exited $got, want $want:" >&2; cat "$W/err" >&2; exit 3; }
}
hf() { hyperfine -N -i "$@" 2>/dev/null >/dev/null; }

echo "sasguard: $("$SASGUARD" --version | head -1); $(git --version); $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-38s %12s %12s %8s %12s %12s\n' "" "sasguard" "git" "ratio" "MB sasguard" "MB git"
printf '%-38s %12s %12s %8s %12s %12s\n' "" "" "" "" "(anon+file)" "(anon+file)"

# ---- --all-history vs git cat-file --batch-all-objects --batch --unordered ----
# Generated histories: the deep layout (a real project's shape) with 5 tokens
# (findings to attribute) and without; the flat layout with tokens is the
# worst case (every commit rewrites a 300-entry tree).
make_history() { # DIR LAYOUT TOKENS COMMITS
  python3 "$here/bench/make_repo.py" "$1" --layout "$2" --tokens "$3" --files "$files" --commits "$4" >/dev/null
  git -C "$1" repack -q -a -d -f
}
repos=()
if [ -z "$repo" ]; then
  make_history "$W/deep-tokens" deep 5 "$commits"
  make_history "$W/deep-clean" deep 0 "$commits"
  make_history "$W/flat-tokens" flat 5 "$commits"
  repos=("$W/deep-tokens" "$W/deep-clean" "$W/flat-tokens")
else
  repos=("$repo")
fi
for r in "${repos[@]}"; do
  set +e; "$SASGUARD" --all-history --quiet "$r" >/dev/null 2>"$W/err"; st=$?; set -e
  [ "$st" -le 1 ] || { echo "bench: --all-history $r exited $st" >&2; cat "$W/err" >&2; exit 3; }
  hf --warmup 1 --runs 5 --export-json "$W/h.json" \
    "$SASGUARD --all-history --quiet $r" "git -C $r cat-file --batch-all-objects --batch --unordered"
  label="--all-history ($(basename "$r"))"
  row "$label" "$(mean "$W/h.json" 0)" "$(mean "$W/h.json" 1)" \
    "$(rss "$SASGUARD" --all-history --quiet "$r")" "$(rss git -C "$r" cat-file --batch-all-objects --batch --unordered)"
done

# ---- --all-history of SHA-256 twins vs the same git cat-file -----------------
# The deep histories again as SHA-256 repositories, which libgit2 1.5.1 cannot
# open: hook/odb reads their packs (32-byte ids) on the threads as for SHA-1
# (hook/plumb_stream.c), and beside it one `git log --raw`, read as it prints,
# checks that the blobs the refs reach are there and ties the flagged ones to
# their commits (hook/plumb_history.c). CPU time (user+sys, children
# included) as well: the machine may be shared.
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.2f", $1 + $2}'; }
if [ -z "$repo" ]; then
  for t in 5 0; do
    r=$W/deep-$([ "$t" = 0 ] && echo clean || echo tokens)-sha256
    python3 "$here/bench/make_repo.py" "$r" --layout deep --tokens "$t" --files "$files" --commits "$commits" \
      --object-format sha256 >/dev/null
    git -C "$r" repack -q -a -d -f
    set +e; "$SASGUARD" --all-history --quiet "$r" >/dev/null 2>"$W/err"; st=$?; set -e
    [ "$st" = "$([ "$t" = 0 ] && echo 0 || echo 1)" ] ||
      { echo "bench: --all-history $r exited $st" >&2; cat "$W/err" >&2; exit 3; }
    hf --warmup 1 --runs 5 --export-json "$W/h.json" \
      "$SASGUARD --all-history --quiet $r" "git -C $r cat-file --batch-all-objects --batch --unordered"
    row "--all-history ($(basename "$r"))" "$(mean "$W/h.json" 0)" "$(mean "$W/h.json" 1)" \
      "$(rss "$SASGUARD" --all-history --quiet "$r")" "$(rss git -C "$r" cat-file --batch-all-objects --batch --unordered)"
    printf '%-38s %9s s  %9s s\n' "  CPU user+sys ($(basename "$r"))" \
      "$(cpu "$SASGUARD" --all-history --quiet "$r")" "$(cpu git -C "$r" cat-file --batch-all-objects --batch --unordered)"
    rm -rf "$r"
  done
fi

# ---- pre-receive of a whole history vs --all-history of the same content ----
# A first push (a migration, a mirror): the history's pack in the quarantine
# of an empty bare repository, the hook run as receive-pack runs it.
push_whole() { # REPO: the hook's command line for a first push of REPO's main
  local r=$1 s=$W/first-$(basename "$1").git q
  rm -rf "$s"; git init -q --bare "$s"
  q=$s/objects/tmp_objdir-incoming-first; mkdir -p "$q/pack"
  cp "$r"/.git/objects/pack/pack-*.pack "$r"/.git/objects/pack/pack-*.idx "$q/pack/"
  printf '%s %s refs/heads/main\n' 0000000000000000000000000000000000000000 "$(git -C "$r" rev-parse main)" > "$s.stdin"
  echo "cd $s && GIT_DIR=. GIT_QUARANTINE_PATH=$q GIT_OBJECT_DIRECTORY=$q GIT_ALTERNATE_OBJECT_DIRECTORIES=$s/objects $SASGUARD pre-receive < $s.stdin"
}
for r in "${repos[@]}"; do
  run=$(push_whole "$r")
  hf --warmup 1 --runs 5 --export-json "$W/w.json" "sh -c '$run'" "$SASGUARD --all-history --quiet $r"
  row "first push vs --all-history ($(basename "$r"))" "$(mean "$W/w.json" 0)" "$(mean "$W/w.json" 1)" \
    "$(rss sh -c "$run")" "$(rss "$SASGUARD" --all-history --quiet "$r")"
done

# ---- an audit of a server, then again with --state ---------------------------
# 20 bare repositories (copies of the generated histories); the second audit of
# the unchanged server reads its state, not the repositories.
if [ -z "$repo" ]; then
  A=$W/server-audit
  for i in $(seq 1 20); do
    git clone -q --bare "${repos[$((i % ${#repos[@]}))]}" "$A/team$((i % 4))/repo$i.git"
  done
  hf --runs 3 --prepare "rm -f $W/audit.state" --export-json "$W/a1.json" \
    "$SASGUARD --all-history --quiet --state $W/audit.state $A"
  "$SASGUARD" --all-history --quiet --state "$W/audit.state" "$A" >/dev/null 2>&1 || true
  hf --warmup 1 --runs 5 --export-json "$W/a2.json" "$SASGUARD --all-history --quiet --state $W/audit.state $A"
  row "audit of 20 repositories, again (--state)" "$(mean "$W/a2.json")" "$(mean "$W/a1.json")" \
    "$(rss "$SASGUARD" --all-history --quiet --state "$W/audit.state" "$A")" "(first audit)"
  rm -rf "$A"
fi

# Peak memory as history grows (3 tokens each, so attribution runs too).
if [ "$quick" = 0 ] && [ -z "$repo" ]; then
  for c in 1000 3000 9000; do
    make_history "$W/grow$c" deep 3 "$c"
    printf '%-38s %12s %12s %8s %12s %12s\n' "--all-history memory, $c commits" "" "" "" \
      "$(rss "$SASGUARD" --all-history --quiet "$W/grow$c")" \
      "$(rss git -C "$W/grow$c" cat-file --batch-all-objects --batch --unordered)"
    rm -rf "$W/grow$c"
  done
fi

# ---- pre-commit vs git diff --cached --quiet, one staged line, big index ----
# SHA-1 and SHA-256 (libgit2 1.5.1 cannot open it: our index reader takes
# 32-byte ids, git rev-parse and cat-file start before libgit2 loads), the
# same 60 000 files.
for fmt in sha1 sha256; do
P=$W/precommit-$fmt
git init -q --object-format=$fmt "$P"
python3 - "$big" <<'PY' | git -C "$P" fast-import --quiet
import sys
n = int(sys.argv[1]); w = sys.stdout.write
w("blob\nmark :1\ndata 6\nhello\n")
w("commit refs/heads/main\ncommitter b <b@example.com> 1700000000 +0000\ndata 2\nb\n")
for i in range(n):
    w("M 100644 :1 d%03d/e%02d/f%06d.txt\n" % (i % 300, i % 20, i))
w("\n")
PY
git -C "$P" reset -q --hard main
git -C "$P" commit -q --allow-empty -m "cache-tree"   # as after any commit: the index has its cache-tree
echo "one more line" >> "$P/d123/e03/f000123.txt"
git -C "$P" add d123/e03/f000123.txt
(cd "$P" && expect 0 "$SASGUARD" pre-commit)
hf --warmup 5 --runs 40 --export-json "$W/p.json" \
  "sh -c 'cd $P && exec $SASGUARD pre-commit'" "sh -c 'cd $P && exec git diff --cached --quiet'"
row "pre-commit ($big files, $fmt)" "$(mean "$W/p.json" 0)" "$(mean "$W/p.json" 1)" \
  "$(cd "$P" && rss "$SASGUARD" pre-commit)" "$(cd "$P" && rss git diff --cached --quiet)"
done

# ---- pre-receive, a first push: SHA-256 (git's plumbing) vs SHA-1 -------------
# The same history (deep-tokens: 5 findings to attribute) converted to SHA-256
# by fast-export | fast-import; the hook as receive-pack runs it, the pack in
# the quarantine. "git" here is the SHA-1 push: the ratio is the plumbing's cost.
if [ -z "$repo" ]; then
  R2=$W/deep-tokens-sha256
  git init -q --object-format=sha256 "$R2"
  git -C "$W/deep-tokens" fast-export --all --signed-tags=strip | git -C "$R2" fast-import --quiet
  git -C "$R2" repack -q -a -d -f
  s2=$W/first-sha256.git q2=$W/first-sha256.git/objects/tmp_objdir-incoming-first
  git init -q --bare --object-format=sha256 "$s2"; mkdir -p "$q2/pack"
  cp "$R2"/.git/objects/pack/pack-*.pack "$R2"/.git/objects/pack/pack-*.idx "$R2"/.git/objects/pack/pack-*.rev "$q2/pack/" 2>/dev/null || true
  printf '%064d %s refs/heads/main\n' 0 "$(git -C "$R2" rev-parse main)" > "$s2.stdin"
  run256="cd $s2 && GIT_DIR=. GIT_QUARANTINE_PATH=$q2 GIT_OBJECT_DIRECTORY=$q2 GIT_ALTERNATE_OBJECT_DIRECTORIES=$s2/objects $SASGUARD pre-receive < $s2.stdin"
  run1=$(push_whole "$W/deep-tokens")
  set +e; sh -c "$run256" >/dev/null 2>"$W/err"; st=$?; set -e   # the 5 tokens: exit 1
  [ "$st" = 1 ] || { echo "bench: the SHA-256 first push exited $st" >&2; cat "$W/err" >&2; exit 3; }
  hf --warmup 1 --runs 5 --export-json "$W/s2.json" "sh -c '$run256'" "sh -c '$run1'"
  row "first push (deep-tokens), sha256/sha1" "$(mean "$W/s2.json" 0)" "$(mean "$W/s2.json" 1)" \
    "$(rss sh -c "$run256")" "$(rss sh -c "$run1")"
  rm -rf "$R2" "$s2"
fi

# ---- pre-receive of N commits into a repository with 100 000 refs ----------
# The hook alone, as receive-pack runs it: the pushed objects in a quarantine
# directory, GIT_QUARANTINE_PATH set, "<old> <new> <ref>" on stdin.
S=$W/server.git C=$W/client
git init -q --bare "$S"
git init -q "$C"
echo base > "$C/base.txt"; git -C "$C" add base.txt; git -C "$C" commit -qm base
git -C "$C" push -q "$S" main
base=$(git -C "$C" rev-parse main)
python3 -c "
import sys
with open(sys.argv[1] + '/packed-refs', 'w') as f:
    f.write('# pack-refs with: peeled fully-peeled sorted \n')
    for i in range($refs): f.write('%s refs/tags/t%06d\n' % (sys.argv[2], i))" "$S" "$base"
for n in $pushes; do
  python3 - "$base" "$n" <<'PY' | git -C "$C" fast-import --quiet --force
import sys
parent, n = sys.argv[1], int(sys.argv[2]); w = sys.stdout.write
for i in range(n):
    w("commit refs/heads/push%d\ncommitter b <b@example.com> %d +0000\ndata 2\nc\n" % (n, 1700000000 + i))
    if i == 0: w("from %s\n" % parent)
    body = "line %d of a change\n" % i
    w("M 100644 inline f%04d.txt\ndata %d\n%s\n" % (i % 500, len(body), body))
PY
  q=$S/objects/tmp_objdir-incoming-bench$n
  mkdir -p "$q/pack"
  git -C "$C" rev-list --objects "push$n" "^$base" | git -C "$C" pack-objects -q "$q/pack/pack" >/dev/null
  new=$(git -C "$C" rev-parse "push$n")
  printf '%s %s refs/heads/main\n' "$base" "$new" > "$W/stdin$n"
  run="cd $S && GIT_DIR=. GIT_QUARANTINE_PATH=$q GIT_OBJECT_DIRECTORY=$q GIT_ALTERNATE_OBJECT_DIRECTORIES=$S/objects $SASGUARD pre-receive < $W/stdin$n"
  expect 0 sh -c "$run"
  hf --warmup 2 --runs 10 --export-json "$W/r.json" "sh -c '$run'"
  row "pre-receive $n commits ($refs refs)" "$(mean "$W/r.json")" - "$(rss sh -c "$run")" -
done

# ---- library scan throughput -------------------------------------------------
cc -O2 -D_GNU_SOURCE -I"$here/lib" "$here/bench/scan_rate.c" "$here/build/libsasguard.a" \
  $(pkg-config --libs libpcre2-8 inih libcrypto) -o "$W/scan_rate"
"$W/scan_rate" "$mb"
