#!/usr/bin/env bash
# test_help.sh - `sasguard --help` and the man page doc/sasguard.1 agree: every
# option and mode word of --help is in the man page, every option the man
# page's OPTIONS section describes is in --help; the page renders without a
# warning; --version names sasguard and the libraries it runs with.
. "$(dirname "$0")/../lib.sh"

MAN_PAGE=$SOURCE_DIR/doc/sasguard.1

expect_exit 0 "$SASGUARD" --help
cp "$T/out" "$T/help"
has "$T/help" "usage: sasguard pre-commit"
expect_exit 0 "$SASGUARD" -h
cmp -s "$T/out" "$T/help" && pass || fail "-h prints something other than --help"
expect_exit 2 "$SASGUARD"
cmp -s "$T/err" "$T/help" && pass || fail "sasguard without arguments: not the usage text on stderr"

# Options: -x or --name, standing alone (not the "-commit" of pre-commit).
options_in() { grep -oE '(^|[][[:space:](|,="])--?[a-zA-Z][a-zA-Z0-9-]*' "$1" | sed -E 's/^[^-]+//' | sort -u; }
# The man page's source as text: \- is -, fonts and zero-width escapes gone.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\(aq/'"'"'/g' -e 's/\\(dq/"/g' \
  "$MAN_PAGE" > "$T/man.txt"
in_man() { grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)" "$T/man.txt"; }

options_in "$T/help" > "$T/help-options"
# The mode words: what follows "sasguard" in the usage lines.
sed -nE 's/^(usage:)? +sasguard ([^ ]+).*/\2/p' "$T/help" | sort -u > "$T/help-modes"
for w in pre-commit pre-receive --all-history scan config --help --version; do
  grep -qxF -- "$w" "$T/help-modes" "$T/help-options" && pass || fail "--help does not show '$w'"
done
# The baseline options (hook/main.c's usage text must list them).
for o in --baseline --write-baseline; do
  grep -qxF -- "$o" "$T/help-options" && pass || fail "--help lacks $o: add it to the usage text in hook/main.c"
done

missing=$(cat "$T/help-options" "$T/help-modes" | sort -u | while read -r w; do in_man "$w" || echo "$w"; done)
[ -z "$missing" ] && pass || fail "shown by --help but not in doc/sasguard.1: $(echo $missing)"

# The options the man page describes: the tags (the line after .TP) of its OPTIONS section.
awk '/^\.SH /{ on = ($2 == "OPTIONS") } on && tag { print; tag = 0 } on && /^\.TP/{ tag = 1 }' "$T/man.txt" \
  > "$T/man-tags"
options_in "$T/man-tags" > "$T/man-options"
[ "$(wc -l < "$T/man-options")" -ge 10 ] && pass || fail "doc/sasguard.1: too few options found in OPTIONS: $(cat "$T/man-options")"
extra=$(comm -23 "$T/man-options" "$T/help-options")
[ -z "$extra" ] && pass || fail "in the OPTIONS of doc/sasguard.1 but not shown by --help: $(echo $extra)"
# And every option of --help (not the mode words) is described there.
absent=$(comm -13 "$T/man-options" "$T/help-options" | grep -vxE -- '--(help|version|all-history|show)')
[ -z "$absent" ] && pass || fail "shown by --help but not described in the OPTIONS of doc/sasguard.1: $(echo $absent)"

# The page renders, at 80 columns, without a single warning.
if command -v man >/dev/null 2>&1; then
  warnings=$(MANWIDTH=80 man --warnings -l "$MAN_PAGE" 2>&1 >/dev/null)
  MANWIDTH=80 man -l "$MAN_PAGE" 2>/dev/null | col -bx > "$T/man.rendered"
elif command -v groff >/dev/null 2>&1; then
  warnings=$(groff -t -man -ww -Tutf8 -z "$MAN_PAGE" 2>&1)
  groff -t -man -Tascii -P-c -P-b -P-u "$MAN_PAGE" > "$T/man.rendered" 2>/dev/null
else
  fail "neither man nor groff is installed (install.sh --deps-only installs man-db)"
  warnings=; : > "$T/man.rendered"
fi
[ -z "$warnings" ] && pass || fail "doc/sasguard.1 renders with warnings: $warnings"
for s in NAME SYNOPSIS DESCRIPTION MODES OPTIONS POLICY RULES ALLOWANCES "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
  grep -qx "$s" "$T/man.rendered" && pass || fail "the rendered man page has no section $s"
done
has "$T/man.rendered" "SASGUARD(1)"
# The rules table (tbl) came out as a table.
grep -qE '^ +account-sas +error +an account SAS' "$T/man.rendered" && pass || fail "the rules table did not render"
for r in account-sas permissions lifetime http scope ip-unrestricted stored-policy account-key unparseable; do
  grep -qE "^ +$r +(error|warning|off) " "$T/man.rendered" && pass || fail "rule $r missing from the RULES table"
done
for e in SASGUARD_SYSTEM_CONFIG XDG_CONFIG_HOME NO_COLOR GIT_DIR GIT_INDEX_FILE GIT_QUARANTINE_PATH; do
  has "$T/man.rendered" "$e"
done
has "$T/man.rendered" "githooks(5)"

# --version: sasguard's version (the one the man page names), then the libraries.
expect_exit 0 "$SASGUARD" --version
version=$(sed -n '1s/^sasguard \([0-9][0-9.]*\)$/\1/p' "$T/out")
[ -n "$version" ] && pass || fail "--version: first line is not 'sasguard X.Y.Z': $(head -1 "$T/out")"
grep -qE '^libgit2 [0-9]+\.[0-9]+\.[0-9]+, PCRE2 [0-9]+\.[0-9]+.*, inih [0-9]+, OpenSSL [0-9]+\.[0-9]+\.[0-9]+' "$T/out" \
  && pass || fail "--version: no 'libgit2 X.Y.Z, PCRE2 X.Y, inih N, OpenSSL X.Y.Z' line: $(cat "$T/out")"
grep -q "^\.TH SASGUARD 1 .*\"sasguard $version\"" "$MAN_PAGE" && pass \
  || fail "doc/sasguard.1 .TH names another version than sasguard --version ($version)"
expect_exit 0 "$SASGUARD" version

finish
