/*
 * treediff.c - raw trees: their entries as git reads them (modes
 * canonicalised, names in git's order), which blobs a tree changed against
 * another, reading only subtrees whose ids differ, and the blob at a path.
 * Trees are parsed here without allocating: libgit2 1.5's tree diff expands
 * every subtree, and its tree objects cost more to build than to inflate
 * (measured with callgrind on a 3000-commit history). Nothing recurses on a
 * tree's depth: a pushed tree 30 000 levels deep is a loop, not a stack.
 */
#include "odb.h"

#include <stdlib.h>
#include <string.h>

int tree_cursor_next(tree_cursor *c)
{
	c->valid = 0;
	if (!c->p || c->p >= c->end)
		return 0;
	unsigned mode = 0;
	/* as git's get_mode(): octal digits, wrapping as an unsigned does */
	while (c->p < c->end && *c->p >= '0' && *c->p <= '7')
		mode = mode * 8 + (unsigned)(*c->p++ - '0');
	if (c->p >= c->end || *c->p++ != ' ')
		return -1;
	const unsigned char *nul = memchr(c->p, '\0', (size_t)(c->end - c->p));
	if (!nul || nul == c->p || (size_t)(c->end - nul) < c->hashlen + 1)
		return -1;
	c->e.mode = mode;
	c->e.name = (const char *)c->p;
	c->e.len = (size_t)(nul - c->p);
	c->e.id = nul + 1;
	c->p = nul + 1 + c->hashlen;
	c->valid = 1;
	return 0;
}

int tree_cursor_start_ids(tree_cursor *c, const void *data, size_t len, size_t hashlen)
{
	memset(c, 0, sizeof(*c));
	c->p = data;
	c->end = c->p ? c->p + len : NULL;
	c->hashlen = hashlen;
	return tree_cursor_next(c);
}

int tree_cursor_start(tree_cursor *c, const void *data, size_t len)
{
	return tree_cursor_start_ids(c, data, len, ODB_SHA1_LEN);
}

/*
 * What git makes of a mode (canon_mode() in git's cache.h): any regular-file
 * mode is a file (100600, 100664 and 100000 are checked out like 100644), a
 * symlink is content too, any 040xxx is a directory, and everything else is
 * read as a gitlink, a submodule's commit, which is not content here.
 */
tree_entry_kind tree_mode_kind(unsigned mode)
{
	switch (mode & 0170000) {
	case 0100000:
	case 0120000:
		return TREE_ENTRY_BLOB;
	case 0040000:
		return TREE_ENTRY_TREE;
	default:
		return TREE_ENTRY_GITLINK;
	}
}

int tree_mode_is_tree(unsigned m)
{
	return tree_mode_kind(m) == TREE_ENTRY_TREE;
}

int tree_mode_is_blob(unsigned m)
{
	return tree_mode_kind(m) == TREE_ENTRY_BLOB;
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

/* ---- the diff ------------------------------------------------------------ */

/* One level of the diff: the two trees, where each cursor stands, and the
 * length of the path down to this level. */
typedef struct level {
	raw_object nt, ot;
	tree_cursor nc, oc;
	size_t len;
} level;

typedef struct walk {
	git_odb *odb;
	tree_cache *cache;
	tree_change_cb cb;
	tree_missing_cb missing;
	void *payload;
	char *path;
	size_t cap;
	level *stack;
	size_t depth, stack_cap;
} walk;

static int path_set(walk *w, size_t len, const char *name, size_t n)
{
	return odb_path_put(&w->path, &w->cap, len, name, n);
}

/* Reads a tree of the diff. 1: read; 0: missing and reported (skip it); -1: error. */
static int read_level_tree(walk *w, const git_oid *id, raw_object *out)
{
	if (raw_tree_read(w->odb, w->cache, id, out) == 0)
		return 1;
	if (!w->missing)
		return -1;
	int damaged = raw_object_missing(w->odb, id) != 1;
	return w->missing(w->path, id, damaged, w->payload) < 0 ? -1 : 0;
}

/* Descends into new tree id (old: its counterpart, may be NULL) below path[0..len). */
static int push_level(walk *w, const git_oid *old, const git_oid *new, size_t len)
{
	if (w->depth == w->stack_cap) {
		size_t cap = w->stack_cap ? w->stack_cap * 2 : 32;
		level *s = realloc(w->stack, cap * sizeof(*s));
		if (!s)
			return -1;
		w->stack = s;
		w->stack_cap = cap;
	}
	level *l = &w->stack[w->depth];
	memset(l, 0, sizeof(*l));
	l->len = len;
	int rc = read_level_tree(w, new, &l->nt);
	if (rc <= 0)
		return rc;
	/* an old tree that cannot be read is counted, and diffed as empty */
	if (old && read_level_tree(w, old, &l->ot) < 0) {
		raw_object_release(&l->nt);
		return -1;
	}
	if (tree_cursor_start(&l->nc, l->nt.data, l->nt.len) < 0 ||
	    tree_cursor_start(&l->oc, l->ot.data, l->ot.data ? l->ot.len : 0) < 0) {
		raw_object_release(&l->nt);
		raw_object_release(&l->ot);
		git_error_set_str(GIT_ERROR_OBJECT, "corrupt tree");
		return -1;
	}
	w->depth++;
	return 0;
}

static void pop_level(walk *w)
{
	level *l = &w->stack[--w->depth];
	raw_object_release(&l->nt);
	raw_object_release(&l->ot);
}

/* The next entry of the top level: a blob goes to the callback, a tree is
 * pushed (after the cursor moved on, so the level resumes past it). */
static int diff_step(walk *w)
{
	level *l = &w->stack[w->depth - 1];
	tree_entry_raw n = l->nc.e;
	size_t len = l->len;
	int rc = 0;

	/* old entries that sort before this one were deleted: nothing added */
	while (rc == 0 && l->oc.valid && entry_cmp(&l->oc.e, &n) < 0)
		rc = tree_cursor_next(&l->oc);
	if (rc < 0 || tree_cursor_next(&l->nc) < 0) {
		git_error_set_str(GIT_ERROR_OBJECT, "corrupt tree");
		return -1;
	}
	const tree_entry_raw *o = l->oc.valid && entry_cmp(&l->oc.e, &n) == 0 ? &l->oc.e : NULL;
	tree_entry_kind nk = tree_mode_kind(n.mode), ok = o ? tree_mode_kind(o->mode) : TREE_ENTRY_GITLINK;
	if (nk == TREE_ENTRY_GITLINK || (o && ok == nk && memcmp(o->id, n.id, 20) == 0))
		return 0; /* a submodule's commit is not content; an unchanged subtree is not even read */
	git_oid nid, oid;
	git_oid_fromraw(&nid, n.id);
	if (o)
		git_oid_fromraw(&oid, o->id);
	if (path_set(w, len, n.name, n.len) < 0)
		return -1;
	if (nk == TREE_ENTRY_BLOB)
		return w->cb(w->path, o && ok == TREE_ENTRY_BLOB ? &oid : NULL, &nid, w->payload);
	w->path[len + n.len] = '/';
	w->path[len + n.len + 1] = '\0';
	return push_level(w, o && ok == TREE_ENTRY_TREE ? &oid : NULL, &nid, len + n.len + 1);
}

int tree_diff_ext(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree,
		  tree_change_cb cb, tree_missing_cb on_missing, void *payload)
{
	walk w = { .odb = odb, .cache = cache, .cb = cb, .missing = on_missing, .payload = payload };
	tree_cache *own = NULL;
	int rc = -1;

	if (!cache && !(w.cache = own = tree_cache_new()))
		return -1;
	if (path_set(&w, 0, "", 0) == 0)
		rc = push_level(&w, old_tree, new_tree, 0);
	while (rc == 0 && w.depth) {
		level *l = &w.stack[w.depth - 1];
		w.path[l->len] = '\0';
		if (!l->nc.valid)
			pop_level(&w);
		else
			rc = diff_step(&w);
	}
	while (w.depth)
		pop_level(&w);
	free(w.stack);
	free(w.path);
	tree_cache_free(own);
	return rc;
}

int tree_diff(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree, tree_change_cb cb,
	      void *payload)
{
	return tree_diff_ext(odb, cache, old_tree, new_tree, cb, NULL, payload);
}

/* ---- one path ------------------------------------------------------------- */

int tree_entry_at(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *path, git_oid *out,
		  tree_entry_kind *kind)
{
	git_oid cur;
	const char *p = path;
	tree_cache *own = NULL;
	int found = 0;

	if (!cache && !(cache = own = tree_cache_new()))
		return -1;
	git_oid_cpy(&cur, tree);
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		raw_object t;
		tree_cursor c;
		if (raw_tree_read(odb, cache, &cur, &t) < 0)
			break;
		/* a linear search: a crafted tree need not be sorted */
		int rc = tree_cursor_start(&c, t.data, t.len);
		while (rc == 0 && c.valid && !(c.e.len == n && memcmp(c.e.name, p, n) == 0))
			rc = tree_cursor_next(&c);
		tree_entry_kind k = c.valid ? tree_mode_kind(c.e.mode) : TREE_ENTRY_GITLINK;
		if (rc == 0 && c.valid)
			git_oid_fromraw(&cur, c.e.id);
		raw_object_release(&t);
		if (rc < 0 || !c.valid)
			break;
		if (!slash) {
			git_oid_cpy(out, &cur);
			*kind = k;
			found = 1;
			break;
		}
		if (k != TREE_ENTRY_TREE)
			break;
		p = slash + 1;
	}
	git_error_clear();
	tree_cache_free(own);
	return found;
}

int tree_blob_at(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *path, git_oid *out)
{
	tree_entry_kind k;
	return tree_entry_at(odb, cache, tree, path, out, &k) == 1 && k == TREE_ENTRY_BLOB;
}
