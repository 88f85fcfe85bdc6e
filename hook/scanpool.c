/*
 * scanpool.c - a pool of threads that judge objects handed to it one by one
 * (in pack order, by whoever lists them): blobs scanned, commit and tag
 * messages too. Ids travel in batches through a bounded queue, so memory stays
 * flat however many objects pass. Each thread has its own object database:
 * sharing one, two threads read slower than one (its packs' locks and delta
 * cache); with one each, two read in 0.39 s what one reads in 0.55 s.
 */
#include "gitscan.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 256    /* ids handed to a worker at once: one lock per batch, not per object */
#define QUEUE_CAP 16 /* batches in flight */
#define MAX_WORKERS 64

typedef struct item {
	git_oid id;
	git_object_t type; /* from the pack entry header, GIT_OBJECT_INVALID if unknown */
	size_t size;       /* SIZE_MAX if unknown */
} item;

typedef struct batch {
	item items[BATCH];
	size_t n;
} batch;

typedef struct ids {
	git_oid *v;
	size_t n, cap;
} ids;

typedef struct worker {
	scan_pool *pool;
	pthread_t thread;
	int started;
	git_repository *repo;
	git_odb *odb;
	sg_scanner *scanner;
	ids flagged, messages, clean, missing;
	scan_result partial; /* counts and skip samples */
	uint64_t bytes_told;  /* of the scanner's bytes, those added to the pool's progress */
} worker;

struct scan_pool {
	scan_pool_cfg cfg;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	batch queue[QUEUE_CAP];
	size_t head, count;
	int closed;
	batch pending;       /* the producer's batch being filled */
	worker workers[MAX_WORKERS];
	int nworkers;
	/* progress, read by other threads */
	pthread_mutex_t progress_mu;
	unsigned long long done, bytes;
	int blocking;
};

static int push_id(ids *l, const git_oid *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		git_oid *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *id;
	return 0;
}

static int queue_pop(scan_pool *p, batch *out)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == 0 && !p->closed)
		pthread_cond_wait(&p->not_empty, &p->mu);
	if (p->count == 0) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	*out = p->queue[p->head];
	p->head = (p->head + 1) % QUEUE_CAP;
	p->count--;
	pthread_cond_signal(&p->not_full);
	pthread_mutex_unlock(&p->mu);
	return 1;
}

static void queue_push(scan_pool *p, const batch *b)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == QUEUE_CAP)
		pthread_cond_wait(&p->not_full, &p->mu);
	p->queue[(p->head + p->count) % QUEUE_CAP] = *b;
	p->count++;
	pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
}

static void skipped(worker *w, int kind, const git_oid *id)
{
	scan_result *r = &w->partial;
	if (r->nskip_sample[kind] < SKIP_SAMPLES)
		r->skip_sample[kind][r->nskip_sample[kind]++] = *id;
}

static int blocks(const sg_findings *found)
{
	for (size_t i = 0; i < found->count; i++)
		if (sg_finding_blocks(found->items[i]))
			return 1;
	return 0;
}

/* A blob's content: skipped (counted), or scanned at the path it was first seen at. */
static int scan_blob(worker *w, const git_oid *id, const char *buf, size_t size, sg_findings *found)
{
	const scan_pool_cfg *c = &w->pool->cfg;
	if (blob_is_lfs_pointer(buf, size)) {
		w->partial.st.lfs_skipped++;
		skipped(w, SKIP_LFS, id);
		return 0;
	}
	if (!c->policy->scan_binary && sg_buffer_is_binary(buf, size)) {
		w->partial.st.binary_skipped++;
		skipped(w, SKIP_BINARY, id);
		return 0;
	}
	w->partial.st.files++;
	const char *path = c->path_of ? c->path_of(c->path_ctx, id) : NULL;
	return sg_scan_buffer(w->scanner, path, buf, size, 1, found);
}

/* Judges one object; remembers it when it holds a finding (or is clean, for --state). */
static int scan_object(worker *w, const item *it)
{
	const scan_pool_cfg *c = &w->pool->cfg;
	const git_oid *id = &it->id;
	git_odb_object *obj = NULL;
	git_object_t type = it->type;
	size_t size = it->size;
	sg_findings found;
	int rc = 0;

	/* The pack's entry headers told most objects' type and size: trees are
	 * skipped without a libgit2 call. Only unknown ones ask libgit2. */
	if ((type == GIT_OBJECT_INVALID || size == SIZE_MAX) && type != GIT_OBJECT_TREE &&
	    git_odb_read_header(&size, &type, w->odb, id) < 0)
		goto unread;
	if (type == GIT_OBJECT_TREE)
		return 0;
	if (type == GIT_OBJECT_BLOB && size > c->policy->max_file_size) {
		w->partial.st.large_skipped++;
		skipped(w, SKIP_LARGE, id);
		return c->keep_clean ? push_id(&w->clean, id) : 0;
	}
	if (git_odb_read(&obj, w->odb, id) < 0)
		goto unread;
	const char *buf = git_odb_object_data(obj);
	size = git_odb_object_size(obj);
	sg_findings_init(&found);
	if (type == GIT_OBJECT_BLOB) {
		rc = scan_blob(w, id, buf, size, &found);
		if (rc == 0 && found.count && push_id(&w->flagged, id) < 0)
			rc = -1;
	} else if (type == GIT_OBJECT_COMMIT || type == GIT_OBJECT_TAG) {
		/* the raw object: headers, then the message, NUL bytes and all */
		const char *msg = memmem(buf, size, "\n\n", 2);
		if (msg)
			rc = sg_scan_buffer(w->scanner, NULL, msg, size - (size_t)(msg - buf), 1, &found);
		if (rc == 0 && found.count && push_id(&w->messages, id) < 0)
			rc = -1;
	}
	if (found.count && blocks(&found)) {
		pthread_mutex_lock(&w->pool->progress_mu);
		w->pool->blocking = 1;
		pthread_mutex_unlock(&w->pool->progress_mu);
	}
	if (rc == 0 && !found.count && c->keep_clean &&
	    (type == GIT_OBJECT_BLOB || type == GIT_OBJECT_COMMIT || type == GIT_OBJECT_TAG))
		rc = push_id(&w->clean, id);
	sg_findings_clear(&found);
	git_odb_object_free(obj);
	return rc == SG_ELIMIT ? 0 : rc;
unread:
	if (raw_object_missing(w->odb, id) == 1) {
		git_error_clear();
		return push_id(&w->missing, id);
	}
	return -1;
}

static void *work(void *arg)
{
	worker *w = arg;
	scan_pool *p = w->pool;
	batch *b = malloc(sizeof(*b));
	while (b && queue_pop(p, b)) {
		for (size_t i = 0; i < b->n; i++) {
			if (scan_object(w, &b->items[i]) != 0) {
				char what[GIT_OID_HEXSZ + 32] = "cannot read object ";
				git_oid_tostr(what + strlen(what), GIT_OID_HEXSZ + 1, &b->items[i].id);
				if (!w->partial.failed)
					git_fail(what); /* the first is enough: the note counts them all */
				w->partial.failed = 1;
				w->partial.st.errors++;
			}
		}
		uint64_t now = sg_scanner_stats(w->scanner)->bytes;
		pthread_mutex_lock(&p->progress_mu);
		p->done += b->n;
		p->bytes += now - w->bytes_told;
		pthread_mutex_unlock(&p->progress_mu);
		w->bytes_told = now;
	}
	if (!b)
		w->partial.failed = 1;
	free(b);
	return NULL;
}

scan_pool *scan_pool_start(const scan_pool_cfg *cfg)
{
	scan_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	p->nworkers = cfg->nworkers < 1 ? 1 : cfg->nworkers > MAX_WORKERS ? MAX_WORKERS : cfg->nworkers;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->progress_mu, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	for (int i = 0; i < p->nworkers; i++) {
		worker *w = &p->workers[i];
		w->pool = p;
		if (!(w->scanner = cli_scanner(cfg->o, cfg->policy, cfg->baseline)) ||
		    cfg->open(cfg->open_ctx, &w->repo, &w->odb) < 0)
			goto fail;
	}
	for (int i = 0; i < p->nworkers; i++) {
		if (pthread_create(&p->workers[i].thread, NULL, work, &p->workers[i]) != 0)
			break;
		p->workers[i].started = 1;
	}
	if (!p->workers[0].started) {
		fprintf(stderr, "sasguard: cannot start a scanning thread\n");
		goto fail;
	}
	return p;
fail:
	scan_pool_finish(p, NULL);
	return NULL;
}

void scan_pool_add(scan_pool *p, const git_oid *id, git_object_t type, size_t size)
{
	item *it = &p->pending.items[p->pending.n++];
	it->id = *id;
	it->type = type;
	it->size = size;
	if (p->pending.n == BATCH) {
		queue_push(p, &p->pending);
		p->pending.n = 0;
	}
}

unsigned long long scan_pool_progress(scan_pool *p, unsigned long long *bytes, int *blocking)
{
	pthread_mutex_lock(&p->progress_mu);
	unsigned long long done = p->done;
	if (bytes)
		*bytes = p->bytes;
	if (blocking)
		*blocking = p->blocking;
	pthread_mutex_unlock(&p->progress_mu);
	return done;
}

/* Appends list l (taken) to the result array *v of *n. */
static int take(git_oid **v, size_t *n, ids *l)
{
	if (!l->n) {
		free(l->v);
		return 0;
	}
	git_oid *g = realloc(*v, (*n + l->n) * sizeof(*g));
	if (!g) {
		free(l->v);
		return -1;
	}
	memcpy(g + *n, l->v, l->n * sizeof(*g));
	*v = g;
	*n += l->n;
	free(l->v);
	return 0;
}

static void add_stats(scan_result *to, const scan_result *from, const sg_stats *lib)
{
	to->st.files += from->st.files;
	to->st.binary_skipped += from->st.binary_skipped;
	to->st.large_skipped += from->st.large_skipped;
	to->st.lfs_skipped += from->st.lfs_skipped;
	to->st.errors += from->st.errors;
	to->failed |= from->failed;
	for (int k = 0; k < SKIP_KINDS; k++)
		for (size_t i = 0; i < from->nskip_sample[k] && to->nskip_sample[k] < SKIP_SAMPLES; i++)
			to->skip_sample[k][to->nskip_sample[k]++] = from->skip_sample[k][i];
	if (!lib)
		return;
	to->lib.bytes += lib->bytes;
	to->lib.tokens += lib->tokens;
	to->lib.placeholders += lib->placeholders;
	to->lib.emulator += lib->emulator;
	to->lib.limit_hits += lib->limit_hits;
	to->lib.decoded += lib->decoded;
	to->lib.dropped += lib->dropped;
	to->lib.dropped_blocking += lib->dropped_blocking;
}

int scan_pool_finish(scan_pool *p, scan_result *out)
{
	int rc = 0;
	if (p->pending.n)
		queue_push(p, &p->pending);
	p->pending.n = 0;
	pthread_mutex_lock(&p->mu);
	p->closed = 1;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
	if (out)
		memset(out, 0, sizeof(*out));
	for (int i = 0; i < p->nworkers; i++) {
		worker *w = &p->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (out) {
			add_stats(out, &w->partial, w->scanner ? sg_scanner_stats(w->scanner) : NULL);
			if (take(&out->flagged, &out->nflagged, &w->flagged) < 0 ||
			    take(&out->messages, &out->nmessages, &w->messages) < 0 ||
			    take(&out->clean, &out->nclean, &w->clean) < 0 ||
			    take(&out->missing, &out->nmissing, &w->missing) < 0)
				rc = -1;
		} else {
			free(w->flagged.v);
			free(w->messages.v);
			free(w->clean.v);
			free(w->missing.v);
		}
		sg_scanner_free(w->scanner);
		git_odb_free(w->odb);
		git_repository_free(w->repo);
	}
	pthread_cond_destroy(&p->not_full);
	pthread_cond_destroy(&p->not_empty);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->progress_mu);
	free(p);
	return rc;
}

void scan_result_free(scan_result *r)
{
	free(r->flagged);
	free(r->messages);
	free(r->clean);
	free(r->missing);
	memset(r, 0, sizeof(*r));
}
