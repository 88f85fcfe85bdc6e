#!/usr/bin/env bash
# check_transcripts.sh - no output of any test run may hold a full signature
# or key: searches every transcript the shell tests wrote (tests/lib.sh) for
# each secret of the sample corpus and of the tests, raw and percent-decoded.
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
# a redacted token shows 4 characters: search for 8 or more of each secret
probes = {s[:12] for s in secrets}
bad = 0
for log in sys.argv[2:]:
    data = open(log, encoding="utf-8", errors="replace").read()
    for p in probes:
        if p in data:
            i = data.index(p)
            print("%s: holds %s... : %r" % (log, p[:6], data[max(0, i - 60):i].splitlines()[-1:]))
            bad += 1
n = sum(1 for _ in sys.argv[2:])
print("%d transcripts, %d secrets probed, %d leaks" % (n, len(probes), bad))
sys.exit(1 if bad else 0)
PY
