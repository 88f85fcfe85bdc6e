#!/usr/bin/env bash
# test_scan.sh - `sasguard scan` as a user runs it: exit codes 0/1/2/3, text,
# JSON and SARIF, stdin, big and odd input, and no signature ever in full.
. "$(dirname "$0")/../lib.sh"

printf 'Download the models:\n  %s\n' "$INCIDENT_URL" > "$T/README.md"
printf 'weights: %s\n' "$GOOD_URL" > "$T/good.txt"

# The incident-shaped URL is rejected, naming all four rules and where it is.
expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/README.md"
for r in account-sas permissions lifetime http; do has "$T/out" "$r"; done
has "$T/out" "README.md:2:3: error: account SAS for robustnessws4285631339"
has "$T/out" "sig=ypeB..."
has "$T/out" "az storage blob generate-sas"
no_secrets "$T/out"; no_secrets "$T/err"

# A read-only blob SAS, valid one hour, https only: clean.
expect_exit 0 "$SASGUARD" scan --now "$NOW" "$T/good.txt"
has "$T/out" "0 errors"

# Options in any order; stdin as '-'.
expect_exit 1 "$SASGUARD" scan "$T/good.txt" --now="$NOW" "$T/README.md" --quiet
lacks "$T/out" "good.txt"
expect_exit 1 sh -c "printf '%s\n' '$INCIDENT_URL' | '$SASGUARD' scan --now $NOW -"
has "$T/out" "-:1:1: error"

# JSON: one document with the documented fields.
expect_exit 1 "$SASGUARD" scan --format json --now "$NOW" "$T/README.md" "$T/good.txt"
python3 - "$T/out" <<'PY' && pass || fail "JSON document"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) >= {"findings", "stats"}, d.keys()
(f,) = d["findings"]
for k in ("path", "line", "column", "commit", "kind", "severity", "rules", "fingerprint", "expires", "live", "token", "fix"):
    assert k in f, k
assert f["path"].endswith("README.md") and f["line"] == 2 and f["commit"] is None
assert f["kind"] == "account-sas" and f["severity"] == "error" and f["blocking"] is True
assert f["rules"] == ["account-sas", "permissions", "lifetime", "http"], f["rules"]
assert f["expires"] == "2051-10-06T07:09:59Z" and f["live"] is True
assert len(f["fingerprint"]) == 32
assert d["stats"]["files"] == 2 and d["stats"]["tokens"] == 2 and d["stats"]["blocking"] == 1
PY
no_secrets "$T/out"

# SARIF 2.1.0: valid by the schema's rules, and the fields dashboards use.
expect_exit 1 "$SASGUARD" scan --format sarif --now "$NOW" "$T/README.md"
python3 "$SOURCE_DIR/tests/sarif_check.py" "$T/out" 4 && pass || fail "SARIF against the schema"
python3 - "$T/out" <<'PY' && pass || fail "SARIF document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0" and d["runs"]
run = d["runs"][0]
drv = run["tool"]["driver"]
assert drv["name"] == "sasguard"
ids = [r["id"] for r in drv["rules"]]
assert "account-sas" in ids and len(ids) == 9
res = run["results"]
assert sorted(r["ruleId"] for r in res) == sorted(["account-sas", "permissions", "lifetime", "http"])
for r in res:
    assert r["message"]["text"] and r["level"] == "error"
    assert ids[r["ruleIndex"]] == r["ruleId"]
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("README.md") and loc["region"]["startLine"] == 2
    assert len(r["partialFingerprints"]["sasguardToken/v1"]) == 32
PY
no_secrets "$T/out"

# --output writes the report to a file, stdout stays empty.
expect_exit 1 "$SASGUARD" scan --format json --output "$T/report.json" --now "$NOW" "$T/README.md"
[ -s "$T/report.json" ] && [ ! -s "$T/out" ] && pass || fail "--output"

# Usage and configuration errors exit 2; I/O errors exit 3.
expect_exit 2 "$SASGUARD" scan
expect_exit 2 "$SASGUARD" scan --bogus "$T/good.txt"
expect_exit 2 "$SASGUARD" scan --format xml "$T/good.txt"
expect_exit 2 "$SASGUARD" scan --now next-tuesday "$T/good.txt"
expect_exit 2 "$SASGUARD" frobnicate
printf '[policy]\nmax_lifetime = forever\n' > "$T/bad.ini"
expect_exit 2 "$SASGUARD" scan --config "$T/bad.ini" "$T/good.txt"
has "$T/err" "bad.ini:2: policy.max_lifetime = forever"
expect_exit 2 "$SASGUARD" scan --config "$T" "$T/good.txt"
has "$T/err" "directory"
expect_exit 2 "$SASGUARD" scan --config "$T/missing.ini" "$T/good.txt"
expect_exit 3 "$SASGUARD" scan "$T/missing.txt"
has "$T/err" "missing.txt: No such file or directory"
expect_exit 3 "$SASGUARD" scan "$T"
has "$T/err" "is a directory"
# A finding still wins over an unreadable second file: the run blocks.
expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/README.md" "$T/missing.txt"

# A stricter policy from --config; the system file from $SASGUARD_SYSTEM_CONFIG.
printf '[policy]\nmax_lifetime = 30m\n' > "$T/strict.ini"
expect_exit 1 "$SASGUARD" scan --config "$T/strict.ini" --now "$NOW" "$T/good.txt"
has "$T/out" "lifetime"
expect_exit 1 env SASGUARD_SYSTEM_CONFIG="$T/strict.ini" "$SASGUARD" scan --now "$NOW" "$T/good.txt"
printf '[policy]\nlocked = true\nmax_lifetime = 1h\n' > "$T/locked.ini"
printf '[policy]\nmax_lifetime = 1y\n' > "$T/loose.ini"
expect_exit 2 env SASGUARD_SYSTEM_CONFIG="$T/locked.ini" "$SASGUARD" scan --config "$T/loose.ini" "$T/good.txt"
has "$T/err" "loose.ini:2: policy.max_lifetime would loosen a locked policy"
expect_exit 0 env SASGUARD_SYSTEM_CONFIG="$T/locked.ini" "$SASGUARD" config --show
has "$T/out" "locked.ini:3"

# Binary content is scanned by default: a token after NULs in its first bytes,
# and one stored as UTF-16 among other bytes (an executable's strings), found
# on the line its '\n' bytes give; scan_binary = false skips it with a note.
{ printf 'PNG\0\0\0'; printf '%s\n' "$INCIDENT_URL"; } > "$T/blob.bin"
expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/blob.bin"
has "$T/out" "blob.bin:1:7: error"
python3 - "$T/wide.bin" "url = $INCIDENT_URL" <<'PY'
import random, sys
r = random.Random(1)
noise = bytes(r.choice([b for b in range(256) if b != 10]) for _ in range(3000))
with open(sys.argv[1], "wb") as f:
    f.write(b"MZ\x90\x00" + noise + b"\n\x00\n\x00" + sys.argv[2].encode("utf-16-le") + b"\x00\x00" + noise)
PY
expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/wide.bin"
has "$T/out" "wide.bin:3:14: error: account SAS for robustnessws4285631339"
has "$T/out" "note: UTF-16 inside binary content"
no_secrets "$T/out"
printf '[policy]\nscan_binary = false\n' > "$T/nobin.ini"
expect_exit 0 "$SASGUARD" scan --config "$T/nobin.ini" --now "$NOW" "$T/blob.bin" "$T/wide.bin"
has "$T/out" "blob.bin: binary (a NUL byte in its first 8000 bytes): skipped"
has "$T/out" "wide.bin: binary (a NUL byte in its first 8000 bytes): skipped"

# Files over max_file_size are skipped with a note.
printf '[policy]\nmax_file_size = 1K\n' > "$T/small.ini"
head -c 4096 /dev/zero | tr '\0' 'a' > "$T/big.txt"; printf '\n%s\n' "$INCIDENT_URL" >> "$T/big.txt"
expect_exit 0 "$SASGUARD" scan --config "$T/small.ini" --now "$NOW" "$T/big.txt"
has "$T/out" "over max_file_size"
# The limit is inclusive: a file of exactly max_file_size bytes is scanned,
# one byte more is skipped.
for size in 1023 1024 1025; do
  python3 - "$T/size$size.txt" "$INCIDENT_URL" "$size" <<'PY'
import sys
url, size = sys.argv[2], int(sys.argv[3])
open(sys.argv[1], "w").write("a" * (size - len(url) - 2) + "\n" + url + "\n")
PY
done
# (one token in both: one finding, its second place listed under it)
expect_exit 1 "$SASGUARD" scan --config "$T/small.ini" --now "$NOW" "$T/size1023.txt" "$T/size1024.txt"
has "$T/out" "size1023.txt:2:1: error"
has "$T/out" "size1024.txt:2:1"
has "$T/out" "1 token at 2 places"
expect_exit 0 "$SASGUARD" scan --config "$T/small.ini" --now "$NOW" "$T/size1025.txt"
has "$T/out" "size1025.txt: 1025 bytes is over max_file_size (1024): skipped"

# A file holds at most 10 000 findings; the rest are dropped (counted), and a
# blocking one among them still blocks: 10 000 warnings, then an error.
python3 - "$T/many.txt" "$INCIDENT_URL" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        f.write("u%d = ?sv=2022-11-02&si=readers&sr=b&spr=https&sig=PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0%%3D\n" % i)
    f.write("last = " + sys.argv[2] + "\n")
PY
expect_exit 1 "$SASGUARD" scan --quiet --now "$NOW" --format json --output "$T/many.json" "$T/many.txt"
has "$T/many.json" '"dropped":1'

# Streams of any size: 20 MB of text through stdin, the token on line 200001,
# and a 12 MB single line; line numbers stay right across chunks.
python3 - "$T/stream.txt" "$INCIDENT_URL" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write("lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incid %d\n" % i)
    f.write("x " + sys.argv[2] + "\n")
    f.write("y" * (12 << 20) + " " + sys.argv[2] + "\n")
PY
expect_exit 1 sh -c "'$SASGUARD' scan --format json --now $NOW - < '$T/stream.txt'"
python3 -c "
import json,sys; d=json.load(open('$T/out'))
lines = [l['line'] for f in d['findings'] for l in f['locations']]  # one token, two places
assert len(d['findings']) == 1 and lines == [200001, 200002], lines
" && pass || fail "line numbers across stdin chunks"
# The same file mapped whole gives the same lines.
expect_exit 1 "$SASGUARD" scan --format json --now "$NOW" "$T/stream.txt"
python3 -c "
import json; d=json.load(open('$T/out'))
assert [l['line'] for f in d['findings'] for l in f['locations']] == [200001, 200002]
" && pass || fail "line numbers of a mapped file"

# UTF-16, as Windows PowerShell 5 `>` and Out-File write it: decoded and scanned,
# not skipped as binary; mapped, and streamed through stdin in chunks that
# fall after the first 4 MiB (a token on line 100001, and one after 3 M characters of a line).
python3 - "$T" "$INCIDENT_URL" <<'PY'
import sys
t, url = sys.argv[1], sys.argv[2]
text = "$sas = 'x'\r\n$u = \"" + url + "\"\r\n"
open(t + "/ps-le.txt", "wb").write(text.encode("utf-16"))         # BOM, little-endian
open(t + "/ps-be.txt", "wb").write(text.encode("utf-16-be"))      # no BOM
big = "".join("Zeile %d: Größe, Maß, 東京\r\n" % i for i in range(100000))
big += "x " + url + "\r\n" + "é" * (3 << 20) + " " + url + "\r\n"   # é: 2 bytes of UTF-8
open(t + "/ps-big.txt", "wb").write(big.encode("utf-16"))
PY
for f in ps-le ps-be; do
  expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/$f.txt"
  has "$T/out" "$f.txt:2:7: error: account SAS for robustnessws4285631339"
  no_secrets "$T/out"
done
expect_exit 1 sh -c "'$SASGUARD' scan --format json --now $NOW - < '$T/ps-big.txt'"
python3 -c "
import json; d=json.load(open('$T/out'))
assert [(l['line'], l['column']) for f in d['findings'] for l in f['locations']] == [(100001, 3), (100002, 6291458)], d['findings']
assert d['stats']['utf16'] >= 1, d['stats']
" && pass || fail "UTF-16 lines and columns across stdin chunks"
expect_exit 1 "$SASGUARD" scan --format json --now "$NOW" "$T/ps-big.txt"
python3 -c "
import json; d=json.load(open('$T/out'))
assert [(l['line'], l['column']) for f in d['findings'] for l in f['locations']] == [(100001, 3), (100002, 6291458)], d['findings']
assert d['stats']['utf16'] == 1 and d['stats']['binary_skipped'] == 0, d['stats']
" && pass || fail "UTF-16 lines and columns of a mapped file"

# Base64, as a Kubernetes Secret's data: holds values: decoded where an encoded
# "sig=" or "AccountKey=" shows, reported on the encoded line, never echoed whole.
KEY_CONN='DefaultEndpointsProtocol=https;AccountName=acct5;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==;EndpointSuffix=core.windows.net'
cat > "$T/secret.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: storage
data:
  MODELS_URL: $(printf '%s' "$INCIDENT_URL" | base64 -w0)
  STORAGE: $(printf '%s' "$KEY_CONN" | base64 -w0)
  READ_URL: $(printf '%s' "$GOOD_URL" | base64 -w0)
EOF
expect_exit 1 "$SASGUARD" scan --format json --now "$NOW" "$T/secret.yaml"
python3 -c "
import json; d=json.load(open('$T/out'))
got = [(f['line'], f['column'], f['kind'], f['note']) for f in d['findings']]
assert got == [(6, 15, 'account-sas', 'base64-encoded here; shown decoded'),
               (7, 12, 'storage-account-key', 'base64-encoded here; shown decoded')], got
assert d['stats']['tokens'] == 3, d['stats']
" && pass || fail "base64 values of a Kubernetes Secret"
no_secrets "$T/out"
expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/secret.yaml"
has "$T/out" "secret.yaml:6:15: error: account SAS for robustnessws4285631339"
has "$T/out" "note: base64-encoded here; shown decoded"
no_secrets "$T/out"

# Broken UTF-8, control bytes and a newline in a file name: escaped, never raw.
name=$(printf 'we\nird\377.txt')
printf '%s\n' "$INCIDENT_URL" > "$T/$name"
expect_exit 1 "$SASGUARD" scan --now "$NOW" "$T/$name"
has "$T/out" 'we\x0aird\xff.txt:1:1'
expect_exit 1 "$SASGUARD" scan --format json --now "$NOW" "$T/$name"
python3 -c "import json; json.load(open('$T/out'))" && pass || fail "JSON with an odd file name"

# Help and version.
expect_exit 0 "$SASGUARD" --help
has "$T/out" "usage: sasguard"
expect_exit 0 "$SASGUARD" --version
has "$T/out" "libgit2"; has "$T/out" "PCRE2"; has "$T/out" "inih"

finish
