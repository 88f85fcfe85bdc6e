/*
 * scan.c - find tokens in a buffer: a memchr prefilter for "sig=", "sig%3D",
 * "AccountKey=" and "SharedAccessKey=" (as bytes, or as UTF-16 among other
 * bytes), then, only in a window around each hit (joined with the string
 * literals it was split into), decoding and PCRE2 (JIT) to cut out the
 * token, then parse and judge.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "internal.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A token is never longer than this either side of its anchor (real ones are
 * < 2 KiB); the cap keeps hostile input (endless lines of "sig=") linear. */
#define WINDOW_CAP 8192
/* Beyond this many findings in one buffer, findings are counted, not kept. */
#define MAX_FINDINGS_PER_BUFFER 10000
#define MATCH_LIMIT 1000000
/* A token split into string literals ("..?sv=..&sp=rw" + "&se=..&sig=..",
 * Python's implicit concatenation, a comment line between): a part is joined
 * to the next when that one starts at most JOIN_LINES lines below it, with
 * only blanks, concatenation operators and comments between them (README). */
#define JOIN_LINES 3
#define JOIN_PARTS 8     /* parts joined each way from the anchor's */
#define JOIN_GAP 1024    /* bytes between two parts, at most */
#define JOIN_TRIES 8     /* quotes tried, going back, as the previous part's end */

/* One key=value query: "sv=..&sig=..", values may hold '=' '?' ':' '/'. */
static const char QUERY_PATTERN[] =
	"(?<![A-Za-z0-9_.-])[A-Za-z][A-Za-z0-9_.-]{0,39}=[^&;\\s\"'<>`\\\\]*+"
	"(?:&++[A-Za-z][A-Za-z0-9_.-]{0,39}=[^&;\\s\"'<>`\\\\]*+)*+";
/* A connection string: "Name=value;Name=value", a SAS value may hold '&'. */
static const char CONN_PATTERN[] =
	"(?<![A-Za-z0-9_.-])[A-Za-z][A-Za-z0-9]{0,39}=[^;\\s\"'<>`\\\\]*+"
	"(?:;++[A-Za-z][A-Za-z0-9]{0,39}=[^;\\s\"'<>`\\\\]*+)*+;?";

enum anchor_type { ANCHOR_NONE, ANCHOR_SAS, ANCHOR_KEY };

struct sg_scanner {
	const sg_policy *policy;
	int64_t now;
	pcre2_code *re_query;
	pcre2_code *re_conn;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	sg_window levels[3]; /* markup-decoded, then percent-decoded once and twice */
	sg_window b64;       /* a base64 run decoded, before the levels */
	sg_window wide;      /* a UTF-16 run among other bytes, decoded */
	sg_window joined;    /* the string literals a token was split into, joined */
	const sg_baseline *baseline; /* borrowed; may be NULL */
	sg_stats stats;
};

/* Per-call state of sg_scan_buffer. */
typedef struct scan_ctx {
	sg_scanner *s;
	const char *path;
	const char *buf;
	size_t len;
	size_t line;       /* line number at offset counted */
	size_t line_start; /* offset where that line starts */
	size_t counted;    /* newlines before this offset are counted */
	size_t kept;       /* findings appended by this call */
	/* tokens taken in the current window: a decoded level, or another reading
	 * of a UTF-16 run, may find one again */
	struct {
		uint64_t secret; /* the secret's hash, whatever kind the token was read as */
		size_t offset, end;
	} taken[32];
	size_t ntaken;
	int rc;            /* first error kept to return */
	const char *note;  /* how the window was stored (base64, UTF-16), for its findings */
	int wide_read;     /* the whole buffer was decoded as UTF-16: its units start at
			    * even offsets, 0 little-endian, 1 big-endian; -1: it was not */
	int dry;           /* a reading the decoded buffer gave already: its tokens are
			    * taken (not found again) but not reported again */
	sg_findings *out;
} scan_ctx;

/* A '[' or ']' around an IPv6 host ("https://[::1]:10000/..."): part of the URL. */
static int url_bracket(const char *buf, size_t len, size_t j)
{
	if (buf[j] == '[')
		return j >= 2 && buf[j - 1] == '/' && buf[j - 2] == '/';
	if (buf[j] != ']' || j + 1 >= len || (buf[j + 1] != ':' && buf[j + 1] != '/'))
		return 0;
	for (size_t k = j; k > 0 && j - k < 48; k--)
		if (buf[k - 1] == '[')
			return url_bracket(buf, len, k - 1);
	return 0;
}

static pcre2_code *compile(const char *pattern, sg_diag *diag)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(err, msg, sizeof(msg));
		if (diag)
			snprintf(diag->msg, sizeof(diag->msg), "pattern error at %zu: %s", (size_t)off,
				 (char *)msg);
		return NULL;
	}
	/* Without JIT (SELinux, W^X) pcre2_match falls back to the interpreter. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

int sg_scanner_new(sg_scanner **out, const sg_policy *p, sg_diag *diag)
{
	sg_scanner *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return SG_ENOMEM;
	s->policy = p;
	s->now = (int64_t)time(NULL);
	s->re_query = compile(QUERY_PATTERN, diag);
	s->re_conn = compile(CONN_PATTERN, diag);
	if (!s->re_query || !s->re_conn) {
		sg_scanner_free(s);
		return SG_EINTERNAL;
	}
	s->md = pcre2_match_data_create(4, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	s->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (!s->md || !s->mctx || !s->jit) {
		sg_scanner_free(s);
		return SG_ENOMEM;
	}
	pcre2_set_match_limit(s->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(s->mctx, 10000);
	pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
	*out = s;
	return SG_OK;
}

void sg_scanner_free(sg_scanner *s)
{
	if (!s)
		return;
	pcre2_code_free(s->re_query);
	pcre2_code_free(s->re_conn);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	pcre2_jit_stack_free(s->jit);
	for (size_t i = 0; i < 3; i++)
		sg_window_free(&s->levels[i]);
	sg_window_free(&s->b64);
	sg_window_free(&s->wide);
	sg_window_free(&s->joined);
	free(s);
}

void sg_scanner_set_baseline(sg_scanner *s, const sg_baseline *b)
{
	s->baseline = b;
}

void sg_scanner_set_match_limit(sg_scanner *s, uint32_t limit)
{
	pcre2_set_match_limit(s->mctx, limit);
}

void sg_scanner_set_now(sg_scanner *s, int64_t now)
{
	s->now = now;
}

int64_t sg_scanner_now(const sg_scanner *s)
{
	return s->now;
}

const sg_stats *sg_scanner_stats(const sg_scanner *s)
{
	return &s->stats;
}

void sg_scanner_set_stats(sg_scanner *s, const sg_stats *to)
{
	s->stats = *to;
}

int sg_buffer_is_binary(const char *buf, size_t len)
{
	return memchr(buf, '\0', len < 8000 ? len : 8000) != NULL && sg_text_detect(buf, len) == SG_TEXT_BYTES;
}

/* How many times the '=' at buf[i] was percent-encoded: "=" 0, "%3D" 1, "%253D" 2. */
static int encoding_depth(const char *buf, size_t len, size_t i)
{
	if (buf[i] != '%')
		return 0;
	if (i + 3 <= len && buf[i + 1] == '3' && sg_lower((unsigned char)buf[i + 2]) == 'd')
		return 1;
	if (i + 5 <= len && buf[i + 1] == '2' && buf[i + 2] == '5' && buf[i + 3] == '3' &&
	    sg_lower((unsigned char)buf[i + 4]) == 'd')
		return 2;
	return -1;
}

/* Is the '=' or '%' at buf[i] the end of "sig", "AccountKey" or "SharedAccessKey"? */
static enum anchor_type anchor_at(const char *buf, size_t len, size_t i)
{
	if (i < 3)
		return ANCHOR_NONE;
	int last = sg_lower((unsigned char)buf[i - 1]);
	if (last == 'g' && sg_ci_equal(buf + i - 3, "sig", 3))
		return encoding_depth(buf, len, i) >= 0 ? ANCHOR_SAS : ANCHOR_NONE;
	if (last == 'y' && buf[i] == '=' &&
	    ((i >= 10 && sg_ci_equal(buf + i - 10, "accountkey", 10)) ||
	     (i >= 15 && sg_ci_equal(buf + i - 15, "sharedaccesskey", 15))))
		return ANCHOR_KEY;
	return ANCHOR_NONE;
}

/* Can the value after the anchor at buf[i] be a signature? A real one is 44
 * base64 characters, so at least 44 bytes of base64, '%' escapes or JSON
 * '\\u' escapes follow: "sig=...", "sig=<signature>", "sig=REDACTED" are
 * dismissed here, before any window is decoded (10^6 of them cost nothing). */
static int signature_plausible(const char *buf, size_t len, size_t i)
{
	size_t v = i + (buf[i] == '=' ? 1 : encoding_depth(buf, len, i) == 1 ? 3 : 5), n = 0;
	while (v + n < len && n < 44) {
		unsigned char ch = (unsigned char)buf[v + n];
		if (!sg_is_b64(ch) && ch != '%' && ch != '=' && ch != '\\')
			break;
		n++;
	}
	return n >= 44;
}

static void count_lines(scan_ctx *c, size_t to)
{
	const char *p = c->buf + c->counted, *end = c->buf + to;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c->line++;
		c->line_start = (size_t)(++p - c->buf);
	}
	c->counted = to;
}

/* The line and its start for offset at or after c->counted, counting no
 * further (a window joined over lines holds tokens on several). */
static void line_of(const scan_ctx *c, size_t offset, size_t *line, size_t *start)
{
	const char *p = c->buf + c->counted, *end = c->buf + offset;
	*line = c->line;
	*start = c->line_start;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		(*line)++;
		*start = (size_t)(++p - c->buf);
	}
}

/* The inline allowance "sasguard:allow <reason>" near the token on its line. */
static void inline_allowance(scan_ctx *c, size_t from, size_t to, sg_finding *f)
{
	static const char marker[] = "sasguard:allow";
	size_t lo = from > c->line_start + 4096 ? from - 4096 : c->line_start;
	size_t hi = to + 4096 < c->len ? to + 4096 : c->len;
	const char *nl = memchr(c->buf + to, '\n', hi - to);
	if (nl)
		hi = (size_t)(nl - c->buf);
	const char *m = memmem(c->buf + lo, hi - lo, marker, sizeof(marker) - 1);
	if (!m)
		return;
	const char *r = m + sizeof(marker) - 1, *e = c->buf + hi;
	while (r < e && (*r == ' ' || *r == '\t' || *r == ':'))
		r++;
	while (e > r && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '/' ||
			 e[-1] == '*' || e[-1] == '>' || e[-1] == '-' || e[-1] == '"' || e[-1] == '#'))
		e--;
	int words = 0;
	for (const char *q = r; q < e; q++)
		words |= sg_is_alnum((unsigned char)*q);
	if (!words) {
		snprintf(f->note, sizeof(f->note), "sasguard:allow without a reason is ignored");
		return;
	}
	size_t n = (size_t)(e - r) < sizeof(f->allow_reason) - 1 ? (size_t)(e - r)
								 : sizeof(f->allow_reason) - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)r[i];
		f->allow_reason[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	f->allow_reason[n] = '\0';
	f->allowed = SG_ALLOWED_INLINE;
}

/* FNV-1a: tells the secrets of the few tokens of one window apart, cheaply
 * (a SHA-256 per token cost token-dense text a tenth of its rate). */
static uint64_t secret_hash(const char *secret)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)secret; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

/* Parses, judges and keeps the token at text[start..end) of a decoded level. */
static void take_token(scan_ctx *c, const sg_window *w, size_t start, size_t end, size_t wend)
{
	sg_scanner *s = c->s;
	sg_token tok;
	int rc = sg_token_parse(w->text + start, end - start, &tok);
	if (rc == SG_EINVAL) {
		s->stats.placeholders++;
		return;
	}
	if (rc < 0) {
		c->rc = rc;
		return;
	}
	if (tok.emulator) {
		s->stats.emulator++;
		sg_token_clear(&tok);
		return;
	}
	tok.offset = w->map[start];
	tok.length = (end < w->len ? w->map[end] : wend) - tok.offset;
	/* "rscd=x%26sig%3D<sig>&...&sig=<sig>": level 0 and level 1 both see it;
	 * "u=https://..?sv=..": one UTF-16 reading from 'u', the other from 'h';
	 * "srt=sco&..": one reading from 's' (an account SAS), the other from 'r'.
	 * The same secret over the same bytes is one token. */
	size_t tok_end = tok.offset + tok.length;
	uint64_t secret = secret_hash(tok.secret ? tok.secret : tok.fingerprint);
	for (size_t k = 0; k < c->ntaken; k++)
		if (c->taken[k].offset < tok_end && tok.offset < c->taken[k].end && c->taken[k].secret == secret) {
			sg_token_clear(&tok);
			return;
		}
	if (c->ntaken < sizeof(c->taken) / sizeof(c->taken[0])) {
		c->taken[c->ntaken].secret = secret;
		c->taken[c->ntaken].offset = tok.offset;
		c->taken[c->ntaken++].end = tok_end;
	}
	if (c->dry) {
		sg_token_clear(&tok);
		return;
	}
	s->stats.tokens++;

	sg_finding *f = malloc(sizeof(*f));
	if (!f) {
		sg_token_clear(&tok);
		c->rc = SG_ENOMEM;
		return;
	}
	if (!sg_token_judge(&tok, s->policy, s->now, f)) {
		sg_token_clear(&tok);
		free(f);
		return;
	}
	size_t line_start;
	line_of(c, f->token.offset, &f->line, &line_start);
	f->column = f->token.offset - line_start + 1;
	/* Every allowance is decided here, the same in every mode. */
	if (c->path && sg_policy_path_allowed(s->policy, c->path))
		f->allowed = SG_ALLOWED_PATH;
	else
		inline_allowance(c, f->token.offset, f->token.offset + f->token.length, f);
	if (!f->allowed && sg_baseline_has(s->baseline, f->token.fingerprint))
		f->allowed = SG_ALLOWED_BASELINE;
	if (c->note && !f->note[0])
		snprintf(f->note, sizeof(f->note), "%s", c->note);
	/* no token holds a quote: one that spans one was joined from literals */
	if (!f->note[0] && (memchr(c->buf + f->token.offset, '"', f->token.length) ||
			    memchr(c->buf + f->token.offset, '\'', f->token.length)))
		snprintf(f->note, sizeof(f->note), "split over string literals; shown joined");
	if (!f->note[0] && f->token.nparams == 1 && f->token.sig)
		snprintf(f->note, sizeof(f->note),
			 "a signature alone: the rest of its token is not within %d lines", JOIN_LINES);
	if (c->kept >= MAX_FINDINGS_PER_BUFFER) {
		s->stats.dropped++;
		if (sg_finding_blocks(f))
			s->stats.dropped_blocking++;
		sg_finding_free(f);
		return;
	}
	c->kept++;
	if (sg_findings_push(c->out, f) < 0)
		c->rc = SG_ENOMEM;
}

/* Runs re over text from *at; returns 1 with [*ms, *me) or 0 when no more. */
static int next_match(scan_ctx *c, pcre2_code *re, const sg_window *w, size_t *at, size_t *ms,
		      size_t *me)
{
	sg_scanner *s = c->s;
	if (*at >= w->len)
		return 0;
	int rc = pcre2_match(re, (PCRE2_SPTR)w->text, w->len, *at, 0, s->md, s->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
			s->stats.limit_hits++;
			if (!c->rc)
				c->rc = SG_ELIMIT;
		} else {
			c->rc = SG_EINTERNAL;
		}
		return 0;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
	*ms = ov[0];
	*me = ov[1];
	*at = *me > *ms ? *me : *me + 1;
	return 1;
}

/* Where "sig=" starts among the parameters of run [ms, me), or SIZE_MAX. */
static size_t find_sig(const sg_window *w, size_t ms, size_t me)
{
	for (size_t i = ms; i + 4 <= me; i++) {
		if ((i == ms || w->text[i - 1] == '&') && sg_ci_equal(w->text + i, "sig=", 4))
			return i;
		const char *amp = memchr(w->text + i, '&', me - i);
		if (!amp)
			break;
		i = (size_t)(amp - w->text);
	}
	return (size_t)-1;
}

/* Where the URL that ends in '?' at text[q] begins: at its scheme, or after '='. */
static size_t url_start(const sg_window *w, size_t q)
{
	size_t i = q;
	/* brackets in a window are an IPv6 host's: the window stops at others */
	while (i > 0 && (sg_is_token_char((unsigned char)w->text[i - 1]) || w->text[i - 1] == '[' || w->text[i - 1] == ']') &&
	       w->text[i - 1] != '=' && w->text[i - 1] != '&' && w->text[i - 1] != ';' && w->text[i - 1] != ',')
		i--;
	/* "sha256:https://..." or "x:https://...": the URL starts at its scheme,
	 * the letters before the first "://", as the token is displayed */
	for (size_t k = i; k + 3 <= q; k++)
		if (memcmp(w->text + k, "://", 3) == 0)
			return sg_scheme_start(w->text, k, i);
	return i;
}

/* The connection-string match of text that contains offset pos, if any. */
static int enclosing_conn(scan_ctx *c, const sg_window *w, size_t pos, size_t *cs, size_t *ce)
{
	size_t at = 0, ms, me;
	while (next_match(c, c->s->re_conn, w, &at, &ms, &me))
		if (ms <= pos && pos < me) {
			*cs = ms;
			*ce = me;
			return 1;
		}
	return 0;
}

/* Does conn-string text hold a key segment (AccountKey= or SharedAccessKey=)? */
static int conn_has_key(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i && t[i - 1] != ';')
			continue;
		if ((n - i >= 11 && sg_ci_equal(t + i, "AccountKey=", 11)) ||
		    (n - i >= 16 && sg_ci_equal(t + i, "SharedAccessKey=", 16)))
			return 1;
	}
	return 0;
}

/* SAS tokens in one decoded level whose '=' after sig was encoded depth times. */
static void sas_in_level(scan_ctx *c, const sg_window *w, int depth, size_t wend)
{
	size_t at = 0, ms, me;
	while (next_match(c, c->s->re_query, w, &at, &ms, &me)) {
		size_t sig = find_sig(w, ms, me);
		if (sig == (size_t)-1 ||
		    encoding_depth(c->buf, c->len, w->map[sig + 3]) != depth)
			continue;
		size_t start = ms, end = me;
		const char *first_eq = memchr(w->text + ms, '=', me - ms);
		size_t first_name = (size_t)(first_eq - (w->text + ms));
		if ((ms > 0 && w->text[ms - 1] == ';') ||
		    (first_name == 21 && sg_ci_equal(w->text + ms, "SharedAccessSignature", 21))) {
			size_t cs, ce;
			/* A connection string with a key is reported for its key (by
			 * keys_in_level); its SAS then stands alone. */
			if (enclosing_conn(c, w, ms, &cs, &ce) && !conn_has_key(w->text + cs, ce - cs)) {
				start = cs;
				end = ce;
			}
		} else if (ms > 0 && w->text[ms - 1] == '?') {
			start = url_start(w, ms - 1);
		} else if (ms >= 22 && sg_ci_equal(w->text + ms - 22, "SharedAccessSignature ", 22)) {
			start = ms - 22;
		}
		take_token(c, w, start, end, wend);
		if (c->rc == SG_ENOMEM)
			return;
	}
}

/* Storage and Service Bus keys in connection strings. */
static void keys_in_level(scan_ctx *c, const sg_window *w, size_t wend)
{
	size_t at = 0, ms, me;
	while (next_match(c, c->s->re_conn, w, &at, &ms, &me)) {
		if (conn_has_key(w->text + ms, me - ms))
			take_token(c, w, ms, me, wend);
		if (c->rc == SG_ENOMEM)
			return;
	}
}

/* Does the level's text hold "sig" followed by an '=' encoded depth times? */
static int has_encoded_sig(const char *t, size_t n, int depth)
{
	const char *want = depth == 1 ? "sig%3d" : "sig%253d";
	size_t l = strlen(want);
	for (size_t i = 0; i + l <= n; i++)
		if (sg_lower((unsigned char)t[i]) == 's' && sg_ci_equal(t + i, want, l))
			return 1;
	return 0;
}

/* A cheap look for a key segment before running the connection-string pattern. */
static int conn_has_key_anywhere(const char *t, size_t n)
{
	for (const char *p = t; (p = memchr(p, '=', (size_t)(t + n - p))) != NULL; p++)
		if (p - t >= 10 && sg_lower((unsigned char)p[-1]) == 'y' &&
		    (sg_ci_equal(p - 10, "accountkey", 10) ||
		     (p - t >= 15 && sg_ci_equal(p - 15, "sharedaccesskey", 15))))
			return 1;
	return 0;
}

/* Decodes buf[ws..we) level by level and takes every token in it. A window
 * stored otherwise (base64, UTF-16) comes decoded in pre, its map leading
 * back to buf, and note says how it was stored. The caller empties c->taken
 * (two readings of one UTF-16 run share it). */
static void scan_window(scan_ctx *c, size_t ws, size_t we, enum anchor_type type, const sg_window *pre,
			const char *note)
{
	sg_scanner *s = c->s;
	int rc;
	if (!s) { /* never: the scan's own scanner; said for the analyzer */
		c->rc = SG_EINTERNAL;
		return;
	}
	sg_window *w0 = &s->levels[0];

	count_lines(c, ws);
	c->note = note;
	if (pre)
		rc = sg_decode_markup(pre->text, pre->len, pre->map, 0, w0) < 0;
	else
		rc = sg_decode_markup(c->buf + ws, we - ws, NULL, ws, w0) < 0;
	if (rc) {
		c->rc = SG_ENOMEM;
		return;
	}
	if (type == ANCHOR_KEY || conn_has_key_anywhere(w0->text, w0->len))
		keys_in_level(c, w0, we);
	sas_in_level(c, w0, 0, we);
	int deepest = has_encoded_sig(w0->text, w0->len, 2) ? 2 : has_encoded_sig(w0->text, w0->len, 1);
	for (int depth = 1; depth <= deepest; depth++) {
		const sg_window *prev = &s->levels[depth - 1];
		if (sg_decode_percent(prev->text, prev->len, prev->map, &s->levels[depth]) < 0) {
			c->rc = SG_ENOMEM;
			return;
		}
		sas_in_level(c, &s->levels[depth], depth, we);
	}
}

/*
 * Tokens kept in base64 (a Kubernetes Secret's data: values): a second pass
 * over the buffer, stopping at the 'P', 'W' and 'Z' that every encoded anchor
 * holds, decoding only the base64 run around an anchor that is one. It goes
 * block by block so that its three memchr sweeps read each block from memory
 * once and from cache twice (three whole-buffer sweeps halved the rate).
 */
#define B64_BLOCK (64u << 10)

static void scan_base64(scan_ctx *c, size_t first_line)
{
	static const char keys[] = { 'P', 'W', 'Z' };
	size_t done = 0;

	c->line = first_line;
	c->line_start = 0;
	c->counted = 0;
	for (size_t b = 0; b < c->len; b += B64_BLOCK) {
		const char *next[3] = { NULL, NULL, NULL };
		const char *end = c->buf + (c->len - b > B64_BLOCK ? b + B64_BLOCK : c->len);
		size_t pos = b > done ? b : done;
		while (c->buf + pos < end) {
			const char *hit = end;
			for (int k = 0; k < 3; k++) {
				if (next[k] != end && (!next[k] || next[k] < c->buf + pos)) {
					next[k] = memchr(c->buf + pos, keys[k], (size_t)(end - c->buf) - pos);
					next[k] = next[k] ? next[k] : end;
				}
				hit = next[k] < hit ? next[k] : hit;
			}
			if (hit == end)
				break;
			size_t i = (size_t)(hit - c->buf), ws;
			pos = i + 1;
			enum sg_b64_kind kind = sg_base64_anchor(c->buf, c->len, i, &ws);
			if (kind == SG_B64_NONE)
				continue;
			c->s->stats.anchors++;
			size_t we = sg_base64_run(c->buf, c->len, &ws, WINDOW_CAP);
			while (ws < done) /* the last window reached this run: go on after it */
				ws += 4;
			if (ws >= we)
				continue;
			c->ntaken = 0;
			if (sg_decode_base64(c->buf + ws, we - ws, ws, &c->s->b64) < 0) {
				c->rc = SG_ENOMEM;
				return;
			}
			scan_window(c, ws, we, kind == SG_B64_KEY ? ANCHOR_KEY : ANCHOR_SAS, &c->s->b64,
				    "base64-encoded here; shown decoded");
			if (c->rc == SG_ENOMEM || c->rc == SG_EINTERNAL)
				return;
			done = we;
			pos = pos < done ? done : pos;
		}
	}
}

/*
 * ASCII strings stored as UTF-16 among other bytes: executables, .NET
 * assemblies, .pdb files, old Office documents and registry hives hold their
 * strings so. At an '=' or '%' the byte scan already stops at, a NUL before
 * it and the name's last letter before that ("s\0i\0g\0=", either byte
 * order) is all ordinary text pays, and text never has that NUL.
 */
static int wide_anchor_near(const char *buf, size_t i)
{
	if (i < 6 || buf[i - 1] != '\0' || buf[i - 3] != '\0')
		return 0;
	int last = sg_lower((unsigned char)buf[i - 2]);
	return last == 'g' || last == 'y';
}

/* Characters of a UTF-16 run decoded to judge the anchor in it: back over
 * "SharedAccessKey", forward over "%253D" and the 44 of a signature. */
#define WIDE_BACK 16
#define WIDE_FWD 52

#define WIDE_NOTE "UTF-16 inside binary content; shown decoded"

/* Scans the characters [from, to) of the decoded run s->wide around its
 * anchor at k, cut as a byte window is cut; returns where it ends, 0 if the
 * anchor is not among them. */
static size_t wide_reading(scan_ctx *c, enum anchor_type type, size_t k, size_t from, size_t to)
{
	const sg_window *u = &c->s->wide;
	size_t a = k, b = k;

	if (k < from || k >= to)
		return 0;
	/* brackets only around an IPv6 host, as in a byte window */
	while (a > from && (sg_is_token_char((unsigned char)u->text[a - 1]) || url_bracket(u->text, to, a - 1)))
		a--;
	while (b < to && sg_is_token_char((unsigned char)u->text[b]))
		b++;
	sg_window view = { u->text + a, u->map + a, b - a, 0 };
	scan_window(c, u->map[a], u->map[b - 1] + 1, type, &view, WIDE_NOTE);
	return u->map[b - 1] + 1;
}

/*
 * The UTF-16 run around the '=' or '%' at buf[i], if it holds an anchor:
 * decoded a few characters first (hostile runs of "g\0=\0" cost no more
 * than that), then whole, and scanned. Returns where its window ended, or
 * done when there was none.
 *
 * Inside a run each character has a NUL on both sides; only its ends tell
 * the byte order. A last character whose next byte is not NUL is no
 * little-endian unit (a stray byte after the string, or big-endian text); a
 * first character whose previous byte is not NUL is no big-endian one. Such
 * a run is read both ways, little-endian first (what Windows writes): a
 * stray character glued to a signature would hide it either way. A token
 * both readings hold (its secret over the same bytes) is kept once.
 *
 * In the raw bytes of a buffer decoded whole as UTF-16, the reading of the
 * units it decoded was done: it goes first, dry (its tokens only taken, so
 * that the other reading does not report them again), and alone when the
 * run's ends leave no other.
 */
static size_t scan_wide(scan_ctx *c, size_t i, size_t done)
{
	sg_scanner *s = c->s;
	char look[WIDE_BACK + WIDE_FWD + 1];
	size_t first, n = sg_utf16_run(c->buf, c->len, i, done, WIDE_BACK, 5, look, NULL, &first);
	size_t k = (i - first) / 2;
	enum anchor_type type = anchor_at(look, n, k);

	if (type == ANCHOR_NONE)
		return done;
	if (type == ANCHOR_SAS) {
		n = sg_utf16_run(c->buf, c->len, i, done, WIDE_BACK, WIDE_FWD, look, NULL, &first);
		if (!signature_plausible(look, n, k)) {
			s->stats.placeholders++;
			return done;
		}
	}
	sg_window *u = &s->wide;
	if (sg_window_reserve(u, 2 * WINDOW_CAP + 1) < 0) {
		c->rc = SG_ENOMEM;
		return done;
	}
	u->len = sg_utf16_run(c->buf, c->len, i, done, WINDOW_CAP, WINDOW_CAP, u->text, u->map, &first);
	k = (i - first) / 2;
	size_t last = u->map[u->len - 1], we = last + 1;
	int lead = first > 0 && c->buf[first - 1] != '\0';
	int trail = last + 1 < c->len && c->buf[last + 1] != '\0';
	/* little-endian units hold their character first: at even offsets */
	int le_read = c->wide_read == 0 && i % 2 == 0, be_read = c->wide_read == 1 && i % 2 == 1;

	if ((le_read || be_read) && !lead && !trail)
		return we; /* the decoded buffer read this run as it stands */
	s->stats.anchors++;
	c->ntaken = 0;
	size_t le_to = u->len - (size_t)trail, be_from = (size_t)lead, r1, r2 = 0;
	if (be_read) {
		c->dry = 1;
		r1 = wide_reading(c, type, k, be_from, u->len);
		c->dry = 0;
		r2 = wide_reading(c, type, k, 0, le_to);
	} else {
		c->dry = le_read;
		r1 = wide_reading(c, type, k, 0, le_to);
		c->dry = 0;
		if ((lead || trail) && c->rc != SG_ENOMEM)
			r2 = wide_reading(c, type, k, be_from, u->len);
	}
	we = r1 > we ? r1 : we;
	we = r2 > we ? r2 : we;
	return we;
}

/*
 * Tokens split into string literals. A part is the token characters of a
 * literal; two parts join when, between the closing quote of one and the
 * opening quote of the next, there are only blanks, concatenation operators
 * (+ . & and the line continuations \ _ ^), an opening parenthesis, and
 * comments to the end of a line (# //), over at most JOIN_LINES newlines.
 * That is how Python, JavaScript, C#, Java, PHP, VB and shell code split a
 * long URL; anything else between (a name, a comma) keeps the parts apart.
 */
static int is_quote(int ch)
{
	return ch == '"' || ch == '\'';
}

/* From buf[from], just after a closing quote: the next part's opening quote
 * if only a gap lies before it, else SIZE_MAX. */
static size_t gap_forward(const char *buf, size_t len, size_t from)
{
	size_t lines = 0, lim = len - from > JOIN_GAP ? from + JOIN_GAP : len;
	for (size_t i = from; i < lim; i++) {
		char ch = buf[i];
		if (is_quote(ch))
			return i;
		if (ch == '\n') {
			if (++lines > JOIN_LINES)
				break;
		} else if (ch == '#' || (ch == '/' && i + 1 < lim && buf[i + 1] == '/')) {
			const char *nl = memchr(buf + i, '\n', lim - i);
			if (!nl)
				break;
			i = (size_t)(nl - buf) - 1; /* the loop steps onto the '\n' */
		} else if (ch == '\0' || !strchr(" \t\r\f\v+.&\\_^(", ch)) {
			break;
		}
	}
	return (size_t)-1;
}

/* The part whose opening quote is at buf[o]: its characters [o+1, *end);
 * 1 when its closing quote follows them (the chain may go on). */
static int part_after(const char *buf, size_t len, size_t o, size_t *end)
{
	size_t e = o + 1;
	while (e < len && e - o < WINDOW_CAP && sg_is_token_char((unsigned char)buf[e]))
		e++;
	*end = e;
	return e < len && is_quote(buf[e]);
}

/* The part before the one whose opening quote is at buf[o], no lower than
 * lo: its characters [*start, *end); 0 when there is none. *whole says that
 * its opening quote precedes them (the chain may go on). */
static int part_before(const char *buf, size_t len, size_t lo, size_t o, size_t *start, size_t *end,
		       int *whole)
{
	size_t floor = o - lo > JOIN_GAP ? o - JOIN_GAP : lo, tries = 0;
	for (size_t p = o; p > floor && tries < JOIN_TRIES;) {
		p--;
		if (!is_quote(buf[p]))
			continue;
		tries++;
		if (gap_forward(buf, len, p + 1) != o)
			continue;
		size_t a = p;
		while (a > lo && p - a < WINDOW_CAP && sg_is_token_char((unsigned char)buf[a - 1]))
			a--;
		if (a == p)
			return 0;
		*start = a;
		*end = p;
		*whole = a > lo && is_quote(buf[a - 1]);
		return 1;
	}
	return 0;
}

/* Appends buf[from, to) to the joined window, its map pointing back. */
static int join_put(sg_window *j, const char *buf, size_t from, size_t to)
{
	if (sg_window_reserve(j, j->len + (to - from)) < 0)
		return SG_ENOMEM;
	for (size_t i = from; i < to; i++) {
		j->text[j->len] = buf[i];
		j->map[j->len++] = i;
	}
	j->text[j->len] = '\0';
	return SG_OK;
}

/*
 * The literals the anchor's part [ws, we) was split from, joined into
 * s->joined. Returns how many parts were joined (1: the anchor's stands
 * alone, nothing was built); *js and *je span them in buf. Only bytes after
 * lo (what earlier windows took) are joined.
 */
static int join_parts(scan_ctx *c, size_t lo, size_t ws, size_t we, size_t *js, size_t *je)
{
	const char *buf = c->buf;
	size_t len = c->len;
	size_t starts[JOIN_PARTS], ends[JOIN_PARTS], nback = 0, nfwd = 0;
	size_t fstart[JOIN_PARTS], fend[JOIN_PARTS];

	/* back: the anchor's literal must open right where its part starts */
	if (ws > lo && is_quote(buf[ws - 1])) {
		size_t o = ws - 1;
		int whole = 1;
		while (whole && nback < JOIN_PARTS &&
		       part_before(buf, len, lo, o, &starts[nback], &ends[nback], &whole)) {
			o = starts[nback] - 1;
			nback++;
		}
	}
	/* forward: and close right where it ends */
	if (we < len && is_quote(buf[we])) {
		size_t q = we;
		int whole = 1;
		while (whole && nfwd < JOIN_PARTS) {
			size_t o = gap_forward(buf, len, q + 1);
			if (o == (size_t)-1)
				break;
			whole = part_after(buf, len, o, &fend[nfwd]);
			fstart[nfwd] = o + 1;
			if (fend[nfwd] == fstart[nfwd])
				break;
			q = fend[nfwd++];
		}
	}
	if (nback + nfwd == 0)
		return 1;
	sg_window *j = &c->s->joined;
	j->len = 0;
	for (size_t k = nback; k > 0; k--)
		if (join_put(j, buf, starts[k - 1], ends[k - 1]) < 0)
			return -1;
	if (join_put(j, buf, ws, we) < 0)
		return -1;
	for (size_t k = 0; k < nfwd; k++)
		if (join_put(j, buf, fstart[k], fend[k]) < 0)
			return -1;
	*js = nback ? starts[nback - 1] : ws;
	*je = nfwd ? fend[nfwd - 1] : we;
	return (int)(nback + nfwd + 1);
}

/*
 * Scans the window [ws, we) around an anchor, joined with the literals it
 * was split from if any; returns where what was read ends. noinline: it
 * runs at few bytes, and inlined into the prefilter loop it cost that loop
 * registers (2-3% more instructions over token-free text).
 */
static __attribute__((noinline)) size_t scan_anchor(scan_ctx *c, size_t done, size_t ws, size_t we,
						     enum anchor_type type)
{
	size_t js, je;
	int parts = join_parts(c, done, ws, we, &js, &je);
	if (parts < 0) {
		c->rc = SG_ENOMEM;
		return we;
	}
	if (parts == 1) {
		scan_window(c, ws, we, type, NULL, NULL);
		return we;
	}
	scan_window(c, js, je, type, &c->s->joined, NULL);
	/* a join that spoilt the token (a literal glued onto its signature)
	 * leaves the anchor's own part to be read alone */
	if (c->ntaken == 0 && c->rc != SG_ENOMEM && c->rc != SG_EINTERNAL)
		scan_window(c, ws, we, type, NULL, NULL);
	return je > we ? je : we;
}

static int scan_bytes(sg_scanner *s, const char *path, const char *buf, size_t len, size_t first_line,
		      int wide_read, sg_findings *out);

int sg_scan_buffer(sg_scanner *s, const char *path, const char *buf, size_t len,
		   size_t first_line, sg_findings *out)
{
	return sg_scan_buffer_as(s, path, buf, len, sg_text_detect(buf, len), first_line, out);
}

/*
 * UTF-16 is scanned as the UTF-8 it decodes to: one line for one line, so the
 * findings' lines are the file's. The raw bytes are scanned too, after it:
 * content that only looks like UTF-16 (a stray BOM before ASCII, a NUL
 * planted before a token) must not hide what a byte scan would find. Real
 * UTF-16 holds no ASCII token, so this costs one prefilter pass. The UTF-16
 * runs among its raw bytes are not read again as they were just decoded
 * (each token would be found twice); read otherwise (the other alignment,
 * the other byte order where a run's ends allow it) they are.
 */
static int scan_decoded(sg_scanner *s, const char *path, const char *buf, size_t len,
			sg_text_encoding enc, size_t first_line, sg_findings *out)
{
	uint64_t before = s->stats.bytes;
	char *text;
	size_t n;
	int rc = sg_text_decode(buf, len, enc, &text, &n);
	if (rc < 0)
		return rc;
	s->stats.decoded++;
	rc = scan_bytes(s, path, text, n, first_line, -1, out);
	free(text);
	if (rc == SG_OK || rc == SG_ELIMIT) {
		int raw = scan_bytes(s, path, buf, len, first_line, enc == SG_TEXT_UTF16LE ? 0 : 1, out);
		rc = raw == SG_OK ? rc : raw;
	}
	s->stats.bytes = before + len; /* what was read, not what it decoded to */
	return rc;
}

int sg_scan_buffer_as(sg_scanner *s, const char *path, const char *buf, size_t len,
		      sg_text_encoding enc, size_t first_line, sg_findings *out)
{
	if (enc != SG_TEXT_BYTES)
		return scan_decoded(s, path, buf, len, enc, first_line, out);
	return scan_bytes(s, path, buf, len, first_line, -1, out);
}

static int scan_bytes(sg_scanner *s, const char *path, const char *buf, size_t len, size_t first_line,
		      int wide_read, sg_findings *out)
{
	scan_ctx c = { .s = s, .path = path, .buf = buf, .len = len, .line = first_line, .out = out,
		       .wide_read = wide_read };
	const char *end = buf + len, *eq = buf, *pct = buf;
	/* Where the last byte window and the last UTF-16 window ended. Apart: a
	 * run's last character may be the first of an ASCII token after it, and
	 * what the byte scan finds must not depend on whether runs were read
	 * (the raw pass of a decoded UTF-16 file skips some). */
	size_t pos = 0, done = 0, wide_done = 0;

	s->stats.bytes += len;
	while (pos < len) {
		/* Two memchr streams, '=' and '%', merged: the next byte either is.
		 * "Not found" is remembered as end, so a buffer without a '%' is
		 * searched for one once, not once per '=' (that was quadratic). */
		if (eq != end && eq < buf + pos)
			eq = (eq = memchr(buf + pos, '=', len - pos)) ? eq : end;
		if (pct != end && pct < buf + pos)
			pct = (pct = memchr(buf + pos, '%', len - pos)) ? pct : end;
		if (eq == end && pct == end)
			break;
		const char *hit = eq < pct ? eq : pct;
		size_t i = (size_t)(hit - buf);
		pos = i + 1;
		/* Most hits end no name: the byte before them says so, here, before
		 * any call (anchor_at would look at it first). */
		int last = i ? (unsigned char)buf[i - 1] | 0x20 : 0;
		if (last != 'g' && last != 'y') {
			if (wide_anchor_near(buf, i) && i >= wide_done) {
				wide_done = scan_wide(&c, i, wide_done);
				if (c.rc == SG_ENOMEM || c.rc == SG_EINTERNAL)
					return c.rc;
				pos = pos < wide_done ? wide_done : pos;
			}
			continue;
		}
		enum anchor_type type = anchor_at(buf, len, i);
		if (type == ANCHOR_NONE || i < done)
			continue;
		if (type == ANCHOR_SAS && !signature_plausible(buf, len, i)) {
			s->stats.placeholders++;
			continue;
		}
		s->stats.anchors++;
		size_t ws = i, we = i;
		while (ws > done && i - ws < WINDOW_CAP &&
		       (sg_is_token_char((unsigned char)buf[ws - 1]) || url_bracket(buf, len, ws - 1)))
			ws--;
		while (we < len && we - i < WINDOW_CAP && sg_is_token_char((unsigned char)buf[we]))
			we++;
		c.ntaken = 0;
		we = scan_anchor(&c, done, ws, we, type);
		if (c.rc == SG_ENOMEM || c.rc == SG_EINTERNAL)
			return c.rc;
		done = we;
		if (pos < done)
			pos = done;
	}
	scan_base64(&c, first_line);
	return c.rc;
}
