#!/usr/bin/env bash
# test_pre_receive.sh - `sasguard pre-receive` in a real bare repository,
# receiving real pushes: to a path, over file:// and over git daemon.
. "$(dirname "$0")/gitlib.sh"

S=$T/srv.git
new_server "$S"
C=$T/client
git init -q "$C"
cd "$C"

# A clean first push creates the branch.
echo hello > a.txt; git add a.txt; git commit -qm init
expect_exit 0 git push -q "$S" main
[ "$(git -C "$S" rev-parse main)" = "$(git rev-parse main)" ] && pass || fail "main not created"

# A fast-forward of five commits, the token in the third: rejected, that commit named.
for i in 1 2; do echo $i >> a.txt; git commit -qam "c$i"; done
printf 'Models:\n%s\n' "$TOKEN_LINE" > README.md; git add README.md; git commit -qm "add README"
bad=$(git rev-parse --short=12 HEAD)
for i in 4 5; do echo $i >> a.txt; git commit -qam "c$i"; done
expect_exit 1 git push "$S" main
has "$T/err" "remote: $bad:README.md:2:7: error: account SAS for robustnessws4285631339"
for r in account-sas permissions lifetime http; do has "$T/err" "  $r "; done
has "$T/err" "[remote rejected] main -> main (pre-receive hook declined)"
has "$T/err" "push rejected"
no_secrets "$T/err"
[ "$(git -C "$S" rev-list --count main)" = 1 ] && pass || fail "the server's main moved"

# The same push as a new branch: rejected, the branch not created.
expect_exit 1 git push "$S" main:refs/heads/feature
expect_exit 1 git -C "$S" rev-parse -q --verify refs/heads/feature

# Force push: the history rewritten without the token is accepted.
git reset -q --hard HEAD~3
for i in 3 4 5; do echo $i >> a.txt; git commit -qam "c$i"; done
expect_exit 0 git push -q "$S" main
git push -q "$S" main:refs/heads/topic
echo topic >> a.txt; git commit -qam topic
expect_exit 0 git push -q --force "$S" HEAD~2:refs/heads/topic

# Tags: a lightweight tag of a known commit passes; an annotated tag of a commit
# adding a token is rejected; a token in a tag message is rejected.
expect_exit 0 git push -q "$S" "$(git rev-parse HEAD~1):refs/tags/light"
git checkout -q -b tagged
printf '%s\n' "$KEY_LINE" > settings.ini; git add settings.ini; git commit -qm "settings"
git tag -a -m "release" v1
expect_exit 1 git push "$S" refs/tags/v1
has "$T/err" "settings.ini:1:"
has "$T/err" "account-key"
git checkout -q main
git tag -a -m "download: $INCIDENT_URL" v2 main
expect_exit 1 git push "$S" refs/tags/v2
has "$T/err" "(tag message):"
# A token in a commit message is content too.
git commit -q --allow-empty -m "see $INCIDENT_URL"
expect_exit 1 git push "$S" main
has "$T/err" "(commit message):"
git reset -q --hard HEAD~1

# A UTF-16 file (PowerShell's `>`) is text to the server too.
utf16 deploy.ps1 '$container = "models"' "\$u = '$INCIDENT_URL'"
git add deploy.ps1; git commit -qm "utf-16 script"
expect_exit 1 git push "$S" main
has "$T/err" "remote: $(git rev-parse --short=12 HEAD):deploy.ps1:2:7: error: account SAS"
no_secrets "$T/err"
git reset -q --hard HEAD~1

# Deleting a ref is accepted.
expect_exit 0 git push -q "$S" :refs/heads/topic
expect_exit 1 git -C "$S" rev-parse -q --verify refs/heads/topic

# Merges. Setup past the hook: the server already holds a branch with a token.
hook_off "$S"
git checkout -q -b legacy main
printf '%s\n' "$TOKEN_LINE" > legacy.txt; git add legacy.txt; git commit -qm legacy
git push -q "$S" legacy
hook_on "$S"
git checkout -q main
echo m >> a.txt; git commit -qam "main moves"
git merge -q --no-edit legacy
expect_exit 0 git push -q "$S" main
# The server's token on a rewritten line of its file (the diff shows the line
# removed and added) is not new: its fingerprint was in the parent's blob.
printf 'moved into a sentence: %s\n' "$TOKEN_LINE" > legacy.txt
git commit -qam "legacy token's line rewritten" --no-verify
expect_exit 0 git push -q "$S" main
# An evil merge: the merge commit itself adds a token no parent had.
git checkout -q -b side2 HEAD~1; echo s >> b.txt; git add b.txt; git commit -qm side2
git checkout -q main
git merge -q --no-commit side2
printf '%s\n' "$KEY_LINE" > evil.txt; git add evil.txt
git commit -q --no-verify -m "merge side2"
evil=$(git rev-parse --short=12 HEAD)
expect_exit 1 git push "$S" main
has "$T/err" "$evil:evil.txt:1:"
git reset -q --hard HEAD~1
# New means what git means (rev-list <new> --not --all): a file that is an
# exact copy of a blob the server already holds adds nothing, so each token
# line below differs from legacy.txt's.
cp legacy.txt copy.txt; git add copy.txt; git commit -qm "copy of a blob the server has"
expect_exit 0 git push -q "$S" main

# Policy comes from the server, never from pushed files: a pushed .sasguard.ini
# that would allow everything changes nothing.
printf '[allow]\npath = **\n[rules]\naccount-sas = off\n' > .sasguard.ini
printf 'x = %s\n' "$TOKEN_LINE" > x.txt; git add .sasguard.ini x.txt; git commit -qm "try to loosen"
expect_exit 1 git push "$S" main
has "$T/err" "x.txt:1:"
# The server's own policy (git config sasguard.config) applies, and an allowance there works.
printf '[allow]\npath = x.txt\n' > "$T/server.ini"
git -C "$S" config sasguard.config "$T/server.ini"
expect_exit 0 git push -q "$S" main
git -C "$S" config --unset sasguard.config
# A broken server policy rejects the push.
git commit -q --allow-empty -m more
printf '[policy]\nmax_lifetime = whenever\n' > "$T/broken.ini"
git -C "$S" config sasguard.config "$T/broken.ini"
expect_exit 1 git push "$S" main
has "$T/err" "broken.ini:2:"
has "$T/err" "cannot be read"
git -C "$S" config --unset sasguard.config

# file:// and git daemon transports.
echo f >> a.txt; git commit -qam file-url
expect_exit 0 git push -q "file://$S" main
printf 'url %s\n' "$TOKEN_LINE" > url.txt; git add url.txt; git commit -qm url-token
expect_exit 1 git push "file://$S" main
has "$T/err" "url.txt:1:"
git reset -q --hard HEAD~1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$T" --export-all \
  --enable=receive-pack --pid-file="$T/daemon.pid" --detach "$T"
for _ in $(seq 50); do git ls-remote "git://127.0.0.1:$port/srv.git" >/dev/null 2>&1 && break; sleep 0.1; done
printf 'daemon %s\n' "$TOKEN_LINE" > daemon.txt; git add daemon.txt; git commit -qm daemon-token
expect_exit 1 git push "git://127.0.0.1:$port/srv.git" main
has "$T/err" "daemon.txt:1:"
git reset -q --hard HEAD~1
echo d >> a.txt; git commit -qam daemon-clean
expect_exit 0 git push -q "git://127.0.0.1:$port/srv.git" main
kill "$(cat "$T/daemon.pid")" 2>/dev/null

# A repository path with ':' (git quotes the alternates; libgit2 would lose the main store).
CS="$T/srv:colon.git"
new_server "$CS"
git checkout -q --orphan fresh; git rm -rq --cached .; git clean -qfdx
echo c > c.txt; git add c.txt; git commit -qm c1
expect_exit 0 git push -q "$CS" fresh
echo c >> c.txt; git commit -qam c2
expect_exit 0 git push -q "$CS" fresh
printf '%s\n' "$TOKEN_LINE" > colon.txt; git add colon.txt; git commit -qm colon
expect_exit 1 git push "$CS" fresh
has "$T/err" "colon.txt:1:"
git checkout -q -f main

# 3 000 small commits at once (a pack in the quarantine), then the same with a token in the middle.
python3 - "$(git rev-parse main)" <<'PY' | git fast-import --quiet
import sys
w = sys.stdout.write
parent = sys.argv[1]
for i in range(3000):
    w("commit refs/heads/many\ncommitter t <t@example.com> %d +0000\ndata 2\nc\n" % (1700000000 + i))
    w("from %s\n" % parent if i == 0 else "")
    w("M 100644 inline many/f%05d.txt\ndata %d\nline %d\n\n" % (i % 300, len("line %d\n" % i), i))
    parent = None
PY
expect_exit 0 git push -q "$S" many
[ "$(git -C "$S" rev-list --count many)" -gt 3000 ] && pass || fail "3000 commits not received"
python3 - "$(git rev-parse many)" "$TOKEN_LINE" <<'PY' | git fast-import --quiet
import sys
w = sys.stdout.write
parent, tok = sys.argv[1], "many " + sys.argv[2] + "\n"
for i in range(3000):
    w("commit refs/heads/many2\ncommitter t <t@example.com> %d +0000\ndata 2\nd\n" % (1710000000 + i))
    w("from %s\n" % parent if i == 0 else "")
    body = tok if i == 1500 else "again %d\n" % i
    w("M 100644 inline many/g%05d.txt\ndata %d\n%s\n" % (i % 300, len(body), body))
PY
expect_exit 1 git push "$S" many2
has "$T/err" "many/g00000.txt:1:"  # commit 1500 writes g(1500 % 300)
[ "$(grep -c 'error: account SAS' "$T/err")" = 1 ] && pass || fail "the token of many2 reported more than once"

# Failing safe: a crash, a hang past max_seconds and an internal error reject the
# push. server.fail_open = true accepts a push only when the scan could not
# finish in time (the server's capacity): a crash or an error reading what the
# push holds still rejects it, or a crafted push could pass by breaking the scan.
echo safe >> a.txt; git commit -qam safe
expect_exit 1 env SASGUARD_TEST_FAULT=crash git push "$S" main
has "$T/err" "died of signal 6"
has "$T/err" "could not be judged"
printf '[server]\nmax_seconds = 1\n' > "$T/fast.ini"
git -C "$S" config sasguard.config "$T/fast.ini"
expect_exit 1 env SASGUARD_TEST_FAULT=hang git push "$S" main
has "$T/err" "did not finish within server.max_seconds = 1 s"
has "$T/err" "raise server.max_seconds"
has "$T/err" "fails closed"
printf '[server]\nfail_open = true\nmax_seconds = 1\n' > "$T/open.ini"
git -C "$S" config sasguard.config "$T/open.ini"
expect_exit 1 env SASGUARD_TEST_FAULT=crash git push "$S" main
has "$T/err" "fail_open does not cover this"
expect_exit 1 env SASGUARD_TEST_FAULT=error git push "$S" main
expect_exit 0 env SASGUARD_TEST_FAULT=hang git push "$S" main
has "$T/err" "accepting the push unchecked"
# A timeout after a blocking token was found rejects the push all the same
# (the scan hangs once it has judged the push: 5 s leave it time to judge).
printf '[server]\nfail_open = true\nmax_seconds = 5\n' > "$T/open5.ini"
git -C "$S" config sasguard.config "$T/open5.ini"
printf 'late = %s\n' "$INCIDENT_URL" > late.txt; git add late.txt; git commit -qm late
expect_exit 1 env SASGUARD_TEST_FAULT=hang-judged git push "$S" main
has "$T/err" "a token that breaks the policy was found before then"
lacks "$T/err" "accepting the push unchecked"
git reset -q --hard HEAD~1
git -C "$S" config --unset sasguard.config

# Without a quarantine (older git, other servers): the hook walks from the refs.
hook_off "$S"
printf '%s\n' "$KEY_LINE" > noq.txt; git add noq.txt; git commit -qm noq
git push -q "$S" HEAD:refs/heads/tmp
git -C "$S" update-ref -d refs/heads/tmp
hook_on "$S"
printf '%s %s refs/heads/noq\n' "$ZERO" "$(git rev-parse HEAD)" > "$T/stdin"
expect_exit 1 sh -c "cd '$S' && GIT_DIR=. '$SASGUARD' pre-receive < '$T/stdin'"
has "$T/err" "noq.txt:1:"

# Misuse: not run by git, or fed garbage.
expect_exit 3 sh -c "cd '$S' && echo 'not a ref line' | GIT_DIR=. '$SASGUARD' pre-receive"
has "$T/err" "is not '<old> <new> <ref>'"
expect_exit 0 sh -c "cd '$S' && GIT_DIR=. '$SASGUARD' pre-receive < /dev/null"

finish
