/*
 * packidx.c - the pack index of odb.h: mapped, checked, searched.
 */
#include "odb.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDX_HEADER 8
#define FANOUT (256 * 4)

const unsigned char *map_readonly(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	*size = (size_t)st.st_size;
	return m;
}

int pack_index_parse(pack_index *x, const unsigned char *buf, size_t size, size_t hashlen)
{
	memset(x, 0, sizeof(*x));
	/* v2 does not say its hash: the repository's object format does */
	if ((hashlen != ODB_SHA1_LEN && hashlen != ODB_SHA256_LEN) || size < IDX_HEADER + FANOUT + 2 * hashlen ||
	    memcmp(buf, "\377tOc", 4) != 0 || odb_be32(buf + 4) != 2)
		return -1;
	uint32_t count = odb_be32(buf + IDX_HEADER + FANOUT - 4);
	if (IDX_HEADER + FANOUT + (size_t)count * (hashlen + 4 + 4) + 2 * hashlen > size)
		return -1;
	x->map = buf;
	x->size = size;
	x->hashlen = hashlen;
	x->count = count;
	x->sha = buf + IDX_HEADER + FANOUT;
	x->off32 = x->sha + (size_t)count * (hashlen + 4);
	x->off64 = x->off32 + (size_t)count * 4;
	return 0;
}

int pack_index_open(pack_index *x, const char *path, size_t hashlen)
{
	size_t size;
	const unsigned char *map = map_readonly(path, &size);
	memset(x, 0, sizeof(*x));
	if (!map)
		return -1;
	if (pack_index_parse(x, map, size, hashlen) < 0) {
		munmap((void *)map, size);
		return -1;
	}
	x->mapped = 1;
	return 0;
}

void pack_index_close(pack_index *x)
{
	if (x->mapped)
		munmap((void *)x->map, x->size);
	memset(x, 0, sizeof(*x));
}

uint64_t pack_index_offset_at(const pack_index *x, uint32_t i)
{
	uint32_t o = odb_be32(x->off32 + 4 * (size_t)i);
	if (!(o & 0x80000000u))
		return o;
	/* an index into the large offsets, which end where the two checksums begin */
	size_t k = o & 0x7fffffffu, n = (x->size - 2 * x->hashlen - (size_t)(x->off64 - x->map)) / 8;
	if (k >= n)
		return UINT64_MAX;
	const unsigned char *p = x->off64 + 8 * k;
	return (uint64_t)odb_be32(p) << 32 | odb_be32(p + 4);
}

uint64_t pack_index_offset_of(const pack_index *x, const unsigned char *id)
{
	const unsigned char *f = x->map + IDX_HEADER;
	uint32_t lo = id[0] ? odb_be32(f + 4 * (id[0] - 1)) : 0, hi = odb_be32(f + 4 * id[0]);
	if (hi > x->count || lo > hi)
		return UINT64_MAX;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(x->sha + x->hashlen * (size_t)mid, id, x->hashlen);
		if (c == 0)
			return pack_index_offset_at(x, mid);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT64_MAX;
}

int pack_objdir_each(const char *objdir, int (*cb)(const char *idx_path, void *payload), void *payload)
{
	char dir[4096];
	int rc = 0;
	snprintf(dir, sizeof(dir), "%s/pack", objdir);
	DIR *d = opendir(dir);
	for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		char path[8192];
		if (l < 5 || strcmp(e->d_name + l - 4, ".idx") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		rc = cb(path, payload);
	}
	if (d)
		closedir(d);
	return rc;
}

int pack_dir_each(git_repository *repo, int (*cb)(const char *idx_path, void *payload), void *payload)
{
	char objdir[4096];
	snprintf(objdir, sizeof(objdir), "%sobjects", git_repository_commondir(repo));
	return pack_objdir_each(objdir, cb, payload);
}
