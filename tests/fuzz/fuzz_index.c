/*
 * fuzz_index.c - libFuzzer harness for hook/odb/index.c: the git index parser
 * (versions 2-4, extensions, the cache-tree) and the walk that compares the
 * index with HEAD's trees, read from an in-memory object database
 * (libgit2's mempack).
 *
 * The input is an index file, optionally followed by raw tree objects, each
 * after the separator "\nSGTREE\n": they are stored, and the first is HEAD's
 * tree. What must hold:
 *  - parsing, as a SHA-1 and as a SHA-256 index: every path ends in a NUL
 *    at its length, every id and cache-tree node lies within the input;
 *  - the walk against that HEAD returns 0 or -1, and each change it names is
 *    an entry's path with the entry's id, in the index's order, or lies
 *    under a sparse directory entry;
 *  - when the entries are as git writes them (sorted, each path once, valid
 *    in a tree, no sparse directories), HEAD is also built from them, in
 *    git's tree format, and the walk must find exactly: nothing against it;
 *    the one blob whose id HEAD has otherwise, with both ids; the one blob
 *    HEAD has that the index lacks, as gone; and every entry, in order,
 *    against no HEAD (an unborn branch). That holds without the cache-tree,
 *    and with it when its ids agree with the entries (git commits what the
 *    cache-tree says, so when they disagree the entries are not the commit).
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt) or, with
 * replay.c, as a plain program that replays files (tests/CMakeLists.txt).
 */
#include "odb.h"

#include <git2/sys/mempack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEP "\nSGTREE\n"
#define SEP_LEN 8
#define MAX_TREES 16

static git_odb *odb;
static git_odb_backend *mem;

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_index: invariant broken: %s\n", what);
	abort();
}

static void setup(void)
{
	git_libgit2_init();
	/* objects come and go with each input: an object cache would outlive them */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if (git_mempack_new(&mem) < 0 || git_odb_new(&odb) < 0 || git_odb_add_backend(odb, mem, 1) < 0)
		broken("no in-memory object database");
}

/* ---- what the walk reports -------------------------------------------------- */

typedef struct change {
	char *path;
	int has_old;
	git_oid old, new;
} change;

typedef struct changes {
	change *v;
	size_t n, cap;
} changes;

static int record(const char *path, const git_oid *old, const git_oid *new, void *payload)
{
	changes *c = payload;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		change *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	change *ch = &c->v[c->n];
	if (!(ch->path = strdup(path)))
		return -1;
	ch->has_old = old != NULL;
	if (old)
		git_oid_cpy(&ch->old, old);
	git_oid_cpy(&ch->new, new);
	c->n++;
	return 0;
}

static void changes_clear(changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Walks x against head (NULL: none); changes in *c, gone blobs in *gone. */
static int walk(const index_file *x, const git_oid *head, changes *c, git_oid **gone, size_t *ngone)
{
	memset(c, 0, sizeof(*c));
	int rc = index_diff(odb, x, head, record, c, gone, ngone);
	if (rc != 0 && rc != -1)
		broken("index_diff returned something other than 0 or -1");
	return rc;
}

/* ---- parsing ------------------------------------------------------------------ */

static int inside(const void *p, size_t n, const uint8_t *buf, size_t size)
{
	const uint8_t *q = p;
	return q >= buf && q <= buf + size && n <= (size_t)(buf + size - q);
}

static void check_parsed(const index_file *x, const uint8_t *buf, size_t size)
{
	for (size_t i = 0; i < x->n; i++) {
		const index_entry *e = &x->e[i];
		if (!e->path || strlen(e->path) != e->len)
			broken("a path that does not end in a NUL at its length");
		if (!inside(e->id, x->hashlen, buf, size))
			broken("an entry's id outside the input");
	}
	if (x->root && x->root != x->nodes)
		broken("the cache-tree's root is not its first node");
	for (size_t i = 0; x->root && i < x->nnodes; i++) {
		const ctnode *t = &x->nodes[i];
		if (t->span < 1 || t->span > x->nnodes - i)
			broken("a cache-tree node spans past the last one");
		if (!inside(t->name, t->len, buf, size) || (t->count >= 0 && !inside(t->id, x->hashlen, buf, size)))
			broken("a cache-tree node's name or id outside the input");
	}
}

/* ---- the walk against the input's own HEAD ------------------------------------- */

/* Modes as git canonicalises them (tree_mode_kind): any mode whose type bits
 * say directory is one, and any type that is neither file, link nor directory
 * is a gitlink, whatever else a crafted index holds in the word. */
static int is_sparse(const index_entry *e)
{
	return tree_mode_is_tree(e->mode);
}

/* Whether path lies under the sparse directory entry e ("dir/"; "" or "/"
 * is the top, whose paths have nothing in front). */
static int under_sparse(const char *path, const index_entry *e)
{
	size_t n = e->len - (e->len && e->path[e->len - 1] == '/');
	if (n == 0)
		return path[0] != '\0';
	return strncmp(path, e->path, n) == 0 && path[n] == '/' && path[n + 1];
}

static void check_walk(const index_file *x, const git_oid *head)
{
	changes c;
	git_oid *gone = NULL;
	size_t ngone, next = 0;
	walk(x, head, &c, &gone, &ngone);
	for (size_t i = 0; i < c.n; i++) {
		const change *ch = &c.v[i];
		size_t j = next;
		while (j < x->n && (x->e[j].skip || is_sparse(&x->e[j]) || strcmp(x->e[j].path, ch->path) != 0 ||
				    !git_oid_equal(&ch->new, (const git_oid *)x->e[j].id)))
			j++;
		if (j < x->n) {
			next = j + 1;
			continue;
		}
		int sparse = 0;
		for (size_t k = 0; k < x->n && !sparse; k++)
			sparse = is_sparse(&x->e[k]) && !x->e[k].skip && under_sparse(ch->path, &x->e[k]);
		if (!sparse)
			broken("a change that is no entry's (path and id, in order) nor under a sparse directory");
	}
	changes_clear(&c);
	free(gone);
}

/* ---- HEAD built from the entries, as git would ---------------------------------- */

/* Index order: bytes, then length (git's cache_name_compare). */
static int path_cmp(const index_entry *a, const index_entry *b)
{
	int c = memcmp(a->path, b->path, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Entries as git writes them: sorted, each path once, no sparse directories,
 * paths a tree can hold (no empty component, no leading or trailing '/', no
 * file where another entry has a directory), nothing starting with 0xff (the
 * name of the extra blob below). */
static int entries_plain(const index_file *x)
{
	for (size_t i = 0; i < x->n; i++) {
		const index_entry *e = &x->e[i];
		if (is_sparse(e) || e->len == 0 || e->path[0] == '/' || e->path[e->len - 1] == '/' ||
		    strstr(e->path, "//") || (unsigned char)e->path[0] == 0xff)
			return 0;
		if (i > 0 && path_cmp(&x->e[i - 1], e) >= 0)
			return 0;
		/* "a/..." sorts after "a" and whatever follows "a" with a byte below '/' */
		for (size_t j = i + 1; j < x->n && x->e[j].len > e->len && memcmp(x->e[j].path, e->path, e->len) == 0; j++)
			if (x->e[j].path[e->len] == '/')
				return 0;
	}
	return 1;
}

typedef struct tree_buf {
	const char *path; /* the entry's path its name is in */
	const char *name;
	size_t len;
	char *buf; /* the raw tree so far */
	size_t size, cap;
} tree_buf;

static int tb_add(tree_buf *t, const char *mode, const char *name, size_t len, const unsigned char *id)
{
	size_t need = t->size + strlen(mode) + 1 + len + 1 + 20;
	if (need > t->cap) {
		size_t cap = need * 2;
		char *b = realloc(t->buf, cap);
		if (!b)
			return -1;
		t->buf = b;
		t->cap = cap;
	}
	t->size += (size_t)sprintf(t->buf + t->size, "%s ", mode);
	memcpy(t->buf + t->size, name, len);
	t->size += len;
	t->buf[t->size++] = '\0';
	memcpy(t->buf + t->size, id, 20);
	t->size += 20;
	return 0;
}

/* The directories of HEAD built here: each one's path and tree id. */
typedef struct dirs {
	const char **path;
	size_t *len;
	git_oid *id;
	size_t n, cap;
} dirs;

static int dirs_add(dirs *d, const char *path, size_t len, const git_oid *id)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		const char **p = realloc(d->path, cap * sizeof(*p));
		if (p)
			d->path = p;
		size_t *l = p ? realloc(d->len, cap * sizeof(*l)) : NULL;
		if (l)
			d->len = l;
		git_oid *i = l ? realloc(d->id, cap * sizeof(*i)) : NULL;
		if (!i)
			return -1;
		d->id = i;
		d->cap = cap;
	}
	d->path[d->n] = path;
	d->len[d->n] = len;
	git_oid_cpy(&d->id[d->n++], id);
	return 0;
}

static void dirs_free(dirs *d)
{
	free(d->path);
	free(d->len);
	free(d->id);
	memset(d, 0, sizeof(*d));
}

/* Writes the top of the stack as a tree and adds it to its parent (and to
 * seen, when not NULL). */
static int tb_close(tree_buf *st, size_t *depth, git_oid *root, dirs *seen)
{
	tree_buf *t = &st[--*depth];
	git_oid id;
	int rc = git_odb_write(&id, odb, t->size ? t->buf : "", t->size, GIT_OBJECT_TREE);
	if (rc == 0 && seen)
		rc = dirs_add(seen, t->path ? t->path : "", t->path ? (size_t)(t->name + t->len - t->path) : 0, &id);
	if (rc == 0 && *depth)
		rc = tb_add(&st[*depth - 1], "40000", t->name, t->len, id.id);
	if (rc == 0 && !*depth)
		git_oid_cpy(root, &id);
	free(t->buf);
	memset(t, 0, sizeof(*t));
	return rc;
}

static const unsigned char EXTRA_ID[20] = { 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
					    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a };

/*
 * HEAD's tree from the entries git commits (all but skipped ones), written
 * to the object database: entry alter (when < n) with another blob id, and
 * an extra blob at the end of the root when extra is set. Each directory's
 * path and tree id go to seen (when not NULL).
 */
static void build_head(const index_file *x, size_t alter, int extra, git_oid *root, dirs *seen)
{
	size_t depth = 1, cap = 16;
	tree_buf *st = calloc(cap, sizeof(*st));
	int rc = st ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < x->n; i++) {
		const index_entry *e = &x->e[i];
		if (e->skip)
			continue;
		/* close the directories this path is not in, open those it is */
		const char *p = e->path, *slash;
		size_t keep = 1;
		while (keep < depth && (slash = memchr(p, '/', e->len - (size_t)(p - e->path))) &&
		       (size_t)(slash - p) == st[keep].len && memcmp(p, st[keep].name, st[keep].len) == 0) {
			p = slash + 1;
			keep++;
		}
		while (rc == 0 && depth > keep)
			rc = tb_close(st, &depth, root, seen);
		while (rc == 0 && (slash = memchr(p, '/', e->len - (size_t)(p - e->path)))) {
			if (depth == cap) {
				tree_buf *more = realloc(st, cap * 2 * sizeof(*st));
				if (!more) {
					rc = -1;
					break;
				}
				memset(more + cap, 0, cap * sizeof(*st));
				st = more;
				cap *= 2;
			}
			st[depth++] = (tree_buf){ .path = e->path, .name = p, .len = (size_t)(slash - p) };
			p = slash + 1;
		}
		if (rc)
			break;
		unsigned char id[20];
		char mode[16];
		memcpy(id, e->id, 20);
		if (i == alter)
			id[0] ^= 1;
		snprintf(mode, sizeof(mode), "%o", e->mode);
		rc = tb_add(&st[depth - 1], mode, p, e->len - (size_t)(p - e->path), id);
	}
	while (rc == 0 && depth > 1)
		rc = tb_close(st, &depth, root, seen);
	if (rc == 0 && extra)
		rc = tb_add(&st[0], "100644", "\377\377\377", 3, EXTRA_ID);
	if (rc == 0)
		rc = tb_close(st, &depth, root, seen);
	while (depth)
		free(st[--depth].buf);
	free(st);
	if (rc < 0)
		broken("out of memory building HEAD"); /* rare, and not the code under test */
}

/* The entries a commit takes and the walk names against no HEAD. */
static int reported(const index_entry *e)
{
	return !e->skip && tree_mode_is_blob(e->mode);
}

/*
 * Whether every valid node of the cache-tree names a directory HEAD (built
 * from the entries) has, with the same tree id. A cache-tree that says
 * otherwise is what git itself would commit, not the entries: the walk
 * rightly follows it, and the oracles below then do not hold.
 */
static int cache_tree_agrees(const index_file *x, const dirs *built)
{
	size_t *end = calloc(x->nnodes + 1, sizeof(*end)), *plen = calloc(x->nnodes + 1, sizeof(*plen));
	size_t room = 1, depth = 0;
	for (size_t i = 0; i < x->nnodes; i++)
		room += x->nodes[i].len + 1;
	char *path = end && plen ? malloc(room) : NULL;
	int agree = path != NULL;
	for (size_t i = 0; agree && i < x->nnodes; i++) {
		const ctnode *t = &x->nodes[i];
		while (depth && i >= end[depth - 1])
			depth--;
		size_t at = depth ? plen[depth - 1] : 0, len = 0;
		if (i > 0) { /* the root is the top, whatever its name */
			if (at)
				path[at++] = '/';
			memcpy(path + at, t->name, t->len);
			len = at + t->len;
		}
		if (t->count >= 0) {
			size_t k = 0;
			while (k < built->n && (built->len[k] != len || memcmp(built->path[k], path, len) != 0))
				k++;
			agree = k < built->n && memcmp(built->id[k].id, t->id, 20) == 0;
		}
		end[depth] = i + t->span;
		plen[depth++] = len;
	}
	free(end);
	free(plen);
	free(path);
	return agree;
}

/* The oracles of the opening comment, on x with or without its cache-tree. */
static void oracles(const index_file *x, const uint8_t *data, size_t size)
{
	changes c;
	git_oid head, *gone = NULL;
	size_t ngone;

	/* HEAD is the index: nothing changed, nothing gone. */
	build_head(x, SIZE_MAX, 0, &head, NULL);
	if (walk(x, &head, &c, &gone, &ngone) != 0 || c.n || ngone)
		broken("an index equal to HEAD gives changes");
	changes_clear(&c);
	free(gone);

	/* No HEAD: every entry a commit takes, in order, as new. */
	size_t want = 0;
	if (walk(x, NULL, &c, &gone, &ngone) != 0 || ngone)
		broken("an index against no HEAD fails, or finds blobs gone");
	for (size_t i = 0; i < x->n; i++) {
		if (!reported(&x->e[i]))
			continue;
		const change *ch = want < c.n ? &c.v[want] : NULL;
		if (!ch || strcmp(ch->path, x->e[i].path) != 0 || ch->has_old ||
		    !git_oid_equal(&ch->new, (const git_oid *)x->e[i].id))
			broken("against no HEAD, the changes are not the entries in order");
		want++;
	}
	if (want != c.n)
		broken("against no HEAD, more changes than entries");
	changes_clear(&c);
	free(gone);
	if (!want)
		return;

	/* One blob otherwise in HEAD: that change alone, with both ids. */
	size_t pick = (size > 0 ? data[size - 1] : 0) % want, alter = 0;
	for (size_t seen = 0; alter < x->n; alter++)
		if (reported(&x->e[alter]) && seen++ == pick)
			break;
	const index_entry *e = &x->e[alter];
	build_head(x, alter, 0, &head, NULL);
	if (walk(x, &head, &c, &gone, &ngone) != 0 || ngone || c.n != 1)
		broken("HEAD with one blob changed gives other than one change");
	unsigned char old[20];
	memcpy(old, e->id, 20);
	old[0] ^= 1;
	if (strcmp(c.v[0].path, e->path) != 0 || !git_oid_equal(&c.v[0].new, (const git_oid *)e->id) ||
	    c.v[0].has_old != tree_mode_is_blob(e->mode) || (c.v[0].has_old && memcmp(c.v[0].old.id, old, 20) != 0))
		broken("HEAD with one blob changed names another change");
	changes_clear(&c);
	free(gone);

	/* One blob more in HEAD: gone, and nothing else. */
	build_head(x, SIZE_MAX, 1, &head, NULL);
	if (walk(x, &head, &c, &gone, &ngone) != 0 || c.n || ngone != 1 || memcmp(gone[0].id, EXTRA_ID, 20) != 0)
		broken("HEAD with a blob more is not that blob gone");
	changes_clear(&c);
	free(gone);
}

/* The oracles without the cache-tree, and with it when it agrees with the entries. */
static void check_built(const index_file *x, const uint8_t *data, size_t size)
{
	index_file plain = *x;
	dirs built = { 0 };
	git_oid head;

	if (x->split) {
		/* without its shared index a split index is refused, never half-read */
		changes c;
		git_oid *gone = NULL;
		size_t ngone;
		if (walk(x, NULL, &c, &gone, &ngone) != -1 || c.n)
			broken("a split index diffed without its shared index");
		changes_clear(&c);
		free(gone);
		return;
	}
	if (!entries_plain(x))
		return;
	plain.root = NULL;
	oracles(&plain, data, size);
	build_head(x, SIZE_MAX, 0, &head, &built);
	if (x->root && cache_tree_agrees(x, &built))
		oracles(x, data, size);
	dirs_free(&built);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *cut = memmem(data, size, SEP, SEP_LEN);
	size_t ilen = cut ? (size_t)(cut - data) : size;
	uint8_t *idx = malloc(ilen ? ilen : 1); /* exact size: a read past it is caught */
	git_oid head, tid;
	int have_head = 0;
	index_file x;
	const char *why = NULL;

	if (!odb)
		setup();
	if (!idx)
		return 0;
	memcpy(idx, data, ilen);
	/* the trees after the index, the first of them HEAD's */
	for (int t = 0; cut && t < MAX_TREES; t++) {
		const uint8_t *tree = cut + SEP_LEN;
		cut = memmem(tree, (size_t)(end - tree), SEP, SEP_LEN);
		size_t tlen = (size_t)((cut ? cut : end) - tree);
		if (git_odb_write(&tid, odb, tlen ? tree : (const uint8_t *)"", tlen, GIT_OBJECT_TREE) == 0 && !have_head++)
			git_oid_cpy(&head, &tid);
	}
	if (index_parse(&x, idx, ilen, &why) == 0) {
		check_parsed(&x, idx, ilen);
		check_walk(&x, have_head ? &head : NULL);
		check_built(&x, data, size);
		index_free(&x);
	} else if (!why || !*why) {
		broken("an index refused without a reason");
	}
	/* the same bytes as a SHA-256 repository's index (32-byte ids) */
	if (index_parse_ids(&x, idx, ilen, ODB_SHA256_LEN, &why) == 0) {
		check_parsed(&x, idx, ilen);
		index_free(&x);
	} else if (!why || !*why) {
		broken("a SHA-256 index refused without a reason");
	}
	git_mempack_reset(mem);
	free(idx);
	return 0;
}
