# packaging/deb.cmake - the Debian package: `cpack -G DEB` in a build
# configured with -DCMAKE_INSTALL_PREFIX=/usr builds sasguard_<version>_<arch>.deb:
#   /usr/bin/sasguard, the static library, header and pkg-config file (the
#   install rules of CMakeLists.txt), the man page gzip'd, /etc/sasguard.ini
#   as a conffile, /usr/share/doc/sasguard/{copyright,changelog.gz}, and the
#   CI templates' SARIF to GitLab converter in /usr/share/sasguard.
# The runtime dependencies are computed by dpkg-shlibdeps from the binary.
# The policy file, copyright and changelog are added to CPack's staging tree
# by deb-stage.cmake, not by install rules: `cmake --install` (install.sh)
# must never overwrite an /etc/sasguard.ini an administrator has edited.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sasguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "sasguard maintainers <maintainers@users.noreply.h-seed-c77f9420.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "keeps over-broad and long-lived Azure SAS tokens out of git")
# The synopsis is the summary above; CPack indents these lines and turns the
# empty ones into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "sasguard reads every Azure Shared Access Signature and storage key it finds
in content git is about to record, judges its breadth and lifetime against
a written policy (/etc/sasguard.ini), and says why it is rejected, how to
fix it and how to revoke it. Signatures and keys are never printed in full.

It runs as a pre-commit hook, as a server's pre-receive hook (plain git,
GitLab, Gitea, Forgejo), over a repository's whole history or a server's
repositories (text, JSON or SARIF reports), and on plain files.

The package also holds libsasguard, the detection library (static), its
header and pkg-config file.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION vcs)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries from dpkg-shlibdeps: libgit2-1.5, libpcre2-8-0, libinih1, libssl3, zlib1g, libc6.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS git)
# Linking the static library (pkg-config --libs sasguard) needs the -dev
# packages; /usr/share/sasguard/sarif-to-gitlab.py needs python3.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config, libpcre2-dev, libinih-dev, libssl-dev, python3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# For deb-stage.cmake (CPack passes CPACK_* variables to it).
set(CPACK_SASGUARD_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_SASGUARD_BUILD_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_SASGUARD_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/deb-stage.cmake)
include(CPack)
