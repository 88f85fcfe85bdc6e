#!/usr/bin/env bash
# test_templates.sh - the CI templates of ci/: each file parsed (PyYAML) and
# held to the keys its platform needs (check_templates.py), then its own
# shell steps run, as the platform would, in clones of a repository whose
# history holds tokens: an old commit of main, another branch, a tag, an
# allowed path. GitHub: the scan step in a full clone (what checkout with
# fetch-depth: 0 gives), its SARIF checked against the schema
# (tests/sarif_check.py). GitLab: the script in a clone of one ref, as the
# runner makes it, then with the before_script's fetch of every ref; the
# SARIF and the secret detection report checked against their schemas, the
# report against git (each vulnerability's commit and path). No secret in
# any file a platform would receive. Skipped (77) without PyYAML
# (python3-yaml; install.sh --deps-only installs it).
PY=
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "test_templates.sh: PyYAML is not installed (python3-yaml); skipped"; exit 77; }
. "$(dirname "$0")/../git/gitlib.sh"

CHECK=$SOURCE_DIR/tests/ci/check_templates.py
GL_CHECK=$SOURCE_DIR/tests/ci/gitlab_report_check.py
SARIF_CHECK=$SOURCE_DIR/tests/sarif_check.py
export GIT_CEILING_DIRECTORIES=$T
# sasguard on PATH, as the templates install it; the converter where the
# GitLab template's source install says it is.
mkdir -p "$T/bin"
ln -s "$SASGUARD" "$T/bin/sasguard"
export PATH="$T/bin:$PATH"
export SASGUARD_TO_GITLAB=$SOURCE_DIR/ci/sarif-to-gitlab.py

# ---- the files, as each platform reads them ------------------------------------------

mkdir -p "$T/gh" "$T/gl"
expect_exit 0 "$PY" "$CHECK" github "$SOURCE_DIR/ci/github/sasguard.yml" "$T/gh"
has "$T/out" "0 failed"
expect_exit 0 "$PY" "$CHECK" gitlab "$SOURCE_DIR/ci/gitlab/sasguard.gitlab-ci.yml" "$T/gl"
has "$T/out" "0 failed"
# The checker fails what a platform would refuse or run wrongly.
sed 's/fetch-depth: 0/fetch-depth: 1/' "$SOURCE_DIR/ci/github/sasguard.yml" > "$T/bad-gh.yml"
expect_exit 1 "$PY" "$CHECK" github "$T/bad-gh.yml" "$T"
has "$T/err" "fetch-depth: 0"
sed 's/security-events: write/security-events: read/' "$SOURCE_DIR/ci/github/sasguard.yml" > "$T/bad-gh.yml"
expect_exit 1 "$PY" "$CHECK" github "$T/bad-gh.yml" "$T"
has "$T/err" "security-events: write"
sed 's/sarif_file: sasguard.sarif/sarif_file: results.sarif/' "$SOURCE_DIR/ci/github/sasguard.yml" > "$T/bad-gh.yml"
expect_exit 1 "$PY" "$CHECK" github "$T/bad-gh.yml" "$T"
has "$T/err" "upload-sarif uploads 'results.sarif', the scan writes 'sasguard.sarif'"
sed 's/secret_detection: gl-secret-detection-report.json/sast: sasguard.sarif/' \
  "$SOURCE_DIR/ci/gitlab/sasguard.gitlab-ci.yml" > "$T/bad-gl.yml"
expect_exit 1 "$PY" "$CHECK" gitlab "$T/bad-gl.yml" "$T"
has "$T/err" "artifacts:reports:secret_detection missing"
sed 's/GIT_DEPTH: "0"/GIT_DEPTH: "20"/' "$SOURCE_DIR/ci/gitlab/sasguard.gitlab-ci.yml" > "$T/bad-gl.yml"
expect_exit 1 "$PY" "$CHECK" gitlab "$T/bad-gl.yml" "$T"
has "$T/err" "GIT_DEPTH"
SARIF=$(cat "$T/gh/sarif")
[ "$SARIF" = "$(cat "$T/gl/sarif")" ] && [ "$SARIF" = sasguard.sarif ] && pass || fail "the templates write $SARIF and $(cat "$T/gl/sarif")"
REPORT=$(cat "$T/gl/report")

# ---- a repository whose history holds tokens ------------------------------------------

S=$T/upstream
git init -q "$S"
cd "$S" || exit 1
echo "# project" > README.md
git add README.md && git commit -qm init
mkdir docs && printf 'Data:\n%s\n' "$TOKEN_LINE" > docs/data.md
git add docs && git commit -qm "docs: the data link"
C_TOKEN=$(git rev-parse HEAD)
git rm -q docs/data.md && git commit -qm "docs: no link"            # main is clean at its tip
mkdir fixtures && printf 'A sample for the parser tests, not a credential:\n%s\n' "$TOKEN_LINE" > fixtures/sample.md
printf '[allow]\npath = fixtures/**\n' > .sasguard.ini
git add fixtures .sasguard.ini && git commit -qm "fixtures (allowed)"
git checkout -q -b feature
printf '%s\n' "$KEY_LINE" > app.cfg
git add app.cfg && git commit -qm "feature: connection string"
C_KEY=$(git rev-parse HEAD)
git checkout -q main
git checkout -q --orphan release
git rm -rq --cached . && rm -rf docs fixtures app.cfg .sasguard.ini README.md
printf 'Mirror:\n%s\n' "$TOKEN_LINE" | sed 's/^url = /mirror = /' > mirror.md
git add mirror.md && git commit -qm "release notes"
C_TAG=$(git rev-parse HEAD)
git tag -a v1 -m v1
git checkout -q main
git branch -D -q release                                            # the tag alone reaches it
cd "$T" || exit 1

# ---- GitHub: the scan step in a full clone ---------------------------------------------

W=$T/github
git clone -q "$S" "$W"
cd "$W" || exit 1
expect_exit 1 bash -e "$T/gh/scan.sh"
[ -s "$W/$SARIF" ] && pass || fail "the GitHub scan step wrote no $SARIF"
# one result per token and rule: the token of docs/data.md and mirror.md (4 rules;
# mirror.md a related place), app.cfg (account-key), fixtures (4 rules, suppressed)
expect_exit 0 "$PY" "$SARIF_CHECK" "$W/$SARIF" 9
"$PY" - "$W/$SARIF" > "$T/gh-results" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["runs"][0]["results"]:
    loc = r["locations"][0]["physicalLocation"]
    print(r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"], r["properties"]["commit"],
          "suppressed" if r.get("suppressions") else "open")
    for rl in r.get("relatedLocations", []):
        loc = rl["physicalLocation"]
        print("related", r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"], rl["message"]["text"])
EOF
has "$T/gh-results" "account-sas docs/data.md 2 $C_TOKEN open"
has "$T/gh-results" "account-key app.cfg 1 $C_KEY open"
has "$T/gh-results" "related account-sas mirror.md 2 the same token, commit ${C_TAG:0:12}"
has "$T/gh-results" "account-sas fixtures/sample.md 2"
grep -c 'fixtures/sample.md .* suppressed$' "$T/gh-results" | grep -qx 4 && pass || fail "the allowed path is not suppressed"
no_secrets "$W/$SARIF"
cd "$T" || exit 1

# ---- GitLab: the runner's clone of one ref, then every ref -----------------------------

W=$T/gitlab
git init -q "$W"
cd "$W" || exit 1
git remote add origin "$S"
git fetch -q origin +refs/heads/main:refs/remotes/origin/main
git checkout -q --detach origin/main
# Without the before_script's fetch: only main's history (the token of
# docs/data.md), neither the branch nor the tag.
expect_exit 1 bash -eo pipefail "$T/gl/script.sh"
expect_exit 0 "$PY" "$GL_CHECK" "$W/$REPORT" 1
rm -f "$SARIF" "$REPORT"
expect_exit 0 bash -eo pipefail "$T/gl/fetch.sh"
expect_exit 1 bash -eo pipefail "$T/gl/script.sh"
[ -s "$W/$SARIF" ] && [ -s "$W/$REPORT" ] && pass || fail "the GitLab script wrote no $SARIF or $REPORT"
expect_exit 0 "$PY" "$SARIF_CHECK" "$W/$SARIF" 9
# One vulnerability per token found, the allowed one left out and said.
expect_exit 0 "$PY" "$GL_CHECK" "$W/$REPORT" 2
"$PY" - "$W/$REPORT" > "$T/gl-vulns" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("scan", d["scan"]["status"], d["scan"]["analyzer"]["id"], d["scan"]["scanner"]["version"])
for m in d["scan"].get("messages", []):
    print("message", m["level"], m["value"])
for v in d["vulnerabilities"]:
    loc = v["location"]
    print(v["identifiers"][0]["value"], loc["file"], loc["start_line"], loc["commit"]["sha"], v["severity"],
          ",".join(i["value"] for i in v["identifiers"][1:]))
EOF
has "$T/gl-vulns" "scan success sasguard $("$SASGUARD" --version | sed -n '1s/^sasguard //p')"
has "$T/gl-vulns" "account-sas docs/data.md 2 $C_TOKEN Critical account-sas,permissions,lifetime,http"
has "$T/gl-vulns" "storage-account-key app.cfg 1 $C_KEY Critical account-key"
grep -qF "Also at 1 other place: mirror.md:2 (the same token, commit ${C_TAG:0:12})" "$W/$REPORT" && pass \
  || fail "the token's other place is not in its vulnerability"
has "$T/gl-vulns" "message info 1 allowed finding (sasguard allowances) left out"
lacks "$T/gl-vulns" "fixtures"
no_secrets "$W/$SARIF"
no_secrets "$W/$REPORT"
# Each vulnerability's commit holds its file.
for c_f in "$C_TOKEN docs/data.md" "$C_KEY app.cfg"; do
  set -- $c_f
  git -C "$W" cat-file -e "$1:$2" 2>/dev/null && pass || fail "commit $1 has no $2"
done

# A scan that did not finish is a failed scan in GitLab, with a message.
expect_exit 0 "$PY" "$SASGUARD_TO_GITLAB" --sasguard-exit 3 "$W/$SARIF" "$T/partial.json"
expect_exit 0 "$PY" "$GL_CHECK" "$T/partial.json" 2
has "$T/partial.json" '"status": "failure"'
has "$T/partial.json" "sasguard exited 3: the scan is incomplete"
# Input that is not sasguard's SARIF is refused, exit 2.
printf '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"other"}}}]}\n' > "$T/other.sarif"
expect_exit 2 "$PY" "$SASGUARD_TO_GITLAB" "$T/other.sarif"
has "$T/err" "not sasguard's SARIF"
expect_exit 2 "$PY" "$SASGUARD_TO_GITLAB" --start yesterday "$W/$SARIF"
has "$T/err" "--start wants YYYY-MM-DDTHH:MM:SS"

# A clean history: exit 0, an empty report GitLab still accepts.
C=$T/clean
git init -q "$C"
cd "$C" || exit 1
echo hello > a.txt && git add a.txt && git commit -qm a
expect_exit 0 bash -eo pipefail "$T/gl/script.sh"
expect_exit 0 "$PY" "$GL_CHECK" "$C/$REPORT" 0
expect_exit 0 "$PY" "$SARIF_CHECK" "$C/$SARIF" 0
cd "$T" || exit 1

finish
