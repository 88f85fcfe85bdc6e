/*
 * notls.c - sasguard never talks to a network, yet Debian's libgit2 (built
 * with mbedTLS) parses the whole system CA store inside git_libgit2_init:
 * 54 million instructions (callgrind), four times everything `git diff
 * --cached --quiet` does on 60 000 files, paid by every commit. These two
 * definitions take the place of mbedTLS's for libgit2, because the dynamic
 * linker searches the executable first (they are exported for that, see
 * CMakeLists.txt): no certificate is loaded. libgit2's HTTPS transport, the
 * only user of that store, is never used by sasguard and would trust nothing.
 * With a libgit2 built on OpenSSL instead, nothing calls them: harmless.
 */
#include "cli.h"

struct mbedtls_x509_crt;

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);
int mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path);

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0; /* "parsed, nothing invalid": an empty chain */
}

int mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}
