/*
 * plumb_push.c - `sasguard pre-receive` for SHA-256 repositories, which
 * libgit2 1.5.1 cannot open, through git's own plumbing: what pushed.c and
 * pushnew.c judge, read with `git rev-list`, `cat-file` and `diff-tree`.
 */
#include "push.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define HEX 64 /* a SHA-256 id in hex */

/* One object the push adds, as `git rev-list --objects` listed it. */
typedef struct pobj {
	const char *id;    /* NUL-terminated, into the listing */
	const char *hint;  /* the path rev-list gave ("" for none), into the listing */
	git_object_t type; /* GIT_OBJECT_INVALID while unknown, or when missing */
	size_t size;
	int flagged;       /* a blob holding a finding */
	size_t commit;     /* a flagged blob: the new commit that added it (index + 1), 0 for a ref's tree or blob */
	char *path;        /* a flagged blob: where it is judged (owned) */
} pobj;

/* A new commit, parents first, with its parents (space-separated, into a listing). */
typedef struct pcommit {
	const char *id, *parents;
} pcommit;

/* A ref whose new value (through its tags) ends at a tree or a blob. */
typedef struct ptip {
	char end[HEX + 1];
	git_object_t type;
	const char *ref;
} ptip;

typedef struct pplumb {
	const plumb_push_ctx *c;
	char *tips_in, *commit_tips_in; /* rev-list's stdin: every new value; those ending at commits */
	size_t tips_len, commit_tips_len;
	ptip *tips;
	size_t ntips;
	char *listing, *order;          /* rev-list's outputs (owned; the records point into them) */
	pobj *objs;
	size_t nobjs;
	oidset index;                   /* an id's first 160 bits -> its index + 1 in objs */
	pcommit *commits;
	size_t ncommits;
	oidset commit_index;            /* -> index + 1 in commits */
	gitcmd cat;                     /* `git cat-file --batch`, for attribution */
} pplumb;

static int key_of(const char *hex, git_oid *k)
{
	if (git_oid_fromstrn(k, hex, GIT_OID_HEXSZ) < 0) {
		git_error_clear();
		return -1;
	}
	return 0;
}

/* An index + 1 in a set's value slot (0: none), as pushnew.c keeps them. */
static size_t lookup(const oidset *s, const char *hex)
{
	git_oid k;
	oidset_entry *e = key_of(hex, &k) < 0 ? NULL : oidset_get(s, &k);
	return e ? (size_t)(uintptr_t)e->value : 0;
}

static int put(oidset *s, const char *hex, size_t at)
{
	git_oid k;
	oidset_entry *e = key_of(hex, &k) < 0 ? NULL : oidset_add(s, &k, NULL);
	if (!e)
		return -1;
	e->value = (void *)(uintptr_t)(at + 1); /* NOLINT(performance-no-int-to-ptr): an index + 1 */
	return 0;
}

static int is_hex_id(const char *p, size_t n)
{
	if (n != HEX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", p[i]))
			return 0;
	return 1;
}

static git_object_t type_of(const char *t)
{
	return strcmp(t, "blob") == 0 ? GIT_OBJECT_BLOB : strcmp(t, "tree") == 0 ? GIT_OBJECT_TREE
		: strcmp(t, "commit") == 0 ? GIT_OBJECT_COMMIT : strcmp(t, "tag") == 0 ? GIT_OBJECT_TAG
		: GIT_OBJECT_INVALID;
}

static int append(char **buf, size_t *len, const char *s, size_t n)
{
	char *m = realloc(*buf, *len + n + 2);
	if (!m)
		return -1;
	memcpy(m + *len, s, n);
	m[*len + n] = '\n';
	*len += n + 1;
	m[*len] = '\0';
	*buf = m;
	return 0;
}

/* ---- the new values: which end at commits, which at trees or blobs -------- */

static int add_tip(pplumb *pp, const char *end, git_object_t type, const char *ref)
{
	ptip *v = realloc(pp->tips, (pp->ntips + 1) * sizeof(*v));
	if (!v)
		return -1;
	pp->tips = v;
	v = &v[pp->ntips++];
	snprintf(v->end, sizeof(v->end), "%.64s", end);
	v->type = type;
	v->ref = ref;
	return 0;
}

/* One update's two answers of `git cat-file --batch-check`: its new value,
 * then where its tags lead ("<new>^{}"). A missing one counts as pushnew.c's. */
static int peel_answer(pplumb *pp, const update *u, const char *self, const char *end)
{
	char type[16];
	if (strstr(self, " missing") || strstr(end, " missing"))
		return missing_add_hex(pp->c->miss, u->new_hex, GIT_OBJECT_INVALID, NULL);
	if (!is_hex_id(end, strcspn(end, " ")) || sscanf(end + HEX, " %15s", type) != 1) {
		fprintf(stderr, "sasguard: git cat-file --batch-check gave an answer it does not read\n");
		return -1;
	}
	if (append(&pp->tips_in, &pp->tips_len, u->new_hex, HEX) < 0)
		return -1;
	git_object_t t = type_of(type);
	if (t == GIT_OBJECT_COMMIT)
		return append(&pp->commit_tips_in, &pp->commit_tips_len, u->new_hex, HEX);
	return add_tip(pp, end, t, u->ref);
}

static int peel_tips(pplumb *pp)
{
	char *in = NULL, *out = NULL, name[HEX + 4];
	size_t inlen = 0, outlen;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < pp->c->nupdates; i++) {
		const char *id = pp->c->updates[i].new_hex;
		if (strspn(id, "0") == HEX) /* a deletion adds nothing */
			continue;
		snprintf(name, sizeof(name), "%s^{}", id);
		rc = append(&in, &inlen, id, HEX) < 0 || append(&in, &inlen, name, HEX + 3) < 0 ? -1 : 0;
	}
	char *argv[] = { "git", "cat-file", "--batch-check", NULL };
	if (rc == 0 && in && gitcmd_filter(argv, in, inlen, &out, &outlen, 0) < 0) {
		fprintf(stderr, "sasguard: git cat-file --batch-check failed on the pushed refs\n");
		rc = -1;
	}
	char *line = out;
	for (size_t i = 0; rc == 0 && in && i < pp->c->nupdates; i++) {
		const update *u = &pp->c->updates[i];
		char *self = line, *end = self ? strchr(self, '\n') : NULL;
		char *next = end ? strchr(end + 1, '\n') : NULL;
		if (strspn(u->new_hex, "0") == HEX)
			continue;
		if (!next) {
			fprintf(stderr, "sasguard: git cat-file --batch-check gave fewer answers than asked\n");
			rc = -1;
			break;
		}
		*end++ = '\0';
		*next = '\0';
		line = next + 1;
		rc = peel_answer(pp, u, self, end);
	}
	free(in);
	free(out);
	return rc;
}

/* ---- what is new: `git rev-list --objects <new> --not --all` ---------------- */

static int add_obj(pplumb *pp, const char *id, const char *hint, size_t *cap)
{
	if (pp->nobjs == *cap) {
		size_t n = *cap ? *cap * 2 : 1024;
		pobj *v = realloc(pp->objs, n * sizeof(*v));
		if (!v)
			return -1;
		pp->objs = v;
		*cap = n;
	}
	pp->objs[pp->nobjs] = (pobj){ id, hint, GIT_OBJECT_INVALID, 0, 0, 0, NULL };
	return put(&pp->index, id, pp->nobjs++);
}

/* "<id>[ <path>]" lines, "?<id>" for an object that should be there and is not. */
static int read_listing(pplumb *pp, char *p, char *end)
{
	size_t cap = 0;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		*nl = '\0';
		int gone = *p == '?';
		char *id = p + gone, *sp = id + HEX;
		const char *hint = "";
		if (!is_hex_id(id, strcspn(id, " "))) {
			fprintf(stderr, "sasguard: git rev-list gave a line it does not read\n");
			return -1;
		}
		if (*sp) { /* "<id> <path>": the id ends here */
			*sp = '\0';
			hint = sp + 1;
		}
		if (gone ? missing_add_hex(pp->c->miss, id, GIT_OBJECT_INVALID, NULL) < 0
			 : add_obj(pp, id, hint, &cap) < 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

static int list_new(pplumb *pp)
{
	size_t len;
	char *argv[] = { "git", "rev-list", "--objects", "--missing=print", "--stdin", "--not", "--all", NULL };
	if (!pp->tips_in)
		return 0;
	/* git set GIT_QUARANTINE_PATH and the object directories for its hook:
	 * this child sees the pushed objects, and the refs as they were */
	char *in = pp->tips_in, *out = NULL; /* read once */
	pp->tips_in = NULL;
	int rc = gitcmd_filter(argv, in, pp->tips_len, &out, &len, 0);
	free(in);
	pp->listing = out;
	if (rc < 0) {
		fprintf(stderr, "sasguard: git rev-list could not list what the push adds (see above)\n");
		return -1;
	}
	return read_listing(pp, pp->listing, pp->listing + len);
}

/* One answer, "<type> <size>" or "<id> missing" (nl: its end), for o. */
static int type_answer(pplumb *pp, pobj *o, const char *line, const char *nl)
{
	char *e = NULL;
	const char *sp = memchr(line, ' ', (size_t)(nl - line));
	if (nl - line == HEX + 8 && strncmp(nl - 8, " missing", 8) == 0)
		return missing_add_hex(pp->c->miss, o->id, GIT_OBJECT_INVALID, *o->hint ? o->hint : NULL);
	if (!sp || sp - line >= 16)
		return -1;
	char type[16];
	memcpy(type, line, (size_t)(sp - line));
	type[sp - line] = '\0';
	errno = 0;
	unsigned long long size = strtoull(sp + 1, &e, 10);
	if (errno || e != nl || size > SIZE_MAX)
		return -1;
	o->type = type_of(type);
	o->size = (size_t)size;
	return 0;
}

/* Each listed object's type and size, from one `git cat-file --batch-check`. */
static int read_types(pplumb *pp)
{
	char *in = NULL, *out = NULL, *line;
	size_t inlen = 0, outlen;
	int rc = 0;
	char *argv[] = { "git", "cat-file", "--batch-check=%(objecttype) %(objectsize)", NULL };
	for (size_t i = 0; rc == 0 && i < pp->nobjs; i++)
		rc = append(&in, &inlen, pp->objs[i].id, HEX);
	if (rc == 0 && in && gitcmd_filter(argv, in, inlen, &out, &outlen, 0) < 0)
		rc = -1;
	line = out;
	for (size_t i = 0; rc == 0 && i < pp->nobjs; i++) {
		char *nl = line ? strchr(line, '\n') : NULL;
		rc = nl ? type_answer(pp, &pp->objs[i], line, nl) : -1;
		line = nl ? nl + 1 : NULL;
	}
	if (rc < 0)
		fprintf(stderr, "sasguard: git cat-file --batch-check could not tell what the push adds\n");
	free(in);
	free(out);
	return rc;
}

/* ---- the scan: every new blob once, every new message whole --------------- */

static int blocks(const sg_findings *found)
{
	for (size_t i = 0; i < found->count; i++)
		if (found->items[i]->severity == SG_SEV_ERROR && found->items[i]->allowed == SG_ALLOWED_NO)
			return 1;
	return 0;
}

/* A message starts after the first empty line (none: it is empty), as objparse.c reads it. */
static size_t message_at(const char *d, size_t len)
{
	const char *m = d;
	for (; (m = memchr(m, '\n', len - (size_t)(m - d))) && (size_t)(m - d) + 1 < len; m++)
		if (m[1] == '\n')
			return (size_t)(m - d) + 2;
	return len;
}

static int judge_message(pplumb *pp, const pobj *o, const char *buf, size_t len)
{
	sg_findings found;
	const char *label = o->type == GIT_OBJECT_COMMIT ? "(commit message)" : "(tag message)";
	size_t at = message_at(buf, len);
	sg_findings_init(&found);
	int rc = text_scan(pp->c->b, buf + at, len - at, label, &found);
	if (rc == 0)
		rc = pp->c->keep(pp->c->push, &found, label, o->id);
	sg_findings_clear(&found);
	return rc;
}

/* Blobs are scanned at the path rev-list names: a finding only flags the
 * blob here; attribution judges it again where it was added. */
static int judge_read(pplumb *pp, pobj *o, const char *buf, size_t len)
{
	sg_findings found;
	if (o->type != GIT_OBJECT_BLOB)
		return judge_message(pp, o, buf, len);
	sg_findings_init(&found);
	int rc = blob_scan_data(pp->c->b, buf, len, *o->hint ? o->hint : NULL, &found);
	o->flagged = rc == 0 && found.count;
	pp->c->prog->blocking |= blocks(&found);
	sg_findings_clear(&found);
	return rc;
}

/* Which objects are read: a blob over max_file_size is counted, not read. */
static int wanted(pplumb *pp, pobj *o)
{
	if (o->type == GIT_OBJECT_BLOB) {
		trace_blob_hex(o->id); /* judged: scanned or skipped by the policy */
		return !blob_skip_large(pp->c->b, o->size, *o->hint ? o->hint : NULL);
	}
	return o->type == GIT_OBJECT_COMMIT || o->type == GIT_OBJECT_TAG;
}

static int read_answers(pplumb *pp, gitcmd *cat, const size_t *want, size_t n)
{
	progress *prog = pp->c->prog;
	for (size_t i = 0; i < n; i++) {
		pobj *o = &pp->objs[want[i]];
		char *buf, type[16];
		size_t len;
		int r = gitcmd_batch_next(cat, &buf, &len, type, sizeof(type));
		if (r < 0)
			return -1;
		if (r == 0 && missing_add_hex(pp->c->miss, o->id, o->type, *o->hint ? o->hint : NULL) < 0)
			return -1;
		if (r == 1 && judge_read(pp, o, buf, len) < 0) {
			free(buf);
			return -1;
		}
		free(buf);
		prog->objects++;
		prog->bytes += len;
	}
	return 0;
}

/* One `git cat-file --batch` reads them all, a thread writing the names. */
static int scan_all(pplumb *pp)
{
	size_t *want = malloc((pp->nobjs + 1) * sizeof(*want)), n = 0, inlen = 0;
	char *in = NULL;
	gitcmd cat = { 0 };
	gitcmd_feeder f = { 0 };
	int rc = want ? 0 : -1;

	pp->c->prog->finding = 0;
	for (size_t i = 0; rc == 0 && i < pp->nobjs; i++) {
		/* what a timeout names: the new blobs, commits and tags, as pushed.c counts them */
		pp->c->prog->total += pp->objs[i].type != GIT_OBJECT_TREE;
		pp->c->prog->commits += pp->objs[i].type == GIT_OBJECT_COMMIT;
		if (wanted(pp, &pp->objs[i])) {
			want[n++] = i;
			rc = append(&in, &inlen, pp->objs[i].id, HEX);
		}
	}
	if (rc == 0 && n) {
		/* --buffer: nobody waits on one answer, so git writes them in big blocks */
		char *argv[] = { "git", "cat-file", "--batch", "--buffer", NULL };
		rc = gitcmd_start(&cat, argv, 1, 0) < 0 || gitcmd_feed_start(&f, &cat, in, inlen) < 0 ? -1 : 0;
		if (rc == 0)
			rc = read_answers(pp, &cat, want, n);
		if (rc < 0 && cat.from) { /* cat-file dies writing, so the feeder's write ends too */
			fclose(cat.from);
			cat.from = NULL;
		}
		if (gitcmd_feed_finish(&f) < 0 && rc == 0)
			rc = -1;
		if (gitcmd_finish(&cat) != 0)
			rc = -1;
		if (rc < 0)
			fprintf(stderr, "sasguard: reading the pushed objects through git cat-file failed\n");
	}
	free(in);
	free(want);
	return rc;
}

/* ---- attribution: which commit added a flagged blob, at which path ------- */

static int add_commit(pplumb *pp, const char *id, const char *parents, size_t *cap)
{
	if (pp->ncommits == *cap) {
		size_t n = *cap ? *cap * 2 : 256;
		pcommit *v = realloc(pp->commits, n * sizeof(*v));
		if (!v)
			return -1;
		pp->commits = v;
		*cap = n;
	}
	pp->commits[pp->ncommits] = (pcommit){ id, parents };
	return put(&pp->commit_index, id, pp->ncommits++);
}

/*
 * The new commits parents first, each followed by the objects its tree holds
 * that none before it did (`--in-commit-order`): a flagged blob belongs to
 * the commit it follows, the first whose tree has it, as pushnew.c's first
 * sighting. Only the new values that end at commits: a ref to a tree is not a commit's.
 */
static int order_commits(pplumb *pp)
{
	size_t len, cap = 0, commit = 0;
	char *argv[] = { "git", "rev-list", "--objects", "--parents", "--in-commit-order", "--topo-order", "--reverse",
			 "--missing=print", "--stdin", "--not", "--all", NULL };
	if (!pp->commit_tips_in)
		return 0;
	char *out = NULL;
	int rc = gitcmd_filter(argv, pp->commit_tips_in, pp->commit_tips_len, &out, &len, 0);
	pp->order = out;
	if (rc < 0) {
		fprintf(stderr, "sasguard: git rev-list could not order the pushed commits (see above)\n");
		return -1;
	}
	for (char *p = pp->order, *end = pp->order + len, *nl; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end;
		*nl = '\0';
		if (*p == '?' || strlen(p) < HEX)
			continue;
		size_t at = lookup(&pp->index, p);
		pobj *o = at ? &pp->objs[at - 1] : NULL;
		if (o && o->type == GIT_OBJECT_COMMIT) {
			p[HEX] = '\0';
			if (add_commit(pp, p, p + HEX + (p + HEX < nl), &cap) < 0)
				return -1;
			commit = pp->ncommits;
		} else if (o && o->flagged && !o->commit) {
			o->commit = commit;
		}
	}
	return 0;
}

/* A sighting of a flagged blob at path in commit (index + 1; 0: a ref's tree):
 * the first is kept, unless a later one is at a path no [allow] glob covers
 * and it is at one (push.h: a fixture's blob pushed elsewhere too). */
static int sighting(pplumb *pp, pobj *o, const char *path, size_t commit)
{
	const sg_policy *p = pp->c->b->policy;
	if (o->path && !(p->nallow_paths && sg_policy_path_allowed(p, o->path) && !sg_policy_path_allowed(p, path)))
		return 0;
	char *dup = strdup(path);
	if (!dup)
		return -1;
	free(o->path);
	o->path = dup;
	o->commit = commit;
	return 0;
}

/* Whether a commit's diff is needed: it added a flagged blob, or (with
 * [allow] paths) it comes after one that did and may show it elsewhere. */
static int diff_wanted(pplumb *pp, size_t commit, size_t first)
{
	if (first && commit >= first && pp->c->b->policy->nallow_paths)
		return 1;
	for (size_t i = 0; i < pp->nobjs; i++)
		if (pp->objs[i].flagged && pp->objs[i].commit == commit)
			return 1;
	return 0;
}

static int diff_input(pplumb *pp, char **in, size_t *inlen)
{
	size_t first = 0;
	for (size_t i = 0; i < pp->nobjs; i++)
		if (pp->objs[i].flagged && pp->objs[i].commit && (!first || pp->objs[i].commit < first))
			first = pp->objs[i].commit;
	for (size_t i = 0; i < pp->ncommits; i++) {
		const pcommit *c = &pp->commits[i];
		if (!diff_wanted(pp, i + 1, first))
			continue;
		/* against the first parent, as pushnew.c: a merge's other sides were new before it, or old */
		char line[2 * HEX + 3];
		snprintf(line, sizeof(line), "%s%s%.64s", c->id, *c->parents ? " " : "", c->parents);
		if (append(in, inlen, line, strlen(line)) < 0)
			return -1;
	}
	return 0;
}

/* `git diff-tree --stdin -z`: "<commit>\0" before each commit's records. */
static int read_diffs(pplumb *pp, const char *p, const char *end)
{
	size_t commit = 0;
	while (p < end) {
		raw_change ch;
		if (*p != ':') {
			commit = lookup(&pp->commit_index, p);
			p += strlen(p) + 1;
			continue;
		}
		if (!(p = raw_change_next(p, end, &ch)))
			return -1;
		size_t at = (ch.status == 'A' || ch.status == 'M' || ch.status == 'T') ? lookup(&pp->index, ch.new_id) : 0;
		if (at && pp->objs[at - 1].flagged && commit && sighting(pp, &pp->objs[at - 1], ch.path, commit) < 0)
			return -1;
	}
	return 0;
}

static int diff_commits(pplumb *pp)
{
	char *in = NULL, *out = NULL;
	size_t inlen = 0, outlen;
	char *argv[] = { "git", "diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--root", NULL };
	int rc = diff_input(pp, &in, &inlen);
	if (rc == 0 && in && (gitcmd_filter(argv, in, inlen, &out, &outlen, 0) < 0 ||
			      read_diffs(pp, out, out + outlen) < 0)) {
		fprintf(stderr, "sasguard: git diff-tree could not tell where the pushed tokens were added\n");
		rc = -1;
	}
	free(in);
	free(out);
	return rc;
}

/* A ref's tree: its flagged blobs at "<ref>:<path>", as pushnew.c names them. */
static int tip_tree(pplumb *pp, const ptip *t)
{
	char *out = NULL, *argv[] = { "git", "ls-tree", "-r", "-z", "--full-tree", (char *)t->end, NULL };
	size_t len;
	int rc = gitcmd_output(argv, &out, &len, 0);
	for (char *p = out, *end = out + len; rc == 0 && p < end; p += strlen(p) + 1) {
		char *tab = strchr(p, '\t'), *id = tab ? tab - HEX : NULL;
		size_t at = id && id > p ? lookup(&pp->index, id) : 0;
		if (!at || !pp->objs[at - 1].flagged || pp->objs[at - 1].commit)
			continue;
		size_t n = strlen(t->ref) + strlen(tab) + 1;
		char *path = malloc(n);
		if (!path)
			rc = -1;
		else {
			snprintf(path, n, "%s:%s", t->ref, tab + 1);
			rc = sighting(pp, &pp->objs[at - 1], path, 0);
		}
		free(path);
	}
	free(out);
	return rc;
}

static int tips_attribute(pplumb *pp)
{
	for (size_t i = 0; i < pp->ntips; i++) {
		const ptip *t = &pp->tips[i];
		size_t at = lookup(&pp->index, t->end);
		if (t->type == GIT_OBJECT_TREE && tip_tree(pp, t) < 0)
			return -1;
		if (t->type == GIT_OBJECT_BLOB && at && pp->objs[at - 1].flagged && !pp->objs[at - 1].commit &&
		    sighting(pp, &pp->objs[at - 1], t->ref, 0) < 0)
			return -1;
	}
	return 0;
}

/* ---- judging a flagged blob where it was added ----------------------------- */

/* Keeps what the commit added against each parent's blob at the same path:
 * a token the parent held there (a rewritten line) is not new. A parent
 * without one there, or missing (counted already), tells nothing. */
static int keep_new(pplumb *pp, const pobj *o, const char *nb, size_t nn, sg_findings *found)
{
	const pcommit *c = o->commit ? &pp->commits[o->commit - 1] : NULL;
	/* cat-file reads names a line each: a path with a newline keeps its findings */
	for (const char *p = c ? c->parents : ""; *p && found->count && !strchr(o->path, '\n'); p += HEX + (p[HEX] == ' ')) {
		size_t n = HEX + 2 + strlen(o->path);
		char *name = malloc(n), *ob = NULL;
		size_t on;
		if (!name)
			return -1;
		snprintf(name, n, "%.64s:%s", p, o->path);
		int r = gitcmd_blob_read(&pp->cat, name, &ob, &on);
		free(name);
		if (r == 1)
			r = keep_added_data(pp->c->b, ob, on, nb, nn, o->path, found);
		free(ob);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Read again (not counted again), judged at its path, kept when new. */
static int judge_flagged(pplumb *pp, pobj *o)
{
	blob_ctx *b = pp->c->b;
	report_stats saved = *b->stats;
	sg_stats lib = *sg_scanner_stats(b->scanner);
	sg_findings found;
	char *buf = NULL;
	size_t len;
	int rc = gitcmd_blob_read(&pp->cat, o->id, &buf, &len);
	if (rc <= 0) {
		free(buf);
		return rc < 0 ? -1 : missing_add_hex(pp->c->miss, o->id, GIT_OBJECT_BLOB, o->path);
	}
	sg_findings_init(&found);
	b->side_read = 1;
	rc = blob_scan_data(b, buf, len, o->path, &found);
	if (rc == 0)
		rc = keep_new(pp, o, buf, len, &found);
	b->side_read = 0;
	*b->stats = saved;
	sg_scanner_set_stats(b->scanner, &lib);
	if (rc == 0)
		rc = pp->c->keep(pp->c->push, &found, o->path, o->commit ? pp->commits[o->commit - 1].id : NULL);
	sg_findings_clear(&found);
	free(buf);
	return rc;
}

/* A flagged blob's place in the report: its commit (refs' trees and blobs
 * last), then where rev-list listed it. */
typedef struct flag_at {
	size_t commit, at;
} flag_at;

static int by_commit(const void *a, const void *b)
{
	const flag_at *x = a, *y = b;
	if (x->commit != y->commit)
		return x->commit < y->commit ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* The flagged blobs, each with a path, in parents-first commit order as
 * pushnew.c finds them: the report reads as a SHA-1 push's (owned). */
static flag_at *flagged_in_order(pplumb *pp, size_t *n)
{
	flag_at *v = malloc((pp->nobjs + 1) * sizeof(*v));
	*n = 0;
	for (size_t i = 0; v && i < pp->nobjs; i++) {
		pobj *o = &pp->objs[i];
		if (!o->flagged)
			continue;
		/* not seen in any diff (a tree git could not read): where rev-list saw it */
		if (!o->path && !(o->path = strdup(o->hint))) {
			free(v);
			return NULL;
		}
		v[(*n)++] = (flag_at){ o->commit ? o->commit : SIZE_MAX, i };
	}
	if (v)
		qsort(v, *n, sizeof(*v), by_commit);
	return v;
}

static int attribute(pplumb *pp)
{
	char *argv[] = { "git", "cat-file", "--batch", NULL };
	int rc = 0, any = 0;
	size_t n;
	for (size_t i = 0; i < pp->nobjs && !any; i++)
		any = pp->objs[i].flagged;
	if (!any)
		return 0;
	if (order_commits(pp) < 0 || diff_commits(pp) < 0 || tips_attribute(pp) < 0)
		return -1;
	flag_at *v = flagged_in_order(pp, &n);
	if (!v)
		return -1;
	if (gitcmd_start(&pp->cat, argv, 1, 0) < 0) {
		fprintf(stderr, "sasguard: cannot run git cat-file --batch: %s\n", strerror(errno));
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = judge_flagged(pp, &pp->objs[v[i].at]);
	if (gitcmd_finish(&pp->cat) != 0 && rc == 0)
		rc = -1;
	free(v);
	return rc;
}

int plumb_push_judge(const plumb_push_ctx *c)
{
	pplumb pp;
	int rc;

	memset(&pp, 0, sizeof(pp));
	pp.c = c;
	oidset_init(&pp.index);
	oidset_init(&pp.commit_index);
	/* a git child that dies must end in an error here, not kill us mid-write */
	signal(SIGPIPE, SIG_IGN);
	c->prog->finding = 1;
	rc = peel_tips(&pp);
	if (rc == 0)
		rc = list_new(&pp);
	if (rc == 0)
		rc = read_types(&pp);
	if (rc == 0)
		rc = scan_all(&pp);
	if (rc == 0)
		rc = attribute(&pp);
	for (size_t i = 0; i < pp.nobjs; i++)
		free(pp.objs[i].path);
	free(pp.objs);
	free(pp.commits);
	free(pp.tips);
	free(pp.tips_in);
	free(pp.commit_tips_in);
	free(pp.listing);
	free(pp.order);
	oidset_free(&pp.index);
	oidset_free(&pp.commit_index);
	return rc;
}
