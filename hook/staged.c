/*
 * staged.c - `sasguard pre-commit`: judge what the staged change adds, the
 * index git is committing against HEAD (or nothing, on an unborn branch).
 * Unstaged work-tree changes are never read.
 */
#include "gitscan.h"

#include <stdlib.h>
#include <string.h>

typedef struct change {
	char *path;
	git_oid new_id, old_id;
	int has_old;
} change;

typedef struct staged {
	blob_ctx b;
	git_oid *merge_trees;   /* the trees of a merge's other parents (MERGE_HEAD) */
	size_t nmerge;
	git_odb *odb;
	tree_cache *cache;
	missing miss;
	change *changes;
	size_t nchanges, cap;
	oidset gone;           /* blobs the commit removes from a path: renames' sources */
	sg_findings gone_found; /* their findings, read once when first needed */
	int gone_scanned;
	int failed;
} staged;

static int add_merge_head(const git_oid *id, void *payload)
{
	staged *s = payload;
	git_commit *c = NULL;
	git_oid *v = realloc(s->merge_trees, (s->nmerge + 1) * sizeof(*v));
	if (!v)
		return -1;
	s->merge_trees = v;
	if (git_commit_lookup(&c, s->b.repo, id) < 0)
		return -1;
	git_oid_cpy(&s->merge_trees[s->nmerge++], git_commit_tree_id(c));
	git_commit_free(c);
	return 0;
}

/* FETCH_HEAD's heads for merge: what "git pull" merges. */
static int add_fetch_head(const char *ref, const char *url, const git_oid *id, unsigned int is_merge, void *payload)
{
	(void)ref;
	(void)url;
	return is_merge ? add_merge_head(id, payload) : 0;
}

/*
 * git merge runs pre-merge-commit before it writes MERGE_HEAD: the other
 * parents are then only in GIT_REFLOG_ACTION ("merge <name>...", set by git
 * merge) or, under git pull ("pull ..."), in FETCH_HEAD. A name that does
 * not resolve is passed over: the merge is then judged as a plain commit,
 * which reports more, never less.
 */
static int merge_heads_from_env(staged *s)
{
	const char *act = getenv("GIT_REFLOG_ACTION");
	if (!act)
		return 0;
	if (strncmp(act, "pull", 4) == 0 && (act[4] == ' ' || !act[4])) {
		int rc = git_repository_fetchhead_foreach(s->b.repo, add_fetch_head, s);
		git_error_clear();
		return rc == GIT_ENOTFOUND ? 0 : rc;
	}
	if (strncmp(act, "merge ", 6) != 0)
		return 0;
	char *words = strdup(act + 6), *save = NULL;
	if (!words)
		return -1;
	int rc = 0;
	for (char *w = strtok_r(words, " ", &save); w && rc == 0; w = strtok_r(NULL, " ", &save)) {
		git_object *o = NULL, *c = NULL;
		if (w[0] != '-' && git_revparse_single(&o, s->b.repo, w) == 0 &&
		    git_object_peel(&c, o, GIT_OBJECT_COMMIT) == 0)
			rc = add_merge_head(git_object_id(c), s);
		git_object_free(c);
		git_object_free(o);
		git_error_clear();
	}
	free(words);
	return rc;
}

static int collect(const char *path, const git_oid *old, const git_oid *new, void *payload)
{
	staged *s = payload;
	if (s->nchanges == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		change *c = realloc(s->changes, cap * sizeof(*c));
		if (!c)
			return -1;
		s->changes = c;
		s->cap = cap;
	}
	change *c = &s->changes[s->nchanges];
	if (!(c->path = strdup(path)))
		return -1;
	git_oid_cpy(&c->new_id, new);
	c->has_old = old != NULL;
	if (old)
		git_oid_cpy(&c->old_id, old);
	s->nchanges++;
	return 0;
}

/* Drops findings whose token a removed file held: moved, not added. */
static int drop_moved(staged *s, sg_findings *found)
{
	if (!s->gone.count || !found->count)
		return 0;
	if (!s->gone_scanned) {
		s->gone_scanned = 1;
		report_stats saved = *s->b.stats;
		s->b.side_read = 1;
		for (size_t i = 0; i < s->gone.cap; i++)
			if (s->gone.slots[i].used && blob_scan(&s->b, &s->gone.slots[i].id, NULL, &s->gone_found) < 0)
				return -1; /* a missing removed blob moved nothing */
		s->b.side_read = 0;
		*s->b.stats = saved; /* the removed side is not what this commit adds */
	}
	size_t kept = 0;
	for (size_t i = 0; i < found->count; i++) {
		int moved = 0;
		for (size_t k = 0; k < s->gone_found.count && !moved; k++)
			moved = strcmp(s->gone_found.items[k]->token.fingerprint, found->items[i]->token.fingerprint) == 0;
		if (moved)
			sg_finding_free(found->items[i]);
		else
			found->items[kept++] = found->items[i];
	}
	found->count = kept;
	return 0;
}

/* One staged file: scan its new blob, keep what it adds against every parent. */
static int judge_change(staged *s, const change *c)
{
	sg_findings found;
	int rc = 0;

	if (!c->has_old && oidset_get(&s->gone, &c->new_id))
		return 0; /* a pure rename adds nothing */
	sg_findings_init(&found);
	int brc = blob_scan(&s->b, &c->new_id, c->path, &found);
	if (brc == BLOB_MISSING) {
		sg_findings_clear(&found);
		return missing_add(&s->miss, &c->new_id, GIT_OBJECT_BLOB, c->path);
	}
	if (brc < 0)
		rc = -1;
	else
		trace_blob(&c->new_id);
	if (!rc && found.count && c->has_old)
		rc = keep_added(&s->b, &c->old_id, &c->new_id, c->path, &found);
	if (!rc)
		rc = drop_moved(s, &found);
	/* A merge: content any other parent already had at this path is not new. */
	for (size_t i = 0; !rc && found.count && i < s->nmerge; i++) {
		git_oid mid;
		if (!tree_blob_at(s->odb, s->cache, &s->merge_trees[i], c->path, &mid))
			continue;
		rc = keep_added(&s->b, &mid, &c->new_id, c->path, &found);
	}
	if (!rc)
		rc = report_take(s->b.report, &found, c->path, NULL);
	sg_findings_clear(&found);
	return rc;
}

/* HEAD's tree, or 0 with *unborn set on a branch without commits. */
static int head_tree(git_repository *repo, git_oid *out, int *unborn)
{
	git_object *o = NULL;
	*unborn = git_repository_head_unborn(repo);
	if (*unborn < 0) {
		git_fail("reading HEAD");
		return -1;
	}
	if (*unborn)
		return 0;
	if (git_revparse_single(&o, repo, "HEAD^{tree}") < 0) {
		git_fail("reading HEAD's tree");
		return -1;
	}
	git_oid_cpy(out, git_object_id(o));
	git_object_free(o);
	return 0;
}

/* Every staged change, and the blobs the commit removes. */
static int staged_diff(staged *s, const char *index_path)
{
	git_odb *odb = NULL;
	git_oid tree, *gone = NULL;
	size_t ngone = 0;
	int unborn, rc = -1;

	if (head_tree(s->b.repo, &tree, &unborn) < 0)
		return -1;
	if (git_repository_odb(&odb, s->b.repo) < 0) {
		git_fail("opening the object database");
		return -1;
	}
	rc = staged_changes(odb, index_path, git_repository_path(s->b.repo), unborn ? NULL : &tree, collect, s, &gone,
			    &ngone);
	if (rc < 0 && git_error_last())
		git_fail("reading the index and HEAD");
	for (size_t i = 0; rc == 0 && i < ngone; i++)
		if (!oidset_add(&s->gone, &gone[i], NULL))
			rc = -1;
	free(gone);
	git_odb_free(odb);
	return rc;
}

/*
 * The repository is in a format libgit2 1.5.1 cannot open. SHA-256: git's
 * plumbing reads it (plumb.c). Anything else (a newer extension): a hook must
 * not stand between its user and git. One line, and the commit goes on,
 * unless the policy's unreadable_repo = error.
 * git runs the hook at the top of the work tree, where .sasguard.ini sits.
 */
static int unreadable_commit(cli_opts *o, sg_policy *p, plumb_early *early)
{
	const char *wt = getenv("GIT_WORK_TREE");
	char repo_ini[4096];
	int rc;

	snprintf(repo_ini, sizeof(repo_ini), "%s/.sasguard.ini", wt && *wt ? wt : ".");
	sg_policy_free(p);
	if ((rc = cli_load_policy(o, p, repo_ini, NULL)) != 0)
		return rc;
	const char *t = getenv("SASGUARD_TEST_PLUMBING"); /* tests reach the path below with it */
	if (repo_unreadable_is_sha256() && !(t && strcmp(t, "off") == 0)) {
		/* git reads it: judged through git's plumbing, slower but whole */
		sg_baseline *base = NULL;
		if ((rc = cli_load_baseline(o, p, &base)) == 0)
			rc = plumb_pre_commit(o, p, base, early);
		sg_baseline_free(base);
		return rc;
	}
	if (p->unreadable_repo == SG_SEV_ERROR) {
		print_safef(stderr, "sasguard: commit rejected: %s (policy: unreadable_repo = error)\n",
			    repo_unreadable_why());
		return EXIT_INTERNAL;
	}
	if (p->unreadable_repo != SG_SEV_OFF)
		print_safef(stderr, "sasguard: not checked, the commit goes on: %s (policy: unreadable_repo = %s)\n",
			repo_unreadable_why(), sg_severity_name(p->unreadable_repo));
	return EXIT_CLEAN;
}

int cmd_pre_commit(cli_opts *o)
{
	git_repository *repo = NULL;
	sg_baseline *base = NULL;
	sg_policy p;
	report_stats st = { 0 };
	staged s;
	plumb_early early;
	char repo_ini[4096], index_path[4096];
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&early, 0, sizeof(early));
	/* before libgit2 loads: a SHA-256 repository's hook then waits on git only */
	if (repo_staged_looks_sha256())
		plumb_early_start(&early);
	oidset_init(&s.gone);
	missing_init(&s.miss);
	sg_findings_init(&s.gone_found);
	repo_libgit2_init();
	sg_policy_init(&p);
	if ((rc = repo_open_staged(&repo, index_path, sizeof(index_path))) != 0) {
		if (rc == REPO_UNREADABLE)
			rc = unreadable_commit(o, &p, &early);
		goto out;
	}
	repo_policy_file(repo, repo_ini, sizeof(repo_ini));
	sg_policy_free(&p);
	if ((rc = cli_load_policy(o, &p, repo_ini, NULL)) != 0)
		goto out;
	if ((rc = cli_load_baseline(o, &p, &base)) != 0)
		goto out;
	rc = EXIT_INTERNAL;
	if (!(s.b.scanner = cli_scanner(o, &p, base)) || !(s.b.report = report_open(o, &p)))
		goto out;
	s.b.repo = repo;
	s.b.policy = &p;
	s.b.stats = &st;
	if (git_repository_odb(&s.odb, repo) < 0 || !(s.cache = tree_cache_new())) {
		git_fail("opening the object database");
		goto out;
	}
	/* Committing a merge: MERGE_HEAD names the other parents. */
	int mrc = git_repository_mergehead_foreach(repo, add_merge_head, &s);
	if (mrc < 0 && mrc != GIT_ENOTFOUND) {
		git_fail("reading MERGE_HEAD");
		goto out;
	}
	git_error_clear();
	if (s.nmerge == 0 && merge_heads_from_env(&s) < 0) {
		git_fail("reading the heads being merged");
		goto out;
	}
	if (staged_diff(&s, index_path) < 0)
		goto out;
	for (size_t i = 0; i < s.nchanges; i++)
		if (judge_change(&s, &s.changes[i]) < 0)
			s.failed = 1;
	blob_skips_note(&s.b);
	st.missing = s.miss.total;
	missing_report(&s.miss, s.b.report, repo, o->allow_missing);
	int incomplete = s.miss.total && !o->allow_missing;
	rc = report_finish(s.b.report, sg_scanner_stats(s.b.scanner), &st,
			   "commit rejected: replace the tokens above, or mark one you must keep with "
			   "'sasguard:allow <reason>' on its line",
			   incomplete ? "commit rejected: the staged content could not all be read (see above)" : NULL);
	if (rc == EXIT_CLEAN && (s.failed || incomplete))
		rc = EXIT_INTERNAL;
out:
	plumb_early_cancel(&early);
	trace_close();
	free(s.merge_trees);
	missing_free(&s.miss);
	tree_cache_free(s.cache);
	git_odb_free(s.odb);
	for (size_t i = 0; i < s.nchanges; i++)
		free(s.changes[i].path);
	free(s.changes);
	oidset_free(&s.gone);
	sg_findings_clear(&s.gone_found);
	report_free(s.b.report);
	sg_scanner_free(s.b.scanner);
	sg_baseline_free(base);
	sg_policy_free(&p);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
