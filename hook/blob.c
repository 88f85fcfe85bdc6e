/*
 * blob.c - reading one blob and handing it to the library, with the skips
 * DESIGN.md asks for (binary, LFS pointers, oversize), and deciding which of
 * a blob's findings a change actually added.
 */
#include "gitscan.h"

#include <stdlib.h>
#include <string.h>

/*
 * A Git LFS pointer by its spec (git-lfs docs/spec.md): under 1024 bytes, the
 * version line, "oid sha256:" and 64 lower-case hex digits, "size" and its
 * digits, each line ending in LF, nothing else. Only that is skipped: a blob
 * that merely starts like one is content.
 */
int blob_is_lfs_pointer(const char *b, size_t n)
{
	static const char head[] = "version https://git-lfs.github.com/spec/v1\noid sha256:";
	const size_t hl = sizeof(head) - 1;
	if (n >= 1024 || n < hl + 64 + 8 || memcmp(b, head, hl) != 0)
		return 0;
	const char *p = b + hl, *end = b + n;
	for (int i = 0; i < 64; i++, p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	if (end - p < 8 || memcmp(p, "\nsize ", 6) != 0)
		return 0;
	const char *digits = p += 6;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > digits && p - digits <= 19 && p + 1 == end && *p == '\n';
}

static int scan_content(blob_ctx *c, const char *buf, size_t len, const char *path, sg_findings *out)
{
	int rc = sg_scan_buffer(c->scanner, path, buf, len, 1, out);
	if (rc == SG_ELIMIT) {
		report_note(c->report, "%s: a pattern hit its match limit; part of it was not scanned", path);
		return -1;
	}
	if (rc < 0) {
		print_safef(stderr, "sasguard: %s: scan failed (%d)\n", path, rc);
		return -1;
	}
	return 0;
}

static const char *skip_reason[SKIP_KINDS] = {
	"valid Git LFS pointers (the content lives on the LFS server)",
	"binary (policy.scan_binary = false)",
	"larger than policy.max_file_size",
};

/* Counts a skip and keeps the first few paths (and sizes) for the note. */
static void skipped(blob_ctx *c, int kind, const char *path, size_t size)
{
	skip_log *l = &c->skips[kind];
	if (c->side_read)
		return;
	if (l->count < SKIP_SAMPLES && path) {
		size_t n = strlen(path) + 32;
		if ((l->sample[l->count] = malloc(n)))
			snprintf(l->sample[l->count], n, "%s (%zu bytes)", path, size);
	}
	l->count++;
}

void blob_skips_add(blob_ctx *c, int kind, unsigned long long count, const char *const *paths, size_t npaths)
{
	skip_log *l = &c->skips[kind];
	for (size_t i = 0; i < npaths && l->count + i < SKIP_SAMPLES; i++)
		if (paths[i] && !l->sample[l->count + i])
			l->sample[l->count + i] = strdup(paths[i]);
	l->count += count;
}

void blob_skips_note(blob_ctx *c)
{
	for (int k = 0; k < SKIP_KINDS; k++) {
		skip_log *l = &c->skips[k];
		char list[512] = "";
		size_t used = 0;
		for (size_t i = 0; i < l->count && i < SKIP_SAMPLES; i++) {
			if (!l->sample[i])
				continue;
			int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : ": ", l->sample[i]);
			if (n < 0 || (size_t)n >= sizeof(list) - used)
				break;
			used += (size_t)n;
		}
		if (l->count)
			report_note(c->report, "skipped %llu file%s as %s%s%s", l->count, l->count == 1 ? "" : "s",
				    skip_reason[k], list, l->count > SKIP_SAMPLES ? ", ..." : "");
		for (size_t i = 0; i < SKIP_SAMPLES; i++) {
			free(l->sample[i]);
			l->sample[i] = NULL;
		}
		l->count = 0;
	}
}

/* Over max_file_size (the limit itself is scanned): counted, noted, not read. */
static int skip_if_large(blob_ctx *c, size_t size, const char *path)
{
	if (size <= c->policy->max_file_size)
		return 0;
	c->stats->large_skipped++;
	skipped(c, SKIP_LARGE, path, size);
	return 1;
}

int blob_skip_large(blob_ctx *c, size_t size, const char *path)
{
	return skip_if_large(c, size, path);
}

int blob_scan_data(blob_ctx *c, const char *buf, size_t size, const char *path, sg_findings *out)
{
	if (skip_if_large(c, size, path))
		return 0;
	if (blob_is_lfs_pointer(buf, size)) {
		c->stats->lfs_skipped++;
		skipped(c, SKIP_LFS, path, size);
		return 0;
	}
	if (!c->policy->scan_binary && sg_buffer_is_binary(buf, size)) {
		c->stats->binary_skipped++;
		skipped(c, SKIP_BINARY, path, size);
		return 0;
	}
	c->stats->files++;
	return scan_content(c, buf, size, path, out);
}

int blob_scan(blob_ctx *c, const git_oid *id, const char *path, sg_findings *out)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t size;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = -1;

	if (git_repository_odb(&odb, c->repo) < 0) {
		git_fail("object database");
		return -1;
	}
	git_oid_tostr(hex, sizeof(hex), id);
	/* The header gives the size without inflating a 2 GB blob. */
	if (git_odb_read_header(&size, &type, odb, id) < 0) {
		if (raw_object_missing(odb, id) == 1) {
			git_error_clear();
			rc = BLOB_MISSING;
			goto out;
		}
		print_safef(stderr, "sasguard: %s (blob %s): ", path ? path : "", hex);
		git_fail("cannot read");
		goto out;
	}
	if (type != GIT_OBJECT_BLOB) {
		rc = 0;
		goto out;
	}
	if (skip_if_large(c, size, path)) {
		rc = 0;
		goto out;
	}
	if (git_odb_read(&obj, odb, id) < 0) {
		fprintf(stderr, "sasguard: %s (blob %s): ", path ? path : "", hex);
		git_fail("cannot read");
		goto out;
	}
	rc = blob_scan_data(c, git_odb_object_data(obj), git_odb_object_size(obj), path, out);
out:
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

int text_scan(blob_ctx *c, const char *text, size_t len, const char *label, sg_findings *out)
{
	return scan_content(c, text, len, label, out);
}

/* New-side line ranges of the hunks of a diff with no context. */
typedef struct ranges {
	size_t (*r)[2];
	size_t n, cap;
	int binary;
} ranges;

static int on_hunk(const git_diff_delta *d, const git_diff_hunk *h, void *payload)
{
	ranges *rg = payload;
	(void)d;
	if (h->new_lines <= 0)
		return 0;
	if (rg->n == rg->cap) {
		size_t cap = rg->cap ? rg->cap * 2 : 16;
		void *p = realloc(rg->r, cap * sizeof(*rg->r));
		if (!p)
			return -1;
		rg->r = p;
		rg->cap = cap;
	}
	rg->r[rg->n][0] = (size_t)h->new_start;
	rg->r[rg->n][1] = (size_t)h->new_start + (size_t)h->new_lines;
	rg->n++;
	return 0;
}

static int on_binary(const git_diff_delta *d, const git_diff_binary *b, void *payload)
{
	(void)d;
	(void)b;
	((ranges *)payload)->binary = 1;
	return 0;
}

static int in_ranges(const ranges *rg, size_t line)
{
	for (size_t i = 0; i < rg->n; i++)
		if (line >= rg->r[i][0] && line < rg->r[i][1])
			return 1;
	return 0;
}

/* Fingerprints of the tokens old_id holds (its findings, under the same policy). */
static int old_fingerprints(blob_ctx *c, const git_oid *old_id, const char *path, sg_findings *old)
{
	report_stats saved = *c->stats;
	sg_stats lib = *sg_scanner_stats(c->scanner);
	int side = c->side_read;
	c->side_read = 1;
	int rc = blob_scan(c, old_id, path, old);
	c->side_read = side;
	*c->stats = saved; /* the old side is not part of what this run scanned */
	sg_scanner_set_stats(c->scanner, &lib);
	return rc;
}

/* The same for an old side already in memory. */
static int old_fingerprints_data(blob_ctx *c, const char *buf, size_t len, const char *path, sg_findings *old)
{
	report_stats saved = *c->stats;
	sg_stats lib = *sg_scanner_stats(c->scanner);
	int side = c->side_read;
	c->side_read = 1;
	int rc = blob_scan_data(c, buf, len, path, old);
	c->side_read = side;
	*c->stats = saved;
	sg_scanner_set_stats(c->scanner, &lib);
	return rc;
}

static int fingerprint_in(const sg_findings *l, const char *fp)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i]->token.fingerprint, fp) == 0)
			return 1;
	return 0;
}

/* A blob's text as the scanner read it: UTF-16 decoded (*owned to free), else as stored. */
static int data_text(const char *raw, size_t n, const char **text, size_t *len, char **owned)
{
	sg_text_encoding enc = sg_text_detect(raw, n);

	*owned = NULL;
	*text = raw;
	*len = n;
	if (enc == SG_TEXT_BYTES)
		return 0;
	if (sg_text_decode(raw, n, enc, owned, len) < 0) {
		fprintf(stderr, "sasguard: out of memory decoding UTF-16\n");
		return -1;
	}
	*text = *owned;
	return 0;
}

/* The new side's added line ranges, diffing the texts the scanner read. */
static int added_ranges(const char *ob, size_t obn, const char *nb, size_t nbn, const char *path,
			const git_diff_options *opts, ranges *rg)
{
	const char *ot, *nt;
	size_t ol, nl;
	char *oown = NULL, *nown = NULL;
	int rc = -1;

	if (data_text(ob, obn, &ot, &ol, &oown) < 0 || data_text(nb, nbn, &nt, &nl, &nown) < 0)
		goto out;
	/* Buffers, not git_diff_blobs: that one reads .gitattributes through the
	 * repository's index, which libgit2 1.5 cannot load when it is split or
	 * sparse, and FORCE_TEXT makes attributes moot. UTF-16 on either side:
	 * line numbers are those of the decoded text. */
	rc = git_diff_buffers(ot, ol, path, nt, nl, path, opts, NULL, on_binary, on_hunk, NULL, rg);
	if (rc < 0)
		git_fail("diff");
out:
	free(oown);
	free(nown);
	return rc < 0 ? -1 : 0;
}

/* Keeps the findings on added lines whose token old (its findings) lacks. */
static int keep_in_ranges(blob_ctx *c, const char *ob, size_t obn, const char *nb, size_t nbn, const char *path,
			  const sg_findings *old, sg_findings *found)
{
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	ranges rg = { 0 };

	opts.context_lines = 0;
	opts.interhunk_lines = 0;
	/* .gitattributes (-diff, binary) and NUL bytes must not blind the diff */
	opts.flags |= GIT_DIFF_FORCE_TEXT;
	opts.max_size = (git_off_t)(c->policy->max_file_size + 1);
	if (added_ranges(ob, obn, nb, nbn, path, &opts, &rg) < 0) {
		free(rg.r);
		return -1;
	}
	size_t kept = 0;
	for (size_t i = 0; i < found->count; i++) {
		sg_finding *f = found->items[i];
		int added = rg.binary || in_ranges(&rg, f->line);
		if (added && !fingerprint_in(old, f->token.fingerprint))
			found->items[kept++] = f;
		else
			sg_finding_free(f);
	}
	found->count = kept;
	free(rg.r);
	return 0;
}

int keep_added(blob_ctx *c, const git_oid *old_id, const git_oid *new_id, const char *path, sg_findings *found)
{
	git_blob *oldb = NULL, *newb = NULL;
	sg_findings old;
	int rc = -1;

	if (!old_id || found->count == 0)
		return 0;
	sg_findings_init(&old);
	int orc = old_fingerprints(c, old_id, path, &old);
	if (orc == BLOB_MISSING) { /* nothing to tell added from kept: everything counts as added */
		rc = 0;
		goto out;
	}
	if (orc < 0)
		goto out;
	if (git_blob_lookup(&oldb, c->repo, old_id) < 0 || git_blob_lookup(&newb, c->repo, new_id) < 0) {
		git_fail("reading a blob to diff");
		goto out;
	}
	rc = keep_in_ranges(c, git_blob_rawcontent(oldb), (size_t)git_blob_rawsize(oldb), git_blob_rawcontent(newb),
			    (size_t)git_blob_rawsize(newb), path, &old, found);
out:
	sg_findings_clear(&old);
	git_blob_free(oldb);
	git_blob_free(newb);
	return rc;
}

int keep_added_data(blob_ctx *c, const char *ob, size_t obn, const char *nb, size_t nbn, const char *path,
		    sg_findings *found)
{
	sg_findings old;
	if (found->count == 0)
		return 0;
	sg_findings_init(&old);
	int rc = old_fingerprints_data(c, ob, obn, path, &old);
	if (rc == 0)
		rc = keep_in_ranges(c, ob, obn, nb, nbn, path, &old, found);
	sg_findings_clear(&old);
	return rc;
}

int report_take(report *r, sg_findings *found, const char *path, const char *commit)
{
	int rc = 0;
	for (size_t i = 0; i < found->count; i++) {
		if (rc == 0 && report_add(r, found->items[i], path, commit) < 0)
			rc = -1;
		else if (rc)
			sg_finding_free(found->items[i]);
		found->items[i] = NULL;
	}
	found->count = 0;
	return rc;
}
