#!/usr/bin/env bash
# test_history.sh - `sasguard --all-history` over real repositories: every
# reachable blob once, each finding tied to the oldest commit and path that
# introduced it, and whether its token is live now.
. "$(dirname "$0")/gitlib.sh"

R=$T/repo
git init -q "$R"
cd "$R"
echo base > a.txt; git add a.txt; git commit -qm base
# A side branch: the token five commits back from its tip, then renamed, then deleted.
git checkout -q -b side
printf 'notes\n%s\n' "$TOKEN_LINE" > notes.md; git add notes.md; git commit -qm "side: notes with token"
origin=$(git rev-parse HEAD)
for i in 1 2; do echo $i >> a.txt; git commit -qam "side $i"; done
git mv notes.md docs-notes.md; git commit -qm "side: rename"
git rm -q docs-notes.md; git commit -qm "side: remove"
[ "$(git rev-list --count "$origin"..side)" = 4 ] && pass || fail "setup: the token commit is not five back"
git checkout -q main
echo main >> a.txt; git commit -qam "main moves"
# An expired token on main, and a key in a commit message.
printf '%s\n' "$EXPIRED_LINE" > old.txt; git add old.txt; git commit -qm "expired link"
git commit -q --allow-empty -m "rotate: $KEY_LINE"
keymsg=$(git rev-parse HEAD)

expect_exit 1 "$SASGUARD" --all-history "$R"
has "$T/out" "${origin:0:12}:notes.md:2:7: error: account SAS for robustnessws4285631339"
has "$T/out" "live now, revoke it: Rotate the account key"
has "$T/out" "az storage account keys renew --account-name robustnessws4285631339"
has "$T/out" "old.txt:1:7: info: account SAS for old"
has "$T/out" "expired 2021-10-05T15:06:23Z"
has "$T/out" "${keymsg:0:12}:(commit message):"
lacks "$T/out" "docs-notes.md"   # a rename adds nothing: one finding, at its origin
no_secrets "$T/out"

# The same blob introduced twice, far apart: the oldest sighting is the
# origin however the walk is split between threads (each walks its own range
# of commits; their sightings are merged after).
O=$T/twice; git init -q "$O"
for i in $(seq 1 12); do
  case $i in
    2) printf '%s\n' "$TOKEN_LINE" > "$O/first.md"; git -C "$O" add first.md ;;
    5) git -C "$O" rm -q first.md ;;
    10) printf '%s\n' "$TOKEN_LINE" > "$O/again.md"; git -C "$O" add again.md ;;
  esac
  echo "$i" > "$O/n.txt"; git -C "$O" add n.txt; git -C "$O" commit -qm "c$i"
  [ "$i" = 2 ] && first=$(git -C "$O" rev-parse HEAD)
done
# Reported where no allowance covers it, and where one covers every place
# (each origin is merged on its own).
printf '[allow]\npath = *.md\n' > "$T/allow-md.ini"
for threads in 1 2 3 4; do
  expect_exit 1 "$SASGUARD" --all-history --threads "$threads" "$O"
  has "$T/out" "${first:0:12}:first.md:1:"
  lacks "$T/out" "again.md"
  expect_exit 0 "$SASGUARD" --all-history --threads "$threads" --show-allowed --config "$T/allow-md.ini" "$O"
  has "$T/out" "${first:0:12}:first.md:1:7: error: account SAS for robustnessws4285631339 (allowed: path)"
  lacks "$T/out" "again.md"
done

# max_file_size is inclusive, at the byte: blobs of 1023 and 1024 bytes are
# scanned under 1K, one of 1025 (and one of 2000, under twice the limit) is skipped.
mkdir -p "$T/sizes"; git init -q "$T/sizes"
for size in 1023 1024 1025 2000; do
  python3 - "$T/sizes/size$size.txt" "$TOKEN_LINE" "$size" <<'PY'
import sys
line, size = sys.argv[2], int(sys.argv[3])
open(sys.argv[1], "w").write("a" * (size - len(line) - 2) + "\n" + line + "\n")
PY
done
git -C "$T/sizes" add . && git -C "$T/sizes" commit -qm sizes
printf '[policy]\nmax_file_size = 1K\n' > "$T/small.ini"
expect_exit 1 "$SASGUARD" --all-history --config "$T/small.ini" "$T/sizes"
has "$T/out" "size1023.txt:2:"
has "$T/out" "size1024.txt:2:"
lacks "$T/out" "size1025.txt:2:"
lacks "$T/out" "size2000.txt:2:"
cat "$T/err" >> "$T/out"; has "$T/out" "0 binary, 2 too large"

# A progress line on a terminal (stderr, redrawn with \r), none otherwise.
lacks "$T/err" "objects read"
script -qec "'$SASGUARD' --all-history '$R'" /dev/null > "$T/tty.out"
has "$T/tty.out" $'\rsasguard: '
has "$T/tty.out" "objects read"

# JSON: the oldest commit, the path, live or not.
expect_exit 1 "$SASGUARD" --all-history --format json "$R"
python3 - "$T/out" "$origin" "$keymsg" <<'PY' && pass || fail "history JSON"
import json, sys
d = json.load(open(sys.argv[1]))
by = {(f["path"]): f for f in d["findings"]}
n = by["notes.md"]
assert n["commit"] == sys.argv[2] and n["line"] == 2 and n["live"] is True and n["expired"] is False
assert n["rules"] == ["account-sas", "permissions", "lifetime", "http"]
o = by["old.txt"]
assert o["live"] is False and o["expired"] is True and o["severity"] == "info" and o["expires"] == "2021-10-05T15:06:23Z"
m = by["(commit message)"]
assert m["commit"] == sys.argv[3] and m["kind"] == "storage-account-key" and m["live"] is True
assert len(d["findings"]) == 3, len(d["findings"])
assert d["stats"]["blocking"] == 2
assert d["stats"]["tokens"] == 3, d["stats"]   # attribution's second read is not counted
PY

# SARIF, and the same findings with one thread or four; options in any order.
expect_exit 1 "$SASGUARD" --format sarif --all-history "$R" --threads 1
python3 "$SOURCE_DIR/tests/sarif_check.py" "$T/out" && pass || fail "history SARIF against the schema"
python3 - "$T/out" <<'PY' && pass || fail "history SARIF"
import json, sys
d = json.load(open(sys.argv[1]))
res = d["runs"][0]["results"]
uris = sorted({r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in res})
assert uris == ["(commit%20message)", "notes.md", "old.txt"], uris
assert all(r["properties"]["commit"] for r in res)
PY
"$SASGUARD" --all-history --format json --threads 1 "$R" | python3 -c 'import json,sys; print(sorted((f["commit"],f["path"],f["line"]) for f in json.load(sys.stdin)["findings"]))' > "$T/one"
"$SASGUARD" --all-history --format json --threads 4 "$R" | python3 -c 'import json,sys; print(sorted((f["commit"],f["path"],f["line"]) for f in json.load(sys.stdin)["findings"]))' > "$T/four"
cmp -s "$T/one" "$T/four" && pass || fail "--threads 1 and 4 differ"

# The repository's .sasguard.ini applies (client mode): allow the notes by path
# (both names it had: an allowance holds per path, and the rename put the
# token at docs-notes.md too).
printf '[allow]\npath = *notes.md\n' > .sasguard.ini
expect_exit 1 "$SASGUARD" --all-history "$R"
has "$T/out" "1 allowed"
expect_exit 1 "$SASGUARD" --all-history --show-allowed "$R"
has "$T/out" "(allowed: path)"
# Allowing only the first name: the token is reported where it sat unallowed.
printf '[allow]\npath = notes.md\n' > .sasguard.ini
expect_exit 1 "$SASGUARD" --all-history "$R"
has "$T/out" "docs-notes.md:2:7: error"
has "$T/out" "0 allowed"
rm .sasguard.ini

# A dangling blob holding a token is noted, not reported.
printf '%s\n' "$KEY_LINE" | git hash-object -w --stdin >/dev/null
expect_exit 1 "$SASGUARD" --all-history "$R"
has "$T/out" "reachable from no ref"

# A bare clone, and a shallow one.
git clone -q --bare "$R" "$T/bare.git"
expect_exit 1 "$SASGUARD" --all-history "$T/bare.git"
has "$T/out" "notes.md:2:7"
git clone -q --depth 2 --no-single-branch "file://$R" "$T/shallow"
expect_exit 1 "$SASGUARD" --all-history "$T/shallow"
has "$T/out" "(commit message)"
has "$T/out" "shallow"
# Depth 1: the tip's tree is all there is; what it holds is attributed to the tip.
git clone -q --depth 1 "file://$R" "$T/shallow1"
tip=$(git -C "$T/shallow1" rev-parse --short=12 HEAD)
expect_exit 1 "$SASGUARD" --all-history "$T/shallow1"
has "$T/out" "$tip:old.txt:1:7: info"

# A clean repository exits 0.
git init -q "$T/clean"; echo x > "$T/clean/x"; git -C "$T/clean" add x; git -C "$T/clean" commit -qm x
expect_exit 0 "$SASGUARD" --all-history "$T/clean"
has "$T/out" "no token in the history breaks the policy"

# UTF-16 blobs are text: decoded, found on their line, counted in the JSON stats.
git -C "$T/clean" checkout -q -b win
utf16 "$T/clean/deploy.ps1" '$container = "models"' "\$u = '$INCIDENT_URL'"
git -C "$T/clean" add deploy.ps1; git -C "$T/clean" commit -qm "utf-16 script"
git -C "$T/clean" checkout -q main
expect_exit 1 "$SASGUARD" --all-history --format json "$T/clean"
python3 - "$T/out" <<'PY' && pass || fail "a UTF-16 blob in history"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(f["path"], f["line"], f["column"]) for f in d["findings"]] == [("deploy.ps1", 2, 7)], d["findings"]
# each blob counted once, though attribution reads the flagged one again
assert d["stats"]["utf16"] == 1 and d["stats"]["tokens"] == 1 and d["stats"]["binary_skipped"] == 0, d["stats"]
PY

# Not a repository, and a corrupt object: a clear message, exit 3.
mkdir "$T/empty"
expect_exit 3 "$SASGUARD" --all-history "$T/empty"
has "$T/err" "cannot open the repository"
git clone -q "$R" "$T/corrupt"
obj=$(git -C "$T/corrupt" rev-parse HEAD:a.txt)
git -C "$T/corrupt" repack -q -a -d
f=$(ls "$T/corrupt/.git/objects/pack/"*.pack)
chmod u+w "$f"
python3 - "$f" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
for i in range(200, len(b) - 100, 7):   # scribble over the pack's object data
    b[i] ^= 0x5a
open(p, "wb").write(b)
PY
expect_exit 3 "$SASGUARD" --all-history "$T/corrupt"
has "$T/err" "sasguard: cannot read object"
has "$T/out" "could not be read"
has "$T/out" "the scan is incomplete"

finish
