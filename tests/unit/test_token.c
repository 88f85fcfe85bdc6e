/* test_token.c - one token's text into a struct: every kind, placeholders, emulator. */
#include "check.h"

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
	test_account_and_delegation();
	test_parameter_order_and_prefixes();
	test_placeholders();
	test_connection_strings();
	test_servicebus_sas();
	test_unreadable_fields();
	test_emulator();
	test_fingerprints();
	test_lone_signature();
	test_cosmos_keys();
	test_key_glued_to_text();
	CHECK_DONE();
}
