/*
 * rawobj.c - objects read raw (type, bytes) for the tree walks: from the
 * repository's packs through a per-thread pack cache when there is one, else
 * through libgit2 with a small cache of recently read objects, so that a
 * parent's trees read for one commit serve the next.
 */
#include "odb.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096 /* recently read trees: a parent's, read again for its child */
#define CACHE_BYTES ((size_t)16 << 20) /* and no more than this of them */

typedef struct cached {
	git_oid id;
	git_odb_object *obj;
} cached;

/* Objects read through libgit2, cached by id; with a pack store, objects in
 * its packs are read from there instead, through the pack cache. */
struct tree_cache {
	cached slot[CACHE_SLOTS];
	size_t bytes;      /* held in slot[] */
	size_t hand;       /* eviction sweeps slot[] from here */
	pack_store *packs; /* borrowed; may be NULL */
	pack_cache *pc;    /* owned */
};

tree_cache *tree_cache_new(void)
{
	return calloc(1, sizeof(tree_cache));
}

int tree_cache_use_packs(tree_cache *c, pack_store *packs, size_t budget)
{
	if (!packs)
		return 0;
	if (!(c->pc = pack_cache_new(budget)))
		return -1;
	c->packs = packs;
	return 0;
}

void tree_cache_free(tree_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		git_odb_object_free(c->slot[i].obj);
	pack_cache_free(c->pc);
	free(c);
}

void raw_object_release(raw_object *o)
{
	git_odb_object_free(o->gobj);
	pack_obj_unref(o->pobj);
	free(o->owned);
	memset(o, 0, sizeof(*o));
}

void raw_object_from_pack(raw_object *o, pack_obj *p)
{
	o->pobj = p;
	o->type = p->type;
	o->data = p->data;
	o->len = p->len;
}

int raw_object_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out)
{
	memset(out, 0, sizeof(*out));
	if (cache->packs) {
		int rc = pack_store_read(cache->packs, cache->pc, id, &out->pobj);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			raw_object_from_pack(out, out->pobj);
			return 0;
		}
	}
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	cached *c = &cache->slot[h % CACHE_SLOTS];
	if (!c->obj || !git_oid_equal(&c->id, id)) {
		git_odb_object *obj = NULL;
		if (git_odb_read(&obj, odb, id) < 0)
			return -1;
		if (c->obj)
			cache->bytes -= git_odb_object_size(c->obj);
		git_odb_object_free(c->obj);
		c->obj = NULL;
		/* over budget: sweep other slots empty (a push of big trees stays bounded) */
		while (cache->bytes + git_odb_object_size(obj) > CACHE_BYTES && cache->bytes) {
			cached *v = &cache->slot[cache->hand];
			cache->hand = (cache->hand + 1) % CACHE_SLOTS;
			if (v->obj) {
				cache->bytes -= git_odb_object_size(v->obj);
				git_odb_object_free(v->obj);
				v->obj = NULL;
			}
		}
		git_oid_cpy(&c->id, id);
		c->obj = obj;
		cache->bytes += git_odb_object_size(obj);
	}
	git_odb_object_dup(&out->gobj, c->obj);
	out->type = git_odb_object_type(out->gobj);
	out->data = git_odb_object_data(out->gobj);
	out->len = git_odb_object_size(out->gobj);
	return 0;
}


int raw_tree_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out)
{
	if (raw_object_read(odb, cache, id, out) < 0)
		return -1;
	if (out->type != GIT_OBJECT_TREE) {
		raw_object_release(out);
		git_error_set_str(GIT_ERROR_OBJECT, "expected a tree");
		return -1;
	}
	return 0;
}

int raw_object_missing(git_odb *odb, const git_oid *id)
{
	return git_odb_exists(odb, id) ? 0 : 1;
}
