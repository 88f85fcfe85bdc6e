/*
 * packidx.h - a pack's .idx (version 2, gitformat-pack(5)) mapped and read
 * in place: ids in order, their offsets in the .pack, lookups by id. Shared
 * by packorder.c (objects in pack order) and packread.c (objects by id).
 */
#ifndef SG_PACKIDX_H
#define SG_PACKIDX_H

#include <git2.h>
#include <stdint.h>

typedef struct pack_index {
	const unsigned char *map;
	size_t size;
	uint32_t count;
	const unsigned char *sha;   /* count x 20 bytes, sorted */
	const unsigned char *off32; /* count x 4 bytes, big endian */
	const unsigned char *off64; /* the large offsets */
	int mapped;                 /* map is ours to unmap */
} pack_index;

/* Maps and checks a version 2 index: 0, or -1 (not one we read; x is cleared). */
int pack_index_open(pack_index *x, const char *path);
/* Checks a version 2 index already in memory, which x borrows: 0 or -1. */
int pack_index_parse(pack_index *x, const unsigned char *buf, size_t size);
void pack_index_close(pack_index *x);

/* The .pack offset of the i-th id, UINT64_MAX when the index is damaged. */
uint64_t pack_index_offset_at(const pack_index *x, uint32_t i);

/* The .pack offset of id, UINT64_MAX when the pack does not hold it. */
uint64_t pack_index_offset_of(const pack_index *x, const unsigned char *id);

/* Calls cb with the path of each .idx file in repo's objects/pack, stopping at
 * cb's first non-zero return, which it returns. */
int pack_dir_each(git_repository *repo, int (*cb)(const char *idx_path, void *payload), void *payload);

/* Maps a whole file read-only; NULL when it cannot (empty files included). */
const unsigned char *map_readonly(const char *path, size_t *size);

uint32_t be32(const unsigned char *p);

#endif
