#!/usr/bin/env bash
# test_apache.sh - smart HTTP through Apache (Debian's apache2) and git
# http-backend, on a free loopback port: the hook runs as www-data, pushers
# authenticate with HTTP basic auth (REMOTE_USER), push options reach the hook.
. "$(dirname "$0")/serverlib.sh"
require /usr/sbin/apache2 htpasswd setpriv /usr/lib/git-core/git-http-backend
MODS=/usr/lib/apache2/modules
for m in mpm_event cgid alias env authz_core authz_user authn_core authn_file auth_basic; do
  [ -f "$MODS/mod_$m.so" ] || { echo "SKIP: $MODS/mod_$m.so missing"; exit 77; }
done

# The repository, as an administrator sets it up once: owned by the web
# server's user, sasguard installed with install.sh, push options advertised.
R=$D/repos/proj.git
git init -q --bare "$R"
chown -R www-data:www-data "$D/repos"
server_policy www-data
as_user www-data git -C "$R" config sasguard.config "$D/policy.ini"
as_user www-data git -C "$R" config receive.advertisePushOptions true
expect_exit 0 "$INSTALL" --prefix "$P" server "$R"
has "$T/out" "installed $R/hooks/pre-receive"
htpasswd -bc "$D/htpasswd" alice 'pw-alice' 2>/dev/null
chmod 644 "$D/htpasswd"

port=$(free_port)
mkdir -p "$D/run"
cat > "$D/httpd.conf" <<EOF
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $D/run/httpd.pid
DefaultRuntimeDir $D/run
ScriptSock $D/run/cgid.sock
Mutex file:$D/run default
ErrorLog $D/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule authz_user_module $MODS/mod_authz_user.so
LoadModule authn_core_module $MODS/mod_authn_core.so
LoadModule authn_file_module $MODS/mod_authn_file.so
LoadModule auth_basic_module $MODS/mod_auth_basic.so
LoadModule alias_module $MODS/mod_alias.so
LoadModule env_module $MODS/mod_env.so
LoadModule cgid_module $MODS/mod_cgid.so
StartServers 2
ThreadsPerChild 25
MaxRequestWorkers 50

SetEnv GIT_PROJECT_ROOT $D/repos
SetEnv GIT_HTTP_EXPORT_ALL 1
SetEnv SASGUARD_SYSTEM_CONFIG $D/system.ini
ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
<Location /git/>
  AuthType Basic
  AuthName git
  AuthUserFile $D/htpasswd
  Require valid-user
</Location>
<Directory /usr/lib/git-core>
  Require all granted
</Directory>
EOF
start apache "$D/apache.out" /usr/sbin/apache2 -f "$D/httpd.conf" -DFOREGROUND
URL=http://alice:pw-alice@127.0.0.1:$port/git/proj.git
wait_until apache git ls-remote "$URL" || { cat "$D/apache.out" "$D/error.log" >&2; finish; exit; }

server_checks "$URL" "$R" www-data
# Apache passes the authenticated user on: the allowance names the pusher.
has "$D/log/allow.log" 'pusher="alice"'
# Without credentials nothing is pushed.
expect_exit 128 env GIT_TERMINAL_PROMPT=0 git -C "$T/client" push "http://127.0.0.1:$port/git/proj.git" main:refs/heads/anon
has "$T/err" "could not read Username"

stop apache
gone "$D/httpd.conf"
[ ! -e "$D/run/httpd.pid" ] && pass || fail "apache left its pid file"
lacks "$D/error.log" "AH01215"   # a CGI's stderr in the error log: the hook's output went there, not to the pusher
finish
