/*
 * treewalk.c - every entry of a tree, all the way down, with a loop and a
 * stack on the heap (a pushed tree may be 30 000 levels deep). The caller
 * decides which subtrees to enter, so that walks over many commits read each
 * tree object once.
 */
#include "odb.h"

#include <stdlib.h>
#include <string.h>

typedef struct frame {
	raw_object t;
	tree_cursor c;
	size_t len; /* of the path down to this tree */
} frame;

typedef struct walker {
	git_odb *odb;
	tree_cache *cache;
	const tree_walk_cbs *cbs;
	frame *stack;
	size_t depth, cap;
	char *path;
	size_t pcap;
} walker;

static int set_path(walker *w, size_t len, const char *name, size_t n, int dir)
{
	if (odb_path_put(&w->path, &w->pcap, len, name, n) < 0)
		return -1;
	if (dir) {
		w->path[len + n] = '/';
		w->path[len + n + 1] = '\0';
	}
	return 0;
}

/* Enters tree id at path[0..len): 0 entered or skipped as missing, -1 error. */
static int enter(walker *w, const git_oid *id, size_t len)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		frame *s = realloc(w->stack, cap * sizeof(*s));
		if (!s)
			return -1;
		w->stack = s;
		w->cap = cap;
	}
	frame *f = &w->stack[w->depth];
	memset(f, 0, sizeof(*f));
	f->len = len;
	if (raw_tree_read(w->odb, w->cache, id, &f->t) < 0) {
		if (!w->cbs->missing)
			return -1;
		int damaged = raw_object_missing(w->odb, id) != 1;
		return w->cbs->missing(w->path, id, damaged, w->cbs->payload) < 0 ? -1 : 0;
	}
	if (tree_cursor_start(&f->c, f->t.data, f->t.len) < 0) {
		raw_object_release(&f->t);
		git_error_set_str(GIT_ERROR_OBJECT, "corrupt tree");
		return -1;
	}
	w->depth++;
	return 0;
}

/* The next entry of the innermost tree. */
static int step(walker *w)
{
	frame *f = &w->stack[w->depth - 1];
	tree_entry_raw e = f->c.e;
	size_t len = f->len;
	git_oid id;

	if (tree_cursor_next(&f->c) < 0) {
		git_error_set_str(GIT_ERROR_OBJECT, "corrupt tree");
		return -1;
	}
	tree_entry_kind k = tree_mode_kind(e.mode);
	if (k == TREE_ENTRY_GITLINK)
		return 0;
	git_oid_fromraw(&id, e.id);
	if (set_path(w, len, e.name, e.len, k == TREE_ENTRY_TREE) < 0)
		return -1;
	if (k == TREE_ENTRY_BLOB)
		return w->cbs->blob ? w->cbs->blob(w->path, &id, w->cbs->payload) : 0;
	int want = w->cbs->tree ? w->cbs->tree(w->path, &id, w->cbs->payload) : 1;
	return want < 0 ? -1 : want ? enter(w, &id, len + e.len + 1) : 0;
}

int tree_walk(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *prefix, const tree_walk_cbs *cbs)
{
	walker w = { .odb = odb, .cache = cache, .cbs = cbs };
	tree_cache *own = NULL;
	size_t plen = prefix ? strlen(prefix) : 0;
	int rc = -1;

	if (!cache && !(w.cache = own = tree_cache_new()))
		return -1;
	if (set_path(&w, 0, prefix ? prefix : "", plen, 0) == 0)
		rc = enter(&w, tree, plen);
	while (rc == 0 && w.depth) {
		frame *f = &w.stack[w.depth - 1];
		w.path[f->len] = '\0';
		if (f->c.valid)
			rc = step(&w);
		else
			raw_object_release(&w.stack[--w.depth].t);
	}
	while (w.depth)
		raw_object_release(&w.stack[--w.depth].t);
	free(w.stack);
	free(w.path);
	tree_cache_free(own);
	return rc;
}
