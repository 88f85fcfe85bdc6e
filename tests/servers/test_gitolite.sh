#!/usr/bin/env bash
# test_gitolite.sh - gitolite (Debian's gitolite3) over ssh: an sshd of the
# test's own on a free loopback port, a gitolite user created for the test,
# administered by pushing gitolite-admin. sasguard is installed with
# install.sh server --gitolite, as a common hook (every repository, also
# those created later) and as a repo-specific one; the hook runs as
# gitolite's user; push options reach it.
. "$(dirname "$0")/serverlib.sh"
require gitolite /usr/share/gitolite3/gitolite-shell /usr/sbin/sshd ssh ssh-keygen setpriv useradd userdel

# gitolite's user, with its home in the temporary directory; removed at the end.
GLU=sgtest-git-$$
GLH=$D/gitolite
mkdir -m 700 "$GLH"
useradd -M -d "$GLH" -s /bin/sh -p '*' -U "$GLU" || { fail "useradd $GLU"; finish; exit; }
CLEANUP+=("userdel $GLU 2>/dev/null")
chown "$GLU:" "$GLH"
as_gl() { (cd "$GLH" && as_user "$GLU" env HOME="$GLH" USER="$GLU" "$@"); }

# The admin's key and gitolite's first setup, as its docs say.
mkdir -m 700 "$T/keys"
ssh-keygen -q -t ed25519 -N '' -C admin -f "$T/keys/admin"
install -o "$GLU" -m 644 "$T/keys/admin.pub" "$GLH/admin.pub"
expect_exit 0 as_gl gitolite setup -pk "$GLH/admin.pub"
# The rc as an administrator edits it: local code on the server, the
# repo-specific-hooks feature, and the git config keys the conf may set.
as_gl sed -i -e 's|^\( *\)# *\(LOCAL_CODE *=> *"$ENV{HOME}/local",\)|\1\2|' \
  -e "s|^\\( *\\)# *\\('repo-specific-hooks',\\)|\\1\\2|" \
  -e "s|^\\( *GIT_CONFIG_KEYS *=> *\\)'',|\\1'receive\\\\.advertisePushOptions sasguard\\\\.config',|" "$GLH/.gitolite.rc"
has "$GLH/.gitolite.rc" "    LOCAL_CODE                =>  \"\$ENV{HOME}/local\","
has "$GLH/.gitolite.rc" "'receive\\.advertisePushOptions sasguard\\.config'"
server_policy "$GLU"

# sshd on a loopback port: host key and config of the test's own.
port=$(free_port)
mkdir -m 700 "$D/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$D/ssh/host_ed25519"
cat > "$D/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $D/ssh/host_ed25519
PidFile $D/ssh/sshd.pid
AllowUsers $GLU
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
X11Forwarding no
MaxStartups 100
LogLevel ERROR
SetEnv SASGUARD_SYSTEM_CONFIG=$D/system.ini
EOF
# The privilege separation directory, which the sshd service would create.
[ -d /run/sshd ] || install -d -m 755 /run/sshd
start sshd "$D/sshd.out" /usr/sbin/sshd -D -e -f "$D/ssh/sshd_config"
export GIT_SSH_COMMAND="ssh -F /dev/null -i $T/keys/admin -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
BASE=ssh://$GLU@127.0.0.1:$port
wait_until sshd $GIT_SSH_COMMAND -p "$port" "$GLU@127.0.0.1" info || { cat "$D/sshd.out" >&2; finish; exit; }
expect_exit 0 $GIT_SSH_COMMAND -p "$port" "$GLU@127.0.0.1" info
has "$T/out" "hello admin"

# ---- the common hook -------------------------------------------------------------

# The administrator's own common pre-receive, already there: kept and chained.
COMMON=$GLH/local/hooks/common/pre-receive
as_gl mkdir -p "$GLH/local/hooks/common"
printf '#!/bin/sh\ncat >> "%s"\n' "$D/log/own-hook.in" > "$T/own-hook"
install -o "$GLU" -m 755 "$T/own-hook" "$COMMON"
as_gl gitolite setup --hooks-only
expect_exit 0 "$INSTALL" --prefix "$P" server --gitolite "$GLH"
has "$T/out" "installed $COMMON; the hook that was there is kept as pre-receive.sasguard-prev"
has "$T/out" "2 of 2 repositories run sasguard"
has "$COMMON" "$P/bin/sasguard pre-receive"
[ "$(stat -c %U "$GLH/local" "$GLH/local/hooks" "$GLH/local/hooks/common" "$COMMON" | sort -u)" = "$GLU" ] && pass ||
  fail "install.sh left files that are not $GLU's: $(stat -c '%U %n' "$GLH/local" "$GLH/local/hooks/common" "$COMMON")"
[ "$GLH/repositories/testing.git/hooks/pre-receive" -ef "$COMMON" ] && pass || fail "testing.git does not run the common hook"
[ -L "$GLH/repositories/testing.git/hooks/update" ] && pass || fail "gitolite's update hook is gone"
expect_exit 0 "$INSTALL" --prefix "$P" server --gitolite "$GLH"
has "$T/out" "already installed: $COMMON"

# The administrator adds a repository by pushing gitolite-admin (through
# sasguard too): created after the install, it runs the hook all the same.
A=$T/gitolite-admin
expect_exit 0 git clone -q "$BASE/gitolite-admin" "$A"
cat >> "$A/conf/gitolite.conf" <<EOF

repo proj
    RW+     =   admin
    config receive.advertisePushOptions = true
    config sasguard.config = $D/policy.ini
EOF
git -C "$A" commit -qam "add proj"
expect_exit 0 git -C "$A" push origin master
R=$GLH/repositories/proj.git
[ "$R/hooks/pre-receive" -ef "$COMMON" ] && pass || fail "proj.git, created later, does not run the common hook"
[ "$(srv_git "$R" config sasguard.config)" = "$D/policy.ini" ] && pass || fail "gitolite did not set sasguard.config"

server_checks "$BASE/proj" "$R" "$GLU"
# The chained hook ran after sasguard, for the pushes sasguard let in only.
has "$D/log/own-hook.in" " refs/heads/load20"
lacks "$D/log/own-hook.in" " refs/heads/load19"
# gitolite names the pusher in GL_USER.
grep -q 'pusher="admin"' "$D/log/allow.log" && pass ||
  fail "the allowance log names the pusher $(grep -o 'pusher="[^"]*"' "$D/log/allow.log"), not gitolite's user admin (GL_USER)"

# Uninstalled: the administrator's hook is back, gitolite's links to what
# was sasguard's are gone.
expect_exit 0 "$INSTALL" uninstall server --gitolite "$GLH"
has "$T/out" "restored the hook that was there before"
has "$T/out" "removed 3 links"
cmp -s "$COMMON" "$T/own-hook" && pass || fail "uninstall did not restore the administrator's hook"
[ "$R/hooks/pre-receive" -ef "$COMMON" ] && pass || fail "proj.git no longer runs the administrator's hook"
[ ! -L "$R/hooks/pre-receive.sasguard-prev" ] && pass || fail "uninstall left proj.git's link to pre-receive.sasguard-prev"
[ -L "$R/hooks/update" ] && pass || fail "uninstall removed gitolite's update hook"
cd "$T/client"
expect_exit 0 git push "$BASE/proj" load1:refs/heads/unprotected

# ---- the repo-specific hook ----------------------------------------------------------

SPECIFIC=$GLH/local/hooks/repo-specific/sasguard
expect_exit 0 "$INSTALL" --prefix "$P" server --gitolite --repo-specific "$GLH"
has "$T/out" "installed $SPECIFIC"
has "$T/out" "option hook.pre-receive = sasguard"
cat >> "$A/conf/gitolite.conf" <<EOF

repo proj2
    RW+     =   admin
    option hook.pre-receive = sasguard
EOF
git -C "$A" commit -qam "add proj2"
expect_exit 0 git -C "$A" push origin master
R2=$GLH/repositories/proj2.git
[ "$R2/hooks/pre-receive.h00-sasguard" -ef "$SPECIFIC" ] && pass || fail "proj2.git does not link the repo-specific hook"
expect_exit 0 git push "$BASE/proj2" load2:refs/heads/main
expect_exit 1 git push "$BASE/proj2" load3:refs/heads/leak
has "$T/err" "remote: $(git rev-parse --short=12 load3):load3.txt:1:6: error: account SAS for robustnessws4285631339"
has "$T/err" "[remote rejected] load3 -> leak (pre-receive hook declined)"
no_secrets "$T/err"
expect_exit 1 srv_git "$R2" rev-parse -q --verify refs/heads/leak
# Only proj2: proj takes the token.
expect_exit 0 git push "$BASE/proj" load3:refs/heads/leak
# A common hook now would replace proj2's repo-specific ones: refused.
expect_exit 1 "$INSTALL" --prefix "$P" server --gitolite "$GLH"
has "$T/err" "proj2 (repo-specific pre-receive hooks"
cmp -s "$COMMON" "$T/own-hook" && pass || fail "refused, but wrote $COMMON"
expect_exit 0 "$INSTALL" uninstall server --gitolite "$GLH"
has "$T/out" "removed $SPECIFIC"
[ ! -L "$R2/hooks/pre-receive.h00-sasguard" ] && pass || fail "uninstall left proj2's link to the repo-specific hook"
repository_clean "$R2" "$GLU"

stop sshd
gone "$D/ssh/sshd_config"
finish
