/*
 * gitscan.h - what the git modes share: opening repositories, reading and
 * scanning blobs, deciding which findings a change added, and a tree diff
 * that skips unchanged subtrees.
 */
#ifndef SG_GITSCAN_H
#define SG_GITSCAN_H

#include "cli.h"
#include "odb/odb.h"

#include <git2.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

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
/* 1 when that format is SHA-256 object ids, which git plumbing reads (plumb.c). */
int repo_unreadable_is_sha256(void);

/* 1 when the repository a pre-commit hook runs in (GIT_DIR, else ./.git, a
 * directory or a worktree's file) has extensions.objectformat = sha256 in its
 * config: a hint read before libgit2 loads, only to start git's children
 * early (plumb_early_start); repo_open_staged still decides. */
int repo_staged_looks_sha256(void);
/* The common directory of gitdir (a linked work tree's `commondir`, else
 * gitdir itself) into out: where its config and objects are. */
void repo_common_dir(const char *gitdir, char *out, size_t size);

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

/* ---- gitcmd.c ------------------------------------------------------------ */

/* A git child process: its stdin (to, when asked for) and stdout (from). */
typedef struct gitcmd {
	pid_t pid;
	FILE *to, *from;
} gitcmd;

/* Starts `git argv[1..]` (argv[0] is "git"); quiet sends its stderr to
 * /dev/null (a probe whose failure is an answer). 0, or -1: then still
 * gitcmd_finish it. */
int gitcmd_start(gitcmd *g, char *const argv[], int want_stdin, int quiet);
/* Closes the pipes and waits: git's exit status, or -1. */
int gitcmd_finish(gitcmd *g);
/* All of a git command's output in *out (owned, NUL-terminated); 0 when it
 * exited 0, else -1 (*out may still hold what it printed). */
int gitcmd_output(char *const argv[], char **out, size_t *len, int quiet);
/* The same for a child already started (without stdin): reads all it
 * prints, then gitcmd_finish. Lets the caller work while git runs. */
int gitcmd_slurp(gitcmd *g, char **out, size_t *len);
/* Reads one object by name from a `git cat-file --batch` child: 1, *buf
 * (owned, NUL-terminated) and its type ("blob", "commit", ...) in
 * type[0..tsize), 0 when git has no such object, -1 on a broken pipe. */
int gitcmd_batch_read(gitcmd *cat, const char *name, char **buf, size_t *len, char *type, size_t tsize);
/* The same for a blob: 1 and *buf (owned), 0 when git has no such object or
 * it is not a blob, -1 on a broken pipe. */
int gitcmd_blob_read(gitcmd *cat, const char *name, char **buf, size_t *len);
/* The next answer of a `git cat-file --batch` whose names are written by
 * someone else (a gitcmd_feeder): as gitcmd_batch_read. */
int gitcmd_batch_next(gitcmd *cat, char **buf, size_t *len, char *type, size_t tsize);
/* Runs git with in[0..inlen) as its stdin (none when in is NULL) and all its
 * output in *out (owned, NUL-terminated); 0 when it exited 0. */
int gitcmd_filter(char *const argv[], const char *in, size_t inlen, char **out, size_t *len, int quiet);

/* Writes buf[0..len) to a child's stdin from a thread, then closes it, so
 * that the caller can read the child's answers meanwhile. */
typedef struct gitcmd_feeder {
	pthread_t t;
	gitcmd *g;
	const char *buf;
	size_t len;
	int rc, started;
} gitcmd_feeder;
int gitcmd_feed_start(gitcmd_feeder *f, gitcmd *g, const char *buf, size_t len);
/* Waits for the thread: 0 when all of buf was written. */
int gitcmd_feed_finish(gitcmd_feeder *f);

/* ---- plumb.c ------------------------------------------------------------- */

/*
 * pre-commit in a repository libgit2 cannot open but git can (SHA-256):
 * the staged changes from `git diff-index --cached`, their blobs from `git
 * cat-file --batch`, judged as cmd_pre_commit judges them. Returns the exit
 * status, after printing the report.
 */
typedef struct plumb_early plumb_early;
int plumb_pre_commit(cli_opts *o, const sg_policy *p, sg_baseline *base, plumb_early *e);

/* git's two children of a SHA-256 pre-commit (`git rev-parse` naming the
 * index, the object directory, the git directory and HEAD's tree; `git
 * cat-file --batch`), started as the hook starts when its repository looks
 * SHA-256 (repo_staged_looks_sha256), before libgit2 loads and the policy is
 * read: the hook then takes git's time, not git's plus its own.
 * plumb_pre_commit takes them (it starts them itself when nobody did);
 * plumb_early_cancel ends those nobody took. */
struct plumb_early {
	gitcmd probe, cat;
	int probe_rc, cat_rc; /* gitcmd_start's */
	int started;
};
void plumb_early_start(plumb_early *e);
void plumb_early_cancel(plumb_early *e);

/* ---- plumb_index.c ------------------------------------------------------- */

/* The staged changes of a SHA-256 repository as `git diff-index --cached -z
 * --raw --no-renames HEAD` records, in *out (owned, *len bytes), read by
 * hook/odb: probe is what plumb_early's `git rev-parse` printed (lines cut
 * in place), cat reads the trees no pack or loose file here holds. 0, or 1
 * when git must be asked instead (an unborn branch, a sparse directory
 * changed, an index or tree hook/odb does not read). */
int plumb_index_changes(gitcmd *cat, char *probe, size_t probelen, char **out, size_t *len);

/* One record of `git diff-index` or `git diff-tree` -z --raw: ":om nm oid nid S\0path\0". */
typedef struct raw_change {
	unsigned old_mode, new_mode;
	char old_id[72], new_id[72];
	char status;
	const char *path;
} raw_change;

/* Parses the record at p (before end) into c: the record after it, or NULL
 * when p does not start one. c->path points into the buffer. */
const char *raw_change_next(const char *p, const char *end, raw_change *c);

/* ---- plumb_stream.c, plumb_history.c ------------------------------------- */

/* An object id as git plumbing prints it: 40 (SHA-1) or 64 (SHA-256) hex digits. */
typedef struct plumb_oid {
	char hex[65];
} plumb_oid;

typedef struct plumb_ids {
	plumb_oid *v;
	size_t n, cap;
} plumb_ids;

int plumb_ids_push(plumb_ids *l, const char *hex);
void plumb_ids_free(plumb_ids *l);

typedef struct plumb_stream_cfg {
	const cli_opts *o;
	const sg_policy *policy;
	const sg_baseline *baseline; /* may be NULL */
	const char *gitdir;
	size_t hashlen;              /* its ids' length in bytes: 32 lets hook/odb read its packs */
	int nworkers;
	int progress;                /* the \r progress line on stderr */
	/* called once, from a worker, when the first blob with a finding is
	 * judged (the caller may start what it will need then); may be NULL */
	void (*on_flag)(void *ctx);
	void *flag_ctx;
} plumb_stream_cfg;

typedef struct plumb_stream_result {
	plumb_ids flagged;            /* blobs holding a finding */
	plumb_ids messages;           /* commits and tags whose message holds one */
	report_stats st;              /* files scanned, skips, errors */
	sg_stats lib;                 /* the scanners' counts, summed */
	unsigned long long objects;   /* objects the stream held */
	int stopped;                  /* it ended early (a damaged object): the rest was not read */
	int failed;
	int read_by_odb;              /* hook/odb read the objects (not git's stream), all of them in */
	char objdir[4200];            /* this objects directory: no alternates */
} plumb_stream_result;

/*
 * Every object of the repository at gitdir, judged as scanpool.c judges them,
 * on cfg->nworkers threads: read from its packs and loose files by hook/odb
 * when it can read them all, else from one `git cat-file --batch-all-objects
 * --batch --unordered`. 0, or -1 when not all could be read (said).
 */
int plumb_stream_scan(const plumb_stream_cfg *cfg, plumb_stream_result *out);

/*
 * --all-history of a repository libgit2 cannot open (SHA-256) through git's
 * plumbing, with history.c's semantics and notes, into cfg->report; counts
 * added to *lib and *st. 0 when judged whole, 1 when not (said).
 */
typedef struct plumb_history_cfg {
	plumb_stream_cfg scan;
	report *report;
	const char *toplevel;        /* its work tree, "" when bare */
	int state;                   /* --state was given (it keeps nothing of this repository) */
} plumb_history_cfg;

int plumb_history(const plumb_history_cfg *cfg, sg_stats *lib, report_stats *st);

/* Is the repository at or above path one git reads in SHA-256 (trust: whoever
 * owns it)? 1 with its git directory (absolute) and work tree ("" when bare), else 0. */
int plumb_history_probe(const char *path, int trust, char *gitdir, size_t gsize, char *top, size_t tsize);

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

/* The same for content already in memory (buf[0..size)): what git plumbing read. */
int blob_scan_data(blob_ctx *c, const char *buf, size_t size, const char *path, sg_findings *out);

/* Counts and notes a blob of size over max_file_size (the limit itself is
 * scanned) without reading it: 1 skipped, 0 to be read. */
int blob_skip_large(blob_ctx *c, size_t size, const char *path);

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

/* keep_added with both sides in memory (ob: the old side, nb: the new). */
int keep_added_data(blob_ctx *c, const char *ob, size_t obn, const char *nb, size_t nbn, const char *path,
		    sg_findings *found);

/* Moves every finding of found into the report; found is left empty. */
int report_take(report *r, sg_findings *found, const char *path, const char *commit);

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
int reach_add_old(reach *r, const git_oid *id);
/* 1 when a ref reached the commit id (whose committer time is time), 0 when
 * none is proven to, -1 on error. */
int reach_is_old(reach *r, const git_oid *id, int64_t time);
/* 1 when tag is in some ref's chain of tags, 0 if not, -1 on error. */
int reach_tag_is_old(reach *r, const git_oid *tag);

/* ---- missing.c ------------------------------------------------------------ */

/* 1 when pack_dir (an objects/pack directory) holds a .promisor file: the
 * packs of a partial clone's fetches. */
int missing_promisor_pack(const char *pack_dir);

typedef struct missing {
	oidset ids;
	unsigned long long total, by_type[5]; /* commits, trees, blobs, tags, of unknown kind */
	unsigned long long damaged;           /* there, but unreadable */
	git_oid first;
	char *first_path;                     /* where the first one sits, if known (owned) */
	char first_hex[65];                   /* the first, when counted by missing_add_hex */
} missing;

void missing_init(missing *m);
void missing_free(missing *m);
/* Counts id once (thread-safe); path (may be NULL) is where it should be. 0, or -1 out of memory. */
int missing_add(missing *m, const git_oid *id, git_object_t type, const char *path);
/* The same for an id as git plumbing names it (SHA-256's too). */
int missing_add_hex(missing *m, const char *hex, git_object_t type, const char *path);
/* Counts an object that is there but cannot be read (thread-safe). */
void missing_damaged(missing *m);
/* The note that says how many, of which kinds, and why (nothing when none);
 * repo may be NULL (read through git plumbing: no promisor advice). */
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
/* The same for an id as git plumbing names it (SHA-256's too). */
void trace_blob_hex(const char *hex);
void trace_close(void);

#endif
