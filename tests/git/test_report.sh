#!/usr/bin/env bash
# test_report.sh - one token, one finding: the places a token was seen are its
# locations in every mode and format; the summary counts tokens and places and
# groups live blocking tokens by the one action that revokes them; hooks stay terse.
. "$(dirname "$0")/gitlib.sh"

# The incident's shape: one account SAS copied onto 156 lines of one README,
# twice more in another file, and a storage key of another account.
R=$T/incident
git init -q "$R"
cd "$R"
{ echo "# models"; for i in $(seq 156); do echo "wget \"$INCIDENT_URL\" -O model$i.pt"; done; } > README.md
printf 'a %s\nb %s\n' "$INCIDENT_URL" "$INCIDENT_URL" > more.md
git add README.md more.md; git commit -qm "models"
intro=$(git rev-parse HEAD)
printf '%s\n' "$KEY_LINE" > conf.py; git add conf.py; git commit -qm "config"

expect_exit 1 "$SASGUARD" --all-history --now "$NOW" "$R"
[ "$(grep -c 'error: account SAS for robustnessws4285631339' "$T/out")" = 1 ] && pass || fail "the token's block is not shown once"
[ "$(grep -c '^  fingerprint: ' "$T/out")" = 2 ] && pass || fail "two tokens, two blocks"
has "$T/out" "${intro:0:12}:README.md:2:7: error: account SAS for robustnessws4285631339"
has "$T/out" "  at 158 places, also:"
has "$T/out" "    ${intro:0:12}:README.md:3:7"
has "$T/out" "    and 154 more (--show-all-locations lists them)"
lacks "$T/out" "README.md:6:7"
has "$T/out" "(2 tokens at 159 places)"
has "$T/out" "sasguard: 2 errors, 0 warnings, 0 info, 0 allowed"
# revocation, once per account
has "$T/out" "sasguard: live blocking tokens, by the one action that revokes them:"
has "$T/out" "  robustnessws4285631339: 1 token at 158 places, live until 2051-10-06T07:09:59Z"
has "$T/out" "  acct5: 1 token at 1 place, live with no expiry in the token"
[ "$(grep -c 'az storage account keys renew --account-name robustnessws4285631339' "$T/out")" = 2 ] && pass \
  || fail "the account's action: once in its block, once in the summary"
no_secrets "$T/out"

expect_exit 1 "$SASGUARD" --all-history --show-all-locations --now "$NOW" "$R"
[ "$(grep -c "^    ${intro:0:12}:" "$T/out")" = 157 ] && pass || fail "--show-all-locations: every other place"
lacks "$T/out" "more (--show-all-locations"
has "$T/out" "    ${intro:0:12}:more.md:2:3"

# JSON: one finding per token, its places in order; stats count both.
expect_exit 1 "$SASGUARD" --all-history --format json --now "$NOW" "$R"
no_secrets "$T/out"
python3 - "$T/out" "$intro" <<'PY' && pass || fail "JSON locations"
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["kind"] == "account-sas"]
assert len(f) == 1 and len(d["findings"]) == 2, [x["path"] for x in d["findings"]]
f = f[0]
locs = f["locations"]
assert len(locs) == 158 == f["places"], len(locs)
assert locs[0] == {"path": f["path"], "line": f["line"], "column": f["column"], "commit": f["commit"], "note": None}, locs[0]
assert [l["line"] for l in locs[:156]] == list(range(2, 158)), "README places in line order"
assert all(l["path"] == "README.md" for l in locs[:156]) and [l["path"] for l in locs[156:]] == ["more.md"] * 2
assert all(l["commit"] == sys.argv[2] for l in locs)
s = d["stats"]
assert (s["findings"], s["places"], s["blocking"], s["tokens"]) == (2, 159, 2, 159), s
rv = {r["account"]: r for r in d["revoke"]}
assert set(rv) == {"robustnessws4285631339", "acct5"}, rv
assert rv["robustnessws4285631339"]["tokens"] == 1 and rv["robustnessws4285631339"]["places"] == 158
assert rv["robustnessws4285631339"]["until"] == "2051-10-06T07:09:59Z" and rv["acct5"]["until"] is None
assert "keys renew --account-name robustnessws4285631339" in rv["robustnessws4285631339"]["action"]
PY

# SARIF: one result per token and rule, the other places related.
expect_exit 1 "$SASGUARD" --all-history --format sarif --now "$NOW" "$R"
python3 "$SOURCE_DIR/tests/sarif_check.py" "$T/out" && pass || fail "SARIF against the schema"
python3 - "$T/out" <<'PY' && pass || fail "SARIF results per token and rule"
import json, sys
res = json.load(open(sys.argv[1]))["runs"][0]["results"]
sas = [r for r in res if r["properties"]["kind"] == "account-sas"]
assert sorted(r["ruleId"] for r in sas) == sorted(["account-sas", "permissions", "lifetime", "http"]), [r["ruleId"] for r in sas]
for r in sas:
    assert len(r["locations"]) == 1 and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    rel = r["relatedLocations"]
    assert len(rel) == 157 and len({x["id"] for x in rel}) == 157
    assert rel[0]["physicalLocation"]["region"]["startLine"] == 3
    assert r["properties"]["places"] == 158
key = [r for r in res if r["properties"]["kind"] == "storage-account-key"]
assert len(key) == 1 and "relatedLocations" not in key[0]
PY

# scan FILES: the same grouping across files.
expect_exit 1 "$SASGUARD" scan --now "$NOW" README.md more.md
[ "$(grep -c 'error: account SAS' "$T/out")" = 1 ] && pass || fail "scan: one block"
has "$T/out" "README.md:2:7: error: account SAS"
has "$T/out" "  at 158 places, also:"
has "$T/out" "(1 token at 158 places)"

# What revokes: a user delegation SAS's account's delegation keys (both
# tokens at once), a stored access policy (its own line).
UD='https://acme.blob.core.windows.net/data/x.csv?sp=rwd&st=2026-11-22T00:00:00Z&se=2026-11-28T00:00:00Z&skoid=11111111-2222-3333-4444-555555555555&sktid=66666666-7777-8888-9999-000000000000&skt=2026-11-22T00:00:00Z&ske=2026-11-28T00:00:00Z&sks=b&skv=2022-11-02&spr=https&sv=2022-11-02&sr=b&sig='
printf 'a %sP3m7e0NbBTIWUdrv03TNxoHcBvqmXjdOODN7iMoEbeo%%3D\nb %sQ3m7e0NbBTIWUdrv03TNxoHcBvqmXjdOODN7iMoEbeo%%3D\n' "$UD" "$UD" > ud.md
echo 'c https://acme.blob.core.windows.net/data/x.csv?sv=2022-11-02&si=readers&sr=b&spr=https&sp=rwd&sig=JS8QyDYQ68oaBZwLroJV66L5W%2BTR17z6idckioLZ8RE%3D' >> ud.md
expect_exit 1 "$SASGUARD" scan --now "$NOW" ud.md
has "$T/out" "  acme: 2 tokens at 2 places, live until 2026-11-28T00:00:00Z"
has "$T/out" "    Revoke the user delegation keys of the account"
has "$T/out" "  acme: 1 token at 1 place, live with no expiry in the token"
has "$T/out" "    Delete or change the stored access policy 'readers'"
[ "$(grep -c '^  acme: ' "$T/out")" = 2 ] && pass || fail "two actions for acme"

# A token allowed on one line and not on another: two findings, one blocks.
printf 'x %s\ny %s # sasguard:allow test fixture\n' "$INCIDENT_URL" "$INCIDENT_URL" > mixed.md
expect_exit 1 "$SASGUARD" scan --format json --now "$NOW" mixed.md
python3 - "$T/out" <<'PY' && pass || fail "allowed and blocking places of one token"
import json, sys
d = json.load(open(sys.argv[1]))
f = sorted(d["findings"], key=lambda x: x["line"])
assert len(f) == 2 and f[0]["blocking"] and not f[1]["blocking"] and f[1]["allowed"]["by"] == "inline", f
assert d["stats"]["blocking"] == 1
PY

# Several repositories: the same account's tokens in both, revoked once.
R2=$T/other
git init -q "$R2"
printf 'u = %s\n' "$INCIDENT_URL" > "$R2/u.txt"
git -C "$R2" add u.txt; git -C "$R2" commit -qm u
expect_exit 1 "$SASGUARD" --all-history --now "$NOW" "$R" "$R2"
has "$T/out" "  robustnessws4285631339: 2 tokens at 159 places in $R, $R2, live until 2051-10-06T07:09:59Z"
has "$T/out" "$R2: "
[ "$(grep -c 'error: account SAS for robustnessws4285631339' "$T/out")" = 2 ] && pass || fail "one finding per repository"
expect_exit 1 "$SASGUARD" --all-history --format json --now "$NOW" "$R" "$R2"
python3 - "$T/out" "$R" "$R2" <<'PY' && pass || fail "audit JSON"
import json, sys
d = json.load(open(sys.argv[1]))
rv = [r for r in d["revoke"] if r["account"] == "robustnessws4285631339"]
assert len(rv) == 1 and rv[0]["repositories"] == sys.argv[2:] and rv[0]["tokens"] == 2, rv
repos = {r["path"]: r for r in d["repositories"]}
assert (repos[sys.argv[2]]["findings"], repos[sys.argv[2]]["places"]) == (2, 159), repos
PY

# Hooks stay terse: each blocking token once, where and why, and nothing else.
C=$T/client
new_repo "$C"
cd "$C"
printf '%s\n%s\n%s\n' "$TOKEN_LINE" "$TOKEN_LINE" "$TOKEN_LINE" > a.md
git add a.md
expect_exit 1 git commit -qm "three copies"
[ "$(grep -c 'error: account SAS' "$T/err")" = 1 ] && pass || fail "pre-commit: one block"
has "$T/err" "  at 3 places, also:"
has "$T/err" "    a.md:2:7"
lacks "$T/err" "revokes them"
lacks "$T/err" "--show-all-locations"

S=$T/server.git
new_server "$S"
P=$T/pusher
git init -q "$P"
cd "$P"
echo base > base.txt; git add base.txt; git commit -qm base
hook_off "$S"; git push -q "$S" main; hook_on "$S"
for i in 1 2 3 4 5 6; do printf "%s\nfile $i\n" "$TOKEN_LINE" > "f$i.md"; git add "f$i.md"; git commit -qm "f$i"; done
expect_exit 1 git push "$S" main
[ "$(grep -c 'error: account SAS' "$T/err")" = 1 ] && pass || fail "pre-receive: one block"
has "$T/err" "at 6 places, also:"
has "$T/err" "and 2 more"
lacks "$T/err" "revokes them"
lacks "$T/err" "--show-all-locations"
no_secrets "$T/err"

finish
