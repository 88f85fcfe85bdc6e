#!/bin/sh
# pre-commit-sasguard.sh - the entry of the pre-commit framework's hook id
# sasguard-script (.pre-commit-hooks.yaml): finds sasguard on PATH and runs
# `sasguard pre-commit`, or says how to install it (exit 127).
if command -v sasguard >/dev/null 2>&1; then
  exec sasguard pre-commit "$@"
fi
here=$(cd "$(dirname "$0")/.." 2>/dev/null && pwd)
{
  echo "sasguard: not found on PATH, so this commit was not checked for Azure SAS tokens."
  echo "Install it (Debian/Ubuntu; it builds from source), then commit again:"
  echo "    $here/install.sh"
  echo "or without root, once the Debian packages are there (then add ~/.local/bin to PATH):"
  echo "    $here/install.sh --prefix ~/.local"
} >&2
exit 127
