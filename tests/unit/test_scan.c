/* test_scan.c - finding tokens in buffers: every encoding and endpoint, lines
 * and columns, inline and path allowances, and hostile input. */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>

#define SIG "ypeBEsobvcr6wjGzmiPcTaeG7%2FgUfE5yuYB3ha%2FuSLs%3D"
#define SIG_RAW "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs="
/* A blob SAS that breaks permissions and lifetime, in its plain form. */
#define Q "sv=2021-06-08&sr=b&sp=rw&se=2028-01-01T00:00:00Z&spr=https&sig=" SIG

/* Scans text; returns the rules of the only finding, or "none"/"N findings". */
static const char *one(const sg_policy *p, const char *text)
{
	static char buf[256];
	sg_findings l;
	sg_findings_init(&l);
	int rc = scan_text(p, "t.txt", text, &l);
	if (rc != SG_OK)
		snprintf(buf, sizeof(buf), "rc %d", rc);
	else if (l.count == 0)
		snprintf(buf, sizeof(buf), "none");
	else if (l.count > 1)
		snprintf(buf, sizeof(buf), "%zu findings", l.count);
	else
		rules_of(l.items[0], buf, sizeof(buf));
	sg_findings_clear(&l);
	return buf;
}

static void test_encodings(void)
{
	sg_policy p;
	sg_policy_init(&p);
	const char *want = "permissions,lifetime";
	CHECK_STR(one(&p, "url: https://a1.blob.core.windows.net/c/b?" Q "\n"), want);
	/* URL-encoded inside another URL, once and twice */
	CHECK_STR(one(&p, "https://proxy/f?u=https%3A%2F%2Fa1.blob.core.windows.net%2Fc%2Fb%3Fsv%3D2021-06-08%26sr%3Db"
			  "%26sp%3Drw%26se%3D2028-01-01T00%253A00%253A00Z%26spr%3Dhttps%26sig%3D" SIG), want);
	CHECK_STR(one(&p, "x=https%253A%252F%252Fa1.blob.core.windows.net%252Fc%252Fb%253Fsv%253D2021-06-08%2526sr%253Db"
			  "%2526sp%253Drw%2526se%253D2028-01-01%2526spr%253Dhttps%2526sig%253DypeBEsobvcr6wjGzmiPcTaeG7"
			  "%25252FgUfE5yuYB3ha%25252FuSLs%25253D"), want);
	/* HTML, once and twice escaped */
	CHECK_STR(one(&p, "<a href=\"https://a1.blob.core.windows.net/c/b?sv=2021-06-08&amp;sr=b&amp;sp=rw&amp;"
			  "se=2028-01-01&amp;spr=https&amp;sig=" SIG "\">x</a>"), want);
	CHECK_STR(one(&p, "&lt;a href=&quot;https://a1.blob.core.windows.net/c/b?sv=2021-06-08&amp;amp;sr=b&amp;amp;"
			  "sp=rw&amp;amp;se=2028-01-01&amp;amp;spr=https&amp;amp;sig=" SIG "&quot;"), want);
	/* JSON: \u0026 and \/ ; a notebook's escaped quotes */
	CHECK_STR(one(&p, "{\"u\": \"https:\\/\\/a1.blob.core.windows.net\\/c\\/b?sv=2021-06-08\\u0026sr=b\\u0026sp=rw"
			  "\\u0026se=2028-01-01\\u0026spr=https\\u0026sig=" SIG "\"}"), want);
	CHECK_STR(one(&p, "  \"    url = \\\"https://a1.blob.core.windows.net/c/b?" Q "\\\"\\n\",\n"), want);
	/* shell and cmd escapes, PowerShell quoting */
	CHECK_STR(one(&p, "curl https://a1.blob.core.windows.net/c/b?sv=2021-06-08\\&sr=b\\&sp=rw\\&se=2028-01-01"
			  "\\&spr=https\\&sig=" SIG), want);
	CHECK_STR(one(&p, "set U=https://a1.blob.core.windows.net/c/b?sv=2021-06-08^&sr=b^&sp=rw^&se=2028-01-01"
			  "^&spr=https^&sig=" SIG), want);
	CHECK_STR(one(&p, "$uri = 'https://a1.blob.core.windows.net/c/b?" Q "'"), want);
	/* a raw signature, '+' and '/' unencoded, and trailing punctuation in prose */
	CHECK_STR(one(&p, "see sv=2021-06-08&sr=b&sp=rw&se=2028-01-01&spr=https&sig=" SIG_RAW "."), want);
	CHECK_STR(one(&p, "[model](https://a1.blob.core.windows.net/c/b?" Q ")"), want);
	/* env files, YAML, no '?' before the token */
	CHECK_STR(one(&p, "AZURE_SAS=" Q "\n"), want);
	CHECK_STR(one(&p, "sas: \"?" Q "\"\n"), want);
}

static void test_endpoints(void)
{
	sg_policy p;
	sg_policy_init(&p);
	const char *hosts[] = { "a1.blob.core.windows.net", "a1.dfs.core.windows.net", "a1.file.core.windows.net",
				"a1.queue.core.windows.net", "a1.table.core.windows.net", "a1.z13.web.core.windows.net",
				"a1.blob.core.usgovcloudapi.net", "a1.blob.core.chinacloudapi.cn", "cdn.example.com",
				"a1.blob.storage.azure.net" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "https://%s/c/b?%s", hosts[i], Q);
		sg_findings l;
		sg_findings_init(&l);
		CHECK(scan_text(&p, NULL, text, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1)
			CHECK_STR(l.items[0]->token.host, hosts[i]);
		sg_findings_clear(&l);
	}
	/* Azurite: path-style account, or a loopback port 10000-10002, is never a finding */
	CHECK_STR(one(&p, "http://127.0.0.1:10000/devstoreaccount1/c/b?" Q), "none");
	CHECK_STR(one(&p, "http://localhost:10002/devstoreaccount1/t?" Q), "none");
	CHECK_STR(one(&p, "UseDevelopmentStorage=true;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1"
			  "OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="), "none");
}

/* What fuzzing and review found: each a case that once went wrong. */
static void test_found_by_fuzzing(void)
{
	sg_policy p;
	sg_policy_init(&p);
	sg_findings l;

	/* a percent-encoded copy of the signature in another segment is cut too */
	sg_findings_init(&l);
	scan_text(&p, NULL, "BlobEndpoint=https://a1.blob.core.windows.net/" SIG ";SharedAccessSignature=" Q, &l);
	CHECK_INT(l.count, 1);
	if (l.count == 1) {
		CHECK(strstr(l.items[0]->token.display, "gUfE5yuYB3ha") == NULL);
		CHECK(strstr(l.items[0]->token.display, "ypeB...") != NULL);
	}
	sg_findings_clear(&l);

	/* a shared access key that is also its own key name never shows whole */
	sg_findings_init(&l);
	scan_text(&p, NULL, "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=;"
			    "SharedAccessKey=YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=", &l);
	CHECK_INT(l.count, 1);
	if (l.count == 1) {
		CHECK(strstr(l.items[0]->violations[0].value, "el3XDDFGYYBjw0") == NULL);
		CHECK(strstr(l.items[0]->token.display, "el3XDDFGYYBjw0") == NULL);
	}
	sg_findings_clear(&l);

	/* a sig after 60 other parameters, even repeated SAS ones, is still a token */
	char many[4096] = "?";
	for (int i = 0; i < 30; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "utm%d=x&sv=2021-06-08&", i);
	strcat(many, Q);
	CHECK_STR(one(&p, many), "permissions,lifetime");
	/* a judged parameter given twice, differently: fail closed */
	CHECK_STR(one(&p, "?sp=r&" Q), "unparseable,lifetime");
	sg_findings_init(&l);
	scan_text(&p, NULL, "?sp=r&" Q, &l);
	if (l.count == 1)
		CHECK_STR(l.items[0]->violations[0].value, "sp given twice, differently");
	sg_findings_clear(&l);

	/* an encoded sig%3D inside a value: one token, one finding */
	CHECK_STR(one(&p, "?rscd=x%26sig%3D" SIG "&" Q), "permissions,lifetime");

	/* a port beyond 65535 is no port: not the emulator's 10000 */
	CHECK_STR(one(&p, "http://127.0.0.1:4294977296/c/b?" Q), "permissions,lifetime");

	/* IPv6 hosts: the loopback's emulator is skipped, another host reported */
	CHECK_STR(one(&p, "see https://[::1]:10001/devstoreaccount1/q?" Q " here"), "none");
	sg_findings_init(&l);
	scan_text(&p, NULL, "see https://[2001:db8::1]:443/c/b?" Q, &l);
	CHECK(l.count == 1 && strcmp(l.items[0]->token.host, "[2001:db8::1]") == 0);
	sg_findings_clear(&l);
	/* markdown's brackets are still delimiters */
	CHECK_STR(one(&p, "[link](https://a1.blob.core.windows.net/c/b?" Q ")"), "permissions,lifetime");
}

static void test_connection_strings_in_files(void)
{
	sg_policy p;
	sg_policy_init(&p);
	CHECK_STR(one(&p, "<add key=\"s\" value=\"BlobEndpoint=https://a1.blob.core.windows.net/;SharedAccessSignature="
			  "sv=2021-06-08&amp;ss=b&amp;srt=o&amp;sp=r&amp;se=2028-01-01&amp;spr=https&amp;sig=" SIG "\"/>"),
		  "account-sas,lifetime");
	CHECK_STR(one(&p, "\"AzureWebJobsStorage\": \"DefaultEndpointsProtocol=https;AccountName=a1;AccountKey="
			  "KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==;"
			  "EndpointSuffix=core.windows.net\""),
		  "account-key");
	/* a key and a SAS in one connection string: both reported */
	CHECK_STR(one(&p, "AccountName=a1;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851"
			  "PDzEkUOCqndJQ==;SharedAccessSignature=" Q), "2 findings");
}

static void test_lines_and_columns(void)
{
	sg_policy p;
	sg_policy_init(&p);
	const char *text = "line one\n"
			   "line two has https://a1.blob.core.windows.net/c/b?" Q "\n"
			   "\n"
			   "x https://a2.blob.core.windows.net/c/b?" Q " and ?" Q "\n";
	sg_findings l;
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, text, &l) == SG_OK);
	CHECK_INT(l.count, 3);
	if (l.count == 3) {
		CHECK_INT(l.items[0]->line, 2);
		CHECK_INT(l.items[0]->column, 14);
		CHECK_STR(l.items[0]->token.account, "a1");
		CHECK_INT(l.items[1]->line, 4);
		CHECK_INT(l.items[1]->column, 3);
		CHECK_INT(l.items[2]->line, 4);
		/* a bare query's token starts at its '?' */
		CHECK_INT(l.items[2]->token.offset, strstr(text, " and ?") - text + 5);
		/* offset and length cover the token's bytes in the buffer */
		CHECK(strncmp(text + l.items[0]->token.offset, "https://a1", 10) == 0);
		CHECK(text[l.items[0]->token.offset + l.items[0]->token.length] == '\n');
	}
	sg_findings_clear(&l);
	/* glued to a word and a colon (an LFS pointer's "oid sha256:"): the URL starts at its scheme */
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, "oid sha256:https://a1.blob.core.windows.net/c/b?" Q "\n", &l) == SG_OK);
	CHECK_INT(l.count, 1);
	if (l.count == 1)
		CHECK_INT(l.items[0]->column, 12);
	sg_findings_clear(&l);
	/* a hash glued in front of the scheme is not part of it */
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, "oid sha256:0123abcdhttps://a1.blob.core.windows.net/c/b?" Q "\n", &l) == SG_OK);
	CHECK_INT(l.count, 1);
	if (l.count == 1) {
		CHECK_INT(l.items[0]->column, 20);
		CHECK(strncmp(l.items[0]->token.display, "https://a1.blob", 15) == 0);
	}
	sg_findings_clear(&l);

	/* first_line lets a caller scan a piece of a larger file */
	sg_scanner *s;
	sg_diag d;
	CHECK(sg_scanner_new(&s, &p, &d) == SG_OK);
	sg_scanner_set_now(s, TEST_NOW);
	sg_findings_init(&l);
	CHECK(sg_scan_buffer(s, NULL, "\n\n" Q, strlen(Q) + 2, 40, &l) == SG_OK);
	CHECK(l.count == 1 && l.items[0]->line == 42);
	CHECK(sg_scanner_stats(s)->tokens == 1);
	sg_findings_clear(&l);
	sg_scanner_free(s);
}

static void test_allowances(void)
{
	sg_policy p;
	sg_policy_init(&p);
	sg_findings l;

	sg_findings_init(&l);
	scan_text(&p, NULL, "u = \"?" Q "\"  # sasguard:allow test fixture, signature is fake\n", &l);
	CHECK(l.count == 1 && l.items[0]->allowed == SG_ALLOWED_INLINE);
	if (l.count == 1) {
		CHECK_STR(l.items[0]->allow_reason, "test fixture, signature is fake");
		CHECK(!sg_finding_blocks(l.items[0]));
	}
	sg_findings_clear(&l);

	/* no reason, no allowance, and the finding says so */
	sg_findings_init(&l);
	scan_text(&p, NULL, "u = \"?" Q "\"  # sasguard:allow\n", &l);
	CHECK(l.count == 1 && l.items[0]->allowed == SG_ALLOWED_NO && sg_finding_blocks(l.items[0]));
	if (l.count == 1)
		CHECK(strstr(l.items[0]->note, "without a reason") != NULL);
	sg_findings_clear(&l);

	/* the marker on another line allows nothing */
	sg_findings_init(&l);
	scan_text(&p, NULL, "# sasguard:allow fixture\nu = \"?" Q "\"\n", &l);
	CHECK(l.count == 1 && l.items[0]->allowed == SG_ALLOWED_NO);
	sg_findings_clear(&l);

	sg_diag d;
	const char *ini = "[allow]\npath = tests/fixtures/**\npath = *.http\n";
	CHECK(sg_policy_load_string(&p, ini, strlen(ini), "t.ini", SG_LAYER_REPO, &d) == SG_OK);
	sg_findings_init(&l);
	scan_text(&p, "tests/fixtures/a/b.json", "?" Q, &l);
	scan_text(&p, "docs/api.http", "?" Q, &l);
	scan_text(&p, "src/app.py", "?" Q, &l);
	CHECK_INT(l.count, 3);
	if (l.count == 3) {
		CHECK_INT(l.items[0]->allowed, SG_ALLOWED_PATH);
		CHECK_INT(l.items[1]->allowed, SG_ALLOWED_PATH);
		CHECK_INT(l.items[2]->allowed, SG_ALLOWED_NO);
	}
	sg_findings_clear(&l);
	sg_policy_free(&p);
}

/* Input built to be slow or to break windows: each must finish, find what is there. */
static void test_hostile_input(void)
{
	sg_policy p;
	sg_policy_init(&p);
	size_t n = 1000000, len = n * 4;
	char *buf = malloc(len + 4096);
	sg_findings l;

	/* 10^6 "sig=" fragments, one endless line, then a real token after it */
	for (size_t i = 0; i < n; i++)
		memcpy(buf + 4 * i, "sig=", 4);
	strcpy(buf + len, " ?" Q);
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, buf, &l) == SG_OK);
	CHECK_INT(l.count, 1);
	sg_findings_clear(&l);

	/* the same separated by spaces, and "sig%3D" fragments */
	for (size_t i = 0; i < n; i++)
		memcpy(buf + 4 * i, i % 2 ? "sig=" : "g%3D", 4);
	buf[len] = '\0';
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, buf, &l) == SG_OK);
	CHECK_INT(l.count, 0);
	sg_findings_clear(&l);

	/* 10^6 placeholders in a buffer with no '%' at all: once quadratic (every
	 * '=' searched the rest of the buffer for a '%'); now linear (ctest's
	 * TIMEOUT on this test catches a return of the bug) */
	size_t big = 16u << 20;
	char *frags = malloc(big + 1);
	for (size_t i = 0; i + 9 <= big; i += 9)
		memcpy(frags + i, " sig=... ", 9);
	frags[big - big % 9] = '\0';
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, frags, &l) == SG_OK);
	CHECK_INT(l.count, 0);
	sg_findings_clear(&l);
	free(frags);

	/* many real-looking tokens glued into one run: bounded, no crash */
	size_t q = strlen("&" Q), k = 0;
	for (; k * q + q < len; k++)
		memcpy(buf + k * q, "&" Q, q);
	buf[k * q] = '\0';
	sg_findings_init(&l);
	CHECK(scan_text(&p, NULL, buf, &l) == SG_OK);
	CHECK(l.count >= 1);
	sg_findings_clear(&l);

	/* random bytes, NULs included: no crash, nothing invented */
	srand(7);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(rand() & 0xff);
	sg_scanner *s;
	sg_diag d;
	CHECK(sg_scanner_new(&s, &p, &d) == SG_OK);
	sg_findings_init(&l);
	CHECK(sg_scan_buffer(s, NULL, buf, len, 1, &l) == SG_OK);
	CHECK_INT(l.count, 0);
	sg_findings_clear(&l);
	sg_scanner_free(s);
	free(buf);

	CHECK(sg_buffer_is_binary("a\0b", 3));
	CHECK(!sg_buffer_is_binary("abc", 3));
	CHECK(sg_buffer_is_binary("", 0) == 0);
}

/* UTF-16LE (little-endian) or BE of ASCII/Latin-1 text s, with a BOM when bom. */
static size_t utf16(const char *s, int be, int bom, char *out)
{
	size_t n = 0;
	if (bom) {
		out[n++] = be ? '\xfe' : '\xff';
		out[n++] = be ? '\xff' : '\xfe';
	}
	for (; *s; s++) {
		out[n++] = be ? '\0' : *s;
		out[n++] = be ? *s : '\0';
	}
	return n;
}

static void test_utf16(void)
{
	char buf[1024], *t;
	size_t n, tl;

	/* what is UTF-16, and what stays bytes */
	CHECK_INT(sg_text_detect(buf, utf16("hello\r\n", 0, 1, buf)), SG_TEXT_UTF16LE);
	CHECK_INT(sg_text_detect(buf, utf16("hello\r\n", 1, 1, buf)), SG_TEXT_UTF16BE);
	CHECK_INT(sg_text_detect(buf, utf16("hello\r\n", 0, 0, buf)), SG_TEXT_UTF16LE);
	CHECK_INT(sg_text_detect(buf, utf16("hello\r\n", 1, 0, buf)), SG_TEXT_UTF16BE);
	CHECK_INT(sg_text_detect("\xff\xfe\0\0h\0\0\0", 8), SG_TEXT_BYTES); /* UTF-32LE */
	CHECK_INT(sg_text_detect("hello", 5), SG_TEXT_BYTES);
	CHECK_INT(sg_text_detect("PNG\0\0\0\x01\x02\x03\x04", 10), SG_TEXT_BYTES);
	CHECK_INT(sg_text_detect("\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0", 12), SG_TEXT_BYTES); /* int16s */
	CHECK_INT(sg_text_detect("a\0", 2), SG_TEXT_BYTES); /* too short to tell */
	CHECK(sg_buffer_is_binary("PNG\0\0\0\x01\x02", 8));
	CHECK(!sg_buffer_is_binary(buf, utf16("hello\r\n", 1, 0, buf)));

	/* decoding: the BOM dropped, a surrogate pair, a lone surrogate, an odd byte */
	CHECK(sg_text_decode("\xff\xfeh\0i\0", 6, SG_TEXT_UTF16LE, &t, &tl) == SG_OK);
	CHECK(tl == 2 && memcmp(t, "hi", 2) == 0);
	free(t);
	CHECK(sg_text_decode("\xd8\x3d\xde\x00\x00\xe9\xdc\x00\x00", 9, SG_TEXT_UTF16BE, &t, &tl) == SG_OK);
	CHECK(tl == 4 + 2 + 3 + 3 && memcmp(t, "\xf0\x9f\x98\x80\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd", tl) == 0);
	free(t);
	CHECK(sg_text_decode("ab", 2, SG_TEXT_BYTES, &t, &tl) == SG_EINVAL && t == NULL);

	/* a token in UTF-16 is found, on its line; the column counts UTF-8 bytes */
	sg_policy p;
	sg_policy_init(&p);
	for (int be = 0; be < 2; be++) {
		n = utf16("first line\r\n\xe9t\xe9: https://a1.blob.core.windows.net/c/b?" Q "\r\n", be, !be, buf);
		sg_scanner *s;
		sg_diag d;
		sg_findings l;
		CHECK(sg_scanner_new(&s, &p, &d) == SG_OK);
		sg_scanner_set_now(s, TEST_NOW);
		sg_findings_init(&l);
		CHECK(sg_scan_buffer(s, "ps.txt", buf, n, 1, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1) {
			char rules[128];
			CHECK_STR(rules_of(l.items[0], rules, sizeof(rules)), "permissions,lifetime");
			CHECK_INT(l.items[0]->line, 2);
			CHECK_INT(l.items[0]->column, 8); /* "\xc3\xa9t\xc3\xa9: " */
			CHECK_STR(l.items[0]->token.account, "a1");
		}
		CHECK_INT(sg_scanner_stats(s)->decoded, 1);
		CHECK_INT(sg_scanner_stats(s)->bytes, n);
		sg_findings_clear(&l);
		/* a later chunk of a stream: the encoding is given, not guessed */
		n = utf16("x ?" Q "\n", be, 0, buf);
		CHECK(sg_scan_buffer_as(s, NULL, buf + 2, n - 2, be ? SG_TEXT_UTF16BE : SG_TEXT_UTF16LE, 7, &l) ==
		      SG_OK);
		CHECK(l.count == 1 && l.items[0]->line == 7 && l.items[0]->column == 2);
		sg_findings_clear(&l);
		sg_scanner_free(s);
	}

	/* Only looking like UTF-16 hides nothing: a BOM before ASCII, a NUL planted
	 * in UTF-16 before an ASCII token; the raw bytes are scanned too. */
	CHECK_STR(one(&p, "\xff\xfe caf\xc3 https://a1.blob.core.windows.net/c/b?" Q "\n"), "permissions,lifetime");
	n = utf16("a\r\nb\r\n", 0, 1, buf);
	memcpy(buf + n, "\nhttps://a1.blob.core.windows.net/c/b?" Q "\n", strlen(Q) + 39);
	n += strlen(Q) + 39;
	CHECK_INT(sg_text_detect(buf, n), SG_TEXT_UTF16LE);
	sg_findings l;
	sg_findings_init(&l);
	sg_scanner *s;
	sg_diag d;
	CHECK(sg_scanner_new(&s, &p, &d) == SG_OK);
	sg_scanner_set_now(s, TEST_NOW);
	CHECK(sg_scan_buffer(s, NULL, buf, n, 1, &l) == SG_OK);
	CHECK(l.count == 1 && l.items[0]->line == 4 && l.items[0]->column == 1);
	sg_findings_clear(&l);
	sg_scanner_free(s);
}

/* Random bytes (xorshift, seeded): an image's or a compressed file's. */
static void random_bytes(char *out, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		out[i] = (char)(seed >> 24);
	}
}

/* Scans buf[0..n) with the default policy at TEST_NOW into l. */
static int scan_raw(const char *buf, size_t n, sg_findings *l)
{
	sg_policy p;
	sg_scanner *s;
	sg_diag d;
	sg_policy_init(&p);
	if (sg_scanner_new(&s, &p, &d) < 0)
		return -100;
	sg_scanner_set_now(s, TEST_NOW);
	int rc = sg_scan_buffer(s, "app.dll", buf, n, 1, l);
	sg_scanner_free(s);
	return rc;
}

static size_t newlines(const char *buf, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += buf[i] == '\n';
	return k;
}

/* Binary content: a NUL in its first bytes hides no ASCII token, and tokens
 * stored as UTF-16 among other bytes (an executable's strings) are found. */
static void test_binary(void)
{
	static const char url[] = "https://a1.blob.core.windows.net/c/b?" Q;
	sg_findings l;
	char rules[128];

	/* printf '\0\nurl = ...': binary by git's rule, and the token on line 2 */
	char head[512];
	size_t n = (size_t)snprintf(head, sizeof(head), "%c\nurl = %s\n", 0, url);
	CHECK(sg_buffer_is_binary(head, n));
	sg_findings_init(&l);
	CHECK(scan_raw(head, n, &l) == SG_OK);
	CHECK_INT(l.count, 1);
	if (l.count == 1) {
		CHECK_INT(l.items[0]->line, 2);
		CHECK_INT(l.items[0]->column, 7);
		CHECK_STR(l.items[0]->note, "");
	}
	sg_findings_clear(&l);

	/* "url = <token>" in UTF-16, either byte order, at an even or an odd
	 * offset, among random bytes (newlines among them too); or the token
	 * alone, a stray character glued to either end of it (a byte that is no
	 * NUL beyond each: no unit of either byte order) */
	size_t size = 64 * 1024, at = 40001;
	char *bin = malloc(size);
	for (int be = 0; be < 2; be++)
		for (int odd = 0; odd < 2; odd++)
			for (int bare = 0; bare < 2; bare++) {
				char wide[1024];
				size_t p = at + odd, wn = bare ? 0 : utf16("url = ", be, 0, wide), start = p + wn;
				wn += utf16(url, be, 0, wide + wn);
				random_bytes(bin, size, 7u + (uint32_t)(4 * be + 2 * odd + bare));
				memcpy(bin + p, wide, wn);
				if (bare) {
					memcpy(bin + p - 2, "\x95k", 2);
					memcpy(bin + p + wn, "k\x95", 2);
				}
				CHECK(sg_buffer_is_binary(bin, size));
				sg_findings_init(&l);
				CHECK(scan_raw(bin, size, &l) == SG_OK);
				CHECK_INT(l.count, 1);
				if (l.count != 1) {
					sg_findings_clear(&l);
					continue;
				}
				const sg_finding *f = l.items[0];
				CHECK_STR(rules_of(f, rules, sizeof(rules)), "permissions,lifetime");
				CHECK_STR(f->token.account, "a1");
				/* where the token's first character is stored: the 'h' of https */
				CHECK_INT(f->token.offset, start + (size_t)be);
				CHECK_INT(f->line, 1 + newlines(bin, start));
				CHECK(strstr(f->note, "UTF-16") != NULL);
				/* the signature shows cut, never whole */
				CHECK(strstr(f->token.display, "ypeB...") != NULL);
				CHECK(strstr(f->token.display, "gUfE5yuYB3ha") == NULL);
				sg_findings_clear(&l);
			}

	/* a .NET assembly's user string: a length byte before it, a flag byte
	 * after; read both ways (the length byte is no NUL), reported once */
	{
		char wide[1024];
		size_t wn = utf16("u=", 0, 0, wide);
		wn += utf16(url, 0, 0, wide + wn);
		random_bytes(bin, size, 5);
		bin[999] = (char)(wn + 1);
		memcpy(bin + 1000, wide, wn);
		bin[1000 + wn] = '\1';
		sg_findings_init(&l);
		CHECK(scan_raw(bin, size, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1)
			CHECK_INT(l.items[0]->token.offset, 1000); /* "u=https:..", as in bytes */
		sg_findings_clear(&l);
	}

	/* a UTF-16 run whose last character begins an ASCII token: the token is
	 * read from there, as if no run had been read before it */
	{
		char wide[1024];
		size_t wn = utf16("sig=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1, 0, wide);
		random_bytes(bin, size, 11);
		memcpy(bin + 2000, wide, wn);
		bin[2000 + wn] = '\0';
		n = (size_t)snprintf(bin + 2001 + wn, 1024, "%s ", url);
		sg_findings_init(&l);
		CHECK(scan_raw(bin, size, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1) {
			CHECK_INT(l.items[0]->token.offset, 2001 + wn);
			CHECK_STR(l.items[0]->token.account, "a1");
			CHECK_STR(l.items[0]->note, "");
		}
		sg_findings_clear(&l);
	}

	/* a stray byte before a string that starts "srt=": the other reading,
	 * from 'r', sees another kind of SAS over the same secret: one finding */
	{
		char wide[1024];
		size_t wn = utf16("srt=sco&sp=rwdlacup&se=2051-10-06T07:09:59Z&st=2021-10-05T23:09:59Z&spr=https,http&sig=" SIG,
				  0, 0, wide);
		random_bytes(bin, size, 13);
		bin[2999] = 't';
		memcpy(bin + 3000, wide, wn);
		bin[3000 + wn] = bin[3001 + wn] = '\0';
		sg_findings_init(&l);
		CHECK(scan_raw(bin, size, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1) {
			CHECK_INT(l.items[0]->token.kind, SG_KIND_ACCOUNT_SAS);
			CHECK_INT(l.items[0]->token.offset, 3000);
		}
		sg_findings_clear(&l);
	}

	/* a connection string's key, in UTF-16 among random bytes */
	{
		const char *key = "AccountName=a1;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHW"
				  "d9I7eAFTyJd851PDzEkUOCqndJQ==;EndpointSuffix=core.windows.net";
		char wide[1024];
		size_t wn = utf16(key, 0, 0, wide);
		random_bytes(bin, size, 99);
		bin[100] = ' ';
		bin[101] = '\0';
		memcpy(bin + 102, wide, wn);
		sg_findings_init(&l);
		CHECK(scan_raw(bin, size, &l) == SG_OK);
		CHECK(l.count == 1 && strcmp(rules_of(l.items[0], rules, sizeof(rules)), "account-key") == 0);
		if (l.count == 1)
			CHECK(strstr(l.items[0]->token.display, "KvipEEs/ZO1kDYx") == NULL);
		sg_findings_clear(&l);
	}
	free(bin);

	/* UTF-16 placeholders and fakes are no tokens, inside binary as outside */
	char buf[2048];
	n = utf16("x ?sv=2021-06-08&sr=b&sp=rw&se=2028-01-01&sig=REDACTED y", 0, 0, buf + 4);
	memcpy(buf, "\x7f" "ELF", 4);
	sg_findings_init(&l);
	CHECK(scan_raw(buf, n + 4, &l) == SG_OK);
	CHECK_INT(l.count, 0);
	sg_findings_clear(&l);
}

/* A whole UTF-16 file is decoded and its raw bytes scanned as well: each token
 * is reported once, and one stored at the other alignment is still found. */
static void test_utf16_once(void)
{
	char buf[2048];
	sg_findings l;
	for (int be = 0; be < 2; be++) {
		size_t n = utf16("a = 1\r\nurl = https://a1.blob.core.windows.net/c/b?" Q "\r\n", be, 1, buf);
		sg_findings_init(&l);
		CHECK(scan_raw(buf, n, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1) {
			CHECK_INT(l.items[0]->line, 2);
			CHECK_STR(l.items[0]->note, "");
		}
		sg_findings_clear(&l);

		/* a curly quote (U+201C, its other byte no NUL) before the URL: the
		 * raw bytes' other reading holds the token too; reported once */
		n = utf16("u = ", be, 1, buf);
		memcpy(buf + n, be ? "\x20\x1c" : "\x1c\x20", 2);
		n += 2;
		n += utf16("https://a1.blob.core.windows.net/c/b?" Q, be, 0, buf + n);
		memcpy(buf + n, be ? "\x20\x1d" : "\x1d\x20", 2);
		n += 2;
		sg_findings_init(&l);
		CHECK(scan_raw(buf, n, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1)
			CHECK_STR(l.items[0]->note, "");
		sg_findings_clear(&l);

		/* one stray byte, then a second token: nonsense once decoded, read as a run */
		n = utf16("a = 1\r\nb = 2\r\n", be, 1, buf);
		buf[n++] = 'x';
		n += utf16("url = https://a2.blob.core.windows.net/c/b?" Q "\r\n", be, 0, buf + n);
		CHECK_INT(sg_text_detect(buf, n), be ? SG_TEXT_UTF16BE : SG_TEXT_UTF16LE);
		sg_findings_init(&l);
		CHECK(scan_raw(buf, n, &l) == SG_OK);
		CHECK_INT(l.count, 1);
		if (l.count == 1) {
			CHECK_STR(l.items[0]->token.account, "a2");
			CHECK_INT(l.items[0]->line, 3);
			CHECK(strstr(l.items[0]->note, "UTF-16") != NULL);
		}
		sg_findings_clear(&l);
	}
}

/* One pattern repeated over size bytes, then after it tail (n bytes). */
static size_t repeat(char *buf, size_t size, const char *pat, size_t plen, const char *tail, size_t n)
{
	size_t i = 0;
	for (; i + plen <= size; i += plen)
		memcpy(buf + i, pat, plen);
	memcpy(buf + i, tail, n);
	return i + n;
}

/* Binary built to make the UTF-16 pass slow: each must finish (ctest's
 * timeout on this test catches quadratic work) and still find the token
 * after it; read as bytes, and as sg_scan_buffer tells (some of these look
 * like UTF-16 text: decoded whole, their raw bytes scanned too). */
static void test_hostile_wide(void)
{
	static const struct {
		const char *pat;
		size_t len;
	} pats[] = {
		{ "=\0", 2 },                   /* every '=' with a NUL beside it */
		{ "\0=", 2 },
		{ "g\0=\0", 4 },               /* the name's last letter before each one */
		{ "y\0%\0", 4 },
		{ "s\0i\0g\0=\0", 8 },       /* an anchor every 8 bytes, and a plausible signature after it */
		{ "a\0", 2 },                   /* a run with no token, as long as the buffer */
		{ "\0s\0i\0g\0=\0.\0.\0.", 14 }, /* placeholders, big-endian */
		{ "s\0i\0g\0=\0AAAAAAAAAAAAAAAA", 24 }, /* alternating with bytes */
		{ "A\0c\0c\0o\0u\0n\0t\0K\0e\0y\0=\0", 22 },
	};
	size_t size = 4u << 20;
	char *buf = malloc(size + 1024), tail[1024];
	sg_policy p;
	sg_scanner *s;
	sg_diag d;
	sg_policy_init(&p);
	CHECK(sg_scanner_new(&s, &p, &d) == SG_OK);
	sg_scanner_set_now(s, TEST_NOW);
	size_t tn = utf16(" https://a1.blob.core.windows.net/c/b?" Q " ", 0, 0, tail + 2);
	tail[0] = tail[1] = '\0';
	tn += 2;
	for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		size_t n = repeat(buf, size, pats[k].pat, pats[k].len, tail, tn);
		for (int as_bytes = 0; as_bytes < 2; as_bytes++) {
			sg_findings l;
			sg_findings_init(&l);
			CHECK(sg_scan_buffer_as(s, NULL, buf, n, as_bytes ? SG_TEXT_BYTES : sg_text_detect(buf, n), 1, &l) ==
			      SG_OK);
			size_t found = 0;
			for (size_t i = 0; i < l.count; i++)
				found += strcmp(l.items[i]->token.account, "a1") == 0;
			if (found != 1) {
				fprintf(stderr, "pattern %zu%s: %zu findings of the token after it\n", k,
					as_bytes ? " as bytes" : "", found);
				check_failures++;
			}
			sg_findings_clear(&l);
		}
	}
	sg_scanner_free(s);
	free(buf);
}

/* Base64 of in[0..n) into out (NUL-terminated); '-' and '_' for the URL-safe alphabet. */
static void b64(const char *in, size_t n, char *out, int urlsafe)
{
	const char *a = urlsafe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
				: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? (unsigned char)in[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Scans "  V: base64(prefix + plain)" on line 3 of a Secret; the one finding's rules. */
static const char *in_secret(const sg_policy *p, const char *prefix, const char *plain, int urlsafe,
			     const char *after, size_t *column)
{
	static char rules[256];
	char raw[1024], enc[2048], text[4096];
	snprintf(raw, sizeof(raw), "%s%s", prefix, plain);
	b64(raw, strlen(raw), enc, urlsafe);
	snprintf(text, sizeof(text), "kind: Secret\ndata:\n  V: %s%s\n", enc, after);
	sg_findings l;
	sg_findings_init(&l);
	CHECK(scan_text(p, "secret.yaml", text, &l) == SG_OK);
	*column = 0;
	if (l.count != 1) {
		snprintf(rules, sizeof(rules), "%zu findings", l.count);
	} else {
		rules_of(l.items[0], rules, sizeof(rules));
		CHECK_INT(l.items[0]->line, 3);
		CHECK(strstr(l.items[0]->note, "base64") || l.items[0]->allowed);
		*column = l.items[0]->column;
		if (l.items[0]->allowed)
			strcat(rules, " (allowed)");
	}
	sg_findings_clear(&l);
	return rules;
}

static void test_base64(void)
{
	sg_policy p;
	sg_policy_init(&p);
	const char *url = "https://a1.blob.core.windows.net/c/b?" Q;
	const char *key = "DefaultEndpointsProtocol=https;AccountName=a1;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh"
			  "7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==;EndpointSuffix=core.windows.net";
	const char *sbkey = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
			    "SharedAccessKey=YsZqel3XDDFGYYBjw0TlMebUtZ43mAhEPOlis6vWPFo=";
	size_t col;
	/* each anchor at each of its three alignments, in both alphabets */
	const char *prefixes[] = { "", "a", "ab", "abc" };
	for (int k = 0; k < 4; k++)
		for (int safe = 0; safe < 2; safe++) {
			CHECK_STR(in_secret(&p, prefixes[k], url, safe, "", &col), "permissions,lifetime");
			/* the column of the 4 base64 characters that hold the scheme's 'h' */
			CHECK_INT(col, 6 + 4 * (strlen(prefixes[k]) / 3));
			CHECK_STR(in_secret(&p, prefixes[k], key, safe, "", &col), "account-key");
			CHECK_STR(in_secret(&p, prefixes[k], sbkey, safe, "", &col), "account-key");
		}
	/* the inline allowance on the encoded line applies */
	CHECK_STR(in_secret(&p, "", url, 0, "  # sasguard:allow expired test fixture", &col),
		  "permissions,lifetime (allowed)");
	/* placeholders, the emulator key, a SAS for the emulator: nothing */
	CHECK_STR(in_secret(&p, "", "https://a1.blob.core.windows.net/c/b?sv=2021-06-08&sp=rw&se=2028-01-01&sig=REDACTED",
			    0, "", &col), "0 findings");
	CHECK_STR(in_secret(&p, "", "AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6"
			    "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", 0, "", &col), "0 findings");

	/* ordinary words with the letters the pass stops at decode nothing */
	sg_scanner *s;
	sg_diag d;
	sg_findings l;
	CHECK(sg_scanner_new(&s, &p, &d) == SG_OK);
	sg_findings_init(&l);
	const char *words = "SELECT x FROM t WHERE y = 'Zürich'; PATH=/usr/bin; NpZ zaW c2ln P W Z\n";
	CHECK(sg_scan_buffer(s, NULL, words, strlen(words), 1, &l) == SG_OK && l.count == 0);
	CHECK_INT(sg_scanner_stats(s)->anchors, 0);

	/* an anchor 40 KB into one base64 run (past the window cap) is still found,
	 * its column that of the quantum holding the token's start */
	size_t big = 30000, n = 0;
	char *raw = malloc(big + 1024), *enc = malloc((big + 1024) / 3 * 4 + 8);
	for (; n < big; n++)
		raw[n] = (char)(n * 7 + 3);
	n += (size_t)snprintf(raw + n, 1024, " %s ", url);
	b64(raw, n, enc, 0);
	CHECK(sg_scan_buffer(s, NULL, enc, strlen(enc), 1, &l) == SG_OK);
	CHECK(l.count == 1 && l.items[0]->line == 1);
	if (l.count == 1) {
		CHECK(l.items[0]->column > big / 3 * 4 - 4 && l.items[0]->column <= big / 3 * 4 + 8);
		CHECK_STR(l.items[0]->token.account, "a1");
	}
	sg_findings_clear(&l);
	free(raw);
	free(enc);
	sg_scanner_free(s);
}

/* Scans text at path; the only finding (owned by l), or NULL. */
static const sg_finding *only(const sg_policy *p, const char *path, const char *text, sg_findings *l)
{
	sg_findings_init(l);
	CHECK(scan_text(p, path, text, l) == SG_OK);
	CHECK_INT(l->count, 1);
	return l->count == 1 ? l->items[0] : NULL;
}

/* Tokens split into string literals, joined when the parts are at most 3 lines apart. */
static void test_split_literals(void)
{
	sg_policy p;
	sg_findings l;
	const sg_finding *f;
	sg_policy_init(&p);
	/* Python: implicit concatenation in parentheses, a comment line between */
	f = only(&p, "t.py",
		 "x = 1\n"
		 "SAS_URL = (\"https://a1.blob.core.windows.net/c/b?sv=2021-06-08&sr=b&sp=rw\"\n"
		 "           # read-write for the nightly job\n"
		 "           \"&se=2028-01-01T00:00:00Z&spr=https&sig=" SIG "\")\n", &l);
	if (f) {
		char r[128];
		CHECK_STR(rules_of(f, r, sizeof(r)), "permissions,lifetime");
		CHECK_INT(f->line, 2); /* where the first part is */
		CHECK_INT(f->column, 13);
		CHECK_STR(f->token.account, "a1");
		CHECK(strstr(f->token.display, "sp=rw&se=2028-01-01T00:00:00Z&spr=https&sig=ypeB...") != NULL);
		CHECK(strstr(f->note, "split over string literals") != NULL);
	}
	sg_findings_clear(&l);
	/* JavaScript/C#: three parts and '+', the signature in the last */
	CHECK_STR(one(&p, "const u = 'https://a1.blob.core.windows.net/c/b?sv=2021-06-08&sr=b' + '&sp=rw&se=2028-01-01' +\n"
			  "    '&spr=https&sig=" SIG "';\n"), "permissions,lifetime");
	/* the signature in the first part, the rest after it */
	CHECK_STR(one(&p, "q = \"?sv=2021-06-08&sr=b&sig=" SIG "&sp=rw\" \\\n    \"&se=2028-01-01&spr=https\"\n"),
		  "permissions,lifetime");
	/* VB's & and _ ; PHP's . */
	CHECK_STR(one(&p, "u = \"?sv=2021-06-08&sr=b&sp=rw\" & _\n    \"&se=2028-01-01&spr=https&sig=" SIG "\"\n"),
		  "permissions,lifetime");
	CHECK_STR(one(&p, "$u = '?sv=2021-06-08&sr=b&sp=rw' . '&se=2028-01-01&spr=https&sig=" SIG "';\n"),
		  "permissions,lifetime");
	/* 3 lines apart still joins; 4 does not (the second part is then judged alone) */
	CHECK_STR(one(&p, "u = (\"?sv=2021-06-08&sr=b&sp=rw\"\n\n\n    \"&se=2028-01-01&spr=https&sig=" SIG "\")\n"),
		  "permissions,lifetime");
	CHECK_STR(one(&p, "u = (\"?sv=2021-06-08&sr=b&sp=rw\"\n\n\n\n    \"&se=2028-01-01&spr=https&sig=" SIG "\")\n"),
		  "unparseable,lifetime");
	/* a name or a comma between keeps the parts apart */
	CHECK_STR(one(&p, "a = \"?sv=2021-06-08&sr=b&sp=rw\"\nb = \"&se=2028-01-01&spr=https&sig=" SIG "\"\n"),
		  "unparseable,lifetime");
	CHECK_STR(one(&p, "[\"?sv=2021-06-08&sr=b&sp=rw\",\n \"&se=2028-01-01&spr=https&sig=" SIG "\"]\n"),
		  "unparseable,lifetime");
	/* a literal glued onto a whole token's signature spoils the join, not the token */
	CHECK_STR(one(&p, "u = \"?" Q "\" + \"abc\"\n"), "permissions,lifetime");
	/* a split connection string: the endpoint in one part, the key in the next */
	f = only(&p, "t.cs",
		 "var c = \"AccountEndpoint=https://c1.documents.azure.com:443/;\" +\n"
		 "        \"AccountKey=rUIq5ovJm9hRT18zJoZWhSMVedIAjiKkFvu+ckrPWdR6ReIuG9hFBH8PSxcCOv8DFsqFFWZlkGZ0snUfURyyIw==;\";\n",
		 &l);
	if (f) {
		CHECK_INT(f->token.kind, SG_KIND_COSMOS_KEY);
		CHECK_INT(f->line, 1);
	}
	sg_findings_clear(&l);
	/* the token may start in a later part: its line is that part's */
	f = only(&p, "t.py", "msg = (\"see:\"\n       \"https://a1.blob.core.windows.net/c/b?sv=2021-06-08&sr=b&sp=rw\"\n"
			     "       \"&se=2028-01-01&spr=https&sig=" SIG "\")\n", &l);
	if (f) {
		CHECK_INT(f->line, 2);
		CHECK_INT(f->column, 9);
		CHECK(strncmp(f->token.display, "see:", 4) != 0);
	}
	sg_findings_clear(&l);
}

/* "&sig=<a real HMAC>" with its other parameters elsewhere: at least unparseable. */
static void test_lone_signature(void)
{
	sg_policy p;
	sg_findings l;
	sg_policy_init(&p);
	const sg_finding *f = only(&p, "t.py", "params = {\"sv\": \"2021-06-08\", \"sp\": \"rwdl\"}\n"
					      "token = build(params) + \"&sig=" SIG_RAW "\"\n", &l);
	if (f) {
		char r[128];
		CHECK_STR(rules_of(f, r, sizeof(r)), "unparseable,http");
		CHECK(sg_finding_blocks(f));
		CHECK_INT(f->line, 2);
		CHECK(strstr(f->note, "signature alone") != NULL);
		CHECK_STR(f->token.display, "sig=ypeB...");
	}
	sg_findings_clear(&l);
	CHECK_STR(one(&p, "token += \"&sig=REDACTED\"\n"), "none");
	CHECK_STR(one(&p, "https://example.com/page?utm=1&sig=" SIG "\n"), "none");
}

/* cmd/batch doubles '%': "%%2F" is "%2F". */
static void test_cmd_percent(void)
{
	sg_policy p;
	sg_findings l;
	sg_policy_init(&p);
	const char *bat = "@echo off\r\n"
			  "set SAS=sv=2021-06-08^&sr=b^&sp=rw^&se=2028-01-01T00%%3A00%%3A00Z^&spr=https"
			  "^&sig=ypeBEsobvcr6wjGzmiPcTaeG7%%2FgUfE5yuYB3ha%%2FuSLs%%3D\r\n"
			  "azcopy copy x.zip \"https://a1.blob.core.windows.net/c/x.zip?%SAS%\"\r\n";
	const sg_finding *f = only(&p, "deploy.bat", bat, &l);
	if (f) {
		char r[128];
		CHECK_STR(rules_of(f, r, sizeof(r)), "permissions,lifetime");
		CHECK_STR(f->token.sig, SIG_RAW);
		CHECK_STR(f->token.se, "2028-01-01T00:00:00Z");
		CHECK_INT(f->line, 2);
	}
	sg_findings_clear(&l);
	/* the file's name need not tell: stdin, a blob in history */
	CHECK_STR(one(&p, bat), "permissions,lifetime");
}

#define COSMOS_KEY "rUIq5ovJm9hRT18zJoZWhSMVedIAjiKkFvu+ckrPWdR6ReIuG9hFBH8PSxcCOv8DFsqFFWZlkGZ0snUfURyyIw=="

static void test_cosmos_and_glued_keys(void)
{
	sg_policy p;
	sg_findings l;
	char buf[2048];
	sg_policy_init(&p);
	const sg_finding *f = only(&p, "appsettings.json",
				   "{ \"CosmosDb\": \"AccountEndpoint=https://c1.documents.azure.com:443/;AccountKey=" COSMOS_KEY ";\" }\n",
				   &l);
	if (f) {
		char r[128];
		CHECK_STR(rules_of(f, r, sizeof(r)), "account-key");
		CHECK_INT(f->token.kind, SG_KIND_COSMOS_KEY);
		CHECK(strstr(f->violations[0].detail, "Cosmos DB") != NULL);
		CHECK(strstr(f->violations[0].value, "rUIq5") == NULL);
		sg_finding_revoke(f, buf, sizeof(buf));
		CHECK(strstr(buf, "az cosmosdb keys regenerate --name c1 ") != NULL);
		CHECK(strstr(buf, "storage account keys") == NULL);
		sg_finding_fix(f, &p, buf, sizeof(buf));
		CHECK(strstr(buf, "Cosmos DB") != NULL);
		CHECK(strstr(f->token.display, "rUIq5") == NULL);
	}
	sg_findings_clear(&l);
	CHECK_STR(one(&p, "\"Cosmos\": \"AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+"
			  "4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==\"\n"), "none");
	/* a storage key glued to the next segment */
	f = only(&p, "t.env", "CONN=DefaultEndpointsProtocol=https;AccountName=a1;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7"
			      "FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==EndpointSuffix=core.windows.net\n", &l);
	if (f) {
		CHECK_INT(f->token.kind, SG_KIND_STORAGE_KEY);
		CHECK_STR(f->token.account, "a1");
		CHECK(strstr(f->token.display, "KvipE") == NULL);
		CHECK(strstr(f->token.display, "EndpointSuffix=core.windows.net") != NULL);
	}
	sg_findings_clear(&l);
}

int main(void)
{
	test_encodings();
	test_endpoints();
	test_connection_strings_in_files();
	test_found_by_fuzzing();
	test_lines_and_columns();
	test_allowances();
	test_hostile_input();
	test_utf16();
	test_binary();
	test_utf16_once();
	test_hostile_wide();
	test_base64();
	test_split_literals();
	test_lone_signature();
	test_cmd_percent();
	test_cosmos_and_glued_keys();
	CHECK_DONE();
}
