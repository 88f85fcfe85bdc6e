/*
 * packorder.c - every object of a repository once, packed objects in the
 * order they sit in their pack (as `git cat-file --unordered` reads them).
 * git_odb_foreach lists a pack in SHA-1 order, which jumps around the pack
 * and defeats the delta-base cache; pack order reads a delta's base just
 * before it. The order comes from the pack's .idx (format v2, documented in
 * git's gitformat-pack(5)), read here; the objects themselves through libgit2.
 */
#include "gitscan.h"
#include "packorder.h"

#include <dirent.h>
#include <fcntl.h>
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
} ordered;

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

static int cmp_offset(const void *a, const void *b)
{
	uint64_t x = ((const ordered *)a)->offset, y = ((const ordered *)b)->offset;
	return x < y ? -1 : x > y;
}

/* Calls cb on each object of one pack, in pack order. */
static int pack_walk(const pack_index *x, git_odb_foreach_cb cb, void *payload)
{
	ordered *o = malloc(((size_t)x->count + 1) * sizeof(*o));
	int rc = 0;
	if (!o)
		return -1;
	for (uint32_t i = 0; i < x->count; i++) {
		o[i].offset = offset_of(x, i);
		o[i].pos = i;
	}
	qsort(o, x->count, sizeof(*o), cmp_offset);
	for (uint32_t i = 0; i < x->count && rc == 0; i++) {
		git_oid id;
		git_oid_fromraw(&id, x->sha + 20 * (size_t)o[i].pos);
		rc = cb(&id, payload);
	}
	free(o);
	return rc;
}

typedef struct rest {
	pack_index *idx;
	size_t nidx;
	git_odb_foreach_cb cb;
	void *payload;
} rest;

/* The objects no index we read holds: loose ones, and those of packs we could not read. */
static int not_in_packs(const git_oid *id, void *payload)
{
	rest *r = payload;
	for (size_t i = 0; i < r->nidx; i++)
		if (index_has(&r->idx[i], id))
			return 0;
	return r->cb(id, r->payload);
}

int odb_foreach_in_pack_order(git_repository *repo, git_odb *odb, git_odb_foreach_cb cb, void *payload)
{
	char dir[4096];
	pack_index *idx = NULL;
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
		if (!g) {
			munmap((void *)x.map, x.size);
			rc = -1;
			break;
		}
		idx = g;
		idx[nidx++] = x;
	}
	if (d)
		closedir(d);
	/* An object in two packs is visited twice: scanning it twice is harmless. */
	for (size_t i = 0; rc == 0 && i < nidx; i++)
		rc = pack_walk(&idx[i], cb, payload);
	if (rc == 0) {
		rest r = { idx, nidx, cb, payload };
		rc = git_odb_foreach(odb, not_in_packs, &r);
	}
	for (size_t i = 0; i < nidx; i++)
		munmap((void *)idx[i].map, idx[i].size);
	free(idx);
	return rc;
}
