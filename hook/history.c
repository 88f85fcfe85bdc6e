/*
 * history.c - `sasguard --all-history [PATH]`: every object of the repository
 * is read once, blobs (and commit and tag messages) scanned by --threads
 * workers fed through a bounded queue, so memory stays flat however long the
 * history. Only blobs holding a finding are then attributed, by one walk
 * from the oldest commit, to the commit and path that introduced them.
 */
#include "gitscan.h"

/* Each attribution thread keeps this much of resolved trees and commits, so
 * that a tree version is one delta from its cached neighbour, not a chain. */
#define PACK_CACHE_BUDGET ((size_t)32 << 20)

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

typedef struct history history;

struct history {
	cli_opts *o;
	git_repository *repo;
	git_odb *odb;
	const sg_policy *policy;
	int nworkers;
	int progress;         /* a terminal on stderr: show a \r progress line */
	report *report;
	report_stats st;
	sg_baseline *baseline; /* owned; may be NULL */
	pack_store *packs;     /* owned; may be NULL (libgit2 reads everything then) */
	scan_result res;       /* what phase 1 found */
	missing miss;          /* reachable objects the repository lacks */
	oidset shallow;        /* the commits of .git/shallow: their parents are absent by design */
	/* --state: what earlier audits judged, and this repository's place in it */
	state *state;              /* NULL without --state */
	unsigned char policy_digest[32];
	const state_repo *skip;    /* the objects judged clean before (same policy), or NULL */
	char state_key[4096];
	unsigned char refs_digest[32];
	unsigned long long skipped; /* objects not read again */
	/* a repository libgit2 cannot open and git reads (SHA-256): plumb_history.c */
	char plumb_gitdir[4096], plumb_top[4096];
};

/* An attribution: the oldest commit and path that hold a flagged blob, and
 * the oldest sighting at a path no [allow] path glob covers: an allowance
 * holds per path, so a blob allowed as a fixture and copied elsewhere is
 * reported at the copy. Only flagged blobs carry this, so it stays cheap. */
typedef struct origin {
	git_oid blob;
	git_oid commit;
	char *path;
	size_t rank; /* the commit's place in the parents-first order: lower is older */
	git_oid ucommit;
	char *upath;  /* NULL when every sighting is at an allowed path */
	size_t urank;
} origin;

static void origin_free(origin *o)
{
	if (!o)
		return;
	free(o->path);
	free(o->upath);
	free(o);
}

static int push_oid(git_oid **v, size_t *n, size_t *cap, const git_oid *id)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		git_oid *p = realloc(*v, c * sizeof(*p));
		if (!p)
			return -1;
		*v = p;
		*cap = c;
	}
	git_oid_cpy(&(*v)[(*n)++], id);
	return 0;
}

/* An object database of its own for one thread (see scanpool.c). */
static int thread_odb(void *ctx, git_repository **repo, git_odb **odb)
{
	history *h = ctx;
	if (git_repository_open_ext(repo, git_repository_path(h->repo), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0 ||
	    git_repository_odb(odb, *repo) < 0) {
		git_fail("opening the repository for a thread");
		return -1;
	}
	return 0;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

typedef struct producer {
	history *h;
	scan_pool *pool;
	unsigned long long n;
	struct timespec start, last;
} producer;

static int enqueue(const git_oid *id, git_object_t type, size_t size, void *payload)
{
	producer *pr = payload;
	if (pr->h->skip && type != GIT_OBJECT_TREE && state_judged(pr->h->skip, id)) {
		pr->h->skipped++; /* judged clean by an earlier audit, under the same policy */
		return 0;
	}
	scan_pool_add(pr->pool, id, type, size);
	if (pr->h->progress && (++pr->n & 4095) == 0 && seconds_since(&pr->last) > 0.2) {
		clock_gettime(CLOCK_MONOTONIC, &pr->last);
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s", pr->n, seconds_since(&pr->start));
	}
	return 0;
}

/* Phase 1: every object once, in pack order, across the workers. */
static int scan_all_objects(history *h)
{
	scan_pool_cfg cfg = { h->o, h->policy, h->baseline, h->nworkers, h->state != NULL, thread_odb, h, NULL, NULL };
	producer pr = { h, scan_pool_start(&cfg), 0, { 0 }, { 0 } };
	int rc = 0;

	if (!pr.pool)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	pr.last = pr.start;
	if (odb_foreach_in_pack_order(h->repo, h->odb, enqueue, &pr) < 0) {
		git_fail("listing the objects");
		rc = -1;
	}
	if (scan_pool_finish(pr.pool, &h->res) < 0)
		rc = -1;
	if (h->progress)
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s\n", pr.n, seconds_since(&pr.start));
	h->st.files += h->res.st.files;
	h->st.binary_skipped += h->res.st.binary_skipped;
	h->st.large_skipped += h->res.st.large_skipped;
	h->st.lfs_skipped += h->res.st.lfs_skipped;
	h->st.errors += h->res.st.errors;
	/* listed by the object database, then gone: a repository changing under the scan */
	for (size_t i = 0; i < h->res.nmissing; i++)
		if (missing_add(&h->miss, &h->res.missing[i], GIT_OBJECT_INVALID, NULL) < 0)
			rc = -1;
	return rc | (h->res.failed ? -1 : 0);
}

/* ---- phase 2: attribution ------------------------------------------------ */

/* One thread's share of the walk: commits order[from..to), newest first. */
typedef struct attrib {
	history *h;
	const oidset *flagged; /* shared, read only */
	missing *miss;         /* shared, thread-safe */
	oidset found;          /* blob -> origin*, this thread's oldest sighting */
	tree_cache *cache;
	git_repository *repo; /* its own, as the scanning workers' */
	git_odb *odb;
	const git_oid *order;
	size_t from, to;
	const git_oid *commit;
	size_t rank;
	int failed, warned;
	pthread_t thread;
} attrib;

/* A commit adds blob new at path: the oldest such commit is the origin. The
 * walk goes newest first, so each sighting replaces the one before. */
static int on_blob(const char *path, const git_oid *old, const git_oid *new, void *payload)
{
	attrib *a = payload;
	int added;
	(void)old;
	if (!oidset_get(a->flagged, new)) {
		/* every reachable blob passes here: one the repository lacks was never scanned */
		if (!git_odb_exists_ext(a->odb, new, GIT_ODB_LOOKUP_NO_REFRESH))
			return missing_add(a->miss, new, GIT_OBJECT_BLOB, path);
		if (!state_judged(a->h->skip, new)) /* read by this run, not an earlier audit */
			trace_blob(new);
		return 0;
	}
	trace_blob(new);
	oidset_entry *e = oidset_add(&a->found, new, &added);
	if (!e)
		return -1;
	origin *o = e->value;
	if (!o && !(o = e->value = calloc(1, sizeof(*o))))
		return -1;
	char *p = strdup(path);
	if (!p)
		return -1;
	free(o->path);
	o->path = p;
	git_oid_cpy(&o->blob, new);
	git_oid_cpy(&o->commit, a->commit);
	o->rank = a->rank;
	if (a->h->policy->nallow_paths && sg_policy_path_allowed(a->h->policy, path))
		return 0;
	if (!(p = strdup(path)))
		return -1;
	free(o->upath);
	o->upath = p;
	git_oid_cpy(&o->ucommit, a->commit);
	o->urank = a->rank;
	return 0;
}

/* A tree the walk cannot read: counted, and the walk goes on without it. */
static int walk_missing(const char *path, const git_oid *tree, int damaged, void *payload)
{
	attrib *a = payload;
	if (damaged) {
		if (!a->warned++)
			git_fail("reading a tree");
		missing_damaged(a->miss);
		git_error_clear();
		return 0;
	}
	git_error_clear();
	return missing_add(a->miss, tree, GIT_OBJECT_TREE, path);
}

/* A commit's tree and first parent, from its raw text (thread-safe: the
 * thread's own odb and cache). */
static int commit_links(attrib *a, const git_oid *id, git_oid *tree, git_oid *parent, int *has_parent)
{
	raw_object o;
	int rc = -1;
	*has_parent = 0;
	if (raw_object_read(a->odb, a->cache, id, &o) < 0)
		return -1;
	const char *d = (const char *)o.data;
	size_t n = o.len;
	if (o.type == GIT_OBJECT_COMMIT && n >= 46 && memcmp(d, "tree ", 5) == 0 &&
	    git_oid_fromstrn(tree, d + 5, GIT_OID_HEXSZ) == 0) {
		rc = 0;
		if (n >= 94 && memcmp(d + 46, "parent ", 7) == 0 && git_oid_fromstrn(parent, d + 53, GIT_OID_HEXSZ) == 0)
			*has_parent = 1;
	}
	raw_object_release(&o);
	if (rc < 0)
		git_error_set_str(GIT_ERROR_OBJECT, "not a commit");
	return rc;
}

static int attribute_commit(attrib *a, const git_oid *id)
{
	git_oid tree, parent, ptree, unused;
	int has_parent, has_grandparent;
	const git_oid *old = NULL;

	if (commit_links(a, id, &tree, &parent, &has_parent) < 0)
		return -1;
	/* A shallow commit's parents are absent by design: its tree is all it adds.
	 * A parent that is missing otherwise was counted by the commit walk. */
	if (has_parent && !oidset_get(&a->h->shallow, id)) {
		if (commit_links(a, &parent, &ptree, &unused, &has_grandparent) == 0)
			old = &ptree;
		else
			git_error_clear();
	}
	a->commit = id;
	return tree_diff_ext(a->odb, a->cache, old, &tree, on_blob, walk_missing, a);
}

static void *attribute_range(void *arg)
{
	attrib *a = arg;
	for (size_t i = a->to; i-- > a->from;) {
		a->rank = i;
		if (attribute_commit(a, &a->order[i]) < 0) {
			char what[GIT_OID_HEXSZ + 32] = "reading commit ";
			git_oid_tostr(what + strlen(what), GIT_OID_HEXSZ + 1, &a->order[i]);
			git_fail(what);
			a->failed = 1;
			break;
		}
	}
	return NULL;
}

/* One commit on the walk's stack: its id and the next parent to visit. */
typedef struct frame {
	git_oid id;
	unsigned next;
} frame;

typedef struct topo {
	history *h;
	oidset seen;
	frame *stack;
	size_t depth, cap;
	git_oid *order;   /* every commit, parents before children */
	size_t n, capn;
} topo;

static int topo_push(topo *t, const git_oid *id)
{
	int added;
	if (!oidset_add(&t->seen, id, &added))
		return -1;
	if (!added)
		return 0;
	if (t->depth == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		frame *f = realloc(t->stack, cap * sizeof(*f));
		if (!f)
			return -1;
		t->stack = f;
		t->cap = cap;
	}
	git_oid_cpy(&t->stack[t->depth].id, id);
	t->stack[t->depth++].next = 0;
	return 0;
}

/* A commit that is there but cannot be read: said once, counted, skipped. */
static int damaged_commit(topo *t, const git_oid *id)
{
	char what[GIT_OID_HEXSZ + 32] = "cannot read commit ";
	git_oid_tostr(what + strlen(what), GIT_OID_HEXSZ + 1, id);
	if (!t->h->miss.damaged)
		git_fail(what);
	git_error_clear();
	missing_damaged(&t->h->miss);
	return 1;
}

/* The next parent of commit id to visit (0 when none is left), read raw. 1 when
 * the commit is missing or damaged (counted), -1 on an error. */
static int next_parent(topo *t, const git_oid *id, unsigned k, git_oid *out, int *has)
{
	git_odb_object *o = NULL;
	commit_info ci;
	*has = 0;
	if (git_odb_read(&o, t->h->odb, id) < 0) {
		if (raw_object_missing(t->h->odb, id) != 1)
			return damaged_commit(t, id);
		git_error_clear();
		return missing_add(&t->h->miss, id, GIT_OBJECT_COMMIT, NULL) < 0 ? -1 : 1;
	}
	int rc = git_odb_object_type(o) == GIT_OBJECT_COMMIT
		 ? commit_parse(git_odb_object_data(o), git_odb_object_size(o), &ci) : -1;
	git_odb_object_free(o);
	if (rc < 0) {
		git_error_set_str(GIT_ERROR_OBJECT, "not a commit");
		return damaged_commit(t, id);
	}
	if (k < ci.nparents && !oidset_get(&t->h->shallow, id)) {
		*out = ci.parents[k];
		*has = 1;
	}
	commit_info_clear(&ci);
	return 0;
}

/*
 * Lists every commit reachable from tip, parents before children (DFS post
 * order). Not libgit2's revwalk: in 1.5 it knows nothing of shallow clones
 * and stops at the first missing parent; here a shallow commit has no
 * parents, and a missing commit is counted and the walk goes on.
 */
static int topo_walk(topo *t, const git_oid *tip)
{
	if (topo_push(t, tip) < 0)
		return -1;
	while (t->depth) {
		frame *f = &t->stack[t->depth - 1];
		git_oid parent;
		int has, rc = next_parent(t, &f->id, f->next, &parent, &has);
		if (rc < 0)
			return -1;
		if (rc == 1) { /* missing: not part of the order */
			t->depth--;
			continue;
		}
		if (has) {
			f->next++;
			if (topo_push(t, &parent) < 0)
				return -1;
			continue;
		}
		if (push_oid(&t->order, &t->n, &t->capn, &f->id) < 0)
			return -1;
		t->depth--;
	}
	return 0;
}

/* Where the walk starts: the commits the refs peel to, and the trees and
 * blobs a ref (or a chain of tags) points at instead. */
typedef struct other_tip {
	git_oid id;
	git_object_t type;
	char *ref;
} other_tip;

typedef struct tips {
	history *h;
	git_oid *v;
	size_t n, cap;
	other_tip *other;
	size_t nother, capother;
} tips;

/* Follows id through its tags to the end, however long the chain. */
static int peel_tip(tips *t, const git_oid *id, const char *name)
{
	git_oid cur = *id;
	git_object_t kind = GIT_OBJECT_INVALID;
	for (;;) {
		git_odb_object *o = NULL;
		tag_info tag;
		if (git_odb_read(&o, t->h->odb, &cur) < 0) {
			if (raw_object_missing(t->h->odb, &cur) != 1) {
				git_fail("reading what a ref points at");
				missing_damaged(&t->h->miss);
				return 0;
			}
			git_error_clear();
			return missing_add(&t->h->miss, &cur, kind, NULL);
		}
		git_object_t type = git_odb_object_type(o);
		int rc = type == GIT_OBJECT_TAG ? tag_parse(git_odb_object_data(o), git_odb_object_size(o), &tag) : 0;
		git_odb_object_free(o);
		if (rc < 0) {
			git_fail("reading a tag a ref points at");
			missing_damaged(&t->h->miss);
			return 0;
		}
		if (type == GIT_OBJECT_COMMIT)
			return push_oid(&t->v, &t->n, &t->cap, &cur);
		if (type != GIT_OBJECT_TAG) {
			if (t->nother == t->capother) {
				size_t cap = t->capother ? t->capother * 2 : 8;
				other_tip *v = realloc(t->other, cap * sizeof(*v));
				if (!v)
					return -1;
				t->other = v;
				t->capother = cap;
			}
			other_tip *e = &t->other[t->nother];
			e->id = cur;
			e->type = type;
			if (!(e->ref = strdup(name)))
				return -1;
			t->nother++;
			return 0;
		}
		kind = tag.type;
		cur = tag.target;
	}
}

static int collect_tip(git_reference *ref, void *payload)
{
	tips *t = payload;
	int rc = 0;
	/* a symbolic ref names another ref, which is listed too */
	if (git_reference_type(ref) == GIT_REFERENCE_DIRECT)
		rc = peel_tip(t, git_reference_target(ref), git_reference_name(ref));
	git_reference_free(ref);
	return rc;
}

static void tips_free(tips *t)
{
	for (size_t i = 0; i < t->nother; i++)
		free(t->other[i].ref);
	free(t->other);
	free(t->v);
}

/* The repository's shallow boundary ($GIT_DIR/shallow), into h->shallow. */
static int read_shallow(history *h)
{
	char path[4096], line[128];
	snprintf(path, sizeof(path), "%sshallow", git_repository_commondir(h->repo));
	FILE *f = fopen(path, "r");
	int rc = 0;
	while (f && rc == 0 && fgets(line, sizeof(line), f)) {
		git_oid id;
		if (git_oid_fromstrn(&id, line, GIT_OID_HEXSZ) == 0 && !oidset_add(&h->shallow, &id, NULL))
			rc = -1;
	}
	if (f)
		fclose(f);
	return rc;
}

static int cmp_origin(const void *x, const void *y)
{
	const origin *a = *(origin *const *)x, *b = *(origin *const *)y;
	return a->rank < b->rank ? -1 : a->rank > b->rank ? 1 : strcmp(a->path, b->path);
}

/* The commits reachable from the refs and HEAD, parents first; NULL on error. */
static git_oid *list_commits(history *h, tips *tp, size_t *n)
{
	topo t;
	git_reference *head = NULL;
	git_oid *order = NULL;

	memset(&t, 0, sizeof(t));
	t.h = h;
	oidset_init(&t.seen);
	if (read_shallow(h) < 0 || git_reference_foreach(h->repo, collect_tip, tp) < 0) {
		git_fail("listing the refs");
		goto out;
	}
	/* A detached HEAD is reachable too. */
	if (git_repository_head_detached(h->repo) == 1 && git_repository_head(&head, h->repo) == 0 &&
	    collect_tip(head, tp) < 0) {
		git_fail("reading HEAD");
		goto out;
	}
	git_error_clear();
	for (size_t i = 0; i < tp->n; i++)
		if (topo_walk(&t, &tp->v[i]) < 0) {
			git_fail("walking the history");
			goto out;
		}
	order = t.order ? t.order : calloc(1, sizeof(*order));
	t.order = NULL;
	*n = t.n;
out:
	free(t.stack);
	free(t.order);
	oidset_free(&t.seen);
	return order;
}

static int tip_blob(const char *path, const git_oid *id, void *payload)
{
	return on_blob(path, NULL, id, payload);
}

/* The trees and blobs refs point at: reachable content like any commit's. */
static int walk_other_tips(attrib *a, const tips *tp)
{
	static const git_oid none;
	char prefix[4096];
	a->commit = &none;
	for (size_t i = 0; i < tp->nother; i++) {
		const other_tip *o = &tp->other[i];
		tree_walk_cbs cbs = { tip_blob, NULL, walk_missing, a };
		a->rank = SIZE_MAX - tp->nother + i; /* after every commit */
		snprintf(prefix, sizeof(prefix), "%s:", o->ref);
		int rc = o->type == GIT_OBJECT_TREE ? tree_walk(a->odb, a->cache, &o->id, prefix, &cbs)
						    : on_blob(o->ref, NULL, &o->id, a);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Moves a thread's sightings into best, the oldest of each blob winning. */
static int merge_found(attrib *a, oidset *best)
{
	int rc = 0;
	for (size_t k = 0; k < a->found.cap; k++) {
		oidset_entry *e = &a->found.slots[k];
		if (!e->used)
			continue;
		origin *o = e->value;
		int added;
		oidset_entry *b = oidset_add(best, &e->id, &added);
		if (!b) {
			rc = -1;
			origin_free(o);
			continue;
		}
		origin *cur = b->value;
		if (!cur) {
			b->value = o;
			continue;
		}
		/* the oldest sighting, and the oldest at a path not allowed, each on its own */
		if (o->rank < cur->rank) {
			char *t = cur->path;
			cur->path = o->path;
			o->path = t;
			cur->commit = o->commit;
			cur->rank = o->rank;
		}
		if (o->upath && (!cur->upath || o->urank < cur->urank)) {
			char *t = cur->upath;
			cur->upath = o->upath;
			o->upath = t;
			cur->ucommit = o->ucommit;
			cur->urank = o->urank;
		}
		origin_free(o);
	}
	oidset_free(&a->found);
	return rc;
}

static int attrib_init(attrib *a, history *h, const oidset *flagged)
{
	memset(a, 0, sizeof(*a));
	a->h = h;
	a->flagged = flagged;
	a->miss = &h->miss;
	oidset_init(&a->found);
	if (!(a->cache = tree_cache_new()) || tree_cache_use_packs(a->cache, h->packs, PACK_CACHE_BUDGET) < 0 ||
	    thread_odb(h, &a->repo, &a->odb) < 0)
		return -1;
	return 0;
}

static void attrib_free(attrib *a)
{
	tree_cache_free(a->cache);
	git_odb_free(a->odb);
	git_repository_free(a->repo);
}

/*
 * The walk over everything the refs reach: every commit diffed against its
 * first parent, so that each reachable blob is seen (one the repository lacks
 * is counted missing) and each flagged one tied to the oldest commit and path
 * that added it. The commits are split in contiguous ranges over the threads
 * (tree reads are the cost here), each range newest first so a parent's trees
 * read as "old" serve it next as "new". The oldest sighting over all ranges wins.
 */
static int walk_history(history *h, const oidset *flagged, origin ***out, size_t *nout)
{
	size_t n = 0;
	tips tp = { .h = h };
	git_oid *order = list_commits(h, &tp, &n);
	attrib *a = calloc((size_t)h->nworkers + 1, sizeof(*a));
	oidset best;
	int rc = -1, started = 0, ready = 0;

	oidset_init(&best);
	*out = NULL;
	*nout = 0;
	if (!order || !a)
		goto out;
	for (; ready <= h->nworkers; ready++)
		if (attrib_init(&a[ready], h, flagged) < 0)
			goto join;
	for (int i = 0; i < h->nworkers; i++) {
		a[i].order = order;
		a[i].from = n * (size_t)i / (size_t)h->nworkers;
		a[i].to = n * (size_t)(i + 1) / (size_t)h->nworkers;
	}
	for (; started < h->nworkers; started++)
		if (pthread_create(&a[started].thread, NULL, attribute_range, &a[started]) != 0)
			break;
	if (started < h->nworkers) /* no thread for the rest: walk it here */
		for (int i = started; i < h->nworkers; i++)
			attribute_range(&a[i]);
	if (walk_other_tips(&a[h->nworkers], &tp) < 0) {
		git_fail("reading a tree a ref points at");
		a[h->nworkers].failed = 1;
	}
join:
	for (int i = 0; i < started; i++)
		pthread_join(a[i].thread, NULL);
	rc = ready > h->nworkers ? 0 : -1;
	for (int i = 0; i < ready; i++) {
		rc |= a[i].failed ? -1 : 0;
		rc |= merge_found(&a[i], &best);
		attrib_free(&a[i]);
	}
	*out = calloc(best.count + 1, sizeof(**out)); /* NOLINT(bugprone-sizeof-expression): pointers */
	for (size_t k = 0; k < best.cap; k++) {
		origin *o = best.slots[k].value;
		if (!best.slots[k].used)
			continue;
		if (!*out) {
			origin_free(o);
			continue;
		}
		if (o->upath) { /* reported where no allowance covers it */
			free(o->path);
			o->path = o->upath;
			o->upath = NULL;
			o->commit = o->ucommit;
			o->rank = o->urank;
		}
		(*out)[(*nout)++] = o;
	}
	if (!*out)
		rc = -1;
	else
		qsort(*out, *nout, sizeof(**out), cmp_origin); /* NOLINT(bugprone-sizeof-expression) */
out:
	oidset_free(&best);
	tips_free(&tp);
	free(a);
	free(order);
	return rc;
}

/* Re-scans each attributed blob with its path (so [allow] globs apply) into the report. */
static int report_origins(history *h, blob_ctx *b, origin **order, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		origin *o = order[i];
		char hex[GIT_OID_HEXSZ + 1];
		sg_findings found;
		git_oid_tostr(hex, sizeof(hex), &o->commit);
		sg_findings_init(&found);
		report_stats saved = h->st;
		b->side_read = 1;
		rc = blob_scan(b, &o->blob, o->path, &found);
		b->side_read = 0;
		h->st = saved;
		if (rc == BLOB_MISSING)
			rc = 0;
		if (rc == 0)
			rc = report_take(h->report, &found, o->path, git_oid_is_zero(&o->commit) ? NULL : hex);
		sg_findings_clear(&found);
	}
	return rc;
}

/* Commit and tag messages holding a finding, read raw: NUL bytes and all. */
/* One commit or tag message holding a finding, read raw: NUL bytes and all. */
static int report_message(history *h, blob_ctx *b, const git_oid *id)
{
	git_odb_object *obj = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	sg_findings found;
	commit_info ci;
	tag_info tag;
	if (git_odb_read(&obj, h->odb, id) < 0)
		return -1;
	const char *d = git_odb_object_data(obj);
	size_t len = git_odb_object_size(obj), at = len;
	int commit = git_odb_object_type(obj) == GIT_OBJECT_COMMIT;
	if (commit && commit_parse(d, len, &ci) == 0) {
		at = ci.message;
		commit_info_clear(&ci);
	} else if (!commit && tag_parse(d, len, &tag) == 0) {
		at = tag.message;
	}
	const char *label = commit ? "(commit message)" : "(tag message)";
	git_oid_tostr(hex, sizeof(hex), id);
	sg_findings_init(&found);
	int rc = text_scan(b, d + at, len - at, label, &found);
	if (rc == 0)
		rc = report_take(h->report, &found, label, hex);
	sg_findings_clear(&found);
	git_odb_object_free(obj);
	return rc < 0 ? -1 : 0;
}

static int report_messages(history *h, blob_ctx *b)
{
	for (size_t k = 0; k < h->res.nmessages; k++)
		if (report_message(h, b, &h->res.messages[k]) < 0)
			return -1;
	return 0;
}

/* ---- --state: what this audit keeps for the next ------------------------- */

static int state_record(history *h, origin **order, size_t norder, size_t dangling)
{
	state_repo e;
	size_t n = (h->skip ? h->skip->njudged : 0) + h->res.nclean, nmsg = h->res.nmessages;
	memset(&e, 0, sizeof(e));
	e.key = strdup(h->state_key);
	e.judged = calloc(n + 1, sizeof(*e.judged));
	e.origins = calloc(norder + 1, sizeof(*e.origins));
	e.messages = calloc(nmsg + 1, sizeof(*e.messages));
	if (!e.key || !e.judged || !e.origins || !e.messages)
		goto fail;
	memcpy(e.policy, h->policy_digest, sizeof(e.policy));
	memcpy(e.refs, h->refs_digest, sizeof(e.refs));
	e.missing = h->miss.total;
	e.dangling = dangling;
	if (h->skip && h->skip->njudged)
		memcpy(e.judged, h->skip->judged, h->skip->njudged * sizeof(*e.judged));
	e.njudged = h->skip ? h->skip->njudged : 0;
	if (h->res.nclean)
		memcpy(e.judged + e.njudged, h->res.clean, h->res.nclean * sizeof(*h->res.clean));
	e.njudged += h->res.nclean;
	if (nmsg)
		memcpy(e.messages, h->res.messages, nmsg * sizeof(*e.messages));
	e.nmessages = nmsg;
	state_sort_ids(e.judged, &e.njudged);
	for (size_t i = 0; i < norder; i++, e.norigins++) {
		e.origins[i].blob = order[i]->blob;
		e.origins[i].commit = order[i]->commit;
		if (!(e.origins[i].path = strdup(order[i]->path)))
			goto fail;
	}
	h->skip = NULL; /* it pointed into the state state_put replaces */
	if (state_put(h->state, &e) == 0)
		return 0;
fail:
	state_repo_free(&e);
	fprintf(stderr, "sasguard: out of memory keeping the audit's state\n");
	return -1;
}

/*
 * A repository whose refs and policy have not moved since the last audit:
 * nothing is read again but the blobs and messages that hold findings, judged
 * anew (now, the baseline and the allowances may have changed).
 */
static int history_from_state(history *h, const state_repo *e, report_stats *st)
{
	blob_ctx b;
	int failed = 0;
	memset(&b, 0, sizeof(b));
	b.repo = h->repo;
	b.policy = h->policy;
	b.stats = &h->st;
	b.report = h->report;
	b.side_read = 1; /* read again to be reported, not scanned as new content */
	if (!(b.scanner = cli_scanner(h->o, h->policy, h->baseline)))
		return 1;
	for (size_t i = 0; i < e->norigins; i++) {
		const state_origin *o = &e->origins[i];
		char hex[GIT_OID_HEXSZ + 1];
		sg_findings found;
		git_oid_tostr(hex, sizeof(hex), &o->commit);
		sg_findings_init(&found);
		int rc = blob_scan(&b, &o->blob, o->path, &found);
		if (rc == 0)
			rc = report_take(h->report, &found, o->path, git_oid_is_zero(&o->commit) ? NULL : hex);
		sg_findings_clear(&found);
		failed |= rc != 0;
	}
	for (size_t i = 0; i < e->nmessages; i++)
		failed |= report_message(h, &b, &e->messages[i]) < 0;
	if (e->dangling)
		report_note(h->report, "%llu flagged blobs are reachable from no ref (dangling objects): not reported",
			    (unsigned long long)e->dangling);
	if (e->missing) {
		report_note(h->report, "%llu objects were missing at the last audit and the refs have not moved since: "
				       "the scan is as incomplete as it was", (unsigned long long)e->missing);
		st->missing += e->missing;
		failed |= !h->o->allow_missing;
	}
	report_repo_status(h->report, failed ? "incomplete: see the notes" : "judged (unchanged since the last audit)");
	sg_scanner_free(b.scanner);
	return failed;
}

static int attribute_and_report(history *h, blob_ctx *b)
{
	oidset flagged;
	origin **order = NULL;
	size_t norder = 0, total;
	int rc = -1;

	oidset_init(&flagged);
	for (size_t k = 0; k < h->res.nflagged; k++)
		if (!oidset_add(&flagged, &h->res.flagged[k], NULL))
			goto out;
	total = flagged.count;
	/* always: the walk is what tells a reachable blob the repository lacks */
	if (walk_history(h, &flagged, &order, &norder) < 0)
		goto out;
	if (report_origins(h, b, order, norder) < 0 || report_messages(h, b) < 0)
		goto out;
	if (h->state && state_record(h, order, norder, total - norder) < 0)
		goto out;
	if (norder < total)
		report_note(h->report, "%zu of %zu flagged blobs are reachable from no ref (dangling objects): not "
				       "reported; 'git gc --prune=now' deletes them",
			    total - norder, total);
	if (h->shallow.count)
		report_note(h->report, "the repository is shallow (%zu boundary commit%s): history before them is "
				       "not here, and findings are attributed to the oldest commit present",
			    h->shallow.count, h->shallow.count == 1 ? "" : "s");
	h->st.errors += h->miss.damaged;
	if (h->st.errors)
		report_note(h->report, "%llu objects could not be read (a damaged repository? 'git fsck' tells): "
				       "what they hold was not scanned",
			    h->st.errors);
	rc = 0;
out:
	for (size_t i = 0; i < norder; i++)
		origin_free(order[i]);
	free(order);
	oidset_free(&flagged);
	return rc;
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* Frees what one repository's run holds, so that the next starts clean. */
static void history_reset(history *h)
{
	scan_result_free(&h->res);
	pack_store_free(h->packs);
	git_odb_free(h->odb);
	git_repository_free(h->repo);
	missing_free(&h->miss);
	oidset_free(&h->shallow);
	h->packs = NULL;
	h->odb = NULL;
	h->repo = NULL;
	h->skip = NULL;
	h->skipped = 0;
	h->plumb_gitdir[0] = h->plumb_top[0] = '\0';
	memset(&h->st, 0, sizeof(h->st));
	missing_init(&h->miss);
	oidset_init(&h->shallow);
}

/*
 * One repository, start to end, into h->report; its counts are added to
 * *st and *lib. Returns 0 when it was judged whole, 1 when not (said in a
 * note and its status), -1 when it could not be opened.
 */
static int history_repo(history *h, sg_stats *lib, report_stats *st)
{
	blob_ctx b;
	int failed = scan_all_objects(h) < 0;
	/* Counted before attribution, which scans the flagged blobs again. */
	sg_stats total = h->res.lib;

	memset(&b, 0, sizeof(b));
	b.repo = h->repo;
	b.scanner = cli_scanner(h->o, h->policy, h->baseline);
	b.policy = h->policy;
	b.stats = &h->st;
	b.report = h->report;
	if (!b.scanner || attribute_and_report(h, &b) < 0 || h->miss.damaged)
		failed = 1;
	sg_scanner_free(b.scanner);
	if (total.limit_hits) {
		report_note(h->report, "regex match limit hit %llu time%s: those parts were not scanned",
			    (unsigned long long)total.limit_hits, total.limit_hits == 1 ? "" : "s");
		failed = 1;
	}
	h->st.missing = h->miss.total;
	missing_report(&h->miss, h->report, h->repo, h->o->allow_missing);
	if (h->miss.total && !h->o->allow_missing)
		failed = 1;
	if (failed)
		report_repo_status(h->report, h->miss.total ? "incomplete: objects missing" : "incomplete: see the notes");
	else if (h->miss.total)
		report_repo_status(h->report, "partial (--allow-missing)");
	lib->bytes += total.bytes;
	lib->tokens += total.tokens;
	lib->placeholders += total.placeholders;
	lib->emulator += total.emulator;
	lib->limit_hits += total.limit_hits;
	lib->decoded += total.decoded;
	st->files += h->st.files;
	st->commits += h->st.commits;
	st->binary_skipped += h->st.binary_skipped;
	st->large_skipped += h->st.large_skipped;
	st->lfs_skipped += h->st.lfs_skipped;
	st->missing += h->st.missing;
	st->errors += h->st.errors;
	return failed;
}

/* A repository libgit2 cannot open (SHA-256), judged through git's plumbing. */
static int history_plumb(history *h, sg_stats *lib, report_stats *st)
{
	plumb_history_cfg cfg = {
		/* plumb_history_probe opened only SHA-256 repositories */
		{ h->o, h->policy, h->baseline, h->plumb_gitdir, ODB_SHA256_LEN, h->nworkers, h->progress },
		h->report, h->plumb_top, h->state != NULL,
	};
	return plumb_history(&cfg, lib, st);
}

/*
 * Judges the open repository: from the state alone when its refs and the
 * policy are as the last audit left them, else anew, reading only objects
 * the last audit did not judge clean.
 */
static int history_judge(history *h, sg_stats *lib, report_stats *st)
{
	char real[4096];
	if (h->plumb_gitdir[0])
		return history_plumb(h, lib, st);
	if (!h->state)
		return history_repo(h, lib, st);
	if (!realpath(git_repository_commondir(h->repo), real))
		snprintf(real, sizeof(real), "%s", git_repository_commondir(h->repo));
	snprintf(h->state_key, sizeof(h->state_key), "%s", real);
	if (state_refs_digest(h->state_key, h->refs_digest) < 0) {
		git_fail("reading the refs");
		return 1;
	}
	const state_repo *e = state_find(h->state, h->state_key);
	int same_policy = e && memcmp(e->policy, h->policy_digest, sizeof(e->policy)) == 0;
	if (same_policy && memcmp(e->refs, h->refs_digest, sizeof(e->refs)) == 0)
		return history_from_state(h, e, st);
	h->skip = same_policy ? e : NULL;
	int rc = history_repo(h, lib, st);
	if (h->skipped)
		report_note(h->report, "%llu objects judged clean by an earlier audit (--state) were not read again",
			    h->skipped);
	return rc;
}

/* libgit2 1.5.1 refused to open a repository for its SHA-256 object format. */
static int open_refused_sha256(void)
{
	const git_error *e = git_error_last();
	return e && e->message && strstr(e->message, "objectformat");
}

/* Opens the repository at path (for one repository: or above it) and its
 * object database; one in SHA-256 is left to git's plumbing (h->plumb_gitdir). */
static int history_open(history *h, const char *path, int search)
{
	int rc = git_repository_open_ext(&h->repo, path, search ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc < 0 && open_refused_sha256() &&
	    plumb_history_probe(path, !search, h->plumb_gitdir, sizeof(h->plumb_gitdir), h->plumb_top,
				sizeof(h->plumb_top))) {
		git_error_clear();
		return 0;
	}
	if (rc < 0 && search)
		rc = repo_open_path(&h->repo, path); /* again, to say why */
	if (rc != 0)
		return -1; /* repo_open_path said why; an audit says it in its note */
	h->packs = pack_store_open(h->repo);
	if (git_repository_odb(&h->odb, h->repo) < 0) {
		git_fail("opening the object database");
		return -1;
	}
	return 0;
}

/* Is path a directory that is no repository itself (then it is walked for them)? */
static int is_audit_root(const char *path)
{
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0) {
		git_repository_free(repo);
		return 0;
	}
	if (open_refused_sha256()) { /* a repository all the same, read through git */
		git_error_clear();
		return 0;
	}
	git_error_clear();
	repo_list l;
	int found = repo_discover(&l, (char *const *)&path, 1) == 0 && l.count > 0;
	repo_list_free(&l);
	return found;
}

/* Every repository the paths name, into one report: a server's audit. */
static int history_audit(history *h, sg_stats *lib, report_stats *st)
{
	repo_list l;
	int failed = 0;
	if (repo_discover(&l, h->o->args, h->o->nargs) < 0) {
		fprintf(stderr, "sasguard: out of memory listing the repositories\n");
		return -1;
	}
	if (!l.count) {
		fprintf(stderr, "sasguard: no repository under the paths given\n");
		failed = 1;
	}
	for (size_t i = 0; i < l.count; i++) {
		const repo_item *it = &l.items[i];
		if (report_repo(h->report, it->path) < 0) {
			failed = 1;
			break;
		}
		if (h->progress) {
			fputc('\r', stderr);
			print_safef(stderr, "sasguard: repository %zu of %zu: %s\n", i + 1, l.count, it->path);
		}
		if (it->unreadable || history_open(h, it->path, 0) < 0) {
			char why[512];
			const git_error *e = git_error_last();
			snprintf(why, sizeof(why), "unreadable: %s",
				 it->unreadable ? it->unreadable : e && e->message ? e->message : "git cannot open it");
			git_error_clear();
			report_repo_status(h->report, why);
			report_note(h->report, "%s: not judged", why);
			failed = 1;
		} else if (history_judge(h, lib, st) != 0) {
			failed = 1;
		}
		history_reset(h);
	}
	report_repo(h->report, NULL);
	if (l.count > 1)
		report_note(h->report, "%zu repositories", l.count);
	repo_list_free(&l);
	return failed;
}

int cmd_history(cli_opts *o)
{
	history *h = calloc(1, sizeof(*h));
	sg_policy p;
	char repo_ini[4096] = "";
	sg_stats lib = { 0 };
	report_stats st = { 0 };
	state kept = { 0 };
	int rc = EXIT_INTERNAL, failed = 0;

	if (!h)
		return EXIT_INTERNAL;
	sg_policy_init(&p);
	missing_init(&h->miss);
	oidset_init(&h->shallow);
	repo_libgit2_init();
	/* Read-only scanning: SHA-1 verification of every object halves the speed. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/* No libgit2 object cache: every object is read once, and the trees the
	 * attribution walk reads twice sit in its own bounded cache. With it,
	 * every tree version stayed in memory: peak RSS grew with the history. */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	h->o = o;
	/* several paths, or a directory of repositories: an audit, judged by the
	 * auditor's policy (no repository's own .sasguard.ini) */
	int audit = o->nargs > 1 || (o->nargs == 1 && is_audit_root(o->args[0]));
	if (audit)
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0); /* a server's repositories belong to git's user */
	else if (history_open(h, o->nargs ? o->args[0] : ".", 1) < 0)
		goto out;
	else if (h->plumb_gitdir[0] && h->plumb_top[0])
		snprintf(repo_ini, sizeof(repo_ini), "%.4000s/.sasguard.ini", h->plumb_top);
	else if (!h->plumb_gitdir[0])
		repo_policy_file(h->repo, repo_ini, sizeof(repo_ini));
	sg_policy_free(&p);
	if ((rc = cli_load_policy(o, &p, repo_ini[0] ? repo_ini : NULL, NULL)) != 0)
		goto out;
	if ((rc = cli_load_baseline(o, &p, &h->baseline)) != 0)
		goto out;
	rc = EXIT_INTERNAL;
	h->policy = &p;
	h->nworkers = o->threads ? (o->threads > MAX_THREADS ? MAX_THREADS : o->threads) : default_threads();
	h->progress = isatty(2) && !o->quiet;
	if (!(h->report = report_open(o, &p)))
		goto out;
	if (o->state) {
		if (state_load(&kept, o->state) < 0) {
			print_safef(stderr, "sasguard: --state %s: ", o->state);
			perror(errno == EINVAL ? "not a sasguard state file, or damaged (delete it to start afresh)" : NULL);
			rc = EXIT_USAGE;
			goto out;
		}
		h->state = &kept;
		if (state_policy_digest(&p, h->policy_digest) < 0)
			goto out;
	}
	failed = audit ? history_audit(h, &lib, &st) : history_judge(h, &lib, &st);
	if (h->state && state_save(h->state, o->state) < 0) {
		print_safef(stderr, "sasguard: --state %s: cannot write it: %s\n", o->state, strerror(errno));
		failed = 1;
	}
	if (o->write_baseline && report_write_baseline(h->report, o->write_baseline) != 0)
		failed = 1;
	rc = report_finish(h->report, &lib, &st, "live tokens above must be revoked and removed",
			   failed ? "the scan is incomplete (see above)" : "no token in the history breaks the policy");
	if (rc == EXIT_CLEAN && failed)
		rc = EXIT_INTERNAL;
out:
	trace_close();
	history_reset(h);
	state_free(&kept);
	report_free(h->report);
	sg_baseline_free(h->baseline);
	missing_free(&h->miss);
	oidset_free(&h->shallow);
	git_libgit2_shutdown();
	sg_policy_free(&p);
	free(h);
	return rc;
}
