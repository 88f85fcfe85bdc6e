#!/usr/bin/env bash
# check_transcripts.sh - no output of any test run may hold a full signature
# or key: searches every transcript the shell tests wrote (tests/lib.sh) for
# any 8 characters in a row of each secret of the sample corpus and of the
# tests, raw and percent-decoded (a redacted token shows only 4).
set -u
dir=${1:?transcripts directory}
corpus=${2:?tokens.tsv}
shopt -s nullglob
logs=("$dir"/*.log)
[ ${#logs[@]} -ge 5 ] || { echo "only ${#logs[@]} transcripts in $dir: run the whole suite"; exit 1; }
python3 - "$corpus" "${logs[@]}" <<'PY'
import re, sys, urllib.parse
secrets = set()
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#"):
        continue
    text = line.rstrip("\n").split("\t", 2)[-1]
    for m in re.finditer(r"(?:sig=|AccountKey=|SharedAccessKey=)([A-Za-z0-9+/%]{20,}=*(?:%3D)*)", text):
        v = m.group(1)
        secrets.add(v)
        secrets.add(urllib.parse.unquote(v))
# the test scripts' own fake secrets, beyond the corpus
for v in ("Zq9xT4kw", "ypeBEsobvcr6wjGzmiPcTaeG7", "PiPoFgA5WUoziU9lZOGxNIu9egCI1Cx"):
    secrets.add(v)
# the public Azurite key is not a secret (it is printed nowhere either, but need not be checked)
secrets = {s for s in secrets if not s.startswith("Eby8vdM02x") and len(s) >= 8}
# a redacted token shows its first 4 characters ("sig=ypeB..."): any 8 characters
# in a row of a secret, wherever they sit in it, are a leak. Every 8-character
# window of every secret is probed, so a leak of a middle or an end is found too.
WINDOW = 8
probes = {}
for s in secrets:
    for i in range(len(s) - WINDOW + 1):
        probes.setdefault(s[i:i + WINDOW], s)
bad = 0
for log in sys.argv[2:]:
    data = open(log, encoding="utf-8", errors="replace").read()
    n = len(data)
    for i in range(max(0, n - WINDOW + 1)):
        p = data[i:i + WINDOW]
        if p in probes:
            # name the leak by the secret's first 4 characters and the line before it, never more of it
            print("%s: holds 8+ characters of the secret %s... : %r" % (log, probes[p][:4], data[max(0, i - 60):i].splitlines()[-1:]))
            bad += 1
            break
n = sum(1 for _ in sys.argv[2:])
print("%d transcripts, %d secrets probed (%d windows of %d characters), %d leaking transcripts" % (n, len(secrets), len(probes), WINDOW, bad))
sys.exit(1 if bad else 0)
PY
