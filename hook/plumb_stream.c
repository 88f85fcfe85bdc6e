/*
 * plumb_stream.c - every object of a repository libgit2 cannot open (SHA-256)
 * judged from one `git cat-file --batch-all-objects --batch --unordered`
 * stream, as scanpool.c judges them for SHA-1: this thread reads the stream,
 * --threads workers scan blobs and messages while git inflates the next ones.
 */
#include "gitscan.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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
	char *buf;   /* owned */
	size_t len;
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
		rc = scan_blob(w, it, &found);
	} else {
		const char *msg = memmem(it->buf, it->len, "\n\n", 2);
		if (msg)
			rc = sg_scan_buffer(w->scanner, NULL, msg, it->len - (size_t)(msg - it->buf), 1, &found);
	}
	if (rc == 0 && found.count && plumb_ids_push(it->message ? &w->messages : &w->flagged, it->id.hex) < 0)
		rc = -1;
	sg_findings_clear(&found);
	return rc == SG_ELIMIT ? 0 : rc; /* counted by the scanner: the run's note says it */
}

static void *work(void *arg)
{
	pworker *w = arg;
	batch *b = malloc(sizeof(*b));
	while (b && queue_pop(w->s, b)) {
		for (size_t i = 0; i < b->n; i++) {
			if (judge(w, &b->items[i]) != 0) {
				if (!w->failed)
					fprintf(stderr, "sasguard: cannot scan object %s\n", b->items[i].id.hex);
				w->failed = 1;
				w->st.errors++;
			}
			free(b->items[i].buf);
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

static void gather(pworker *w, plumb_stream_result *out)
{
	const sg_stats *lib = sg_scanner_stats(w->scanner);
	out->st.files += w->st.files;
	out->st.binary_skipped += w->st.binary_skipped;
	out->st.lfs_skipped += w->st.lfs_skipped;
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
	}
}

static int start_workers(pstream *s)
{
	for (int i = 0; i < s->nworkers; i++) {
		pworker *w = &s->workers[i];
		w->s = s;
		if (!(w->scanner = cli_scanner(s->cfg->o, s->cfg->policy, s->cfg->baseline)))
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
	if (start_workers(s) == 0 && gitcmd_start(&cat, argv, 0, 0) == 0) {
		/* the whole repository passes here: fewer, larger reads (the pipe's own
		 * size is a hint the kernel may refuse, which costs only speed) */
		fcntl(fileno(cat.from), F_SETPIPE_SZ, 1 << 20);
		setvbuf(cat.from, NULL, _IOFBF, 1 << 20);
		rc = read_stream(s, cat.from, out);
		if (rc < 0)
			fprintf(stderr, "sasguard: git cat-file --batch-all-objects: a broken stream\n");
	}
	int status = cat.pid > 0 ? gitcmd_finish(&cat) : -1;
	if (rc == 0 && status != 0) {
		fprintf(stderr, "sasguard: git cat-file --batch-all-objects failed (exit %d)\n", status);
		rc = -1;
	}
	if (rc < 0) {
		out->stopped = 1;
		out->st.errors++; /* at least the object it stopped at */
	}
	stop_workers(s, out);
	pthread_cond_destroy(&s->not_full);
	pthread_cond_destroy(&s->not_empty);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rc < 0 || out->failed ? -1 : 0;
}
