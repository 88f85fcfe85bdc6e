/*
 * pushed.c - `sasguard pre-receive`: judge what a push adds. pushnew.c finds
 * it (what `git rev-list --objects <new> --not --all` lists); each new blob
 * is scanned once, each new commit's and tag's message whole; only blobs
 * holding a finding are then tied to the commits that added them, and kept
 * when the commit's diff added the token. The scan runs in a child process
 * that reports its progress through shared memory, so that a crash or the
 * time budget (server.max_seconds) never lets a push through unjudged. A
 * SHA-256 repository, which libgit2 1.5.1 cannot open, is judged in that
 * child the same way through git's plumbing (plumb_push.c).
 */
#include "push.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The child's exit status when objects the push refers to are missing. */
#define CHILD_INCOMPLETE 4

/* Blobs holding a finding, found by the scan. */
#define FLAGGED ((void *)1)

/* git push -o sasguard.allow=<fingerprint> -o sasguard.reason=<why> */
typedef struct push_allow {
	char (*fp)[33];
	int *used;
	size_t n;
	char *reason;
	int enabled; /* the server allows it, and the pusher gave a reason */
} push_allow;

typedef struct push {
	blob_ctx b;
	cli_opts *o;
	const sg_baseline *base;
	int nthreads;
	sg_stats lib;        /* what the pool's scanners counted */
	push_src src;
	push_allow allow;
	push_new pn;
	oidset flagged;
	missing miss;
	progress *prog;
	update *updates;
	size_t nupdates;
	report_stats st;
	int failed;
} push;

static void free_updates(update *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(u[i].ref);
	free(u);
}

/* Parses "<old> <new> <ref>": both ids of one width (SHA-1's 40 hex digits,
 * or SHA-256's 64, which only the hex fields hold); 0, or -1. */
static int parse_update(update *u, const char *line)
{
	const char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	size_t w = sp1 ? (size_t)(sp1 - line) : 0;
	memset(u, 0, sizeof(*u));
	if (!sp2 || (w != GIT_OID_HEXSZ && w != 64) || (size_t)(sp2 - sp1 - 1) != w || !sp2[1])
		return -1;
	for (size_t i = 0; i < w; i++)
		if (!strchr("0123456789abcdef", line[i]) || !strchr("0123456789abcdef", sp1[1 + i]))
			return -1;
	memcpy(u->old_hex, line, w);
	memcpy(u->new_hex, sp1 + 1, w);
	if (w == GIT_OID_HEXSZ && (git_oid_fromstrn(&u->old, line, w) < 0 || git_oid_fromstrn(&u->new, sp1 + 1, w) < 0))
		return -1;
	return (u->ref = strdup(sp2 + 1)) ? 0 : -1;
}

/* Reads every "<old> <new> <ref>" line git writes on stdin; REPO_UNREADABLE
 * when they name SHA-256 ids (the caller decides, by the repository's format). */
static int read_updates(update **out, size_t *n)
{
	char *line = NULL;
	size_t cap = 0, count = 0, lineno = 0;
	ssize_t len;
	update *u = NULL;
	size_t width = 0;

	*out = NULL;
	*n = 0;
	if (isatty(0)) {
		fprintf(stderr, "sasguard: pre-receive reads '<old> <new> <ref>' lines from git on stdin; install it "
				"as a server's hooks/pre-receive (see install.sh server)\n");
		return EXIT_USAGE;
	}
	while ((len = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		update *g = realloc(u, (count + 1) * sizeof(*u));
		if (!g)
			goto bad;
		u = g;
		if (parse_update(&u[count], line) < 0 || (width && strlen(u[count].old_hex) != width)) {
			free(u[count].ref);
			fprintf(stderr, "sasguard: pre-receive: stdin line %zu is not '<old> <new> <ref>'\n", lineno);
			goto bad;
		}
		width = strlen(u[count++].old_hex);
	}
	free(line);
	*out = u;
	*n = count;
	return width == 64 ? REPO_UNREADABLE : 0;
bad:
	free(line);
	free_updates(u, count);
	return EXIT_INTERNAL;
}

static int is_fingerprint(const char *v)
{
	size_t n = 0;
	for (; v[n]; n++)
		if (!((v[n] >= '0' && v[n] <= '9') || (v[n] >= 'a' && v[n] <= 'f')))
			return 0;
	return n == 32;
}

static int add_allow(push_allow *a, const char *fp)
{
	char(*f)[33] = realloc(a->fp, (a->n + 1) * sizeof(*f));
	if (f)
		a->fp = f;
	int *u = f ? realloc(a->used, (a->n + 1) * sizeof(*u)) : NULL;
	if (u)
		a->used = u;
	if (!f || !u)
		return -1;
	memcpy(a->fp[a->n], fp, 33);
	a->used[a->n++] = 0;
	return 0;
}

/* Reads every push option (git sets as many as the pusher gave); allowances
 * count only where the server's policy allows them. */
static int read_push_options(push *ps)
{
	push_allow *a = &ps->allow;
	const char *cnt = getenv("GIT_PUSH_OPTION_COUNT");
	long n = cnt ? strtol(cnt, NULL, 10) : 0;
	for (long i = 0; i < n; i++) {
		char name[40];
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%ld", i);
		const char *v = getenv(name);
		if (!v) {
			report_note(ps->b.report, "GIT_PUSH_OPTION_COUNT is %ld but %s is not set: options from %ld on "
						  "were not read", n, name, i);
			break;
		}
		if (strncmp(v, "sasguard.allow=", 15) == 0) {
			if (!is_fingerprint(v + 15))
				report_note(ps->b.report, "push option sasguard.allow: '%.40s' is not a fingerprint", v + 15);
			else if (add_allow(a, v + 15) < 0)
				return -1;
		} else if (strncmp(v, "sasguard.reason=", 16) == 0) {
			free(a->reason);
			if (!(a->reason = strdup(v + 16)))
				return -1;
		}
	}
	if (!a->n)
		return 0;
	if (!ps->b.policy->allow_push_option)
		report_note(ps->b.report, "push option sasguard.allow ignored: this server does not take "
					  "allowances by push option (server.allow_push_option = false)");
	else if (!a->reason || !a->reason[0])
		report_note(ps->b.report, "push option sasguard.allow needs a reason: add -o sasguard.reason=\"why\"");
	else
		a->enabled = 1;
	return 0;
}

/* Marks findings the pusher named by fingerprint as allowed, and logs each use. */
static void apply_push_allow(push *ps, sg_findings *found, const char *path, const char *commit)
{
	push_allow *a = &ps->allow;
	for (size_t i = 0; a->enabled && i < found->count; i++) {
		sg_finding *f = found->items[i];
		for (size_t k = 0; k < a->n && !f->allowed; k++) {
			if (strcmp(a->fp[k], f->token.fingerprint) != 0)
				continue;
			f->allowed = SG_ALLOWED_PUSH_OPTION;
			snprintf(f->allow_reason, sizeof(f->allow_reason), "%s", a->reason);
			a->used[k] = 1;
			if (audit_allowance(ps->b.policy, f, path, commit, "push-option allowance", a->reason) < 0)
				ps->failed = 1;
		}
	}
}

/*
 * Inline markers in pushed content: the pusher wrote them, so the server
 * decides (server.inline_allow) and keeps a record of each one it honours,
 * as of a push-option allowance.
 */
static void apply_inline(push *ps, sg_findings *found, const char *path, const char *commit)
{
	for (size_t i = 0; i < found->count; i++) {
		sg_finding *f = found->items[i];
		if (f->allowed != SG_ALLOWED_INLINE)
			continue;
		if (!ps->b.policy->inline_allow) {
			f->allowed = sg_baseline_has(ps->base, f->token.fingerprint) ? SG_ALLOWED_BASELINE : SG_ALLOWED_NO;
			snprintf(f->note, sizeof(f->note), "sasguard:allow ignored: this server does not take inline "
							   "allowances (server.inline_allow = false)");
			continue;
		}
		if (audit_allowance(ps->b.policy, f, path, commit, "inline allowance", f->allow_reason) < 0)
			ps->failed = 1;
	}
}

static int blocks(const sg_findings *found)
{
	for (size_t i = 0; i < found->count; i++)
		if (found->items[i]->severity == SG_SEV_ERROR && found->items[i]->allowed == SG_ALLOWED_NO)
			return 1;
	return 0;
}

/* What is left of a change's findings goes to the report. A timeout from
 * then on must not let the push pass unchecked (fail_open): it blocks. */
static int keep(push *ps, sg_findings *found, const char *path, const char *commit)
{
	apply_inline(ps, found, path, commit);
	apply_push_allow(ps, found, path, commit);
	ps->prog->blocking |= blocks(found);
	return report_take(ps->b.report, found, path, commit);
}

static int keep_cb(void *ps, sg_findings *found, const char *path, const char *commit)
{
	return keep(ps, found, path, commit);
}

/* ---- the scan: every new blob once, every new message whole ------------- */

/* A worker's own repository, seeing the quarantine (see scanpool.c). */
static int worker_odb(void *ctx, git_repository **repo, git_odb **odb)
{
	git_odb *q = NULL;
	(void)ctx;
	if (repo_open_pushed(repo, &q) != 0)
		return -1;
	git_odb_free(q);
	if (git_repository_odb(odb, *repo) < 0) {
		git_fail("opening the object database for a thread");
		return -1;
	}
	return 0;
}

static const char *first_path(void *ctx, const git_oid *id)
{
	return push_blob_path(&((push *)ctx)->pn, id, NULL);
}

/* What the pool reads, and the progress the supervisor shows on a timeout. */
typedef struct feeder {
	push *ps;
	scan_pool *pool;
	oidset queued;
	unsigned long long n;
} feeder;

static void tell_progress(feeder *f)
{
	unsigned long long bytes;
	int blocking;
	f->ps->prog->objects = scan_pool_progress(f->pool, &bytes, &blocking);
	f->ps->prog->bytes = bytes;
	f->ps->prog->blocking |= blocking;
}

static int feed(feeder *f, const git_oid *id, git_object_t type, size_t size)
{
	int added;
	if (!oidset_add(&f->queued, id, &added))
		return -1;
	if (added) {
		scan_pool_add(f->pool, id, type, size);
		if ((++f->n & 1023) == 0)
			tell_progress(f);
	}
	return 0;
}

/* The quarantine's objects in pack order: the new ones go to the pool. */
static int feed_packed(const git_oid *id, git_object_t type, size_t size, void *payload)
{
	feeder *f = payload;
	push_new *pn = &f->ps->pn;
	if (type == GIT_OBJECT_TREE)
		return 0;
	if (oidset_get(&pn->blobs, id) || oidset_get(&pn->commit_index, id))
		return feed(f, id, type, size);
	return 0;
}

static int judge_message(push *ps, const git_oid *id, const char *label);

/* The pool's findings: flagged blobs for attribution, messages reported now. */
static int take_results(push *ps, const scan_result *r)
{
	oidset gone;
	int rc = 0;
	oidset_init(&gone);
	for (size_t i = 0; rc == 0 && i < r->nmissing; i++) {
		int blob = oidset_get(&ps->pn.blobs, &r->missing[i]) != NULL;
		rc = missing_add(&ps->miss, &r->missing[i], blob ? GIT_OBJECT_BLOB : GIT_OBJECT_INVALID,
				 blob ? first_path(ps, &r->missing[i]) : NULL);
		if (rc == 0 && !oidset_add(&gone, &r->missing[i], NULL))
			rc = -1;
	}
	/* the blobs judged: all the new ones the object database held */
	for (size_t i = 0; rc == 0 && i < ps->pn.nblobs; i++)
		if (!oidset_get(&gone, &ps->pn.blob_order[i]))
			trace_blob(&ps->pn.blob_order[i]);
	for (size_t i = 0; rc == 0 && i < r->nflagged; i++) {
		oidset_entry *e = oidset_add(&ps->flagged, &r->flagged[i], NULL);
		if (!e)
			rc = -1;
		else
			e->value = FLAGGED;
	}
	ps->st.files += r->st.files;
	ps->st.binary_skipped += r->st.binary_skipped;
	ps->st.large_skipped += r->st.large_skipped;
	ps->st.lfs_skipped += r->st.lfs_skipped;
	ps->st.errors += r->st.errors;
	ps->lib = r->lib;
	for (int k = 0; k < SKIP_KINDS; k++) {
		const char *paths[SKIP_SAMPLES];
		for (size_t i = 0; i < r->nskip_sample[k]; i++)
			paths[i] = first_path(ps, &r->skip_sample[k][i]);
		blob_skips_add(&ps->b, k, k == SKIP_LFS ? r->st.lfs_skipped : k == SKIP_BINARY ? r->st.binary_skipped
											: r->st.large_skipped,
			       paths, r->nskip_sample[k]);
	}
	for (size_t i = 0; rc == 0 && i < r->nmessages; i++) {
		int commit = oidset_get(&ps->pn.commit_index, &r->messages[i]) != NULL;
		rc = judge_message(ps, &r->messages[i], commit ? "(commit message)" : "(tag message)");
	}
	ps->st.commits = ps->pn.ncommits;
	ps->prog->commits = ps->pn.ncommits;
	oidset_free(&gone);
	return rc;
}

/*
 * Every new blob and every new commit's and tag's message, judged by the
 * pool's threads: the quarantine's first, in its packs' order (a delta's base
 * just before it), then the new objects stored elsewhere (the repository, its
 * alternates). A big push reads like --all-history.
 */
static int scan_new(push *ps)
{
	const char *q = getenv("GIT_QUARANTINE_PATH");
	scan_pool_cfg cfg = { ps->o, ps->b.policy, ps->base, ps->nthreads, 0, worker_odb, ps, first_path, ps };
	feeder f = { ps, scan_pool_start(&cfg), { 0 }, 0 };
	scan_result r;
	int rc = 0;

	if (!f.pool)
		return -1;
	oidset_init(&f.queued);
	ps->prog->finding = 0;
	ps->prog->total = ps->pn.nblobs + ps->pn.ncommits + ps->pn.ntags;
	ps->prog->commits = ps->pn.ncommits;
	if (!q || !*q)
		q = getenv("GIT_OBJECT_DIRECTORY");
	if (ps->src.qodb && q && odb_foreach_in_pack_order_at(q, ps->src.qodb, feed_packed, &f) < 0) {
		git_fail("listing the pushed objects");
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < ps->pn.nblobs; i++)
		rc = feed(&f, &ps->pn.blob_order[i], GIT_OBJECT_BLOB, SIZE_MAX);
	for (size_t i = 0; rc == 0 && i < ps->pn.ncommits; i++)
		rc = feed(&f, &ps->pn.commits[i].id, GIT_OBJECT_COMMIT, SIZE_MAX);
	for (size_t i = 0; rc == 0 && i < ps->pn.ntags; i++)
		rc = feed(&f, &ps->pn.tags[i], GIT_OBJECT_TAG, SIZE_MAX);
	tell_progress(&f);
	if (scan_pool_finish(f.pool, &r) < 0 || r.failed)
		rc = -1;
	ps->prog->objects = f.n;
	oidset_free(&f.queued);
	if (rc == 0)
		rc = take_results(ps, &r);
	scan_result_free(&r);
	return rc;
}

/* A commit's or tag's message, whole: git keeps NUL bytes in it. */
static int judge_message(push *ps, const git_oid *id, const char *label)
{
	raw_object o;
	char hex[GIT_OID_HEXSZ + 1];
	sg_findings found;
	size_t at;
	int rc = -1;

	if (raw_object_read(ps->src.odb, ps->src.cache, id, &o) < 0) {
		git_fail("reading a pushed message");
		return -1;
	}
	if (o.type == GIT_OBJECT_COMMIT) {
		commit_info ci;
		if (commit_parse(o.data, o.len, &ci) < 0)
			goto out;
		at = ci.message;
		commit_info_clear(&ci);
	} else {
		tag_info t;
		if (o.type != GIT_OBJECT_TAG || tag_parse(o.data, o.len, &t) < 0)
			goto out;
		at = t.message;
	}
	git_oid_tostr(hex, sizeof(hex), id);
	sg_findings_init(&found);
	rc = text_scan(&ps->b, (const char *)o.data + at, o.len - at, label, &found);
	if (rc == 0)
		rc = keep(ps, &found, label, hex);
	sg_findings_clear(&found);
out:
	if (rc < 0 && !git_error_last())
		git_error_set_str(GIT_ERROR_OBJECT, "corrupt commit or tag");
	raw_object_release(&o);
	return rc;
}

/* ---- attribution: which commit added a flagged blob, and which lines ------ */

/*
 * A flagged blob is reported where it was first seen: the first commit, in
 * parents-first order, whose tree has it where its first parent's did not
 * (the commit that introduced it), or the ref that names the tree holding it.
 * Its findings count on the lines that commit added against each parent.
 */
static int judge_first_sighting(push *ps, const git_oid *id)
{
	const new_commit *c = NULL;
	const char *path = push_blob_path(&ps->pn, id, &c);
	char hex[GIT_OID_HEXSZ + 1];
	sg_findings found;
	report_stats saved = ps->st;
	int rc;

	sg_findings_init(&found);
	ps->b.side_read = 1; /* judged by the pool already: read again for its lines */
	rc = blob_scan(&ps->b, id, path, &found);
	for (size_t i = 0; c && rc == 0 && found.count && i < c->nparents; i++) {
		git_oid ptree, old;
		if (push_commit_tree(&ps->pn, &ps->src, &c->parents[i], &ptree) < 0) {
			git_error_clear(); /* a missing parent (counted already): nothing to tell added from kept */
			continue;
		}
		if (tree_blob_at(ps->src.odb, ps->src.cache, &ptree, path, &old))
			rc = keep_added(&ps->b, &old, id, path, &found);
	}
	ps->b.side_read = 0;
	ps->st = saved;
	if (c)
		git_oid_tostr(hex, sizeof(hex), &c->id);
	if (rc == 0)
		rc = keep(ps, &found, path, c ? hex : NULL);
	sg_findings_clear(&found);
	return rc == BLOB_MISSING ? 0 : rc;
}

static int attribute(push *ps)
{
	for (size_t i = 0; i < ps->pn.nblobs; i++)
		if (oidset_get(&ps->flagged, &ps->pn.blob_order[i]) && judge_first_sighting(ps, &ps->pn.blob_order[i]) < 0)
			return -1;
	return 0;
}

/* ---- the child ------------------------------------------------------------ */

/* SASGUARD_TEST_FAULT=hang-judged: the scan hangs once the push is judged,
 * so that the timeout comes after its findings (tests/git/test_pre_receive.sh). */
static void test_fault_judged(void)
{
	const char *f = getenv("SASGUARD_TEST_FAULT");
	if (f && strcmp(f, "hang-judged") == 0)
		for (;;)
			pause();
}

/* A SHA-256 push, through git's plumbing; its scanner's counts are the pool's. */
static int judge_plumbed(push *ps)
{
	plumb_push_ctx c = { ps->updates, ps->nupdates, &ps->b, &ps->miss, ps->prog, keep_cb, ps };
	int rc = plumb_push_judge(&c);
	if (rc == 0)
		test_fault_judged();
	ps->lib = *sg_scanner_stats(ps->b.scanner);
	ps->lib.dropped_blocking = 0; /* added from the scanner below, as for the pool's */
	ps->st.commits = ps->prog->commits;
	return rc;
}

static int judge_push(push *ps)
{
	ps->prog->finding = 1;
	ps->pn.policy = ps->b.policy;
	if (push_new_find(&ps->pn, &ps->src, ps->updates, ps->nupdates, &ps->miss) < 0) {
		git_fail("finding what the push adds");
		return -1;
	}
	if (scan_new(ps) < 0 || attribute(ps) < 0) {
		if (git_error_last())
			git_fail("judging the push");
		return -1;
	}
	test_fault_judged();
	return 0;
}

/* The whole scan, in the child. Returns an exit code. */
static int scan_push(cli_opts *o, sg_policy *p, update *updates, size_t n, progress *prog, int plumbed)
{
	push ps;
	git_repository *repo = NULL;
	sg_baseline *base = NULL;
	int rc = EXIT_INTERNAL;

	memset(&ps, 0, sizeof(ps));
	ps.updates = updates;
	ps.nupdates = n;
	ps.prog = prog;
	oidset_init(&ps.flagged);
	missing_init(&ps.miss);
	repo_libgit2_init();
	/* Each pushed object is read once; trees we read twice sit in our own
	 * tree cache: libgit2's object cache only grew with the push. */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	/* git's index-pack hashed every pushed object to name it; hashing each
	 * again as it is read was half of a big push's time */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/* plumbed: libgit2 cannot open it; git reads it (plumb_push.c) */
	if (!plumbed && repo_open_pushed(&repo, &ps.src.qodb) != 0)
		goto out;
	ps.b.repo = repo;
	if (!plumbed && (!(ps.src.gitdir = git_repository_commondir(repo)) ||
			 git_repository_odb(&ps.src.odb, repo) < 0 || !(ps.src.cache = tree_cache_new()))) {
		git_fail("opening the object database");
		goto out;
	}
	if (cli_load_baseline(o, p, &base) != 0 || !(ps.b.scanner = cli_scanner(o, p, base)) ||
	    !(ps.b.report = report_open(o, p)))
		goto out;
	ps.b.policy = p;
	ps.b.stats = &ps.st;
	ps.o = o;
	ps.base = base;
	ps.nthreads = o->threads ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (read_push_options(&ps) < 0)
		goto out;
	int failed = (plumbed ? judge_plumbed(&ps) : judge_push(&ps)) < 0;
	if (ps.lib.limit_hits) { /* part of a blob was not scanned: not judged whole */
		report_note(ps.b.report, "regex match limit hit %llu time%s: those parts were not scanned",
			    (unsigned long long)ps.lib.limit_hits, ps.lib.limit_hits == 1 ? "" : "s");
		failed = 1;
	}
	for (size_t k = 0; k < ps.allow.n; k++)
		if (ps.allow.enabled && !ps.allow.used[k])
			report_note(ps.b.report, "push option sasguard.allow=%s matched no finding", ps.allow.fp[k]);
	blob_skips_note(&ps.b);
	ps.st.missing = ps.miss.total;
	missing_report(&ps.miss, ps.b.report, repo, o->allow_missing);
	int incomplete = ps.miss.total && !o->allow_missing;
	/* the pool's counts: what was judged, each object once */
	ps.lib.dropped_blocking += sg_scanner_stats(ps.b.scanner)->dropped_blocking;
	rc = report_finish(ps.b.report, &ps.lib, &ps.st,
			   "push rejected: the commits above add tokens that break the server's policy; "
			   "replace them and rewrite those commits",
			   incomplete || failed ? "push rejected: it could not be judged whole (see above)" : NULL);
	if (rc == EXIT_CLEAN && (failed || ps.failed))
		rc = EXIT_INTERNAL;
	else if (rc == EXIT_CLEAN && incomplete)
		rc = CHILD_INCOMPLETE;
out:
	trace_close();
	report_free(ps.b.report);
	sg_scanner_free(ps.b.scanner);
	sg_baseline_free(base);
	push_new_free(&ps.pn);
	oidset_free(&ps.flagged);
	missing_free(&ps.miss);
	tree_cache_free(ps.src.cache);
	git_odb_free(ps.src.odb);
	git_odb_free(ps.src.qodb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	free(ps.allow.fp);
	free(ps.allow.used);
	free(ps.allow.reason);
	return rc;
}

/* ---- the server's policy and the supervisor ----------------------------- */

/* The server policy file named by the bare repository's git config
 * sasguard.config, read from the config file alone: before the repository is
 * opened, so that its policy decides even when its format cannot be read. */
static int server_policy_file(char *buf, size_t size)
{
	const char *gd = getenv("GIT_DIR");
	int rc;

	repo_libgit2_init();
	rc = repo_server_policy_file_at(gd && *gd ? gd : ".", buf, size);
	git_libgit2_shutdown();
	return rc;
}

/* 0 when this build reads the repository; else why not, in why (a format it
 * does not know: REPO_UNREADABLE; anything else: EXIT_INTERNAL, printed). */
static int server_probe(char *why, size_t size)
{
	git_repository *repo = NULL;
	const char *gd = getenv("GIT_DIR");
	int rc;

	repo_libgit2_init();
	rc = repo_open_server(&repo, gd && *gd ? gd : ".");
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (rc == REPO_UNREADABLE)
		snprintf(why, size, "cannot judge the push: %s", repo_unreadable_why());
	else if (rc)
		snprintf(why, size, "cannot judge the push: the repository cannot be opened (see above)");
	return rc;
}

/* 1 when git itself reads the repository as SHA-256 (a newer extension
 * beside it may stop git too: then why says so, and fail_open decides). */
static int git_reads_sha256(char *why, size_t size)
{
	char *argv[] = { "git", "rev-parse", "--show-object-format", NULL }, *out;
	size_t len;
	int ok = gitcmd_output(argv, &out, &len, 1) == 0 && strcmp(out, "sha256\n") == 0;
	free(out);
	if (!ok)
		snprintf(why, size, "cannot judge the push: the repository uses SHA-256 object ids and git "
				    "rev-parse --show-object-format does not read it");
	return ok;
}

/* Test-only faults in the child (git's GIT_TEST_* style): crash, hang, error. */
static void test_fault(void)
{
	const char *f = getenv("SASGUARD_TEST_FAULT");
	if (!f)
		return;
	if (strcmp(f, "crash") == 0)
		abort(); /* SIGABRT: sanitizers turn a SIGSEGV into an exit status */
	if (strcmp(f, "hang") == 0)
		for (;;)
			pause();
	if (strcmp(f, "error") == 0)
		_exit(EXIT_INTERNAL);
}

/* Waits for the child up to max_seconds; 0 and *status when it ended, -1 on timeout. */
static int wait_child(pid_t pid, int fd, int64_t max_seconds, int *status)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t left = max_seconds * 1000 - ((now.tv_sec - start.tv_sec) * 1000 +
						     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (max_seconds > 0 && left <= 0)
			break;
		struct pollfd pfd = { fd, POLLIN, 0 };
		int r = poll(&pfd, 1, max_seconds > 0 ? (int)(left > 60000 ? 60000 : left) : -1);
		if (r < 0 && errno != EINTR)
			break;
		char c;
		if (r > 0 && read(fd, &c, 1) <= 0) /* the child closed the pipe: it ended */
			return waitpid(pid, status, 0) == pid ? 0 : -1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

/*
 * The scan could not run, or not in time: the server's own limits. Reject,
 * unless the policy fails open and nothing blocking was found before then.
 */
static int server_failure(const sg_policy *p, const char *why, const progress *prog)
{
	fprintf(stderr, "sasguard: %s\n", why);
	if (prog && prog->blocking) {
		fprintf(stderr, "sasguard: push rejected: a token that breaks the policy was found before then\n");
		return EXIT_FINDINGS;
	}
	if (p->fail_open) {
		fprintf(stderr, "sasguard: accepting the push unchecked: server.fail_open = true\n");
		return EXIT_CLEAN;
	}
	fprintf(stderr, "sasguard: push rejected: the server's policy fails closed (server.fail_open = false); "
			"ask the server's administrator\n");
	return EXIT_INTERNAL;
}

/* A scan that failed on what the push holds rejects it, whatever fail_open says. */
static int push_failure(const char *why)
{
	fprintf(stderr, "sasguard: %s\n", why);
	fprintf(stderr, "sasguard: push rejected: what it holds could not be judged (server.fail_open does not "
			"cover this: a crafted push must not pass by breaking the scan)\n");
	return EXIT_INTERNAL;
}

static void timeout_message(char *why, size_t size, const sg_policy *p, const progress *prog)
{
	char got[160];
	if (prog->finding)
		snprintf(got, sizeof(got), "it was still finding what the push adds");
	else
		snprintf(got, sizeof(got), "it had judged %llu of the %llu new objects (%.1f MB) of %llu new commits",
			 prog->objects, prog->total, (double)prog->bytes / 1e6, prog->commits);
	snprintf(why, size,
		 "the scan did not finish within server.max_seconds = %lld s: %s; raise server.max_seconds in the "
		 "server's policy (%s, or the file git config sasguard.config names) for pushes this big",
		 (long long)p->max_seconds, got, cli_system_config());
}

static int supervise(cli_opts *o, sg_policy *p, update *u, size_t n, int plumbed)
{
	char why[512];
	int status = 0, pfd[2], rc;
	progress *prog = mmap(NULL, sizeof(*prog), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (prog == MAP_FAILED)
		return server_failure(p, "cannot map memory for the scan", NULL);
	memset(prog, 0, sizeof(*prog));
	fflush(NULL);
	if (pipe(pfd) < 0) {
		rc = server_failure(p, "cannot create a pipe", NULL);
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		rc = server_failure(p, "cannot fork", NULL);
		goto out;
	}
	if (pid == 0) {
		close(pfd[0]);
		test_fault();
		rc = scan_push(o, p, u, n, prog, plumbed);
		fflush(NULL);
		_exit(rc);
	}
	close(pfd[1]);
	if (wait_child(pid, pfd[0], p->max_seconds, &status) < 0) {
		timeout_message(why, sizeof(why), p, prog);
		rc = server_failure(p, why, prog);
	} else if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "internal error: the scan died of signal %d", WTERMSIG(status));
		rc = push_failure(why);
	} else if (WEXITSTATUS(status) == EXIT_CLEAN || WEXITSTATUS(status) == EXIT_FINDINGS) {
		rc = WEXITSTATUS(status);
	} else if (WEXITSTATUS(status) == CHILD_INCOMPLETE) {
		rc = push_failure("objects the push refers to are missing (see above)");
	} else {
		rc = push_failure("the scan could not finish (see above)");
	}
	close(pfd[0]);
out:
	munmap(prog, sizeof(*prog));
	return rc;
}

int cmd_pre_receive(cli_opts *o)
{
	update *u = NULL;
	size_t n = 0;
	sg_policy p;
	char server_ini[4096];
	int rc;

	int urc = read_updates(&u, &n);
	if (urc != 0 && urc != REPO_UNREADABLE)
		return urc;
	if ((rc = server_policy_file(server_ini, sizeof(server_ini))) != 0 ||
	    (rc = cli_load_policy(o, &p, NULL, server_ini[0] ? server_ini : NULL)) != 0) {
		free_updates(u, n);
		fprintf(stderr, "sasguard: push rejected: the server's sasguard policy cannot be read\n");
		return rc;
	}
	char why[768];
	int probe = server_probe(why, sizeof(why));
	/* SHA-256: libgit2 1.5.1 cannot read it, git's plumbing does */
	const char *t = getenv("SASGUARD_TEST_PLUMBING"); /* off: tests reach the unreadable path with it */
	int plumbed = probe == REPO_UNREADABLE && repo_unreadable_is_sha256() && !(t && strcmp(t, "off") == 0) &&
		      git_reads_sha256(why, sizeof(why));
	if (probe != 0 && !plumbed)
		rc = server_failure(&p, why, NULL); /* the server's own state: fail_open applies */
	else if ((urc == REPO_UNREADABLE) != plumbed && n)
		rc = push_failure(plumbed ? "stdin names SHA-1 ids, yet the repository is SHA-256"
					  : "stdin names SHA-256 ids, yet the repository reads as SHA-1");
	else
		rc = supervise(o, &p, u, n, plumbed);
	sg_policy_free(&p);
	free_updates(u, n);
	return rc;
}
