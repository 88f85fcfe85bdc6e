#!/usr/bin/env bash
# .ci/deb.sh - the Debian package on this machine, with the README's commands:
# the build dependencies, cmake + cpack -G DEB, lintian, `apt-get install
# ./sasguard_*.deb`, the quick start with the packaged /usr/bin/sasguard; then
# what a reinstall, `apt-get remove` and `apt-get purge` do to an edited
# /etc/sasguard.ini (kept, kept, removed), and how the package takes over
# the edited policy an install.sh install left (--force-confold keeps it). .ci/run calls it before install.sh,
# on a machine without sasguard. Root only. Whatever happens, it leaves no
# package behind, and an /etc/sasguard.ini that no package owned (install.sh's,
# on a reused machine) is put back as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "CI (deb): needs root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
die() { echo "CI (deb): $*" >&2; exit 1; }
# dpkg's state of the package: ii installed, rc config files only, empty when unknown.
state() { dpkg-query -W -f='${db:Status-Abbrev}' sasguard 2>/dev/null | tr -d ' ' | sed 's/^un$//' || true; }

saved=
cleanup() {
  if [ -n "$(state)" ]; then apt-get purge -y -qq sasguard >/dev/null 2>&1 || true; fi
  if [ -n "$saved" ]; then mv -f "$saved" /etc/sasguard.ini; fi
}
trap cleanup EXIT
if [ -n "$(state)" ]; then echo "CI (deb): purging a sasguard package an earlier run left"; apt-get purge -y -qq sasguard >/dev/null; fi
if [ -e /etc/sasguard.ini ]; then
  saved=$(mktemp /etc/sasguard.ini.ci-XXXXXX)
  mv -f /etc/sasguard.ini "$saved"
fi

echo "== apt-get install the build dependencies; cmake, cpack -G DEB"
t0=$(date +%s)
apt-get install -y -qq cmake gcc pkg-config libgit2-dev libpcre2-dev libinih-dev libssl-dev zlib1g-dev \
  dpkg-dev file >/dev/null
rm -rf build-deb
cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DSASGUARD_TESTS=OFF >/dev/null
cmake --build build-deb -j "$(nproc)" >/dev/null
(cd build-deb && cpack -G DEB | tail -1)
debs=(build-deb/sasguard_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || die "want one build-deb/sasguard_*.deb, have: ${debs[*]}"
deb=${debs[0]}
dpkg-deb -I "$deb" | grep -E '^ (Package|Version|Architecture|Depends|Recommends|Suggests|Section):'
echo "conffiles: $(dpkg-deb -I "$deb" conffiles)"
echo "== lintian $deb"
set +e
lintian --fail-on error,warning --display-info "$deb" > /tmp/sasguard-lintian.txt 2>&1
status=$?
set -e
grep -v 'running with root privileges' /tmp/sasguard-lintian.txt || true
[ "$status" -eq 0 ] || die "lintian exited $status (errors or warnings above)"
echo "(lintian: no error, no warning; the package built in $(( $(date +%s) - t0 )) s)"

echo "== apt-get install ./sasguard_*.deb"
(cd build-deb && apt-get install -y -qq ./sasguard_*.deb >/dev/null)
[ "$(state)" = ii ] || die "dpkg says '$(state)' after apt-get install, want ii"
for f in /usr/bin/sasguard /usr/include/sasguard.h /usr/share/man/man1/sasguard.1.gz /etc/sasguard.ini \
         /usr/share/doc/sasguard/copyright /usr/share/doc/sasguard/changelog.gz; do
  [ -f "$f" ] || die "not installed: $f"
  dpkg -S "$f" >/dev/null 2>&1 || die "$f is not the package's"
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
pcdirs=/usr/lib/$multiarch/pkgconfig:/usr/lib/pkgconfig:/usr/share/pkgconfig
[ "$(PKG_CONFIG_LIBDIR=$pcdirs pkg-config --variable=libdir sasguard)" = "/usr/lib/$multiarch" ] || die "sasguard.pc: libdir"
[ -f "/usr/lib/$multiarch/libsasguard.a" ] || die "no /usr/lib/$multiarch/libsasguard.a"
echo "PATH finds: $(command -v sasguard); $(/usr/bin/sasguard --version | head -1)"

echo "== /usr/bin/sasguard scan examples/good.md examples/incident.md"
set +e
/usr/bin/sasguard scan examples/good.md examples/incident.md > /tmp/sasguard-deb-quickstart.txt 2>&1
status=$?
set -e
cat /tmp/sasguard-deb-quickstart.txt
[ "$status" -eq 1 ] || die "the packaged quick start scan exited $status, want 1"
for rule in account-sas permissions lifetime http; do
  grep -q "^  $rule " /tmp/sasguard-deb-quickstart.txt || die "packaged sasguard: rule $rule not reported"
done
# The built-in system policy is the package's conffile.
/usr/bin/sasguard config --show | head -1 | grep -qF "defaults, /etc/sasguard.ini," || die "the packaged binary reads another system policy"

echo "== an edited /etc/sasguard.ini: apt-get install --reinstall, apt-get remove, apt-get purge"
printf '; edited by CI\n' >> /etc/sasguard.ini
(cd build-deb && apt-get install -y -qq --reinstall ./sasguard_*.deb >/dev/null)
grep -qx '; edited by CI' /etc/sasguard.ini || die "a reinstall replaced the edited /etc/sasguard.ini"
apt-get remove -y -qq sasguard >/dev/null
[ ! -e /usr/bin/sasguard ] || die "apt-get remove left /usr/bin/sasguard"
[ "$(state)" = rc ] || die "dpkg says '$(state)' after apt-get remove, want rc (config files kept)"
grep -qx '; edited by CI' /etc/sasguard.ini || die "apt-get remove did not keep the edited /etc/sasguard.ini"
echo "apt-get remove: /usr/bin/sasguard gone, the edited /etc/sasguard.ini kept"
apt-get purge -y -qq sasguard >/dev/null
[ ! -e /etc/sasguard.ini ] || die "apt-get purge left /etc/sasguard.ini"
[ -z "$(state)" ] || die "dpkg says '$(state)' after apt-get purge"
echo "apt-get purge: /etc/sasguard.ini gone"

echo "== from install.sh to the package: an edited /etc/sasguard.ini no package owns"
printf '; the policy install.sh left, edited\n[policy]\nmax_lifetime = 1d\n' > /etc/sasguard.ini
(cd build-deb && apt-get install -y -qq -o Dpkg::Options::=--force-confold ./sasguard_*.deb >/dev/null)
grep -qx '; the policy install.sh left, edited' /etc/sasguard.ini || die "the package replaced an existing /etc/sasguard.ini"
dpkg -S /etc/sasguard.ini >/dev/null 2>&1 || die "the package did not take /etc/sasguard.ini over"
/usr/bin/sasguard config --show | grep -q '^policy.max_lifetime *= 1d *; /etc/sasguard.ini:3$' ||
  die "the packaged binary does not apply the kept /etc/sasguard.ini"
rm -f /etc/sasguard.ini.dpkg-dist
apt-get purge -y -qq sasguard >/dev/null
echo "--force-confold kept the existing policy, now the package's conffile"
echo "(the package steps took $(( $(date +%s) - t0 )) s)"
