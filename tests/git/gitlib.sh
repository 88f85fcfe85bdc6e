# gitlib.sh - helpers for the tests that drive real git: an isolated git
# environment, repositories with the hook installed, commits that bypass it.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# Nothing from the machine's or the user's git or sasguard config leaks in.
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg GIT_CONFIG_NOSYSTEM=1
export SASGUARD_SYSTEM_CONFIG=$T/system.ini
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=t@example.com
mkdir -p "$HOME" "$XDG_CONFIG_HOME"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
git config --global protocol.file.allow always

# new_repo DIR: a repository with the pre-commit hook (and pre-merge-commit) installed,
# in REPO_FORMAT's object format when it is set (sha1, sha256).
new_repo() {
  git init -q ${REPO_FORMAT:+--object-format="$REPO_FORMAT"} "$1"
  printf '#!/bin/sh\nexec "%s" pre-commit "$@"\n' "$SASGUARD" > "$1/.git/hooks/pre-commit"
  cp "$1/.git/hooks/pre-commit" "$1/.git/hooks/pre-merge-commit"
  chmod +x "$1/.git/hooks/pre-commit" "$1/.git/hooks/pre-merge-commit"
}

# new_server DIR: a bare repository with the pre-receive hook installed.
new_server() {
  git init -q --bare "$1"
  printf '#!/bin/sh\nexec "%s" pre-receive "$@"\n' "$SASGUARD" > "$1/hooks/pre-receive"
  chmod +x "$1/hooks/pre-receive"
}

# hook_off SERVER / hook_on SERVER: push setup state past the hook.
hook_off() { mv "$1/hooks/pre-receive" "$1/hooks/pre-receive.off"; }
hook_on() { mv "$1/hooks/pre-receive.off" "$1/hooks/pre-receive"; }

# A token that breaks no rule is dull; these break some, with fake signatures.
TOKEN_LINE="url = $INCIDENT_URL"
KEY_LINE='conn = "DefaultEndpointsProtocol=https;AccountName=acct5;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==;EndpointSuffix=core.windows.net"'
EXPIRED_LINE='old = https://old.blob.core.windows.net/?sv=2019-10-10&ss=b&srt=sco&sp=rlx&se=2021-10-05T15:06:23Z&st=2020-06-10T07:06:23Z&spr=https&sig=Gxax31OLoS3D%2BX7buFyqcFDUbBSBNCkP66gPgjbIPbk%3D'
ZERO=0000000000000000000000000000000000000000

# hour_url: a read-only blob SAS, https only, valid from 10 minutes ago for one
# hour of real time (hooks judge against the clock; --now cannot reach them).
hour_url() {
  local st se
  st=$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)
  se=$(date -u -d '+50 minutes' +%Y-%m-%dT%H:%M:%SZ)
  echo "https://examplestore.blob.core.windows.net/models/m.pt?sv=2022-11-02&sr=b&sp=r&st=$st&se=$se&spr=https&sig=PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0%3D"
}

# utf16 FILE TEXT...: writes the lines as UTF-16LE with a BOM and CRLF, as
# Windows PowerShell 5 `>` and Out-File do.
utf16() {
  local f=$1; shift
  printf '%s\r\n' "$@" | iconv -f UTF-8 -t UTF-16 > "$f"
}
