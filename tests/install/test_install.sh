#!/usr/bin/env bash
# test_install.sh - install.sh end to end: a --prefix install (no root), then
# only the installed files: the binary, the library through pkg-config, the
# man page; hooks put into repositories (chained, core.hooksPath, worktrees,
# husky), the global hooks, server hooks in plain, GitLab and Gitea layouts,
# each judged by real commits and pushes; uninstalling each; paths with spaces.
. "$(dirname "$0")/../git/gitlib.sh"

INSTALL=$SOURCE_DIR/install.sh
P=$T/prefix
SG=$P/bin/sasguard
# A build of its own: never the source tree's build/.
export SASGUARD_BUILD_DIR=$T/build
export GIT_CEILING_DIRECTORIES=$T

# ---- the install --------------------------------------------------------------

expect_exit 0 "$INSTALL" --prefix "$P"
has "$T/out" "installed $P/bin/sasguard (policy: $P/etc/sasguard.ini)"
for f in bin/sasguard lib/libsasguard.a include/sasguard.h lib/pkgconfig/sasguard.pc \
         share/man/man1/sasguard.1 etc/sasguard.ini; do
  [ -f "$P/$f" ] && pass || fail "not installed: $P/$f"
  has "$T/out" "$P/$f"
done
[ -x "$SG" ] && pass || fail "$SG is not executable"
grep -qx "CMAKE_INSTALL_PREFIX:PATH=$P" "$T/build/CMakeCache.txt" 2>/dev/null && pass || fail "SASGUARD_BUILD_DIR was not used"

# Installing again keeps a policy the administrator edited.
echo "; edited by the administrator" >> "$P/etc/sasguard.ini"
expect_exit 0 "$INSTALL" --prefix "$P"
has "$T/out" "kept $P/etc/sasguard.ini"
has "$P/etc/sasguard.ini" "; edited by the administrator"

expect_exit 0 "$SG" --version
grep -qE '^sasguard [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" && pass || fail "--version: $(cat "$T/out")"
has "$T/out" "libgit2 "
has "$T/out" "OpenSSL "
printf '%s\n' "$TOKEN_LINE" > "$T/incident.md"
expect_exit 1 "$SG" scan "$T/incident.md"
has "$T/out" "account SAS for robustnessws4285631339"

# ---- the library, through pkg-config --------------------------------------------

export PKG_CONFIG_PATH=$P/lib/pkgconfig
expect_exit 0 pkg-config --cflags --libs sasguard
has "$T/out" "-I$P/include"
has "$T/out" "-L$P/lib"
has "$T/out" "-lsasguard"
expect_exit 0 pkg-config --modversion sasguard
"$SG" --version | head -1 | grep -qF "sasguard $(cat "$T/out")" && pass || fail "sasguard.pc version $(cat "$T/out")"
expect_exit 0 pkg-config --libs sasguard
for l in -lpcre2-8 -linih -lcrypto; do has "$T/out" "$l"; done
cat > "$T/prog.c" <<'EOF'
#include <sasguard.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	sg_policy p;
	sg_scanner *s = NULL;
	sg_diag d;
	sg_findings f;

	if (argc < 2)
		return 2;
	sg_policy_init(&p);
	if (sg_scanner_new(&s, &p, &d) != SG_OK) {
		fprintf(stderr, "%s\n", d.msg);
		return 3;
	}
	sg_findings_init(&f);
	if (sg_scan_buffer(s, "README.md", argv[1], strlen(argv[1]), 1, &f) != SG_OK)
		return 4;
	printf("findings %zu\n", f.count);
	for (size_t i = 0; i < f.count; i++)
		printf("%s %s blocks %d\n", sg_kind_name(f.items[i]->token.kind),
		       f.items[i]->token.account, sg_finding_blocks(f.items[i]));
	sg_findings_clear(&f);
	sg_scanner_free(s);
	sg_policy_free(&p);
	return 0;
}
EOF
# A static library whose dependencies are plain Requires: --libs links them.
expect_exit 0 sh -c 'cc -Wall -Werror -o "$1/prog" "$1/prog.c" $(pkg-config --cflags --libs sasguard)' sh "$T"
expect_exit 0 "$T/prog" "$TOKEN_LINE"
has "$T/out" "findings 1"
has "$T/out" "account-sas robustnessws4285631339 blocks 1"
expect_exit 0 "$T/prog" "nothing to see"
has "$T/out" "findings 0"

# ---- the man page ----------------------------------------------------------------

expect_exit 0 env MANWIDTH=80 man -l "$P/share/man/man1/sasguard.1"
has "$T/out" "SASGUARD(1)"
has "$T/out" "EXIT STATUS"
[ ! -s "$T/err" ] && pass || fail "man -l: $(cat "$T/err")"
# man finds it by name in the prefix.
expect_exit 0 env MANWIDTH=80 man -M "$P/share/man" sasguard
has "$T/out" "SYNOPSIS"

# ---- install.sh hook -------------------------------------------------------------

# commit_token / commit_clean in the current repository.
commit_token() { printf 'Models:\n%s\n' "$TOKEN_LINE" > models.md; git add models.md; expect_exit 1 git commit -m token; \
                 has "$T/err" "account SAS for robustnessws4285631339"; git rm -q --cached models.md; rm -f models.md; }
commit_clean() { echo "clean $RANDOM" >> notes.txt; git add notes.txt; expect_exit 0 git commit -m clean; }

R=$T/repo
git init -q "$R"
mkdir -p "$R/sub"
expect_exit 0 "$INSTALL" --prefix "$P" hook "$R"
has "$T/out" "installed $R/.git/hooks/pre-commit"
has "$T/out" "installed $R/.git/hooks/pre-merge-commit"
for h in pre-commit pre-merge-commit; do
  has "$R/.git/hooks/$h" "# installed by sasguard"
  has "$R/.git/hooks/$h" "exec $SG pre-commit \"\$@\""
  [ -x "$R/.git/hooks/$h" ] && pass || fail "$h is not executable"
done
cd "$R"
commit_token
has "$T/err" "commit rejected"
commit_clean

# Twice: nothing changes, nothing chains to itself. Also from a subdirectory (REPO defaults to it).
cp "$R/.git/hooks/pre-commit" "$T/pc.1"
cd "$R/sub"
expect_exit 0 "$INSTALL" --prefix "$P" hook
has "$T/out" "already installed: $R/.git/hooks/pre-commit"
has "$T/out" "already installed: $R/.git/hooks/pre-merge-commit"
lacks "$T/out" "kept as"
cmp -s "$R/.git/hooks/pre-commit" "$T/pc.1" && pass || fail "a second install changed the hook"
[ ! -e "$R/.git/hooks/pre-commit.sasguard-prev" ] && pass || fail "a second install chained to itself"
cd "$R"

# With sasguard on PATH, the hook calls it by name.
R1=$T/repo-path
git init -q "$R1"
expect_exit 0 env PATH="$P/bin:$PATH" "$INSTALL" --prefix "$P" hook "$R1"
has "$R1/.git/hooks/pre-commit" 'exec sasguard pre-commit "$@"'

# A linked worktree shares the repository's hooks.
git worktree add -q "$T/wt" -b side
expect_exit 0 "$INSTALL" --prefix "$P" hook "$T/wt"
has "$T/out" "already installed: $R/.git/hooks/pre-commit"
cd "$T/wt"
commit_token
commit_clean
cd "$R"

# A merge that brings no new token runs pre-merge-commit and passes.
git checkout -q -b feature main; echo f > f.txt; git add f.txt; git commit -qm f
git checkout -q main; echo m > m.txt; git add m.txt; git commit -qm m
expect_exit 0 git merge --no-edit feature

# Chaining: the hook that was there is kept, runs after sasguard, and its failure blocks too.
R2=$T/repo2
git init -q "$R2"
cat > "$R2/.git/hooks/pre-commit" <<EOF
#!/bin/sh
echo "\$0 \$#" > "$T/old-hook-ran"
if [ -e block-me ]; then echo "old hook says no" >&2; exit 5; fi
exit 0
EOF
chmod +x "$R2/.git/hooks/pre-commit"
cp "$R2/.git/hooks/pre-commit" "$T/old-hook"
expect_exit 0 "$INSTALL" --prefix "$P" hook "$R2"
has "$T/out" "kept as pre-commit.sasguard-prev and runs after sasguard"
cmp -s "$R2/.git/hooks/pre-commit.sasguard-prev" "$T/old-hook" && pass || fail "the old hook was not kept as is"
has "$R2/.git/hooks/pre-commit" "# installed by sasguard"
[ ! -e "$R2/.git/hooks/pre-merge-commit.sasguard-prev" ] && pass || fail "pre-merge-commit chained to nothing"
cd "$R2"
rm -f "$T/old-hook-ran"
commit_clean
[ -e "$T/old-hook-ran" ] && pass || fail "the chained hook did not run"
rm -f "$T/old-hook-ran"
commit_token
[ ! -e "$T/old-hook-ran" ] && pass || fail "the chained hook ran after sasguard had rejected the commit"
touch block-me
echo more >> notes.txt; git add notes.txt
expect_exit 1 git commit -m "blocked by the old hook"
has "$T/err" "old hook says no"
rm block-me
cp "$R2/.git/hooks/pre-commit" "$T/pc.2"
expect_exit 0 "$INSTALL" --prefix "$P" hook "$R2"
has "$T/out" "already installed: $R2/.git/hooks/pre-commit"
cmp -s "$R2/.git/hooks/pre-commit" "$T/pc.2" && pass || fail "a second install changed the chained hook"
cmp -s "$R2/.git/hooks/pre-commit.sasguard-prev" "$T/old-hook" && pass || fail "a second install changed the kept hook"
[ ! -e "$R2/.git/hooks/pre-commit.sasguard-prev.sasguard-prev" ] && pass || fail "chained twice"
# uninstall hook restores it.
expect_exit 0 "$INSTALL" uninstall hook "$R2"
has "$T/out" "restored the hook that was there before"
has "$T/out" "removed $R2/.git/hooks/pre-merge-commit"
cmp -s "$R2/.git/hooks/pre-commit" "$T/old-hook" && pass || fail "uninstall did not restore the old hook"
[ ! -e "$R2/.git/hooks/pre-commit.sasguard-prev" ] && [ ! -e "$R2/.git/hooks/pre-merge-commit" ] && pass \
  || fail "uninstall left files behind: $(ls "$R2/.git/hooks")"
printf '%s\n' "$TOKEN_LINE" > t.md; git add t.md
expect_exit 0 git commit -m "no sasguard any more"
expect_exit 0 "$INSTALL" uninstall hook "$R2"
has "$T/out" "left alone: $R2/.git/hooks/pre-commit is not sasguard's"
has "$T/out" "not installed: $R2/.git/hooks/pre-merge-commit"

# core.hooksPath (relative, as teams set it): the hooks go where git runs them.
R3=$T/repo3
git init -q "$R3"
git -C "$R3" config core.hooksPath .githooks
expect_exit 0 "$INSTALL" --prefix "$P" hook "$R3"
has "$T/out" "core.hooksPath is .githooks"
has "$T/out" "installed $R3/.githooks/pre-commit"
[ ! -e "$R3/.git/hooks/pre-commit" ] && pass || fail "installed into .git/hooks despite core.hooksPath"
cd "$R3"
commit_token
commit_clean
# A tracked hook belongs to the project: refused, with what to do instead.
R4=$T/repo4
git init -q "$R4"
mkdir "$R4/.githooks"; printf '#!/bin/sh\nexit 0\n' > "$R4/.githooks/pre-commit"; chmod +x "$R4/.githooks/pre-commit"
git -C "$R4" add .githooks; git -C "$R4" commit -qm hooks
git -C "$R4" config core.hooksPath .githooks
expect_exit 1 "$INSTALL" --prefix "$P" hook "$R4"
has "$T/err" "is tracked in the repository"
has "$T/err" "sasguard pre-commit"
[ "$(cat "$R4/.githooks/pre-commit")" = "$(printf '#!/bin/sh\nexit 0')" ] && pass || fail "the tracked hook was changed"

# husky (v9): core.hooksPath .husky/_ whose shims find the user's script by their own name.
R5=$T/repo5
git init -q "$R5"
mkdir -p "$R5/.husky/_"
cat > "$R5/.husky/_/h" <<'EOF'
#!/usr/bin/env sh
n=$(basename "$0")
s=$(dirname "$(dirname "$0")")/$n
[ ! -f "$s" ] && exit 0
sh -e "$s" "$@"
EOF
printf '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n' > "$R5/.husky/_/pre-commit"
printf '*\n' > "$R5/.husky/_/.gitignore"
chmod +x "$R5/.husky/_/h" "$R5/.husky/_/pre-commit"
printf 'touch "%s"\n' "$T/husky-ran" > "$R5/.husky/pre-commit"
git -C "$R5" config core.hooksPath .husky/_
expect_exit 0 "$INSTALL" --prefix "$P" hook "$R5"
has "$T/out" "managed by husky"
has "$T/out" "add the line 'sasguard pre-commit' to .husky/pre-commit"
cd "$R5"
git add .husky/pre-commit
commit_token
rm -f "$T/husky-ran"
commit_clean
[ -e "$T/husky-ran" ] && pass || fail "husky's .husky/pre-commit did not run through the chain"

# The pre-commit framework's hook is chained like any other, with a note.
R6=$T/repo6
git init -q "$R6"
printf '#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexit 0\n' > "$R6/.git/hooks/pre-commit"
chmod +x "$R6/.git/hooks/pre-commit"
expect_exit 0 "$INSTALL" --prefix "$P" hook "$R6"
has "$T/out" "is the pre-commit framework's"
has "$T/out" "kept as pre-commit.sasguard-prev"

# Errors: clear, non-zero.
mkdir -p "$T/plain-dir"
expect_exit 1 "$INSTALL" --prefix "$P" hook "$T/plain-dir"
has "$T/err" "is not in a git repository"
expect_exit 1 "$INSTALL" --prefix "$P" hook "$T/no-such-dir"
has "$T/err" "no such directory"
expect_exit 1 "$INSTALL" --prefix "$T/empty-prefix" hook "$R"
has "$T/err" "no sasguard at $T/empty-prefix/bin/sasguard"
expect_exit 1 "$INSTALL" --prefix "$T/empty-prefix" global
has "$T/err" "no sasguard at $T/empty-prefix/bin/sasguard"
git init -q --bare "$T/bare.git"
expect_exit 1 "$INSTALL" --prefix "$T/empty-prefix" server "$T/bare.git"
has "$T/err" "no sasguard at $T/empty-prefix/bin/sasguard"
[ ! -e "$T/bare.git/hooks/pre-receive" ] && pass || fail "a failed server install wrote a hook"
expect_exit 1 "$INSTALL" --prefix "$P" hook "$T/bare.git"
has "$T/err" "use install.sh server"
expect_exit 1 "$INSTALL" --prefix "$P" hook "$R" "$R2"
expect_exit 1 "$INSTALL" --prefix "$P" frobnicate
has "$T/err" "unknown command 'frobnicate'"
expect_exit 1 "$INSTALL" --prefix "$P" server
expect_exit 1 "$INSTALL" --prefix "$P" server "$T/plain-dir"
has "$T/err" "is not a git repository"
expect_exit 1 "$INSTALL" --prefix "$P" server "$R/sub"
has "$T/err" "is not a git repository (it is a directory inside $R/.git)"

# gitolite (tests/servers/test_gitolite.sh drives a real one): a directory
# without .gitolite.rc is no gitolite home; --repo-specific is gitolite's.
expect_exit 1 "$INSTALL" --prefix "$P" server --gitolite "$T/plain-dir"
has "$T/err" "is not a gitolite home (no .gitolite.rc)"
expect_exit 1 "$INSTALL" --prefix "$P" server --repo-specific "$T/bare.git"
has "$T/err" "--repo-specific goes with --gitolite"
expect_exit 1 "$INSTALL" uninstall server --gitolite "$T/no-such-dir"
has "$T/err" "no such directory"

expect_exit 0 "$INSTALL" --help
for w in "hook [REPO]" global "server BARE_REPO" "uninstall [hook [REPO] | global | server BARE_REPO...]" \
         "server --gitolite [--repo-specific] [GITOLITE_HOME]" "option hook.pre-receive = sasguard" \
         core.hooksPath .sasguard-prev custom_hooks/pre-receive.d hooks/pre-receive.d --deps-only --prefix; do
  has "$T/out" "$w"
done

# ---- install.sh server -------------------------------------------------------------

# A client with a clean branch and a branch adding the incident URL.
C=$T/client
git init -q "$C"
cd "$C"
echo hello > a.txt; git add a.txt; git commit -qm init
git checkout -q -b leak; printf 'Models:\n%s\n' "$TOKEN_LINE" > models.md; git add models.md; git commit -qm leak
git checkout -q main
push_ok() { expect_exit 0 git -C "$C" push "$1" "${2:-main}"; }
push_rejected() {
  expect_exit 1 git -C "$C" push "$1" "leak:refs/heads/leak-$RANDOM"
  has "$T/err" "account SAS for robustnessws4285631339"
  has "$T/err" "pre-receive hook declined"
}

S=$T/srv.git
git init -q --bare "$S"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S"
has "$T/out" "installed $S/hooks/pre-receive"
has "$S/hooks/pre-receive" "# installed by sasguard"
has "$S/hooks/pre-receive" "exec $SG pre-receive \"\$@\""
push_rejected "$S"
push_ok "$S"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S"
has "$T/out" "already installed: $S/hooks/pre-receive"

# Chained: the old pre-receive keeps running, with the same input; its failure blocks too.
S2=$T/srv2.git
git init -q --bare "$S2"
cat > "$S2/hooks/pre-receive" <<EOF
#!/bin/sh
cat > "$T/old-pre-receive.in"
if grep -q refs/heads/frozen "$T/old-pre-receive.in"; then echo "old hook: frozen is frozen" >&2; exit 7; fi
exit 0
EOF
chmod +x "$S2/hooks/pre-receive"
cp "$S2/hooks/pre-receive" "$T/old-pre-receive"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S2"
has "$T/out" "kept as pre-receive.sasguard-prev"
push_ok "$S2"
has "$T/old-pre-receive.in" "$ZERO $(git -C "$C" rev-parse main) refs/heads/main"
push_rejected "$S2"
expect_exit 1 git -C "$C" push "$S2" main:refs/heads/frozen
has "$T/err" "old hook: frozen is frozen"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S2"
has "$T/out" "already installed: $S2/hooks/pre-receive"
[ ! -e "$S2/hooks/pre-receive.sasguard-prev.sasguard-prev" ] && pass || fail "server hook chained twice"
expect_exit 0 "$INSTALL" uninstall server "$S2" "$S"
has "$T/out" "restored the hook that was there before"
has "$T/out" "removed $S/hooks/pre-receive"
cmp -s "$S2/hooks/pre-receive" "$T/old-pre-receive" && pass || fail "uninstall server did not restore the old hook"
[ ! -e "$S/hooks/pre-receive" ] && pass || fail "uninstall server left $S/hooks/pre-receive"
push_ok "$S" leak
expect_exit 0 "$INSTALL" uninstall server "$S"
has "$T/out" "not installed: no sasguard hook in $S"

# GitLab: custom_hooks/ holds the hook. The dispatcher below stands in for
# Gitaly: it runs custom_hooks/pre-receive.d/* in order, each with the pushed
# lines, and stops at the first failure. hooks/ is never used.
S3=$T/gitlab.git
git init -q --bare "$S3"
mkdir "$S3/custom_hooks"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S3"
has "$T/out" "installed $S3/custom_hooks/pre-receive.d/sasguard"
has "$T/out" "gitaly hooks set"
[ -x "$S3/custom_hooks/pre-receive.d/sasguard" ] && pass || fail "no custom_hooks/pre-receive.d/sasguard"
[ ! -e "$S3/hooks/pre-receive" ] && pass || fail "GitLab layout: hooks/pre-receive written"
cat > "$S3/hooks/pre-receive" <<'EOF'
#!/bin/sh
# Stands in for Gitaly's hook runner.
data=$(cat)
for h in "$GIT_DIR"/custom_hooks/pre-receive.d/*; do
  [ -f "$h" ] && [ -x "$h" ] || continue
  printf '%s\n' "$data" | "$h" || exit $?
done
EOF
chmod +x "$S3/hooks/pre-receive"
push_rejected "$S3"
push_ok "$S3"
# A GitLab repository without custom_hooks/ yet (gitlab.fullpath in its config).
S4=$T/gitlab2.git
git init -q --bare "$S4"
git -C "$S4" config gitlab.fullpath group/project
expect_exit 0 "$INSTALL" --prefix "$P" server "$S4"
has "$T/out" "is a GitLab repository"
[ -x "$S4/custom_hooks/pre-receive.d/sasguard" ] && pass || fail "gitlab.fullpath: no custom_hooks/pre-receive.d/sasguard"
expect_exit 0 "$INSTALL" uninstall server "$S3" "$S4"
has "$T/out" "removed $S3/custom_hooks/pre-receive.d/sasguard"
has "$T/out" "removed $S4/custom_hooks/pre-receive.d/sasguard"
[ -d "$S3/custom_hooks" ] && pass || fail "uninstall removed custom_hooks/"

# Gitea/Forgejo: hooks/pre-receive is Gitea's dispatcher (as Gitea writes it)
# of hooks/pre-receive.d/*; it must stay as it is.
S5=$T/gitea.git
git init -q --bare "$S5"
mkdir "$S5/hooks/pre-receive.d"
cat > "$S5/hooks/pre-receive" <<'EOF'
#!/usr/bin/env bash
# AUTO GENERATED BY GITEA, DO NOT MODIFY
data=$(cat)
exitcodes=""
hookname=$(basename $0)
GIT_DIR=${GIT_DIR:-$(dirname $0)/..}

for hook in ${GIT_DIR}/hooks/${hookname}.d/*; do
  test -x "${hook}" && test -f "${hook}" || continue
  echo "${data}" | "${hook}"
  exitcodes="${exitcodes} $?"
done

for i in ${exitcodes}; do
  [ ${i} -eq 0 ] || exit ${i}
done
EOF
printf '#!/bin/sh\ncat > "%s"\n' "$T/gitea-hook.in" > "$S5/hooks/pre-receive.d/gitea"
chmod +x "$S5/hooks/pre-receive" "$S5/hooks/pre-receive.d/gitea"
cp "$S5/hooks/pre-receive" "$T/gitea-dispatcher"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S5"
has "$T/out" "installed $S5/hooks/pre-receive.d/sasguard"
has "$T/out" "Gitea/Forgejo"
cmp -s "$S5/hooks/pre-receive" "$T/gitea-dispatcher" && pass || fail "Gitea's hooks/pre-receive was edited"
[ ! -e "$S5/hooks/pre-receive.sasguard-prev" ] && pass || fail "Gitea's hooks/pre-receive was chained"
push_rejected "$S5"
push_ok "$S5"
has "$T/gitea-hook.in" "refs/heads/main"
expect_exit 0 "$INSTALL" --prefix "$P" server "$S5"
has "$T/out" "already installed: $S5/hooks/pre-receive.d/sasguard"
expect_exit 0 "$INSTALL" uninstall server "$S5"
has "$T/out" "removed $S5/hooks/pre-receive.d/sasguard"
cmp -s "$S5/hooks/pre-receive" "$T/gitea-dispatcher" && pass || fail "uninstall touched Gitea's hooks/pre-receive"
[ -x "$S5/hooks/pre-receive.d/gitea" ] && pass || fail "uninstall touched Gitea's own hook"

# ---- paths with spaces ----------------------------------------------------------

SP="$T/my prefix"
cp -a "$P" "$SP"
RS="$T/repo with space"
git init -q "$RS"
printf '#!/bin/sh\ntouch "$(dirname "$0")/../../old hook ran"\n' > "$RS/.git/hooks/pre-commit"
chmod +x "$RS/.git/hooks/pre-commit"
expect_exit 0 "$INSTALL" --prefix "$SP" hook "$RS"
has "$RS/.git/hooks/pre-commit" "'$SP/bin/sasguard' pre-commit"
cd "$RS"
commit_token
commit_clean
[ -e "$RS/old hook ran" ] && pass || fail "the chained hook did not run in a path with spaces"
SS="$T/srv with space.git"
git init -q --bare "$SS"
printf '#!/bin/sh\ncat > "$(dirname "$0")/../old hook input"\n' > "$SS/hooks/pre-receive"
chmod +x "$SS/hooks/pre-receive"
expect_exit 0 "$INSTALL" --prefix "$SP" server "$SS"
push_rejected "$SS"
push_ok "$SS"
has "$SS/old hook input" "refs/heads/main"
expect_exit 0 "$INSTALL" uninstall server "$SS"
expect_exit 0 "$INSTALL" uninstall hook "$RS"
[ -e "$RS/.git/hooks/pre-commit" ] && [ ! -e "$RS/.git/hooks/pre-commit.sasguard-prev" ] && pass \
  || fail "uninstall hook with spaces"

# ---- install.sh global -------------------------------------------------------------

GH=$XDG_CONFIG_HOME/sasguard/hooks
expect_exit 0 "$INSTALL" --prefix "$P" global
has "$T/out" "set git config --global core.hooksPath $GH"
[ "$(git config --global core.hooksPath)" = "$GH" ] && pass || fail "global core.hooksPath not set"
for h in pre-commit pre-merge-commit; do has "$GH/$h" "# installed by sasguard (global hooks"; done
git config --global --show-origin core.hooksPath | grep -qF "file:$HOME/.gitconfig" && pass \
  || fail "the global git config is not under the test's HOME"
# A repository with nothing installed is protected, and its own hook still runs.
G=$T/global-repo
git init -q "$G"
printf '#!/bin/sh\ntouch "%s"\n' "$T/own-hook-ran" > "$G/.git/hooks/pre-commit"
chmod +x "$G/.git/hooks/pre-commit"
cd "$G"
commit_token
rm -f "$T/own-hook-ran"
commit_clean
[ -e "$T/own-hook-ran" ] && pass || fail "the repository's own hook did not run under the global hooks"
expect_exit 0 "$INSTALL" --prefix "$P" hook "$G"
has "$T/out" "uses sasguard's global hooks"
cp "$GH/pre-commit" "$T/gh.1"
expect_exit 0 "$INSTALL" --prefix "$P" global
has "$T/out" "already installed: $GH/pre-commit"
has "$T/out" "already set"
cmp -s "$GH/pre-commit" "$T/gh.1" && pass || fail "a second global install changed the hook"
expect_exit 0 "$INSTALL" uninstall global
has "$T/out" "unset git config --global core.hooksPath"
expect_exit 1 git config --global core.hooksPath
[ ! -e "$GH/pre-commit" ] && [ ! -e "$GH" ] && pass || fail "uninstall global left $GH"
printf '%s\n' "$TOKEN_LINE" > t.md; git add t.md
expect_exit 0 git commit -m "global hooks gone"
# Another global core.hooksPath: refused politely, nothing written.
git config --global core.hooksPath "$T/company-hooks"
expect_exit 1 "$INSTALL" --prefix "$P" global
has "$T/err" "already sets core.hooksPath = $T/company-hooks"
has "$T/err" "sasguard pre-commit || exit"
[ "$(git config --global core.hooksPath)" = "$T/company-hooks" ] && pass || fail "the global core.hooksPath was changed"
[ ! -e "$GH" ] && pass || fail "refused, but wrote $GH"
expect_exit 0 "$INSTALL" uninstall global
has "$T/out" "left alone: the global core.hooksPath is $T/company-hooks"
git config --global --unset core.hooksPath

# The global hooks from a config directory and a prefix with spaces.
XS="$T/x d g"
expect_exit 0 env XDG_CONFIG_HOME="$XS" "$INSTALL" --prefix "$SP" global
has "$T/out" "set git config --global core.hooksPath $XS/sasguard/hooks"
has "$XS/sasguard/hooks/pre-commit" "'$SP/bin/sasguard' pre-commit"
cd "$G"
commit_token
commit_clean
expect_exit 0 env XDG_CONFIG_HOME="$XS" "$INSTALL" uninstall global
expect_exit 1 git config --global core.hooksPath

# ---- uninstall the files -------------------------------------------------------------

expect_exit 0 "$INSTALL" --prefix "$P" uninstall
for f in bin/sasguard lib/libsasguard.a include/sasguard.h lib/pkgconfig/sasguard.pc share/man/man1/sasguard.1; do
  [ ! -e "$P/$f" ] && pass || fail "uninstall left $P/$f"
  has "$T/out" "removed $P/$f"
done
[ -f "$P/etc/sasguard.ini" ] && pass || fail "uninstall removed the policy"
has "$T/out" "left $P/etc/sasguard.ini alone"
expect_exit 1 "$INSTALL" --prefix "$P" hook "$R"
has "$T/err" "no sasguard at $P/bin/sasguard"

finish
