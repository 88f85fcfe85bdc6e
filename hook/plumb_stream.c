/*
 * plumb_stream.c - every object of a repository libgit2 cannot open (SHA-256)
 * judged as scanpool.c judges them for SHA-1, on --threads workers. When the
 * repository's objects are all in packs hook/odb reads (v2 indexes of 32-byte
 * ids, no alternates) and loose files, this thread walks the packs in pack
 * order and the workers inflate what it hands them, as for SHA-1; else one
 * `git cat-file --batch-all-objects --batch --unordered` stream is read here
 * while the workers scan and git inflates the next objects.
 */
#include "gitscan.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Objects travel in batches (one lock and wake-up per batch, not per object:
 * per object, futex calls cost more system time than the pipe); at most
 * QUEUE_CAP batches of about BATCH_BYTES are in flight, so memory stays flat. */
#define BATCH 64
#define BATCH_BYTES ((size_t)1 << 20)
#define QUEUE_CAP 16
#define MAX_WORKERS 64

typedef struct item {
	plumb_oid id;
	int message; /* a commit or tag (its message is scanned), else a blob */
	char *buf;   /* owned; NULL: in a pack, read by the worker */
	size_t len;
	uint32_t pack; /* where, when buf is NULL (pack_store_walk's names) */
	uint64_t offset;
} item;

typedef struct batch {
	item items[BATCH];
	size_t n, bytes;
} batch;

typedef struct pworker {
	struct pstream *s;
	pthread_t thread;
	int started;
	sg_scanner *scanner;
	pack_cache *cache; /* its own: the store's packs are shared read-only */
	plumb_ids flagged, messages;
	report_stats st;
	int failed;
} pworker;

typedef struct pstream {
	const plumb_stream_cfg *cfg;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	batch queue[QUEUE_CAP];
	size_t head, count;
	int closed;
	batch pending; /* the reader's batch being filled */
	pworker workers[MAX_WORKERS];
	int nworkers;
	pack_store *packs;  /* the repository's packs, when they are read here */
	char objdir[4200];
	plumb_stream_result *out;
	struct timespec start, last; /* the progress line's */
	atomic_int flag_told;        /* cfg->on_flag was called */
} pstream;

int plumb_ids_push(plumb_ids *l, const char *hex)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		plumb_oid *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n++].hex, sizeof(l->v->hex), "%s", hex);
	return 0;
}

void plumb_ids_free(plumb_ids *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Appends from (emptied) to to. */
static int plumb_ids_take(plumb_ids *to, plumb_ids *from)
{
	int rc = 0;
	for (size_t i = 0; i < from->n && rc == 0; i++)
		rc = plumb_ids_push(to, from->v[i].hex);
	plumb_ids_free(from);
	return rc;
}

/* Hands the pending batch to the workers (waiting while the queue is full). */
static void queue_flush(pstream *s)
{
	if (!s->pending.n)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->count == QUEUE_CAP)
		pthread_cond_wait(&s->not_full, &s->mu);
	s->queue[(s->head + s->count) % QUEUE_CAP] = s->pending;
	s->count++;
	pthread_cond_signal(&s->not_empty);
	pthread_mutex_unlock(&s->mu);
	s->pending.n = s->pending.bytes = 0;
}

static void queue_push(pstream *s, const item *it)
{
	s->pending.items[s->pending.n++] = *it;
	s->pending.bytes += it->len;
	if (s->pending.n == BATCH || s->pending.bytes >= BATCH_BYTES)
		queue_flush(s);
}

static int queue_pop(pstream *s, batch *out)
{
	pthread_mutex_lock(&s->mu);
	while (s->count == 0 && !s->closed)
		pthread_cond_wait(&s->not_empty, &s->mu);
	int got = s->count > 0;
	if (got) {
		*out = s->queue[s->head];
		s->head = (s->head + 1) % QUEUE_CAP;
		s->count--;
		pthread_cond_signal(&s->not_full);
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

/* A blob as scanpool.c's scan_blob judges it: LFS pointers and (by policy)
 * binary content skipped and counted, the rest scanned without a path. */
static int scan_blob(pworker *w, const item *it, sg_findings *found)
{
	if (blob_is_lfs_pointer(it->buf, it->len)) {
		w->st.lfs_skipped++;
		return 0;
	}
	if (!w->s->cfg->policy->scan_binary && sg_buffer_is_binary(it->buf, it->len)) {
		w->st.binary_skipped++;
		return 0;
	}
	w->st.files++;
	return sg_scan_buffer(w->scanner, NULL, it->buf, it->len, 1, found);
}

/* Judges one object: a blob's content, or the message after a commit's or
 * tag's headers (NUL bytes and all); remembers it when it holds a finding. */
static int judge(pworker *w, const item *it)
{
	sg_findings found;
	int rc = 0;
	sg_findings_init(&found);
	if (!it->message) {
		trace_blob_hex(it->id.hex);
		rc = scan_blob(w, it, &found);
	} else {
		const char *msg = memmem(it->buf, it->len, "\n\n", 2);
		if (msg)
			rc = sg_scan_buffer(w->scanner, NULL, msg, it->len - (size_t)(msg - it->buf), 1, &found);
	}
	if (rc == 0 && found.count && plumb_ids_push(it->message ? &w->messages : &w->flagged, it->id.hex) < 0)
		rc = -1;
	if (rc == 0 && found.count && !it->message && w->s->cfg->on_flag && !atomic_exchange(&w->s->flag_told, 1))
		w->s->cfg->on_flag(w->s->cfg->flag_ctx);
	sg_findings_clear(&found);
	return rc == SG_ELIMIT ? 0 : rc; /* counted by the scanner: the run's note says it */
}

/* An item the reader left in its pack: inflated here, on the worker's own
 * cache. 1 to judge (*o, a reference: unref it), 0 nothing to judge (a
 * tree, or a blob over max_file_size: counted), -1 unreadable (said). */
static int read_packed(pworker *w, item *it, pack_obj **o)
{
	int r = pack_store_read_at(w->s->packs, w->cache, it->pack, it->offset, o);
	if (r <= 0) {
		const git_error *e = git_error_last();
		fprintf(stderr, "sasguard: object %s cannot be read from its pack: %s\n", it->id.hex,
			r == 0 ? "its delta base is outside the pack" : e && e->message ? e->message : "damaged");
		return -1;
	}
	it->message = (*o)->type == GIT_OBJECT_COMMIT || (*o)->type == GIT_OBJECT_TAG;
	if ((*o)->type == GIT_OBJECT_BLOB && (*o)->len > w->s->cfg->policy->max_file_size) {
		w->st.large_skipped++; /* its size was not in its entry header */
		trace_blob_hex(it->id.hex);
		return 0;
	}
	return it->message || (*o)->type == GIT_OBJECT_BLOB;
}

static void *work(void *arg)
{
	pworker *w = arg;
	batch *b = malloc(sizeof(*b));
	while (b && queue_pop(w->s, b)) {
		for (size_t i = 0; i < b->n; i++) {
			item *it = &b->items[i];
			pack_obj *o = NULL;
			int r = it->buf ? 1 : read_packed(w, it, &o);
			if (r < 0) {
				w->failed = 1;
				w->st.errors++;
				pack_obj_unref(o);
				continue;
			}
			if (o) { /* judged in place: the pack's copy */
				it->buf = (char *)o->data;
				it->len = o->len;
			}
			if (r > 0 && judge(w, it) != 0) {
				if (!w->failed)
					fprintf(stderr, "sasguard: cannot scan object %s\n", b->items[i].id.hex);
				w->failed = 1;
				w->st.errors++;
			}
			if (o)
				pack_obj_unref(o);
			else
				free(it->buf);
		}
	}
	if (!b)
		w->failed = 1;
	free(b);
	return NULL;
}

/* Discards n bytes of the stream (a tree, a blob over max_file_size). */
static int skip_bytes(FILE *f, size_t n)
{
	char scratch[65536];
	while (n) {
		size_t k = fread(scratch, 1, n < sizeof(scratch) ? n : sizeof(scratch), f);
		if (k == 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* "<id> <type> <size>\n": 0, or -1 for anything cat-file does not print. */
static int parse_header(const char *line, plumb_oid *id, char *type, size_t tsize, size_t *size)
{
	const char *t = strchr(line, ' '), *sz = t ? strchr(t + 1, ' ') : NULL;
	char *e = NULL;
	if (!sz || (size_t)(t - line) >= sizeof(id->hex) || (size_t)(sz - t - 1) >= tsize || sz[1] < '0' ||
	    sz[1] > '9')
		return -1;
	memcpy(id->hex, line, (size_t)(t - line));
	id->hex[t - line] = '\0';
	memcpy(type, t + 1, (size_t)(sz - t - 1));
	type[sz - t - 1] = '\0';
	unsigned long long n = strtoull(sz + 1, &e, 10);
	if (*e != '\n' || n >= SIZE_MAX)
		return -1;
	*size = (size_t)n;
	return 0;
}

/* Reads one object of the stream and queues it, or skips it: 1, 0 at the end, -1 broken. */
static int read_object(pstream *s, FILE *f, report_stats *st)
{
	char line[256], type[16];
	item it;
	size_t size;
	if (!fgets(line, sizeof(line), f))
		return 0;
	if (parse_header(line, &it.id, type, sizeof(type), &size) < 0)
		return -1;
	int blob = strcmp(type, "blob") == 0;
	it.message = strcmp(type, "commit") == 0 || strcmp(type, "tag") == 0;
	if (!blob && !it.message)
		return skip_bytes(f, size) < 0 || fgetc(f) != '\n' ? -1 : 1;
	if (blob && size > s->cfg->policy->max_file_size) {
		st->large_skipped++; /* as scanpool.c: counted, not read */
		trace_blob_hex(it.id.hex);
		return skip_bytes(f, size) < 0 || fgetc(f) != '\n' ? -1 : 1;
	}
	if (!(it.buf = malloc(size + 1)))
		return -1;
	if (fread(it.buf, 1, size, f) != size || fgetc(f) != '\n') {
		free(it.buf);
		return -1;
	}
	it.buf[size] = '\0';
	it.len = size;
	queue_push(s, &it);
	return 1;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The whole stream through the queue; the progress line as history.c draws it. */
static int read_stream(pstream *s, FILE *f, plumb_stream_result *out)
{
	struct timespec start, last;
	int r;
	clock_gettime(CLOCK_MONOTONIC, &start);
	last = start;
	while ((r = read_object(s, f, &out->st)) == 1) {
		out->objects++;
		if (s->cfg->progress && (out->objects & 4095) == 0 && seconds_since(&last) > 0.2) {
			clock_gettime(CLOCK_MONOTONIC, &last);
			fprintf(stderr, "\rsasguard: %llu objects read, %.1f s", out->objects, seconds_since(&start));
		}
	}
	if (s->cfg->progress)
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s\n", out->objects, seconds_since(&start));
	return r;
}

/* ---- the packs and loose objects, read here --------------------------------- */

#define PACK_CACHE_BUDGET ((size_t)32 << 20) /* a worker's, as history.c's */

static void progress(pstream *s)
{
	if (s->cfg->progress && (s->out->objects & 4095) == 0 && seconds_since(&s->last) > 0.2) {
		clock_gettime(CLOCK_MONOTONIC, &s->last);
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s", s->out->objects, seconds_since(&s->start));
	}
}

/* One pack entry (pack_store_walk): trees are passed over (their blobs come
 * as objects of their own), a blob over max_file_size counted unread, the
 * rest handed to the workers, who inflate it. */
static int packed_entry(const unsigned char *id, uint32_t packno, uint64_t offset, unsigned type, size_t size,
			void *payload)
{
	pstream *s = payload;
	item it;
	s->out->objects++;
	progress(s);
	if (type == GIT_OBJECT_TREE)
		return 0;
	memset(&it, 0, sizeof(it));
	odb_id_to_hex(id, ODB_SHA256_LEN, it.id.hex);
	if (type == GIT_OBJECT_BLOB && size != SIZE_MAX && size > s->cfg->policy->max_file_size) {
		s->out->st.large_skipped++;
		trace_blob_hex(it.id.hex);
		return 0;
	}
	it.pack = packno;
	it.offset = offset;
	queue_push(s, &it);
	return 0;
}

/* One loose object: unless a pack holds it too (then it was judged there),
 * read here (a few, between repacks) and queued whole. */
static int loose_entry(const unsigned char *id, void *payload)
{
	pstream *s = payload;
	unsigned char *data;
	const char *why = "";
	unsigned type;
	item it;
	if (pack_store_has(s->packs, id))
		return 0;
	memset(&it, 0, sizeof(it));
	odb_id_to_hex(id, ODB_SHA256_LEN, it.id.hex);
	s->out->objects++;
	progress(s);
	int r = loose_read(s->objdir, id, ODB_SHA256_LEN, s->cfg->policy->max_file_size, &type, &data, &it.len, &why);
	if (r == 0)
		return 0; /* gone since it was listed (git gc): a pack holds it now, read above or not reachable */
	if (r < 0) { /* counted, and the rest read: the verdict says incomplete */
		fprintf(stderr, "sasguard: loose object %s cannot be read: %s\n", it.id.hex, why);
		s->out->st.errors++;
		s->out->failed = 1;
		return 0;
	}
	if (!data) {
		if (type == GIT_OBJECT_BLOB) {
			s->out->st.large_skipped++;
			trace_blob_hex(it.id.hex);
		}
		return 0;
	}
	if (type == GIT_OBJECT_TREE) {
		free(data);
		return 0;
	}
	it.buf = (char *)data;
	it.message = type != GIT_OBJECT_BLOB;
	queue_push(s, &it);
	return 0;
}

/* Opens the packs when every object can be read here: no alternates (their
 * objects are git's to find), every .idx read. 1 then, 0 for the stream. */
static int packs_open(pstream *s)
{
	char alt[4300];
	size_t unread = 0;
	struct stat st;
	if (s->cfg->hashlen != ODB_SHA256_LEN || getenv("SASGUARD_TEST_STREAM"))
		return 0;
	char common[4096];
	repo_common_dir(s->cfg->gitdir, common, sizeof(common)); /* a linked work tree's objects */
	snprintf(s->objdir, sizeof(s->objdir), "%s/objects", common);
	snprintf(alt, sizeof(alt), "%s/info/alternates", s->objdir);
	if (stat(s->objdir, &st) != 0 || !S_ISDIR(st.st_mode) || stat(alt, &st) == 0)
		return 0;
	if (!(s->packs = pack_store_open_objdir(s->objdir, ODB_SHA256_LEN, &unread)) || unread) {
		pack_store_free(s->packs);
		s->packs = NULL;
		return 0;
	}
	return 1;
}

/* Every object through the queue: the packs in pack order, then loose objects. */
static int read_packs(pstream *s)
{
	int rc = pack_store_walk(s->packs, packed_entry, s);
	if (rc == 0)
		rc = loose_each(s->objdir, ODB_SHA256_LEN, loose_entry, s);
	if (s->cfg->progress)
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s\n", s->out->objects, seconds_since(&s->start));
	return rc;
}

static void gather(pworker *w, plumb_stream_result *out)
{
	const sg_stats *lib = sg_scanner_stats(w->scanner);
	out->st.files += w->st.files;
	out->st.binary_skipped += w->st.binary_skipped;
	out->st.lfs_skipped += w->st.lfs_skipped;
	out->st.large_skipped += w->st.large_skipped;
	out->st.errors += w->st.errors;
	out->failed |= w->failed;
	out->lib.bytes += lib->bytes;
	out->lib.tokens += lib->tokens;
	out->lib.placeholders += lib->placeholders;
	out->lib.emulator += lib->emulator;
	out->lib.limit_hits += lib->limit_hits;
	out->lib.decoded += lib->decoded;
	if (plumb_ids_take(&out->flagged, &w->flagged) < 0 || plumb_ids_take(&out->messages, &w->messages) < 0)
		out->failed = 1;
}

/* Closes the queue, waits for the workers and gathers what they found. */
static void stop_workers(pstream *s, plumb_stream_result *out)
{
	queue_flush(s);
	pthread_mutex_lock(&s->mu);
	s->closed = 1;
	pthread_cond_broadcast(&s->not_empty);
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < s->nworkers; i++) {
		pworker *w = &s->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		if (w->scanner)
			gather(w, out);
		plumb_ids_free(&w->flagged);
		plumb_ids_free(&w->messages);
		sg_scanner_free(w->scanner);
		pack_cache_free(w->cache);
	}
}

static int start_workers(pstream *s)
{
	for (int i = 0; i < s->nworkers; i++) {
		pworker *w = &s->workers[i];
		w->s = s;
		if (!(w->scanner = cli_scanner(s->cfg->o, s->cfg->policy, s->cfg->baseline)))
			return -1;
		if (s->packs && !(w->cache = pack_cache_new(PACK_CACHE_BUDGET)))
			return -1;
	}
	for (int i = 0; i < s->nworkers; i++) {
		if (pthread_create(&s->workers[i].thread, NULL, work, &s->workers[i]) != 0)
			break;
		s->workers[i].started = 1;
	}
	if (!s->workers[0].started) {
		fprintf(stderr, "sasguard: cannot start a scanning thread\n");
		return -1;
	}
	return 0;
}

int plumb_stream_scan(const plumb_stream_cfg *cfg, plumb_stream_result *out)
{
	char *argv[] = { "git", "--git-dir", (char *)cfg->gitdir, "cat-file", "--batch-all-objects", "--batch",
			 "--unordered", NULL };
	pstream *s = calloc(1, sizeof(*s));
	gitcmd cat = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	s->cfg = cfg;
	s->nworkers = cfg->nworkers < 1 ? 1 : cfg->nworkers > MAX_WORKERS ? MAX_WORKERS : cfg->nworkers;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->not_empty, NULL);
	pthread_cond_init(&s->not_full, NULL);
	s->out = out;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	s->last = s->start;
	if (packs_open(s)) {
		out->read_by_odb = 1;
		snprintf(out->objdir, sizeof(out->objdir), "%s", s->objdir);
		if (start_workers(s) == 0 && (rc = read_packs(s)) < 0)
			fprintf(stderr, "sasguard: reading the repository's objects stopped\n");
	} else if (start_workers(s) == 0 && gitcmd_start(&cat, argv, 0, 0) == 0) {
		/* the whole repository passes here: fewer, larger reads (the pipe's own
		 * size is a hint the kernel may refuse, which costs only speed) */
		fcntl(fileno(cat.from), F_SETPIPE_SZ, 1 << 20);
		setvbuf(cat.from, NULL, _IOFBF, 1 << 20);
		rc = read_stream(s, cat.from, out);
		if (rc < 0)
			fprintf(stderr, "sasguard: git cat-file --batch-all-objects: a broken stream\n");
	}
	int status = cat.pid > 0 ? gitcmd_finish(&cat) : 0;
	if (rc == 0 && status != 0) {
		fprintf(stderr, "sasguard: git cat-file --batch-all-objects failed (exit %d)\n", status);
		rc = -1;
	}
	if (rc < 0) {
		out->stopped = 1;
		out->st.errors++; /* at least the object it stopped at */
	}
	stop_workers(s, out);
	pack_store_free(s->packs);
	pthread_cond_destroy(&s->not_full);
	pthread_cond_destroy(&s->not_empty);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc < 0 || out->failed ? -1 : 0;
}
