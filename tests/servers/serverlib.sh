# serverlib.sh - helpers for the tests of real git servers (tests/servers/):
# each script starts its server on a free loopback port, running the hook as
# the server's own user, installs sasguard with install.sh as an administrator
# would, pushes to it, and stops it again. They need root (the servers drop to
# www-data or a user of their own) and the Debian packages .ci/run installs;
# without them a script exits 77 (skipped).
. "$(dirname "${BASH_SOURCE[0]}")/../git/gitlib.sh"

INSTALL=$SOURCE_DIR/install.sh
# The servers' users reach the test's files: the temporary directory is
# searchable (not readable) by them, and what they use sits in $D.
chmod 711 "$T"
D=$T/srv
mkdir -p "$D"
chmod 755 "$D"
# sasguard as install.sh --prefix leaves it (this build's binary, which the
# servers' users may run wherever the build directory is).
P=$T/prefix
install -D -m 755 "$SASGUARD" "$P/bin/sasguard"
# The servers run with a clean environment, as services do.
SERVER_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)

# What the EXIT trap runs, last first: stopping servers, removing users.
CLEANUP=()
cleanup() {
  local i
  for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[i]}"; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# require PROGRAM...: root and each program, or the script is skipped (77).
require() {
  if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (the server runs the hook as its own user)"; exit 77; fi
  local p
  for p in "$@"; do
    if ! command -v "$p" >/dev/null 2>&1 && [ ! -x "$p" ]; then
      echo "SKIP: $p is not installed (apt-get install apache2 nginx fcgiwrap gitolite3 openssh-server)"
      exit 77
    fi
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# as_user USER CMD...: CMD as USER (its groups, HOME unchanged unless given).
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }

# start NAME LOG CMD...: a server in the foreground of a background job, with
# a clean environment; its pid in PID_<NAME>. The trap stops it, and so does
# `timeout` should this script be killed before its trap can run.
start() {
  local name=$1 log=$2; shift 2
  "${SERVER_ENV[@]}" timeout -k 10 900 "$@" >"$log" 2>&1 &
  printf -v "PID_$name" '%s' "$!"
  CLEANUP+=("stop $name")
}

# stop NAME: TERM, then a bounded wait for it to exit, then KILL.
stop() {
  local var=PID_$1 pid i
  pid=${!var:-}
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  printf -v "$var" '%s' ""
}

# wait_until NAME CMD...: polls CMD (at most 15 s) while the server NAME runs.
wait_until() {
  local name=$1 var=PID_$1 i; shift
  for i in $(seq 150); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "${!var}" 2>/dev/null || { fail "$name exited before it answered"; return 1; }
    sleep 0.1
  done
  fail "$name did not answer within 15 s: $*"
  return 1
}

# gone PATTERN: no process left whose command line holds PATTERN.
gone() {
  if pgrep -f -- "$1" >/dev/null; then fail "processes left: $(pgrep -af -- "$1" | head -3)"; else pass; fi
}

# srv_git REPO ARGS...: git on a server repository owned by another user.
srv_git() { local r=$1; shift; git -c safe.directory="$r" -C "$r" "$@"; }

# The server's policy: push-option allowances on, logged to $D/log/allow.log
# (the directory the server's user may write). SASGUARD_SYSTEM_CONFIG points
# the hooks at $D/system.ini instead of the machine's /etc/sasguard.ini.
server_policy() {
  local owner=$1
  mkdir -p "$D/log"
  chown "$owner" "$D/log"
  printf '[server]\nmax_seconds = 120\n[allow]\npath = fixtures-of-the-system/**\n' > "$D/system.ini"
  printf '[server]\nallow_push_option = true\nlog = %s\n' "$D/log/allow.log" > "$D/policy.ini"
  chmod 644 "$D/system.ini" "$D/policy.ini"
}

# transcript FILE...: adds output of pushes run outside expect_exit.
transcript() { [ -z "${TRANSCRIPT:-}" ] || cat "$@" >> "$TRANSCRIPT"; }

# server_checks URL REPO OWNER: what every server must do.
#   URL    how clients push to the repository (credentials included)
#   REPO   the bare repository on disk, with sasguard's hook installed
#   OWNER  the user the server runs the hook as
server_checks() {
  local url=$1 repo=$2 owner=$3 c=$T/client bad fp i
  git init -q "$c"
  cd "$c" || return
  echo hello > a.txt; git add a.txt; git commit -qm init

  # A clean push lands.
  expect_exit 0 git push "$url" main
  [ "$(srv_git "$repo" rev-parse main)" = "$(git rev-parse main)" ] && pass || fail "clean push: main not on the server"

  # A push adding a token is rejected; the pusher reads why on remote: lines.
  printf 'Models:\n%s\n' "$TOKEN_LINE" > models.md; git add models.md; git commit -qm leak
  bad=$(git rev-parse --short=12 HEAD)
  expect_exit 1 git push "$url" main
  has "$T/err" "remote: $bad:models.md:2:7: error: account SAS for robustnessws4285631339"
  for i in account-sas permissions lifetime http; do has "$T/err" "remote:   $i "; done
  has "$T/err" "remote: sasguard: push rejected"
  has "$T/err" "[remote rejected] main -> main (pre-receive hook declined)"
  no_secrets "$T/err"
  [ "$(srv_git "$repo" rev-list --count main)" = 1 ] && pass || fail "rejected push: main moved on the server"
  fp=$(sed -n 's/^remote:   fingerprint: \([0-9a-f]\{32\}\).*/\1/p' "$T/err" | head -n 1)
  [ -n "$fp" ] && pass || fail "no fingerprint in the rejection"

  # Push options reach the hook: without a reason the allowance is refused
  # (the hook says so), with one the push lands and the hook logs it.
  expect_exit 1 git push -o "sasguard.allow=$fp" "$url" main
  has "$T/err" "remote: sasguard: note: push option sasguard.allow needs a reason"
  expect_exit 0 git push -o "sasguard.allow=$fp" -o "sasguard.reason=INC-7: rotated" "$url" main
  [ "$(srv_git "$repo" rev-parse main)" = "$(git rev-parse main)" ] && pass || fail "push option: main not on the server"
  has "$D/log/allow.log" "fingerprint=$fp reason=\"INC-7: rotated\""
  has "$D/log/allow.log" "path=\"models.md\" line=2"
  no_secrets "$D/log/allow.log"
  # The hook wrote its log, so its owner is who the hook ran as.
  [ "$(stat -c %U "$D/log/allow.log")" = "$owner" ] && pass ||
    fail "the hook ran as $(stat -c %U "$D/log/allow.log"), not $owner"

  # The server's environment reaches the hook: SASGUARD_SYSTEM_CONFIG names
  # the system layer, whose allowance lets this token in.
  mkdir fixtures-of-the-system
  printf '%s\n' "$TOKEN_LINE" > fixtures-of-the-system/t.txt; git add fixtures-of-the-system; git commit -qm fixture
  expect_exit 0 git push "$url" main
  [ "$(srv_git "$repo" rev-parse main)" = "$(git rev-parse main)" ] && pass || fail "system allowance: main not on the server"

  concurrent_pushes "$url" "$repo"
  repository_clean "$repo" "$owner"
}

# concurrent_pushes URL REPO: 20 pushes at once, each to a branch of its own,
# the odd ones adding a token: each gets its own verdict, none is lost.
concurrent_pushes() {
  local url=$1 repo=$2 i base pids=() rcs=() sha=() slow=0
  base=$(git rev-list --max-parents=0 main)
  for i in $(seq 1 20); do
    git checkout -q -b "load$i" "$base"
    if [ $((i % 2)) -eq 1 ]; then printf 'k%d = %s\n' "$i" "$INCIDENT_URL" > "load$i.txt"
    else printf 'clean %d\n' "$i" > "load$i.txt"; fi
    git add "load$i.txt"; git commit -qm "load $i"
    sha[i]=$(git rev-parse HEAD)
  done
  git checkout -q main
  for i in $(seq 1 20); do
    git push "$url" "load$i" >"$T/load$i.out" 2>&1 &
    pids[i]=$!
  done
  for i in $(seq 1 20); do wait "${pids[i]}"; rcs[i]=$?; done
  for i in $(seq 1 20); do
    transcript "$T/load$i.out"
    if [ $((i % 2)) -eq 1 ]; then
      [ "${rcs[i]}" = 1 ] && pass || { fail "concurrent push $i (token): exit ${rcs[i]}, want 1"; sed 's/^/  | /' "$T/load$i.out" | head -20 >&2; }
      grep -qF "remote: $(git rev-parse --short=12 "load$i"):load$i.txt:1:$((5 + ${#i})): error: account SAS" "$T/load$i.out" && pass ||
        { fail "concurrent push $i: not rejected for its own token"; sed 's/^/  | /' "$T/load$i.out" | head -5 >&2; }
      srv_git "$repo" rev-parse -q --verify "refs/heads/load$i" >/dev/null && fail "concurrent push $i: the token branch landed" || pass
    else
      [ "${rcs[i]}" = 0 ] && pass || { fail "concurrent push $i (clean): exit ${rcs[i]}, want 0"; sed 's/^/  | /' "$T/load$i.out" | head -20 >&2; }
      [ "$(srv_git "$repo" rev-parse -q --verify "refs/heads/load$i")" = "${sha[i]}" ] && pass || fail "concurrent push $i: the clean branch is not on the server"
    fi
    no_secrets "$T/load$i.out"
  done
  [ "$(srv_git "$repo" for-each-ref --format=x 'refs/heads/load*' | wc -l)" = 10 ] && pass ||
    fail "the server holds $(srv_git "$repo" for-each-ref 'refs/heads/load*' | wc -l) load branches, want 10"
}

# repository_clean REPO OWNER: no quarantine, lock or temporary file left, every
# file the server's user's, no object of a rejected push kept, fsck clean.
repository_clean() {
  local repo=$1 owner=$2 left
  left=$(find "$repo" \( -name 'tmp_objdir-*' -o -name 'incoming-*' -o -name '*.lock' -o -name 'tmp_pack_*' \
                         -o -name 'tmp_idx_*' -o -name '*.sasguard-tmp.*' \) -print | head -5)
  [ -z "$left" ] && pass || fail "left in $repo: $left"
  left=$(find "$repo" ! -user "$owner" -print | head -5)
  [ -z "$left" ] && pass || fail "not $owner's in $repo: $left"
  expect_exit 0 srv_git "$repo" fsck --strict --dangling
  lacks "$T/out" "dangling"
  # (gitolite creates repositories with HEAD at an unborn master: a notice)
  grep -v '^notice: HEAD points to an unborn branch' "$T/err" > "$T/fsck.err"
  [ ! -s "$T/fsck.err" ] && pass || fail "fsck: $(head -5 "$T/fsck.err")"
}
