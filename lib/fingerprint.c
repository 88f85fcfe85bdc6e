/*
 * fingerprint.c - a stable name for a token that does not reveal it: SHA-256
 * (OpenSSL's libcrypto) over a version tag, the kind and the secret.
 */
#include "internal.h"

#include <openssl/evp.h>
#include <string.h>

int sg_fingerprint(sg_kind kind, const char *secret, size_t len, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *k = sg_kind_name(kind);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return SG_ENOMEM;
	/* The secret is a 256-bit HMAC or key, so its hash reveals nothing;
	 * the tag lets a later format change coexist with old baselines. */
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, "sasguard/1\n", 11) &&
	     EVP_DigestUpdate(ctx, k, strlen(k)) && EVP_DigestUpdate(ctx, "\n", 1) &&
	     EVP_DigestUpdate(ctx, secret, len) && EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen < 16)
		return SG_EINTERNAL;
	for (size_t i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
	return SG_OK;
}
