/*
 * treediff.c - which blobs a tree changed against another, reading only the
 * subtrees whose ids differ. Trees are read raw from the object database
 * (thread-safe) and parsed here without allocating: libgit2 1.5's tree diff
 * expands every subtree, and its tree objects cost more to build than to
 * inflate (measured with callgrind on a 3000-commit history).
 */
#include "gitscan.h"
#include "packread.h"

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
	memset(o, 0, sizeof(*o));
}

int raw_object_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out)
{
	memset(out, 0, sizeof(*out));
	if (cache->packs) {
		int rc = pack_store_read(cache->packs, cache->pc, id, &out->pobj);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			out->type = out->pobj->type;
			out->data = out->pobj->data;
			out->len = out->pobj->len;
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

/* A tree, read raw; the caller releases it. */
static int tree_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out)
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

int tree_cursor_next(tree_cursor *c)
{
	c->valid = 0;
	if (!c->p || c->p >= c->end)
		return 0;
	unsigned mode = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '7')
		mode = mode * 8 + (unsigned)(*c->p++ - '0');
	if (c->p >= c->end || *c->p++ != ' ')
		return -1;
	const unsigned char *nul = memchr(c->p, '\0', (size_t)(c->end - c->p));
	if (!nul || nul == c->p || c->end - nul < 21)
		return -1;
	c->e.mode = mode;
	c->e.name = (const char *)c->p;
	c->e.len = (size_t)(nul - c->p);
	c->e.id = nul + 1;
	c->p = nul + 21;
	c->valid = 1;
	return 0;
}

int tree_cursor_start(tree_cursor *c, const void *data, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->p = data;
	c->end = c->p ? c->p + len : NULL;
	return tree_cursor_next(c);
}

int tree_mode_is_tree(unsigned m)
{
	return m == 040000;
}

int tree_mode_is_blob(unsigned m)
{
	return m == 0100644 || m == 0100755 || m == 0120000 || m == 0100664;
}

int tree_name_cmp(const char *a, size_t al, int adir, const char *b, size_t bl, int bdir)
{
	size_t i = 0;
	for (; i < al && i < bl; i++)
		if (a[i] != b[i])
			return (int)(unsigned char)a[i] - (int)(unsigned char)b[i];
	/* past the shorter name: the next byte, or '/' for a tree, or the end */
	unsigned ca = i < al ? (unsigned char)a[i] : adir ? '/' : 0;
	unsigned cb = i < bl ? (unsigned char)b[i] : bdir ? '/' : 0;
	return (int)ca - (int)cb;
}

static int entry_cmp(const tree_entry_raw *a, const tree_entry_raw *b)
{
	return tree_name_cmp(a->name, a->len, tree_mode_is_tree(a->mode), b->name, b->len, tree_mode_is_tree(b->mode));
}

typedef struct walk {
	git_odb *odb;
	tree_cache *cache;
	tree_change_cb cb;
	void *payload;
	char *path;
	size_t cap;
} walk;

static int path_set(walk *w, size_t len, const char *name, size_t n)
{
	if (len + n + 2 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < len + n + 2)
			cap *= 2;
		char *p = realloc(w->path, cap);
		if (!p)
			return -1;
		w->path = p;
		w->cap = cap;
	}
	memcpy(w->path + len, name, n);
	w->path[len + n] = '\0';
	return 0;
}

static int diff_ids(walk *w, const git_oid *old, const git_oid *new, size_t len);

/* One entry of the new tree against its counterpart in the old tree (o may be NULL). */
static int diff_entry(walk *w, const tree_entry_raw *o, const tree_entry_raw *n, size_t len)
{
	git_oid nid, oid;
	if (o && o->mode == n->mode && memcmp(o->id, n->id, 20) == 0)
		return 0; /* unchanged: a subtree is not even read */
	if (path_set(w, len, n->name, n->len) < 0)
		return -1;
	git_oid_fromraw(&nid, n->id);
	if (o)
		git_oid_fromraw(&oid, o->id);
	if (tree_mode_is_tree(n->mode)) {
		w->path[len + n->len] = '/';
		w->path[len + n->len + 1] = '\0';
		return diff_ids(w, o && tree_mode_is_tree(o->mode) ? &oid : NULL, &nid, len + n->len + 1);
	}
	if (tree_mode_is_blob(n->mode))
		return w->cb(w->path, o && tree_mode_is_blob(o->mode) ? &oid : NULL, &nid, w->payload);
	return 0; /* a gitlink: a submodule's commit, not content */
}

static int diff_ids(walk *w, const git_oid *old, const git_oid *new, size_t len)
{
	raw_object nt, ot = { 0 };
	if (tree_read(w->odb, w->cache, new, &nt) < 0)
		return -1;
	if (old && tree_read(w->odb, w->cache, old, &ot) < 0) {
		raw_object_release(&nt);
		return -1;
	}
	tree_cursor nc, oc;
	int rc = tree_cursor_start(&nc, nt.data, nt.len);
	rc |= tree_cursor_start(&oc, old ? ot.data : NULL, old ? ot.len : 0);
	while (rc == 0 && nc.valid) {
		/* old entries that sort before this one were deleted: nothing added */
		while (rc == 0 && oc.valid && entry_cmp(&oc.e, &nc.e) < 0)
			rc = tree_cursor_next(&oc);
		if (rc)
			break;
		int same = oc.valid && entry_cmp(&oc.e, &nc.e) == 0;
		rc = diff_entry(w, same ? &oc.e : NULL, &nc.e, len);
		if (rc == 0)
			rc = tree_cursor_next(&nc);
		w->path[len] = '\0';
	}
	if (rc < 0 && !git_error_last())
		git_error_set_str(GIT_ERROR_OBJECT, "corrupt tree");
	raw_object_release(&nt);
	raw_object_release(&ot);
	return rc;
}

int tree_diff(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree, tree_change_cb cb,
	      void *payload)
{
	walk w = { odb, cache, cb, payload, NULL, 0 };
	tree_cache *own = NULL;
	if (!cache && !(w.cache = own = tree_cache_new()))
		return -1;
	int rc = path_set(&w, 0, "", 0) < 0 ? -1 : diff_ids(&w, old_tree, new_tree, 0);
	free(w.path);
	tree_cache_free(own);
	return rc;
}

int tree_blob_at(git_tree *tree, const char *path, git_oid *out)
{
	git_tree_entry *e = NULL;
	if (!tree || git_tree_entry_bypath(&e, tree, path) < 0)
		return 0;
	git_filemode_t m = git_tree_entry_filemode(e);
	int ok = m == GIT_FILEMODE_BLOB || m == GIT_FILEMODE_BLOB_EXECUTABLE || m == GIT_FILEMODE_LINK;
	if (ok)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_error_clear();
	return ok;
}
