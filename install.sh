#!/usr/bin/env bash
# install.sh - install sasguard on Debian/Ubuntu: the build dependencies (apt),
# a CMake build, the binary, library, header and default policy.
#
#   ./install.sh                  build and install to /usr/local (policy: /etc/sasguard.ini)
#   ./install.sh --prefix DIR     install under DIR, no root needed (policy: DIR/etc/sasguard.ini)
#   ./install.sh --deps-only      only install the Debian packages the build and tests need
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=/usr/local
deps_only=0
build_dir=${SASGUARD_BUILD_DIR:-$here/build}

# Debian packages: the build, the libraries, and what the tests drive.
packages=(cmake make gcc pkg-config libgit2-dev libpcre2-dev libinih-dev libssl-dev git python3)

die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --deps-only) deps_only=1; shift ;;
    -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done

# Runs a command as root: directly, or through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (or use --prefix DIR and install the packages yourself)"
  fi
}

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install: ${missing[*]}"
  echo "install.sh: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_packages
[ "$deps_only" -eq 1 ] && exit 0

case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
sysconfdir=$prefix/etc
if [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; then sysconfdir=/etc; fi

cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSASGUARD_TESTS=OFF \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_SYSCONFDIR="$sysconfdir" >/dev/null
cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

run() { if [ -w "$prefix" ] || { [ ! -e "$prefix" ] && mkdir -p "$prefix" 2>/dev/null; }; then "$@"; else as_root "$@"; fi; }
run cmake --install "$build_dir" >/dev/null
# The default policy, without overwriting one an administrator has edited.
if [ ! -e "$sysconfdir/sasguard.ini" ]; then
  run install -D -m 644 "$here/config/sasguard.ini" "$sysconfdir/sasguard.ini"
fi

echo "install.sh: installed $prefix/bin/sasguard (policy: $sysconfdir/sasguard.ini)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "install.sh: add $prefix/bin to PATH" ;; esac
