/*
 * packorder.c - every object of a repository once, packed objects in the
 * order they sit in their pack (as `git cat-file --unordered` reads them).
 * git_odb_foreach lists a pack in SHA-1 order, which jumps around the pack
 * and defeats the delta-base cache; pack order reads a delta's base just
 * before it. The order comes from the pack's .idx (format v2, documented in
 * git's gitformat-pack(5)) and each object's type and size from its entry
 * header in the .pack, read here; the objects themselves through libgit2.
 */
#include "odb.h"

#include <dirent.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct ordered {
	uint64_t offset;
	uint32_t pos;
	uint8_t type; /* git_object_t from the entry header, deltas resolved; 0 unknown */
} ordered;

/* A mapped .pack next to its .idx, to read entry headers. */
typedef struct pack_data {
	const unsigned char *map;
	size_t size;
} pack_data;

/* The position in sorted o[] of the object at offset, or -1. */
static long find_offset(const ordered *o, uint32_t n, uint64_t offset)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (o[mid].offset == offset)
			return mid;
		if (o[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The size a delta produces: its second varint, after inflating a few bytes. */
static size_t delta_result_size(const unsigned char *data, size_t avail)
{
	unsigned char out[32];
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return SIZE_MAX;
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)(avail < 4096 ? avail : 4096);
	z.next_out = out;
	z.avail_out = sizeof(out);
	int rc = inflate(&z, Z_SYNC_FLUSH);
	size_t got = sizeof(out) - z.avail_out, v = 0;
	inflateEnd(&z);
	if (rc != Z_OK && rc != Z_STREAM_END)
		return SIZE_MAX;
	const unsigned char *q = out, *qend = out + got;
	size_t base_size; /* a delta opens with its base's size, then the result's */
	if (odb_size_varint(&q, qend, &base_size) < 0 || odb_size_varint(&q, qend, &v) < 0)
		return SIZE_MAX;
	return v;
}

/*
 * Type and size of the entry at o[k] from its header (gitformat-pack(5)): a
 * delta has its base's type (seen before it, in pack order) and the size its
 * delta data announces (not for a tree's). 0 / SIZE_MAX when the header
 * cannot tell.
 */
static void entry_kind(const pack_index *x, const pack_data *pd, ordered *o, uint32_t n, uint32_t k, size_t *size)
{
	uint64_t off = o[k].offset;
	*size = SIZE_MAX;
	o[k].type = 0;
	if (!pd->map || off >= pd->size)
		return;
	const unsigned char *p = pd->map + off, *end = pd->map + pd->size;
	pack_entry_header h;
	if (odb_pack_entry_header(&p, end, x->hashlen, &h) < 0)
		return;
	if (h.type >= 1 && h.type <= 4) {
		o[k].type = (uint8_t)h.type;
		*size = h.size;
		return;
	}
	long base = -1;
	if (h.type == 6) { /* OFS_DELTA: a distance back in the same pack */
		if (h.base_distance <= off)
			base = find_offset(o, n, off - h.base_distance);
	} else if (h.type == 7) { /* REF_DELTA: by id, in this pack when it is not thin */
		uint64_t bo = pack_index_offset_of(x, h.base_id);
		if (bo != UINT64_MAX && bo < off)
			base = find_offset(o, n, bo);
	}
	if (base < 0 || (uint32_t)base >= k || !o[base].type)
		return;
	o[k].type = o[base].type;
	/* a tree's size serves no caller (trees are never scanned), and learning
	 * a delta's means inflating its start: a third of a history's entries */
	if (o[k].type != GIT_OBJECT_TREE)
		*size = delta_result_size(p, (size_t)(end - p));
}

static int cmp_offset(const void *a, const void *b)
{
	uint64_t x = ((const ordered *)a)->offset, y = ((const ordered *)b)->offset;
	return x < y ? -1 : x > y;
}

/* Is id in one of the n indexes before this one? Then it was visited there. */
static int seen_before(const pack_index *earlier, size_t n, const unsigned char *id)
{
	for (size_t i = 0; i < n; i++)
		if (pack_index_offset_of(&earlier[i], id) != UINT64_MAX)
			return 1;
	return 0;
}

/* Calls cb on each object of one pack (number packno, its data in pd), in
 * pack order, with its type and size; an object an earlier pack holds too is
 * skipped (judged once, reported once). */
static int pack_walk_raw(const pack_index *x, const pack_data *pd, uint32_t packno, const pack_index *earlier,
			 size_t nearlier, pack_entry_cb cb, void *payload)
{
	ordered *o = malloc(((size_t)x->count + 1) * sizeof(*o));
	int rc = 0;

	if (!o)
		return -1;
	for (uint32_t i = 0; i < x->count; i++) {
		o[i].offset = pack_index_offset_at(x, i);
		o[i].pos = i;
		o[i].type = 0;
	}
	qsort(o, x->count, sizeof(*o), cmp_offset);
	for (uint32_t i = 0; i < x->count && rc == 0; i++) {
		size_t size;
		entry_kind(x, pd, o, x->count, i, &size);
		const unsigned char *raw = x->sha + x->hashlen * (size_t)o[i].pos;
		if (nearlier && seen_before(earlier, nearlier, raw))
			continue;
		rc = cb(raw, packno, o[i].offset, o[i].type, size, payload);
	}
	free(o);
	return rc;
}

/* pack_walk_raw's callback for a SHA-1 caller: the id as libgit2's. */
typedef struct as_oid {
	pack_object_cb cb;
	void *payload;
} as_oid;

static int oid_entry(const unsigned char *raw, uint32_t packno, uint64_t offset, unsigned type, size_t size,
		     void *payload)
{
	as_oid *a = payload;
	git_oid id;
	(void)packno;
	(void)offset;
	git_oid_fromraw(&id, raw);
	return a->cb(&id, type ? (git_object_t)type : GIT_OBJECT_INVALID, size, a->payload);
}

static int pack_walk(const pack_index *x, const char *idx_path, const pack_index *earlier, size_t nearlier,
		     pack_object_cb cb, void *payload)
{
	pack_data pd = { NULL, 0 };
	char pack[8192];
	as_oid a = { cb, payload };

	/* the .pack beside the .idx, for entry headers; without it, no hints */
	if (odb_pack_path(idx_path, pack, sizeof(pack)) == 0 && (pd.map = map_readonly(pack, &pd.size)))
		madvise((void *)pd.map, pd.size, MADV_SEQUENTIAL);
	int rc = pack_walk_raw(x, &pd, 0, earlier, nearlier, oid_entry, &a);
	if (pd.map)
		munmap((void *)pd.map, pd.size);
	return rc;
}

int pack_store_walk(pack_store *s, pack_entry_cb cb, void *payload)
{
	size_t n = pack_store_count(s);
	pack_index *idx = malloc((n + 1) * sizeof(*idx)); /* copies, borrowed: for seen_before */
	int rc = 0;
	if (!idx)
		return -1;
	for (size_t i = 0; i < n; i++) {
		pack_data pd;
		idx[i] = *pack_store_index(s, i, &pd.map, &pd.size);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		pack_data pd;
		pack_store_index(s, i, &pd.map, &pd.size);
		rc = pack_walk_raw(&idx[i], &pd, (uint32_t)i, idx, i, cb, payload);
	}
	free(idx);
	return rc;
}

typedef struct rest {
	pack_index *idx;
	size_t nidx;
	oidset seen; /* git_odb_foreach lists an object once per place it is stored */
	pack_object_cb cb;
	void *payload;
} rest;

/* The objects no index we read holds: loose ones, alternates', and those of
 * packs we could not read; each once. */
static int not_in_packs(const git_oid *id, void *payload)
{
	rest *r = payload;
	int added;
	if (seen_before(r->idx, r->nidx, id->id))
		return 0;
	if (!oidset_add(&r->seen, id, &added))
		return -1;
	return added ? r->cb(id, GIT_OBJECT_INVALID, SIZE_MAX, r->payload) : 0;
}

/* The indexes we read, and their paths, gathered by pack_dir_each. */
typedef struct indexes {
	pack_index *idx;
	char **paths;
	size_t n;
} indexes;

static int gather(const char *path, void *payload)
{
	indexes *ix = payload;
	pack_index x;
	if (pack_index_open(&x, path, ODB_SHA1_LEN) < 0)
		return 0; /* not v2: its objects come through git_odb_foreach */
	pack_index *g = realloc(ix->idx, (ix->n + 1) * sizeof(*g));
	if (g)
		ix->idx = g;
	char **gp = g ? realloc(ix->paths, (ix->n + 1) * sizeof(*gp)) : NULL;
	if (gp)
		ix->paths = gp;
	if (!g || !gp || !(ix->paths[ix->n] = strdup(path))) {
		pack_index_close(&x);
		return -1;
	}
	ix->idx[ix->n++] = x;
	return 0;
}

/* Gathers the .idx files of objdir/pack. */
static int gather_dir(const char *objdir, indexes *ix)
{
	return pack_objdir_each(objdir, gather, ix);
}

int odb_foreach_in_pack_order(git_repository *repo, git_odb *odb, pack_object_cb cb, void *payload)
{
	char objdir[4096];
	snprintf(objdir, sizeof(objdir), "%sobjects", git_repository_commondir(repo));
	return odb_foreach_in_pack_order_at(objdir, odb, cb, payload);
}

int odb_foreach_in_pack_order_at(const char *objdir, git_odb *odb, pack_object_cb cb, void *payload)
{
	indexes ix = { NULL, NULL, 0 };
	int rc = gather_dir(objdir, &ix);

	for (size_t i = 0; rc == 0 && i < ix.n; i++)
		rc = pack_walk(&ix.idx[i], ix.paths[i], ix.idx, i, cb, payload);
	if (rc == 0) {
		rest r = { ix.idx, ix.n, { 0 }, cb, payload };
		oidset_init(&r.seen);
		rc = git_odb_foreach(odb, not_in_packs, &r);
		oidset_free(&r.seen);
	}
	for (size_t i = 0; i < ix.n; i++) {
		pack_index_close(&ix.idx[i]);
		free(ix.paths[i]);
	}
	free(ix.paths);
	free(ix.idx);
	return rc;
}
