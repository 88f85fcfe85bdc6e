/*
 * test_corpus.c - every sample in tests/corpus/tokens.tsv (the shared corpus
 * and the project's rows after it) and tests/corpus/forms.tsv (samples of
 * several lines, scanned under a file name) gets exactly the rules it lists,
 * through the library's scan.
 */
#include "check.h"

#include <stdlib.h>

/* kind: the finding's kind name, or NULL not to check it. */
static void check_row(const sg_policy *p, const char *id, const char *expect, const char *kind,
		      const char *path, const char *line)
{
	char got[512] = "";
	sg_findings l;
	size_t n = 0;
	int blocking = 0, info = 0;

	sg_findings_init(&l);
	if (scan_text(p, path, line, &l) != SG_OK) {
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
	if (ok && kind && strcmp(sg_kind_name(l.items[0]->token.kind), kind) != 0) {
		fprintf(stderr, "%s: want kind %s, got %s\n", id, kind, sg_kind_name(l.items[0]->token.kind));
		check_failures++;
	}
	if (!ok) {
		fprintf(stderr, "%s: want %s, got %zu finding(s) [%s]%s\n", id, expect, l.count, got,
			blocking ? " blocking" : "");
		check_failures++;
	}
	sg_findings_clear(&l);
}

/* forms.tsv text: \n \r \t \\ escaped, decoded in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (*s == '\\' && (s[1] == 'n' || s[1] == 'r' || s[1] == 't' || s[1] == '\\')) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : '\\';
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Splits a TSV line into at most n fields; returns how many. */
static int fields(char *line, char **f, int n)
{
	int k = 0;
	line[strcspn(line, "\n")] = '\0';
	f[k++] = line;
	while (k < n && (line = strchr(line, '\t')) != NULL) {
		*line++ = '\0';
		f[k++] = line;
	}
	return k;
}

static int check_forms(const sg_policy *p)
{
	FILE *f = fopen(SOURCE_DIR "/tests/corpus/forms.tsv", "r");
	char buf[8192];
	int rows = 0;

	CHECK(f != NULL);
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f)) {
		char *col[5];
		if (buf[0] == '#' || buf[0] == '\n')
			continue;
		int k = fields(buf, col, 5);
		CHECK(k == 5);
		if (k != 5)
			continue;
		unescape(col[4]);
		check_row(p, col[0], col[1], col[2], col[3], col[4]);
		rows++;
	}
	fclose(f);
	return rows;
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
		char line[8192];
		snprintf(line, sizeof(line), "x = %s\n", text);
		check_row(&p, id, expect, NULL, "sample.txt", line);
		rows++;
	}
	fclose(f);
	CHECK(rows >= 31);
	int forms = check_forms(&p);
	CHECK(forms >= 9);
	printf("%d corpus rows and %d forms checked\n", rows, forms);
	CHECK_DONE();
}
