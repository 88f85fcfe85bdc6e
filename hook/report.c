/*
 * report.c - findings for people and programs: text (colour only on a
 * terminal), JSON ({"findings":[...],"stats":{...}}) and SARIF 2.1.0.
 * Nothing here prints a secret: tokens arrive already redacted.
 */
#include "report_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *report_mode_name(run_mode m)
{
	static const char *const names[] = { "scan", "pre-commit", "pre-receive", "all-history", "config" };
	return names[m];
}

report *report_open(const cli_opts *o, const sg_policy *p)
{
	report *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->o = o;
	r->p = p;
	r->cur = -1;
	int hook = o->mode == MODE_PRE_COMMIT || o->mode == MODE_PRE_RECEIVE;
	r->out = o->format == FORMAT_TEXT && hook ? stderr : stdout;
	if (o->output && strcmp(o->output, "-") != 0) {
		if (!(r->out = fopen(o->output, "w"))) {
			fprintf(stderr, "sasguard: cannot write %s: ", o->output);
			perror(NULL);
			free(r);
			return NULL;
		}
		r->own_out = 1;
	}
	const char *nc = getenv("NO_COLOR");
	r->colour = o->format == FORMAT_TEXT && isatty(fileno(r->out)) && !(nc && *nc);
	return r;
}

int report_add(report *r, sg_finding *f, const char *path, const char *commit)
{
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		entry *e = realloc(r->items, cap * sizeof(*e));
		if (!e) {
			sg_finding_free(f);
			return SG_ENOMEM;
		}
		r->items = e;
		r->cap = cap;
	}
	entry *e = &r->items[r->count];
	e->f = f;
	e->path = strdup(path ? path : "-");
	e->commit = commit ? strdup(commit) : NULL;
	e->repo = r->cur;
	if (!e->path || (commit && !e->commit)) {
		free(e->path);
		free(e->commit);
		sg_finding_free(f);
		return SG_ENOMEM;
	}
	r->count++;
	return SG_OK;
}

int report_repo(report *r, const char *path)
{
	if (!path) {
		r->cur = -1;
		return 0;
	}
	repo_row *v = realloc(r->repos, (r->nrepos + 1) * sizeof(*v));
	if (!v)
		return -1;
	r->repos = v;
	if (!(v[r->nrepos].path = strdup(path)))
		return -1;
	v[r->nrepos].status = NULL;
	r->cur = (int)r->nrepos++;
	return 0;
}

void report_repo_status(report *r, const char *status)
{
	if (r->cur < 0 || r->repos[r->cur].status)
		return;
	r->repos[r->cur].status = strdup(status);
}

void report_note(report *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int at = 0;
	/* in an audit, a note says which repository it is about */
	if (r->cur >= 0)
		at = snprintf(buf, sizeof(buf), "%s: ", r->repos[r->cur].path);
	if (at < 0 || (size_t)at >= sizeof(buf))
		at = 0;
	va_start(ap, fmt);
	vsnprintf(buf + at, sizeof(buf) - (size_t)at, fmt, ap);
	va_end(ap);
	char **n = realloc(r->notes, (r->nnotes + 1) * sizeof(*n));
	if (!n)
		return;
	r->notes = n;
	if ((n[r->nnotes] = strdup(buf)))
		r->nnotes++;
}

int report_write_baseline(report *r, const char *path)
{
	sg_finding **items = calloc(r->count + 1, sizeof(*items)); /* NOLINT(bugprone-sizeof-expression): pointers */
	sg_diag d;
	if (!items)
		return EXIT_INTERNAL;
	for (size_t i = 0; i < r->count; i++)
		items[i] = r->items[i].f;
	int rc = sg_baseline_write(path, items, r->count, &d);
	free(items);
	if (rc < 0) {
		fprintf(stderr, "sasguard: ");
		print_safe(stderr, d.msg);
		fputc('\n', stderr);
		return EXIT_INTERNAL;
	}
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].f->allowed)
			r->items[i].f->allowed = SG_ALLOWED_BASELINE;
	report_note(r, "wrote %zu finding%s to the baseline %s", r->count, r->count == 1 ? "" : "s", path);
	return 0;
}

size_t report_blocking(const report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->count; i++)
		n += sg_finding_blocks(r->items[i].f) != 0;
	return n;
}

void report_free(report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++) {
		sg_finding_free(r->items[i].f);
		free(r->items[i].path);
		free(r->items[i].commit);
	}
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	for (size_t i = 0; i < r->nrepos; i++) {
		free(r->repos[i].path);
		free(r->repos[i].status);
	}
	free(r->repos);
	free(r->items);
	report_group_free(r);
	if (r->own_out)
		fclose(r->out);
	free(r);
}

void report_json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		size_t l;
		if (*c == '"' || *c == '\\') {
			fprintf(out, "\\%c", *c++);
		} else if (*c == '\n') {
			fputs("\\n", out), c++;
		} else if (*c == '\t') {
			fputs("\\t", out), c++;
		} else if (*c < 0x20 || *c == 0x7f) {
			fprintf(out, "\\u%04x", *c++);
		} else if (*c < 0x80) {
			fputc(*c++, out);
		} else if ((l = utf8_seq_len(c, SIZE_MAX)) > 0) {
			if (l == 2 && c[0] == 0xc2 && c[1] < 0xa0) /* C1: a terminal showing the JSON would act on it */
				fprintf(out, "\\u%04x", c[1]);
			else
				fwrite(c, 1, l, out);
			c += l;
		} else {
			/* not UTF-8: keep the document valid, mark the byte */
			fprintf(out, "\\ufffd");
			c++;
		}
	}
	fputc('"', out);
}

const char *report_allowed_name(sg_allowance a)
{
	switch (a) {
	case SG_ALLOWED_INLINE: return "inline";
	case SG_ALLOWED_PATH: return "path";
	case SG_ALLOWED_BASELINE: return "baseline";
	case SG_ALLOWED_PUSH_OPTION: return "push-option";
	default: return NULL;
	}
}

static const char *colour(const report *r, sg_severity s)
{
	if (!r->colour)
		return "";
	return s == SG_SEV_ERROR ? "\033[1;31m" : s == SG_SEV_WARNING ? "\033[1;33m" : "\033[1;36m";
}

static const char *reset(const report *r)
{
	return r->colour ? "\033[0m" : "";
}

/* Is this entry shown? --quiet shows blockers only; text shows allowed findings only
 * with --show-allowed, JSON and SARIF always (marked allowed / suppressed). */
int report_shown(const report *r, const entry *e)
{
	if (e->f->allowed && !r->o->show_allowed && r->o->format == FORMAT_TEXT)
		return 0;
	if (r->o->quiet && !sg_finding_blocks(e->f))
		return 0;
	return 1;
}

static void text_where(report *r, const entry *e)
{
	FILE *out = r->out;
	if (e->repo >= 0) {
		print_safe(out, r->repos[e->repo].path);
		fputs(": ", out);
	}
	if (e->commit)
		fprintf(out, "%.12s:", e->commit);
	print_safe(out, e->path);
	fprintf(out, ":%zu:%zu", e->f->line, e->f->column);
}

/* Prints label and text, continuation lines indented under the text. */
static void print_block(FILE *out, const char *label, const char *text)
{
	fprintf(out, "  %s", label);
	for (const char *c = text; *c;) {
		size_t l = strcspn(c, "\n");
		print_safe_n(out, c, l, 0);
		c += l;
		if (*c == '\n' && *++c)
			fputs("\n      ", out);
	}
	fputc('\n', out);
}

/* How many places a token's block lists, the first included, without
 * --show-all-locations: enough to see the pattern, one screen for many tokens. */
#define TEXT_PLACES 4

/* The places after the first: a few, then how many more. */
static void text_places(report *r, const token_group *g)
{
	FILE *out = r->out;
	size_t show = r->o->show_all_locations ? g->n : (g->n < TEXT_PLACES ? g->n : TEXT_PLACES);
	if (g->n < 2)
		return;
	fprintf(out, "  at %zu places, also:\n", g->n);
	for (size_t i = 1; i < show; i++) {
		fputs("    ", out);
		/* the repository is the token's, said on its first line */
		entry e = r->items[g->at[i]];
		e.repo = -1;
		text_where(r, &e);
		/* how it was found can differ by place (as UTF-16 in a binary here) */
		if (e.f->note[0] && strcmp(e.f->note, group_head(r, g)->f->note) != 0)
			print_safef(out, " (note: %s)", e.f->note);
		fputc('\n', out);
	}
	if (show < g->n) {
		int hook = r->o->mode == MODE_PRE_COMMIT || r->o->mode == MODE_PRE_RECEIVE;
		fprintf(out, "    and %zu more%s\n", g->n - show, hook ? "" : " (--show-all-locations lists them)");
	}
}

static void text_finding(report *r, const token_group *g)
{
	const entry *e = group_head(r, g);
	const sg_finding *f = e->f;
	const sg_token *t = &f->token;
	FILE *out = r->out;
	char buf[2048];

	text_where(r, e);
	fprintf(out, ": %s%s%s: %s", colour(r, f->severity), sg_severity_name(f->severity), reset(r),
		sg_kind_label(t->kind));
	/* every string below comes from content or a tree: through the one sanitizer */
	if (t->account[0])
		print_safef(out, " for %s", t->account);
	else if (t->host[0])
		print_safef(out, " for %s", t->host);
	if (f->allowed)
		print_safef(out, " (allowed: %s%s%s)", report_allowed_name(f->allowed), f->allow_reason[0] ? ": " : "",
			    f->allow_reason);
	fputs("\n    ", out);
	print_safef(out, "%s\n", t->display);
	for (size_t i = 0; i < f->nviolations; i++) {
		const sg_violation *v = &f->violations[i];
		fprintf(out, "  %s%-15s%s ", colour(r, v->severity), sg_rule_name(v->rule), reset(r));
		print_safef(out, "%s (limit: %s)\n", v->value, v->limit);
		/* pushers read these through "remote:" lines: keep the server's output terse */
		if (v->detail[0] && r->o->mode != MODE_PRE_RECEIVE)
			print_safef(out, "  %15s %s\n", "", v->detail);
	}
	if (f->expired) {
		char when[32];
		sg_time_format(f->expires, when, sizeof(when));
		fprintf(out, "  expired %s: it grants nothing now, so it does not block\n", when);
	}
	if (f->note[0])
		print_safef(out, "  note: %s\n", f->note);
	if (!f->allowed && !f->expired) {
		sg_finding_fix(f, r->p, buf, sizeof(buf));
		print_block(out, "fix: ", buf);
	}
	if (f->live && (r->o->mode == MODE_HISTORY)) {
		sg_finding_revoke(f, buf, sizeof(buf));
		print_block(out, "live now, revoke it: ", buf);
	}
	text_places(r, g);
	fprintf(out, "  fingerprint: %s\n\n", t->fingerprint);
}

/* Spaces that bring s to width w (none past it). */
static int pad_to(size_t w, const char *s)
{
	size_t len = strlen(s);
	return len < w ? (int)(w - len) : 0;
}

/* An audit of several repositories ends with one row each. */
static void text_repo_table(report *r)
{
	FILE *out = r->out;
	size_t w = 10;
	if (r->nrepos < 2)
		return;
	for (size_t i = 0; i < r->nrepos; i++)
		w = strlen(r->repos[i].path) > w ? strlen(r->repos[i].path) : w;
	w = w > 60 ? 60 : w;
	fprintf(out, "%-*s %6s %8s %8s %8s  %s\n", (int)w, "repository", "live", "blocking", "tokens", "places",
		"status");
	for (size_t i = 0; i < r->nrepos; i++) {
		repo_tally t;
		report_repo_tally(r, (int)i, &t);
		print_safe(out, r->repos[i].path);
		fprintf(out, "%*s %6zu %8zu %8zu %8zu  ", pad_to(w, r->repos[i].path), "", t.live, t.blocking,
			t.tokens, t.places);
		print_safe(out, r->repos[i].status ? r->repos[i].status : "judged");
		fputc('\n', out);
	}
}

/* The repositories a revoke group's tokens are in, comma-separated. */
static void text_revoke_repos(report *r, const revoke_group *v)
{
	int said = 0;
	for (size_t i = 0; i < r->nrepos; i++) {
		size_t k = 0;
		while (k < v->ntokens && group_head(r, &r->groups[v->tokens[k]])->repo != (int)i)
			k++;
		if (k == v->ntokens)
			continue;
		fputs(said++ ? ", " : " in ", r->out);
		print_safe(r->out, r->repos[i].path);
	}
}

/* Live blocking tokens by what revokes them: an owner acts once per account. */
static void text_revokes(report *r)
{
	FILE *out = r->out;
	if (!r->nrevokes)
		return;
	fprintf(out, "sasguard: live blocking tokens, by the one action that revokes them:\n");
	for (size_t i = 0; i < r->nrevokes; i++) {
		const revoke_group *v = &r->revokes[i];
		const sg_token *t = &group_head(r, &r->groups[v->tokens[0]])->f->token;
		char when[48] = "with no expiry in the token";
		if (v->until != SG_TIME_NONE) {
			char t_until[40];
			sg_time_format(v->until, t_until, sizeof(t_until));
			snprintf(when, sizeof(when), "until %s", t_until);
		}
		print_safef(out, "  %s: %zu token%s at %zu place%s", t->account[0] ? t->account : t->host[0] ? t->host : "(unknown account)",
			v->ntokens, v->ntokens == 1 ? "" : "s", v->places, v->places == 1 ? "" : "s");
		text_revoke_repos(r, v);
		fprintf(out, ", live %s\n", when);
		print_block(out, "  ", v->action);
	}
}

static void text_report(report *r, const report_stats *st, const char *verdict_block, const char *verdict_pass)
{
	size_t errors = 0, warnings = 0, infos = 0, allowed = 0, places = 0;
	FILE *out = r->out;

	for (size_t g = 0; g < r->ngroups; g++) {
		const entry *e = group_head(r, &r->groups[g]);
		places += r->groups[g].n;
		if (e->f->allowed)
			allowed++;
		else if (e->f->severity == SG_SEV_ERROR)
			errors++;
		else if (e->f->severity == SG_SEV_WARNING)
			warnings++;
		else
			infos++;
		if (report_shown(r, e))
			text_finding(r, &r->groups[g]);
	}
	for (size_t i = 0; i < r->nnotes && !r->o->quiet; i++)
		print_safef(out, "sasguard: note: %s\n", r->notes[i]);
	int hook = r->o->mode == MODE_PRE_COMMIT || r->o->mode == MODE_PRE_RECEIVE;
	if (!r->o->quiet) {
		text_repo_table(r);
		/* a hook's tokens have not left the machine, or are refused: nothing to revoke yet */
		if (!hook)
			text_revokes(r);
	}
	/* A hook that finds nothing says nothing: every commit would print it. */
	if ((r->o->quiet && !errors) || (hook && r->count == 0 && r->nnotes == 0))
		return;
	fprintf(out, "sasguard: %zu error%s, %zu warning%s, %zu info, %zu allowed", errors, errors == 1 ? "" : "s",
		warnings, warnings == 1 ? "" : "s", infos, allowed);
	if (r->ngroups)
		fprintf(out, " (%zu token%s at %zu place%s)", r->ngroups, r->ngroups == 1 ? "" : "s", places,
			places == 1 ? "" : "s");
	fprintf(out, " in %llu %s%s", st->files,
		r->o->mode == MODE_PRE_RECEIVE || r->o->mode == MODE_HISTORY ? "blob" : "file",
		st->files == 1 ? "" : "s");
	if (st->commits)
		fprintf(out, " of %llu commit%s", st->commits, st->commits == 1 ? "" : "s");
	if (st->binary_skipped || st->large_skipped || st->lfs_skipped)
		fprintf(out, " (skipped: %llu binary, %llu too large, %llu LFS pointers)", st->binary_skipped,
			st->large_skipped, st->lfs_skipped);
	if (st->missing)
		fprintf(out, " (%llu objects missing)", st->missing);
	fprintf(out, "\n");
	if (allowed && !r->o->show_allowed)
		fprintf(out, "sasguard: %zu allowed finding%s not shown (--show-allowed lists them)\n", allowed,
			allowed == 1 ? "" : "s");
	const char *verdict = errors ? verdict_block : verdict_pass;
	if (verdict && *verdict)
		fprintf(out, "sasguard: %s%s%s\n", errors ? colour(r, SG_SEV_ERROR) : "", verdict, errors ? reset(r) : "");
}

static void json_violations(FILE *out, const sg_finding *f)
{
	fputs("\"rules\":[", out);
	for (size_t i = 0; i < f->nviolations; i++) {
		fputs(i ? "," : "", out);
		report_json_string(out, sg_rule_name(f->violations[i].rule));
	}
	fputs("],\"violations\":[", out);
	for (size_t i = 0; i < f->nviolations; i++) {
		const sg_violation *v = &f->violations[i];
		fprintf(out, "%s{\"rule\":", i ? "," : "");
		report_json_string(out, sg_rule_name(v->rule));
		fputs(",\"severity\":", out);
		report_json_string(out, sg_severity_name(v->severity));
		fputs(",\"value\":", out);
		report_json_string(out, v->value);
		fputs(",\"limit\":", out);
		report_json_string(out, v->limit);
		fputs(",\"detail\":", out);
		report_json_string(out, v->detail);
		fputs("}", out);
	}
	fputs("]", out);
}

/* Where a token is: every place, in the order found (the first is the
 * finding's own path, line, column and commit). */
static void json_locations(report *r, const token_group *g)
{
	FILE *out = r->out;
	fputs(",\"locations\":[", out);
	for (size_t i = 0; i < g->n; i++) {
		const entry *e = &r->items[g->at[i]];
		fputs(i ? ",{\"path\":" : "{\"path\":", out);
		report_json_string(out, e->path);
		fprintf(out, ",\"line\":%zu,\"column\":%zu,\"commit\":", e->f->line, e->f->column);
		report_json_string(out, e->commit);
		fputs(",\"note\":", out);
		report_json_string(out, e->f->note[0] ? e->f->note : NULL);
		fputs("}", out);
	}
	fputs("]", out);
}

static void json_finding(report *r, const token_group *g)
{
	const entry *e = group_head(r, g);
	const sg_finding *f = e->f;
	const sg_token *t = &f->token;
	FILE *out = r->out;
	char buf[2048];

	fputs("{", out);
	if (e->repo >= 0) {
		fputs("\"repository\":", out);
		report_json_string(out, r->repos[e->repo].path);
		fputs(",", out);
	}
	fputs("\"path\":", out);
	report_json_string(out, e->path);
	fprintf(out, ",\"line\":%zu,\"column\":%zu,\"commit\":", f->line, f->column);
	report_json_string(out, e->commit);
	fputs(",\"kind\":", out);
	report_json_string(out, sg_kind_name(t->kind));
	fputs(",\"severity\":", out);
	report_json_string(out, sg_severity_name(f->severity));
	fprintf(out, ",\"blocking\":%s,", sg_finding_blocks(f) ? "true" : "false");
	json_violations(out, f);
	fputs(",\"account\":", out);
	report_json_string(out, t->account[0] ? t->account : NULL);
	fputs(",\"host\":", out);
	report_json_string(out, t->host[0] ? t->host : NULL);
	fputs(",\"token\":", out);
	report_json_string(out, t->display);
	fputs(",\"fingerprint\":", out);
	report_json_string(out, t->fingerprint);
	fputs(",\"expires\":", out);
	if (f->expires != SG_TIME_NONE) {
		char when[32];
		sg_time_format(f->expires, when, sizeof(when));
		report_json_string(out, when);
	} else {
		fputs("null", out);
	}
	fprintf(out, ",\"expired\":%s,\"live\":%s,\"allowed\":", f->expired ? "true" : "false",
		f->live ? "true" : "false");
	if (f->allowed) {
		fputs("{\"by\":", out);
		report_json_string(out, report_allowed_name(f->allowed));
		fputs(",\"reason\":", out);
		report_json_string(out, f->allow_reason[0] ? f->allow_reason : NULL);
		fputs("}", out);
	} else {
		fputs("null", out);
	}
	fputs(",\"note\":", out);
	report_json_string(out, f->note[0] ? f->note : NULL);
	sg_finding_fix(f, r->p, buf, sizeof(buf));
	fputs(",\"fix\":", out);
	report_json_string(out, buf);
	sg_finding_revoke(f, buf, sizeof(buf));
	fputs(",\"revoke\":", out);
	report_json_string(out, buf);
	fprintf(out, ",\"places\":%zu", g->n);
	json_locations(r, g);
	fputs("}", out);
}

static void json_stats(report *r, const sg_stats *lib, const report_stats *st)
{
	size_t allowed = 0, blocking = 0;
	for (size_t g = 0; g < r->ngroups; g++) {
		const sg_finding *f = group_head(r, &r->groups[g])->f;
		allowed += f->allowed != SG_ALLOWED_NO;
		blocking += sg_finding_blocks(f) != 0;
	}
	/* findings, blocking and allowed count tokens (one finding each); places
	 * counts where they were seen */
	fprintf(r->out,
		"{\"files\":%llu,\"commits\":%llu,\"bytes\":%llu,\"tokens\":%llu,\"findings\":%zu,"
		"\"places\":%zu,\"blocking\":%zu,\"allowed\":%zu,\"placeholders\":%llu,\"emulator\":%llu,"
		"\"binary_skipped\":%llu,\"large_skipped\":%llu,\"lfs_skipped\":%llu,\"missing\":%llu,"
		"\"read_errors\":%llu,\"limit_hits\":%llu,\"dropped\":%llu,\"utf16\":%llu}",
		st->files, st->commits, (unsigned long long)lib->bytes, (unsigned long long)lib->tokens,
		r->ngroups, r->count, blocking, allowed, (unsigned long long)lib->placeholders,
		(unsigned long long)lib->emulator, st->binary_skipped, st->large_skipped, st->lfs_skipped,
		st->missing, st->errors,
		(unsigned long long)lib->limit_hits, (unsigned long long)lib->dropped,
		(unsigned long long)lib->decoded);
}

/* The live blocking tokens by the action that revokes them all. */
static void json_revokes(report *r)
{
	FILE *out = r->out;
	fputs(",\"revoke\":[", out);
	for (size_t i = 0; i < r->nrevokes; i++) {
		const revoke_group *v = &r->revokes[i];
		const sg_token *t = &group_head(r, &r->groups[v->tokens[0]])->f->token;
		fputs(i ? ",\n{\"account\":" : "\n{\"account\":", out);
		report_json_string(out, t->account[0] ? t->account : NULL);
		fputs(",\"host\":", out);
		report_json_string(out, t->host[0] ? t->host : NULL);
		fputs(",\"action\":", out);
		report_json_string(out, v->action);
		fprintf(out, ",\"tokens\":%zu,\"places\":%zu,\"until\":", v->ntokens, v->places);
		if (v->until != SG_TIME_NONE) {
			char when[32];
			sg_time_format(v->until, when, sizeof(when));
			report_json_string(out, when);
		} else {
			fputs("null", out);
		}
		fputs(",\"fingerprints\":[", out);
		for (size_t k = 0; k < v->ntokens; k++) {
			const entry *e = group_head(r, &r->groups[v->tokens[k]]);
			fputs(k ? "," : "", out);
			report_json_string(out, e->f->token.fingerprint);
		}
		fputs("],\"repositories\":[", out);
		int said = 0;
		for (size_t k = 0; k < v->ntokens; k++) {
			int repo = revoke_repo_first(r, v, k);
			if (repo < 0)
				continue;
			fputs(said++ ? "," : "", out);
			report_json_string(out, r->repos[repo].path);
		}
		fputs("]}", out);
	}
	fputs("]", out);
}

static void json_report(report *r, const sg_stats *lib, const report_stats *st)
{
	FILE *out = r->out;
	char now[32];
	sg_time_format(r->o->now, now, sizeof(now));
	fprintf(out, "{\"version\":\"%s\",\"mode\":\"%s\",\"now\":\"%s\",\"findings\":[", SG_VERSION,
		report_mode_name(r->o->mode), now);
	size_t n = 0;
	for (size_t g = 0; g < r->ngroups; g++) {
		if (!report_shown(r, group_head(r, &r->groups[g])))
			continue;
		fputs(n++ ? ",\n" : "\n", out);
		json_finding(r, &r->groups[g]);
	}
	fputs("\n],\"notes\":[", out);
	for (size_t i = 0; i < r->nnotes; i++) {
		fputs(i ? "," : "", out);
		report_json_string(out, r->notes[i]);
	}
	fputs("],\"stats\":", out);
	json_stats(r, lib, st);
	json_revokes(r);
	if (r->nrepos) {
		fputs(",\"repositories\":[", out);
		for (size_t i = 0; i < r->nrepos; i++) {
			repo_tally t;
			report_repo_tally(r, (int)i, &t);
			fputs(i ? ",\n{\"path\":" : "\n{\"path\":", out);
			report_json_string(out, r->repos[i].path);
			fprintf(out, ",\"findings\":%zu,\"places\":%zu,\"blocking\":%zu,\"live_blocking\":%zu,\"status\":",
				t.tokens, t.places, t.blocking, t.live);
			report_json_string(out, r->repos[i].status ? r->repos[i].status : "judged");
			fputs("}", out);
		}
		fputs("]", out);
	}
	fputs("}\n", out);
}

static const char *sarif_level(sg_severity s)
{
	return s == SG_SEV_ERROR ? "error" : s == SG_SEV_WARNING ? "warning" : s == SG_SEV_INFO ? "note" : "none";
}

static void sarif_rules(report *r)
{
	FILE *out = r->out;
	for (int i = 0; i < SG_RULE_COUNT; i++) {
		fprintf(out, "%s{\"id\":", i ? "," : "");
		report_json_string(out, sg_rule_name((sg_rule)i));
		fputs(",\"shortDescription\":{\"text\":", out);
		report_json_string(out, sg_rule_title((sg_rule)i));
		fputs("},\"fullDescription\":{\"text\":", out);
		report_json_string(out, sg_rule_title((sg_rule)i));
		fputs("},\"helpUri\":\"https://learn.microsoft.com/azure/storage/common/sas-expiration-policy\"",
		      out);
		fprintf(out, ",\"defaultConfiguration\":{\"level\":\"%s\",\"enabled\":%s}}",
			sarif_level(r->p->severity[i]), r->p->severity[i] == SG_SEV_OFF ? "false" : "true");
	}
}

/* A path as a SARIF uri-reference: bytes outside RFC 3986's unreserved and
 * sub-delims (space, newline, non-ASCII...) percent-encoded. */
static void sarif_uri(FILE *out, const char *path)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if (((*c | 32) >= 'a' && (*c | 32) <= 'z') || (*c >= '0' && *c <= '9') || (*c && strchr(keep, *c)))
			fputc(*c, out);
		else
			fprintf(out, "%%%02X", *c);
	}
	fputc('"', out);
}

/* SARIF's physicalLocation of one place. */
static void sarif_place(FILE *out, const entry *e)
{
	fputs("\"physicalLocation\":{\"artifactLocation\":{\"uri\":", out);
	sarif_uri(out, e->path);
	fprintf(out, "},\"region\":{\"startLine\":%zu,\"startColumn\":%zu}}", e->f->line, e->f->column);
}

/* Code-scanning dashboards read the first location as the result's and
 * list related ones beside it; GitHub keeps up to 1000 of those. */
#define SARIF_RELATED_MAX 1000

static void sarif_result(report *r, const token_group *g, const sg_violation *v)
{
	const entry *e = group_head(r, g);
	const sg_finding *f = e->f;
	FILE *out = r->out;
	char msg[1100];

	snprintf(msg, sizeof(msg), "%s: %s (limit: %s). %s", sg_kind_label(f->token.kind), v->value, v->limit,
		 v->detail);
	if (g->n > 1) {
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, "%sThe same token is at %zu places.", l && msg[l - 1] != ' ' ? " " : "",
			 g->n);
	}
	fputs("{\"ruleId\":", out);
	report_json_string(out, sg_rule_name(v->rule));
	fprintf(out, ",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":", (int)v->rule,
		sarif_level(f->expired ? f->severity : v->severity));
	report_json_string(out, msg);
	fputs("},\"locations\":[{", out);
	sarif_place(out, e);
	fputs("}]", out);
	if (g->n > 1) {
		fputs(",\"relatedLocations\":[", out);
		for (size_t i = 1; i < g->n && i <= SARIF_RELATED_MAX; i++) {
			const entry *o = &r->items[g->at[i]];
			fprintf(out, "%s{\"id\":%zu,", i > 1 ? "," : "", i);
			sarif_place(out, o);
			fputs(",\"message\":{\"text\":", out);
			snprintf(msg, sizeof(msg), "the same token%s%.12s", o->commit ? ", commit " : "",
				 o->commit ? o->commit : "");
			report_json_string(out, msg);
			fputs("}}", out);
		}
		fputs("]", out);
	}
	fputs(",\"partialFingerprints\":{\"sasguardToken/v1\":", out);
	report_json_string(out, f->token.fingerprint);
	fputs("}", out);
	if (f->allowed) {
		fputs(",\"suppressions\":[{\"kind\":\"inSource\",\"justification\":", out);
		report_json_string(out, f->allow_reason[0] ? f->allow_reason : report_allowed_name(f->allowed));
		fputs("}]", out);
	}
	fputs(",\"properties\":{\"kind\":", out);
	report_json_string(out, sg_kind_name(f->token.kind));
	fputs(",\"token\":", out);
	report_json_string(out, f->token.display);
	fputs(",\"commit\":", out);
	report_json_string(out, e->commit);
	if (e->repo >= 0) {
		fputs(",\"repository\":", out);
		report_json_string(out, r->repos[e->repo].path);
	}
	fprintf(out, ",\"places\":%zu,\"live\":%s}}", g->n, f->live ? "true" : "false");
}

static void sarif_report(report *r)
{
	FILE *out = r->out;
	fprintf(out, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
		     "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"sasguard\",\"version\":\"%s\","
		     "\"informationUri\":\"https://github.com/sasguard/sasguard\",\"rules\":[",
		SG_VERSION);
	sarif_rules(r);
	fputs("]}},\"results\":[", out);
	size_t n = 0;
	for (size_t i = 0; i < r->ngroups; i++) {
		const token_group *g = &r->groups[i];
		const sg_finding *f = group_head(r, g)->f;
		if (!report_shown(r, group_head(r, g)))
			continue;
		for (size_t v = 0; v < f->nviolations; v++) {
			fputs(n++ ? ",\n" : "\n", out);
			sarif_result(r, g, &f->violations[v]);
		}
	}
	fputs("\n]}]}\n", out);
}

int report_finish(report *r, const sg_stats *lib, const report_stats *st, const char *verdict_block,
		  const char *verdict_pass)
{
	if (report_group(r) != SG_OK) {
		fprintf(stderr, "sasguard: out of memory\n");
		return EXIT_INTERNAL;
	}
	if (r->o->format == FORMAT_JSON)
		json_report(r, lib, st);
	else if (r->o->format == FORMAT_HTML)
		report_html(r, lib, st);
	else if (r->o->format == FORMAT_SARIF)
		sarif_report(r);
	else
		text_report(r, st, verdict_block, verdict_pass);
	if (fflush(r->out) != 0 || ferror(r->out)) {
		fprintf(stderr, "sasguard: error writing the report\n");
		return EXIT_INTERNAL;
	}
	return report_blocking(r) || lib->dropped_blocking ? EXIT_FINDINGS : EXIT_CLEAN;
}
