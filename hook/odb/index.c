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

/* An entry's fixed part: stat data (40), object id, flags (2) */
#define ENTRY_FIXED(hashlen) (40 + (hashlen) + 2)
#define FLAG_EXTENDED 0x4000
#define FLAG_STAGE 0x3000
#define XFLAG_INTENT_TO_ADD 0x2000

static int parse_entries(index_file *x, uint32_t version, const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	size_t prev_len = 0, used = 0, cap = 0;
	const char *prev = NULL;
	const size_t fixed = ENTRY_FIXED(x->hashlen);

	if (version == 4 && !(x->paths = malloc(cap = (size_t)x->n * 32 + 4096)))
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		index_entry *e = &x->e[i];
		if ((size_t)(end - p) < fixed + 1)
			return -1;
		uint16_t flags = odb_be16(p + fixed - 2);
		size_t off = fixed;
		e->mode = odb_be32(p + 24);
		e->id = p + 40;
		e->stage = (unsigned)(flags & FLAG_STAGE) >> 12;
		e->skip = e->stage != 0;
		if (flags & FLAG_EXTENDED) {
			/* two more bytes of flags, and still a name's NUL after them */
			if (version < 3 || (size_t)(end - p) < fixed + 2 + 1)
				return -1;
			e->skip |= (odb_be16(p + fixed) & XFLAG_INTENT_TO_ADD) != 0;
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
		if ((size_t)(end - p) < x->hashlen)
			return -1;
		node->id = p;
		p += x->hashlen;
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
	if (len < x->hashlen)
		return -1;
	static const unsigned char zero[ODB_SHA256_LEN];
	x->split = memcmp(p, zero, x->hashlen) != 0; /* a null id: not split after all */
	memcpy(x->shared_id, p, x->hashlen);
	p += x->hashlen;
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
	if (base->split || base->hashlen != x->hashlen || (base->n && !(m.base = malloc(base->n * sizeof(*m.base)))) ||
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
	return index_parse_ids(x, buf, size, ODB_SHA1_LEN, why);
}

int index_parse_ids(index_file *x, const unsigned char *buf, size_t size, size_t hashlen, const char **why)
{
	const unsigned char *tree = NULL, *tree_end = NULL;

	memset(x, 0, sizeof(*x));
	x->hashlen = hashlen;
	if (hashlen != ODB_SHA1_LEN && hashlen != ODB_SHA256_LEN)
		return parse_fail(x, why, "an object id length git does not use");
	if (!buf || size < 12 + hashlen) /* an empty file is mapped as NULL */
		return parse_fail(x, why, "too short");
	const unsigned char *p = buf, *end = buf + size - hashlen; /* the trailing checksum */
	uint32_t version = odb_be32(p + 4);
	if (memcmp(p, "DIRC", 4) != 0 || version < 2 || version > 4)
		return parse_fail(x, why, "not an index of version 2, 3 or 4");
	x->n = odb_be32(p + 8);
	if (x->n > size / ENTRY_FIXED(hashlen) || !(x->e = calloc(x->n + 1, sizeof(*x->e))))
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
	raw_object obj;
	tree_cursor c;
} raw_tree;

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
	const index_diff_io *io;
	const index_file *x;
	size_t hashlen;
	size_t pos;
	char *path;
	size_t cap;
	size_t sparse_len;  /* while a sparse directory is diffed: its path's length */
	dir_state *dirs;          /* the directories open from the root down: a stack on the
			     * heap, since HEAD may nest deeper than ours could */
	size_t ndirs, capdirs;
} walk;

static int raw_open(walk *w, raw_tree *t, const unsigned char *id)
{
	memset(t, 0, sizeof(*t));
	if (!id)
		return tree_cursor_start_ids(&t->c, NULL, 0, w->hashlen);
	if (w->io->odb) {
		git_oid oid;
		git_oid_fromraw(&oid, id);
		if (git_odb_read(&t->obj.gobj, w->io->odb, &oid) < 0 || git_odb_object_type(t->obj.gobj) != GIT_OBJECT_TREE)
			return -1;
		t->obj.data = git_odb_object_data(t->obj.gobj);
		t->obj.len = git_odb_object_size(t->obj.gobj);
	} else if (!w->io->read_tree || w->io->read_tree(id, &t->obj, w->io->payload) < 0) {
		return -1;
	}
	return tree_cursor_start_ids(&t->c, t->obj.data, t->obj.len, w->hashlen);
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

/* One directory of a tree the index lacks whole, and its path's length. */
typedef struct gone_level {
	raw_tree t;
	size_t len;
} gone_level;

/*
 * A directory HEAD has at w->path (len bytes, ending in '/') where the index
 * has none: every file below it is gone too, as git diff-index lists them (a
 * directory renamed moves its tokens, it does not add them). A stack on the
 * heap: HEAD may nest as deep as it likes.
 */
static int gone_dir(walk *w, size_t len, const unsigned char *id)
{
	gone_level *st = malloc(sizeof(*st));
	size_t n = 0, cap = 1;
	int rc = 0;
	if (!st)
		return -1;
	if (raw_open(w, &st[0].t, id) < 0) {
		raw_object_release(&st[0].t.obj);
		free(st);
		return -1;
	}
	st[n++].len = len;
	while (rc == 0 && n) {
		gone_level *top = &st[n - 1];
		if (!top->t.c.valid) {
			raw_object_release(&top->t.obj);
			n--;
			continue;
		}
		tree_entry_raw e = top->t.c.e; /* its bytes stay in top's tree, held until popped */
		size_t at = top->len;
		if ((rc = tree_cursor_next(&top->t.c)) < 0 || (rc = path_room(w, at + e.len + 1)) < 0)
			break;
		memcpy(w->path + at, e.name, e.len);
		if (!tree_mode_is_tree(e.mode)) {
			w->path[at + e.len] = '\0';
			rc = w->io->gone(w->path, e.id, e.mode, w->io->payload);
			continue;
		}
		w->path[at + e.len] = '/';
		if (n == cap) {
			gone_level *more = realloc(st, 2 * cap * sizeof(*st));
			if (!more) {
				rc = -1;
				break;
			}
			st = more;
			cap *= 2;
		}
		if ((rc = raw_open(w, &st[n].t, e.id)) < 0) {
			raw_object_release(&st[n].t.obj);
			break;
		}
		st[n++].len = at + e.len + 1;
	}
	while (n)
		raw_object_release(&st[--n].t.obj);
	free(st);
	return rc;
}

/* HEAD's entry under d's cursor, which the index lacks: a file, or a
 * directory whose files all are gone. */
static int note_gone(walk *w, const dir_state *d)
{
	const tree_entry_raw *e = &d->h.c.e;
	if (!w->io->gone)
		return 0;
	if (set_path(w, d->prefix, d->plen) < 0 || path_room(w, d->plen + e->len + 1) < 0)
		return -1;
	memcpy(w->path + d->plen, e->name, e->len);
	w->path[d->plen + e->len] = '\0';
	if (tree_mode_is_tree(e->mode)) {
		w->path[d->plen + e->len] = '/';
		return gone_dir(w, d->plen + e->len + 1, e->id);
	}
	return w->io->gone(w->path, e->id, e->mode, w->io->payload);
}

/* Advances d's HEAD tree past names before name; what it passes the index lacks. */
static int head_seek(walk *w, dir_state *d, const char *name, size_t len, int dir)
{
	tree_cursor *c = &d->h.c;
	int rc = 0;
	while (rc == 0 && c->valid &&
	       tree_name_cmp(c->e.name, c->e.len, tree_mode_is_tree(c->e.mode), name, len, dir) < 0) {
		rc = note_gone(w, d);
		if (rc == 0)
			rc = tree_cursor_next(c);
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

/* tree_diff names what it finds from the top of the tree it diffs: a sparse
 * directory's path goes in front, so that reports and [allow] see the whole. */
static int in_sparse_dir(const char *path, const git_oid *old_entry_id, const git_oid *new_id, void *payload)
{
	walk *w = payload;
	size_t n = strlen(path);
	if (path_room(w, w->sparse_len + n) < 0)
		return -1;
	memcpy(w->path + w->sparse_len, path, n + 1);
	return w->io->changed(w->path, old_entry_id ? old_entry_id->id : NULL, new_id->id, w->io->payload);
}

/* A sparse index's directory entry ("dir/", mode 040000): its tree against
 * HEAD's, through libgit2 (tree_diff); without it, the caller asks git. */
static int sparse_dir(walk *w, const index_entry *e, const unsigned char *old)
{
	size_t len = e->len;
	if (!w->io->odb)
		return INDEX_DIFF_SPARSE;
	if (set_path(w, e->path, len) < 0 || path_room(w, len + 1) < 0)
		return -1;
	if (len && w->path[len - 1] != '/')
		w->path[len++] = '/';
	w->sparse_len = len;
	git_oid nid, oid;
	git_oid_fromraw(&nid, e->id);
	if (old)
		git_oid_fromraw(&oid, old);
	return tree_diff(w->io->odb, NULL, old ? &oid : NULL, &nid, in_sparse_dir, w);
}

static int one_entry(walk *w, dir_state *d, const index_entry *e, const char *name, size_t len)
{
	tree_cursor *c = &d->h.c;
	int rc = head_seek(w, d, name, len, tree_mode_is_tree(e->mode));
	if (rc < 0)
		return rc;
	const unsigned char *old = NULL;
	unsigned old_mode = 0;
	if (c->valid && c->e.len == len && memcmp(c->e.name, name, len) == 0) {
		old = c->e.id;
		old_mode = c->e.mode;
		/* a file where HEAD has a directory (or back): what HEAD had there is gone */
		if (tree_mode_is_tree(old_mode) != tree_mode_is_tree(e->mode) && (rc = note_gone(w, d)) < 0)
			return rc;
		rc = tree_cursor_next(c);
	}
	w->pos++;
	/* modes as git canonicalises them: a HEAD tree's 100600 or 040755 is a file or a directory */
	if (rc || e->skip ||
	    (old && tree_mode_kind(old_mode) == tree_mode_kind(e->mode) && memcmp(old, e->id, w->hashlen) == 0))
		return rc;
	if (tree_mode_is_tree(e->mode))
		return sparse_dir(w, e, old && tree_mode_is_tree(old_mode) ? old : NULL);
	if (tree_mode_kind(e->mode) == TREE_ENTRY_GITLINK)
		return 0; /* a gitlink: a submodule's commit, not content */
	if (set_path(w, e->path, e->len) < 0)
		return -1;
	return w->io->changed(w->path, old && tree_mode_is_blob(old_mode) ? old : NULL, e->id, w->io->payload);
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
	if (node && node->count >= 0 && head_id && memcmp(node->id, head_id, w->hashlen) == 0 &&
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
	if (raw_open(w, &d->h, head_id) < 0) {
		raw_object_release(&d->h.obj);
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
		return one_entry(w, d, e, rest, slash ? rlen - 1 : rlen);
	size_t nlen = (size_t)(slash - rest), depth = w->ndirs;
	int rc = head_seek(w, d, rest, nlen, 1);
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
		rc = note_gone(w, d);
		if (rc == 0)
			rc = tree_cursor_next(&d->h.c);
	}
	raw_object_release(&d->h.obj);
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

int index_diff_ids(const index_file *x, const unsigned char *head_tree, const index_diff_io *io)
{
	walk w;
	if (x->split) {
		git_error_set_str(GIT_ERROR_INDEX, "a split index without its shared index");
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.io = io;
	w.x = x;
	w.hashlen = x->hashlen;
	int rc = enter_dir(&w, x->root, "", 0, head_tree);
	while (rc == 0 && w.ndirs)
		rc = in_top_dir(&w) ? dir_step(&w) : dir_leave(&w);
	while (w.ndirs) /* after an error */
		raw_object_release(&w.dirs[--w.ndirs].h.obj);
	free(w.dirs);
	free(w.path);
	return rc;
}

/* index_diff's way into index_diff_ids: ids as git_oid, the gone ones listed. */
typedef struct oid_walk {
	tree_change_cb cb;
	void *payload;
	git_oid *gone;
	size_t ngone, capgone;
} oid_walk;

static int oid_changed(const char *path, const unsigned char *old, const unsigned char *new_id, void *payload)
{
	oid_walk *o = payload;
	git_oid nid, oid;
	git_oid_fromraw(&nid, new_id);
	if (old)
		git_oid_fromraw(&oid, old);
	return o->cb(path, old ? &oid : NULL, &nid, o->payload);
}

static int oid_gone(const char *path, const unsigned char *id, unsigned mode, void *payload)
{
	oid_walk *o = payload;
	(void)path;
	(void)mode;
	if (o->ngone == o->capgone) {
		size_t cap = o->capgone ? o->capgone * 2 : 16;
		git_oid *g = realloc(o->gone, cap * sizeof(*g));
		if (!g)
			return -1;
		o->gone = g;
		o->capgone = cap;
	}
	git_oid_fromraw(&o->gone[o->ngone++], id);
	return 0;
}

int index_diff(git_odb *odb, const index_file *x, const git_oid *head_tree, tree_change_cb cb, void *payload,
	       git_oid **gone, size_t *ngone)
{
	oid_walk o = { cb, payload, NULL, 0, 0 };
	index_diff_io io = { odb, NULL, oid_changed, oid_gone, &o };
	int rc = x->hashlen == ODB_SHA1_LEN ? index_diff_ids(x, head_tree ? head_tree->id : NULL, &io) : -1;
	*gone = o.gone;
	*ngone = o.ngone;
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
	char hex[2 * ODB_SHA256_LEN + 1], path[4096];
	odb_id_to_hex(x->shared_id, x->hashlen, hex);
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
	if (rc > 0 && (!*map || *size < x->hashlen ||
		       memcmp((const unsigned char *)*map + *size - x->hashlen, x->shared_id, x->hashlen) != 0)) {
		*why = "its shared index does not match the id it names";
		rc = -1;
	}
	return rc;
}

/* A split index: its shared index mapped, parsed and merged in. 0 or -1 with *why. */
static int load_shared(index_loaded *l, const char *index_path, const char *gitdir, const char **why)
{
	index_file *base;
	if (shared_map(index_path, gitdir, &l->x, &l->smap, &l->ssize, why) <= 0)
		return -1;
	if (!(base = malloc(sizeof(*base)))) {
		*why = "out of memory";
		return -1;
	}
	if (index_parse_ids(base, l->smap, l->ssize, l->x.hashlen, why) < 0) {
		free(base);
		return -1;
	}
	if (index_merge_shared(&l->x, base, why) < 0) {
		index_free(base);
		free(base);
		return -1;
	}
	return 0;
}

int index_load(index_loaded *l, const char *index_path, const char *gitdir, size_t hashlen, const char **why)
{
	memset(l, 0, sizeof(*l));
	*why = NULL;
	int rc = index_map(index_path, &l->map, &l->size, why);
	if (rc <= 0)
		return rc;
	if (index_parse_ids(&l->x, l->map, l->size, hashlen, why) < 0) { /* x is cleared */
		if (l->map)
			munmap(l->map, l->size);
		memset(l, 0, sizeof(*l));
		return -1;
	}
	if (l->x.split && load_shared(l, index_path, gitdir, why) < 0) {
		index_unload(l);
		return -1;
	}
	return 1;
}

void index_unload(index_loaded *l)
{
	index_free(&l->x);
	if (l->smap)
		munmap(l->smap, l->ssize);
	if (l->map)
		munmap(l->map, l->size);
	memset(l, 0, sizeof(*l));
}

int staged_changes(git_odb *odb, const char *index_path, const char *gitdir, const git_oid *head_tree,
		   tree_change_cb cb, void *payload, git_oid **gone, size_t *ngone)
{
	index_loaded l;
	const char *why = NULL;
	int rc = index_load(&l, index_path, gitdir, ODB_SHA1_LEN, &why);

	*gone = NULL;
	*ngone = 0;
	if (rc < 0) {
		print_safef(stderr, "sasguard: cannot read the index %s: %s\n", index_path, why);
		return -1;
	}
	if (rc == 0)
		return 0; /* no index file: an empty index */
	rc = index_diff(odb, &l.x, head_tree, cb, payload, gone, ngone);
	if (rc < 0 && !git_error_last())
		print_safef(stderr, "sasguard: %s or HEAD's trees are damaged\n", index_path);
	index_unload(&l);
	return rc;
}
