#!/usr/bin/env bash
# test_report_html.sh - --format html in a real browser: an audit of generated
# repositories opened from disk in headless Chromium, which must run its
# script without any console error or blocked load, and show the expected
# rows (live blocking first, one row per token) in the expected order.
. "$(dirname "$0")/gitlib.sh"

CHROME=$(command -v chromium || command -v chromium-browser || true)

# Three repositories: the incident's README (one token, 156 places), one with
# an account key and an expired token, and a clean one.
A=$T/repos/robust-models; B=$T/repos/service; C=$T/repos/clean
git init -q "$A"; git init -q "$B"; git init -q "$C"
{ echo "# models"; for i in $(seq 156); do echo "wget \"$INCIDENT_URL\" -O model$i.pt"; done; } > "$A/README.md"
git -C "$A" add README.md; git -C "$A" commit -qm models
printf '%s\n%s\n' "$KEY_LINE" "$EXPIRED_LINE" > "$B/conf.py"
# the same key again, at a hostile path: markup in a file name stays text
printf '%s\n' "$KEY_LINE" > "$B/<b>x.txt"
git -C "$B" add .; git -C "$B" commit -qm conf
echo clean > "$C/a.txt"; git -C "$C" add a.txt; git -C "$C" commit -qm clean

H=$T/audit.html
expect_exit 1 "$SASGUARD" --all-history --format html --output "$H" --now "$NOW" "$T/repos"
no_secrets "$H"
# self-contained: nothing to fetch, no way to fetch it
lacks "$H" " src="
lacks "$H" "href="
lacks "$H" "url("
lacks "$H" "@import"
has "$H" "Content-Security-Policy"
lacks "$H" "<b>x.txt"
has "$H" "&lt;b&gt;x.txt"
[ "$(grep -o '<tr class="st[0-9]' "$H" | wc -l)" = 3 ] && pass || fail "three token rows (one per token)"
# the JSON of the same audit knows the same tokens
"$SASGUARD" --all-history --format json --now "$NOW" "$T/repos" > "$T/audit.json"
python3 - "$T/audit.json" "$H" <<'PY' && pass || fail "HTML rows match the JSON findings"
import json, re, sys
d = json.load(open(sys.argv[1]))
html = open(sys.argv[2]).read()
rows = re.findall(r'<tr class="st\d" data-status="([^"]+)" data-fingerprint="([0-9a-f]{32})"', html)
assert sorted(fp for _, fp in rows) == sorted(f["fingerprint"] for f in d["findings"]), rows
# live blocking first
order = [s for s, _ in rows]
assert order == ["live blocking"] * 2 + ["expired"], order
PY

if [ -z "$CHROME" ] && [ -n "${SASGUARD_REQUIRE_CHROMIUM:-}" ]; then
  fail "no chromium, and SASGUARD_REQUIRE_CHROMIUM is set (CI installs it: .ci/run)"
  finish; exit 1
elif [ -z "$CHROME" ]; then
  echo "SKIP: no chromium (apt-get install -y chromium); the browser checks did not run"
  finish || exit 1
  exit 77
fi

# dump URL OUT: the DOM after the page's scripts ran, and Chromium's console
# messages (any message of the page's is a failure).
dump() {
  "$CHROME" --headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$T/chrome" \
    --enable-logging=stderr --v=0 --dump-dom "$1" > "$2" 2> "$2.log"
  if grep -F 'CONSOLE' "$2.log" | grep -F "file://" > "$2.console"; then
    fail "console messages on $1:"; sed 's/^/  | /' "$2.console" >&2
  else pass; fi
  grep -q 'data-sg-ready="1"' "$2" && pass || fail "the page's script did not finish on $1"
  if grep -q '<html[^>]*data-sg-error' "$2"; then fail "errors on $1: $(grep -o 'data-sg-error="[^"]*"' "$2")"; else pass; fi
}

dump "file://$H" "$T/dom.html"
has "$T/dom.html" "3 of 3 tokens shown"
python3 - "$T/dom.html" <<'PY' && pass || fail "rows in the browser's DOM"
import re, sys
dom = open(sys.argv[1]).read()
tokens = dom[dom.index('id="sg-tokens"'):]
tokens = tokens[:tokens.index("</table>")]
rows = re.findall(r'<tr class="st\d" data-status="([^"]+)"[^>]*>(.*?)</tr>', tokens, re.S)
assert len(rows) == 3, len(rows)
assert rows[0][0] == "live blocking" and "robustnessws4285631339" in rows[0][1] and ">156<" in rows[0][1], rows[0]
assert rows[2][0] == "expired"
# the key of two files: one row, both places, the hostile name as text
assert rows[1][0] == "live blocking" and ">2<" in rows[1][1] and "&lt;b&gt;x.txt:1:9" in rows[1][1], rows[1]
rev = dom[dom.index('id="sg-revoke"'):]
rev = rev[:rev.index("</table>")]
assert rev[rev.index("<tbody>"):].count("<tr>") == 2 and "robustnessws4285631339" in rev and "acct5" in rev, rev
repos = dom[dom.index('id="sg-repos"'):]
assert repos[:repos.index("</table>")].count("<tr") == 4  # the header and three repositories
PY

# The view a link carries: a filter, and a sort the script applies.
dump "file://$H#status=expired" "$T/dom2.html"
has "$T/dom2.html" "1 of 3 tokens shown"
python3 - "$T/dom2.html" <<'PY' && pass || fail "filtered by status"
import re, sys
dom = open(sys.argv[1]).read()
rows = re.findall(r'<tr class="st\d" data-status="([^"]+)"[^>]*?( hidden="")?>', dom)
assert [s for s, h in rows if not h] == ["expired"], rows
PY
dump "file://$H#sort=5" "$T/dom3.html"
python3 - "$T/dom3.html" <<'PY' && pass || fail "sorted by places, ascending"
import re, sys
dom = open(sys.argv[1]).read()
tokens = dom[dom.index('id="sg-tokens"'):]
places = [int(p) for p in re.findall(r'<td class="n" data-v="(\d+)">', tokens[:tokens.index("</table>")])]
assert places == sorted(places) and places[-1] == 156, places
assert 'aria-sort="ascending"' in tokens
PY

finish
