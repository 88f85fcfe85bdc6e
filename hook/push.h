/*
 * push.h - what the files of `sasguard pre-receive` share: the ref updates
 * git hands the hook, and what a push adds (pushnew.c).
 */
#ifndef SG_PUSH_H
#define SG_PUSH_H

#include "gitscan.h"

/* One "<old> <new> <ref>" line of the hook's stdin. */
typedef struct update {
	git_oid old, new;
	char *ref;
	/* the ids as git wrote them: SHA-256's do not fit a git_oid of libgit2 1.5 */
	char old_hex[65], new_hex[65];
} update;

/* Where a push's objects are read: the repository with the quarantine as
 * an alternate, the quarantine alone (NULL without one), a cache. */
typedef struct push_src {
	git_odb *odb;
	git_odb *qodb;
	tree_cache *cache;
	const char *gitdir;
} push_src;

/* A commit the push adds, with its links. */
typedef struct new_commit {
	git_oid id, tree;
	git_oid *parents; /* owned */
	size_t nparents;
} new_commit;

/* A ref (or a tag chain) that ends at a tree or a blob, not a commit. */
typedef struct new_tip {
	git_oid id;
	git_object_t type;
	const char *ref; /* borrowed from the update */
} new_tip;

/*
 * What a push adds, as `git rev-list --objects <new> --not --all` lists it
 * before the push: the commits no ref reached (their order: parents first),
 * the blobs and trees of those commits that the trees of their old parents
 * (the edge) do not hold, the tag objects of the new values' chains that no
 * ref's chain holds, and the trees and blobs refs point at directly.
 */
typedef struct push_new {
	new_commit *commits;
	size_t ncommits, capcommits;
	oidset commit_index; /* new commit -> its index + 1 in commits */
	oidset blobs;        /* new blob -> its index in the arrays below, plus one */
	git_oid *blob_order; /* the new blobs in the order they were found */
	char **blob_path;    /* where each was first seen (owned); a later path no [allow]
			      * glob covers replaces one that is covered */
	size_t *blob_commit; /* in which new commit (index plus one; 0: under a ref to a tree or blob) */
	size_t nblobs, capblobs;
	git_oid *tags;       /* new tag objects */
	size_t ntags, captags;
	new_tip *tips;
	size_t ntips, captips;
	oidset state;        /* commit -> NEW, OLD or GONE (missing) */
	oidset old_objs;     /* the edge's trees and blobs */
	oidset seen_trees;   /* new trees already walked */
	const sg_policy *policy; /* set by the caller: its [allow] paths (borrowed, may be NULL) */
} push_new;

/* Fills pn (zeroed by the caller) from the updates. Missing objects go to
 * miss. Returns 0, or -1 after setting a git error. */
int push_new_find(push_new *pn, const push_src *src, const update *u, size_t n, missing *miss);
void push_new_free(push_new *pn);

/* Where new blob id was first seen (at a path not allowed, if any): its path,
 * and the commit (NULL: a ref to a tree or blob). */
const char *push_blob_path(const push_new *pn, const git_oid *id, const new_commit **commit);

/* The tree of a commit the push adds, or of an old one read from odb. */
int push_commit_tree(const push_new *pn, const push_src *src, const git_oid *commit, git_oid *tree);

/* ---- plumb_push.c ---------------------------------------------------------- */

/* What the scan has done so far, in memory the supervisor shares (pushed.c). */
typedef struct progress {
	volatile unsigned long long objects, total, bytes, commits;
	volatile int finding;  /* still finding what the push adds (1), or judging it (0) */
	volatile int blocking; /* a finding that blocks was seen already */
} progress;

/* What pushed.c lends the scan of a push through git's plumbing: the
 * updates, the blob context (scanner, policy, report, counts), the missing
 * objects, the progress, and keep(), which applies the server's allowances
 * to a change's findings and moves them into the report. */
typedef struct plumb_push_ctx {
	const update *updates;
	size_t nupdates;
	blob_ctx *b;
	missing *miss;
	progress *prog;
	int (*keep)(void *push, sg_findings *found, const char *path, const char *commit);
	void *push;
} plumb_push_ctx;

/*
 * pre-receive in a repository libgit2 cannot open (SHA-256): judges what `git
 * rev-list --objects <new> --not --all` lists, as pushed.c does with libgit2.
 * Returns 0, or -1 after saying why (the push is then not judged).
 */
int plumb_push_judge(const plumb_push_ctx *c);

#endif
