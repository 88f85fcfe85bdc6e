#!/usr/bin/env bash
# tests/static/cppcheck.sh - cppcheck over lib/ and hook/. Exits non-zero on any
# finding. Justified suppressions (lib/ only) live in cppcheck-suppressions.txt
# beside this script; inline "cppcheck-suppress" comments are honoured too.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
cppcheck --version
cppcheck --enable=warning,style,performance,portability --error-exitcode=1 --inline-suppr \
  --std=c11 -I lib --suppress=missingIncludeSystem \
  --suppressions-list="$here/cppcheck-suppressions.txt" \
  -j "$(nproc 2>/dev/null || echo 2)" --quiet \
  lib/ hook/
echo "cppcheck: clean"
