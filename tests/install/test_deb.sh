#!/usr/bin/env bash
# test_deb.sh - the Debian package, without installing it: a Release build
# configured for /usr in a temporary directory, `cpack -G DEB`, then the .deb
# as dpkg sees it (dpkg-deb -I: fields, computed Depends, conffiles; -c: the
# file list), its files extracted and used (the binary's built-in policy path,
# the quick start, sasguard.pc, the static library linked into a program, the
# man page and changelog as Debian compresses them), and lintian: no error,
# no warning. Installing, removing and purging it on a real machine is in
# .ci/run. Skipped (77) when not root or when dpkg-deb, dpkg-shlibdeps,
# cpack, file or lintian is missing (install.sh --deps-only installs them).
#
# SASGUARD_DEB_BUILD=DIR: the package .ci/deb.sh built in DIR (the same
# configuration as here, checked in its CMakeCache.txt) and already checked
# with lintian, as CI has it: this test then checks that .deb, not a second
# build of the same sources, and does not run lintian on it again.
if [ "$(id -u)" -ne 0 ]; then echo "test_deb.sh: not root; skipped"; exit 77; fi
for tool in dpkg-deb dpkg-shlibdeps cpack file lintian; do
  command -v "$tool" >/dev/null 2>&1 || { echo "test_deb.sh: $tool is not installed; skipped"; exit 77; }
done
. "$(dirname "$0")/../git/gitlib.sh"

VERSION=$("$SASGUARD" --version | sed -n '1s/^sasguard //p')
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
B=${SASGUARD_DEB_BUILD:-$T/build}
DEB=$B/sasguard_${VERSION}_${ARCH}.deb

# ---- the build ---------------------------------------------------------------------

if [ -n "${SASGUARD_DEB_BUILD:-}" ]; then
  # .ci/deb.sh's build: the configuration below, of these sources.
  for kv in CMAKE_BUILD_TYPE:STRING=Release CMAKE_INSTALL_PREFIX:PATH=/usr SASGUARD_TESTS:BOOL=OFF \
            "CMAKE_HOME_DIRECTORY:INTERNAL=$SOURCE_DIR"; do
    grep -qxF "$kv" "$B/CMakeCache.txt" && pass || fail "SASGUARD_DEB_BUILD=$B: its CMakeCache.txt lacks $kv"
  done
else
  expect_exit 0 cmake -S "$SOURCE_DIR" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DSASGUARD_TESTS=OFF
  expect_exit 0 cmake --build "$B" -j "$(nproc 2>/dev/null || echo 2)"
  cd "$B" || exit 1
  expect_exit 0 cpack -G DEB
  cd "$T" || exit 1
fi
[ -f "$DEB" ] && pass || { fail "no $DEB"; ls "$B" >&2; finish; exit 1; }
[ "$(find "$B" -maxdepth 1 -name '*.deb' | wc -l)" -eq 1 ] && pass || fail "more than one .deb in $B"

# ---- dpkg-deb -I: the control fields -----------------------------------------------

field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = sasguard ] && pass || fail "Package: $(field Package)"
[ "$(field Version)" = "$VERSION" ] && pass || fail "Version: $(field Version), sasguard --version says $VERSION"
[ "$(field Architecture)" = "$ARCH" ] && pass || fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] && pass || fail "no Maintainer"
[ "$(field Section)" = vcs ] && pass || fail "Section: $(field Section)"
field Description | sed -n 2p | grep -q . && pass || fail "no extended description"
# Depends as dpkg-shlibdeps computed it: each library the binary links, from
# the package Debian ships it in, with a version; no -dev package.
DEPENDS=$(field Depends)
echo "Depends: $DEPENDS" > "$T/depends"
for p in libc6 libgit2-1.5 libpcre2-8-0 libinih1 libssl3 zlib1g; do
  printf '%s\n' "$DEPENDS" | tr ',' '\n' | grep -Eq "^ *$p \(>= [^)]+\)$" && pass || fail "Depends lacks '$p (>= ...)': $DEPENDS"
done
lacks "$T/depends" "-dev"
[ "$(printf '%s\n' "$DEPENDS" | tr ',' '\n' | wc -l)" -eq 6 ] && pass || fail "Depends has other packages: $DEPENDS"
[ "$(field Suggests)" = "pkg-config, libpcre2-dev, libinih-dev, libssl-dev, python3" ] && pass || fail "Suggests: $(field Suggests)"
# Each library the binary needs comes from a package in Depends (the list is
# computed, not stale): dpkg -S names the package that ships each soname.
readelf -d "$B/sasguard" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' > "$T/needed"
[ "$(wc -l < "$T/needed")" -ge 6 ] && pass || fail "readelf found $(wc -l < "$T/needed") NEEDED libraries"
while IFS= read -r soname; do
  p=$(dpkg -S "*/$soname" 2>/dev/null | head -1 | sed 's/[:,].*//')
  [ -n "$p" ] && printf '%s\n' "$DEPENDS" | tr ',' '\n' | grep -Eq "^ *$p " && pass ||
    fail "$soname (package ${p:-unknown}) is not in Depends: $DEPENDS"
done < "$T/needed"

# conffiles: the policy, and only it.
expect_exit 0 dpkg-deb -e "$DEB" "$T/control"
[ "$(cat "$T/control/conffiles" 2>/dev/null)" = /etc/sasguard.ini ] && pass || fail "conffiles: $(cat "$T/control/conffiles" 2>/dev/null)"
has "$T/control/md5sums" "usr/bin/sasguard"

# ---- dpkg-deb -c: the files --------------------------------------------------------

dpkg-deb -c "$DEB" | awk '{ print $1, $2, $6 }' > "$T/contents"
for f in "-rwxr-xr-x root/root ./usr/bin/sasguard" \
         "-rw-r--r-- root/root ./usr/include/sasguard.h" \
         "-rw-r--r-- root/root ./usr/lib/$MULTIARCH/libsasguard.a" \
         "-rw-r--r-- root/root ./usr/lib/$MULTIARCH/pkgconfig/sasguard.pc" \
         "-rw-r--r-- root/root ./usr/share/man/man1/sasguard.1.gz" \
         "-rw-r--r-- root/root ./usr/share/doc/sasguard/copyright" \
         "-rw-r--r-- root/root ./usr/share/doc/sasguard/changelog.gz" \
         "-rw-r--r-- root/root ./usr/share/sasguard/sarif-to-gitlab.py" \
         "-rw-r--r-- root/root ./etc/sasguard.ini"; do
  grep -qxF -- "$f" "$T/contents" && pass || fail "the package lacks '$f'"
done
# Under /usr and /etc only; nothing under /usr/local; the man page only compressed.
awk '{ print $3 }' "$T/contents" | grep -Ev '^\./$|^\./(usr|etc)/' > "$T/elsewhere"
[ ! -s "$T/elsewhere" ] && pass || fail "files outside /usr and /etc: $(cat "$T/elsewhere")"
lacks "$T/contents" "/usr/local"
lacks "$T/contents" "sasguard.1 "
grep -q 'man1/sasguard\.1$' "$T/contents" && fail "an uncompressed man page" || pass

# ---- the files, extracted ------------------------------------------------------------

R=$T/root
expect_exit 0 dpkg-deb -x "$DEB" "$R"
SG=$R/usr/bin/sasguard
cmp -s "$R/etc/sasguard.ini" "$SOURCE_DIR/config/sasguard.ini" && pass || fail "etc/sasguard.ini is not config/sasguard.ini"
cmp -s "$R/usr/share/sasguard/sarif-to-gitlab.py" "$SOURCE_DIR/ci/sarif-to-gitlab.py" && pass ||
  fail "usr/share/sasguard/sarif-to-gitlab.py is not ci/sarif-to-gitlab.py"

# The binary: stripped, hardened, and its built-in system policy is /etc/sasguard.ini.
readelf -S "$SG" > "$T/sections"
lacks "$T/sections" ".symtab"
lacks "$T/sections" ".comment"
readelf -d "$SG" | grep -Eq 'BIND_NOW|FLAGS.*NOW' && pass || fail "sasguard is not linked with -z now"
readelf -l "$SG" | grep -q GNU_RELRO && pass || fail "sasguard has no RELRO segment"
readelf --dyn-syms -W "$SG" | grep -q ' __[a-z_]*_chk@' && pass || fail "sasguard calls no fortified libc function"
expect_exit 0 "$SG" --version
head -1 "$T/out" | grep -qx "sasguard $VERSION" && pass || fail "--version: $(head -1 "$T/out")"
expect_exit 0 env -u SASGUARD_SYSTEM_CONFIG "$SG" config --show
has "$T/out" "lowest layer first: defaults, /etc/sasguard.ini,"
grep -aq '/usr/local' "$SG" && fail "the binary names /usr/local" || pass

# The quick start, with the packaged binary.
cd "$SOURCE_DIR" || exit 1
expect_exit 1 "$SG" scan examples/good.md examples/incident.md
cd "$T" || exit 1
for rule in account-sas permissions lifetime http; do
  grep -q "^  $rule " "$T/out" && pass || fail "quick start: rule $rule not reported"
done
no_secrets "$T/out"

# sasguard.pc: the paths of the installed files, not the build's.
PC=$R/usr/lib/$MULTIARCH/pkgconfig/sasguard.pc
for kv in "prefix=/usr" "libdir=/usr/lib/$MULTIARCH" "includedir=/usr/include" "Version: $VERSION"; do
  grep -qxF "$kv" "$PC" && pass || fail "sasguard.pc lacks '$kv'"
done
lacks "$PC" "$T"
lacks "$PC" "/usr/local"
# The library and header as installed, linked as pkg-config says (with the
# package's root in front of its paths).
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
	if (sg_scanner_new(&s, &p, &d) != SG_OK)
		return 3;
	sg_findings_init(&f);
	if (sg_scan_buffer(s, "README.md", argv[1], strlen(argv[1]), 1, &f) != SG_OK)
		return 4;
	printf("findings %zu\n", f.count);
	for (size_t i = 0; i < f.count; i++)
		printf("%s %s\n", sg_kind_name(f.items[i]->token.kind), f.items[i]->token.account);
	sg_findings_clear(&f);
	sg_scanner_free(s);
	sg_policy_free(&p);
	return 0;
}
EOF
expect_exit 0 env PKG_CONFIG_PATH="$R/usr/lib/$MULTIARCH/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$R" \
  sh -c 'cc -Wall -Werror -o "$1/prog" "$1/prog.c" $(pkg-config --cflags --libs sasguard)' sh "$T"
expect_exit 0 "$T/prog" "$TOKEN_LINE"
has "$T/out" "findings 1"
has "$T/out" "account-sas robustnessws4285631339"

# The man page and changelog: gzip -9n (no name, no time stamp), whole.
for gz in usr/share/man/man1/sasguard.1.gz usr/share/doc/sasguard/changelog.gz; do
  expect_exit 0 gzip -t "$R/$gz"
  # byte 3: flags (no FNAME); bytes 4-7: mtime 0
  [ "$(od -An -tx1 -j3 -N5 "$R/$gz" | tr -d ' \n')" = 0000000000 ] && pass || fail "$gz has a name or a time stamp"
done
zcat "$R/usr/share/man/man1/sasguard.1.gz" | cmp -s - "$SOURCE_DIR/doc/sasguard.1" && pass || fail "the man page is not doc/sasguard.1"
expect_exit 0 env MANWIDTH=80 man -l "$R/usr/share/man/man1/sasguard.1.gz"
has "$T/out" "SASGUARD(1)"
[ "$(zcat "$R/usr/share/doc/sasguard/changelog.gz" | head -1)" = "sasguard ($VERSION) unstable; urgency=medium" ] && pass ||
  fail "changelog.gz: $(zcat "$R/usr/share/doc/sasguard/changelog.gz" | head -1)"
has "$R/usr/share/doc/sasguard/copyright" "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"

# ---- a build for another prefix, or another version, makes no package ----------------

expect_exit 1 cmake -DCPACK_SASGUARD_BUILD_PREFIX=/usr/local -DCPACK_SASGUARD_SYSCONFDIR=/etc \
  -DCPACK_TEMPORARY_DIRECTORY="$T/none" -P "$SOURCE_DIR/packaging/deb-stage.cmake"
tr -s ' \n' '  ' < "$T/err" > "$T/err1"
has "$T/err1" "the .deb needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr (this one: prefix /usr/local"
# Nor one whose version packaging/changelog does not name.
expect_exit 1 cmake -DCPACK_SASGUARD_BUILD_PREFIX=/usr -DCPACK_SASGUARD_SYSCONFDIR=/etc -DCPACK_PACKAGE_VERSION=99.0.0 \
  -DCPACK_SASGUARD_SOURCE_DIR="$SOURCE_DIR" -DCPACK_TEMPORARY_DIRECTORY="$T/none" -P "$SOURCE_DIR/packaging/deb-stage.cmake"
has "$T/err" "add an entry for 99.0.0"

# ---- lintian: no error, no warning -----------------------------------------------------

if [ -n "${SASGUARD_DEB_BUILD:-}" ]; then
  echo "test_deb.sh: lintian: .ci/deb.sh ran it on this .deb (--fail-on error,warning)"
else
  lintian --fail-on error,warning --display-info "$DEB" > "$T/lintian" 2>&1
  status=$?
  [ "$status" -eq 0 ] && pass || fail "lintian exited $status"
  grep -E '^[EW]: ' "$T/lintian" > "$T/lintian-ew"
  [ ! -s "$T/lintian-ew" ] && pass || { fail "lintian:"; cat "$T/lintian-ew" >&2; }
  grep -E '^[IP]: ' "$T/lintian" | sed 's/^/test_deb.sh: lintian says /'
fi

finish
