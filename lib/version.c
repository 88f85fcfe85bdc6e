/*
 * version.c - which PCRE2, inih and OpenSSL the library runs with, for
 * `sasguard --version` and bug reports.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "internal.h"

#include <openssl/crypto.h>
#include <pcre2.h>
#include <stdio.h>

#ifndef SG_INIH_VERSION
#define SG_INIH_VERSION "unknown"
#endif

size_t sg_version_info(char *buf, size_t size)
{
	char pcre[64] = "?";
	uint32_t jit = 0;
	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	pcre2_config(PCRE2_CONFIG_JIT, &jit);
	/* inih has no run-time version call: this is the one built against. */
	int n = snprintf(buf, size, "PCRE2 %s%s, inih %s, %s", pcre, jit ? " (JIT)" : "", SG_INIH_VERSION,
			 OpenSSL_version(OPENSSL_VERSION));
	return n < 0 ? 0 : (size_t)n;
}
