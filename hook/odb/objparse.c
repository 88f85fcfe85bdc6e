/*
 * objparse.c - the headers of raw commit and tag objects, read the way git's
 * parse_commit_buffer() and parse_tag_buffer() read them: no libgit2 object
 * is built (they cost more than the bytes), and a message is everything after
 * the first blank line, NUL bytes included.
 */
#include "odb.h"

#include <stdlib.h>
#include <string.h>

/* "<name> <40 hex>\n" at p: 1 and *id, else 0. */
static int header_id(const char *p, const char *end, const char *name, git_oid *id)
{
	size_t n = strlen(name);
	if ((size_t)(end - p) < n + 1 + GIT_OID_HEXSZ + 1 || memcmp(p, name, n) != 0 || p[n] != ' ' ||
	    p[n + 1 + GIT_OID_HEXSZ] != '\n')
		return 0;
	return git_oid_fromstrn(id, p + n + 1, GIT_OID_HEXSZ) == 0;
}

static const char *next_line(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

/* Where the message starts: after the first empty line, or len when there is none. */
static size_t message_start(const char *d, size_t len)
{
	if (len >= 1 && d[0] == '\n')
		return 1;
	const char *m = memmem(d, len, "\n\n", 2);
	return m ? (size_t)(m - d) + 2 : len;
}

/* The committer's time: the number after the last '>' of the committer line. */
static int64_t committer_time(const char *p, const char *end)
{
	const char *gt = NULL;
	for (const char *q = p; q < end && *q != '\n'; q++)
		if (*q == '>')
			gt = q;
	if (!gt)
		return 0;
	int64_t t = 0;
	const char *q = gt + 1;
	while (q < end && *q == ' ')
		q++;
	for (; q < end && *q >= '0' && *q <= '9' && t < INT64_MAX / 10 - 10; q++)
		t = t * 10 + (*q - '0');
	return t;
}

void commit_info_clear(commit_info *c)
{
	free(c->parents);
	memset(c, 0, sizeof(*c));
}

int commit_parse(const void *data, size_t len, commit_info *out)
{
	const char *d = data, *end = d + len, *p = d;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->message = message_start(d, len);
	if (!header_id(p, end, "tree", &out->tree))
		goto bad;
	p = next_line(p, end);
	for (git_oid id; header_id(p, end, "parent", &id); p = next_line(p, end)) {
		if (out->nparents == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 4;
			git_oid *v = realloc(out->parents, cap * sizeof(*v));
			if (!v) {
				commit_info_clear(out);
				return -1;
			}
			out->parents = v;
			out->cap = cap;
		}
		git_oid_cpy(&out->parents[out->nparents++], &id);
	}
	/* the committer's time, for walks in date order; headers end at the message */
	for (const char *hend = d + out->message; p < hend; p = next_line(p, hend))
		if ((size_t)(hend - p) > 10 && memcmp(p, "committer ", 10) == 0) {
			out->time = committer_time(p, hend);
			break;
		}
	return 0;
bad:
	commit_info_clear(out);
	git_error_set_str(GIT_ERROR_OBJECT, "corrupt commit");
	return rc;
}

int tag_parse(const void *data, size_t len, tag_info *out)
{
	const char *d = data, *end = d + len, *p = d;
	static const struct {
		const char *name;
		git_object_t type;
	} types[] = { { "commit", GIT_OBJECT_COMMIT }, { "tree", GIT_OBJECT_TREE },
		      { "blob", GIT_OBJECT_BLOB }, { "tag", GIT_OBJECT_TAG } };

	memset(out, 0, sizeof(*out));
	out->message = message_start(d, len);
	if (!header_id(p, end, "object", &out->target))
		goto bad;
	p = next_line(p, end);
	if ((size_t)(end - p) < 6 || memcmp(p, "type ", 5) != 0)
		goto bad;
	p += 5;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl)
		goto bad;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if ((size_t)(nl - p) == strlen(types[i].name) && memcmp(p, types[i].name, (size_t)(nl - p)) == 0)
			out->type = types[i].type;
	if (!out->type)
		goto bad;
	return 0;
bad:
	git_error_set_str(GIT_ERROR_OBJECT, "corrupt tag");
	return -1;
}
