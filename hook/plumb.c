/*
 * plumb.c - pre-commit for repositories libgit2 1.5.1 cannot open (SHA-256):
 * hook/odb walks the index against HEAD (plumb_index.c), or where it cannot,
 * `git diff-index --cached` lists what the index git is committing changes;
 * `git cat-file --batch` reads the blobs, and the library judges them as
 * staged.c does. git is always there when its hook runs.
 */
#include "gitscan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* An id (hex) ending at a space, copied into out (72 bytes). */
static const char *raw_id(const char *p, const char *end, char *out)
{
	size_t n = 0;
	while (p + n < end && p[n] != ' ' && n < 71)
		n++;
	if (n == 0 || p + n >= end || p[n] != ' ')
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return p + n + 1;
}

/* "om nm oid nid S" up to end (the NUL before the path). */
static int raw_header(const char *p, const char *end, raw_change *c)
{
	char *e = NULL;
	unsigned long om = strtoul(p, &e, 8), nm;
	if (e == p || *e != ' ' || om > 0777777)
		return -1;
	p = e + 1;
	nm = strtoul(p, &e, 8);
	if (e == p || *e != ' ' || nm > 0777777)
		return -1;
	p = e + 1;
	if (!(p = raw_id(p, end, c->old_id)) || !(p = raw_id(p, end, c->new_id)) || p >= end)
		return -1;
	c->old_mode = (unsigned)om;
	c->new_mode = (unsigned)nm;
	c->status = *p;
	return 0;
}

const char *raw_change_next(const char *p, const char *end, raw_change *c)
{
	const char *nul = memchr(p, '\0', (size_t)(end - p));
	if (!nul || *p != ':' || raw_header(p + 1, nul, c) < 0)
		return NULL;
	c->path = nul + 1;
	nul = memchr(c->path, '\0', (size_t)(end - c->path));
	return nul ? nul + 1 : NULL;
}

static int is_content(unsigned mode)
{
	return tree_mode_kind(mode) == TREE_ENTRY_BLOB;
}

typedef struct plumb {
	blob_ctx b;
	gitcmd cat;
	char **merge_heads; /* MERGE_HEAD's commits, as names cat-file reads */
	size_t nmerge;
	int merge_read;
	sg_findings gone_found; /* the tokens of blobs the commit removes */
	char *changes;
	size_t nchanges_len;
	int missing;
} plumb;

/* Findings of the removed side (D records): tokens moved, not added. */
static int scan_gone(plumb *s)
{
	const char *p = s->changes, *end = s->changes + s->nchanges_len;
	raw_change c;
	while (p < end && (p = raw_change_next(p, end, &c))) {
		if (c.status != 'D' || !is_content(c.old_mode))
			continue;
		char *buf;
		size_t len;
		int r = gitcmd_blob_read(&s->cat, c.old_id, &buf, &len);
		if (r < 0)
			return -1;
		if (r == 1) {
			report_stats saved = *s->b.stats;
			sg_stats lib = *sg_scanner_stats(s->b.scanner);
			s->b.side_read = 1;
			int rc = blob_scan_data(&s->b, buf, len, c.path, &s->gone_found);
			s->b.side_read = 0;
			*s->b.stats = saved;
			sg_scanner_set_stats(s->b.scanner, &lib);
			if (rc < 0) {
				free(buf);
				return -1;
			}
		}
		free(buf);
	}
	return 0;
}

static void drop_moved(plumb *s, sg_findings *found)
{
	size_t kept = 0;
	for (size_t i = 0; i < found->count; i++) {
		int moved = 0;
		for (size_t k = 0; k < s->gone_found.count && !moved; k++)
			moved = strcmp(s->gone_found.items[k]->token.fingerprint,
				       found->items[i]->token.fingerprint) == 0;
		if (moved)
			sg_finding_free(found->items[i]);
		else
			found->items[kept++] = found->items[i];
	}
	found->count = kept;
}

/* What the new side adds against one old side named for cat-file. */
static int keep_against(plumb *s, const char *old_name, const char *nb, size_t nn, const char *path,
			sg_findings *found)
{
	char *ob;
	size_t on;
	int r = gitcmd_blob_read(&s->cat, old_name, &ob, &on);
	if (r < 0)
		return -1;
	if (r == 1)
		r = keep_added_data(&s->b, ob, on, nb, nn, path, found);
	free(ob);
	return r < 0 ? -1 : 0;
}

/* MERGE_HEAD's commits, one a line. */
static int read_merge_heads(plumb *s)
{
	char *argv[] = { "git", "rev-parse", "--git-path", "MERGE_HEAD", NULL }, *out, *text;
	size_t len;
	if (gitcmd_output(argv, &out, &len, 0) < 0) {
		free(out);
		return -1;
	}
	out[strcspn(out, "\n")] = '\0';
	FILE *f = fopen(out, "r");
	free(out);
	if (!f)
		return 0;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char **v = realloc(s->merge_heads, (s->nmerge + 1) * sizeof(*v));
		if (v)
			s->merge_heads = v;
		if (!v || !(text = strdup(line))) {
			fclose(f);
			return -1;
		}
		s->merge_heads[s->nmerge++] = text;
	}
	fclose(f);
	return 0;
}

static int judge_change(plumb *s, const raw_change *c)
{
	char *nb = NULL;
	size_t nn;
	sg_findings found;
	int rc = 0;

	if ((c->status != 'A' && c->status != 'M' && c->status != 'T') || !is_content(c->new_mode))
		return 0;
	if (c->status != 'A' && is_content(c->old_mode) && strcmp(c->old_id, c->new_id) == 0)
		return 0; /* a mode changed alone: nothing added */
	int r = gitcmd_blob_read(&s->cat, c->new_id, &nb, &nn);
	if (r <= 0) {
		free(nb);
		if (r == 0) {
			fprintf(stderr, "sasguard: %s: its staged blob is missing\n", c->path);
			s->missing = 1;
			return 0;
		}
		return -1;
	}
	trace_blob_hex(c->new_id);
	sg_findings_init(&found);
	if (blob_scan_data(&s->b, nb, nn, c->path, &found) < 0)
		rc = -1;
	if (!rc && found.count && c->status != 'A' && is_content(c->old_mode))
		rc = keep_against(s, c->old_id, nb, nn, c->path, &found);
	if (!rc && found.count)
		drop_moved(s, &found);
	/* a merge: what another parent already had at this path is not new
	 * (MERGE_HEAD read once, and only when there is something to clear) */
	if (!rc && found.count && !s->merge_read) {
		s->merge_read = 1;
		rc = read_merge_heads(s);
	}
	/* cat-file reads names a line each: a path with a newline cannot be asked
	 * for, and its findings stay (more than git counts, never less) */
	for (size_t i = 0; !rc && found.count && !strchr(c->path, '\n') && i < s->nmerge; i++) {
		char name[4200];
		snprintf(name, sizeof(name), "%s:%s", s->merge_heads[i], c->path);
		rc = keep_against(s, name, nb, nn, c->path, &found);
	}
	if (!rc)
		rc = report_take(s->b.report, &found, c->path, NULL);
	sg_findings_clear(&found);
	free(nb);
	return rc;
}

void plumb_early_start(plumb_early *e)
{
	/* GIT_INDEX_FILE (a temporary index of `git commit <paths>`) and
	 * GIT_OBJECT_DIRECTORY as git resolves them; HEAD^{tree} fails on an unborn branch */
	char *probe[] = { "git", "rev-parse", "--git-path", "index", "--git-path", "objects", "--absolute-git-dir",
			  "--verify", "-q", "HEAD^{tree}", NULL };
	char *cat[] = { "git", "cat-file", "--batch", NULL };
	memset(e, 0, sizeof(*e));
	/* a git child that dies must end in an error here, not kill us mid-write */
	signal(SIGPIPE, SIG_IGN);
	e->probe_rc = gitcmd_start(&e->probe, probe, 0, 1);
	e->cat_rc = gitcmd_start(&e->cat, cat, 1, 0);
	e->started = 1;
}

void plumb_early_cancel(plumb_early *e)
{
	if (!e->started)
		return;
	/* read-only children: stopping them loses nothing */
	if (e->probe.pid > 0)
		kill(e->probe.pid, SIGTERM);
	gitcmd_finish(&e->probe);
	gitcmd_finish(&e->cat);
	e->started = 0;
}

/* The staged changes from git diff-index: against HEAD or, on an unborn
 * branch, the empty tree of this object format. 0 or -1 after saying why. */
static int changes_from_git(plumb *s)
{
	char *head[] = { "git", "rev-parse", "-q", "--verify", "HEAD", NULL };
	char *hash_empty[] = { "git", "hash-object", "-t", "tree", "/dev/null", NULL };
	char against[80] = "HEAD", *out = NULL;
	size_t len;
	for (int tries = 0; tries < 2; tries++) {
		char *diff[] = { "git", "diff-index", "--cached", "-z", "--raw", "--no-renames",
				 "--ignore-submodules=all", against, "--", NULL };
		/* GIT_INDEX_FILE, which git set for the hook, reaches git diff-index too */
		if (gitcmd_output(diff, &s->changes, &s->nchanges_len, 1) == 0)
			return 0;
		free(s->changes);
		s->changes = NULL;
		int born = gitcmd_output(head, &out, &len, 1) == 0;
		free(out);
		out = NULL;
		if (tries || born || gitcmd_output(hash_empty, &out, &len, 0) < 0)
			break;
		snprintf(against, sizeof(against), "%.*s", (int)strcspn(out, "\n"), out);
		free(out);
		out = NULL;
	}
	free(out);
	fprintf(stderr, "sasguard: git diff-index --cached HEAD failed\n");
	return -1;
}

int plumb_pre_commit(cli_opts *o, const sg_policy *p, sg_baseline *base, plumb_early *e)
{
	plumb s;
	report_stats st = { 0 };
	char *probe = NULL;
	size_t probelen = 0;
	int rc = EXIT_INTERNAL;

	memset(&s, 0, sizeof(s));
	sg_findings_init(&s.gone_found);
	/* git resolves the paths and HEAD and starts cat-file while the scanner
	 * compiles (or, started by the caller, while libgit2 loaded) */
	if (!e->started)
		plumb_early_start(e);
	e->started = 0; /* taken: finished here */
	gitcmd pr = e->probe;
	int started = e->probe_rc;
	s.cat = e->cat;
	if (e->cat_rc < 0) {
		fprintf(stderr, "sasguard: cannot run git cat-file --batch\n");
		gitcmd_finish(&pr);
		goto out;
	}
	if (!(s.b.scanner = cli_scanner(o, p, base)) || !(s.b.report = report_open(o, p))) {
		gitcmd_finish(&pr);
		goto out;
	}
	s.b.policy = p;
	s.b.stats = &st;
	/* tests compare the two ways: 1 asks git diff-index, 0 forbids it */
	const char *t = getenv("SASGUARD_TEST_DIFF_INDEX");
	int from_index = started == 0 && gitcmd_slurp(&pr, &probe, &probelen) == 0 && !(t && *t == '1') &&
			 plumb_index_changes(&s.cat, probe, probelen, &s.changes, &s.nchanges_len) == 0;
	if (started < 0)
		gitcmd_finish(&pr);
	if (!from_index && t && *t == '0') {
		fprintf(stderr, "sasguard: (SASGUARD_TEST_DIFF_INDEX=0) the index walk did not read this index\n");
		goto out;
	}
	if (!from_index && changes_from_git(&s) < 0)
		goto out;
	if (scan_gone(&s) < 0)
		goto broken;
	const char *c = s.changes, *end = s.changes + s.nchanges_len;
	raw_change ch;
	while (c < end && (c = raw_change_next(c, end, &ch)))
		if (judge_change(&s, &ch) < 0)
			goto broken;
	if (c != end) {
		fprintf(stderr, "sasguard: git diff-index gave output it does not read\n");
		goto out;
	}
	blob_skips_note(&s.b);
	rc = report_finish(s.b.report, sg_scanner_stats(s.b.scanner), &st,
			   "commit rejected: replace the tokens above, or mark one you must keep with "
			   "'sasguard:allow <reason>' on its line",
			   s.missing && !o->allow_missing
				   ? "commit rejected: the staged content could not all be read (see above)"
				   : NULL);
	if (rc == EXIT_CLEAN && s.missing && !o->allow_missing)
		rc = EXIT_INTERNAL;
	goto out;
broken:
	fprintf(stderr, "sasguard: reading the staged content through git cat-file failed\n");
out:
	free(probe);
	if (s.cat.pid > 0 && gitcmd_finish(&s.cat) != 0 && rc != EXIT_INTERNAL)
		rc = EXIT_INTERNAL;
	for (size_t i = 0; i < s.nmerge; i++)
		free(s.merge_heads[i]);
	free(s.merge_heads);
	free(s.changes);
	sg_findings_clear(&s.gone_found);
	report_free(s.b.report);
	sg_scanner_free(s.b.scanner);
	return rc;
}
