/*
 * plumb_index.c - a SHA-256 pre-commit's staged changes without `git
 * diff-index`: hook/odb walks the index against HEAD's trees (as staged.c
 * does for SHA-1) and writes what git diff-index --raw -z would, so plumb.c
 * judges one list whichever made it. git diff-index reads every entry of a
 * 60 000-file index (35 ms); the walk skips each directory the cache-tree
 * says is unchanged.
 */
#include "gitscan.h"

#include <stdlib.h>
#include <string.h>

#define ID_LEN ODB_SHA256_LEN
#define TREE_MAX ((size_t)1 << 32) /* a loose tree bigger than this is read by git */

typedef struct index_out {
	gitcmd *cat;       /* for trees neither a pack nor a loose file holds (alternates) */
	const char *objdir;
	pack_store *packs;
	pack_cache *cache;
	char *buf;         /* the records */
	size_t len, cap;
} index_out;

static int put(index_out *o, const char *s, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = (o->len + n) * 2 + 4096;
		char *b = realloc(o->buf, cap);
		if (!b)
			return -1;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return 0;
}

/* ":om nm oid nid S\0path\0", as git diff-index -z --raw prints it. */
static int record(index_out *o, unsigned om, unsigned nm, const unsigned char *oid, const unsigned char *nid,
		  char status, const char *path)
{
	static const unsigned char zero[ID_LEN];
	char head[32 + 4 * ID_LEN], ohex[2 * ID_LEN + 1], nhex[2 * ID_LEN + 1];
	odb_id_to_hex(oid ? oid : zero, ID_LEN, ohex);
	odb_id_to_hex(nid ? nid : zero, ID_LEN, nhex);
	int n = snprintf(head, sizeof(head), ":%06o %06o %s %s %c", om, nm, ohex, nhex, status);
	return put(o, head, (size_t)n + 1) < 0 || put(o, path, strlen(path) + 1) < 0 ? -1 : 0;
}

static int changed(const char *path, const unsigned char *old, const unsigned char *new_id, void *payload)
{
	/* the walk names content only: its modes matter no further here */
	return old ? record(payload, 0100644, 0100644, old, new_id, 'M', path)
		   : record(payload, 0, 0100644, NULL, new_id, 'A', path);
}

static int gone(const char *path, const unsigned char *id, unsigned mode, void *payload)
{
	return record(payload, mode, 0, id, NULL, 'D', path);
}

/* HEAD's tree id: from a pack, a loose file, else git (an alternate's). */
static int read_tree(const unsigned char *id, raw_object *out, void *payload)
{
	index_out *o = payload;
	unsigned type;
	const char *why;
	int r = pack_store_read_id(o->packs, o->cache, id, &out->pobj);
	if (r < 0)
		return -1;
	if (r == 1) {
		raw_object_from_pack(out, out->pobj);
		return out->type == GIT_OBJECT_TREE ? 0 : -1;
	}
	if ((r = loose_read(o->objdir, id, ID_LEN, TREE_MAX, &type, &out->owned, &out->len, &why)) < 0)
		return -1;
	if (r == 0) {
		char hex[2 * ID_LEN + 1], t[16];
		odb_id_to_hex(id, ID_LEN, hex);
		if (gitcmd_batch_read(o->cat, hex, (char **)&out->owned, &out->len, t, sizeof(t)) != 1)
			return -1;
		type = strcmp(t, "tree") == 0 ? GIT_OBJECT_TREE : GIT_OBJECT_INVALID;
	}
	out->type = (git_object_t)type;
	out->data = out->owned;
	return out->owned && out->type == GIT_OBJECT_TREE ? 0 : -1;
}

/* probe: what `git rev-parse --git-path index --git-path objects
 * --absolute-git-dir --verify -q HEAD^{tree}` printed, one a line. */
static int probe_lines(char *probe, size_t len, char *line[4])
{
	size_t n = 0;
	for (char *p = probe, *end = probe + len; p < end && n < 5; n++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -1;
		*nl = '\0';
		if (n < 4)
			line[n] = p;
		p = nl + 1;
	}
	return n == 4 ? 0 : -1;
}

int plumb_index_changes(gitcmd *cat, char *probe, size_t probelen, char **out, size_t *len)
{
	index_out o;
	index_loaded l;
	unsigned char head[ID_LEN];
	char *line[4];
	const char *why;
	size_t unread = 0;
	int rc = 1;

	*out = NULL;
	*len = 0;
	/* a path with a newline in it, an unborn branch: git answers those */
	if (probe_lines(probe, probelen, line) < 0 || strlen(line[3]) != 2 * ID_LEN ||
	    odb_id_from_hex(line[3], ID_LEN, head) < 0)
		return 1;
	memset(&o, 0, sizeof(o));
	o.cat = cat;
	o.objdir = line[1];
	if (index_load(&l, line[0], line[2], ID_LEN, &why) < 0)
		return 1; /* git may read what hook/odb does not; if not, git says why */
	index_diff_io io = { NULL, read_tree, changed, gone, &o };
	if ((o.packs = pack_store_open_objdir(o.objdir, ID_LEN, &unread)) &&
	    (o.cache = pack_cache_new((size_t)8 << 20)))
		rc = l.x.n ? index_diff_ids(&l.x, head, &io) : 0;
	if (rc == 0 && !o.buf && !(o.buf = malloc(1)))
		rc = 1;
	if (rc == 0) {
		*out = o.buf;
		*len = o.len;
		o.buf = NULL;
	} else {
		rc = 1; /* a sparse directory changed, a tree hook/odb could not read */
	}
	free(o.buf);
	pack_cache_free(o.cache);
	pack_store_free(o.packs);
	index_unload(&l);
	return rc;
}
