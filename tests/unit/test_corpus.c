/*
 * test_corpus.c - every sample in tests/corpus/tokens.tsv (a copy of the
 * shared corpus) gets exactly the rules it lists, through the library's scan.
 */
#include "check.h"

#include <stdlib.h>

static void check_row(const sg_policy *p, const char *id, const char *expect, const char *text)
{
	char line[8192], got[512] = "";
	sg_findings l;
	size_t n = 0;
	int blocking = 0, info = 0;

	snprintf(line, sizeof(line), "x = %s\n", text);
	sg_findings_init(&l);
	if (scan_text(p, "sample.txt", line, &l) != SG_OK) {
		fprintf(stderr, "%s: scan failed\n", id);
		check_failures++;
	}
	for (size_t i = 0; i < l.count; i++) {
		char r[256];
		rules_of(l.items[i], r, sizeof(r));
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", n ? "," : "", r);
		blocking |= sg_finding_blocks(l.items[i]);
		info |= l.items[i]->severity == SG_SEV_INFO;
		/* no finding ever carries the signature whole */
		if (strstr(l.items[i]->token.display, l.items[i]->token.secret_head) &&
		    strlen(l.items[i]->token.display) && strstr(l.items[i]->token.display, "...") == NULL) {
			fprintf(stderr, "%s: display not redacted: %s\n", id, l.items[i]->token.display);
			check_failures++;
		}
	}
	int ok;
	if (strcmp(expect, "none") == 0)
		ok = l.count == 0;
	else if (strcmp(expect, "info") == 0)
		ok = l.count == 1 && info && !blocking;
	else
		ok = l.count == 1 && strcmp(got, expect) == 0 &&
		     blocking == (strcmp(expect, "stored-policy") != 0);
	if (!ok) {
		fprintf(stderr, "%s: want %s, got %zu finding(s) [%s]%s\n", id, expect, l.count, got,
			blocking ? " blocking" : "");
		check_failures++;
	}
	sg_findings_clear(&l);
}

int main(void)
{
	FILE *f = fopen(SOURCE_DIR "/tests/corpus/tokens.tsv", "r");
	char buf[8192];
	int rows = 0;
	sg_policy p;

	CHECK(f != NULL);
	if (!f)
		CHECK_DONE();
	sg_policy_init(&p);
	while (fgets(buf, sizeof(buf), f)) {
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		char *id = buf, *expect = strchr(id, '\t'), *text;
		CHECK(expect != NULL);
		if (!expect)
			continue;
		*expect++ = '\0';
		text = strchr(expect, '\t');
		CHECK(text != NULL);
		if (!text)
			continue;
		*text++ = '\0';
		check_row(&p, id, expect, text);
		rows++;
	}
	fclose(f);
	CHECK(rows >= 23);
	printf("%d corpus rows checked\n", rows);
	CHECK_DONE();
}
