/*
 * gitscan.h - what the git modes share: opening repositories, reading and
 * scanning blobs, deciding which findings a change added, and a tree diff
 * that skips unchanged subtrees.
 */
#ifndef SG_GITSCAN_H
#define SG_GITSCAN_H

#include "cli.h"
#include "oidset.h"

#include <git2.h>

/* Prints "sasguard: <what>: <libgit2's last error>" to stderr. */
void git_fail(const char *what);

/* ---- repo.c -------------------------------------------------------------- */

/* git_libgit2_init, and the repository extensions safe for a reader declared
 * to libgit2 (it refuses every one it does not know). */
void repo_libgit2_init(void);

/* What repo_open_staged and repo_open_server return for a repository in a
 * format git reads and this build cannot (SHA-256, a newer extension), with
 * nothing printed: repo_unreadable_why says which, in one line. */
#define REPO_UNREADABLE 64
const char *repo_unreadable_why(void);

/*
 * Opens the repository a pre-commit hook runs in, honouring GIT_DIR,
 * GIT_WORK_TREE and GIT_CEILING_DIRECTORIES, and names the index git is
 * committing (GIT_INDEX_FILE: index.lock for commit -a, next-index-*.lock for
 * commit <paths>; else the repository's). Returns 0, EXIT_INTERNAL (printed)
 * or REPO_UNREADABLE.
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
/* The same from the config file of the git directory gitdir, without opening
 * the repository (whose format may be one this build cannot read). */
int repo_server_policy_file_at(const char *gitdir, char *buf, size_t size);

/* Opens the repository at or above path (for --all-history). */
int repo_open_path(git_repository **repo, const char *path);

/* The repository's .sasguard.ini in its work tree, if any ("" for bare). */
void repo_policy_file(git_repository *repo, char *buf, size_t size);

/* ---- blob.c -------------------------------------------------------------- */

/* The skips of a run, by reason, with the first few paths for the note. */
enum { SKIP_LFS, SKIP_BINARY, SKIP_LARGE, SKIP_KINDS };
#define SKIP_SAMPLES 3

typedef struct skip_log {
	unsigned long long count;
	char *sample[SKIP_SAMPLES];
} skip_log;

/* What a mode needs to scan blobs: the scanner, its policy, counters, notes. */
typedef struct blob_ctx {
	git_repository *repo;
	sg_scanner *scanner;
	const sg_policy *policy;
	report_stats *stats;
	report *report;
	skip_log skips[SKIP_KINDS];
	int side_read; /* reading an old side: its skips are not this run's */
} blob_ctx;

/* blob_scan's answer for a blob the object database does not have. */
#define BLOB_MISSING 1

/*
 * Scans blob id (at path, which may be NULL) and appends its findings to out.
 * Skips, counting them: valid LFS pointers, content larger than
 * max_file_size (without reading it) and, when the policy opts out of binary
 * scanning, content git calls binary. Returns 0 (scanned or skipped),
 * BLOB_MISSING (not in the object database; nothing printed) or -1 on an
 * error it printed.
 */
int blob_scan(blob_ctx *c, const git_oid *id, const char *path, sg_findings *out);

/* One note per kind of skip so far: how many, why, the first paths. */
void blob_skips_note(blob_ctx *c);
/* Skips counted elsewhere (the scanning threads), with their first paths. */
void blob_skips_add(blob_ctx *c, int kind, unsigned long long count, const char *const *paths, size_t npaths);

/* Is this a valid Git LFS pointer by its spec (nothing else is skipped as one)? */
int blob_is_lfs_pointer(const char *b, size_t n);

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
 * an empty index; a split index is read with its shared index (beside the
 * index file, else in gitdir, which may be NULL). Returns 0, -1 after printing why, or cb's non-zero return.
 */
typedef int (*tree_change_cb)(const char *path, const git_oid *old_entry_id, const git_oid *new_id,
			      void *payload);
int staged_changes(git_odb *odb, const char *index_path, const char *gitdir, const git_oid *head_tree,
		   tree_change_cb cb, void *payload, git_oid **gone, size_t *ngone);

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

/* What git makes of an entry's mode (its canon_mode): content, a directory,
 * or a gitlink (a submodule's commit, and any mode git does not know). */
typedef enum { TREE_ENTRY_BLOB, TREE_ENTRY_TREE, TREE_ENTRY_GITLINK } tree_entry_kind;
tree_entry_kind tree_mode_kind(unsigned mode);
int tree_mode_is_tree(unsigned mode);
int tree_mode_is_blob(unsigned mode);

/* ---- rawobj.c ------------------------------------------------------------ */

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
/* The same, and -1 unless the object is a tree. */
int raw_tree_read(git_odb *odb, tree_cache *cache, const git_oid *id, raw_object *out);
void raw_object_release(raw_object *o);
/* 1 when odb has no object id (a read failed because it is missing, not damaged). */
int raw_object_missing(git_odb *odb, const git_oid *id);

/* ---- treediff.c, treewalk.c ---------------------------------------------- */

/* A tree that should be read cannot be: missing from the object database, or
 * damaged (then libgit2's error says why). path is where it sits. Return 0
 * to go on without it (counted by the caller), -1 to stop. */
typedef int (*tree_missing_cb)(const char *path, const git_oid *tree, int damaged, void *payload);

/*
 * Calls cb for each blob in new_tree whose id differs from the blob at the
 * same path in old_tree (NULL: the empty tree). Subtrees with equal ids are
 * skipped without being read; gitlinks (submodules) are not content; modes
 * count as git canonicalises them, so a mode change alone adds nothing.
 * old_entry_id is NULL when old_tree has no blob at that path. Reads only
 * through odb, so threads may run it at once, each with its own cache (cache
 * may be NULL). Never recurses on the trees' depth. A non-zero return from
 * cb stops the diff and is returned. A missing tree is an error for
 * tree_diff; tree_diff_ext hands it to missing (old trees: diffed as empty).
 */
int tree_diff(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree,
	      tree_change_cb cb, void *payload);
int tree_diff_ext(git_odb *odb, tree_cache *cache, const git_oid *old_tree, const git_oid *new_tree,
		  tree_change_cb cb, tree_missing_cb on_missing, void *payload);

/* The entry at path ("a/b/c") in tree: 1 with its id and kind, 0 when there is none. */
int tree_entry_at(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *path, git_oid *out,
		  tree_entry_kind *kind);
/* 1 and *out when the entry at path is content (a file or a symlink). */
int tree_blob_at(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *path, git_oid *out);

/* What tree_walk calls: paths are prefix + the entry's path ("dir/" for trees). */
typedef struct tree_walk_cbs {
	int (*blob)(const char *path, const git_oid *id, void *payload);   /* non-zero stops */
	int (*tree)(const char *path, const git_oid *id, void *payload);   /* 1 enter, 0 skip, <0 stop */
	tree_missing_cb missing;                                           /* NULL: an error */
	void *payload;
} tree_walk_cbs;

/* Every entry below tree (gitlinks skipped), depth-first in tree order. Returns 0, -1 or a callback's stop. */
int tree_walk(git_odb *odb, tree_cache *cache, const git_oid *tree, const char *prefix, const tree_walk_cbs *cbs);

/* ---- objparse.c ----------------------------------------------------------- */

/* A commit's links, read from its raw bytes. */
typedef struct commit_info {
	git_oid tree;
	git_oid *parents;     /* nparents of them, owned: commit_info_clear */
	size_t nparents, cap;
	int64_t time;         /* the committer's, 0 when unreadable */
	size_t message;       /* offset of the message (the length when there is none) */
} commit_info;

/* 0, or -1 when data is not a commit git would read. */
int commit_parse(const void *data, size_t len, commit_info *out);
void commit_info_clear(commit_info *c);

/* A tag's target as its header names it, and where its message starts. */
typedef struct tag_info {
	git_oid target;
	git_object_t type;
	size_t message;
} tag_info;

int tag_parse(const void *data, size_t len, tag_info *out);

/* ---- refs.c --------------------------------------------------------------- */

typedef struct ref_entry {
	char *name;           /* "refs/heads/main", or "HEAD" when detached */
	git_oid id;           /* its value */
	git_oid peeled;       /* packed-refs' record of where its tags lead */
	int has_peeled;
	/* for reach.c */
	git_oid end;
	int is_commit;
	int tag_chain_unread;
} ref_entry;

typedef struct ref_list {
	ref_entry *items;
	size_t count, cap;
} ref_list;

/* Every ref under gitdir (loose files win over packed-refs), and a detached HEAD. */
int ref_list_read(ref_list *l, const char *gitdir);
void ref_list_free(ref_list *l);

/* ---- reach.c ------------------------------------------------------------- */

/* What the refs reached before a push (see reach.c). */
typedef struct reach reach;
reach *reach_new(git_odb *odb, tree_cache *cache, const char *gitdir);
void reach_free(reach *r);
/* A commit a ref held before the push (an update's old value). */
int reach_add_old(reach *r, const git_oid *commit);
/* 1 when a ref reached commit (whose committer time is time), 0 when none is
 * proven to, -1 on error. */
int reach_is_old(reach *r, const git_oid *commit, int64_t time);
/* 1 when tag is in some ref's chain of tags, 0 if not, -1 on error. */
int reach_tag_is_old(reach *r, const git_oid *tag);

/* ---- missing.c ------------------------------------------------------------ */

typedef struct missing {
	oidset ids;
	unsigned long long total, by_type[5]; /* commits, trees, blobs, tags, of unknown kind */
	unsigned long long damaged;           /* there, but unreadable */
	git_oid first;
	char *first_path;                     /* where the first one sits, if known (owned) */
} missing;

void missing_init(missing *m);
void missing_free(missing *m);
/* Counts id once (thread-safe); path (may be NULL) is where it should be. 0, or -1 out of memory. */
int missing_add(missing *m, const git_oid *id, git_object_t type, const char *path);
/* Counts an object that is there but cannot be read (thread-safe). */
void missing_damaged(missing *m);
/* The note that says how many, of which kinds, and why (nothing when none). */
void missing_report(const missing *m, report *r, git_repository *repo, int allowed);

/* ---- discover.c ---------------------------------------------------------- */

typedef struct repo_item {
	char *path;
	char *unreadable; /* why it cannot be read, or NULL */
} repo_item;

typedef struct repo_list {
	repo_item *items;
	size_t count, cap;
} repo_list;

/* The repositories paths name: each a repository, or a directory walked for
 * them; directories that cannot be read are listed with why. 0 or -1 (memory). */
int repo_discover(repo_list *l, char *const *paths, int npaths);
void repo_list_free(repo_list *l);

/* ---- state.c ------------------------------------------------------------- */

/* Where a finding of a repository sits: the blob, the commit that added it
 * (zero for a tree a ref names) and the path. */
typedef struct state_origin {
	git_oid blob, commit;
	char *path;
} state_origin;

/* What an audit kept of one repository (see state.c). */
typedef struct state_repo {
	char *key;                  /* the repository's git directory, absolute */
	unsigned char policy[32];   /* digest of the policy it was judged by */
	unsigned char refs[32];     /* digest of its refs then */
	uint64_t missing, dangling; /* objects missing; flagged blobs no ref reached */
	git_oid *judged;            /* objects judged clean, sorted */
	size_t njudged;
	state_origin *origins;      /* the findings' blobs, where they were introduced */
	size_t norigins;
	git_oid *messages;          /* commits and tags whose message holds a finding */
	size_t nmessages;
} state_repo;

typedef struct state {
	state_repo *repos;
	size_t count;
} state;

/* A missing file is an empty state; 0, or -1 with errno (EINVAL: not one of ours, or damaged). */
int state_load(state *s, const char *path);
int state_save(const state *s, const char *path);
void state_free(state *s);
void state_repo_free(state_repo *r);
state_repo *state_find(state *s, const char *key);
/* Adds r, replacing the entry of the same key; r is emptied (the state owns it). */
int state_put(state *s, state_repo *r);
/* Sorts ids and drops repeats. */
void state_sort_ids(git_oid *v, size_t *n);
/* 1 when r judged id clean before. */
int state_judged(const state_repo *r, const git_oid *id);
int state_policy_digest(const sg_policy *p, unsigned char out[32]);
int state_refs_digest(const char *gitdir, unsigned char out[32]);

/* ---- scanpool.c ----------------------------------------------------------- */

/* What a pool of scanning threads needs (see scanpool.c). */
typedef struct scan_pool_cfg {
	const cli_opts *o;
	const sg_policy *policy;
	const sg_baseline *baseline;  /* may be NULL */
	int nworkers;
	int keep_clean;               /* list the objects judged clean (--state) */
	/* opens one worker's own repository and object database */
	int (*open)(void *ctx, git_repository **repo, git_odb **odb);
	void *open_ctx;
	/* where a blob was first seen, for [allow] paths and skip notes; may be NULL */
	const char *(*path_of)(void *ctx, const git_oid *id);
	void *path_ctx;
} scan_pool_cfg;

/* What the workers found (the caller frees it: scan_result_free). */
typedef struct scan_result {
	git_oid *flagged;              /* blobs holding a finding */
	size_t nflagged;
	git_oid *messages;             /* commits and tags whose message holds one */
	size_t nmessages;
	git_oid *clean;                /* objects judged clean, with keep_clean */
	size_t nclean;
	git_oid *missing;              /* objects that were not there */
	size_t nmissing;
	git_oid skip_sample[SKIP_KINDS][SKIP_SAMPLES]; /* the first blobs skipped, by kind */
	size_t nskip_sample[SKIP_KINDS];
	report_stats st;               /* files scanned, skips, read errors */
	sg_stats lib;                  /* the scanners' counts, summed */
	int failed;                    /* an object could not be read (said once) */
} scan_result;

typedef struct scan_pool scan_pool;

/* Starts the workers; NULL after saying why. */
scan_pool *scan_pool_start(const scan_pool_cfg *cfg);
/* Queues an object; type GIT_OBJECT_INVALID and size SIZE_MAX when unknown. */
void scan_pool_add(scan_pool *p, const git_oid *id, git_object_t type, size_t size);
/* Objects scanned so far, bytes too, and whether a blocking finding was seen (any thread). */
unsigned long long scan_pool_progress(scan_pool *p, unsigned long long *bytes, int *blocking);
/* Waits for the workers and gathers their results into *out. 0, or -1 when the pool failed. */
int scan_pool_finish(scan_pool *p, scan_result *out);
void scan_result_free(scan_result *r);

/* ---- trace.c ------------------------------------------------------------- */

/* SASGUARD_TRACE_BLOBS=FILE: each blob judged, once (thread-safe). */
int trace_blobs_on(void);
void trace_blob(const git_oid *id);
void trace_close(void);

#endif
