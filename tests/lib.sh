# lib.sh - shared helpers for the shell tests: a temp dir, assertions that
# say what failed, and a count that decides the exit status.
set -u
SASGUARD=${SASGUARD:?set SASGUARD to the sasguard binary}
SOURCE_DIR=${SOURCE_DIR:?set SOURCE_DIR to the source tree}
T=$(mktemp -d "${TMPDIR:-/tmp}/sasguard-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Work from the temporary directory: nothing around the checkout (its own
# .sasguard.ini, a repository above the build directory) may reach a test.
cd "$T" || exit 1
FAILS=0
CHECKS=0

# The fake signatures of the shared corpus, for redaction checks.
SIG_INCIDENT='ypeBEsobvcr6wjGzmiPcTaeG7%2FgUfE5yuYB3ha%2FuSLs%3D'
INCIDENT_URL="https://robustnessws4285631339.blob.core.windows.net/?sv=2020-08-04&ss=bfqt&srt=sco&sp=rwdlacupitfx&se=2051-10-06T07:09:59Z&st=2021-10-05T23:09:59Z&spr=https,http&sig=$SIG_INCIDENT"
GOOD_URL='https://examplestore.blob.core.windows.net/models/resnet50.pt?sv=2022-11-02&sr=b&sp=r&st=2026-11-22T23:30:00Z&se=2026-11-23T00:30:00Z&spr=https&sig=PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0%3D'
NOW=2026-11-23T00:00:00Z

# SASGUARD_TEST_FAIL_FAST=1 (tests/mutate.sh sets it): the first failure ends the script.
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); [ -z "${SASGUARD_TEST_FAIL_FAST:-}" ] || exit 1; }
pass() { CHECKS=$((CHECKS + 1)); }

# Every command's output is also kept in a transcript per script, which the
# last test (output_redaction) searches for any full secret.
if [ -n "${SASGUARD_TRANSCRIPTS:-}" ]; then
  mkdir -p "$SASGUARD_TRANSCRIPTS"
  TRANSCRIPT=$SASGUARD_TRANSCRIPTS/$(basename "$0" .sh).log
  : > "$TRANSCRIPT"
fi

# expect_exit CODE CMD...: runs CMD, output in $T/out and $T/err.
expect_exit() {
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ -n "${TRANSCRIPT:-}" ]; then
    { printf '$ %s ...\n' "$1"; cat "$T/out" "$T/err"; } >> "$TRANSCRIPT"
  fi
  if [ "$got" != "$want" ]; then
    fail "exit $got, want $want: $*"; sed 's/^/  out: /' "$T/out" | head -20 >&2; sed 's/^/  err: /' "$T/err" | head -20 >&2
  else pass; fi
}

# has FILE TEXT / lacks FILE TEXT: fixed-string checks on a file.
has() { if grep -qF -- "$2" "$1"; then pass; else fail "$1 lacks '$2'"; sed 's/^/  | /' "$1" | head -30 >&2; fi; }
lacks() { if grep -qF -- "$2" "$1"; then fail "$1 holds '$2'"; grep -nF -- "$2" "$1" | head -5 >&2; else pass; fi; }

# No full signature or key of the corpus in a file.
no_secrets() {
  local f=$1 s
  for s in ypeBEsobvcr6wjGzmiPcTaeG7 PiPoFgA5WUoziU9lZOGxNIu9egCI1Cx Ln0sA6lQeuJl7PW1NWiFpTOTogKdJBOUm \
           KvipEEs/ZO1kDYx YsZqel3XDDFGYYBjw0TlMebUtZ43m rKyGwOYJypBvYysOLazMsrd9IrBi GKw%2Bc0PwFokMUQ6T; do
    lacks "$f" "$s"
  done
}

finish() {
  echo "$CHECKS checks passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
