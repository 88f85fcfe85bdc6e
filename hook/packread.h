/*
 * packread.h - reading objects straight from a repository's packs, for the
 * history walk that reads every tree version: a cache of resolved objects
 * per thread with a byte budget (libgit2 1.5's delta-base cache is a fixed
 * 16 MB, and a tree read out of pack order rebuilt its whole delta chain).
 */
#ifndef SG_PACKREAD_H
#define SG_PACKREAD_H

#include <git2.h>

/* An object read from a pack, reference counted (the cache holds one). */
typedef struct pack_obj {
	int refs;
	git_object_t type;
	size_t len;
	unsigned char *data;
} pack_obj;

void pack_obj_unref(pack_obj *o);

/* Every v2-indexed pack of a repository, mapped; shared read-only by threads. */
typedef struct pack_store pack_store;

/* NULL when the repository has no pack we read (callers use libgit2). */
pack_store *pack_store_open(git_repository *repo);
void pack_store_free(pack_store *s);

/* A store of one pack already in memory, its .idx and .pack data borrowed
 * (they must outlive it); NULL when they are not a pack we read. For tests
 * and the fuzz harness, which hold no repository. */
pack_store *pack_store_from_memory(const unsigned char *idx, size_t idx_size, const unsigned char *data,
				   size_t data_size);

/* One thread's cache of resolved objects, holding up to budget bytes. */
typedef struct pack_cache pack_cache;
pack_cache *pack_cache_new(size_t budget);
void pack_cache_free(pack_cache *c);
/* Empties the cache, as new: before it serves another store (it knows
 * objects by their pack's number and offset, not by store). */
void pack_cache_clear(pack_cache *c);

/*
 * Reads object id: 1 and *out (a new reference: pack_obj_unref it) when a
 * pack holds it, 0 when none does (loose, or a base outside the pack: ask
 * libgit2), -1 when its pack data is damaged (git_error_last says why).
 */
int pack_store_read(pack_store *s, pack_cache *c, const git_oid *id, pack_obj **out);

#endif
