/*
 * staged.c - `sasguard pre-commit`: judge what the staged change adds, the
 * index git is committing against HEAD (or nothing, on an unborn branch).
 * Unstaged work-tree changes are never read.
 */
#include "gitscan.h"

#include <string.h>

#define MAX_MERGE_HEADS 16

typedef struct staged {
	blob_ctx b;
	git_tree *merge_trees[MAX_MERGE_HEADS]; /* other parents of a merge being committed */
	size_t nmerge;
	int failed;
} staged;

static int add_merge_head(const git_oid *id, void *payload)
{
	staged *s = payload;
	git_commit *c = NULL;
	if (s->nmerge == MAX_MERGE_HEADS)
		return 0;
	if (git_commit_lookup(&c, s->b.repo, id) < 0 || git_commit_tree(&s->merge_trees[s->nmerge], c) < 0) {
		git_commit_free(c);
		return -1;
	}
	s->nmerge++;
	git_commit_free(c);
	return 0;
}

static int is_blob_mode(uint16_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE || mode == GIT_FILEMODE_LINK;
}

/* One staged file: scan its new blob, keep what it adds against every parent. */
static int judge_delta(staged *s, const git_diff_delta *d)
{
	const git_oid *old = NULL;
	sg_findings found;
	int rc = 0;

	if (d->status == GIT_DELTA_DELETED || !is_blob_mode(d->new_file.mode))
		return 0;
	if (d->old_file.mode && is_blob_mode(d->old_file.mode) && d->status != GIT_DELTA_ADDED) {
		old = &d->old_file.id;
		if (git_oid_equal(old, &d->new_file.id))
			return 0; /* a pure rename adds nothing */
	}
	sg_findings_init(&found);
	if (blob_scan(&s->b, &d->new_file.id, d->new_file.path, &found) < 0)
		rc = -1;
	if (!rc && found.count)
		rc = keep_added(&s->b, old, &d->new_file.id, d->new_file.path, &found);
	/* A merge: content any other parent already had at this path is not new. */
	for (size_t i = 0; !rc && found.count && i < s->nmerge; i++) {
		git_oid mid;
		if (!tree_blob_at(s->merge_trees[i], d->new_file.path, &mid))
			continue;
		rc = keep_added(&s->b, &mid, &d->new_file.id, d->new_file.path, &found);
	}
	if (!rc)
		rc = report_take(s->b.report, &found, d->new_file.path, NULL);
	sg_findings_clear(&found);
	return rc;
}

static int staged_diff(staged *s, git_index *index, git_diff **diff)
{
	git_tree *head = NULL;
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	git_diff_find_options fo = GIT_DIFF_FIND_OPTIONS_INIT;
	int unborn = git_repository_head_unborn(s->b.repo);
	int rc = -1;

	if (unborn < 0) {
		git_fail("reading HEAD");
		return -1;
	}
	if (!unborn) {
		git_object *o = NULL;
		if (git_revparse_single(&o, s->b.repo, "HEAD^{tree}") < 0) {
			git_fail("reading HEAD's tree");
			return -1;
		}
		head = (git_tree *)o;
	}
	opts.flags |= GIT_DIFF_IGNORE_SUBMODULES | GIT_DIFF_SKIP_BINARY_CHECK;
	if (git_diff_tree_to_index(diff, s->b.repo, head, index, &opts) < 0) {
		git_fail("diffing the index against HEAD");
		goto out;
	}
	/* Ids only: a pure rename becomes one delta with no new content. */
	fo.flags = GIT_DIFF_FIND_RENAMES | GIT_DIFF_FIND_EXACT_MATCH_ONLY;
	if (git_diff_find_similar(*diff, &fo) < 0) {
		git_fail("finding renames");
		goto out;
	}
	rc = 0;
out:
	git_tree_free(head);
	return rc;
}

int cmd_pre_commit(cli_opts *o)
{
	git_repository *repo = NULL;
	git_index *index = NULL;
	git_diff *diff = NULL;
	sg_baseline *base = NULL;
	sg_policy p;
	report_stats st = { 0 };
	staged s;
	char repo_ini[4096];
	int rc;

	memset(&s, 0, sizeof(s));
	git_libgit2_init();
	sg_policy_init(&p);
	if ((rc = repo_open_staged(&repo, &index)) != 0)
		goto out;
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
	/* Committing a merge: MERGE_HEAD names the other parents. */
	int mrc = git_repository_mergehead_foreach(repo, add_merge_head, &s);
	if (mrc < 0 && mrc != GIT_ENOTFOUND) {
		git_fail("reading MERGE_HEAD");
		goto out;
	}
	if (staged_diff(&s, index, &diff) < 0)
		goto out;
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++)
		if (judge_delta(&s, git_diff_get_delta(diff, i)) < 0)
			s.failed = 1;
	rc = report_finish(s.b.report, sg_scanner_stats(s.b.scanner), &st,
			   "commit rejected: replace the tokens above, or mark one you must keep with "
			   "'sasguard:allow <reason>' on its line",
			   NULL);
	if (rc == EXIT_CLEAN && s.failed)
		rc = EXIT_INTERNAL;
out:
	for (size_t i = 0; i < s.nmerge; i++)
		git_tree_free(s.merge_trees[i]);
	git_diff_free(diff);
	report_free(s.b.report);
	sg_scanner_free(s.b.scanner);
	sg_baseline_free(base);
	sg_policy_free(&p);
	git_index_free(index);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
