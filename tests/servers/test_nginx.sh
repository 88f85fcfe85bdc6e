#!/usr/bin/env bash
# test_nginx.sh - smart HTTP through nginx, fcgiwrap and git http-backend, on
# a free loopback port: fcgiwrap (so git and the hook) runs as www-data,
# pushers authenticate with HTTP basic auth, push options reach the hook.
. "$(dirname "$0")/serverlib.sh"
require /usr/sbin/nginx /usr/sbin/fcgiwrap htpasswd setpriv /usr/lib/git-core/git-http-backend

R=$D/repos/proj.git
git init -q --bare "$R"
chown -R www-data:www-data "$D/repos"
server_policy www-data
as_user www-data git -C "$R" config sasguard.config "$D/policy.ini"
as_user www-data git -C "$R" config receive.advertisePushOptions true
expect_exit 0 "$INSTALL" --prefix "$P" server "$R"
has "$T/out" "installed $R/hooks/pre-receive"
htpasswd -bc "$D/htpasswd" bob 'pw-bob' 2>/dev/null
chmod 644 "$D/htpasswd"

# fcgiwrap on a unix socket, as www-data, with workers for concurrent pushes.
mkdir -p "$D/run" "$D/tmp"
chown www-data "$D/run"
start fcgiwrap "$D/fcgiwrap.out" setpriv --reuid=www-data --regid=www-data --init-groups \
  /usr/sbin/fcgiwrap -c 8 -s "unix:$D/run/fcgiwrap.sock"
port=$(free_port)
cat > "$D/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 2;
user www-data www-data;
pid $D/run/nginx.pid;
error_log $D/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $D/tmp/body;
  fastcgi_temp_path $D/tmp/fastcgi;
  proxy_temp_path $D/tmp/proxy;
  uwsgi_temp_path $D/tmp/uwsgi;
  scgi_temp_path $D/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$port;
    location ~ ^/git(/.*) {
      auth_basic git;
      auth_basic_user_file $D/htpasswd;
      fastcgi_pass unix:$D/run/fcgiwrap.sock;
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param PATH_INFO \$1;
      fastcgi_param QUERY_STRING \$query_string;
      fastcgi_param REQUEST_METHOD \$request_method;
      fastcgi_param CONTENT_TYPE \$content_type;
      fastcgi_param CONTENT_LENGTH \$content_length;
      fastcgi_param HTTP_CONTENT_ENCODING \$http_content_encoding;
      fastcgi_param GIT_PROTOCOL \$http_git_protocol;
      fastcgi_param REMOTE_USER \$remote_user;
      fastcgi_param REMOTE_ADDR \$remote_addr;
      fastcgi_param SERVER_PROTOCOL \$server_protocol;
      fastcgi_param GIT_PROJECT_ROOT $D/repos;
      fastcgi_param GIT_HTTP_EXPORT_ALL 1;
      fastcgi_param SASGUARD_SYSTEM_CONFIG $D/system.ini;
      fastcgi_buffering off;
    }
  }
}
EOF
wait_until fcgiwrap test -S "$D/run/fcgiwrap.sock" || { cat "$D/fcgiwrap.out" >&2; finish; exit; }
start nginx "$D/nginx.out" /usr/sbin/nginx -p "$D" -e "$D/error.log" -c "$D/nginx.conf"
URL=http://bob:pw-bob@127.0.0.1:$port/git/proj.git
wait_until nginx git ls-remote "$URL" || { cat "$D/nginx.out" "$D/error.log" >&2; finish; exit; }

server_checks "$URL" "$R" www-data
# nginx hands the authenticated user to the CGI: the allowance names the pusher.
has "$D/log/allow.log" 'pusher="bob"'
expect_exit 128 env GIT_TERMINAL_PROMPT=0 git -C "$T/client" push "http://127.0.0.1:$port/git/proj.git" main:refs/heads/anon
has "$T/err" "could not read Username"

stop nginx
stop fcgiwrap
gone "$D/nginx.conf"
gone "$D/run/fcgiwrap.sock"
finish
