#!/usr/bin/env bash
# check_transcripts_selftest.sh - the redaction check itself finds what it
# promises: 8 characters in a row of a secret anywhere in it (its start, its
# middle, its end) in any transcript, and accepts the 4 a redacted token shows.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpus=$here/corpus/tokens.tsv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
# a secret of the tests (check_transcripts.sh probes it beside the corpus's)
secret=ypeBEsobvcr6wjGzmiPcTaeG7
# expect LABEL RC TEXT: five transcripts, the last holding TEXT, give RC
expect() {
  rm -f "$tmp"/*.log
  for i in 1 2 3 4; do echo "nothing here $i" >"$tmp/t$i.log"; done
  printf 'error: service SAS at a.txt:1\n  %s\n' "$3" >"$tmp/t5.log"
  bash "$here/check_transcripts.sh" "$tmp" "$corpus" >"$tmp/out" 2>&1
  local rc=$?
  if [ "$rc" != "$2" ]; then
    echo "FAIL: $1: exit $rc, want $2"; sed 's/^/  /' "$tmp/out"; fail=1
  else
    echo "ok: $1"
  fi
}
expect "the redacted form (4 characters)" 0 "https://a.blob.core.windows.net/c/b?sv=2022-11-02&sig=${secret:0:4}..."
expect "7 characters" 0 "sig=${secret:0:7}..."
for start in 0 1 5 9 ${#secret}; do
  [ "$start" -le $((${#secret} - 8)) ] || start=$((${#secret} - 8))
  expect "8 characters from offset $start" 1 "x=${secret:$start:8}..."
done
expect "11 characters" 1 "sig=${secret:0:11}..."
expect "the whole secret" 1 "sig=$secret"
# a corpus key's middle, percent-decoded as the check decodes it
key=$(grep -o 'AccountKey=[A-Za-z0-9+/]\{86\}==' "$corpus" | head -1 | cut -d= -f2)
[ -n "$key" ] || { echo "FAIL: no AccountKey in the corpus"; fail=1; }
expect "8 characters from the middle of a corpus key" 1 "key ${key:40:8} here"
exit $fail
