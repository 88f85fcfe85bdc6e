/* test_token.c - one token's text into a struct: every kind, placeholders, emulator. */
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

/* Fake signatures (hashes of short strings), as in the shared corpus. */
#define SIG "ypeBEsobvcr6wjGzmiPcTaeG7%2FgUfE5yuYB3ha%2FuSLs%3D"
#define SIG_DECODED "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs="
#define KEY "KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ=="

static int parse(const char *s, sg_token *t)
{
	return sg_token_parse(s, strlen(s), t);
}

static void test_service_sas(void)
{
	sg_token t;
	CHECK(parse("https://examplestore.blob.core.windows.net/models/resnet50.pt?sv=2022-11-02&sr=b&sp=r"
		    "&st=2026-11-22T23:30:00Z&se=2026-11-23T00:30:00Z&spr=https&sig=" SIG, &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICE_SAS);
	CHECK_STR(t.host, "examplestore.blob.core.windows.net");
	CHECK_STR(t.account, "examplestore");
	CHECK_STR(t.resource, "/models/resnet50.pt");
	CHECK_STR(t.sp, "r");
	CHECK_STR(t.sr, "b");
	CHECK_STR(t.sig, SIG_DECODED);
	CHECK_INT(t.se_time, TEST_NOW + 1800);
	CHECK_INT(t.st_time, TEST_NOW - 1800);
	CHECK_INT(t.bad, 0);
	CHECK_STR(t.secret_head, "ypeB");
	CHECK_INT(strlen(t.fingerprint), 32);
	CHECK(strstr(t.display, "sig=ypeB...") != NULL);
	CHECK(strstr(t.display, SIG_DECODED) == NULL && strstr(t.display, SIG) == NULL);
	CHECK(!t.emulator);
	sg_token_clear(&t);
}

/* No 8 characters in a row of secret (nor of its percent-encoded form) in s. */
static int holds_window(const char *s, const char *secret)
{
	char w[9];
	for (size_t i = 0; i + 8 <= strlen(secret); i++) {
		memcpy(w, secret + i, 8);
		w[8] = '\0';
		if (strstr(s, w))
			return 1;
	}
	return 0;
}

/* The token shown in reports: its sig is the first 4 characters and "...",
 * exactly, wherever sig sits and however the token was written. */
static void test_display_redacted(void)
{
	static const char *const forms[] = {
		"https://a.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sp=r&se=2026-12-01&spr=https&sig=" SIG,
		"https://a.blob.core.windows.net/c/b?sig=" SIG "&sv=2022-11-02&sr=b&sp=r&se=2026-12-01&spr=https",
		"sv=2022-11-02&sr=b&sig=" SIG "&sp=r&se=2026-12-01",
		"sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=" SIG_DECODED,
		"BlobEndpoint=https://a.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=" SIG,
		"SharedAccessSignature sr=https%3A%2F%2Fns1.servicebus.windows.net%2Fq&sig=" SIG "&se=1826928000&skn=send",
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		sg_token t;
		if (parse(forms[i], &t) != SG_OK) {
			fprintf(stderr, "display form %zu: not parsed\n", i);
			check_failures++;
			continue;
		}
		const char *at = strstr(t.display, "sig=ypeB...");
		if (!at || at[11] == '.' || holds_window(t.display, SIG_DECODED) || holds_window(t.display, SIG) ||
		    strstr(at + 1, "sig=")) {
			fprintf(stderr, "display form %zu: \"%.24s...\" is not sig=ypeB... once\n", i,
				at ? at : "(no sig=)");
			check_failures++;
		}
		sg_token_clear(&t);
	}
}

static void test_account_and_delegation(void)
{
	sg_token t;
	CHECK(parse("?sv=2020-08-04&ss=bfqt&srt=sco&sp=rwdlacupitfx&se=2051-10-06T07:09:59Z&spr=https,http&sig=" SIG,
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_ACCOUNT_SAS);
	CHECK_STR(t.ss, "bfqt");
	CHECK_STR(t.srt, "sco");
	CHECK_STR(t.host, "");
	sg_token_clear(&t);

	CHECK(parse("sp=r&st=2026-11-22T00:00:00Z&se=2026-11-28T00:00:00Z&skoid=1&sktid=2&skt=2026-11-22T00:00:00Z"
		    "&ske=2026-11-25T00:00:00Z&sks=b&skv=2022-11-02&spr=https&sv=2022-11-02&sr=b&sig=" SIG,
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_USER_DELEGATION_SAS);
	CHECK_INT(t.ske, TEST_NOW + 2 * 86400);
	sg_token_clear(&t);
}

static void test_parameter_order_and_prefixes(void)
{
	sg_token a, b, c, d;
	CHECK(parse("sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=" SIG, &a) == SG_OK);
	CHECK(parse("sig=" SIG "&se=2026-12-01&sp=r&sr=b&sv=2022-11-02", &b) == SG_OK);
	/* a token need not follow a '?': env files, connection-string values */
	CHECK(parse("AZURE_SAS=sp=r&st=2026-11-22&se=2026-11-23&sig=" SIG, &c) == SG_OK);
	CHECK(parse("SharedAccessSignature=sv=2022-11-02&sp=r&se=2026-12-01&sig=" SIG, &d) == SG_OK);
	CHECK_STR(a.fingerprint, b.fingerprint);
	CHECK_STR(a.se, b.se);
	CHECK_STR(c.sp, "r");
	CHECK_INT(c.kind, SG_KIND_SERVICE_SAS);
	CHECK_INT(d.kind, SG_KIND_SERVICE_SAS);
	/* percent-encoded values, upper or lower hex */
	sg_token e;
	CHECK(parse("sv=2022-11-02&sp=r&se=2025-06-19T08%3a45%3A11Z&sig=" SIG, &e) == SG_OK);
	CHECK_INT(e.se_time, 1750322711LL);
	sg_token_clear(&a);
	sg_token_clear(&b);
	sg_token_clear(&c);
	sg_token_clear(&d);
	sg_token_clear(&e);
}

static void test_placeholders(void)
{
	const char *fakes[] = {
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=...",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=<signature>",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=REDACTED",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=Sanitized",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=ypeB...",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq%3D",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=" SIG "extra",
		"sv=2022-11-02&sr=b&sp=r&se=2026-11-23",
		"foo=1&sig=" SIG,                         /* a sig among other, non-SAS parameters */
		"api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abcDEF123_-abcDEF123_-abcDEF123_-abcDEF1", /* Logic Apps */
		"AccountName=a;AccountKey=<your key>;EndpointSuffix=core.windows.net",
		"Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=***",
	};
	for (size_t i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		sg_token t;
		if (parse(fakes[i], &t) != SG_EINVAL) {
			fprintf(stderr, "placeholder taken as a token: %s\n", fakes[i]);
			check_failures++;
			sg_token_clear(&t);
		}
	}
	CHECK(sg_signature_is_real(SIG_DECODED, strlen(SIG_DECODED)));
	CHECK(!sg_signature_is_real("REDACTED", 8));
}

static void test_connection_strings(void)
{
	sg_token t;
	CHECK(parse("DefaultEndpointsProtocol=https;AccountName=acct5;AccountKey=" KEY ";EndpointSuffix=core.windows.net",
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_STORAGE_KEY);
	CHECK_STR(t.account, "acct5");
	CHECK_STR(t.host, "acct5.blob.core.windows.net");
	CHECK_STR(t.secret_head, "Kvip");
	CHECK(strstr(t.display, "AccountKey=Kvip...") != NULL);
	CHECK(strstr(t.display, "KvipEEs") == NULL);
	sg_token_clear(&t);

	CHECK(parse("BlobEndpoint=https://acct4.blob.core.windows.net/;SharedAccessSignature=sv=2020-08-04&ss=b&srt=co"
		    "&sp=rl&se=2028-01-01T00:00:00Z&spr=https&sig=" SIG,
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_ACCOUNT_SAS);
	CHECK_STR(t.account, "acct4");
	sg_token_clear(&t);

	CHECK(parse("Endpoint=sb://ns2.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
		    "SharedAccessKey=YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=",
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICEBUS_KEY);
	CHECK_STR(t.account, "ns2");
	CHECK_STR(t.skn, "RootManageSharedAccessKey");
	sg_token_clear(&t);

	CHECK(parse("HostName=hub1.azure-devices.net;DeviceId=dev1;SharedAccessKey=YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=",
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICEBUS_KEY);
	CHECK_STR(t.host, "hub1.azure-devices.net");
	sg_token_clear(&t);
}

static void test_servicebus_sas(void)
{
	sg_token t;
	CHECK(parse("SharedAccessSignature sr=https%3A%2F%2Fns1.servicebus.windows.net%2Fqueue1&sig=" SIG
		    "&se=1826928000&skn=send-only",
		    &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICEBUS_SAS);
	CHECK_INT(t.se_time, 1826928000LL);
	CHECK_STR(t.account, "ns1");
	CHECK_STR(t.skn, "send-only");
	CHECK(strncmp(t.display, "SharedAccessSignature sr=", 25) == 0);
	sg_token_clear(&t);

	/* an IoT device token has no skn */
	CHECK(parse("sr=hub1.azure-devices.net%2Fdevices%2Fdev1&sig=" SIG "&se=1826928000", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICEBUS_SAS);
	CHECK_STR(t.host, "hub1.azure-devices.net");
	sg_token_clear(&t);

	CHECK(parse("SharedAccessSignature sr=x&sig=" SIG "&se=tomorrow&skn=k", &t) == SG_OK);
	CHECK(t.bad & SG_FIELD_SE);
	sg_token_clear(&t);
}

static void test_unreadable_fields(void)
{
	sg_token t;
	CHECK(parse("sv=2022-11-02&sr=b&sp=r&se=next-tuesday&sig=" SIG, &t) == SG_OK);
	CHECK_INT(t.bad, SG_FIELD_SE);
	sg_token_clear(&t);
	CHECK(parse("sv=20221102&sr=b&sp=r%2A&se=2026-12-01&st=soon&sig=" SIG, &t) == SG_OK);
	CHECK_INT(t.bad, SG_FIELD_SV | SG_FIELD_SP | SG_FIELD_ST);
	sg_token_clear(&t);
	/* sp is lowercase letters: any other character, alone or after a letter, makes it unreadable */
	for (int c = 0x21; c < 0x7f; c++) {
		char text[160];
		if (c >= 'a' && c <= 'z')
			continue;
		for (int after = 0; after < 2; after++) {
			snprintf(text, sizeof(text), "sv=2022-11-02&sr=b&sp=%s%%%02X&se=2026-12-01&sig=%s", after ? "r" : "", c,
				 SIG);
			if (parse(text, &t) != SG_OK) {
				fprintf(stderr, "%s: not parsed\n", text);
				check_failures++;
				continue;
			}
			if (t.bad != SG_FIELD_SP) {
				fprintf(stderr, "sp=%s%c: bad is %u, want sp unreadable\n", after ? "r" : "", c, t.bad);
				check_failures++;
			}
			sg_token_clear(&t);
		}
	}
	/* without a stored policy, sp and se are required: missing ones are unreadable */
	CHECK(parse("sv=2022-11-02&sr=b&sig=" SIG, &t) == SG_OK);
	CHECK_INT(t.bad, SG_FIELD_SE | SG_FIELD_SP);
	sg_token_clear(&t);
	CHECK(parse("sv=2022-11-02&si=readers&sr=b&sig=" SIG, &t) == SG_OK);
	CHECK_INT(t.bad, 0);
	sg_token_clear(&t);
}

static void test_emulator(void)
{
	sg_token t;
	CHECK(parse("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
		    &t) == SG_OK);
	CHECK(t.emulator);
	sg_token_clear(&t);
	CHECK(parse("http://127.0.0.1:10000/devstoreaccount1/c/b?sv=2022-11-02&sr=b&sp=rwd&se=2099-01-01&sig=" SIG,
		    &t) == SG_OK);
	CHECK(t.emulator);
	CHECK_STR(t.account, "devstoreaccount1");
	sg_token_clear(&t);
	CHECK(parse("http://localhost:10001/q?sv=2022-11-02&sp=raup&se=2099-01-01&sig=" SIG, &t) == SG_OK);
	CHECK(t.emulator);
	sg_token_clear(&t);
	/* loopback on another port is not the emulator */
	CHECK(parse("http://localhost:8080/q?sv=2022-11-02&sp=raup&se=2099-01-01&sig=" SIG, &t) == SG_OK);
	CHECK(!t.emulator);
	sg_token_clear(&t);
	/* Azurite's ports are 10000-10002 exactly: the ports beside them are not its */
	for (int port = 9990; port <= 10020; port++) {
		char text[200];
		snprintf(text, sizeof(text), "http://127.0.0.1:%d/acct/c/b?sv=2022-11-02&sr=b&sp=r&se=2099-01-01&sig=%s", port,
			 SIG);
		CHECK(parse(text, &t) == SG_OK);
		if (t.emulator != (port >= 10000 && port <= 10002)) {
			fprintf(stderr, "loopback port %d: emulator is %d\n", port, t.emulator);
			check_failures++;
		}
		sg_token_clear(&t);
	}
}

static void test_fingerprints(void)
{
	sg_token a, b;
	CHECK(parse("sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=" SIG, &a) == SG_OK);
	CHECK(parse("sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0%3D", &b) == SG_OK);
	CHECK(strcmp(a.fingerprint, b.fingerprint) != 0);
	/* the fingerprint is not the signature or a piece of it */
	CHECK(strstr(a.fingerprint, "ypeB") == NULL);
	sg_token_clear(&a);
	sg_token_clear(&b);

	/* pinned by value: a baseline or a push option written by an earlier
	 * sasguard must still name the same token (the first is the README's) */
	CHECK(parse("?sv=2020-08-04&ss=bfqt&srt=sco&sp=rwdlacupitfx&se=2051-10-06T07:09:59Z&spr=https,http&sig=" SIG,
		    &a) == SG_OK);
	CHECK_STR(a.fingerprint, "03d56dbf46587afef21acc7c4ce2e48b");
	sg_token_clear(&a);
	CHECK(parse("sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=" SIG, &a) == SG_OK);
	CHECK_STR(a.fingerprint, "6e0cdac75986d7994f2da715f0e43cc8");
	sg_token_clear(&a);
	CHECK(parse("AccountName=a;AccountKey=" KEY, &a) == SG_OK);
	CHECK_STR(a.fingerprint, "f7f19704d5afb2c20aa2f879beead083");
	sg_token_clear(&a);
}

/* Every character of the secret counts: two secrets that share any prefix
 * (all but the last character, down to none) have different fingerprints,
 * for a signature and for an 88-character key. */
static void test_fingerprint_whole_secret(void)
{
	static const char *const secrets[] = { SIG_DECODED, KEY };
	static const char *const prefix[] = { "sv=2022-11-02&sr=b&sp=r&se=2026-12-01&sig=", "AccountName=a;AccountKey=" };
	for (size_t s = 0; s < 2; s++) {
		char text[256], secret[128];
		sg_token base, t;
		snprintf(text, sizeof(text), "%s%s", prefix[s], secrets[s]);
		CHECK(parse(text, &base) == SG_OK);
		size_t len = strlen(secrets[s]);
		/* the trailing '=' padding is not a free character of base64: change the last data one */
		while (len && secrets[s][len - 1] == '=')
			len--;
		for (size_t i = 0; i < len; i++) {
			strcpy(secret, secrets[s]);
			secret[i] = secret[i] == 'A' ? 'B' : 'A';
			snprintf(text, sizeof(text), "%s%s", prefix[s], secret);
			if (parse(text, &t) != SG_OK) {
				fprintf(stderr, "secret %zu changed at %zu: not parsed\n", s, i);
				check_failures++;
				continue;
			}
			if (strcmp(t.fingerprint, base.fingerprint) == 0) {
				fprintf(stderr, "secret %zu changed at %zu (a common prefix of %zu): same fingerprint\n", s,
					i, i);
				check_failures++;
			}
			sg_token_clear(&t);
		}
		sg_token_clear(&base);
	}
}

/* A baseline entry names one fingerprint, all 32 digits of it: a fingerprint
 * that differs from a listed one in any single digit (sharing every prefix up
 * to it) is not in the baseline. */
static void test_baseline_whole_fingerprint(void)
{
	static const char *const listed[] = { "03d56dbf46587afef21acc7c4ce2e48b", "6e0cdac75986d7994f2da715f0e43cc8",
					       "f7f19704d5afb2c20aa2f879beead083" };
	char path[] = "/tmp/sasguard-baseline-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "w");
	fprintf(f, "# a baseline\n%s\n%s\n%s\n", listed[2], listed[0], listed[1]);
	fclose(f);
	sg_baseline *b = NULL;
	sg_diag d;
	CHECK(sg_baseline_load(&b, path, &d) == SG_OK);
	unlink(path);
	if (!b)
		return;
	CHECK_INT(sg_baseline_count(b), 3);
	for (size_t k = 0; k < 3; k++) {
		CHECK(sg_baseline_has(b, listed[k]));
		for (size_t i = 0; i < 32; i++) {
			char fp[33];
			strcpy(fp, listed[k]);
			fp[i] = fp[i] == '0' ? '1' : '0';
			if (sg_baseline_has(b, fp)) {
				fprintf(stderr, "baseline: %s (digit %zu changed) taken for %s\n", fp, i, listed[k]);
				check_failures++;
			}
		}
	}
	sg_baseline_free(b);
}

/* "&sig=<a real HMAC>" alone (the rest on other lines): a token, unreadable. */
static void test_lone_signature(void)
{
	sg_token t;
	CHECK(parse("&sig=" SIG, &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICE_SAS);
	CHECK_INT(t.nparams, 1);
	CHECK(t.bad & SG_FIELD_SP);
	CHECK(t.bad & SG_FIELD_SE);
	CHECK_STR(t.display, "sig=ypeB...");
	sg_token_clear(&t);
	/* a placeholder alone stays one */
	CHECK(parse("&sig=REDACTED", &t) == SG_EINVAL);
	CHECK(parse("sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D", &t) == SG_EINVAL);
}

/* Fake Cosmos DB keys: 64-byte hashes in base64, the shape of a real one. */
#define COSMOS_KEY "rUIq5ovJm9hRT18zJoZWhSMVedIAjiKkFvu+ckrPWdR6ReIuG9hFBH8PSxcCOv8DFsqFFWZlkGZ0snUfURyyIw=="
#define COSMOS_KEY2 "t8HhVwu22ecTmrJ9yiUkI1N9df7aaKYGzoP+rbz+LBW+wlJqOe7VduFMv5r0ntsWj5WFE1eCYMP5Lm8ZPbOG3g=="

static void test_cosmos_keys(void)
{
	sg_token t;
	CHECK(parse("AccountEndpoint=https://contoso-orders.documents.azure.com:443/;AccountKey=" COSMOS_KEY ";", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_COSMOS_KEY);
	CHECK_STR(t.account, "contoso-orders");
	CHECK_STR(t.host, "contoso-orders.documents.azure.com");
	CHECK_STR(t.secret, COSMOS_KEY);
	CHECK(strstr(t.display, "AccountKey=rUIq...") != NULL && strstr(t.display, "rUIq5") == NULL);
	CHECK_STR(sg_kind_name(t.kind), "cosmosdb-key");
	sg_token_clear(&t);
	/* a variable's name before the string does not hide its endpoint */
	CHECK(parse("COSMOS=AccountEndpoint=https://c1.documents.azure.com:443/;AccountKey=" COSMOS_KEY, &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_COSMOS_KEY);
	CHECK_STR(t.account, "c1");
	sg_token_clear(&t);
	/* the Table API's string is a storage one with a Cosmos DB endpoint */
	CHECK(parse("DefaultEndpointsProtocol=https;AccountName=contoso-tables;AccountKey=" COSMOS_KEY2
		    ";TableEndpoint=https://contoso-tables.table.cosmos.azure.com:443/;", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_COSMOS_KEY);
	CHECK_STR(t.account, "contoso-tables");
	sg_token_clear(&t);
	CHECK(parse("AccountEndpoint=https://c2.documents.azure.cn:443/;AccountKey=" COSMOS_KEY, &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_COSMOS_KEY);
	CHECK_STR(t.account, "c2");
	sg_token_clear(&t);
	/* a storage string beside it keeps its kind */
	CHECK(parse("DefaultEndpointsProtocol=https;AccountName=acct5;AccountKey=" KEY
		    ";TableEndpoint=https://acct5.table.core.windows.net/", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_STORAGE_KEY);
	sg_token_clear(&t);
	/* the emulator's public key, and any key addressed to the emulator, open nothing */
	CHECK(parse("AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==",
		    &t) == SG_OK);
	CHECK(t.emulator);
	sg_token_clear(&t);
	CHECK(parse("AccountEndpoint=https://cosmos-emulator:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nD"
		    "uVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==", &t) == SG_OK); /* a compose service's name */
	CHECK(t.emulator);
	sg_token_clear(&t);
	CHECK(parse("AccountEndpoint=https://127.0.0.1:8081/;AccountKey=" COSMOS_KEY, &t) == SG_OK);
	CHECK(t.emulator);
	sg_token_clear(&t);
	CHECK(parse("AccountEndpoint=https://localhost:8082/;AccountKey=" COSMOS_KEY, &t) == SG_OK);
	CHECK(!t.emulator);
	sg_token_clear(&t);
}

/* A key ends where its base64 and padding end: a lost ';' glues the next segment on. */
static void test_key_glued_to_text(void)
{
	sg_token t;
	CHECK(parse("DefaultEndpointsProtocol=https;AccountName=acct5;AccountKey=" KEY "EndpointSuffix=core.windows.net", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_STORAGE_KEY);
	CHECK_STR(t.secret, "KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==");
	CHECK_STR(t.host, "acct5.blob.core.windows.net"); /* the suffix was read as a segment */
	CHECK(strstr(t.display, "AccountKey=Kvip...;EndpointSuffix=core.windows.net") != NULL);
	sg_token_clear(&t);
	CHECK(parse("AccountEndpoint=https://c3.documents.azure.com:443/;AccountKey=" COSMOS_KEY "Database=orders", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_COSMOS_KEY);
	CHECK_STR(t.secret, COSMOS_KEY);
	sg_token_clear(&t);
	CHECK(parse("Endpoint=sb://ns2.servicebus.windows.net/;SharedAccessKeyName=send;"
		    "SharedAccessKey=YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=EntityPath=orders", &t) == SG_OK);
	CHECK_INT(t.kind, SG_KIND_SERVICEBUS_KEY);
	CHECK_STR(t.secret, "YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=");
	sg_token_clear(&t);
}

int main(void)
{
	test_service_sas();
	test_display_redacted();
	test_account_and_delegation();
	test_parameter_order_and_prefixes();
	test_placeholders();
	test_connection_strings();
	test_servicebus_sas();
	test_unreadable_fields();
	test_emulator();
	test_fingerprints();
	test_fingerprint_whole_secret();
	test_baseline_whole_fingerprint();
	test_lone_signature();
	test_cosmos_keys();
	test_key_glued_to_text();
	CHECK_DONE();
}
