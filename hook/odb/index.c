/*
 * index.c - what the index git is committing changes against HEAD, read the
 * way git reads it: the index file parsed here (versions 2, 3 and 4, see
 * gitformat-index(5)) and its cache-tree (the TREE extension) used to skip
 * every directory whose tree id still equals HEAD's. libgit2 1.5 loads every
 * entry and expands every HEAD tree instead: 40x the work of `git diff
 * --cached` on 60 000 files (callgrind). Sparse directory entries are
 * diffed as trees; a split index is merged with its shared index as git does.
 */
#include "odb.h"
#include "../cli.h" /* print_safef: paths reach a terminal sanitized */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_FIXED 62 /* stat data (40), object id (20), flags (2) */
#define FLAG_EXTENDED 0x4000
#define FLAG_STAGE 0x3000
#define XFLAG_INTENT_TO_ADD 0x2000

static int parse_entries(index_file *x, uint32_t version, const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	size_t prev_len = 0, used = 0, cap = 0;
	const char *prev = NULL;

	if (version == 4 && !(x->paths = malloc(cap = (size_t)x->n * 32 + 4096)))
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		index_entry *e = &x->e[i];
		if (end - p < ENTRY_FIXED + 1)
			return -1;
		uint16_t flags = odb_be16(p + 60);
		size_t off = ENTRY_FIXED;
		e->mode = odb_be32(p + 24);
		e->id = p + 40;
		e->stage = (unsigned)(flags & FLAG_STAGE) >> 12;
		e->skip = e->stage != 0;
		if (flags & FLAG_EXTENDED) {
			/* two more bytes of flags, and still a name's NUL after them */
			if (version < 3 || end - p < ENTRY_FIXED + 2 + 1)
				return -1;
			e->skip |= (odb_be16(p + 62) & XFLAG_INTENT_TO_ADD) != 0;
			off += 2;
		}
		const unsigned char *name = p + off;
		if (version == 4) {
			uint64_t strip;
			if (odb_offset_varint(&name, end, &strip) < 0 || strip > prev_len)
				return -1;
			const unsigned char *nul = memchr(name, '\0', (size_t)(end - name));
			if (!nul)
				return -1;
			size_t keep = prev_len - strip, add = (size_t)(nul - name);
			if (used + keep + add + 1 > cap) {
				/* grow: earlier paths move. Their new places are counted
				 * from the start (each path and its NUL, in order), never
				 * rebased from the block realloc has freed. */
				size_t ncap = (used + keep + add + 1) * 2, at = 0;
				char *np = realloc(x->paths, ncap);
				if (!np)
					return -1;
				x->paths = np;
				cap = ncap;
				for (size_t k = 0; k < i; k++) {
					x->e[k].path = np + at;
					at += x->e[k].len + 1;
				}
				prev = i ? x->e[i - 1].path : NULL;
			}
			char *dst = x->paths + used;
			if (keep)
				memcpy(dst, prev, keep);
			memcpy(dst + keep, name, add);
			dst[keep + add] = '\0';
			e->path = dst;
			e->len = keep + add;
			prev = dst;
			prev_len = e->len;
			used += e->len + 1;
			p = nul + 1;
		} else {
			const unsigned char *nul = memchr(name, '\0', (size_t)(end - name));
			if (!nul)
				return -1;
			e->path = (const char *)name;
			e->len = (size_t)(nul - name);
			size_t total = (off + e->len + 8) & ~(size_t)7;
			if ((size_t)(end - p) < total)
				return -1;
			p += total;
		}
	}
	*pp = p;
	return 0;
}

/* One node of the TREE extension, "<name>\0<count> <subtrees>\n" and, when
 * count >= 0, its tree id; its subtrees follow it. -1 when damaged. */
static int parse_node(index_file *x, const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	const unsigned char *nul = memchr(p, '\0', (size_t)(end - p));
	char *num_end;
	if (!nul || x->nnodes == x->capnodes)
		return -1;
	ctnode *node = &x->nodes[x->nnodes++];
	node->name = (const char *)p;
	node->len = (size_t)(nul - p);
	p = nul + 1;
	const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl - p > 40)
		return -1;
	char num[48];
	memcpy(num, p, (size_t)(nl - p));
	num[nl - p] = '\0';
	node->count = strtol(num, &num_end, 10);
	long nsub = *num_end == ' ' ? strtol(num_end + 1, NULL, 10) : -1;
	if (nsub < 0 || nsub > 1000000)
		return -1;
	p = nl + 1;
	if (node->count >= 0) {
		if (end - p < 20)
			return -1;
		node->id = p;
		p += 20;
	}
	node->nsub = (size_t)nsub;
	*pp = p;
	return 0;
}

/* A directory of the cache-tree whose subtrees are still being read. */
typedef struct open_node {
	size_t node, left;
} open_node;

/*
 * The TREE extension's nodes, in pre-order: a stack on the heap, not
 * recursion, keeps the open directories, since a crafted index may nest as
 * deep as it likes. Sets x->root, or leaves it NULL when the extension is
 * damaged (only a lost shortcut).
 */
static void parse_cache_tree(index_file *x, const unsigned char *p, const unsigned char *end)
{
	open_node *open = NULL;
	size_t depth = 0, cap = 0;

	x->capnodes = (size_t)(end - p) / 4 + 1; /* a node takes 4 bytes at least */
	if (!(x->nodes = calloc(x->capnodes, sizeof(*x->nodes))))
		return;
	do {
		if (depth && open[depth - 1].left == 0) {
			/* all its subtrees read: it spans to here */
			size_t done = open[--depth].node;
			x->nodes[done].span = x->nnodes - done;
			continue;
		}
		if (depth)
			open[depth - 1].left--;
		if (depth == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			open_node *more = realloc(open, ncap * sizeof(*more));
			if (!more)
				goto bad;
			open = more;
			cap = ncap;
		}
		size_t i = x->nnodes;
		if (parse_node(x, &p, end) < 0)
			goto bad;
		open[depth++] = (open_node){ i, x->nodes[i].nsub };
	} while (depth);
	free(open);
	x->root = x->nodes;
	return;
bad:
	free(open);
	x->root = NULL;
}

/* ---- split index (gitformat-index(5), "link"; git's split-index.c) --------- */

/* An EWAH bitmap (git's ewah/ewah_io.c): bit count, word count, that many
 * 64-bit words, the last run-length word's position; all big-endian. Sets
 * *bm to its words; -1 when it does not fit in the extension. */
static int ewah_span(const unsigned char **pp, const unsigned char *end, const unsigned char **words,
		     size_t *nwords)
{
	const unsigned char *p = *pp;
	if (end - p < 8)
		return -1;
	size_t n = odb_be32(p + 4);
	p += 8;
	if ((size_t)(end - p) / 8 < n || (size_t)(end - p) - n * 8 < 4)
		return -1;
	*words = p;
	*nwords = n;
	*pp = p + n * 8 + 4;
	return 0;
}

/* Calls fn for each set bit of a bitmap ewah_span found, in order, while
 * the bit is below limit; -1 (corrupt) for a bit at or past it. */
static int ewah_each(const unsigned char *w, size_t nwords, size_t limit, int (*fn)(size_t bit, void *arg),
		     void *arg)
{
	uint64_t pos = 0;
	for (size_t i = 0; i < nwords;) {
		uint64_t rlw = odb_be64(w + 8 * i++);
		uint64_t run = ((rlw >> 1) & 0xffffffffu) * 64, lits = rlw >> 33;
		if (rlw & 1) {
			if (run > limit || pos > limit - run)
				return -1;
			for (uint64_t k = 0; k < run; k++)
				if (fn((size_t)pos++, arg) < 0)
					return -1;
		} else {
			pos += run;
		}
		for (uint64_t k = 0; k < lits; k++) {
			if (i == nwords)
				return -1;
			uint64_t lit = odb_be64(w + 8 * i++);
			for (unsigned b = 0; b < 64; b++, pos++)
				if ((lit >> b & 1) && (pos >= limit || fn((size_t)pos, arg) < 0))
					return -1;
		}
	}
	return 0;
}

/* The link extension: the shared index's id and, when the index is not the
 * shared one itself, which of its entries this one deletes and replaces. */
static int parse_link(index_file *x, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	if (len < 20)
		return -1;
	static const unsigned char zero[20];
	x->split = memcmp(p, zero, 20) != 0; /* a null id: not split after all */
	memcpy(x->shared_id, p, 20);
	p += 20;
	if (p == end)
		return 0;
	if (ewah_span(&p, end, &x->del_words, &x->ndel_words) < 0 ||
	    ewah_span(&p, end, &x->rep_words, &x->nrep_words) < 0 || p != end)
		return -1;
	return 0;
}

typedef struct merge_state {
	index_file *x;
	index_entry *base; /* a copy of the shared index's entries */
	size_t nbase;
	size_t replaced;   /* the split index's entries used as replacements so far */
	unsigned char *gone;
} merge_state;

static int replace_one(size_t bit, void *arg)
{
	merge_state *m = arg;
	if (bit >= m->nbase || m->replaced >= m->x->n)
		return -1;
	index_entry *src = &m->x->e[m->replaced++], *dst = &m->base[bit];
	if (src->len != 0) /* a replacement keeps the shared entry's name */
		return -1;
	const char *path = dst->path;
	size_t plen = dst->len;
	*dst = *src;
	dst->path = path;
	dst->len = plen;
	return 0;
}

static int delete_one(size_t bit, void *arg)
{
	merge_state *m = arg;
	if (bit >= m->nbase)
		return -1;
	m->gone[bit] = 1;
	return 0;
}

/* git's cache order: path bytes, then length, then stage. */
static int entry_cmp(const index_entry *a, const index_entry *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->path, b->path, n);
	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return (int)a->stage - (int)b->stage;
}

int index_merge_shared(index_file *x, index_file *base, const char **why)
{
	merge_state m = { x, NULL, base->n, 0, NULL };
	index_entry *out = NULL;
	int rc = -1;

	*why = "corrupt split index link";
	if (base->split || (base->n && !(m.base = malloc(base->n * sizeof(*m.base)))) ||
	    !(m.gone = calloc(base->n + 1, 1)) || !(out = calloc(base->n + x->n + 1, sizeof(*out))))
		goto done;
	if (base->n)
		memcpy(m.base, base->e, base->n * sizeof(*m.base));
	/* as git does it: replacements first, then deletions, both by the
	 * shared index's positions; the rest of the split index is added */
	if (ewah_each(x->rep_words, x->nrep_words, base->n, replace_one, &m) < 0 ||
	    ewah_each(x->del_words, x->ndel_words, base->n, delete_one, &m) < 0)
		goto done;
	size_t i = 0, k = m.replaced, n = 0;
	while (i < base->n || k < x->n) {
		if (i < base->n && m.gone[i]) {
			i++;
			continue;
		}
		if (k < x->n && x->e[k].len == 0)
			goto done; /* an added entry without a name */
		int c = i == base->n ? 1 : k == x->n ? -1 : entry_cmp(&m.base[i], &x->e[k]);
		if (c < 0) {
			out[n++] = m.base[i++];
			continue;
		}
		/* an added entry takes its name's place; a merged one (stage 0)
		 * replaces its name's conflict stages too, as add_index_entry does */
		while (i < base->n && (m.gone[i] || (m.base[i].len == x->e[k].len &&
						      memcmp(m.base[i].path, x->e[k].path, x->e[k].len) == 0 &&
						      (x->e[k].stage == 0 || m.base[i].stage == x->e[k].stage))))
			i++;
		out[n++] = x->e[k++];
	}
	free(x->e);
	x->e = out;
	x->n = n;
	out = NULL;
	x->base = base;
	x->split = 0; /* merged */
	rc = 0;
done:
	free(out);
	free(m.base);
	free(m.gone);
	return rc;
}

void index_free(index_file *x)
{
	if (x->base) {
		index_free(x->base);
		free(x->base);
	}
	free(x->e);
	free(x->paths);
	free(x->nodes);
	memset(x, 0, sizeof(*x));
}

static int parse_fail(index_file *x, const char **why, const char *what)
{
	index_free(x);
	*why = what;
	return -1;
}

int index_parse(index_file *x, const unsigned char *buf, size_t size, const char **why)
{
	const unsigned char *tree = NULL, *tree_end = NULL;

	memset(x, 0, sizeof(*x));
	if (!buf || size < 12 + 20) /* an empty file is mapped as NULL */
		return parse_fail(x, why, "too short");
	const unsigned char *p = buf, *end = buf + size - 20; /* the trailing checksum */
	uint32_t version = odb_be32(p + 4);
	if (memcmp(p, "DIRC", 4) != 0 || version < 2 || version > 4)
		return parse_fail(x, why, "not an index of version 2, 3 or 4");
	x->n = odb_be32(p + 8);
	if (x->n > size / ENTRY_FIXED || !(x->e = calloc(x->n + 1, sizeof(*x->e))))
		return parse_fail(x, why, "corrupt entry count");
	p += 12;
	if (parse_entries(x, version, &p, end) < 0)
		return parse_fail(x, why, "corrupt entries");
	while (end - p >= 8) {
		uint32_t len = odb_be32(p + 4);
		if ((size_t)(end - p - 8) < len)
			return parse_fail(x, why, "corrupt extension");
		if (memcmp(p, "TREE", 4) == 0) {
			tree = p + 8;
			tree_end = p + 8 + len;
		} else if (memcmp(p, "link", 4) == 0) {
			if (parse_link(x, p + 8, len) < 0)
				return parse_fail(x, why, "corrupt split index link");
		} else if (p[0] < 'A' || p[0] > 'Z') {
			if (memcmp(p, "sdir", 4) != 0) /* sparse directories are entries we diff as trees */
				return parse_fail(x, why, "an index extension this version does not know");
		}
		p += 8 + len;
	}
	if (tree)
		parse_cache_tree(x, tree, tree_end);
	return 0;
}

/* ---- the walk ------------------------------------------------------------ */

/* HEAD's tree for one directory, read raw, with a cursor on its entries. */
typedef struct raw_tree {
	git_odb_object *obj;
	tree_cursor c;
} raw_tree;

static int raw_open(raw_tree *t, git_odb *odb, const unsigned char *id)
{
	git_oid oid;
	memset(t, 0, sizeof(*t));
	if (!id)
		return tree_cursor_start(&t->c, NULL, 0);
	git_oid_fromraw(&oid, id);
	if (git_odb_read(&t->obj, odb, &oid) < 0 || git_odb_object_type(t->obj) != GIT_OBJECT_TREE)
		return -1;
	return tree_cursor_start(&t->c, git_odb_object_data(t->obj), git_odb_object_size(t->obj));
}

/* A directory's children follow it in pre-order. git writes them shortest
 * name first (cache-tree.c's subtree_name_cmp), the walk meets them in the
 * index's order: a cursor finds each in turn while both agree (names of one
 * length), and a search from the first child finds the others. */
typedef struct children {
	const ctnode *first, *next, *end;
} children;

/* One directory being walked: HEAD's tree there and the cache-tree's children. */
typedef struct dir {
	raw_tree h;
	children kids;
	const char *prefix; /* the directory's path and its '/', the start of an entry's path */
	size_t plen;
	size_t before; /* the entry its subdirectory being walked began at */
} dir_state;

typedef struct walk {
	git_odb *odb;
	const index_file *x;
	size_t pos;
	tree_change_cb cb;
	void *payload;
	git_oid *gone;      /* blobs HEAD had where the index has nothing: renames' sources */
	size_t ngone, capgone;
	char *path;
	size_t cap;
	size_t sparse_len;  /* while a sparse directory is diffed: its path's length */
	dir_state *dirs;          /* the directories open from the root down: a stack on the
			     * heap, since HEAD may nest deeper than ours could */
	size_t ndirs, capdirs;
} walk;

static int note_gone(walk *w, const raw_tree *h)
{
	if (tree_mode_is_tree(h->c.e.mode))
		return 0;
	if (w->ngone == w->capgone) {
		size_t cap = w->capgone ? w->capgone * 2 : 16;
		git_oid *g = realloc(w->gone, cap * sizeof(*g));
		if (!g)
			return -1;
		w->gone = g;
		w->capgone = cap;
	}
	git_oid_fromraw(&w->gone[w->ngone++], h->c.e.id);
	return 0;
}

/* Advances the HEAD tree past names before name; what it passes the index lacks. */
static int head_seek(walk *w, raw_tree *h, const char *name, size_t len, int dir)
{
	int rc = 0;
	while (rc == 0 && h->c.valid &&
	       tree_name_cmp(h->c.e.name, h->c.e.len, tree_mode_is_tree(h->c.e.mode), name, len, dir) < 0) {
		rc = note_gone(w, h);
		if (rc == 0)
			rc = tree_cursor_next(&h->c);
	}
	return rc;
}

static int has_prefix(const index_entry *e, const char *prefix, size_t len)
{
	return e->len > len && memcmp(e->path, prefix, len) == 0;
}

static children children_of(const ctnode *n)
{
	children c = { NULL, NULL, NULL };
	if (n && n->nsub) {
		c.first = c.next = n + 1;
		c.end = n + n->span;
	}
	return c;
}

static const ctnode *child_in(const ctnode *from, const ctnode *to, const char *name, size_t len)
{
	for (const ctnode *k = from; k && k < to; k += k->span)
		if (k->len == len && memcmp(k->name, name, len) == 0)
			return k;
	return NULL;
}

static const ctnode *child_named(children *c, const char *name, size_t len)
{
	const ctnode *k = child_in(c->next, c->end, name, len);
	if (!k)
		k = child_in(c->first, c->next, name, len);
	if (k)
		c->next = k + k->span;
	return k;
}

/* Makes room for a path of n bytes and its NUL. */
static int path_room(walk *w, size_t n)
{
	if (w->path && n + 1 <= w->cap)
		return 0;
	size_t cap = (n + 1) * 2;
	char *p = realloc(w->path, cap);
	if (!p)
		return -1;
	w->path = p;
	w->cap = cap;
	return 0;
}

static int set_path(walk *w, const char *s, size_t n)
{
	if (path_room(w, n) < 0)
		return -1;
	memcpy(w->path, s, n);
	w->path[n] = '\0';
	return 0;
}

/* tree_diff names what it finds from the top of the tree it diffs: a sparse
 * directory's path goes in front, so that reports and [allow] see the whole. */
static int in_sparse_dir(const char *path, const git_oid *old_entry_id, const git_oid *new_id, void *payload)
{
	walk *w = payload;
	size_t n = strlen(path);
	if (path_room(w, w->sparse_len + n) < 0)
		return -1;
	memcpy(w->path + w->sparse_len, path, n + 1);
	return w->cb(w->path, old_entry_id, new_id, w->payload);
}

/* A sparse index's directory entry ("dir/", mode 040000): its tree against HEAD's. */
static int sparse_dir(walk *w, const index_entry *e, const git_oid *old, const git_oid *nid)
{
	size_t len = e->len;
	if (set_path(w, e->path, len) < 0 || path_room(w, len + 1) < 0)
		return -1;
	if (len && w->path[len - 1] != '/')
		w->path[len++] = '/';
	w->sparse_len = len;
	return tree_diff(w->odb, NULL, old, nid, in_sparse_dir, w);
}

static int one_entry(walk *w, raw_tree *h, const index_entry *e, const char *name, size_t len)
{
	int rc = head_seek(w, h, name, len, tree_mode_is_tree(e->mode));
	if (rc < 0)
		return rc;
	const unsigned char *old = NULL;
	unsigned old_mode = 0;
	if (h->c.valid && h->c.e.len == len && memcmp(h->c.e.name, name, len) == 0) {
		old = h->c.e.id;
		old_mode = h->c.e.mode;
		rc = tree_cursor_next(&h->c);
	}
	w->pos++;
	/* modes as git canonicalises them: a HEAD tree's 100600 or 040755 is a file or a directory */
	if (rc || e->skip ||
	    (old && tree_mode_kind(old_mode) == tree_mode_kind(e->mode) && memcmp(old, e->id, 20) == 0))
		return rc;
	git_oid nid, oid;
	git_oid_fromraw(&nid, e->id);
	if (old)
		git_oid_fromraw(&oid, old);
	if (tree_mode_is_tree(e->mode))
		return sparse_dir(w, e, old && tree_mode_is_tree(old_mode) ? &oid : NULL, &nid);
	if (tree_mode_kind(e->mode) == TREE_ENTRY_GITLINK)
		return 0; /* a gitlink: a submodule's commit, not content */
	if (set_path(w, e->path, e->len) < 0)
		return -1;
	return w->cb(w->path, old && tree_mode_is_blob(old_mode) ? &oid : NULL, &nid, w->payload);
}

/* Whether the next count entries are exactly the directory's: a damaged
 * cache-tree must not make the shortcut skip other entries unread, nor stop
 * short of the directory's end. */
static int count_is_dir(const walk *w, size_t count, const char *prefix, size_t plen)
{
	const index_file *x = w->x;
	if (count == 0 || count > x->n - w->pos)
		return 0;
	for (size_t i = w->pos; i < w->pos + count; i++)
		if (plen && !has_prefix(&x->e[i], prefix, plen))
			return 0;
	return w->pos + count == x->n || (plen && !has_prefix(&x->e[w->pos + count], prefix, plen));
}

/*
 * Starts on a directory: skips it when the cache-tree says it is HEAD's
 * tree, else opens HEAD's tree there on top of the stack.
 */
static int enter_dir(walk *w, const ctnode *node, const char *prefix, size_t plen, const unsigned char *head_id)
{
	if (node && node->count >= 0 && head_id && memcmp(node->id, head_id, 20) == 0 &&
	    count_is_dir(w, (size_t)node->count, prefix, plen)) {
		w->pos += (size_t)node->count;
		return 0;
	}
	if (w->ndirs == w->capdirs) {
		size_t cap = w->capdirs ? w->capdirs * 2 : 16;
		dir_state *more = realloc(w->dirs, cap * sizeof(*more));
		if (!more)
			return -1;
		w->dirs = more;
		w->capdirs = cap;
	}
	dir_state *d = &w->dirs[w->ndirs];
	memset(d, 0, sizeof(*d));
	if (raw_open(&d->h, w->odb, head_id) < 0) {
		git_odb_object_free(d->h.obj);
		return -1;
	}
	d->kids = children_of(node);
	d->prefix = prefix;
	d->plen = plen;
	w->ndirs++;
	return 0;
}

/* After a subdirectory of d: it must have consumed an entry. */
static int made_progress(const walk *w, const dir_state *d)
{
	if (w->pos > d->before)
		return 0;
	/* the entries are not in git's order: never loop on a broken index */
	git_error_set_str(GIT_ERROR_INDEX, "index entries out of order");
	return -1;
}

/* The next entry of the directory on top: a file, or a subdirectory to enter. */
static int dir_step(walk *w)
{
	dir_state *d = &w->dirs[w->ndirs - 1];
	const index_entry *e = &w->x->e[w->pos];
	const char *rest = e->path + d->plen;
	size_t rlen = e->len - d->plen;
	const char *slash = memchr(rest, '/', rlen);
	if (!slash || (tree_mode_is_tree(e->mode) && slash == rest + rlen - 1))
		/* a file, or a sparse index's directory entry ("dir/", mode 040000) */
		return one_entry(w, &d->h, e, rest, slash ? rlen - 1 : rlen);
	size_t nlen = (size_t)(slash - rest), depth = w->ndirs;
	int rc = head_seek(w, &d->h, rest, nlen, 1);
	const unsigned char *sub = NULL;
	if (rc == 0 && d->h.c.valid && tree_mode_is_tree(d->h.c.e.mode) && d->h.c.e.len == nlen &&
	    memcmp(d->h.c.e.name, rest, nlen) == 0) {
		sub = d->h.c.e.id;
		rc = tree_cursor_next(&d->h.c);
	}
	d->before = w->pos;
	if (rc == 0)
		rc = enter_dir(w, child_named(&d->kids, rest, nlen), e->path, d->plen + nlen + 1, sub);
	if (rc == 0 && w->ndirs == depth) /* skipped whole */
		rc = made_progress(w, &w->dirs[depth - 1]);
	return rc;
}

/* Done with the directory on top: what HEAD still has there, the index does not. */
static int dir_leave(walk *w)
{
	dir_state *d = &w->dirs[w->ndirs - 1];
	int rc = 0;
	while (rc == 0 && d->h.c.valid) {
		rc = note_gone(w, &d->h);
		if (rc == 0)
			rc = tree_cursor_next(&d->h.c);
	}
	git_odb_object_free(d->h.obj);
	w->ndirs--;
	if (rc == 0 && w->ndirs)
		rc = made_progress(w, &w->dirs[w->ndirs - 1]);
	return rc;
}

static int in_top_dir(const walk *w)
{
	const dir_state *d = &w->dirs[w->ndirs - 1];
	return w->pos < w->x->n && (d->plen == 0 || has_prefix(&w->x->e[w->pos], d->prefix, d->plen));
}

int index_diff(git_odb *odb, const index_file *x, const git_oid *head_tree, tree_change_cb cb, void *payload,
	       git_oid **gone, size_t *ngone)
{
	walk w;
	if (x->split) {
		git_error_set_str(GIT_ERROR_INDEX, "a split index without its shared index");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.odb = odb;
	w.x = x;
	w.cb = cb;
	w.payload = payload;
	int rc = enter_dir(&w, x->root, "", 0, head_tree ? head_tree->id : NULL);
	while (rc == 0 && w.ndirs)
		rc = in_top_dir(&w) ? dir_step(&w) : dir_leave(&w);
	while (w.ndirs) /* after an error */
		git_odb_object_free(w.dirs[--w.ndirs].h.obj);
	free(w.dirs);
	free(w.path);
	*gone = w.gone;
	*ngone = w.ngone;
	return rc;
}

/* Maps the index file at path: 1 and *map (NULL when empty), 0 when there is
 * none (nothing staged), -1 with *why. */
static int index_map(const char *path, void **map, size_t *size, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	*map = NULL;
	*size = 0;
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (st.st_size > 0 && (*map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		*map = NULL;
		goto fail;
	}
	*size = (size_t)st.st_size;
	close(fd);
	return 1;
fail:
	*why = strerror(errno);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The shared index a split index names: beside the index file (a
 * temporary index of `git commit <paths>`), else in the git directory, where
 * git looks (read-cache.c). 1 mapped, 0 none, -1 with *why. */
static int shared_map(const char *index_path, const char *gitdir, const index_file *x, void **map, size_t *size,
		      const char **why)
{
	char hex[41], path[4096];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", x->shared_id[i]);
	const char *slash = strrchr(index_path, '/');
	int dirlen = slash ? (int)(slash - index_path) : 1;
	const char *dir = slash ? index_path : ".";
	snprintf(path, sizeof(path), "%.*s/sharedindex.%s", dirlen, dir, hex);
	int rc = index_map(path, map, size, why);
	if (rc == 0 && gitdir) {
		snprintf(path, sizeof(path), "%s/sharedindex.%s", gitdir, hex);
		rc = index_map(path, map, size, why);
	}
	if (rc == 0)
		*why = "its shared index (sharedindex.<id>) is missing";
	/* its trailing checksum is the id the link names */
	if (rc > 0 && (*size < 20 || memcmp((const unsigned char *)*map + *size - 20, x->shared_id, 20) != 0)) {
		*why = "its shared index does not match the id it names";
		rc = -1;
	}
	return rc;
}

int staged_changes(git_odb *odb, const char *index_path, const char *gitdir, const git_oid *head_tree,
		   tree_change_cb cb, void *payload, git_oid **gone, size_t *ngone)
{
	index_file x;
	index_file *base = NULL;
	const char *why = NULL;
	void *map, *smap = NULL;
	size_t size, ssize = 0;
	int rc = index_map(index_path, &map, &size, &why);

	*gone = NULL;
	*ngone = 0;
	if (rc > 0 && (rc = index_parse(&x, map, size, &why)) == 0) {
		if (x.split) {
			if (shared_map(index_path, gitdir, &x, &smap, &ssize, &why) > 0) {
				rc = -1;
				if (!(base = malloc(sizeof(*base))))
					why = "out of memory";
				else if (index_parse(base, smap, ssize, &why) == 0) {
					if ((rc = index_merge_shared(&x, base, &why)) < 0)
						index_free(base);
				}
				if (rc < 0) {
					free(base);
					base = NULL;
				}
			} else {
				rc = -1;
			}
		}
		if (rc == 0) {
			rc = index_diff(odb, &x, head_tree, cb, payload, gone, ngone);
			if (rc < 0 && !git_error_last())
				print_safef(stderr, "sasguard: %s or HEAD's trees are damaged\n", index_path);
		}
		index_free(&x);
	}
	if (smap)
		munmap(smap, ssize);
	if (map)
		munmap(map, size);
	if (why && rc < 0)
		print_safef(stderr, "sasguard: cannot read the index %s: %s\n", index_path, why);
	return rc;
}
