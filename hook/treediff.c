/*
 * treediff.c - which blobs a tree changed against another, reading only the
 * subtrees whose ids differ. libgit2 1.5's tree-to-tree diff expands every
 * subtree, which makes a per-commit diff cost the size of the repository.
 */
#include "gitscan.h"

#include <stdlib.h>
#include <string.h>

typedef struct walk {
	git_repository *repo;
	tree_change_cb cb;
	void *payload;
	char *path;
	size_t cap;
} walk;

static int is_blob(git_filemode_t m)
{
	return m == GIT_FILEMODE_BLOB || m == GIT_FILEMODE_BLOB_EXECUTABLE || m == GIT_FILEMODE_LINK;
}

/* Sets w->path to prefix + name (+ '/' for a directory); returns the new length. */
static int path_join(walk *w, size_t len, const char *name, size_t *out)
{
	size_t n = strlen(name), need = len + n + 2;
	if (need > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < need)
			cap *= 2;
		char *p = realloc(w->path, cap);
		if (!p)
			return -1;
		w->path = p;
		w->cap = cap;
	}
	memcpy(w->path + len, name, n + 1);
	*out = len + n;
	return 0;
}

static int diff_trees(walk *w, git_tree *old, git_tree *new, size_t len);

/* A subtree of new: recurse against the old subtree of the same name, if any. */
static int descend(walk *w, const git_tree_entry *oe, const git_tree_entry *ne, size_t len)
{
	git_tree *nt = NULL, *ot = NULL;
	int rc = -1;
	if (git_tree_lookup(&nt, w->repo, git_tree_entry_id(ne)) < 0) {
		git_fail("reading a tree");
		return -1;
	}
	if (oe && git_tree_entry_type(oe) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&ot, w->repo, git_tree_entry_id(oe)) < 0) {
		git_fail("reading a tree");
		goto out;
	}
	w->path[len] = '/';
	w->path[len + 1] = '\0';
	rc = diff_trees(w, ot, nt, len + 1);
out:
	git_tree_free(ot);
	git_tree_free(nt);
	return rc;
}

static int diff_trees(walk *w, git_tree *old, git_tree *new, size_t len)
{
	size_t n = git_tree_entrycount(new);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *ne = git_tree_entry_byindex(new, i);
		const char *name = git_tree_entry_name(ne);
		const git_tree_entry *oe = old ? git_tree_entry_byname(old, name) : NULL;
		git_filemode_t mode = git_tree_entry_filemode(ne);
		size_t plen;
		int rc;

		if (oe && git_oid_equal(git_tree_entry_id(oe), git_tree_entry_id(ne)) &&
		    git_tree_entry_filemode(oe) == mode)
			continue; /* unchanged: a subtree is not even read */
		if (path_join(w, len, name, &plen) < 0)
			return -1;
		if (mode == GIT_FILEMODE_TREE)
			rc = descend(w, oe, ne, plen);
		else if (is_blob(mode))
			rc = w->cb(w->path, oe && is_blob(git_tree_entry_filemode(oe)) ? git_tree_entry_id(oe) : NULL,
				   git_tree_entry_id(ne), w->payload);
		else
			rc = 0; /* a gitlink: a submodule's commit, not content */
		if (rc)
			return rc;
		w->path[len] = '\0';
	}
	return 0;
}

int tree_diff(git_repository *repo, git_tree *old_tree, git_tree *new_tree, tree_change_cb cb, void *payload)
{
	walk w = { repo, cb, payload, NULL, 0 };
	size_t len;
	if (path_join(&w, 0, "", &len) < 0)
		return -1;
	int rc = diff_trees(&w, old_tree, new_tree, 0);
	free(w.path);
	return rc;
}

int tree_blob_at(git_tree *tree, const char *path, git_oid *out)
{
	git_tree_entry *e = NULL;
	if (!tree || git_tree_entry_bypath(&e, tree, path) < 0)
		return 0;
	int ok = is_blob(git_tree_entry_filemode(e));
	if (ok)
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return ok;
}
