/*
 * history.c - `sasguard --all-history [PATH]`: every object of the repository
 * is read once, blobs (and commit and tag messages) scanned by --threads
 * workers fed through a bounded queue, so memory stays flat however long the
 * history. Only blobs holding a finding are then attributed, by one walk
 * from the oldest commit, to the commit and path that introduced them.
 */
#include "gitscan.h"
#include "oidset.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_CAP 4096
#define MAX_THREADS 64

/* One queue of object ids from the enumerating thread to the workers. */
typedef struct queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	git_oid items[QUEUE_CAP];
	size_t head, count;
	int closed;
} queue;

typedef struct history history;

typedef struct worker {
	history *h;
	pthread_t thread;
	sg_scanner *scanner;
	report_stats st;
	unsigned long long objects;
	git_oid *flagged;     /* blobs holding a finding */
	size_t nflagged, capflagged;
	git_oid *messages;    /* commits and tags whose message holds one */
	size_t nmessages, capmessages;
	int failed;
} worker;

struct history {
	cli_opts *o;
	git_repository *repo;
	git_odb *odb;
	const sg_policy *policy;
	queue q;
	worker workers[MAX_THREADS];
	int nworkers;
	int progress;         /* a terminal on stderr: show a \r progress line */
	report *report;
	report_stats st;
	sg_baseline *baseline; /* owned; may be NULL */
};

/* An attribution: the oldest commit and path that hold a flagged blob. */
typedef struct origin {
	git_oid blob;
	git_oid commit;
	char *path;
} origin;

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

static int queue_pop(queue *q, git_oid *out)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == 0 && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->count == 0) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	git_oid_cpy(out, &q->items[q->head]);
	q->head = (q->head + 1) % QUEUE_CAP;
	q->count--;
	pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->mu);
	return 1;
}

static void queue_push(queue *q, const git_oid *id)
{
	pthread_mutex_lock(&q->mu);
	while (q->count == QUEUE_CAP)
		pthread_cond_wait(&q->not_full, &q->mu);
	git_oid_cpy(&q->items[(q->head + q->count) % QUEUE_CAP], id);
	q->count++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

static void queue_close(queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

/* Scans one object; remembers it when it holds a finding. */
static int scan_object(worker *w, const git_oid *id)
{
	history *h = w->h;
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t size;
	sg_findings found;
	int rc = 0;

	if (git_odb_read_header(&size, &type, h->odb, id) < 0)
		return -1;
	if (type == GIT_OBJECT_TREE || (type == GIT_OBJECT_BLOB && size > h->policy->max_file_size)) {
		w->st.large_skipped += type == GIT_OBJECT_BLOB;
		return 0;
	}
	if (git_odb_read(&obj, h->odb, id) < 0)
		return -1;
	const char *buf = git_odb_object_data(obj);
	size = git_odb_object_size(obj);
	sg_findings_init(&found);
	if (type == GIT_OBJECT_BLOB) {
		if (!h->policy->scan_binary && sg_buffer_is_binary(buf, size))
			w->st.binary_skipped++;
		else {
			w->st.files++;
			rc = sg_scan_buffer(w->scanner, NULL, buf, size, 1, &found);
		}
		if (rc == 0 && found.count && push_oid(&w->flagged, &w->nflagged, &w->capflagged, id) < 0)
			rc = -1;
	} else if (type == GIT_OBJECT_COMMIT || type == GIT_OBJECT_TAG) {
		/* The raw object: headers then the message; only the message can hold a token. */
		const char *msg = memmem(buf, size, "\n\n", 2);
		if (msg)
			rc = sg_scan_buffer(w->scanner, NULL, msg, size - (size_t)(msg - buf), 1, &found);
		if (rc == 0 && found.count && push_oid(&w->messages, &w->nmessages, &w->capmessages, id) < 0)
			rc = -1;
	}
	sg_findings_clear(&found);
	git_odb_object_free(obj);
	return rc == SG_ELIMIT ? 0 : rc;
}

static void *work(void *arg)
{
	worker *w = arg;
	git_oid id;
	while (queue_pop(&w->h->q, &id)) {
		w->objects++;
		if (scan_object(w, &id) < 0) {
			char what[GIT_OID_HEXSZ + 32] = "cannot read object ";
			git_oid_tostr(what + strlen(what), GIT_OID_HEXSZ + 1, &id);
			if (!w->failed)
				git_fail(what); /* the first is enough: the note counts them all */
			w->failed = 1;
			w->st.errors++;
		}
	}
	return NULL;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

typedef struct producer {
	history *h;
	unsigned long long n;
	struct timespec start, last;
} producer;

static int enqueue(const git_oid *id, void *payload)
{
	producer *pr = payload;
	queue_push(&pr->h->q, id);
	if (pr->h->progress && (++pr->n & 4095) == 0 && seconds_since(&pr->last) > 0.2) {
		clock_gettime(CLOCK_MONOTONIC, &pr->last);
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s", pr->n, seconds_since(&pr->start));
	}
	return 0;
}

/* Phase 1: every object once, across the workers. */
static int scan_all_objects(history *h, sg_diag *dg)
{
	producer pr = { h, 0, { 0, 0 }, { 0, 0 } };
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &pr.start);
	pr.last = pr.start;
	pthread_mutex_init(&h->q.mu, NULL);
	pthread_cond_init(&h->q.not_empty, NULL);
	pthread_cond_init(&h->q.not_full, NULL);
	for (int i = 0; i < h->nworkers; i++) {
		worker *w = &h->workers[i];
		w->h = h;
		if (sg_scanner_new(&w->scanner, h->policy, dg) < 0)
			return -1;
		sg_scanner_set_now(w->scanner, h->o->now);
		sg_scanner_set_baseline(w->scanner, h->baseline);
	}
	int started = 0;
	for (; started < h->nworkers; started++)
		if (pthread_create(&h->workers[started].thread, NULL, work, &h->workers[started]) != 0)
			break;
	if (started == 0 || git_odb_foreach(h->odb, enqueue, &pr) < 0) {
		git_fail("listing the objects");
		rc = -1;
	}
	queue_close(&h->q);
	for (int i = 0; i < started; i++)
		pthread_join(h->workers[i].thread, NULL);
	if (h->progress)
		fprintf(stderr, "\rsasguard: %llu objects read, %.1f s\n", pr.n, seconds_since(&pr.start));
	for (int i = 0; i < h->nworkers; i++) {
		worker *w = &h->workers[i];
		h->st.files += w->st.files;
		h->st.binary_skipped += w->st.binary_skipped;
		h->st.large_skipped += w->st.large_skipped;
		h->st.errors += w->st.errors;
		rc |= w->failed ? -1 : 0;
	}
	pthread_cond_destroy(&h->q.not_full);
	pthread_cond_destroy(&h->q.not_empty);
	pthread_mutex_destroy(&h->q.mu);
	return rc;
}

/* ---- phase 2: attribution ------------------------------------------------ */

typedef struct attrib {
	history *h;
	oidset *flagged;      /* blob -> origin* once attributed */
	size_t left;          /* flagged blobs not yet attributed */
	const git_oid *commit;
	origin **order;       /* origins in the order found (oldest first) */
	size_t norder;
} attrib;

#define ALL_FOUND 1

static int on_blob(const char *path, const git_oid *old, const git_oid *new, void *payload)
{
	attrib *a = payload;
	oidset_entry *e = oidset_get(a->flagged, new);
	(void)old;
	if (!e || e->value)
		return 0;
	origin *o = malloc(sizeof(*o));
	if (!o || !(o->path = strdup(path))) {
		free(o);
		return -1;
	}
	git_oid_cpy(&o->blob, new);
	git_oid_cpy(&o->commit, a->commit);
	e->value = o;
	a->order[a->norder++] = o;
	return --a->left == 0 ? ALL_FOUND : 0;
}

static int attribute_commit(attrib *a, const git_oid *id, int *shallow)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	int rc = -1;

	if (git_commit_lookup(&c, a->h->repo, id) < 0 || git_commit_tree(&tree, c) < 0) {
		git_fail("reading a commit");
		goto out;
	}
	/* A shallow clone's boundary commits lack their parents: diff against nothing. */
	if (git_commit_parentcount(c) > 0) {
		if (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0) {
			*shallow = 1;
			git_error_clear();
		}
	}
	a->commit = id;
	rc = tree_diff(a->h->repo, ptree, tree, on_blob, a);
out:
	git_tree_free(ptree);
	git_commit_free(parent);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* One commit on the walk's stack: its id and the next parent to visit. */
typedef struct frame {
	git_oid id;
	unsigned next;
} frame;

typedef struct topo {
	git_repository *repo;
	oidset seen;
	frame *stack;
	size_t depth, cap;
	int incomplete;   /* a commit could not be read: shallow or damaged */
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

/*
 * Visits every commit reachable from tip, parents before children (DFS post
 * order), calling attribute_commit on each. Not libgit2's revwalk: in 1.5 it
 * knows nothing of shallow clones and stops at the first missing parent; here
 * a missing commit is a boundary of the history, noted, and the walk goes on.
 */
static int topo_walk(topo *t, attrib *a, const git_oid *tip, int *shallow)
{
	if (topo_push(t, tip) < 0)
		return -1;
	while (t->depth) {
		frame *f = &t->stack[t->depth - 1];
		git_commit *c = NULL;
		if (git_commit_lookup(&c, t->repo, &f->id) < 0) {
			t->incomplete = 1;
			git_error_clear();
			t->depth--;
			continue;
		}
		if (f->next < git_commit_parentcount(c)) {
			const git_oid *pid = git_commit_parent_id(c, f->next++);
			git_oid parent;
			git_oid_cpy(&parent, pid);
			git_commit_free(c);
			if (topo_push(t, &parent) < 0)
				return -1;
			continue;
		}
		git_commit_free(c);
		git_oid id;
		git_oid_cpy(&id, &f->id);
		t->depth--;
		int r = attribute_commit(a, &id, shallow);
		if (r == ALL_FOUND)
			return ALL_FOUND;
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The commits the refs point at: where the walk starts. */
typedef struct tips {
	git_oid *v;
	size_t n, cap;
} tips;

static int collect_tip(git_reference *ref, void *payload)
{
	tips *t = payload;
	git_object *obj = NULL;
	int rc = 0;
	/* refs to trees or blobs (rare) reach no commit: skipped */
	if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0)
		rc = push_oid(&t->v, &t->n, &t->cap, git_object_id(obj));
	git_error_clear();
	git_object_free(obj);
	git_reference_free(ref);
	return rc;
}

static int walk_history(attrib *a, int *shallow)
{
	topo t;
	tips tp = { 0 };
	git_reference *head = NULL;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	t.repo = a->h->repo;
	oidset_init(&t.seen);
	if (git_reference_foreach(t.repo, collect_tip, &tp) < 0) {
		git_fail("listing the refs");
		goto out;
	}
	/* A detached HEAD is reachable too. */
	if (git_repository_head(&head, t.repo) == 0 && collect_tip(head, &tp) < 0)
		goto out;
	git_error_clear();
	for (size_t i = 0; i < tp.n; i++) {
		int r = topo_walk(&t, a, &tp.v[i], shallow);
		if (r == ALL_FOUND)
			break;
		if (r < 0) {
			git_fail("walking the history");
			goto out;
		}
	}
	if (t.incomplete)
		*shallow = 1;
	rc = 0;
out:
	free(tp.v);
	free(t.stack);
	oidset_free(&t.seen);
	return rc;
}

/* Re-scans each attributed blob with its path (so [allow] globs apply) into the report. */
static int report_origins(history *h, blob_ctx *b, attrib *a)
{
	int rc = 0;
	for (size_t i = 0; i < a->norder && rc == 0; i++) {
		origin *o = a->order[i];
		char hex[GIT_OID_HEXSZ + 1];
		sg_findings found;
		git_oid_tostr(hex, sizeof(hex), &o->commit);
		sg_findings_init(&found);
		report_stats saved = h->st;
		rc = blob_scan(b, &o->blob, o->path, &found);
		h->st = saved;
		if (rc == 0)
			rc = report_take(h->report, &found, o->path, hex);
		sg_findings_clear(&found);
	}
	return rc;
}

static int report_messages(history *h, blob_ctx *b)
{
	for (int i = 0; i < h->nworkers; i++) {
		worker *w = &h->workers[i];
		for (size_t k = 0; k < w->nmessages; k++) {
			git_object *obj = NULL;
			char hex[GIT_OID_HEXSZ + 1];
			sg_findings found;
			if (git_object_lookup(&obj, h->repo, &w->messages[k], GIT_OBJECT_ANY) < 0)
				return -1;
			int commit = git_object_type(obj) == GIT_OBJECT_COMMIT;
			const char *msg = commit ? git_commit_message((git_commit *)obj) : git_tag_message((git_tag *)obj);
			const char *label = commit ? "(commit message)" : "(tag message)";
			git_oid_tostr(hex, sizeof(hex), &w->messages[k]);
			sg_findings_init(&found);
			int rc = msg ? text_scan(b, msg, strlen(msg), label, &found) : 0;
			if (rc == 0)
				rc = report_take(h->report, &found, label, hex);
			sg_findings_clear(&found);
			git_object_free(obj);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static int attribute_and_report(history *h, blob_ctx *b)
{
	oidset flagged;
	attrib a;
	int shallow = 0, rc = -1;
	size_t total = 0;

	oidset_init(&flagged);
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < h->nworkers; i++)
		for (size_t k = 0; k < h->workers[i].nflagged; k++)
			if (!oidset_add(&flagged, &h->workers[i].flagged[k], NULL))
				goto out;
	a.h = h;
	a.flagged = &flagged;
	a.left = flagged.count;
	total = flagged.count;
	if (!(a.order = calloc(flagged.count + 1, sizeof(*a.order))))
		goto out;
	if (a.left && walk_history(&a, &shallow) < 0)
		goto out;
	if (report_origins(h, b, &a) < 0 || report_messages(h, b) < 0)
		goto out;
	if (a.left)
		report_note(h->report, "%zu of %zu flagged blobs are reachable from no ref (dangling objects): not "
				       "reported; 'git gc --prune=now' deletes them",
			    a.left, total);
	if (shallow)
		report_note(h->report, "the history is shallow or incomplete: findings are attributed to the "
				       "oldest commit present");
	if (h->st.errors)
		report_note(h->report, "%llu objects could not be read (a damaged repository? 'git fsck' tells): "
				       "what they hold was not scanned",
			    h->st.errors);
	rc = 0;
out:
	for (size_t i = 0; i < a.norder; i++) {
		free(a.order[i]->path);
		free(a.order[i]);
	}
	free(a.order);
	oidset_free(&flagged);
	return rc;
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int cmd_history(cli_opts *o)
{
	history *h = calloc(1, sizeof(*h));
	sg_policy p;
	sg_diag dg;
	char repo_ini[4096];
	blob_ctx b;
	int rc = EXIT_INTERNAL;

	if (!h)
		return EXIT_INTERNAL;
	if (o->nargs > 1) {
		fprintf(stderr, "sasguard: --all-history takes one repository path\n");
		free(h);
		return EXIT_USAGE;
	}
	sg_policy_init(&p);
	git_libgit2_init();
	/* Read-only scanning: SHA-1 verification of every object halves the speed. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	h->o = o;
	if (repo_open_path(&h->repo, o->nargs ? o->args[0] : ".") != 0)
		goto out;
	repo_policy_file(h->repo, repo_ini, sizeof(repo_ini));
	sg_policy_free(&p);
	if ((rc = cli_load_policy(o, &p, repo_ini, NULL)) != 0)
		goto out;
	rc = EXIT_INTERNAL;
	if ((rc = cli_load_baseline(o, &p, &h->baseline)) != 0)
		goto out;
	rc = EXIT_INTERNAL;
	h->policy = &p;
	h->nworkers = o->threads ? (o->threads > MAX_THREADS ? MAX_THREADS : o->threads) : default_threads();
	h->progress = isatty(2) && !o->quiet;
	if (git_repository_odb(&h->odb, h->repo) < 0 || !(h->report = report_open(o, &p))) {
		git_fail("opening the object database");
		goto out;
	}
	int failed = scan_all_objects(h, &dg) < 0;
	memset(&b, 0, sizeof(b));
	b.repo = h->repo;
	b.scanner = h->workers[0].scanner;
	b.policy = &p;
	b.stats = &h->st;
	b.report = h->report;
	if (!b.scanner || attribute_and_report(h, &b) < 0)
		failed = 1;
	sg_stats total = { 0 };
	for (int i = 0; i < h->nworkers; i++) {
		const sg_stats *s = h->workers[i].scanner ? sg_scanner_stats(h->workers[i].scanner) : &total;
		if (s == &total)
			continue;
		total.bytes += s->bytes;
		total.tokens += s->tokens;
		total.placeholders += s->placeholders;
		total.emulator += s->emulator;
		total.limit_hits += s->limit_hits;
	}
	if (o->write_baseline && report_write_baseline(h->report, o->write_baseline) != 0)
		failed = 1;
	rc = report_finish(h->report, &total, &h->st, "live tokens above must be revoked and removed",
			   failed ? "the scan is incomplete (see above)" : "no token in the history breaks the policy");
	if (rc == EXIT_CLEAN && failed)
		rc = EXIT_INTERNAL;
out:
	for (int i = 0; i < h->nworkers; i++) {
		sg_scanner_free(h->workers[i].scanner);
		free(h->workers[i].flagged);
		free(h->workers[i].messages);
	}
	report_free(h->report);
	sg_baseline_free(h->baseline);
	git_odb_free(h->odb);
	git_repository_free(h->repo);
	git_libgit2_shutdown();
	sg_policy_free(&p);
	free(h);
	return rc;
}
