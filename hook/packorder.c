/*
 * packorder.c - every object of a repository once, packed objects in the
 * order they sit in their pack (as `git cat-file --unordered` reads them).
 * git_odb_foreach lists a pack in SHA-1 order, which jumps around the pack
 * and defeats the delta-base cache; pack order reads a delta's base just
 * before it. The order comes from the pack's .idx (format v2, documented in
 * git's gitformat-pack(5)) and each object's type and size from its entry
 * header in the .pack, read here; the objects themselves through libgit2.
 */
#include "gitscan.h"
#include "packorder.h"

#include <dirent.h>
#include <fcntl.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDX_HEADER 8
#define FANOUT (256 * 4)

typedef struct pack_index {
	const unsigned char *map;
	size_t size;
	uint32_t count;
	const unsigned char *sha;   /* count x 20 bytes, sorted */
	const unsigned char *off32; /* count x 4 bytes, big endian */
	const unsigned char *off64; /* large offsets */
} pack_index;

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

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t offset_of(const pack_index *x, uint32_t i)
{
	uint32_t o = be32(x->off32 + 4 * (size_t)i);
	if (!(o & 0x80000000u))
		return o;
	const unsigned char *p = x->off64 + 8 * (size_t)(o & 0x7fffffffu);
	if (p + 8 > x->map + x->size)
		return UINT64_MAX;
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Maps and checks a version 2 .idx; returns 0, or -1 (not one we read: the caller falls back). */
static int index_open(pack_index *x, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	memset(x, 0, sizeof(*x));
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < IDX_HEADER + FANOUT + 40) {
		close(fd);
		return -1;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	x->map = m;
	x->size = (size_t)st.st_size;
	if (memcmp(x->map, "\377tOc", 4) != 0 || be32(x->map + 4) != 2)
		goto bad;
	x->count = be32(x->map + IDX_HEADER + FANOUT - 4);
	size_t need = IDX_HEADER + FANOUT + (size_t)x->count * (20 + 4 + 4) + 40;
	if (need > x->size)
		goto bad;
	x->sha = x->map + IDX_HEADER + FANOUT;
	x->off32 = x->sha + (size_t)x->count * 24;
	x->off64 = x->off32 + (size_t)x->count * 4;
	return 0;
bad:
	munmap((void *)x->map, x->size);
	memset(x, 0, sizeof(*x));
	return -1;
}

static int index_has(const pack_index *x, const git_oid *id)
{
	const unsigned char *f = x->map + IDX_HEADER;
	uint32_t lo = id->id[0] ? be32(f + 4 * (id->id[0] - 1)) : 0, hi = be32(f + 4 * id->id[0]);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(x->sha + 20 * (size_t)mid, id->id, 20);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

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

/* The offset of the object id in the index, or UINT64_MAX. */
static uint64_t index_offset(const pack_index *x, const unsigned char *id)
{
	const unsigned char *f = x->map + IDX_HEADER;
	uint32_t lo = id[0] ? be32(f + 4 * (id[0] - 1)) : 0, hi = be32(f + 4 * id[0]);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(x->sha + 20 * (size_t)mid, id, 20);
		if (c == 0)
			return offset_of(x, mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT64_MAX;
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
	size_t got = sizeof(out) - z.avail_out, i = 0, v = 0;
	inflateEnd(&z);
	if (rc != Z_OK && rc != Z_STREAM_END)
		return SIZE_MAX;
	for (int which = 0; which < 2; which++) {
		unsigned shift = 0;
		v = 0;
		for (;;) {
			if (i >= got || shift > 56)
				return SIZE_MAX;
			unsigned char c = out[i++];
			v |= (size_t)(c & 127) << shift;
			shift += 7;
			if (!(c & 128))
				break;
		}
	}
	return v;
}

/*
 * Type and size of the entry at o[k] from its header (gitformat-pack(5)): a
 * delta has its base's type (seen before it, in pack order) and the size its
 * delta data announces. 0 / SIZE_MAX when the header cannot tell.
 */
static void entry_kind(const pack_index *x, const pack_data *pd, ordered *o, uint32_t n, uint32_t k, size_t *size)
{
	uint64_t off = o[k].offset;
	*size = SIZE_MAX;
	o[k].type = 0;
	if (!pd->map || off >= pd->size)
		return;
	const unsigned char *p = pd->map + off, *end = pd->map + pd->size;
	unsigned char c = *p++;
	unsigned type = (c >> 4) & 7, shift = 4;
	size_t sz = c & 15;
	while (c & 128) {
		if (p >= end || shift > 56)
			return;
		c = *p++;
		sz |= (size_t)(c & 127) << shift;
		shift += 7;
	}
	if (type >= 1 && type <= 4) {
		o[k].type = (uint8_t)type;
		*size = sz;
		return;
	}
	long base = -1;
	if (type == 6) { /* OFS_DELTA: a distance back in the same pack */
		if (p >= end)
			return;
		c = *p++;
		uint64_t d = c & 127;
		while (c & 128) {
			if (p >= end || d > (UINT64_MAX >> 8))
				return;
			c = *p++;
			d = ((d + 1) << 7) + (c & 127);
		}
		if (d <= off)
			base = find_offset(o, n, off - d);
	} else if (type == 7) { /* REF_DELTA: by id, in this pack when it is not thin */
		if (end - p < 20)
			return;
		uint64_t bo = index_offset(x, p);
		p += 20;
		if (bo != UINT64_MAX && bo < off)
			base = find_offset(o, n, bo);
	}
	if (base < 0 || (uint32_t)base >= k || !o[base].type)
		return;
	o[k].type = o[base].type;
	*size = delta_result_size(p, (size_t)(end - p));
}

static int cmp_offset(const void *a, const void *b)
{
	uint64_t x = ((const ordered *)a)->offset, y = ((const ordered *)b)->offset;
	return x < y ? -1 : x > y;
}

/* Calls cb on each object of one pack, in pack order, with its type and size. */
static int pack_walk(const pack_index *x, const char *idx_path, pack_object_cb cb, void *payload)
{
	ordered *o = malloc(((size_t)x->count + 1) * sizeof(*o));
	pack_data pd = { NULL, 0 };
	char pack[8192];
	struct stat st;
	int rc = 0;

	if (!o)
		return -1;
	/* the .pack beside the .idx, for entry headers; without it, no hints */
	snprintf(pack, sizeof(pack), "%.*s.pack", (int)(strlen(idx_path) - 4), idx_path);
	int fd = open(pack, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			pd.map = m;
			pd.size = (size_t)st.st_size;
			madvise(m, pd.size, MADV_SEQUENTIAL);
		}
	}
	if (fd >= 0)
		close(fd);
	for (uint32_t i = 0; i < x->count; i++) {
		o[i].offset = offset_of(x, i);
		o[i].pos = i;
		o[i].type = 0;
	}
	qsort(o, x->count, sizeof(*o), cmp_offset);
	for (uint32_t i = 0; i < x->count && rc == 0; i++) {
		git_oid id;
		size_t size;
		entry_kind(x, &pd, o, x->count, i, &size);
		git_oid_fromraw(&id, x->sha + 20 * (size_t)o[i].pos);
		rc = cb(&id, o[i].type ? (git_object_t)o[i].type : GIT_OBJECT_INVALID, size, payload);
	}
	if (pd.map)
		munmap((void *)pd.map, pd.size);
	free(o);
	return rc;
}

typedef struct rest {
	pack_index *idx;
	size_t nidx;
	pack_object_cb cb;
	void *payload;
} rest;

/* The objects no index we read holds: loose ones, and those of packs we could not read. */
static int not_in_packs(const git_oid *id, void *payload)
{
	rest *r = payload;
	for (size_t i = 0; i < r->nidx; i++)
		if (index_has(&r->idx[i], id))
			return 0;
	return r->cb(id, GIT_OBJECT_INVALID, SIZE_MAX, r->payload);
}

int odb_foreach_in_pack_order(git_repository *repo, git_odb *odb, pack_object_cb cb, void *payload)
{
	char dir[4096];
	pack_index *idx = NULL;
	char **paths = NULL;
	size_t nidx = 0;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%sobjects/pack", git_repository_commondir(repo));
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".idx") != 0)
			continue;
		char path[8192];
		pack_index x;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (index_open(&x, path) < 0)
			continue; /* not v2: its objects come through git_odb_foreach below */
		pack_index *g = realloc(idx, (nidx + 1) * sizeof(*idx));
		char **gp = g ? realloc(paths, (nidx + 1) * sizeof(*paths)) : NULL;
		if (g)
			idx = g;
		if (gp)
			paths = gp;
		if (!g || !gp || !(paths[nidx] = strdup(path))) {
			munmap((void *)x.map, x.size);
			rc = -1;
			break;
		}
		idx[nidx++] = x;
	}
	if (d)
		closedir(d);
	/* An object in two packs is visited twice: scanning it twice is harmless. */
	for (size_t i = 0; rc == 0 && i < nidx; i++)
		rc = pack_walk(&idx[i], paths[i], cb, payload);
	if (rc == 0) {
		rest r = { idx, nidx, cb, payload };
		rc = git_odb_foreach(odb, not_in_packs, &r);
	}
	for (size_t i = 0; i < nidx; i++) {
		munmap((void *)idx[i].map, idx[i].size);
		free(paths[i]);
	}
	free(paths);
	free(idx);
	return rc;
}
