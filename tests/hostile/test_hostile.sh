#!/usr/bin/env bash
# test_hostile.sh - input built to hurt: huge, endless, binary, broken,
# pathological. Each case has a defined outcome: a clear message and an exit
# code of DESIGN.md section 6, never a crash, a hang or a lost finding.
. "$(dirname "$0")/../git/gitlib.sh"
cd "$T"

# ---- size -------------------------------------------------------------------
# A 2 GB file (sparse: no disk) is skipped by size with a note, not read.
truncate -s 2G big.bin; printf '\n%s\n' "$TOKEN_LINE" >> big.bin
expect_exit 0 "$SASGUARD" scan big.bin
has "$T/out" "over max_file_size"
# Allowed by the policy, a big file is mapped (not loaded) and the token at its end found.
truncate -s 300M mapped.bin; printf '\n%s\n' "$TOKEN_LINE" >> mapped.bin
printf '[policy]\nmax_file_size = 3G\nscan_binary = true\n' > huge.ini
expect_exit 1 "$SASGUARD" scan --config huge.ini mapped.bin
has "$T/out" "mapped.bin:2:7: error"
# 2 GB through stdin under scan_binary = false: binary from its first bytes,
# skipped without reading it all.
printf '[policy]\nscan_binary = false\n' > nobin.ini
expect_exit 0 sh -c "head -c 2147483648 /dev/zero | '$SASGUARD' scan --config nobin.ini -"
has "$T/out" "binary"
# By default binary through stdin is scanned, chunk after chunk: a token in
# UTF-16 after 40 MB of NULs is found, on its line.
python3 -c "
import sys; o = sys.stdout.buffer
o.write(bytes(40 << 20)); o.write(('\n\n ' + sys.argv[1] + ' \n').encode('utf-16-le'))" "$TOKEN_LINE" > nuls.bin
expect_exit 1 sh -c "'$SASGUARD' scan - < nuls.bin"
has "$T/out" "-:3:"
has "$T/out" "UTF-16 inside binary content"
# A 100 MB single line with a token at its end, from a file and from stdin
# (read in chunks cut inside the line: the column still counts from its start).
python3 -c "
import sys; f=open('line.txt','w'); f.write('a' * 100000000); f.write(' ' + sys.argv[1] + '\n')" "$INCIDENT_URL"
expect_exit 1 "$SASGUARD" scan line.txt
has "$T/out" "line.txt:1:100000002: error"
expect_exit 1 sh -c "'$SASGUARD' scan - < line.txt"
has "$T/out" "-:1:100000002: error"
# 10^6 sig= fragments on one line, and as many placeholders: nothing to report, promptly.
python3 -c "print('sig=' * 1000000); print(' sig=... ' * 1000000)" > frags.txt
expect_exit 0 "$SASGUARD" scan frags.txt
# Broken UTF-8 around a token: found; the JSON report stays valid. It opens
# with FF FE, a UTF-16 BOM: what only looks like UTF-16 hides no ASCII token.
{ printf '\377\376 caf\303 '; printf '%s' "$INCIDENT_URL"; printf ' \200\n'; } > utf.txt
expect_exit 1 "$SASGUARD" scan --format json utf.txt
python3 -c "import json; d=json.load(open('$T/out')); assert len(d['findings']) == 1" && pass || fail "JSON with broken UTF-8"

# ---- pathological matching: a limit hit is reported and fails closed --------
printf '%s\n' "$TOKEN_LINE" > tok.txt
expect_exit 3 env SASGUARD_TEST_MATCH_LIMIT=1 "$SASGUARD" scan tok.txt
has "$T/out" "hit its match limit"
has "$T/out" "the scan is incomplete"

# ---- configuration ------------------------------------------------------------
printf '[policy\nmax_lifetime = 1d\n' > broken.ini
expect_exit 2 "$SASGUARD" scan --config broken.ini tok.txt
has "$T/err" "broken.ini:1: syntax error"
printf '[policy]\n\0\0\0binary' > binary.ini
expect_exit 2 "$SASGUARD" scan --config binary.ini tok.txt
has "$T/err" "binary.ini: binary data"
head -c 3000000 /dev/zero | tr '\0' ';' > huge-cfg.ini
expect_exit 2 "$SASGUARD" scan --config huge-cfg.ini tok.txt
has "$T/err" "too big for a config file"
mkdir cfgdir
expect_exit 2 "$SASGUARD" scan --config cfgdir tok.txt
has "$T/err" "cfgdir: not a regular file (it is a directory)"
printf '[allow]\npath = %0300d\n' 0 > long.ini
expect_exit 2 "$SASGUARD" scan --config long.ini tok.txt
has "$T/err" "long.ini:2: line too long"
# The system file broken: every mode stops with exit 2, naming it.
printf '[rules]\nlifetime = sometimes\n' > "$SASGUARD_SYSTEM_CONFIG"
expect_exit 2 "$SASGUARD" scan tok.txt
has "$T/err" "system.ini:2: rules.lifetime = sometimes"
rm "$SASGUARD_SYSTEM_CONFIG"

# ---- repositories ---------------------------------------------------------------
R=$T/repo
new_repo "$R"
cd "$R"
echo a > a.txt; git add a.txt; git commit -qm a
# A staged blob that is missing from the object store: exit 3, the commit refused.
git update-index --add --cacheinfo "100644,1234567890123456789012345678901234567890,ghost.txt"
expect_exit 1 git commit -m ghost
has "$T/err" "1 objects missing (1 blob; first 1234567890123456789012345678901234567890 at ghost.txt)"
has "$T/err" "the staged content could not all be read"
git rm -q --cached ghost.txt
# A damaged index (every truncation, and bytes flipped at random): pre-commit
# exits 0, 1 or 3 each time, never a crash or a hang.
mkdir -p sub/deeper; echo x > sub/deeper/f.txt; git add sub; git commit -qm sub --no-verify
printf '%s\n' "$TOKEN_LINE" > staged.txt; git add staged.txt
cp .git/index "$T/index.good"
python3 - "$T/index.good" "$T/index.bad" "$SASGUARD" <<'PY' && pass || fail "a damaged index crashed or hung sasguard"
import os, random, subprocess, sys
good, bad, sg = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(good, "rb").read()
rnd = random.Random(5)
cases = [data[:n] for n in range(0, len(data), 3)]
for _ in range(300):
    b = bytearray(data)
    for _ in range(rnd.randrange(1, 4)):
        b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
    cases.append(bytes(b))
for i, c in enumerate(cases):
    open(bad, "wb").write(c)
    try:
        r = subprocess.run([sg, "pre-commit"], env=dict(os.environ, GIT_INDEX_FILE=bad),
                           capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        sys.exit("case %d hung" % i)
    if r.returncode not in (0, 1, 3):
        sys.exit("case %d: exit %d %s" % (i, r.returncode, r.stderr[-300:]))
PY
git rm -q --cached staged.txt; rm staged.txt

# The match limit in the hooks: the commit and the push are refused (exit 3, fail closed).
printf '%s\n' "$TOKEN_LINE" > t.txt; git add t.txt
expect_exit 1 env SASGUARD_TEST_MATCH_LIMIT=1 git commit -m limited
has "$T/err" "hit its match limit"
git rm -q --cached t.txt; rm t.txt
# A checkout's policy or baseline that is a link to /dev/zero, a FIFO or a
# directory: every hook in it stops with exit 2 and says why, never hangs
# (timeout 20 turns a hang into exit 124).
printf '%s\n' "$TOKEN_LINE" > t.txt; git add t.txt
mkfifo "$T/fifo"; mkdir "$T/adir"
for target in /dev/zero "$T/fifo" "$T/adir"; do
  ln -sfn "$target" bl; printf '[allow]\nbaseline = bl\n' > .sasguard.ini
  expect_exit 2 timeout 20 "$SASGUARD" pre-commit
  has "$T/err" "bl: not a regular file (it is a"
  expect_exit 2 timeout 20 "$SASGUARD" --all-history .
  has "$T/err" "bl: not a regular file"
  rm .sasguard.ini; ln -sfn "$target" .sasguard.ini
  expect_exit 2 timeout 20 "$SASGUARD" pre-commit
  has "$T/err" ".sasguard.ini: not a regular file (it is a"
  rm .sasguard.ini bl
done
has "$T/err" "(it is a directory)"
expect_exit 2 timeout 20 "$SASGUARD" scan --baseline "$T/fifo" t.txt
has "$T/err" "fifo: not a regular file (it is a FIFO)"
expect_exit 2 timeout 20 "$SASGUARD" scan --config /dev/zero t.txt
has "$T/err" "/dev/zero: not a regular file (it is a device)"
git rm -q --cached t.txt; rm t.txt
# Hostile names: terminal escapes (C0: ESC, BEL, CR) and C1 controls (U+009B,
# a CSI on 8-bit terminals) in file names, an inline reason and a note reach
# the terminal only escaped, in findings, notes and summaries, in every mode.
H=$T/hostile-names
new_repo "$H"
cd "$H"
esc_name=$(printf 'evil\033]0;owned\007\r.txt')
c1_name=$(printf 'c1\302\23331mred.txt')
big_name=$(printf 'big\033[2J\302\235.txt')
bidi_name=$(printf 'bidi\342\200\256txt.exe')
# (three tokens: --all-history reports a blob once, at one path)
printf '%s\n' "$TOKEN_LINE" > "$esc_name"
printf '%s\n' "${TOKEN_LINE/ypeBEsob/Cc1cCc1c}" > "$c1_name"
printf '%s\n' "${TOKEN_LINE/ypeBEsob/Bb2dBb2d}" > "$bidi_name"
printf '%s  # sasguard:allow fixture \033[8m hidden \302\233 reason\n' "${TOKEN_LINE/ypeBEsob/Hh4kKk4h}" > inline.txt
head -c 3000 /dev/zero | tr '\0' a > "$big_name"
printf '[policy]\nmax_file_size = 2k\n' > .sasguard.ini
git add -A
expect_exit 1 "$SASGUARD" pre-commit --show-allowed
cp "$T/out" "$T/h-commit.out"; cp "$T/err" "$T/h-commit.err"
git commit -qm hostile --no-verify
expect_exit 1 "$SASGUARD" --all-history --show-allowed .
cp "$T/out" "$T/h-history.out"; cp "$T/err" "$T/h-history.err"
expect_exit 1 "$SASGUARD" scan --show-allowed --config .sasguard.ini -- "$esc_name" "$c1_name" "$big_name" inline.txt "$bidi_name" "$(printf 'gone\033[5m')"
cp "$T/out" "$T/h-scan.out"; cp "$T/err" "$T/h-scan.err"
expect_exit 1 "$SASGUARD" scan --format json -- "$c1_name"
cp "$T/out" "$T/h-json.out"
python3 - "$T" <<'PY' && pass || fail "a control character or bidi override reached the terminal raw"
import re, sys
t = sys.argv[1]
bad = re.compile(rb'[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]')
for n in ("h-commit.out", "h-commit.err", "h-history.out", "h-history.err", "h-scan.out", "h-scan.err", "h-json.out"):
    data = open(t + "/" + n, "rb").read()
    m = bad.search(data)
    if m:
        sys.exit("%s: raw %r at %d: %r" % (n, m.group(), m.start(), data[max(0, m.start() - 40):m.start() + 20]))
PY
# ... and what they were is still readable, escaped
has "$T/h-history.out" 'evil\x1b]0;owned\x07\x0d.txt:1:7: error'
has "$T/h-history.out" 'c1\u009b31mred.txt:1:7: error'
has "$T/h-history.out" 'bidi\u202etxt.exe:1:7: error'
has "$T/h-commit.err" 'big\x1b[2J\u009d.txt'
has "$T/h-commit.err" 'c1\u009b31mred.txt:1:7: error'
has "$T/h-scan.out" 'big\x1b[2J\u009d.txt'
has "$T/h-scan.err" 'gone\x1b[5m'
has "$T/h-json.out" '"path":"c1\u009b31mred.txt"'
cd "$R"

# A shallow clone commits normally.
git clone -q --depth 1 "file://$R" "$T/shallow"
cd "$T/shallow"
printf '#!/bin/sh\nexec "%s" pre-commit "$@"\n' "$SASGUARD" > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit
printf '%s\n' "$TOKEN_LINE" > s.txt; git add s.txt
expect_exit 1 git commit -m "token in a shallow clone"
has "$T/err" "s.txt:1:7"
cd "$R"

# ---- servers ----------------------------------------------------------------
# 100 000 refs: a push is judged the same, without reading them.
S=$T/many.git
new_server "$S"
hook_off "$S"
git push -q "$S" main
# (written as packed-refs directly: update-ref takes a while for 100 000)
python3 -c "
import sys
h = sys.argv[1]
with open(sys.argv[2] + '/packed-refs', 'w') as f:
    f.write('# pack-refs with: peeled fully-peeled sorted \n')
    for i in range(100000): f.write('%s refs/tags/t%06d\n' % (h, i))" "$(git rev-parse main)" "$S"
hook_on "$S"
[ "$(git -C "$S" for-each-ref | wc -l)" -gt 100000 ] && pass || fail "100k refs"
echo b >> a.txt; git commit -qam b
expect_exit 0 git push -q "$S" main
printf '%s\n' "$TOKEN_LINE" > r.txt; git add r.txt; git commit -qm r --no-verify
expect_exit 1 git push "$S" main
has "$T/err" "r.txt:1:7"
# A push the regex limit cuts short is refused: the server fails closed.
expect_exit 1 env SASGUARD_TEST_MATCH_LIMIT=1 git push "$S" main
has "$T/err" "could not be judged"
git reset -q --hard HEAD~1
# A 2 GB blob staged and committed (its own repository: git itself is slow to
# move it around): skipped with a note, never loaded whole.
B=$T/bigrepo
new_repo "$B"
cd "$B"
echo a > a.txt; git add a.txt; git commit -qm a
big=$(python3 "$SOURCE_DIR/tests/hostile/big_object.py" "$B" 2147483648 "$(printf '\n%s\n' "$TOKEN_LINE")")
git update-index --add --cacheinfo "100644,$big,big.bin"
expect_exit 0 git commit -q --no-status -m "a 2 GB blob"
has "$T/err" "big.bin (21474838"
has "$T/err" "larger than policy.max_file_size"
expect_exit 0 "$SASGUARD" --all-history .
has "$T/out" "1 too large"

# pre-receive outside any repository: a clear error, exit 3.
mkdir "$T/nowhere"
expect_exit 3 sh -c "cd '$T/nowhere' && printf '%s %s refs/heads/x\n' $ZERO $ZERO | GIT_DIR=. '$SASGUARD' pre-receive"
has "$T/err" "cannot open the repository"

finish
