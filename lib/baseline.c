/*
 * baseline.c - a file of fingerprints of tokens known when sasguard was
 * adopted; findings of those tokens are allowed. One fingerprint a line,
 * sorted, no line numbers or dates, so that it merges without conflicts
 * and a new entry shows plainly in review.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FP_HEX 32

struct sg_baseline {
	char (*fps)[FP_HEX + 1]; /* sorted */
	size_t count, cap;
};

static int is_fingerprint(const char *s, size_t n)
{
	if (n != FP_HEX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int cmp_fp(const void *a, const void *b)
{
	return memcmp(a, b, FP_HEX);
}

static int add_fp(sg_baseline *b, const char *fp)
{
	if (b->count == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *p = realloc(b->fps, cap * sizeof(*b->fps));
		if (!p)
			return SG_ENOMEM;
		b->fps = p;
		b->cap = cap;
	}
	memcpy(b->fps[b->count], fp, FP_HEX);
	b->fps[b->count++][FP_HEX] = '\0';
	return SG_OK;
}

int sg_baseline_load(sg_baseline **out, const char *path, sg_diag *d)
{
	FILE *f;
	struct stat st;
	sg_baseline *b;
	char line[512];
	int lineno = 0, rc;

	*out = NULL;
	/* a baseline named by a checkout's .sasguard.ini may be a link to /dev/zero or a FIFO */
	if ((rc = sg_open_regular(path, &f, &st, d)) < 0) {
		if (rc == SG_EIO)
			snprintf(d->msg, sizeof(d->msg), "%s: cannot open the baseline: %s", path, strerror(errno));
		return rc;
	}
	if (!(b = calloc(1, sizeof(*b)))) {
		fclose(f);
		return SG_ENOMEM;
	}
	while (rc == SG_OK && fgets(line, sizeof(line), f)) {
		lineno++;
		size_t n = strcspn(line, " \t\r\n#");
		if (line[0] == '#' || n == 0)
			continue;
		if (!is_fingerprint(line, n)) {
			snprintf(d->msg, sizeof(d->msg), "%s:%d: not a fingerprint (32 lowercase hex characters)", path,
				 lineno);
			rc = SG_ECONFIG;
			break;
		}
		rc = add_fp(b, line);
	}
	if (rc == SG_OK && ferror(f)) {
		snprintf(d->msg, sizeof(d->msg), "%s: read error", path);
		rc = SG_EIO;
	}
	fclose(f);
	if (rc != SG_OK) {
		sg_baseline_free(b);
		return rc;
	}
	if (b->count) /* no fingerprints: fps is NULL, which qsort must not get */
		qsort(b->fps, b->count, sizeof(*b->fps), cmp_fp);
	*out = b;
	return SG_OK;
}

int sg_baseline_has(const sg_baseline *b, const char *fingerprint)
{
	return b && b->count && bsearch(fingerprint, b->fps, b->count, sizeof(*b->fps), cmp_fp) != NULL;
}

size_t sg_baseline_count(const sg_baseline *b)
{
	return b ? b->count : 0;
}

void sg_baseline_free(sg_baseline *b)
{
	if (!b)
		return;
	free(b->fps);
	free(b);
}

/* One entry: the fingerprint, then for reviewers the kind and where it was found. */
typedef struct entry {
	char fp[FP_HEX + 1];
	const sg_finding *f;
} entry;

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->fp, ((const entry *)b)->fp);
}

int sg_baseline_write(const char *path, sg_finding *const *items, size_t n, sg_diag *d)
{
	char tmp[4096];
	entry *e = calloc(n + 1, sizeof(*e));
	size_t m = 0;
	FILE *f;

	if (!e)
		return SG_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(e[m].fp, items[i]->token.fingerprint, FP_HEX + 1);
		e[m++].f = items[i];
	}
	qsort(e, m, sizeof(*e), cmp_entry);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w"))) {
		snprintf(d->msg, sizeof(d->msg), "%.400s: cannot write: %s", tmp, strerror(errno));
		free(e);
		return SG_EIO;
	}
	fprintf(f, "# sasguard baseline: fingerprints of tokens known when sasguard was adopted.\n"
		   "# Findings of these tokens are allowed (counted, listed with --show-allowed).\n"
		   "# Written by sasguard --write-baseline; one fingerprint a line, then its kind and account.\n");
	for (size_t i = 0; i < m; i++) {
		if (i && strcmp(e[i].fp, e[i - 1].fp) == 0)
			continue;
		const sg_token *t = &e[i].f->token;
		fprintf(f, "%s  %s %s\n", e[i].fp, sg_kind_name(t->kind), t->account[0] ? t->account : "-");
	}
	free(e);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(d->msg, sizeof(d->msg), "%s: cannot write: %s", path, strerror(errno));
		remove(tmp);
		return SG_EIO;
	}
	return SG_OK;
}
