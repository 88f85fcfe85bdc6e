/*
 * plumb_history.c - `--all-history` of a repository libgit2 1.5.1 cannot open
 * (SHA-256) through git's plumbing, with history.c's semantics and notes:
 * every object judged from one stream (plumb_stream.c) while, beside it, one
 * walk of the history proves the reachable blobs are there and ties each
 * blob to the commit that added it: `git log --raw`, read as it prints (the
 * blobs it names checked against hook/odb's packs, its changes kept in a
 * compact temporary file for the flagged ones), or where hook/odb cannot
 * check them, `git rev-list --objects --missing=print`, and git log only
 * once a blob is flagged.
 */
#include "gitscan.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where a flagged blob was first seen, as history.c's origin: the oldest
 * commit and path, and the oldest at a path no [allow] path glob covers. */
typedef struct porigin {
	plumb_oid blob, commit, ucommit;
	char *path, *upath;
	size_t rank, urank;
	int seen, useen;
} porigin;

/* The reachability check, read on its own thread while the scan runs. */
typedef struct reach_check {
	gitcmd rev;
	pthread_t thread;
	int started;
	unsigned long long missing;
	plumb_oid first;
	int failed;     /* rev-list could not walk (a commit missing or damaged) */
} reach_check;

typedef struct phist {
	const plumb_history_cfg *cfg;
	plumb_stream_result res;
	report_stats st;
	reach_check reach;
	porigin *origins; /* one per flagged blob, sorted by blob */
	size_t norigins;
	int walk_failed;  /* git log could not walk: the unseen origins are unknown, not dangling */
	/* git log's walk, not rev-list's, proves the reachable blobs are there:
	 * every blob a commit holds is added by some first-parent diff */
	int log_checks_presence;
	pack_store *present;   /* the packs, for that check (hook/odb read them) */
	char objdir[4200];     /* theirs, and the loose objects' */
	plumb_ids absent;      /* blobs the log names and the repository lacks */
	gitcmd cat;       /* `git cat-file --batch` for the report's second reads */
	struct early_log {
		gitcmd log;
		pthread_t thread;
		FILE *kept;   /* its changes, compact (log_keep), for after the scan */
		int started, failed;
	} early;
} phist;

/* ---- the reachable objects are there ------------------------------------- */

/* rev-list --missing=print marks each object the refs reach and the
 * repository lacks with '?' (without fetching it in a partial clone). */
static void *reach_read(void *arg)
{
	reach_check *r = arg;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, r->rev.from) > 0) {
		if (line[0] != '?')
			continue;
		if (!r->missing++)
			snprintf(r->first.hex, sizeof(r->first.hex), "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
	}
	free(line);
	r->failed = gitcmd_finish(&r->rev) != 0;
	return NULL;
}

static int reach_start(reach_check *r, const char *gitdir)
{
	char *argv[] = { "git", "--git-dir", (char *)gitdir, "rev-list", "--objects", "--all", "--missing=print",
			 "--no-object-names", NULL };
	if (gitcmd_start(&r->rev, argv, 0, 0) < 0) {
		gitcmd_finish(&r->rev);
		r->failed = 1;
		return -1;
	}
	if (pthread_create(&r->thread, NULL, reach_read, r) != 0) {
		gitcmd_finish(&r->rev);
		r->failed = 1;
		return -1;
	}
	r->started = 1;
	return 0;
}

static void reach_wait(reach_check *r)
{
	if (r->started)
		pthread_join(r->thread, NULL);
	r->started = 0;
}

/* ---- attribution: the oldest commit and path of each flagged blob -------- */

static int cmp_hex(const void *a, const void *b)
{
	return strcmp(((const porigin *)a)->blob.hex, ((const porigin *)b)->blob.hex);
}

/* One origin per flagged blob (repeats dropped), sorted for bsearch. */
static int origins_init(phist *p)
{
	const plumb_ids *f = &p->res.flagged;
	if (!(p->origins = calloc(f->n + 1, sizeof(*p->origins))))
		return -1;
	for (size_t i = 0; i < f->n; i++)
		p->origins[i].blob = f->v[i];
	qsort(p->origins, f->n, sizeof(*p->origins), cmp_hex);
	for (size_t i = 0; i < f->n; i++)
		if (!p->norigins || strcmp(p->origins[p->norigins - 1].blob.hex, p->origins[i].blob.hex) != 0)
			p->origins[p->norigins++] = p->origins[i];
	return 0;
}

static void origins_free(phist *p)
{
	for (size_t i = 0; i < p->norigins; i++) {
		free(p->origins[i].path);
		free(p->origins[i].upath);
	}
	free(p->origins);
	p->origins = NULL;
	p->norigins = 0;
}

static int set_path(char **to, const char *path)
{
	char *s = strdup(path);
	if (!s)
		return -1;
	free(*to);
	*to = s;
	return 0;
}

/* A commit (rank: its place, oldest first) adds the blob of o at path. The
 * oldest commit wins; within it the last path in tree order, as history.c's
 * walk leaves it. */
static int sight(const phist *p, porigin *o, size_t rank, const char *commit, const char *path)
{
	if (!o->seen || o->rank == rank) {
		if (set_path(&o->path, path) < 0)
			return -1;
		snprintf(o->commit.hex, sizeof(o->commit.hex), "%s", commit);
		o->rank = rank;
		o->seen = 1;
	}
	const sg_policy *pol = p->cfg->scan.policy;
	if (pol->nallow_paths && sg_policy_path_allowed(pol, path))
		return 0;
	if (!o->useen || o->urank == rank) {
		if (set_path(&o->upath, path) < 0)
			return -1;
		snprintf(o->ucommit.hex, sizeof(o->ucommit.hex), "%s", commit);
		o->urank = rank;
		o->useen = 1;
	}
	return 0;
}

/* The field of rec after the n-th space (0: rec itself), its length in *len. */
static const char *raw_field(const char *rec, int n, size_t *len)
{
	while (n-- > 0 && (rec = strchr(rec, ' ')))
		rec++;
	if (!rec)
		return NULL;
	*len = strcspn(rec, " ");
	return rec;
}

/* ":om nm oid nid S" of `git log --raw`: the new mode, new id and status.
 * Read by hand: a history's every change passes here, sscanf was a tenth
 * of the attribution's time. */
static int raw_record(const char *rec, unsigned *mode, plumb_oid *id, char *status)
{
	size_t nl = 0, il = 0, sl = 0;
	const char *nm = raw_field(rec, 1, &nl), *nid = raw_field(rec, 3, &il), *st = raw_field(rec, 4, &sl);
	char *end = NULL;
	if (rec[0] != ':' || !nm || !nid || !st || nl == 0 || nl > 7 || il == 0 || il >= sizeof(id->hex) || !sl)
		return -1;
	*mode = (unsigned)strtoul(nm, &end, 8);
	if (end != nm + nl)
		return -1;
	memcpy(id->hex, nid, il);
	id->hex[il] = '\0';
	*status = st[0];
	return 0;
}

static int promisor(const char *gitdir, char *name, size_t size);


/* Does the repository hold the blob git log named (a pack hook/odb read, or
 * a loose file)? The log's check in place of rev-list's --missing=print. */
static int blob_present(const phist *p, const unsigned char *id, const char *hex)
{
	char path[4300];
	struct stat st;
	if (pack_store_has(p->present, id))
		return 1;
	snprintf(path, sizeof(path), "%s/%.2s/%s", p->objdir, hex, hex + 2);
	return stat(path, &st) == 0;
}

/*
 * The compact file log_keep writes while git log prints, read back after the
 * scan: 'C' and a commit's 32-byte id, in git log's order; 'B', a blob's id,
 * its path's length (4 bytes, host order) and the path, for each blob a
 * commit's first-parent diff adds. A fifth of git log's text, and no hex.
 */
static int keep_change(phist *p, const char *rec, const char *path)
{
	unsigned mode;
	plumb_oid hex;
	unsigned char id[ODB_SHA256_LEN];
	char status;
	if (raw_record(rec, &mode, &hex, &status) < 0 || odb_id_from_hex(hex.hex, ODB_SHA256_LEN, id) < 0)
		return -1;
	if ((status != 'A' && status != 'M' && status != 'T') || tree_mode_kind(mode) != TREE_ENTRY_BLOB)
		return 0;
	if (p->log_checks_presence && !blob_present(p, id, hex.hex) && plumb_ids_push(&p->absent, hex.hex) < 0)
		return -1;
	uint32_t n = (uint32_t)strlen(path);
	FILE *f = p->early.kept;
	return putc('B', f) == EOF || fwrite(id, sizeof(id), 1, f) != 1 || fwrite(&n, sizeof(n), 1, f) != 1 ||
			       fwrite(path, 1, n, f) != n
		       ? -1
		       : 0;
}

/* Reads git log's stream as it comes: its commits and changes into the
 * compact file, the blobs it names checked (when log_checks_presence). */
static int keep_log(phist *p, FILE *from)
{
	char *tok = NULL, *rec = NULL, recbuf[256];
	unsigned char id[ODB_SHA256_LEN];
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getdelim(&tok, &cap, '\0', from) > 0) {
		const char *t = tok[0] == '\n' ? tok + 1 : tok;
		if (t[0] == '\001') {
			if (strlen(t + 1) != 2 * ODB_SHA256_LEN || odb_id_from_hex(t + 1, ODB_SHA256_LEN, id) < 0 ||
			    putc('C', p->early.kept) == EOF || fwrite(id, sizeof(id), 1, p->early.kept) != 1)
				rc = -1;
		} else if (t[0] == ':' && !rec) {
			/* ":om nm oid nid S": short (two ids), kept until its path */
			size_t n = strlen(t);
			if (n >= sizeof(recbuf))
				rc = -1;
			else
				rec = memcpy(recbuf, t, n + 1);
		} else if (rec) { /* the path after its record */
			rc = keep_change(p, rec, t);
			rec = NULL;
		} else if (t[0]) {
			rc = -1;
		}
	}
	free(tok);
	return rc;
}

/* A tree a ref points at: each blob in it seen at "<ref>:<path>", no commit. */
static int tip_tree(phist *p, const char *id, const char *ref, size_t rank)
{
	char *argv[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "ls-tree", "-r", "-z", "--full-tree",
			 (char *)id, NULL };
	gitcmd ls;
	char *e = NULL, *path = NULL;
	size_t cap = 0;
	int rc = gitcmd_start(&ls, argv, 0, 0);
	while (rc == 0 && getdelim(&e, &cap, '\0', ls.from) > 0) {
		char *tab = strchr(e, '\t'), type[16];
		plumb_oid blob;
		if (!tab || sscanf(e, "%*s %15s %64s", type, blob.hex) != 2) {
			rc = -1;
			break;
		}
		porigin key = { .blob = blob }, *o;
		if (strcmp(type, "blob") != 0 || !(o = bsearch(&key, p->origins, p->norigins, sizeof(*o), cmp_hex)))
			continue;
		size_t n = strlen(ref) + strlen(tab) + 1;
		free(path);
		if (!(path = malloc(n)) || snprintf(path, n, "%s:%s", ref, tab + 1) < 0 || sight(p, o, rank, "", path) < 0)
			rc = -1;
	}
	free(e);
	free(path);
	return gitcmd_finish(&ls) != 0 ? -1 : rc;
}

/*
 * The trees and blobs refs point at (directly, or through one tag): reachable
 * content like any commit's, ranked after every commit, as history.c's
 * walk_other_tips. Read only when a flagged blob is still unseen.
 */
static int attribute_other_tips(phist *p, size_t rank)
{
	char *argv[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "for-each-ref",
			 "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)", NULL };
	char *out, *line, *save = NULL;
	size_t len;
	int rc = gitcmd_output(argv, &out, &len, 0);
	for (line = rc == 0 ? strtok_r(out, "\n", &save) : NULL; rc == 0 && line; line = strtok_r(NULL, "\n", &save)) {
		char type[16], id[sizeof(plumb_oid)], ptype[16] = "", pid[sizeof(plumb_oid)] = "";
		int ref = 0;
		/* "<type> <id> <peeled type> <peeled id> <ref>": the peeled pair is empty but for tags */
		if (sscanf(line, "%15s %64s %n", type, id, &ref) < 2 || !ref)
			continue;
		const char *rest = line + ref;
		if (strcmp(type, "tag") == 0 && sscanf(rest, "%15s %64s %n", ptype, pid, &ref) == 2) {
			snprintf(type, sizeof(type), "%s", ptype);
			snprintf(id, sizeof(id), "%s", pid);
			rest += ref;
		} else {
			rest += strspn(rest, " ");
		}
		porigin key = { 0 }, *o;
		snprintf(key.blob.hex, sizeof(key.blob.hex), "%s", id);
		if (strcmp(type, "tree") == 0)
			rc = tip_tree(p, id, rest, rank++);
		else if (strcmp(type, "blob") == 0 && (o = bsearch(&key, p->origins, p->norigins, sizeof(*o), cmp_hex)))
			rc = sight(p, o, rank++, "", rest);
	}
	free(out);
	return rc;
}

static int all_seen(const phist *p)
{
	for (size_t i = 0; i < p->norigins; i++)
		if (!p->origins[i].seen)
			return 0;
	return 1;
}

static int cmp_plumb_oid(const void *a, const void *b)
{
	return strcmp(((const plumb_oid *)a)->hex, ((const plumb_oid *)b)->hex);
}

/* What refs name that is no commit (trees, blobs, tags of them): git log
 * does not walk it, so rev-list checks it, without walking any history. */
static int absent_at_tips(phist *p)
{
	char *fer[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "for-each-ref",
			"--format=%(objecttype) %(objectname) %(*objecttype)", NULL };
	char *out = NULL, *line, *save = NULL;
	size_t len, n = 0;
	int rc = gitcmd_output(fer, &out, &len, 0);
	char **argv = rc == 0 ? calloc(len / 8 + 16, sizeof(*argv)) : NULL;
	if (!argv) {
		free(out);
		return -1;
	}
	char *head[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "rev-list", "--objects",
			 "--missing=print", "--no-object-names", "--no-walk" };
	for (size_t i = 0; i < sizeof(head) / sizeof(*head); i++)
		argv[n++] = head[i];
	size_t first = n;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char type[16], ptype[16] = "";
		int at = 0;
		if (sscanf(line, "%15s %n%*s %15s", type, &at, ptype) < 1 || !at || strcmp(type, "commit") == 0 ||
		    strcmp(ptype, "commit") == 0)
			continue;
		line[at + strcspn(line + at, " ")] = '\0';
		argv[n++] = line + at;
	}
	argv[n] = NULL;
	char *list = NULL;
	if (n > first && (rc = gitcmd_output(argv, &list, &len, 0)) == 0)
		for (char *l = strtok_r(list, "\n", &save); rc == 0 && l; l = strtok_r(NULL, "\n", &save))
			if (l[0] == '?')
				rc = plumb_ids_push(&p->absent, l + 1);
	free(list);
	free(argv);
	free(out);
	return rc;
}

/* The blobs git log named that are not there, and the tips', counted once
 * each into what rev-list would have said (missing_note says it). */
static int count_absent(phist *p)
{
	if (!p->absent.n)
		return 0;
	plumb_oid first = p->absent.v[0];
	qsort(p->absent.v, p->absent.n, sizeof(*p->absent.v), cmp_plumb_oid);
	unsigned long long n = 0;
	for (size_t i = 0; i < p->absent.n; i++)
		n += i == 0 || strcmp(p->absent.v[i].hex, p->absent.v[i - 1].hex) != 0;
	p->reach.missing = n;
	p->reach.first = first;
	return 0;
}

/*
 * Every commit the refs reach, parents first, each diffed against its first
 * parent (a root or shallow commit: against nothing), as history.c's walk:
 * `git log --all --topo-order --reverse --diff-merges=first-parent --raw -z`.
 */
static int log_start(phist *p, gitcmd *log)
{
	char *argv[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "log", "--all", "--topo-order",
			 "--reverse", "--no-renames", "--diff-merges=first-parent", "--root", "--raw", "-z",
			 "--no-abbrev", "--ignore-submodules=none", "--format=%x01%H", NULL };
	return gitcmd_start(log, argv, 0, 0);
}

/* git log's reader, on its own thread until log_finish joins it. */
static void *log_keep(void *arg)
{
	phist *p = arg;
	struct early_log *e = &p->early;
	/* what refs name beside commits, checked while git log still sorts its
	 * walk (it prints nothing until then): not after it, on the run's end */
	if (p->log_checks_presence && absent_at_tips(p) < 0)
		e->failed = 1;
	if (keep_log(p, e->log.from) < 0)
		e->failed = 1;
	if (gitcmd_finish(&e->log) != 0 || fflush(e->kept) != 0)
		e->failed = 1;
	return NULL;
}

/* Starts git log, read by its own thread (log_keep) while the scan runs. */
static int log_begin(phist *p)
{
	struct early_log *e = &p->early;
	if (!(e->kept = tmpfile()))
		return -1;
	if (log_start(p, &e->log) < 0 || pthread_create(&e->thread, NULL, log_keep, p) != 0) {
		gitcmd_finish(&e->log);
		fclose(e->kept);
		e->kept = NULL;
		return -1;
	}
	e->started = 1;
	return 0;
}

/*
 * Can git log's walk check the blobs, in rev-list's place? When hook/odb
 * holds the object list to check them against (every pack index read, no
 * alternates: their objects are git's to find) and no promisor remote could
 * be asked for a tree git log lacks (rev-list's --missing=print never
 * fetches). Opens p->present then.
 */
static int log_can_check(phist *p)
{
	char common[4096], alt[4300], remote[256];
	struct stat st;
	size_t unread = 0;
	if (getenv("SASGUARD_TEST_STREAM") || getenv("SASGUARD_TEST_REV_LIST")) /* tests take git's way */
		return 0;
	repo_common_dir(p->cfg->scan.gitdir, common, sizeof(common));
	snprintf(p->objdir, sizeof(p->objdir), "%s/objects", common);
	snprintf(alt, sizeof(alt), "%s/info/alternates", p->objdir);
	if (stat(alt, &st) == 0 || promisor(p->cfg->scan.gitdir, remote, sizeof(remote)))
		return 0;
	p->present = pack_store_open_objdir(p->objdir, ODB_SHA256_LEN, &unread);
	if (p->present && !unread)
		return 1;
	pack_store_free(p->present);
	p->present = NULL;
	return 0;
}

/* plumb_stream_scan's on_flag: something will need attributing, so git log
 * walks now, beside the rest of the scan, if it does not yet. */
static void early_log_start(void *ctx)
{
	phist *p = ctx;
	if (!p->early.started && !p->early.kept)
		log_begin(p); /* if it cannot start now, attribute() starts it */
	/* and cat-file for the report's second reads: ready when the scan ends */
	if (!p->cat.pid) {
		char *argv[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "cat-file", "--batch", NULL };
		(void)gitcmd_start(&p->cat, argv, 1, 0); /* cat_read says it if it could not */
	}
}

/* The compact file's changes: the flagged blobs sighted; *rank is the last commit's. */
static int attribute_kept(phist *p, FILE *f, size_t *rank)
{
	unsigned char id[ODB_SHA256_LEN];
	char commit[2 * ODB_SHA256_LEN + 1] = "", *path = NULL;
	size_t cap = 0;
	porigin key;
	int c, rc = fseek(f, 0, SEEK_SET) == 0 ? 0 : -1;
	memset(&key, 0, sizeof(key));
	while (rc == 0 && (c = getc(f)) != EOF) {
		uint32_t n = 0;
		rc = -1;
		if (fread(id, sizeof(id), 1, f) != 1 || (c != 'C' && c != 'B'))
			break;
		if (c == 'C') {
			odb_id_to_hex(id, ODB_SHA256_LEN, commit);
			(*rank)++;
			rc = 0;
			continue;
		}
		if (fread(&n, sizeof(n), 1, f) != 1)
			break;
		if ((size_t)n >= cap) {
			char *more = realloc(path, (size_t)n + 1);
			if (!more)
				break;
			path = more;
			cap = (size_t)n + 1;
		}
		if (fread(path, 1, n, f) != n)
			break;
		path[n] = '\0';
		odb_id_to_hex(id, ODB_SHA256_LEN, key.blob.hex);
		porigin *o = bsearch(&key, p->origins, p->norigins, sizeof(*o), cmp_hex);
		rc = o ? sight(p, o, *rank, commit, path) : 0;
	}
	free(path);
	return rc;
}

/* After the scan: git log's walk read to its end (started now if it was
 * not), its compact file, or NULL when it failed. */
static FILE *log_finish(phist *p)
{
	struct early_log *e = &p->early;
	if (!e->started && !e->kept && !e->failed && log_begin(p) < 0)
		e->failed = 1;
	if (e->started) {
		pthread_join(e->thread, NULL);
		e->started = 0;
	}
	if (e->kept && e->failed) {
		fclose(e->kept);
		e->kept = NULL;
	}
	return e->kept;
}

static int attribute(phist *p)
{
	size_t rank = 0;
	FILE *kept = log_finish(p);
	int rc = kept ? attribute_kept(p, kept, &rank) : -1;
	if (rc < 0) {
		fprintf(stderr, "sasguard: git log --all --raw: the history could not be walked\n");
		return -1;
	}
	if (!all_seen(p) && attribute_other_tips(p, rank + 1) < 0) {
		fprintf(stderr, "sasguard: reading the trees and blobs the refs point at failed\n");
		return -1;
	}
	return 0;
}

/*
 * git log's walk in rev-list's place, at its end: the blobs it named and the
 * repository lacks counted as rev-list counts them. A walk git log could not
 * finish (a commit or tree missing) says nothing of the rest: rev-list, which
 * goes on past what is missing, walks then, as it would have from the start.
 */
static int presence_finish(phist *p)
{
	if (!p->log_checks_presence)
		return 0;
	if (!log_finish(p)) {
		p->log_checks_presence = 0;
		plumb_ids_free(&p->absent);
		if (reach_start(&p->reach, p->cfg->scan.gitdir) < 0)
			return -1;
		reach_wait(&p->reach);
		return 0;
	}
	if (count_absent(p) < 0) {
		fprintf(stderr, "sasguard: checking that the objects the refs reach are there failed\n");
		return -1;
	}
	return 0;
}

/* ---- the report ---------------------------------------------------------- */

static int cmp_rank(const void *x, const void *y)
{
	const porigin *a = *(porigin *const *)x, *b = *(porigin *const *)y;
	return a->rank < b->rank ? -1 : a->rank > b->rank ? 1 : strcmp(a->path, b->path);
}

/* An object through `git cat-file --batch`: 1, 0 when not there, -1 broken. */
static int cat_read(phist *p, const char *hex, char **buf, size_t *len, char *type, size_t tsize)
{
	char *argv[] = { "git", "--git-dir", (char *)p->cfg->scan.gitdir, "cat-file", "--batch", NULL };
	*buf = NULL;
	if (!p->cat.pid && gitcmd_start(&p->cat, argv, 1, 0) < 0)
		return -1;
	if (!p->cat.to || !p->cat.from) /* it could not be started before */
		return -1;
	return gitcmd_batch_read(&p->cat, hex, buf, len, type, tsize);
}

/* One attributed blob re-scanned at its path (so [allow] globs apply), into
 * the report: a second read, not content of its own. */
static int report_origin(phist *p, blob_ctx *b, const porigin *o)
{
	char *buf, type[16];
	size_t len;
	sg_findings found;
	int r = cat_read(p, o->blob.hex, &buf, &len, type, sizeof(type));
	if (r <= 0) {
		free(buf);
		return r; /* gone since the stream: as history.c's BLOB_MISSING */
	}
	sg_findings_init(&found);
	report_stats saved = p->st;
	b->side_read = 1;
	r = blob_scan_data(b, buf, len, o->path, &found);
	b->side_read = 0;
	p->st = saved;
	if (r == 0)
		r = report_take(p->cfg->report, &found, o->path, o->commit.hex[0] ? o->commit.hex : NULL);
	sg_findings_clear(&found);
	free(buf);
	return r;
}

/* The attributed blobs, oldest commit first; *reached counts them. */
static int report_origins(phist *p, blob_ctx *b, size_t *reached)
{
	porigin **order = calloc(p->norigins + 1, sizeof(*order)); /* NOLINT(bugprone-sizeof-expression) */
	int rc = 0;
	*reached = 0;
	if (!order)
		return -1;
	for (size_t i = 0; i < p->norigins; i++) {
		porigin *o = &p->origins[i];
		if (!o->seen)
			continue; /* dangling: no ref reaches it */
		if (o->useen) { /* reported where no allowance covers it */
			free(o->path);
			o->path = o->upath;
			o->upath = NULL;
			o->commit = o->ucommit;
			o->rank = o->urank;
		}
		order[(*reached)++] = o;
	}
	qsort(order, *reached, sizeof(*order), cmp_rank); /* NOLINT(bugprone-sizeof-expression) */
	for (size_t i = 0; i < *reached && rc == 0; i++)
		rc = report_origin(p, b, order[i]);
	free(order);
	return rc;
}

/* A commit or tag message holding a finding, scanned whole after its headers. */
static int report_message(phist *p, blob_ctx *b, const char *hex)
{
	char *buf, type[16];
	size_t len;
	sg_findings found;
	int r = cat_read(p, hex, &buf, &len, type, sizeof(type));
	if (r <= 0) {
		free(buf);
		return -1;
	}
	const char *m = len && buf[0] == '\n' ? buf : memmem(buf, len, "\n\n", 2);
	size_t at = !m ? len : m == buf ? 1 : (size_t)(m - buf) + 2;
	const char *label = strcmp(type, "commit") == 0 ? "(commit message)" : "(tag message)";
	sg_findings_init(&found);
	r = text_scan(b, buf + at, len - at, label, &found);
	if (r == 0)
		r = report_take(p->cfg->report, &found, label, hex);
	sg_findings_clear(&found);
	free(buf);
	return r < 0 ? -1 : 0;
}

/* ---- notes, as history.c and missing.c say them --------------------------- */

/* The boundary commits of a shallow repository ($GIT_DIR/shallow). */
static size_t shallow_count(const char *gitdir)
{
	char path[4096], line[128];
	size_t n = 0;
	snprintf(path, sizeof(path), "%s/shallow", gitdir);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		n += line[0] != '\n';
	if (f)
		fclose(f);
	return n;
}

/* A partial clone's promisor remote (remote.<name>.promisor, or the older
 * extensions.partialclone), or a promisor pack: 1 and the name, else 0. */
static int promisor(const char *gitdir, char *name, size_t size)
{
	char *argv[] = { "git", "--git-dir", (char *)gitdir, "config", "--get-regexp",
			 "^(remote\\..*\\.promisor|extensions\\.partialclone)$", NULL };
	char *out, dir[4096];
	size_t len;
	int found = 0;
	snprintf(name, size, "<its remote>");
	if (gitcmd_output(argv, &out, &len, 1) == 0) {
		char key[512], value[512];
		for (const char *l = out; !found && sscanf(l, "%511s %511s", key, value) == 2; l = strchr(l, '\n') + 1) {
			size_t n = strlen(key);
			if (strcmp(key, "extensions.partialclone") == 0)
				found = snprintf(name, size, "%s", value) > 0;
			else if (strcmp(value, "true") == 0 && n > 16)
				found = snprintf(name, size, "%.*s", (int)(n - 16), key + 7) > 0;
			if (!strchr(l, '\n'))
				break;
		}
	}
	free(out);
	snprintf(dir, sizeof(dir), "%s/objects/pack", gitdir);
	return found || missing_promisor_pack(dir);
}

/* The objects the refs reach and the repository lacks, said as missing.c says it. */
static void missing_note(phist *p)
{
	const reach_check *r = &p->reach;
	const char *gitdir = p->cfg->scan.gitdir, *top = p->cfg->toplevel;
	const char *judged = p->cfg->scan.o->allow_missing ? "accepted as partial (--allow-missing)"
						       : "the scan is incomplete: what they hold was not judged";
	char remote[256];
	if (r->failed)
		report_note(p->cfg->report, "git rev-list could not walk what the refs reach (a commit or tree missing "
					    "or damaged; 'git fsck' tells): the scan is incomplete");
	if (!r->missing)
		return;
	const char *kinds = r->missing == 1 ? "object of unknown kind" : "objects of unknown kind";
	if (promisor(gitdir, remote, sizeof(remote)))
		report_note(p->cfg->report, "%llu objects missing (%llu %s; first %s): this is a partial clone whose "
					    "promisor remote '%s' holds them; %s. Fetch them with: git -C %s fetch "
					    "--refetch --no-filter %s",
			    r->missing, r->missing, kinds, r->first.hex, remote, judged, top[0] ? top : gitdir, remote);
	else
		report_note(p->cfg->report, "%llu objects missing (%llu %s; first %s): the repository lacks objects "
					    "that should be there (shallow, damaged or pruned; 'git fsck' tells); %s",
			    r->missing, r->missing, kinds, r->first.hex, judged);
}

/* What history.c's attribute_and_report notes after the findings. */
static void walk_notes(phist *p, size_t reached)
{
	report *rep = p->cfg->report;
	size_t shallow = shallow_count(p->cfg->scan.gitdir);
	if (p->res.stopped)
		report_note(rep, "reading the objects stopped after %llu (a damaged object? 'git fsck' tells): "
				 "the rest of the repository was not scanned",
			    p->res.objects);
	if (reached < p->norigins && p->walk_failed)
		report_note(rep, "%zu of %zu flagged blobs could not be attributed (git could not walk the history, "
				 "see above): not reported",
			    p->norigins - reached, p->norigins);
	else if (reached < p->norigins)
		report_note(rep, "%zu of %zu flagged blobs are reachable from no ref (dangling objects): not "
				 "reported; 'git gc --prune=now' deletes them",
			    p->norigins - reached, p->norigins);
	if (shallow)
		report_note(rep, "the repository is shallow (%zu boundary commit%s): history before them is "
				 "not here, and findings are attributed to the oldest commit present",
			    shallow, shallow == 1 ? "" : "s");
	if (p->st.errors)
		report_note(rep, "%llu objects could not be read (a damaged repository? 'git fsck' tells): "
				 "what they hold was not scanned",
			    p->st.errors);
}

/* ---- the run ------------------------------------------------------------- */

/* Attribution and the report's second reads: history.c's attribute_and_report. */
static int attribute_and_report(phist *p, blob_ctx *b)
{
	size_t reached = 0;
	int rc = 0;
	if (origins_init(p) < 0)
		return -1;
	/* a walk that failed still reports what it tied to a commit, and the messages */
	if (p->norigins && attribute(p) < 0)
		p->walk_failed = 1;
	if (report_origins(p, b, &reached) < 0)
		rc = -1;
	for (size_t k = 0; rc == 0 && k < p->res.messages.n; k++)
		rc = report_message(p, b, p->res.messages.v[k].hex);
	if (rc < 0)
		fprintf(stderr, "sasguard: reading the flagged objects through git failed\n");
	walk_notes(p, reached);
	return rc;
}

static void add_counts(const phist *p, const sg_stats *total, sg_stats *lib, report_stats *st)
{
	lib->bytes += total->bytes;
	lib->tokens += total->tokens;
	lib->placeholders += total->placeholders;
	lib->emulator += total->emulator;
	lib->limit_hits += total->limit_hits;
	lib->decoded += total->decoded;
	st->files += p->st.files;
	st->binary_skipped += p->st.binary_skipped;
	st->large_skipped += p->st.large_skipped;
	st->lfs_skipped += p->st.lfs_skipped;
	st->missing += p->st.missing;
	st->errors += p->st.errors;
}

/* The repository's verdict line, as history_repo words it. */
static int verdict(phist *p, int failed, const sg_stats *total)
{
	const cli_opts *o = p->cfg->scan.o;
	if (total->limit_hits) {
		report_note(p->cfg->report, "regex match limit hit %llu time%s: those parts were not scanned",
			    (unsigned long long)total->limit_hits, total->limit_hits == 1 ? "" : "s");
		failed = 1;
	}
	p->st.missing = p->reach.missing;
	missing_note(p);
	if (p->reach.failed || (p->reach.missing && !o->allow_missing))
		failed = 1;
	if (failed)
		report_repo_status(p->cfg->report, p->reach.missing || p->reach.failed ? "incomplete: objects missing"
											: "incomplete: see the notes");
	else if (p->reach.missing)
		report_repo_status(p->cfg->report, "partial (--allow-missing)");
	return failed;
}

int plumb_history(const plumb_history_cfg *cfg, sg_stats *lib, report_stats *st)
{
	phist p;
	blob_ctx b;
	int failed = 0;

	memset(&p, 0, sizeof(p));
	memset(&b, 0, sizeof(b));
	p.cfg = cfg;
	signal(SIGPIPE, SIG_IGN); /* a git child that dies is an error here, not our end */
	if (cfg->state)
		report_note(cfg->report, "a SHA-256 repository is read in full on every audit: --state keeps "
					 "nothing of it yet");
	/* started first, so that cat-file's child does not hold its pipe:
	 * git log, when its walk can check the blobs, else rev-list */
	p.log_checks_presence = log_can_check(&p); /* before log_keep reads it */
	if (p.log_checks_presence && log_begin(&p) < 0)
		p.log_checks_presence = 0;
	if (!p.log_checks_presence && reach_start(&p.reach, cfg->scan.gitdir) < 0)
		failed = 1;
	plumb_stream_cfg scan = cfg->scan;
	scan.on_flag = early_log_start;
	scan.flag_ctx = &p;
	failed |= plumb_stream_scan(&scan, &p.res) < 0;
	p.st = p.res.st;
	reach_wait(&p.reach);
	if (presence_finish(&p) < 0)
		failed = 1;
	b.scanner = cli_scanner(cfg->scan.o, cfg->scan.policy, cfg->scan.baseline);
	b.policy = cfg->scan.policy;
	b.stats = &p.st;
	b.report = cfg->report;
	if (!b.scanner || attribute_and_report(&p, &b) < 0 || p.walk_failed)
		failed = 1;
	if (p.cat.pid != 0 && gitcmd_finish(&p.cat) != 0)
		failed = 1;
	sg_scanner_free(b.scanner);
	failed = verdict(&p, failed, &p.res.lib);
	add_counts(&p, &p.res.lib, lib, st);
	/* the scan stopped before attributing: git log ends on its own (killing
	 * it could race its reaping) */
	if (p.early.started || p.early.kept) {
		p.early.failed = 1; /* read or not, done with */
		log_finish(&p);
	}
	pack_store_free(p.present);
	plumb_ids_free(&p.absent);
	origins_free(&p);
	plumb_ids_free(&p.res.flagged);
	plumb_ids_free(&p.res.messages);
	return failed;
}

/* ---- which repositories take this path ----------------------------------- */

/* --all-history names its repository by path, and libgit2 opens it without
 * the environment: git's children must not be sent elsewhere by it either. */
static void forget_git_env(void)
{
	static const char *const vars[] = { "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE",
					    "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
		unsetenv(vars[i]);
}

int plumb_history_probe(const char *path, int trust, char *gitdir, size_t gsize, char *top, size_t tsize)
{
	forget_git_env();
	/* an audit's repositories belong to git's user, as history.c trusts them */
	char *argv[] = { "git", "-c", "safe.directory=*", "-C", (char *)path, "rev-parse", "--show-object-format",
			 "--absolute-git-dir", "--is-bare-repository", NULL };
	char **cmd = trust ? argv : argv + 2, *out = NULL, fmt[16], bare[16] = "";
	size_t len;
	int is = 0;
	cmd[0] = "git";
	gitdir[0] = top[0] = '\0';
	if (gitcmd_output(cmd, &out, &len, 1) == 0 && sscanf(out, "%15s", fmt) == 1 && strcmp(fmt, "sha256") == 0) {
		char *g = strchr(out, '\n') + 1, *b = strchr(g, '\n');
		if (b && sscanf(b + 1, "%15s", bare) == 1 && (size_t)(b - g) < gsize) {
			snprintf(gitdir, gsize, "%.*s", (int)(b - g), g);
			is = 1;
		}
	}
	free(out);
	if (is && strcmp(bare, "false") == 0) {
		argv[6] = "--show-toplevel";
		argv[7] = NULL;
		if (gitcmd_output(cmd, &out, &len, 1) == 0)
			snprintf(top, tsize, "%.*s", (int)strcspn(out, "\n"), out);
		free(out);
	}
	return is;
}
