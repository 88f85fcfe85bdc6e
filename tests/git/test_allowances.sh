#!/usr/bin/env bash
# test_allowances.sh - exceptions a team can live with: [allow] globs, inline
# markers, baselines, push options; the policy layers and locking; reports
# (colour on a terminal only, JSON, SARIF with suppressions, --output).
. "$(dirname "$0")/gitlib.sh"

R=$T/old-repo
new_repo "$R"
cd "$R"
# An old repository with two legacy tokens already in history.
printf '%s\n' "$TOKEN_LINE" > legacy.md; printf '%s\n' "$KEY_LINE" > app.cfg
git add .; git commit -qm legacy --no-verify

# Adopting sasguard: --write-baseline records them; the run passes; the file is reviewable.
expect_exit 0 "$SASGUARD" --all-history --write-baseline .sasguard-baseline "$R"
has "$T/out" "wrote 2 findings to the baseline"
has "$T/out" "2 allowed"
[ "$(grep -vc '^#' .sasguard-baseline)" = 2 ] && pass || fail "baseline lines"
has .sasguard-baseline "account-sas robustnessws4285631339"
has .sasguard-baseline "storage-account-key acct5"
no_secrets .sasguard-baseline
# Deterministic: writing it again gives the same bytes.
cp .sasguard-baseline "$T/b1"
"$SASGUARD" --all-history --write-baseline .sasguard-baseline "$R" >/dev/null
cmp -s .sasguard-baseline "$T/b1" && pass || fail "the baseline is not deterministic"
# --baseline: only new tokens are reported; baselined ones are counted and listed on request.
expect_exit 0 "$SASGUARD" --all-history --baseline .sasguard-baseline "$R"
has "$T/out" "2 allowed"
lacks "$T/out" "legacy.md"
expect_exit 0 "$SASGUARD" --all-history --baseline .sasguard-baseline --show-allowed "$R"
has "$T/out" "legacy.md:1:7: error: account SAS for robustnessws4285631339 (allowed: baseline)"
# A broken baseline file is a clear error naming file and line.
printf '# x\nnot-a-fingerprint\n' > "$T/bad-baseline"
expect_exit 2 "$SASGUARD" --all-history --baseline "$T/bad-baseline" "$R"
has "$T/err" "bad-baseline:2: not a fingerprint"

# The same baseline works in pre-commit, named by the repository's policy:
# copying a legacy token into a new file is allowed, a new token is not.
printf '[allow]\nbaseline = .sasguard-baseline\n' > .sasguard.ini
git add .sasguard.ini .sasguard-baseline; git commit -qm "adopt sasguard"
cp legacy.md copy.md; git add copy.md
expect_exit 0 git commit -m "copy of a baselined token"
printf 'new = %s\n' "$(hour_url | sed 's/sp=r/sp=rw/')" > new.md; git add new.md
expect_exit 1 git commit -m "a new token"
has "$T/err" "new.md:1:7: error"
git rm -q --cached new.md; rm new.md

# Inline markers: a reason allows; none is refused, and says why.
# (Another signature: the incident's own token is in the baseline.)
OTHER_LINE=${TOKEN_LINE/ypeBEsob/Zq9xT4kw}
printf '%s  # sasguard:allow\n' "$OTHER_LINE" > inline.py; git add inline.py
expect_exit 1 git commit -m "marker without reason"
has "$T/err" "sasguard:allow without a reason is ignored"
printf '%s  # sasguard:allow docs example, never valid\n' "$OTHER_LINE" > inline.py; git add inline.py
expect_exit 0 git commit -m "marker with reason"

# Layers: system, user, repository, --config; origins shown by config --show.
printf '[policy]\nmax_lifetime = 2d\n' > "$T/system.ini"
mkdir -p "$XDG_CONFIG_HOME/sasguard"; printf '[policy]\nmax_lifetime = 1d\n' > "$XDG_CONFIG_HOME/sasguard/config.ini"
printf '[policy]\nmax_lifetime = 12h\n' > "$T/cli.ini"
expect_exit 0 "$SASGUARD" config --show
has "$T/out" "policy.max_lifetime          = 1d"
has "$T/out" "sasguard/config.ini:2"
has "$T/out" "allow.baseline               = $R/.sasguard-baseline"
expect_exit 0 "$SASGUARD" config --show --config "$T/cli.ini"
has "$T/out" "cli.ini:2"
# Locked: lower layers may tighten, never loosen; the error names the key.
mv .sasguard.ini "$T/repo.ini"
printf '[policy]\nlocked = true\nmax_lifetime = 2d\n[rules]\nscope = warning\n' > "$T/system.ini"
expect_exit 0 "$SASGUARD" config --show
has "$T/out" "policy.max_lifetime          = 1d"
printf '[policy]\nmax_lifetime = 30d\n' > "$XDG_CONFIG_HOME/sasguard/config.ini"
expect_exit 2 "$SASGUARD" config --show
has "$T/err" "config.ini:2: policy.max_lifetime would loosen a locked policy (set at $T/system.ini:3)"
printf '[rules]\nscope = off\n' > "$XDG_CONFIG_HOME/sasguard/config.ini"
expect_exit 2 "$SASGUARD" config --show
has "$T/err" "rules.scope would loosen"
rm "$XDG_CONFIG_HOME/sasguard/config.ini"
# The repository's [allow] baseline is itself an allowance: refused under a lock.
mv "$T/repo.ini" .sasguard.ini
expect_exit 2 "$SASGUARD" config --show
has "$T/err" "allow.baseline would loosen a locked policy"
expect_exit 2 "$SASGUARD" scan --baseline .sasguard-baseline legacy.md
has "$T/err" "--baseline would loosen a locked policy"
rm "$T/system.ini"

# Reports: colour only on a terminal; JSON keeps allowed findings marked;
# SARIF marks them as suppressed and stays valid; --output.
printf '%s\n' "$TOKEN_LINE" > "$T/tok.txt"
expect_exit 1 "$SASGUARD" scan "$T/tok.txt"
lacks "$T/out" $'\033['
script -qec "'$SASGUARD' scan '$T/tok.txt'" /dev/null > "$T/tty.out"
has "$T/tty.out" $'\033[1;31merror'
script -qec "NO_COLOR=1 '$SASGUARD' scan '$T/tok.txt'" /dev/null > "$T/tty.out"
lacks "$T/tty.out" $'\033['
expect_exit 0 "$SASGUARD" --all-history --format json --baseline .sasguard-baseline "$R"
python3 - "$T/out" <<'PY' && pass || fail "JSON marks allowed findings"
import json, sys
d = json.load(open(sys.argv[1]))
by = {f["path"]: f for f in d["findings"]}
assert by["legacy.md"]["allowed"] == {"by": "baseline", "reason": None}, by["legacy.md"]["allowed"]
assert by["inline.py"]["allowed"]["by"] == "inline" and by["inline.py"]["allowed"]["reason"] == "docs example, never valid"
assert all(f["blocking"] is False for f in d["findings"])
assert d["stats"]["allowed"] == len(d["findings"]) and d["stats"]["blocking"] == 0
PY
expect_exit 0 "$SASGUARD" --all-history --format sarif --output "$T/report.sarif" --baseline .sasguard-baseline "$R"
[ ! -s "$T/out" ] && pass || fail "--output left stdout non-empty"
python3 "$SOURCE_DIR/tests/sarif_check.py" "$T/report.sarif" && pass || fail "SARIF with suppressions"
python3 - "$T/report.sarif" <<'PY' && pass || fail "SARIF suppressions"
import json, sys
res = json.load(open(sys.argv[1]))["runs"][0]["results"]
assert res and all(r["suppressions"][0]["kind"] == "inSource" for r in res)
assert any(r["suppressions"][0]["justification"] == "docs example, never valid" for r in res)
PY

# A path allowance holds per path in --all-history too: one blob allowed as a
# fixture and copied to src/prod.cfg is reported at the copy (the blob is read
# once; its other paths are looked at only because it holds a finding).
P=$T/perpath
new_repo "$P"
back=$PWD
cd "$P"
printf '[allow]\npath = tests/fixtures/**\n' > .sasguard.ini
mkdir -p tests/fixtures src
printf '%s\n' "$TOKEN_LINE" > tests/fixtures/sample.cfg
git add .; git commit -qm fixture --no-verify
expect_exit 0 "$SASGUARD" --all-history --show-allowed .
has "$T/out" "tests/fixtures/sample.cfg:1:7: error: account SAS for robustnessws4285631339 (allowed: path)"
cp tests/fixtures/sample.cfg src/prod.cfg; git add src; git commit -qm "copied" --no-verify
expect_exit 1 "$SASGUARD" --all-history .
has "$T/out" "src/prod.cfg:1:7: error"
lacks "$T/out" "(allowed: path)"
# the same with several threads, and through --state (second run from the state)
expect_exit 1 "$SASGUARD" --all-history --threads 3 --state "$T/perpath.state" .
has "$T/out" "src/prod.cfg:1:7: error"
expect_exit 1 "$SASGUARD" --all-history --state "$T/perpath.state" .
has "$T/out" "src/prod.cfg:1:7: error"
cd "$back"

# Push options on a server: off by default; on, a named fingerprint goes through
# with a reason, and every use is logged without the signature.
S=$T/srv.git
new_server "$S"
git -C "$S" config receive.advertisePushOptions true
git push -q "$S" HEAD:main 2>/dev/null || { hook_off "$S"; git push -q "$S" HEAD:main; hook_on "$S"; }
printf 'k = %s\n' "$INCIDENT_URL" > pushed.txt; git add pushed.txt; git commit -qm pushed --no-verify
fp=$("$SASGUARD" scan --format json pushed.txt | python3 -c 'import json,sys; print(json.load(sys.stdin)["findings"][0]["fingerprint"])')
expect_exit 1 git push -o "sasguard.allow=$fp" -o "sasguard.reason=test" "$S" HEAD:main
has "$T/err" "does not take allowances by push option"
printf '[server]\nallow_push_option = true\nlog = %s\n' "$T/audit.log" > "$T/server.ini"
git -C "$S" config sasguard.config "$T/server.ini"
expect_exit 1 git push -o "sasguard.allow=$fp" "$S" HEAD:main
has "$T/err" "needs a reason"
expect_exit 1 git push -o "sasguard.allow=0123456789abcdef0123456789abcdef" -o "sasguard.reason=x" "$S" HEAD:main
has "$T/err" "matched no finding"
expect_exit 0 git push -o "sasguard.allow=$fp" -o "sasguard.reason=TICKET-42 rotated already" "$S" HEAD:main
has "$T/err" "1 allowed"
has "$T/audit.log" "fingerprint=$fp"
has "$T/audit.log" 'reason="TICKET-42 rotated already"'
has "$T/audit.log" "path=\"pushed.txt\""
no_secrets "$T/audit.log"

# Inline markers in pushed content: honoured by default (server.inline_allow),
# and each one a push uses is logged as a push option is.
INL_LINE=${TOKEN_LINE/ypeBEsob/Qw3rTy12}
printf '%s  # sasguard:allow docs sample, revoked\n' "$INL_LINE" > inl.txt; git add inl.txt; git commit -qm inline --no-verify
expect_exit 0 git push "$S" HEAD:main
has "$T/audit.log" "sasguard: inline allowance: "
has "$T/audit.log" 'path="inl.txt"'
has "$T/audit.log" 'reason="docs sample, revoked"'
no_secrets "$T/audit.log"
# inline_allow = false: the marker counts for nothing there, and the report says why.
printf '[server]\ninline_allow = false\nlog = %s\n' "$T/audit.log" > "$T/server.ini"
INL2_LINE=${TOKEN_LINE/ypeBEsob/Zz9yXx88}
printf '%s  # sasguard:allow docs sample\n' "$INL2_LINE" > inl2.txt; git add inl2.txt; git commit -qm inline2 --no-verify
expect_exit 1 git push "$S" HEAD:main
has "$T/err" "inl2.txt:1:7: error"
has "$T/err" "server.inline_allow = false"
lacks "$T/audit.log" "inl2.txt"
git reset -q --hard HEAD~1

# A server's sasguard.config that cannot be expanded is fatal, with where it is set.
git -C "$S" config sasguard.config '~nosuchuser/x.ini'
echo z > z.txt; git add z.txt; git commit -qm z --no-verify
expect_exit 1 git push "$S" HEAD:main
has "$T/err" "srv.git/config:"
has "$T/err" "sasguard.config = ~nosuchuser/x.ini: cannot be expanded"
has "$T/err" "push rejected"
cd "$S"; expect_exit 2 "$SASGUARD" config --show; cd "$back"
has "$T/err" "cannot be expanded"
git -C "$S" config sasguard.config ""
expect_exit 1 git push "$S" HEAD:main
has "$T/err" "sasguard.config is set but empty"
git -C "$S" config --unset sasguard.config
git reset -q --hard HEAD~1

# pre-receive as well: the server's [allow] path covers the fixture, not its
# copy pushed in a later commit of the same push (the blob is new once).
printf '[allow]\npath = tests/fixtures/**\n' > "$T/server.ini"
git -C "$S" config sasguard.config "$T/server.ini"
mkdir -p tests/fixtures src
PP_LINE=${TOKEN_LINE/ypeBEsob/Pp7qRr8s}
printf '%s\n' "$PP_LINE" > tests/fixtures/pp.cfg; git add tests/fixtures/pp.cfg; git commit -qm fixture --no-verify
cp tests/fixtures/pp.cfg src/pp.cfg; git add src/pp.cfg; git commit -qm copy --no-verify
expect_exit 1 git push "$S" HEAD:main
has "$T/err" "src/pp.cfg:1:7: error"
git reset -q --hard HEAD~1
expect_exit 0 git push -q "$S" HEAD:main
git -C "$S" config --unset sasguard.config

finish
