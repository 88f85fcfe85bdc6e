/*
 * index.h - index.c's parser of git index files and its walk against HEAD,
 * on a buffer: staged_changes (gitscan.h) maps the file and calls these, and
 * tests/fuzz/fuzz_index.c drives them directly.
 */
#ifndef SG_INDEX_H
#define SG_INDEX_H

#include "gitscan.h"

typedef struct index_entry {
	const char *path; /* into the buffer (v2, v3) or into paths (v4); NUL-terminated */
	size_t len;
	uint32_t mode;
	const unsigned char *id;
	unsigned stage; /* 0, or a conflict's 1-3 */
	int skip; /* a conflict stage or an intent-to-add entry: not committed */
} index_entry;

/* A cache-tree node: one directory, valid when count >= 0 (then id is its tree). */
typedef struct ctnode {
	const char *name;
	size_t len;
	long count;
	const unsigned char *id;
	size_t nsub;
	size_t span; /* this node and all below it: nodes are stored in pre-order */
} ctnode;

typedef struct index_file {
	index_entry *e;
	size_t n;
	char *paths;   /* v4: the expanded paths */
	ctnode *root;  /* NULL without a (readable) TREE extension */
	ctnode *nodes; /* storage of every node */
	size_t nnodes, capnodes;
	/* a split index (the link extension): the shared index it builds on,
	 * which of that one's entries it deletes and replaces (EWAH bitmaps) */
	int split;                  /* 1 until index_merge_shared has run */
	unsigned char shared_id[20];
	const unsigned char *del_words, *rep_words;
	size_t ndel_words, nrep_words;
	struct index_file *base;    /* the shared index, once merged (owned) */
} index_file;

/*
 * Parses the bytes of an index file (versions 2, 3 and 4), which x points
 * into: buf must outlive x. Returns 0, or -1 with *why set to a message
 * (x is then cleared). A cache-tree it cannot read is only a lost shortcut.
 */
int index_parse(index_file *x, const unsigned char *buf, size_t size, const char **why);
void index_free(index_file *x);

/*
 * A split index (x->split): merges in the shared index it names
 * ($GIT_DIR/sharedindex.<shared_id>, parsed into base, which must not be
 * split itself) as git does, leaving x sorted in git's order. x takes base
 * (freed with x; base's buffer must outlive x). 0, or -1 with *why (x and
 * base are then unchanged).
 */
int index_merge_shared(index_file *x, index_file *base, const char **why);

/* staged_changes (gitscan.h) on a parsed index: cb for each blob the index
 * adds or changes against head_tree, and the blobs that are gone. A split
 * index must have been merged (index_merge_shared) first, else -1. */
int index_diff(git_odb *odb, const index_file *x, const git_oid *head_tree, tree_change_cb cb, void *payload,
	       git_oid **gone, size_t *ngone);

#endif
