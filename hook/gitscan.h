/*
 * gitscan.h - what the git modes share: opening repositories, reading and
 * scanning blobs, deciding which findings a change added, and a tree diff
 * that skips unchanged subtrees.
 */
#ifndef SG_GITSCAN_H
#define SG_GITSCAN_H

#include "cli.h"

#include <git2.h>

/* Prints "sasguard: <what>: <libgit2's last error>" to stderr. */
void git_fail(const char *what);

/* ---- repo.c -------------------------------------------------------------- */

/*
 * Opens the repository a pre-commit hook runs in, honouring GIT_DIR,
 * GIT_WORK_TREE and GIT_CEILING_DIRECTORIES, and names the index git is
 * committing (GIT_INDEX_FILE: index.lock for commit -a, next-index-*.lock for
 * commit <paths>; else the repository's). Returns 0 or EXIT_INTERNAL (printed).
 */
int repo_open_staged(git_repository **repo, char *index_path, size_t size);

/*
 * Opens the repository a pre-receive hook runs in so that libgit2 sees the
 * pushed objects: the repository plainly, plus the quarantine directory as a
 * disk alternate. *qodb is a view of the quarantine alone (NULL when git ran
 * the hook without one). Owner validation is off: git checked it already.
 */
int repo_open_pushed(git_repository **repo, git_odb **qodb);

/* Opens a server's (bare) repository at path, owner validation off. */
int repo_open_server(git_repository **repo, const char *path);

/* The path in git config sasguard.config (relative: to the repository), or "". */
int repo_server_policy_file(git_repository *repo, char *buf, size_t size);

/* Opens the repository at or above path (for --all-history). */
int repo_open_path(git_repository **repo, const char *path);

/* The repository's .sasguard.ini in its work tree, if any ("" for bare). */
void repo_policy_file(git_repository *repo, char *buf, size_t size);

/* ---- blob.c -------------------------------------------------------------- */

/* What a mode needs to scan blobs: the scanner, its policy, counters, notes. */
typedef struct blob_ctx {
	git_repository *repo;
	sg_scanner *scanner;
	const sg_policy *policy;
	report_stats *stats;
	report *report;
} blob_ctx;

/*
 * Scans blob id (at path) and appends its findings to out. Skips, counting
 * them: gitlinks' missing blobs, LFS pointers, content larger than
 * max_file_size (without reading it) and, unless the policy scans binary,
 * content with a NUL in its first 8000 bytes. Returns 0 (scanned or skipped)
 * or -1 on an error it printed.
 */
int blob_scan(blob_ctx *c, const git_oid *id, const char *path, sg_findings *out);

/* Scans a buffer not from a blob (a commit or tag message). */
int text_scan(blob_ctx *c, const char *text, size_t len, const char *label, sg_findings *out);

/*
 * Keeps only the findings (of new blob new_id at path) that the change added
 * relative to old blob old_id: on a line the diff adds, and whose token the
 * old blob did not hold. Removed findings are freed. Returns 0 or -1.
 */
int keep_added(blob_ctx *c, const git_oid *old_id, const git_oid *new_id, const char *path, sg_findings *found);

/* Moves every finding of found into the report; found is left empty. */
int report_take(report *r, sg_findings *found, const char *path, const char *commit);

/* ---- index.c -------------------------------------------------------------- */

/*
 * Calls cb for each blob the index at index_path adds or changes against
 * head_tree (NULL on an unborn branch): path, HEAD's blob there (NULL when
 * none) and the index's. Directories whose cache-tree id equals HEAD's tree
 * are skipped unread. *gone lists the blobs HEAD has where the index has
 * none (the sources of renames); the caller frees it. A missing index file is
 * an empty index. Returns 0, -1 after printing why, or cb's non-zero return.
 */
typedef int (*tree_change_cb)(const char *path, const git_oid *old_entry_id, const git_oid *new_id,
			      void *payload);
int staged_changes(git_odb *odb, const char *index_path, const git_oid *head_tree, tree_change_cb cb,
		   void *payload, git_oid **gone, size_t *ngone);

/* ---- treediff.c ---------------------------------------------------------- */

/* One entry of a raw tree object ("<octal mode> <name>\0<20-byte id>"), in place. */
typedef struct tree_entry_raw {
	unsigned mode;
	const char *name;
	size_t len;
	const unsigned char *id;
} tree_entry_raw;

/* Reads a raw tree's entries in order: valid is 0 past the last one. */
typedef struct tree_cursor {
	const unsigned char *p, *end;
	tree_entry_raw e;
	int valid;
} tree_cursor;

/* Starts at data[0..len) and reads the first entry; -1 on a corrupt tree. */
int tree_cursor_start(tree_cursor *c, const void *data, size_t len);
/* The next entry; -1 on a corrupt tree. */
int tree_cursor_next(tree_cursor *c);

/* git's tree order: names bytewise, a tree's name as if it ended in '/'. */
int tree_name_cmp(const char *a, size_t al, int adir, const char *b, size_t bl, int bdir);

int tree_mode_is_tree(unsigned mode);
int tree_mode_is_blob(unsigned mode);

/* Recently read trees, so that a parent's trees read for one commit serve the
 * next. One per thread; tree_cache_free releases the trees it holds. */
typedef struct tree_cache tree_cache;
tree_cache *tree_cache_new(void);
void tree_cache_free(tree_cache *c);

/* Lets the cache read objects from the repository's packs directly (see
 * packread.h), holding up to budget bytes of them. packs may be NULL. */
struct pack_store;
int tree_cache_use_packs(tree_cache *c, struct pack_store *packs, size_t budget);

/* An object's raw bytes, from a pack or through libgit2; release when done. */
typedef struct raw_object {
	git_object_t type;
	const unsigned char *data;
	size_t len;
	git_odb_object *gobj;    /* the reference held, one of the two */
	struct pack_obj *pobj;
} raw_object;

int raw_object_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out);
void raw_object_release(raw_object *o);

/*
 * Calls cb for each blob in new_tree whose id differs from the blob at the
 * same path in old_tree (NULL: the empty tree). Subtrees with equal ids are
 * skipped without being read; gitlinks (submodules) are not content.
 * old_entry_id is NULL when old_tree has no blob at that path. Reads only
 * through odb, so threads may run it at once, each with its own cache (cache
 * may be NULL). A non-zero return from cb stops the diff and is returned.
 */
int tree_diff(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree,
	      tree_change_cb cb, void *payload);

/* The blob id at path in tree, or NULL-like: returns 1 and fills *out when there is a blob. */
int tree_blob_at(git_tree *tree, const char *path, git_oid *out);

#endif
