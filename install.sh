#!/usr/bin/env bash
# install.sh - install sasguard on Debian/Ubuntu (the build dependencies, a
# CMake build, the binary, library, header, pkg-config file, man page and
# default policy), and put its hooks into repositories and servers.
# `install.sh --help` describes every command; the hook scripts it writes are
# marked "# installed by sasguard" so that it recognises them later.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=/usr/local
prefix_set=0
deps_only=0
gitolite=0
repo_specific=0
build_dir=${SASGUARD_BUILD_DIR:-$here/build}

# Debian packages: the build, the libraries, and what the tests drive.
packages=(cmake make gcc pkg-config libgit2-dev libpcre2-dev libinih-dev libssl-dev zlib1g-dev git python3)
# What only the tests need (--deps-only, which tests/run.sh and CI use): the
# pre-commit framework, man to render the man page, what builds and checks the
# Debian package (cpack's dpkg-shlibdeps and file, lintian), and PyYAML for
# the CI templates.
test_packages=(pre-commit man-db dpkg-dev file lintian python3-yaml)

MARK='# installed by sasguard'
CLIENT_HOOKS=(pre-commit pre-merge-commit)

usage() {
  cat <<'EOF'
usage: install.sh [--prefix DIR]                       build and install sasguard
       install.sh --deps-only                          only the Debian packages (build and tests)
       install.sh [--prefix DIR] hook [REPO]           protect a repository (pre-commit hooks)
       install.sh [--prefix DIR] global                protect every repository of this user
       install.sh [--prefix DIR] server BARE_REPO...   protect a server repository (pre-receive)
       install.sh [--prefix DIR] server --gitolite [--repo-specific] [GITOLITE_HOME]
                                                       protect the repositories of a gitolite server
       install.sh [--prefix DIR] uninstall [hook [REPO] | global | server BARE_REPO...]
       install.sh uninstall server --gitolite [GITOLITE_HOME]

Installing sasguard (no command):
  Installs the Debian packages the build needs (apt-get; sudo when not root),
  builds with CMake in $SASGUARD_BUILD_DIR (default: build/ beside this script)
  and installs, under PREFIX (default /usr/local):
    bin/sasguard, lib/libsasguard.a, include/sasguard.h,
    lib/pkgconfig/sasguard.pc, share/man/man1/sasguard.1
  and the default policy as /etc/sasguard.ini (PREFIX/etc/sasguard.ini for
  other prefixes), never overwriting one that is already there.
  --prefix DIR      install under DIR; no root needed once the packages are there
  --deps-only       install the packages the build and the tests need, nothing else
  -h, --help        this text

The hooks (hook, global, server) run the sasguard installed under --prefix
DIR when it is given, else the one on PATH, else /usr/local/bin/sasguard.

hook [REPO]
  Installs pre-commit and pre-merge-commit hooks that run `sasguard pre-commit`
  into REPO (default: the repository holding the current directory): into the
  directory git runs hooks from (`git rev-parse --git-path hooks`), which
  honours core.hooksPath and linked worktrees. A hook already there that is not
  sasguard's is kept as <hook>.sasguard-prev and runs after sasguard (the first
  failure wins). Running it again changes nothing. The hooks call sasguard by
  name when that name finds the installed binary on PATH, else by its path.
  A hook tracked in the repository is never rewritten. Under husky
  (core.hooksPath .husky/_) it installs, and says how to keep it there.
  With the pre-commit framework, use instead the hook id sasguard of
  .pre-commit-hooks.yaml in .pre-commit-config.yaml.

global
  Protects every repository of the current user: writes the same two hooks to
  $XDG_CONFIG_HOME/sasguard/hooks (default ~/.config/sasguard/hooks) and sets
  `git config --global core.hooksPath` to that directory. A core.hooksPath
  turns off each repository's own .git/hooks, so these hooks run the
  repository's own .git/hooks/<hook> after sasguard. Refuses when the global
  core.hooksPath already names another directory. A repository's own
  core.hooksPath (husky, ...) takes precedence over the global one.

server BARE_REPO...
  Installs a pre-receive hook that runs `sasguard pre-receive`, by absolute
  path, in each repository:
    plain git     hooks/pre-receive; a pre-receive already there is kept as
                  pre-receive.sasguard-prev and runs after sasguard with the
                  same input
    GitLab        custom_hooks/pre-receive.d/sasguard when the repository has
                  custom_hooks/ (or is a GitLab repository: gitlab.fullpath
                  in its config, or @hashed storage); GitLab ignores hooks/
    Gitea/Forgejo hooks/pre-receive.d/sasguard when hooks/pre-receive.d/
                  exists; Gitea's own hooks/pre-receive is never edited
  The server's policy: /etc/sasguard.ini, or a file the repository's git
  config names: git config -f BARE_REPO/config sasguard.config /etc/sasguard/repo.ini

server --gitolite [--repo-specific] [GITOLITE_HOME]
  gitolite owns its repositories' hooks (it keeps update, its access control,
  for itself, and links its common hooks into every repository), so the hook
  goes where gitolite takes it from. GITOLITE_HOME (default: $HOME) is the home
  of the user gitolite runs as, holding .gitolite.rc; gitolite is run as that
  user (setpriv when root), never as root.
    common hook   (the default) LOCAL_CODE/hooks/common/pre-receive, or
                  ~/.gitolite/hooks/common/pre-receive when .gitolite.rc sets no
                  LOCAL_CODE, then `gitolite setup --hooks-only`: every
                  repository runs it, and every repository created later. A
                  common pre-receive already there is chained as above. Refused
                  when a repository has a pre-receive of its own or
                  repo-specific pre-receive hooks, which gitolite would replace.
    --repo-specific
                  LOCAL_CODE/hooks/repo-specific/sasguard, for the
                  repo-specific-hooks feature (enabled in .gitolite.rc); then
                  name it per repository in gitolite.conf and push gitolite-admin:
                      repo foo
                          option hook.pre-receive = sasguard
  A repository's policy: 'config sasguard.config = FILE' in gitolite.conf
  (with sasguard\.config in GIT_CONFIG_KEYS), and for push options
  'config receive.advertisePushOptions = true'.

uninstall hook [REPO] | global | server BARE_REPO... | server --gitolite [GITOLITE_HOME]
  Removes what the matching command installed (for gitolite: the common and
  the repo-specific hook, then gitolite setup --hooks-only and the links left
  to them in the repositories), restoring a hook it had kept
  as <hook>.sasguard-prev, and (global) unsets core.hooksPath.
uninstall
  Removes the installed files under PREFIX (binary, library, header,
  pkg-config file, man page). The policy file is left where it is.

Every command says what it did, and fails with a message and a non-zero
exit status when it cannot (not a repository, no sasguard installed, ...).
Environment: SASGUARD_BUILD_DIR (the build directory), XDG_CONFIG_HOME.
EOF
}

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }
note() { echo "install.sh: note: $*"; }

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; prefix_set=1; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; prefix_set=1; shift ;;
    --deps-only) deps_only=1; shift ;;
    --gitolite) gitolite=1; shift ;;
    --repo-specific) repo_specific=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown argument '$1' (try --help)" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ -n "$prefix" ] || die "--prefix needs a directory"
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
sysconfdir=$prefix/etc
if [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; then sysconfdir=/etc; fi

# Runs a command as root: directly, or through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (or use --prefix DIR and install the packages yourself)"
  fi
}

install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install: ${missing[*]}"
  echo "install.sh: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Runs a command that writes under the prefix: as is when we may write there, else as root.
run() { if [ -w "$prefix" ] || { [ ! -e "$prefix" ] && mkdir -p "$prefix" 2>/dev/null; }; then "$@"; else as_root "$@"; fi; }

# ---- building and installing --------------------------------------------------

build_and_install() {
  install_packages "${packages[@]}"
  cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSASGUARD_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_SYSCONFDIR="$sysconfdir" >/dev/null
  cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
  run cmake --install "$build_dir" | sed -n 's/^-- \(Installing\|Up-to-date\): /install.sh: installed /p'
  # The default policy, without overwriting one an administrator has edited.
  if [ ! -e "$sysconfdir/sasguard.ini" ]; then
    run install -D -m 644 "$here/config/sasguard.ini" "$sysconfdir/sasguard.ini"
  else
    say "kept $sysconfdir/sasguard.ini (already there)"
  fi
  echo "install.sh: installed $prefix/bin/sasguard (policy: $sysconfdir/sasguard.ini)"
  case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "install.sh: add $prefix/bin to PATH" ;; esac
  say "next: install.sh hook [REPO] protects a repository, install.sh server REPO.git a server (--help)"
}

# The files `cmake --install` puts under the prefix (libdir: lib, lib64 or lib/<multiarch>).
installed_files() {
  local f
  for f in "$prefix/bin/sasguard" "$prefix/include/sasguard.h" "$prefix/share/man/man1/sasguard.1" \
           "$prefix"/lib/libsasguard.a "$prefix"/lib64/libsasguard.a "$prefix"/lib/*/libsasguard.a \
           "$prefix"/lib/pkgconfig/sasguard.pc "$prefix"/lib64/pkgconfig/sasguard.pc \
           "$prefix"/lib/*/pkgconfig/sasguard.pc; do
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "$f"; fi
  done
}

uninstall_files() {
  local f n=0
  while IFS= read -r f; do
    run rm -f -- "$f"
    say "removed $f"
    n=$((n + 1))
  done < <(installed_files)
  [ "$n" -gt 0 ] || say "nothing of sasguard's under $prefix (installed with another --prefix?)"
  if [ -e "$sysconfdir/sasguard.ini" ]; then
    say "left $sysconfdir/sasguard.ini alone (your policy); delete it yourself if no longer needed"
  fi
  note "hooks that install.sh hook, global or server wrote still call sasguard and now fail;"
  note "remove them with install.sh uninstall hook [REPO] | global | server BARE_REPO..."
}

# ---- the sasguard the hooks run -------------------------------------------------

# Quotes a word for sh, when it needs it.
shquote() {
  case $1 in
    '' | *[!A-Za-z0-9_./:=+@%-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# Sets SG_BIN (absolute path of the installed sasguard), SG_CALL (how client
# hooks call it: by name when PATH finds this very binary, else by path) and
# SG_CALL_ABS (by path, for servers, whose hooks run with the server's PATH).
find_sasguard() {
  local onpath cand
  onpath=$(command -v sasguard 2>/dev/null || true)
  if [ "$prefix_set" -eq 1 ]; then cand=$prefix/bin/sasguard
  elif [ -n "$onpath" ]; then cand=$onpath
  else cand=$prefix/bin/sasguard
  fi
  if [ ! -f "$cand" ] || [ ! -x "$cand" ]; then
    if [ "$prefix_set" -eq 1 ]; then
      die "no sasguard at $cand: install it first with $here/install.sh --prefix $(shquote "$prefix")"
    fi
    die "sasguard is not installed (not on PATH, not at $cand): install it first with $here/install.sh, or name its prefix with --prefix DIR"
  fi
  case $cand in /*) ;; *) cand=$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand") ;; esac
  "$cand" --version >/dev/null 2>&1 || die "$cand does not run ($cand --version failed)"
  SG_BIN=$cand
  SG_CALL_ABS=$(shquote "$cand")
  if [ -n "$onpath" ] && [ "$onpath" -ef "$cand" ]; then SG_CALL=sasguard; else SG_CALL=$SG_CALL_ABS; fi
}

# ---- hook scripts ---------------------------------------------------------------

# client_hook NAME: the hook alone.
client_hook() {
  cat <<EOF
#!/bin/sh
$MARK: rejects commits that add over-broad or long-lived Azure SAS tokens.
# Remove with: install.sh uninstall hook
exec $SG_CALL pre-commit "\$@"
EOF
}

# client_chain NAME HUSKY: sasguard, then the hook that was there before.
client_chain() {
  cat <<EOF
#!/bin/sh
$MARK: runs sasguard, then the hook that was here before,
# kept as $1.sasguard-prev (the first failure wins).
# Remove with: install.sh uninstall hook (restores $1.sasguard-prev)
$SG_CALL pre-commit "\$@" || exit \$?
prev="\$(dirname "\$0")/$1.sasguard-prev"
[ -x "\$prev" ] || exit 0
EOF
  if [ "$2" = 1 ]; then
    cat <<'EOF'
# husky's hook finds the script to run by its own name ($0): read it in a
# shell that keeps that name.
exec sh -c 'p=$1; shift; . "$p"' "$0" "$prev" "$@"
EOF
  else
    echo 'exec "$prev" "$@"'
  fi
}

# global_hook NAME: sasguard, then the repository's own .git/hooks/NAME.
global_hook() {
  cat <<EOF
#!/bin/sh
$MARK (global hooks: git config --global core.hooksPath).
# Runs sasguard, then the repository's own .git/hooks/$1: a core.hooksPath
# turns those off. Remove with: install.sh uninstall global
$SG_CALL pre-commit "\$@" || exit \$?
own="\$(git rev-parse --git-common-dir)/hooks/$1" || exit \$?
if [ -x "\$own" ] && ! grep -q '^$MARK (global' "\$own"; then exec "\$own" "\$@"; fi
exit 0
EOF
}

server_hook() {
  cat <<EOF
#!/bin/sh
$MARK: rejects pushes that add over-broad or long-lived Azure SAS tokens.
# Remove with: install.sh uninstall server <repository>
exec $SG_CALL_ABS pre-receive "\$@"
EOF
}

# server_chain: sasguard, then the previous pre-receive, both reading the same input.
server_chain() {
  cat <<EOF
#!/bin/sh
$MARK: runs sasguard, then the hook that was here before,
# kept as pre-receive.sasguard-prev, with the same input (the first failure wins).
# Remove with: install.sh uninstall server <repository> (restores pre-receive.sasguard-prev)
updates=\$(cat) || exit 1
printf '%s\\n' "\$updates" | $SG_CALL_ABS pre-receive "\$@" || exit \$?
prev="\$(dirname "\$0")/pre-receive.sasguard-prev"
[ -x "\$prev" ] || exit 0
printf '%s\\n' "\$updates" | "\$prev" "\$@"
EOF
}

# ---- placing and removing hook files ---------------------------------------------

exists() { [ -e "$1" ] || [ -L "$1" ]; }
is_ours() { [ -f "$1" ] && grep -q "^$MARK" "$1" 2>/dev/null; }
same_content() { [ -f "$2" ] && printf '%s\n' "$1" | cmp -s - "$2"; }

# Files written as root inside someone's repository keep the repository's owner.
OWNER_REF=
keep_owner() { if [ -n "$OWNER_REF" ] && [ "$(id -u)" -eq 0 ]; then chown --reference="$OWNER_REF" "$@" 2>/dev/null || true; fi; }

make_dir() {
  [ -d "$1" ] && return 0
  mkdir -p -- "$1" || die "cannot create $1"
  keep_owner "$1"
}

# write_file FILE CONTENT: atomically, mode 755.
write_file() {
  local tmp
  make_dir "$(dirname "$1")"
  tmp=$(mktemp "$1.sasguard-tmp.XXXXXX") || die "cannot write in $(dirname "$1")"
  printf '%s\n' "$2" > "$tmp" && chmod 755 "$tmp" && keep_owner "$tmp" && mv -f -- "$tmp" "$1" ||
    { rm -f -- "$tmp"; die "cannot write $1"; }
}

# Is the previous hook husky's (it finds the user's script by its own file name)?
is_husky_shim() {
  local d
  d=$(dirname "$1")
  { [ -f "$d/h" ] || [ -f "$d/husky.sh" ]; } && head -n 1 "$1" 2>/dev/null | grep -q '^#!.*sh'
}

# place_hook FILE PLAIN CHAIN_FN CHAIN_ARG: installs our hook at FILE; a hook of
# someone else's there is kept as FILE.sasguard-prev and chained.
place_hook() {
  local f=$1 plain=$2 chain_fn=$3 chain_arg=$4 prev=$1.sasguard-prev want husky=0
  [ -d "$f" ] && die "$f is a directory"
  if exists "$f" && is_ours "$f"; then
    if exists "$prev"; then
      is_husky_shim "$prev" && husky=1
      want=$("$chain_fn" "$chain_arg" "$husky")
    else
      want=$plain
    fi
    if same_content "$want" "$f"; then say "already installed: $f"; return 0; fi
    write_file "$f" "$want"
    say "updated $f"
    return 0
  fi
  if exists "$f"; then
    if exists "$prev" && ! cmp -s -- "$f" "$prev"; then
      die "cannot chain $f: $prev is there from an earlier install and differs; move one of them away and rerun"
    fi
    grep -q 'File generated by pre-commit' "$f" 2>/dev/null &&
      note "$f is the pre-commit framework's; it now runs after sasguard (instead, add the hook id sasguard to .pre-commit-config.yaml, see .pre-commit-hooks.yaml)"
    is_husky_shim "$f" && husky=1
    mv -f -- "$f" "$prev" || die "cannot move $f to $prev"
    write_file "$f" "$("$chain_fn" "$chain_arg" "$husky")"
    say "installed $f; the hook that was there is kept as $(basename "$prev") and runs after sasguard"
    return 0
  fi
  write_file "$f" "$plain"
  say "installed $f"
  if exists "$prev"; then
    note "$prev is left from an earlier install and does not run; install.sh uninstall restores it"
  fi
}

# remove_hook FILE QUIET: removes our hook, restoring FILE.sasguard-prev. Returns 0
# when it changed something. QUIET=1: no word about files that are not ours.
remove_hook() {
  local f=$1 quiet=${2:-0} prev=$1.sasguard-prev
  if exists "$f" && ! is_ours "$f"; then
    [ "$quiet" -eq 1 ] || say "left alone: $f is not sasguard's"
    return 1
  fi
  if exists "$f"; then
    rm -f -- "$f" || die "cannot remove $f"
    if exists "$prev"; then
      mv -f -- "$prev" "$f" || die "cannot restore $prev"
      say "removed sasguard from $f; restored the hook that was there before"
    else
      say "removed $f"
    fi
    return 0
  fi
  if exists "$prev"; then
    mv -f -- "$prev" "$f" || die "cannot restore $prev"
    say "restored $f from $(basename "$prev")"
    return 0
  fi
  [ "$quiet" -eq 1 ] || say "not installed: $f"
  return 1
}

# place_file FILE CONTENT: a file of our own (a .d/ entry, a global hook); one
# of someone else's there is never replaced.
place_file() {
  if exists "$1" && ! is_ours "$1"; then die "$1 exists and is not sasguard's; move it away and rerun"; fi
  if same_content "$2" "$1"; then say "already installed: $1"; return 0; fi
  local verb=installed
  exists "$1" && verb=updated
  write_file "$1" "$2"
  say "$verb $1"
}

remove_file() {
  if exists "$1" && is_ours "$1"; then rm -f -- "$1" || die "cannot remove $1"; say "removed $1"; return 0; fi
  return 1
}

# ---- repositories ----------------------------------------------------------------

# git, reading a repository this user may not own (an administrator installing
# server hooks): git checks ownership (safe.directory) even for rev-parse.
# Nothing it runs for that reads the work tree: no fsmonitor.
git_in() { local d=$1; shift; git -c safe.directory="$d" -c safe.directory="$d/.git" -c core.fsmonitor=false -C "$d" "$@"; }

# abs_git_path DIR NAME: `git rev-parse --git-path NAME`, absolute.
abs_git_path() {
  local p
  p=$(git_in "$1" rev-parse --path-format=absolute --git-path "$2" 2>/dev/null) ||
    p=$(git_in "$1" rev-parse --git-path "$2") || return 1
  case $p in /*) ;; *) p=$1/$p ;; esac
  printf '%s\n' "$p"
}

global_hooks_dir() {
  local base=${XDG_CONFIG_HOME:-}
  case $base in /*) ;; *) [ -n "${HOME:-}" ] || die "HOME is not set"; base=$HOME/.config ;; esac
  printf '%s\n' "$base/sasguard/hooks"
}

# Sets REPO (absolute), TOP and HOOKS for `hook [REPO]`.
open_client_repo() {
  local r=${1:-.} out
  [ -d "$r" ] || die "$r: no such directory"
  REPO=$(cd "$r" && pwd)
  command -v git >/dev/null 2>&1 || die "git is not installed"
  out=$(git_in "$REPO" rev-parse --is-bare-repository 2>&1) ||
    die "$REPO is not in a git repository (${out%%$'\n'*})"
  [ "$out" = true ] && die "$REPO is a bare repository: use install.sh server $(shquote "$REPO")"
  TOP=$(git_in "$REPO" rev-parse --show-toplevel 2>/dev/null) ||
    die "$REPO: run this in the work tree of the repository, not inside its .git"
  HOOKS=$(abs_git_path "$TOP" hooks) || die "cannot find the hooks directory of $TOP"
  OWNER_REF=$(git_in "$TOP" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo "$TOP")
}

cmd_hook() {
  [ $# -le 1 ] || die "hook takes one repository (install.sh hook [REPO])"
  open_client_repo "${1:-}"
  local h global rel hp
  global=$(global_hooks_dir)
  if [ -d "$global" ] && [ "$HOOKS" -ef "$global" ]; then
    say "$TOP uses sasguard's global hooks (core.hooksPath = $global): already protected"
    return 0
  fi
  find_sasguard
  # A tracked hook belongs to the project: rewriting it would change everyone's hooks.
  case $HOOKS/ in
    "$TOP"/*)
      rel=${HOOKS#"$TOP"/}
      for h in "${CLIENT_HOOKS[@]}"; do
        if [ -n "$(git_in "$TOP" ls-files -- "$rel/$h" 2>/dev/null)" ]; then
          die "$HOOKS/$h is tracked in the repository; add this line to it instead: sasguard pre-commit || exit \$?"
        fi
      done ;;
  esac
  hp=$(git_in "$TOP" config --show-origin --get core.hooksPath 2>/dev/null || true)
  if [ -n "$hp" ]; then
    note "core.hooksPath is ${hp#*$'\t'} (${hp%%$'\t'*}): installing into $HOOKS"
    case $HOOKS/ in "$TOP"/*) ;; *) note "every repository that uses that directory gets these hooks" ;; esac
    case $HOOKS in
      */.husky | */.husky/*)
        note "$HOOKS is managed by husky, which rewrites its hooks whenever it runs (npm install);"
        note "to keep sasguard there, also add the line 'sasguard pre-commit' to .husky/pre-commit" ;;
    esac
  fi
  for h in "${CLIENT_HOOKS[@]}"; do
    place_hook "$HOOKS/$h" "$(client_hook "$h")" client_chain "$h"
  done
}

cmd_uninstall_hook() {
  [ $# -le 1 ] || die "uninstall hook takes one repository"
  open_client_repo "${1:-}"
  local h global
  global=$(global_hooks_dir)
  if [ -d "$global" ] && [ "$HOOKS" -ef "$global" ]; then
    die "$TOP uses sasguard's global hooks ($global): remove them with install.sh uninstall global"
  fi
  for h in "${CLIENT_HOOKS[@]}"; do remove_hook "$HOOKS/$h" || true; done
}

cmd_global() {
  [ $# -eq 0 ] || die "global takes no arguments"
  command -v git >/dev/null 2>&1 || die "git is not installed"
  local dir cur h
  dir=$(global_hooks_dir)
  cur=$(git config --global --path --get core.hooksPath 2>/dev/null || true)
  if [ -n "$cur" ] && [ "$cur" != "$dir" ] && ! [ "$cur" -ef "$dir" ]; then
    cat >&2 <<EOF
install.sh: your global git config already sets core.hooksPath = $cur,
  so sasguard will not replace it: every repository's hooks come from there.
  Either add this line near the top of $cur/pre-commit and $cur/pre-merge-commit:
      sasguard pre-commit || exit \$?
  or clear it (git config --global --unset core.hooksPath) and run install.sh global again.
EOF
    exit 1
  fi
  find_sasguard
  OWNER_REF=
  for h in "${CLIENT_HOOKS[@]}"; do place_file "$dir/$h" "$(global_hook "$h")"; done
  if [ -z "$cur" ]; then
    git config --global core.hooksPath "$dir" || die "cannot set core.hooksPath in the global git config"
    say "set git config --global core.hooksPath $dir"
  else
    say "already set: git config --global core.hooksPath $dir"
  fi
  note "each repository's own .git/hooks/pre-commit and pre-merge-commit still run, after sasguard;"
  note "a repository that sets its own core.hooksPath (husky, ...) does not use these hooks;"
  note "'pre-commit install' refuses to work while core.hooksPath is set (use its hook id sasguard, or install.sh uninstall global)"
}

cmd_uninstall_global() {
  [ $# -eq 0 ] || die "uninstall global takes no arguments"
  local dir cur h n=0
  dir=$(global_hooks_dir)
  cur=$(git config --global --path --get core.hooksPath 2>/dev/null || true)
  if [ -n "$cur" ] && { [ "$cur" = "$dir" ] || [ "$cur" -ef "$dir" ]; }; then
    git config --global --unset core.hooksPath || die "cannot unset core.hooksPath in the global git config"
    say "unset git config --global core.hooksPath (was $dir)"
    n=1
  elif [ -n "$cur" ]; then
    say "left alone: the global core.hooksPath is $cur, not sasguard's"
  fi
  for h in "${CLIENT_HOOKS[@]}"; do remove_file "$dir/$h" && n=$((n + 1)); done
  [ -d "$dir" ] && rmdir -- "$dir" 2>/dev/null && say "removed $dir"
  [ "$n" -gt 0 ] || say "not installed: no sasguard global hooks in $dir"
}

# Sets GITDIR for a server repository, checking that DIR is a repository itself
# (not a directory inside some other one).
open_server_repo() {
  local r=$1 out abs
  [ -d "$r" ] || die "$r: no such directory"
  abs=$(cd "$r" && pwd)
  command -v git >/dev/null 2>&1 || die "git is not installed"
  out=$(git_in "$abs" rev-parse --absolute-git-dir 2>&1) || die "$r is not a git repository (${out%%$'\n'*})"
  GITDIR=$out
  if ! [ "$GITDIR" -ef "$abs" ] && ! [ "$GITDIR" -ef "$abs/.git" ]; then
    die "$r is not a git repository (it is a directory inside $GITDIR)"
  fi
  [ "$GITDIR" -ef "$abs" ] || note "$r is not a bare repository; its pre-receive hook runs for pushes to it all the same"
  OWNER_REF=$GITDIR
}

is_gitlab_repo() {
  [ -d "$1/custom_hooks" ] && return 0
  git config -f "$1/config" --get gitlab.fullpath >/dev/null 2>&1 && return 0
  case $1 in */@hashed/* | */@cluster/*) return 0 ;; esac
  return 1
}

cmd_server() {
  if [ "$gitolite" -eq 1 ]; then cmd_server_gitolite "$@"; return; fi
  [ "$repo_specific" -eq 0 ] || die "--repo-specific goes with --gitolite"
  [ $# -ge 1 ] || die "server needs at least one repository: install.sh server /srv/git/repo.git"
  find_sasguard
  local r hooks
  for r in "$@"; do
    open_server_repo "$r"
    if is_gitlab_repo "$GITDIR"; then
      [ -d "$GITDIR/custom_hooks" ] || note "$GITDIR is a GitLab repository: its hooks go to custom_hooks/ (GitLab ignores hooks/)"
      make_dir "$GITDIR/custom_hooks"
      place_file "$GITDIR/custom_hooks/pre-receive.d/sasguard" "$(server_hook)"
      note "GitLab runs it after its own checks; with Gitaly Cluster or GitLab 15.11+, install custom hooks with"
      note "  tar -C '$GITDIR/custom_hooks' -cf - . | gitaly hooks set --storage <storage> --repository <relative path> --config <gitaly config.toml>"
    elif [ -d "$GITDIR/hooks/pre-receive.d" ]; then
      place_file "$GITDIR/hooks/pre-receive.d/sasguard" "$(server_hook)"
      note "Gitea/Forgejo layout: its hooks/pre-receive runs hooks/pre-receive.d/*; that file is left untouched"
    else
      hooks=$(abs_git_path "$GITDIR" hooks) || die "cannot find the hooks directory of $GITDIR"
      if [ -L "$GITDIR/hooks" ] || ! [ "$hooks" -ef "$GITDIR/hooks" ]; then
        note "$GITDIR's hooks are in $hooks (a link or core.hooksPath): every repository sharing them gets this hook"
      fi
      place_hook "$hooks/pre-receive" "$(server_hook)" server_chain ""
      local gu
      gu=$(readlink "$GITDIR/hooks/update" 2>/dev/null || true)
      case $gu in */hooks/common/update)
        note "$GITDIR is gitolite's: a common pre-receive set later replaces this hook; to cover every repository of"
        note "  gitolite, including those created later, use install.sh server --gitolite <home of gitolite's user>" ;;
      esac
    fi
  done
  local etc=${SG_BIN%/bin/sasguard}/etc
  case ${SG_BIN%/bin/sasguard} in /usr/local | /usr) etc=/etc ;; esac
  note "the servers' policy: $etc/sasguard.ini, or per repository: git config -f REPO/config sasguard.config FILE"
}

# ---- gitolite ---------------------------------------------------------------------

# gitolite owns its repositories' hooks: it links every file of its common
# hooks directories (LOCAL_CODE/hooks/common, then GL_ADMIN_BASE/hooks/common)
# into each repository, replacing what is there, and keeps the update hook
# (its access control) for itself. pre-receive runs before update, so sasguard
# judges a push before gitolite checks the pusher's rights.

# Sets GL_HOME, GL_OWNER and GL_BIN for the gitolite hosting user's home.
open_gitolite() {
  [ $# -le 1 ] || die "--gitolite takes one directory: the home of gitolite's user (install.sh server --gitolite ~git)"
  local d=${1:-${HOME:-}}
  [ -n "$d" ] || die "HOME is not set: name the home of gitolite's user (install.sh server --gitolite ~git)"
  [ -d "$d" ] || die "$d: no such directory"
  GL_HOME=$(cd "$d" && pwd)
  [ -f "$GL_HOME/.gitolite.rc" ] ||
    die "$GL_HOME is not a gitolite home (no .gitolite.rc): name the home of the user gitolite runs as (install.sh server --gitolite ~git)"
  GL_OWNER=$(stat -c %U "$GL_HOME/.gitolite.rc") || die "cannot read the owner of $GL_HOME/.gitolite.rc"
  GL_BIN=$(command -v gitolite 2>/dev/null || true)
  [ -n "$GL_BIN" ] || { [ -x "$GL_HOME/bin/gitolite" ] && GL_BIN=$GL_HOME/bin/gitolite; } ||
    die "gitolite is not installed (not on PATH, not in $GL_HOME/bin)"
  OWNER_REF=$GL_HOME/.gitolite.rc
}

# Runs gitolite as its own user, never as root: .gitolite.rc is Perl code that
# user may edit, and files gitolite writes must stay that user's.
gl() {
  if [ "$(id -un)" = "$GL_OWNER" ]; then
    (cd "$GL_HOME" && HOME=$GL_HOME "$GL_BIN" "$@")
  elif [ "$(id -u)" -ne 0 ]; then
    die "run this as $GL_OWNER (gitolite's user) or as root"
  elif command -v setpriv >/dev/null 2>&1; then
    (cd "$GL_HOME" && setpriv --reuid="$GL_OWNER" --regid="$(id -g "$GL_OWNER")" --init-groups \
       env HOME="$GL_HOME" USER="$GL_OWNER" LOGNAME="$GL_OWNER" "$GL_BIN" "$@")
  else
    (cd "$GL_HOME" && runuser -u "$GL_OWNER" -- env HOME="$GL_HOME" "$GL_BIN" "$@")
  fi
}

# gl_rc NAME: a value of .gitolite.rc (empty when unset).
gl_rc() { gl query-rc "$1" 2>/dev/null || true; }

# Reads where gitolite keeps things: GL_ADMIN (GL_ADMIN_BASE), GL_LOCAL
# (LOCAL_CODE, may be empty), GL_REPOS (GL_REPO_BASE).
gitolite_layout() {
  GL_ADMIN=$(gl_rc GL_ADMIN_BASE)
  GL_REPOS=$(gl_rc GL_REPO_BASE)
  GL_LOCAL=$(gl_rc LOCAL_CODE)
  [ -n "$GL_ADMIN" ] && [ -n "$GL_REPOS" ] ||
    die "cannot read $GL_HOME/.gitolite.rc with gitolite query-rc (as $GL_OWNER)"
  case $GL_LOCAL in '' | /*) ;; *) die "LOCAL_CODE in $GL_HOME/.gitolite.rc is not a full path: '$GL_LOCAL'" ;; esac
}

# The physical repositories gitolite manages, one name a line.
gl_repos() { gl list-phy-repos; }

# make_owned_dir DIR: mkdir -p, each new level owned like OWNER_REF.
make_owned_dir() {
  [ -d "$1" ] && return 0
  make_owned_dir "$(dirname "$1")"
  make_dir "$1"
}

# Uses repo-specific pre-receive hooks (option hook.pre-receive: links
# hooks/pre-receive.hNN-NAME beside gitolite's driver)?
uses_repo_specific() { compgen -G "$1/hooks/pre-receive.h[0-9][0-9]-*" >/dev/null; }

cmd_server_gitolite() {
  open_gitolite "$@"
  find_sasguard
  gitolite_layout
  local dir hook r n=0 total=0 clash=()
  if [ "$repo_specific" -eq 1 ]; then
    [ -n "$GL_LOCAL" ] ||
      die "repo-specific hooks live in LOCAL_CODE/hooks/repo-specific: set LOCAL_CODE in $GL_HOME/.gitolite.rc (uncomment LOCAL_CODE => \"\$ENV{HOME}/local\") and rerun"
    gl_rc POST_COMPILE | grep -q 'repo-specific-hooks' ||
      die "the repo-specific-hooks feature is off: uncomment 'repo-specific-hooks' in the ENABLE list of $GL_HOME/.gitolite.rc and rerun"
    make_owned_dir "$GL_LOCAL/hooks/repo-specific"
    place_file "$GL_LOCAL/hooks/repo-specific/sasguard" "$(server_hook)"
    while IFS= read -r r; do
      total=$((total + 1))
      compgen -G "$GL_REPOS/$r.git/hooks/pre-receive.h[0-9][0-9]-sasguard" >/dev/null && n=$((n + 1))
    done < <(gl_repos)
    say "$n of $total repositories run it now; for each repository to protect, add to gitolite.conf"
    say "  (in the gitolite-admin repository) and push:"
    say "      repo foo"
    say "          option hook.pre-receive = sasguard"
    note "name a repository's other pre-receive hooks on the same line (option hook.pre-receive = sasguard other);"
    note "gitolite runs them in order, each with the pushed lines; the first failure rejects the push"
    [ -e "$GL_ADMIN/hooks/common/pre-receive" ] || [ -e "${GL_LOCAL}/hooks/common/pre-receive" ] &&
      note "a common pre-receive hook is set too: gitolite setup --hooks-only links it over the repo-specific ones"
    return 0
  fi
  # The common hook: LOCAL_CODE/hooks/common when LOCAL_CODE is set, else
  # GL_ADMIN_BASE/hooks/common (gitolite links both, and writes only update there).
  if [ -n "$GL_LOCAL" ]; then
    dir=$GL_LOCAL/hooks/common
    if exists "$GL_ADMIN/hooks/common/pre-receive" && ! is_ours "$GL_ADMIN/hooks/common/pre-receive"; then
      die "$GL_ADMIN/hooks/common/pre-receive is there: gitolite links it after LOCAL_CODE's hooks, over sasguard's; move it to $dir and rerun"
    fi
    case $GL_LOCAL/ in "$GL_ADMIN"/*)
      note "LOCAL_CODE is inside the gitolite-admin checkout: also commit local/hooks/common/pre-receive to gitolite-admin, as written here" ;;
    esac
  else
    dir=$GL_ADMIN/hooks/common
    note "LOCAL_CODE is not set in $GL_HOME/.gitolite.rc: installing into $dir, which gitolite links into every repository too"
  fi
  hook=$dir/pre-receive
  # gitolite replaces each repository's hooks/pre-receive with a link to the
  # common one: never someone else's hook, nor repo-specific ones.
  while IFS= read -r r; do
    local h=$GL_REPOS/$r.git/hooks/pre-receive
    if uses_repo_specific "$GL_REPOS/$r.git"; then
      clash+=("$r (repo-specific pre-receive hooks: use --repo-specific and add sasguard to its option hook.pre-receive)")
    elif [ -L "$h" ] && case $(readlink "$h") in */hooks/common/pre-receive) true ;; *) false ;; esac; then
      :
    elif exists "$h" && ! is_ours "$h"; then
      clash+=("$r ($h is its own: move it to $dir, where sasguard chains it, or use --repo-specific)")
    fi
  done < <(gl_repos)
  if [ ${#clash[@]} -gt 0 ]; then
    echo "install.sh: gitolite would replace the pre-receive hook of:" >&2
    printf '  %s\n' "${clash[@]}" >&2
    exit 1
  fi
  make_owned_dir "$dir"
  place_hook "$hook" "$(server_hook)" server_chain ""
  gl setup --hooks-only || die "gitolite setup --hooks-only failed (as $GL_OWNER)"
  while IFS= read -r r; do
    total=$((total + 1))
    if [ "$GL_REPOS/$r.git/hooks/pre-receive" -ef "$hook" ]; then n=$((n + 1)); else note "$r does not run it (its hooks/pre-receive is not $hook)"; fi
  done < <(gl_repos)
  say "ran gitolite setup --hooks-only: $n of $total repositories run sasguard, and every repository created later"
  note "a repository's policy: gitolite.conf 'config sasguard.config = FILE' (add sasguard\\.config to GIT_CONFIG_KEYS in .gitolite.rc)"
}

cmd_uninstall_server_gitolite() {
  open_gitolite "$@"
  gitolite_layout
  local r f n=0 changed=0 dirs=("$GL_ADMIN/hooks/common")
  [ -n "$GL_LOCAL" ] && dirs=("$GL_LOCAL/hooks/common" "${dirs[@]}")
  for f in "${dirs[@]}"; do remove_hook "$f/pre-receive" 1 && changed=1; done
  if [ -n "$GL_LOCAL" ] && remove_file "$GL_LOCAL/hooks/repo-specific/sasguard"; then
    changed=1
    note "remove sasguard from the option hook.pre-receive lines of gitolite.conf; until then gitolite warns that it is missing"
  fi
  [ "$changed" -eq 1 ] && { gl setup --hooks-only || die "gitolite setup --hooks-only failed (as $GL_OWNER)"; }
  # gitolite never removes a link whose target is gone: remove those that were sasguard's.
  while IFS= read -r r; do
    for f in "$GL_REPOS/$r.git/hooks/pre-receive" "$GL_REPOS/$r.git/hooks/pre-receive.sasguard-prev" \
             "$GL_REPOS/$r.git/hooks/"pre-receive.h[0-9][0-9]-sasguard; do
      [ -L "$f" ] && [ ! -e "$f" ] || continue
      case $(readlink "$f") in
        */hooks/common/pre-receive | */hooks/common/pre-receive.sasguard-prev | */hooks/repo-specific/sasguard)
          rm -f -- "$f" && n=$((n + 1)) ;;
      esac
    done
  done < <(gl_repos)
  [ "$n" -gt 0 ] && say "removed $n links gitolite had left to removed hooks"
  [ "$changed" -eq 1 ] || [ "$n" -gt 0 ] || say "not installed: no sasguard hook in gitolite's hooks under $GL_HOME"
  return 0
}

cmd_uninstall_server() {
  if [ "$gitolite" -eq 1 ]; then cmd_uninstall_server_gitolite "$@"; return; fi
  [ $# -ge 1 ] || die "uninstall server needs at least one repository"
  local r hooks n
  for r in "$@"; do
    open_server_repo "$r"
    n=0
    remove_file "$GITDIR/custom_hooks/pre-receive.d/sasguard" && n=1 &&
      { rmdir -- "$GITDIR/custom_hooks/pre-receive.d" 2>/dev/null || true; }
    remove_file "$GITDIR/hooks/pre-receive.d/sasguard" && n=1
    hooks=$(abs_git_path "$GITDIR" hooks) || die "cannot find the hooks directory of $GITDIR"
    remove_hook "$hooks/pre-receive" 1 && n=1
    [ "$n" -eq 1 ] || say "not installed: no sasguard hook in $GITDIR"
  done
  return 0
}

# ---- main -------------------------------------------------------------------------

cmd=${args[0]:-}
if [ "$deps_only" -eq 1 ]; then
  [ -z "$cmd" ] || die "--deps-only goes alone"
  install_packages "${packages[@]}" "${test_packages[@]}"
  exit 0
fi
case $cmd in
  "") build_and_install ;;
  hook) cmd_hook "${args[@]:1}" ;;
  global) cmd_global "${args[@]:1}" ;;
  server) cmd_server "${args[@]:1}" ;;
  uninstall)
    sub=${args[1]:-}
    case $sub in
      "") [ ${#args[@]} -eq 1 ] || die "usage: install.sh uninstall [hook [REPO] | global | server BARE_REPO...]"
          uninstall_files ;;
      hook) cmd_uninstall_hook "${args[@]:2}" ;;
      global) cmd_uninstall_global "${args[@]:2}" ;;
      server) cmd_uninstall_server "${args[@]:2}" ;;
      *) die "unknown: uninstall $sub (try --help)" ;;
    esac ;;
  *) die "unknown command '$cmd' (try --help)" ;;
esac
