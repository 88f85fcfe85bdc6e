#!/usr/bin/env bash
# test_pre_commit_framework.sh - .pre-commit-hooks.yaml through the real
# pre-commit framework, offline: a hook repository made from this tree's
# manifest and tools/pre-commit-sasguard.sh, used by a project's
# .pre-commit-config.yaml at a fixed rev. Both hook ids reject a commit adding
# the incident URL and pass a clean one. Skipped (77) without pre-commit.
command -v pre-commit >/dev/null 2>&1 || { echo "pre-commit is not installed (install.sh --deps-only installs it)"; exit 77; }
. "$(dirname "$0")/../git/gitlib.sh"

# Nothing of pre-commit's in the real home or cache.
export XDG_CACHE_HOME=$T/cache PRE_COMMIT_HOME=$T/pre-commit-home
export GIT_CEILING_DIRECTORIES=$T
# sasguard on PATH, as `language: system` needs it.
mkdir -p "$T/bin"
ln -s "$SASGUARD" "$T/bin/sasguard"
export PATH="$T/bin:$PATH"

# The hook repository: the manifest and the script as they are in this tree
# (committed or not), with the script's mode.
H=$T/hook-repo
git init -q "$H"
mkdir -p "$H/tools"
cp "$SOURCE_DIR/.pre-commit-hooks.yaml" "$H/"
cp -p "$SOURCE_DIR/tools/pre-commit-sasguard.sh" "$H/tools/"
cp -p "$SOURCE_DIR/install.sh" "$H/"
[ -x "$H/tools/pre-commit-sasguard.sh" ] && pass || fail "tools/pre-commit-sasguard.sh is not executable in the tree"
git -C "$H" add -A
git -C "$H" commit -qm "sasguard hooks"
REV=$(git -C "$H" rev-parse HEAD)

R=$T/project
git init -q "$R"
cd "$R"
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: "$H"
    rev: $REV
    hooks:
      - id: sasguard
      - id: sasguard-script
EOF
git add .pre-commit-config.yaml
git commit -qm "pre-commit config" --no-verify
expect_exit 0 pre-commit install -t pre-commit -t pre-merge-commit
has "$T/out" "pre-commit installed at .git/hooks/pre-commit"
has "$T/out" "pre-commit installed at .git/hooks/pre-merge-commit"

# A commit adding the incident URL is rejected, by each hook.
printf 'Models:\n\n%s\n' "$TOKEN_LINE" > README.md
git add README.md
expect_exit 1 git commit -m "add models"
cat "$T/out" "$T/err" > "$T/both"
has "$T/both" "README.md:3:7: error: account SAS for robustnessws4285631339"
has "$T/both" "- hook id: sasguard"
has "$T/both" "- hook id: sasguard-script"
has "$T/both" "- exit code: 1"
no_secrets "$T/both"
[ "$(git rev-list --count HEAD)" = 1 ] && pass || fail "the rejected commit was made"
for id in sasguard sasguard-script; do
  expect_exit 1 pre-commit run "$id"
  has "$T/out" "Failed"
  has "$T/out" "account SAS for robustnessws4285631339"
  # The manual stage (pre-commit run --hook-stage manual) has them too.
  expect_exit 1 pre-commit run --hook-stage manual "$id"
done

# A clean commit passes both.
printf 'Models: ask the team for a link.\n' > README.md
git add README.md
expect_exit 0 git commit -m "readme"
cat "$T/out" "$T/err" > "$T/both"
grep -c 'Passed' "$T/both" | grep -qx 2 && pass || fail "not both hooks passed: $(cat "$T/both")"

# A merge (pre-merge-commit) that adds no token passes.
git checkout -q -b feature
echo f > f.txt; git add f.txt; git commit -qm f >/dev/null 2>&1
git checkout -q main
echo m > m.txt; git add m.txt; git commit -qm m >/dev/null 2>&1
expect_exit 0 git merge --no-edit feature
cat "$T/out" "$T/err" > "$T/both"
has "$T/both" "Passed"

# Without sasguard on PATH: the script hook fails and says how to install it.
printf 'more\n' >> README.md; git add README.md
expect_exit 1 env PATH=/usr/bin:/bin pre-commit run sasguard-script
has "$T/out" "sasguard: not found on PATH"
has "$T/out" "install.sh --prefix ~/.local"
has "$T/out" "- exit code: 127"
expect_exit 1 env PATH=/usr/bin:/bin pre-commit run sasguard
has "$T/out" "Executable \`sasguard\` not found"

finish
