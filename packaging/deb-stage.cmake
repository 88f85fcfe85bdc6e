# packaging/deb-stage.cmake - runs inside `cpack -G DEB` after the install
# rules filled the staging tree, before the package is made: adds what
# Debian wants and `cmake --install` must not do (see deb.cmake).

# The binary's built-in policy path and sasguard.pc come from the configured
# prefix, not from the packaging prefix: a /usr/local build would put
# /usr/local paths into a package that installs under /usr.
if(NOT CPACK_SASGUARD_BUILD_PREFIX STREQUAL "/usr" OR NOT CPACK_SASGUARD_SYSCONFDIR STREQUAL "/etc")
  message(FATAL_ERROR "sasguard: the .deb needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
          "(this one: prefix ${CPACK_SASGUARD_BUILD_PREFIX}, system policy ${CPACK_SASGUARD_SYSCONFDIR}/sasguard.ini)")
endif()

# packaging/changelog is the Debian changelog: its newest entry names this version.
file(STRINGS ${CPACK_SASGUARD_SOURCE_DIR}/packaging/changelog head LIMIT_COUNT 1)
if(NOT head MATCHES "^sasguard \\(${CPACK_PACKAGE_VERSION}\\) ")
  message(FATAL_ERROR "sasguard: packaging/changelog starts with '${head}': add an entry for ${CPACK_PACKAGE_VERSION}")
endif()

set(root ${CPACK_TEMPORARY_DIRECTORY})
if(NOT EXISTS ${root}/usr/bin/sasguard)
  message(FATAL_ERROR "sasguard: no usr/bin/sasguard in the staging tree ${root}")
endif()
set(src ${CPACK_SASGUARD_SOURCE_DIR})

# Stripped as dh_strip strips: no symbols or debug sections, nor the compiler's
# .comment and .note sections; the archive deterministic.
function(strip_file file)
  execute_process(COMMAND strip ${ARGN} --remove-section=.comment --remove-section=.note ${file}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sasguard: strip ${file} failed: ${rc}")
  endif()
endfunction()
strip_file(${root}/usr/bin/sasguard)
file(GLOB archives ${root}/usr/lib/*/libsasguard.a ${root}/usr/lib/libsasguard.a)
foreach(a IN LISTS archives)
  strip_file(${a} --strip-debug --enable-deterministic-archives)
endforeach()
set(doc ${root}/usr/share/doc/sasguard)

# The default policy, a conffile (packaging/conffiles).
file(COPY ${src}/config/sasguard.ini DESTINATION ${root}/etc
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(COPY ${src}/packaging/copyright DESTINATION ${doc}
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# The SARIF to GitLab report converter of the CI templates (ci/), run as
# `python3 /usr/share/sasguard/sarif-to-gitlab.py`.
file(COPY ${src}/ci/sarif-to-gitlab.py DESTINATION ${root}/usr/share/sasguard
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# Debian compresses manual pages and changelogs: gzip -9n (no name, no
# time stamp, so the package is reproducible).
function(gzip_to from to)
  execute_process(COMMAND gzip -9nc ${from} OUTPUT_FILE ${to} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sasguard: gzip ${from} > ${to} failed: ${rc}")
  endif()
  file(CHMOD ${to} FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()
gzip_to(${src}/packaging/changelog ${doc}/changelog.gz)
set(man ${root}/usr/share/man/man1/sasguard.1)
gzip_to(${man} ${man}.gz)
file(REMOVE ${man})
