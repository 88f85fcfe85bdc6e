/*
 * report_html.c - --format html: the audit as one self-contained page to open
 * from disk (no network, no external script, font or style), redacted like
 * every output: live blocking tokens first, per repository and account,
 * sortable and filterable tables, each token's validity on one time axis.
 */
#include "report_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Text as HTML text or attribute value: markup escaped, control bytes and
 * invalid UTF-8 shown as U+FFFD so that a hostile path cannot break the page. */
static void esc(FILE *out, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c;) {
		switch (*c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (*c >= 0x20 && *c < 0x7f) {
				fputc(*c, out);
			} else if (*c >= 0x80 && utf8_seq_len(c, SIZE_MAX) > 0) {
				size_t l = utf8_seq_len(c, SIZE_MAX);
				fwrite(c, 1, l, out);
				c += l;
				continue;
			} else {
				fputs("&#xfffd;", out);
			}
		}
		c++;
	}
}

static void when(FILE *out, int64_t t, const char *none)
{
	char buf[32];
	if (t == SG_TIME_NONE) {
		fputs(none, out);
		return;
	}
	sg_time_format(t, buf, sizeof(buf));
	fputs(buf, out);
}

/* A token's standing, most urgent first: the order of the tokens table. */
enum { ST_LIVE, ST_BLOCKING, ST_WARNING, ST_INFO, ST_EXPIRED, ST_ALLOWED };
static const char *const status_name[] = { "live blocking", "blocking", "warning", "info", "expired", "allowed" };

static int status_of(const sg_finding *f)
{
	if (f->allowed)
		return ST_ALLOWED;
	if (sg_finding_blocks(f))
		return f->live ? ST_LIVE : ST_BLOCKING;
	if (f->expired)
		return ST_EXPIRED;
	return f->severity == SG_SEV_WARNING ? ST_WARNING : ST_INFO;
}

/* qsort has no context argument: the report being sorted, one at a time. */
static const report *sort_report;

static int token_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const entry *ex = group_head(sort_report, &sort_report->groups[x]);
	const entry *ey = group_head(sort_report, &sort_report->groups[y]);
	int c = status_of(ex->f) - status_of(ey->f);
	if (!c)
		c = ex->repo - ey->repo;
	if (!c)
		c = strcmp(ex->f->token.account, ey->f->token.account);
	if (!c)
		c = x < y ? -1 : x > y;
	return c;
}

/* The time axis every validity bar shares: from the earliest start to the
 * latest end, today included, so that a 30-year token looks like one. */
typedef struct axis {
	int64_t lo, hi, now;
} axis;

static void axis_make(const report *r, axis *a)
{
	a->now = a->lo = a->hi = r->o->now;
	for (size_t g = 0; g < r->ngroups; g++) {
		const sg_finding *f = group_head(r, &r->groups[g])->f;
		if (f->token.st_time != SG_TIME_NONE && f->token.st_time < a->lo)
			a->lo = f->token.st_time;
		if (f->expires != SG_TIME_NONE && f->expires < a->lo)
			a->lo = f->expires;
		if (f->expires != SG_TIME_NONE && f->expires > a->hi)
			a->hi = f->expires;
	}
	if (a->hi - a->lo < 86400) /* a day at least: no division by zero */
		a->hi = a->lo + 86400;
}

static double axis_pct(const axis *a, int64_t t)
{
	double p = 100.0 * (double)(t - a->lo) / (double)(a->hi - a->lo);
	return p < 0 ? 0 : p > 100 ? 100 : p;
}

/* One token's bar: st (or the axis start, "open": no st) to se (or the
 * axis end, "forever": no expiry), and a line at today. */
static void timeline(FILE *out, const axis *a, const sg_finding *f)
{
	int64_t st = f->token.st_time, se = f->expires;
	double l = st == SG_TIME_NONE ? 0 : axis_pct(a, st);
	double rgt = se == SG_TIME_NONE ? 100 : axis_pct(a, se);
	double w = rgt - l < 0.6 ? 0.6 : rgt - l;
	if (l + w > 100)
		l = 100 - w;
	char life[64] = "";
	if (st != SG_TIME_NONE && se != SG_TIME_NONE && se > st)
		sg_duration_format(se - st, life, sizeof(life));
	fputs("<div class=\"tl\" title=\"", out);
	when(out, st, "no start (st)");
	fputs(" \xe2\x86\x92 ", out);
	when(out, se, "no expiry");
	if (life[0])
		fprintf(out, ", %s", life);
	fprintf(out, "\"><span class=\"bar%s%s%s\" style=\"left:%.2f%%;width:%.2f%%\"></span>",
		f->live ? " live" : "", st == SG_TIME_NONE ? " open" : "", se == SG_TIME_NONE ? " forever" : "", l, w);
	fprintf(out, "<span class=\"now\" style=\"left:%.2f%%\"></span></div>", axis_pct(a, a->now));
	if (life[0])
		fprintf(out, "<div class=\"life\">%s</div>", life);
}

static void place(FILE *out, const entry *e)
{
	if (e->commit)
		fprintf(out, "%.12s:", e->commit);
	esc(out, e->path);
	fprintf(out, ":%zu:%zu", e->f->line, e->f->column);
}

/* The page keeps every place up to this many per token; the JSON has all. */
#define HTML_PLACES 500

static void token_row(report *r, const axis *a, size_t gi)
{
	FILE *out = r->out;
	const token_group *g = &r->groups[gi];
	const entry *e = group_head(r, g);
	const sg_finding *f = e->f;
	const sg_token *t = &f->token;
	int s = status_of(f);

	fprintf(out, "<tr class=\"st%d\" data-status=\"%s\" data-fingerprint=\"%s\"><td data-v=\"%d\">%s</td><td>", s,
		status_name[s], t->fingerprint, s, status_name[s]);
	esc(out, e->repo >= 0 ? r->repos[e->repo].path : "");
	fputs("</td><td>", out);
	esc(out, t->account[0] ? t->account : t->host);
	fprintf(out, "</td><td>%s</td><td>", sg_kind_label(t->kind));
	for (size_t i = 0; i < f->nviolations; i++) {
		fprintf(out, "%s<span class=\"rule\" title=\"", i ? " " : "");
		esc(out, sg_rule_title(f->violations[i].rule));
		fprintf(out, "\">%s</span>", sg_rule_name(f->violations[i].rule));
	}
	fprintf(out, "</td><td class=\"n\" data-v=\"%zu\">%zu</td><td><details><summary>", g->n, g->n);
	place(out, e);
	fputs("</summary><code class=\"tok\">", out);
	esc(out, t->display);
	fputs("</code>", out);
	for (size_t i = 0; i < f->nviolations; i++) {
		const sg_violation *v = &f->violations[i];
		fprintf(out, "<div class=\"why\"><b>%s</b> ", sg_rule_name(v->rule));
		esc(out, v->value);
		fputs(" (limit: ", out);
		esc(out, v->limit);
		fputs(")</div>", out);
	}
	if (f->allowed) {
		fprintf(out, "<div>allowed: %s ", report_allowed_name(f->allowed));
		esc(out, f->allow_reason);
		fputs("</div>", out);
	}
	if (g->n > 1) {
		fputs("<ol class=\"places\">", out);
		for (size_t i = 0; i < g->n && i < HTML_PLACES; i++) {
			fputs("<li>", out);
			place(out, &r->items[g->at[i]]);
			fputs("</li>", out);
		}
		fputs("</ol>", out);
		if (g->n > HTML_PLACES)
			fprintf(out, "<div>and %zu more (the JSON report lists every one)</div>", g->n - HTML_PLACES);
	}
	fprintf(out, "</details></td><td class=\"d\" data-v=\"%lld\">", (long long)(f->expires == SG_TIME_NONE ? INT64_MAX : f->expires));
	when(out, f->expires, "never");
	fputs("</td><td>", out);
	timeline(out, a, f);
	fprintf(out, "</td><td><code>%s</code></td></tr>\n", t->fingerprint);
}

static void revoke_table(report *r)
{
	FILE *out = r->out;
	fputs("<h2>Revoke: one action per account</h2>\n", out);
	if (!r->nrevokes) {
		fputs("<p class=\"ok\">No live token blocks: nothing to revoke.</p>\n", out);
		return;
	}
	fputs("<table class=\"sg\" id=\"sg-revoke\"><thead><tr><th>Account</th><th>Action</th><th class=\"num\">Tokens</th>"
	      "<th class=\"num\">Places</th><th class=\"num\">Live until</th><th>Repositories</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < r->nrevokes; i++) {
		const revoke_group *v = &r->revokes[i];
		const sg_token *t = &group_head(r, &r->groups[v->tokens[0]])->f->token;
		fputs("<tr><td>", out);
		esc(out, t->account[0] ? t->account : t->host[0] ? t->host : "(unknown)");
		fputs("</td><td class=\"act\">", out);
		esc(out, v->action);
		fprintf(out, "</td><td class=\"n\" data-v=\"%zu\">%zu</td><td class=\"n\" data-v=\"%zu\">%zu</td>", v->ntokens,
			v->ntokens, v->places, v->places);
		fprintf(out, "<td data-v=\"%lld\">", (long long)(v->until == SG_TIME_NONE ? INT64_MAX : v->until));
		when(out, v->until, "never");
		fputs("</td><td>", out);
		for (size_t k = 0, said = 0; k < v->ntokens; k++) {
			int repo = revoke_repo_first(r, v, k);
			if (repo < 0)
				continue;
			fputs(said++ ? "<br>" : "", out);
			esc(out, r->repos[repo].path);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void repo_table(report *r)
{
	FILE *out = r->out;
	if (!r->nrepos)
		return;
	fputs("<h2>Repositories</h2>\n<table class=\"sg\" id=\"sg-repos\"><thead><tr><th>Repository</th>"
	      "<th class=\"num\">Live blocking</th><th class=\"num\">Blocking</th><th class=\"num\">Tokens</th>"
	      "<th class=\"num\">Places</th><th>Status</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < r->nrepos; i++) {
		repo_tally t;
		report_repo_tally(r, (int)i, &t);
		fprintf(out, "<tr class=\"%s\"><td>", t.live ? "rl" : t.blocking ? "rb" : "");
		esc(out, r->repos[i].path);
		fprintf(out,
			"</td><td class=\"n\" data-v=\"%zu\">%zu</td><td class=\"n\" data-v=\"%zu\">%zu</td>"
			"<td class=\"n\" data-v=\"%zu\">%zu</td><td class=\"n\" data-v=\"%zu\">%zu</td><td>",
			t.live, t.live, t.blocking, t.blocking, t.tokens, t.tokens, t.places, t.places);
		esc(out, r->repos[i].status ? r->repos[i].status : "judged");
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

/* The page's style and behaviour, inline: the page must work opened from
 * disk with no network, and the Content-Security-Policy forbids anything else. */
static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}"
	"h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.6em 0 .4em}"
	".sum{display:flex;gap:1.2em;flex-wrap:wrap;margin:.6em 0}.sum div{background:#f3f3f3;padding:.4em .8em;border-radius:4px}"
	".sum b{font-size:1.3em;display:block}.sum .bad b{color:#b00020}"
	"table{border-collapse:collapse;width:100%;margin:.3em 0}"
	"th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
	"th{background:#f6f6f6;cursor:pointer;user-select:none;white-space:nowrap}"
	"th[aria-sort=ascending]::after{content:' \\25b2'}th[aria-sort=descending]::after{content:' \\25bc'}"
	"td.n{text-align:right}code{font:12px monospace;word-break:break-all}"
	".tok{display:block;margin:.3em 0;color:#444}.act{max-width:28em;font-size:12px}"
	"tr.st0 td:first-child{color:#fff;background:#b00020;font-weight:bold}"
	"tr.st1 td:first-child{color:#b00020;font-weight:bold}tr.st2 td:first-child{color:#8a5a00}"
	"tr.st4 td:first-child,tr.st5 td:first-child{color:#777}tr.rl td:first-child,tr.rb td:first-child{color:#b00020;font-weight:bold}"
	".rule{background:#eee;border-radius:3px;padding:0 .3em;font-size:12px;white-space:nowrap}td.d{white-space:nowrap}"
	".tl{position:relative;height:12px;min-width:14em;background:#f0f0f0;border-radius:2px}"
	".bar{position:absolute;top:1px;height:10px;background:#888;border-radius:2px}"
	".bar.live{background:#b00020}.bar.open{border-left:2px dashed #fff}.bar.forever{border-right:3px double #000}"
	".now{position:absolute;top:-2px;height:16px;width:2px;background:#0050b3}"
	".life{font-size:11px;color:#555}.axis{display:flex;justify-content:space-between;font-size:11px;color:#555}"
	".ok{color:#1a7f37}.ctl{margin:.5em 0}.ctl input{width:22em}ol.places{margin:.3em 0;padding-left:1.5em;font:12px monospace}"
	"#sg-errors{color:#b00020}";

static const char onerror_js[] =
	/* first of all: any error, failed check or policy violation is kept on
	 * the page, where a person and the browser test both see it */
	"(function(){var d=document.documentElement;function keep(m){var o=d.getAttribute('data-sg-error')||'';"
	"d.setAttribute('data-sg-error',o+(o?' | ':'')+m);}"
	"window.addEventListener('error',function(e){keep('error: '+(e.message||e.type));},true);"
	"window.addEventListener('unhandledrejection',function(e){keep('rejection: '+e.reason);});"
	"document.addEventListener('securitypolicyviolation',function(e){keep('csp: '+e.violatedDirective+' '+e.blockedURI);});"
	"var ce=console.error;console.error=function(){keep('console: '+Array.prototype.join.call(arguments,' '));"
	"return ce.apply(console,arguments);};})();";

static const char main_js[] =
	"(function(){"
	"function cellKey(c){var v=c.getAttribute('data-v');return v===null?c.textContent.trim().toLowerCase():Number(v);}"
	"function sortBy(t,i,th){var asc=th.getAttribute('aria-sort')!=='ascending';"
	"Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h){h.removeAttribute('aria-sort');});"
	"th.setAttribute('aria-sort',asc?'ascending':'descending');"
	"var b=t.tBodies[0],rs=Array.prototype.slice.call(b.rows);"
	"rs.forEach(function(r,k){r.sgOrder=k;});"
	"rs.sort(function(x,y){var p=cellKey(x.cells[i]),q=cellKey(y.cells[i]);"
	"var c=p<q?-1:p>q?1:0;return (asc?c:-c)||x.sgOrder-y.sgOrder;});"
	"rs.forEach(function(r){b.appendChild(r);});}"
	"Array.prototype.forEach.call(document.querySelectorAll('table.sg'),function(t){"
	"Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
	"th.addEventListener('click',function(){sortBy(t,i,th);});});});"
	"var tt=document.getElementById('sg-tokens'),q=document.getElementById('sg-filter'),"
	"s=document.getElementById('sg-status'),shown=document.getElementById('sg-shown');"
	"function filter(){if(!tt)return;var w=q.value.toLowerCase(),st=s.value,n=0,all=tt.tBodies[0].rows;"
	"Array.prototype.forEach.call(all,function(r){var ok=(!st||r.getAttribute('data-status')===st)&&"
	"(!w||r.textContent.toLowerCase().indexOf(w)>=0);r.hidden=!ok;n+=ok;});"
	"shown.textContent=n+' of '+all.length+' tokens shown';}"
	"if(q){q.addEventListener('input',filter);s.addEventListener('change',filter);}"
	/* a link can carry a view: #status=live%20blocking&q=acct&sort=5 (column, - descending) */
	"var h={};location.hash.replace(/^#/,'').split('&').forEach(function(kv){var i=kv.indexOf('=');"
	"if(i>0)h[kv.slice(0,i)]=decodeURIComponent(kv.slice(i+1));});"
	"if(q&&h.q)q.value=h.q;if(s&&h.status)s.value=h.status;"
	"if(tt&&h.sort){var c=Math.abs(parseInt(h.sort,10)),th=tt.tHead.rows[0].cells[c];"
	"if(th){sortBy(tt,c,th);if(h.sort.charAt(0)==='-')sortBy(tt,c,th);}}"
	"filter();"
	"document.documentElement.setAttribute('data-sg-ready','1');})();";

void report_html(report *r, const sg_stats *lib, const report_stats *st)
{
	FILE *out = r->out;
	size_t places = 0, blocking = 0, live = 0;
	axis a;
	size_t *order = malloc((r->ngroups + 1) * sizeof(*order));

	for (size_t g = 0; g < r->ngroups; g++) {
		const sg_finding *f = group_head(r, &r->groups[g])->f;
		places += r->groups[g].n;
		blocking += sg_finding_blocks(f) != 0;
		live += sg_finding_blocks(f) && f->live;
		if (order)
			order[g] = g;
	}
	if (order) {
		sort_report = r;
		qsort(order, r->ngroups, sizeof(*order), token_cmp);
		sort_report = NULL;
	}
	axis_make(r, &a);

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "script-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>sasguard ",
	      out);
	fputs(report_mode_name(r->o->mode), out);
	fputs(" report, ", out);
	when(out, r->o->now, "");
	fprintf(out, "</title>\n<style>%s</style>\n<script>%s</script>\n</head><body>\n", style, onerror_js);
	fputs("<h1>sasguard: Azure SAS tokens and keys</h1>\n<div>", out);
	fputs(report_mode_name(r->o->mode), out);
	fputs(", judged as of ", out);
	when(out, r->o->now, "");
	fprintf(out, " by sasguard %s</div>\n<div class=\"sum\">", SG_VERSION);
	fprintf(out, "<div class=\"%s\"><b id=\"sg-live\">%zu</b>live blocking tokens</div>", live ? "bad" : "", live);
	fprintf(out, "<div class=\"%s\"><b>%zu</b>blocking tokens</div>", blocking ? "bad" : "", blocking);
	fprintf(out, "<div><b id=\"sg-ntokens\">%zu</b>tokens</div><div><b id=\"sg-nplaces\">%zu</b>places</div>",
		r->ngroups, places);
	if (r->nrepos)
		fprintf(out, "<div><b>%zu</b>repositories</div>", r->nrepos);
	fprintf(out, "<div><b>%llu</b>%s read</div>", st->files,
		r->o->mode == MODE_PRE_RECEIVE || r->o->mode == MODE_HISTORY ? "blobs" : "files");
	if (st->commits)
		fprintf(out, "<div><b>%llu</b>commits</div>", st->commits);
	fputs("</div>\n<div id=\"sg-errors\"></div>\n", out);

	revoke_table(r);

	fputs("<h2>Tokens</h2>\n<div class=\"ctl\"><input id=\"sg-filter\" type=\"search\" placeholder=\"filter: account, "
	      "path, rule, fingerprint...\"> <select id=\"sg-status\"><option value=\"\">every status</option>",
	      out);
	for (size_t i = 0; i < sizeof(status_name) / sizeof(status_name[0]); i++)
		fprintf(out, "<option>%s</option>", status_name[i]);
	fputs("</select> <span id=\"sg-shown\"></span></div>\n", out);
	fputs("<table class=\"sg\" id=\"sg-tokens\"><thead><tr><th>Status</th><th>Repository</th><th>Account</th>"
	      "<th>Kind</th><th>Rules</th><th class=\"num\">Places</th><th>Where (first place)</th><th>Expires</th>"
	      "<th>Validity, st \xe2\x86\x92 se (blue: today)<span class=\"axis\"><span>",
	      out);
	char day[32];
	sg_time_format(a.lo, day, sizeof(day));
	fprintf(out, "%.10s</span><span>", day);
	sg_time_format(a.hi, day, sizeof(day));
	fprintf(out, "%.10s</span></span></th><th>Fingerprint</th></tr></thead><tbody>\n", day);
	for (size_t k = 0; k < r->ngroups; k++)
		token_row(r, &a, order ? order[k] : k);
	fputs("</tbody></table>\n", out);

	repo_table(r);

	if (r->nnotes) {
		fputs("<h2>Notes</h2>\n<ul>", out);
		for (size_t i = 0; i < r->nnotes; i++) {
			fputs("<li>", out);
			esc(out, r->notes[i]);
			fputs("</li>", out);
		}
		fputs("</ul>\n", out);
	}
	fprintf(out,
		"<p class=\"life\">%llu bytes read, %llu tokens parsed, %llu placeholders and %llu emulator "
		"tokens passed over. Secrets are cut to their first 4 characters; a fingerprint names a token "
		"without revealing it.</p>\n",
		(unsigned long long)lib->bytes, (unsigned long long)lib->tokens, (unsigned long long)lib->placeholders,
		(unsigned long long)lib->emulator);
	fprintf(out, "<script>%s</script>\n</body></html>\n", main_js);
	free(order);
}
