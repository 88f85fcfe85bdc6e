#!/usr/bin/env bash
# tests/static/clang-tidy.sh - clang-tidy (configuration: .clang-tidy at the top
# of the tree) over lib/*.c, hook/*.c and hook/odb/*.c, with the compile commands of a clang
# build configured in build-tidy/ (SASGUARD_TIDY_BUILD to change it; nothing is
# compiled). Files not yet in the build borrow the flags of their neighbours.
# Exits non-zero on any finding: .clang-tidy makes every warning an error.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SASGUARD_TIDY_BUILD:-$root/build-tidy}
tidy=${CLANG_TIDY:-clang-tidy}
jobs=$(nproc 2>/dev/null || echo 2)
cd "$root"
"$tidy" --version | grep -i version
CC=${CC:-clang} cmake -S "$root" -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# One file per job; each job's report is printed whole when it ends.
if printf '%s\0' lib/*.c hook/*.c hook/odb/*.c | xargs -0 -n 1 -P "$jobs" sh -c '
     out=$("$0" -p "$1" --quiet "$2" 2>/dev/null) && exit 0
     printf "%s\nclang-tidy: findings in %s\n" "$out" "$2" >&2
     exit 1' "$tidy" "$build"; then
  echo "clang-tidy: clean"
else
  exit 1
fi
