/*
 * pushed.c - `sasguard pre-receive`: judge what a push adds. The commits the
 * push makes reachable are those in git's quarantine (a hide callback stops
 * the walk at the first commit the server had, without reading its refs);
 * each blob they change against their parents is scanned once and its
 * findings kept when the commit added them. Blobs are not taken from the
 * quarantine alone: a client does not resend a blob the server already has
 * on another branch, yet a new commit that copies it adds it here.
 * The scan runs in a child process, so that a crash or the time budget
 * (server.max_seconds) rejects the push unless server.fail_open is true.
 */
#include "gitscan.h"
#include "oidset.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct update {
	git_oid old, new;
	char *ref;
} update;

/* Cached verdicts of blobs already scanned in this push. */
#define BLOB_CLEAN ((void *)1)
#define BLOB_FLAGGED ((void *)2)

/* git push -o sasguard.allow=<fingerprint> -o sasguard.reason=<why> */
#define MAX_PUSH_ALLOWS 32

typedef struct push_allow {
	char fp[MAX_PUSH_ALLOWS][33];
	int used[MAX_PUSH_ALLOWS];
	size_t n;
	char reason[160];
	int enabled; /* the server allows it, and the pusher gave a reason */
} push_allow;

typedef struct push {
	blob_ctx b;
	push_allow allow;
	git_odb *qodb;       /* the quarantine alone; NULL without one */
	oidset verdicts;     /* blob -> BLOB_CLEAN or BLOB_FLAGGED */
	git_odb *odb;        /* the repository's, with the quarantine */
	tree_cache *trees;
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

/* Reads every "<old> <new> <ref>" line git writes on stdin. */
static int read_updates(update **out, size_t *n)
{
	char *line = NULL;
	size_t cap = 0, count = 0, lineno = 0;
	ssize_t len;
	update *u = NULL;

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
		char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		if (sp1 && sp2 && sp1 - line == 64) {
			fprintf(stderr, "sasguard: SHA-256 repositories are not supported by libgit2 1.5\n");
			goto bad;
		}
		update *g = realloc(u, (count + 1) * sizeof(*u));
		if (!g)
			goto bad;
		u = g;
		u[count].ref = NULL;
		if (!sp1 || !sp2 || sp1 - line != GIT_OID_HEXSZ || sp2 - sp1 - 1 != GIT_OID_HEXSZ ||
		    git_oid_fromstrn(&u[count].old, line, GIT_OID_HEXSZ) < 0 ||
		    git_oid_fromstrn(&u[count].new, sp1 + 1, GIT_OID_HEXSZ) < 0 || !sp2[1]) {
			fprintf(stderr, "sasguard: pre-receive: stdin line %zu is not '<old> <new> <ref>'\n", lineno);
			goto bad;
		}
		if (!(u[count].ref = strdup(sp2 + 1)))
			goto bad;
		count++;
	}
	free(line);
	*out = u;
	*n = count;
	return 0;
bad:
	free(line);
	free_updates(u, count);
	return EXIT_INTERNAL;
}

static void commit_hex(const git_oid *id, char out[GIT_OID_HEXSZ + 1])
{
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, id);
}

static int is_fingerprint(const char *v)
{
	size_t n = 0;
	for (; v[n]; n++)
		if (!((v[n] >= '0' && v[n] <= '9') || (v[n] >= 'a' && v[n] <= 'f')))
			return 0;
	return n == 32;
}

/* Reads the push options; allowances count only where the server's policy allows them. */
static void read_push_options(push *ps)
{
	push_allow *a = &ps->allow;
	const char *cnt = getenv("GIT_PUSH_OPTION_COUNT");
	long n = cnt ? strtol(cnt, NULL, 10) : 0;
	for (long i = 0; i < n && i < 1000; i++) {
		char name[40];
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%ld", i);
		const char *v = getenv(name);
		if (!v)
			continue;
		if (strncmp(v, "sasguard.allow=", 15) == 0) {
			if (!is_fingerprint(v + 15))
				report_note(ps->b.report, "push option sasguard.allow: '%.40s' is not a fingerprint", v + 15);
			else if (a->n < MAX_PUSH_ALLOWS)
				memcpy(a->fp[a->n++], v + 15, 33);
		} else if (strncmp(v, "sasguard.reason=", 16) == 0) {
			snprintf(a->reason, sizeof(a->reason), "%s", v + 16);
		}
	}
	if (!a->n)
		return;
	if (!ps->b.policy->allow_push_option)
		report_note(ps->b.report, "push option sasguard.allow ignored: this server does not take "
					  "allowances by push option (server.allow_push_option = false)");
	else if (!a->reason[0])
		report_note(ps->b.report, "push option sasguard.allow needs a reason: add -o sasguard.reason=\"why\"");
	else
		a->enabled = 1;
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
			if (audit_allowance(ps->b.policy, f, path, commit, a->reason) < 0)
				ps->failed = 1;
		}
	}
}

/* What is left of a change's findings goes to the report. */
static int keep(push *ps, sg_findings *found, const char *path, const char *commit)
{
	apply_push_allow(ps, found, path, commit);
	return report_take(ps->b.report, found, path, commit);
}

/* Scans a message; findings go to the report under commit, path label. */
static int judge_message(push *ps, const char *msg, const char *label, const char *commit)
{
	sg_findings found;
	int rc;
	if (!msg)
		return 0;
	sg_findings_init(&found);
	rc = text_scan(&ps->b, msg, strlen(msg), label, &found);
	if (rc == 0)
		rc = keep(ps, &found, label, commit);
	sg_findings_clear(&found);
	return rc;
}

/* ---- the new commits and what each adds --------------------------------- */

typedef struct commit_ctx {
	push *ps;
	git_commit *commit;
	git_tree *parents[16];
	size_t nparents;
	char hex[GIT_OID_HEXSZ + 1];
} commit_ctx;

static int on_change(const char *path, const git_oid *old, const git_oid *new, void *payload)
{
	commit_ctx *cc = payload;
	push *ps = cc->ps;
	sg_findings found;
	git_oid other;
	int rc;

	int added;
	oidset_entry *seen = oidset_add(&ps->verdicts, new, &added);
	if (!seen)
		return -1;
	if (seen->value == BLOB_CLEAN)
		return 0;
	/* A merge adds only what no parent had: the same blob in another parent is not new. */
	for (size_t i = 1; i < cc->nparents; i++)
		if (tree_blob_at(cc->parents[i], path, &other) && git_oid_equal(&other, new))
			return 0;
	sg_findings_init(&found);
	rc = blob_scan(&ps->b, new, path, &found);
	if (rc == 0 && added)
		seen->value = found.count ? BLOB_FLAGGED : BLOB_CLEAN;
	if (rc == 0 && found.count)
		rc = keep_added(&ps->b, old, new, path, &found);
	for (size_t i = 1; rc == 0 && found.count && i < cc->nparents; i++)
		if (tree_blob_at(cc->parents[i], path, &other))
			rc = keep_added(&ps->b, &other, new, path, &found);
	if (rc == 0)
		rc = keep(ps, &found, path, cc->hex[0] ? cc->hex : NULL);
	sg_findings_clear(&found);
	return rc;
}

static int judge_commit(push *ps, const git_oid *id)
{
	commit_ctx cc;
	git_oid first_tree;
	int rc = -1;

	memset(&cc, 0, sizeof(cc));
	cc.ps = ps;
	commit_hex(id, cc.hex);
	if (git_commit_lookup(&cc.commit, ps->b.repo, id) < 0) {
		git_fail("reading a pushed commit");
		goto out;
	}
	ps->st.commits++;
	if (judge_message(ps, git_commit_message(cc.commit), "(commit message)", cc.hex) < 0)
		goto out;
	cc.nparents = git_commit_parentcount(cc.commit);
	if (cc.nparents > 16)
		cc.nparents = 16;
	/* Tree ids only: tree_diff reads what differs. A merge's other parents
	 * are looked up whole (tree_blob_at); most commits have none. */
	for (size_t i = 0; i < cc.nparents; i++) {
		git_commit *p = NULL;
		int bad = git_commit_parent(&p, cc.commit, (unsigned)i) < 0;
		if (!bad && i == 0)
			git_oid_cpy(&first_tree, git_commit_tree_id(p));
		else if (!bad)
			bad = git_commit_tree(&cc.parents[i], p) < 0;
		git_commit_free(p);
		if (bad) {
			git_fail("reading a parent commit (is the repository shallow?)");
			goto out;
		}
	}
	rc = tree_diff(ps->odb, ps->trees, cc.nparents ? &first_tree : NULL, git_commit_tree_id(cc.commit),
		       on_change, &cc) ? -1 : 0;
out:
	for (size_t i = 1; i < cc.nparents; i++)
		git_tree_free(cc.parents[i]);
	git_commit_free(cc.commit);
	return rc;
}

/* Hides every commit the server already had: those outside the quarantine. */
static int not_in_quarantine(const git_oid *id, void *payload)
{
	push *ps = payload;
	return !git_odb_exists_ext(ps->qodb, id, GIT_ODB_LOOKUP_NO_REFRESH);
}

static int is_new(push *ps, const git_oid *id)
{
	return !ps->qodb || git_odb_exists_ext(ps->qodb, id, GIT_ODB_LOOKUP_NO_REFRESH);
}

/* A ref's new value: annotated tags are read and peeled; commits go to the walk. */
static int push_tip(push *ps, git_revwalk *walk, const update *u)
{
	git_object *obj = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc = -1;

	if (git_object_lookup(&obj, ps->b.repo, &u->new, GIT_OBJECT_ANY) < 0) {
		git_fail(u->ref);
		return -1;
	}
	for (int depth = 0; depth < 16 && git_object_type(obj) == GIT_OBJECT_TAG; depth++) {
		git_object *target = NULL;
		commit_hex(git_object_id(obj), hex);
		if (is_new(ps, git_object_id(obj)) &&
		    judge_message(ps, git_tag_message((git_tag *)obj), "(tag message)", hex) < 0)
			goto out;
		if (git_tag_target(&target, (git_tag *)obj) < 0) {
			git_fail("peeling a tag");
			goto out;
		}
		git_object_free(obj);
		obj = target;
	}
	commit_hex(git_object_id(obj), hex);
	switch (git_object_type(obj)) {
	case GIT_OBJECT_COMMIT:
		rc = git_revwalk_push(walk, git_object_id(obj)) < 0 ? (git_fail("walking the push"), -1) : 0;
		break;
	case GIT_OBJECT_TREE: {
		commit_ctx cc;
		memset(&cc, 0, sizeof(cc));
		cc.ps = ps;
		memcpy(cc.hex, hex, sizeof(hex));
		rc = tree_diff(ps->odb, ps->trees, NULL, git_object_id(obj), on_change, &cc) ? -1 : 0;
		break;
	}
	case GIT_OBJECT_BLOB:
		rc = on_change(u->ref, NULL, git_object_id(obj), &(commit_ctx){ .ps = ps }) ? -1 : 0;
		break;
	default:
		rc = 0;
	}
out:
	git_object_free(obj);
	return rc;
}

static int walk_new_commits(push *ps)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = -1, next;

	if (git_revwalk_new(&walk, ps->b.repo) < 0)
		goto fail;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	/* Without a quarantine, "new" means not reachable from any ref (slower). */
	if (ps->qodb ? git_revwalk_add_hide_cb(walk, not_in_quarantine, ps) < 0
		     : git_revwalk_hide_glob(walk, "*") < 0)
		goto fail;
	for (size_t i = 0; i < ps->nupdates; i++)
		if (!git_oid_is_zero(&ps->updates[i].new) && push_tip(ps, walk, &ps->updates[i]) < 0)
			goto out;
	while ((next = git_revwalk_next(&id, walk)) == 0)
		if (judge_commit(ps, &id) < 0)
			goto out;
	if (next != GIT_ITEROVER)
		goto fail;
	rc = 0;
	goto out;
fail:
	git_fail("walking the pushed commits");
out:
	git_revwalk_free(walk);
	return rc;
}

/* The whole scan, in the child. Returns an exit code. */
static int scan_push(cli_opts *o, sg_policy *p, update *updates, size_t n)
{
	push ps;
	sg_baseline *base = NULL;
	int rc = EXIT_INTERNAL;

	memset(&ps, 0, sizeof(ps));
	ps.updates = updates;
	ps.nupdates = n;
	oidset_init(&ps.verdicts);
	git_libgit2_init();
	/* Each pushed object is read once; trees we read twice sit in our own
	 * tree cache: libgit2's object cache only grew with the push. */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if (repo_open_pushed(&ps.b.repo, &ps.qodb) != 0)
		goto out;
	if (git_repository_odb(&ps.odb, ps.b.repo) < 0 || !(ps.trees = tree_cache_new())) {
		git_fail("opening the object database");
		goto out;
	}
	if (cli_load_baseline(o, p, &base) != 0 || !(ps.b.scanner = cli_scanner(o, p, base)) ||
	    !(ps.b.report = report_open(o, p)))
		goto out;
	ps.b.policy = p;
	ps.b.stats = &ps.st;
	read_push_options(&ps);
	if (walk_new_commits(&ps) < 0)
		goto out;
	for (size_t k = 0; k < ps.allow.n; k++)
		if (ps.allow.enabled && !ps.allow.used[k])
			report_note(ps.b.report, "push option sasguard.allow=%s matched no finding", ps.allow.fp[k]);
	rc = report_finish(ps.b.report, sg_scanner_stats(ps.b.scanner), &ps.st,
			   "push rejected: the commits above add tokens that break the server's policy; "
			   "replace them and rewrite those commits", NULL);
	if (rc == EXIT_CLEAN && ps.failed)
		rc = EXIT_INTERNAL;
out:
	report_free(ps.b.report);
	sg_scanner_free(ps.b.scanner);
	sg_baseline_free(base);
	oidset_free(&ps.verdicts);
	tree_cache_free(ps.trees);
	git_odb_free(ps.odb);
	git_odb_free(ps.qodb);
	git_repository_free(ps.b.repo);
	git_libgit2_shutdown();
	return rc;
}

/* ---- the server's policy and the supervisor ----------------------------- */

/* The server policy file named by the bare repository's git config sasguard.config. */
static int server_policy_file(char *buf, size_t size)
{
	git_repository *repo = NULL;
	const char *gd = getenv("GIT_DIR");
	int rc;

	git_libgit2_init();
	rc = repo_open_server(&repo, gd && *gd ? gd : ".");
	if (rc == 0)
		rc = repo_server_policy_file(repo, buf, size);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
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

/* An internal failure: reject, unless the server's policy fails open. */
static int internal_failure(const sg_policy *p, const char *why)
{
	fprintf(stderr, "sasguard: %s\n", why);
	if (p->fail_open) {
		fprintf(stderr, "sasguard: accepting the push unchecked: server.fail_open = true\n");
		return EXIT_CLEAN;
	}
	fprintf(stderr, "sasguard: push rejected: the server's policy fails closed (server.fail_open = false); "
			"ask the server's administrator\n");
	return EXIT_INTERNAL;
}

int cmd_pre_receive(cli_opts *o)
{
	update *u = NULL;
	size_t n = 0;
	sg_policy p;
	char server_ini[4096], why[256];
	int rc, status = 0, pfd[2];

	if ((rc = read_updates(&u, &n)) != 0)
		return rc;
	if ((rc = server_policy_file(server_ini, sizeof(server_ini))) != 0 ||
	    (rc = cli_load_policy(o, &p, NULL, server_ini[0] ? server_ini : NULL)) != 0) {
		free_updates(u, n);
		fprintf(stderr, "sasguard: push rejected: the server's sasguard policy cannot be read\n");
		return rc;
	}
	fflush(NULL);
	if (pipe(pfd) < 0) {
		rc = internal_failure(&p, "cannot create a pipe");
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		rc = internal_failure(&p, "cannot fork");
		goto out;
	}
	if (pid == 0) {
		close(pfd[0]);
		test_fault();
		rc = scan_push(o, &p, u, n);
		fflush(NULL);
		_exit(rc);
	}
	close(pfd[1]);
	if (wait_child(pid, pfd[0], p.max_seconds, &status) < 0) {
		snprintf(why, sizeof(why), "the scan did not finish within server.max_seconds = %lld s",
			 (long long)p.max_seconds);
		rc = internal_failure(&p, why);
	} else if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "internal error: the scan died of signal %d", WTERMSIG(status));
		rc = internal_failure(&p, why);
	} else if (WEXITSTATUS(status) == EXIT_CLEAN || WEXITSTATUS(status) == EXIT_FINDINGS) {
		rc = WEXITSTATUS(status);
	} else {
		rc = internal_failure(&p, "internal error: the scan could not finish (see above)");
	}
	close(pfd[0]);
out:
	sg_policy_free(&p);
	free_updates(u, n);
	return rc;
}
