/*
 * pushnew.c - what a push adds: the objects `git rev-list --objects <new>
 * --not --all` would list before the push, wherever they are stored. Commits
 * the client sent (the quarantine) are new; any other commit is new unless a
 * ref reached it (reach.c), so a ref moved onto a commit that only sits in
 * the object store, its alternates or a fork network's pool is judged. The
 * trees of the new commits' old parents (the edge) are what the server
 * already had: their blobs are not new, wherever a new commit puts them.
 */
#include "push.h"

#include <stdlib.h>
#include <string.h>

#define C_NEW ((void *)1)
#define C_OLD ((void *)2)
#define C_GONE ((void *)3)

/* A commit being walked: its links and the next parent to visit. */
typedef struct frame {
	git_oid id;
	commit_info ci;
	size_t next;
} frame;

typedef struct finder {
	push_new *pn;
	const push_src *src;
	reach *reach;
	missing *miss;
	frame *stack;
	size_t depth, cap;
	size_t commit; /* the new commit being enumerated, plus one; 0 for a ref's tree */
} finder;

static int in_quarantine(const push_src *src, const git_oid *id)
{
	return src->qodb && git_odb_exists_ext(src->qodb, id, GIT_ODB_LOOKUP_NO_REFRESH);
}

static int fail_hex(const char *what, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1], msg[128];
	git_oid_tostr(hex, sizeof(hex), id);
	snprintf(msg, sizeof(msg), "%s %s", what, hex);
	git_error_set_str(GIT_ERROR_OBJECT, msg);
	return -1;
}

/* Reads an object; 1 when it is missing (counted as kind), 0 read, -1 error. */
static int read_or_miss(finder *f, const git_oid *id, git_object_t kind, raw_object *o)
{
	if (raw_object_read(f->src->odb, f->src->cache, id, o) == 0)
		return 0;
	if (raw_object_missing(f->src->odb, id) != 1)
		return -1;
	git_error_clear();
	return missing_add(f->miss, id, kind, NULL) < 0 ? -1 : 1;
}

/* Decides whether commit id is new; a new one is pushed on the walk's stack. */
static int visit(finder *f, const git_oid *id)
{
	int added;
	if (!oidset_add(&f->pn->state, id, &added))
		return -1;
	if (!added)
		return 0;
	raw_object o;
	commit_info ci;
	int rc = read_or_miss(f, id, GIT_OBJECT_COMMIT, &o);
	if (rc != 0) {
		oidset_get(&f->pn->state, id)->value = C_GONE;
		return rc < 0 ? -1 : 0;
	}
	rc = o.type == GIT_OBJECT_COMMIT ? commit_parse(o.data, o.len, &ci) : -1;
	raw_object_release(&o);
	if (rc < 0)
		return fail_hex("not a commit:", id);
	int isnew = in_quarantine(f->src, id);
	if (!isnew) {
		int old = reach_is_old(f->reach, id, ci.time);
		if (old < 0) {
			commit_info_clear(&ci);
			return -1;
		}
		isnew = !old;
	}
	oidset_get(&f->pn->state, id)->value = isnew ? C_NEW : C_OLD;
	if (!isnew) {
		commit_info_clear(&ci);
		return 0;
	}
	if (f->depth == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		frame *s = realloc(f->stack, cap * sizeof(*s));
		if (!s) {
			commit_info_clear(&ci);
			return -1;
		}
		f->stack = s;
		f->cap = cap;
	}
	f->stack[f->depth++] = (frame){ *id, ci, 0 };
	return 0;
}

/* The walk is done with the top commit: it joins the list, after its parents. */
static int emit(finder *f)
{
	push_new *pn = f->pn;
	frame *t = &f->stack[--f->depth];
	if (pn->ncommits == pn->capcommits) {
		size_t cap = pn->capcommits ? pn->capcommits * 2 : 64;
		new_commit *v = realloc(pn->commits, cap * sizeof(*v));
		if (!v) {
			commit_info_clear(&t->ci);
			return -1;
		}
		pn->commits = v;
		pn->capcommits = cap;
	}
	pn->commits[pn->ncommits] = (new_commit){ t->id, t->ci.tree, t->ci.parents, t->ci.nparents };
	oidset_entry *e = oidset_add(&pn->commit_index, &t->id, NULL);
	if (!e)
		return -1;
	/* the set's value slot holds an index + 1 (0: none), not a pointer */
	e->value = (void *)(uintptr_t)(++pn->ncommits); /* NOLINT(performance-no-int-to-ptr) */
	return 0;
}

/* Every new commit reachable from tip, parents before children. */
static int walk_commits(finder *f, const git_oid *tip)
{
	if (visit(f, tip) < 0)
		return -1;
	while (f->depth) {
		frame *t = &f->stack[f->depth - 1];
		if (t->next < t->ci.nparents) {
			git_oid p = t->ci.parents[t->next++];
			if (visit(f, &p) < 0)
				return -1;
		} else if (emit(f) < 0) {
			return -1;
		}
	}
	return 0;
}

static int add_tip(push_new *pn, const git_oid *id, git_object_t type, const char *ref)
{
	if (pn->ntips == pn->captips) {
		size_t cap = pn->captips ? pn->captips * 2 : 8;
		new_tip *v = realloc(pn->tips, cap * sizeof(*v));
		if (!v)
			return -1;
		pn->tips = v;
		pn->captips = cap;
	}
	pn->tips[pn->ntips++] = (new_tip){ *id, type, ref };
	return 0;
}

static int add_tag(push_new *pn, const git_oid *id)
{
	if (pn->ntags == pn->captags) {
		size_t cap = pn->captags ? pn->captags * 2 : 8;
		git_oid *v = realloc(pn->tags, cap * sizeof(*v));
		if (!v)
			return -1;
		pn->tags = v;
		pn->captags = cap;
	}
	pn->tags[pn->ntags++] = *id;
	return 0;
}

/* Follows a ref's new value through its tags, to the end of the chain
 * however long: new tags are kept (their messages are content); an old tag
 * means the rest of the chain was there already. */
static int peel_update(finder *f, const update *u)
{
	git_oid cur = u->new;
	git_object_t kind = GIT_OBJECT_INVALID;
	for (;;) {
		raw_object o;
		tag_info t;
		int rc = read_or_miss(f, &cur, kind, &o);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
		git_object_t type = o.type;
		rc = type == GIT_OBJECT_TAG ? tag_parse(o.data, o.len, &t) : 0;
		raw_object_release(&o);
		if (rc < 0)
			return fail_hex("corrupt tag", &cur);
		if (type == GIT_OBJECT_COMMIT)
			return walk_commits(f, &cur);
		if (type == GIT_OBJECT_TREE || type == GIT_OBJECT_BLOB)
			return add_tip(f->pn, &cur, type, u->ref);
		if (type != GIT_OBJECT_TAG)
			return fail_hex("unknown object type at", &cur);
		int added;
		if (!oidset_add(&f->pn->state, &cur, &added))
			return -1;
		if (!added) /* this chain was followed from here already */
			return 0;
		int isnew = in_quarantine(f->src, &cur);
		if (!isnew) {
			int old = reach_tag_is_old(f->reach, &cur);
			if (old < 0)
				return -1;
			if (old)
				return 0;
		}
		if (add_tag(f->pn, &cur) < 0)
			return -1;
		kind = t.type;
		cur = t.target;
	}
}

/* ---- trees and blobs ------------------------------------------------------ */

static int old_tree(const char *path, const git_oid *id, void *payload)
{
	int added;
	(void)path;
	return oidset_add(payload, id, &added) ? added : -1;
}

static int old_blob(const char *path, const git_oid *id, void *payload)
{
	(void)path;
	return oidset_add(payload, id, NULL) ? 0 : -1;
}

static int ignore_missing(const char *path, const git_oid *id, int damaged, void *payload)
{
	(void)path, (void)id, (void)damaged, (void)payload;
	git_error_clear();
	return 0; /* an old tree we cannot read excludes nothing: its blobs are judged if new commits hold them */
}

/* Everything in an edge commit's tree is what the server had. */
static int mark_edge(finder *f, const git_oid *commit)
{
	push_new *pn = f->pn;
	git_oid tree;
	if (push_commit_tree(pn, f->src, commit, &tree) < 0) {
		git_error_clear();
		return 0;
	}
	int added;
	if (!oidset_add(&pn->old_objs, &tree, &added))
		return -1;
	if (!added)
		return 0;
	tree_walk_cbs cbs = { old_blob, old_tree, ignore_missing, &pn->old_objs };
	return tree_walk(f->src->odb, f->src->cache, &tree, NULL, &cbs);
}

static int new_blob(const char *path, const git_oid *id, void *payload)
{
	finder *f = payload;
	push_new *pn = f->pn;
	int added;
	if (oidset_get(&pn->old_objs, id))
		return 0;
	if (pn->nblobs == pn->capblobs) {
		size_t cap = pn->capblobs ? pn->capblobs * 2 : 64;
		git_oid *v = realloc(pn->blob_order, cap * sizeof(*v));
		if (v)
			pn->blob_order = v;
		char **pv = v ? realloc(pn->blob_path, cap * sizeof(*pv)) : NULL;
		if (pv)
			pn->blob_path = pv;
		size_t *cv = pv ? realloc(pn->blob_commit, cap * sizeof(*cv)) : NULL;
		if (!cv)
			return -1;
		pn->blob_commit = cv;
		pn->capblobs = cap;
	}
	oidset_entry *e = oidset_add(&pn->blobs, id, &added);
	if (!e)
		return -1;
	if (!added) {
		/* An allowance holds per path: a blob first seen at an allowed path
		 * (a fixture) and pushed at another too is judged at the other. Only
		 * with [allow] paths, and a path is copied only when it replaces one. */
		size_t i = (uintptr_t)e->value - 1;
		const sg_policy *p = pn->policy;
		if (p && p->nallow_paths && !sg_policy_path_allowed(p, path) && sg_policy_path_allowed(p, pn->blob_path[i])) {
			char *dup = strdup(path);
			if (!dup)
				return -1;
			free(pn->blob_path[i]);
			pn->blob_path[i] = dup;
			pn->blob_commit[i] = f->commit;
		}
		return 0;
	}
	e->value = (void *)(uintptr_t)(pn->nblobs + 1); /* NOLINT(performance-no-int-to-ptr): an index + 1 */
	if (!(pn->blob_path[pn->nblobs] = strdup(path)))
		return -1;
	pn->blob_order[pn->nblobs] = *id;
	pn->blob_commit[pn->nblobs++] = f->commit;
	return 0;
}

static int new_tree(const char *path, const git_oid *id, void *payload)
{
	finder *f = payload;
	int added;
	(void)path;
	if (oidset_get(&f->pn->old_objs, id))
		return 0;
	return oidset_add(&f->pn->seen_trees, id, &added) ? added : -1;
}

static int new_missing(const char *path, const git_oid *id, int damaged, void *payload)
{
	finder *f = payload;
	if (damaged) /* what the push holds cannot be read: the push is not judged */
		return -1;
	git_error_clear();
	return missing_add(f->miss, id, GIT_OBJECT_TREE, path);
}

/* The new trees and blobs under tree (the root included), each once. */
static int walk_new_tree(finder *f, const git_oid *tree, const char *prefix)
{
	int want = new_tree(prefix, tree, f);
	if (want <= 0)
		return want;
	tree_walk_cbs cbs = { new_blob, new_tree, new_missing, f };
	return tree_walk(f->src->odb, f->src->cache, tree, prefix, &cbs);
}

static int changed_blob(const char *path, const git_oid *old, const git_oid *new, void *payload)
{
	(void)old;
	return new_blob(path, new, payload);
}

/*
 * The blobs of a new commit: those its tree changed against its first
 * parent's. An unchanged one was counted with that parent (a new parent was
 * enumerated before it: the order is parents first) or is the edge's (old);
 * a merge's other sides show as changes against the first. Diffing skips
 * equal subtrees unread: a long push costs its changes, not its trees' sizes.
 */
static int commit_blobs(finder *f, const new_commit *c)
{
	git_oid ptree;
	const git_oid *old = NULL;
	if (c->nparents) {
		oidset_entry *e = oidset_get(&f->pn->state, &c->parents[0]);
		if (e && e->value != C_GONE && push_commit_tree(f->pn, f->src, &c->parents[0], &ptree) == 0)
			old = &ptree;
		git_error_clear();
	}
	return tree_diff_ext(f->src->odb, f->src->cache, old, &c->tree, changed_blob, new_missing, f);
}

static int find_objects(finder *f)
{
	push_new *pn = f->pn;
	char prefix[4096];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < pn->ncommits; i++)
		for (size_t k = 0; rc == 0 && k < pn->commits[i].nparents; k++) {
			oidset_entry *e = oidset_get(&pn->state, &pn->commits[i].parents[k]);
			if (e && e->value == C_OLD)
				rc = mark_edge(f, &pn->commits[i].parents[k]);
		}
	for (size_t i = 0; rc == 0 && i < pn->ncommits; i++) {
		f->commit = i + 1;
		rc = commit_blobs(f, &pn->commits[i]);
	}
	f->commit = 0;
	for (size_t i = 0; rc == 0 && i < pn->ntips; i++) {
		const new_tip *t = &pn->tips[i];
		snprintf(prefix, sizeof(prefix), "%s:", t->ref);
		if (t->type == GIT_OBJECT_TREE)
			rc = walk_new_tree(f, &t->id, prefix);
		else
			rc = new_blob(t->ref, &t->id, f);
	}
	return rc;
}

int push_new_find(push_new *pn, const push_src *src, const update *u, size_t n, missing *miss)
{
	finder f = { pn, src, NULL, miss, NULL, 0, 0 };
	int rc = -1;

	if (!(f.reach = reach_new(src->odb, src->cache, src->gitdir)))
		return -1;
	/* what the updated refs held is old: a fast-forward is proven here */
	for (size_t i = 0; i < n; i++)
		if (!git_oid_is_zero(&u[i].old) && reach_add_old(f.reach, &u[i].old) < 0)
			goto out;
	for (size_t i = 0; i < n; i++)
		if (!git_oid_is_zero(&u[i].new) && peel_update(&f, &u[i]) < 0)
			goto out;
	rc = find_objects(&f);
out:
	while (f.depth)
		commit_info_clear(&f.stack[--f.depth].ci);
	free(f.stack);
	reach_free(f.reach);
	return rc;
}

const char *push_blob_path(const push_new *pn, const git_oid *id, const new_commit **commit)
{
	oidset_entry *e = oidset_get(&pn->blobs, id);
	if (!e)
		return NULL;
	size_t i = (uintptr_t)e->value - 1;
	if (commit)
		*commit = pn->blob_commit[i] ? &pn->commits[pn->blob_commit[i] - 1] : NULL;
	return pn->blob_path[i];
}

int push_commit_tree(const push_new *pn, const push_src *src, const git_oid *commit, git_oid *tree)
{
	oidset_entry *e = oidset_get(&pn->commit_index, commit);
	if (e) {
		*tree = pn->commits[(uintptr_t)e->value - 1].tree;
		return 0;
	}
	raw_object o;
	commit_info ci;
	if (raw_object_read(src->odb, src->cache, commit, &o) < 0)
		return -1;
	int rc = o.type == GIT_OBJECT_COMMIT ? commit_parse(o.data, o.len, &ci) : -1;
	raw_object_release(&o);
	if (rc < 0)
		return fail_hex("not a commit:", commit);
	*tree = ci.tree;
	commit_info_clear(&ci);
	return 0;
}

void push_new_free(push_new *pn)
{
	for (size_t i = 0; i < pn->ncommits; i++)
		free(pn->commits[i].parents);
	free(pn->commits);
	for (size_t i = 0; i < pn->nblobs; i++)
		free(pn->blob_path[i]);
	free(pn->blob_path);
	free(pn->blob_commit);
	oidset_free(&pn->blobs);
	oidset_free(&pn->commit_index);
	oidset_free(&pn->state);
	oidset_free(&pn->old_objs);
	oidset_free(&pn->seen_trees);
	free(pn->blob_order);
	free(pn->tags);
	free(pn->tips);
	memset(pn, 0, sizeof(*pn));
}
