/*
 * import.c - `sasguard policy import FILE`: [account] sections from the JSON
 * `az storage account list` prints, read offline by a small JSON reader that
 * knows only what it needs and refuses anything else with where and why.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_INPUT ((size_t)64 << 20) /* thousands of accounts are a few MB */
#define MAX_DEPTH 64                 /* the CLI nests 5 deep; a hostile file may not recurse us dry */

typedef struct jp {
	const char *s;
	size_t n, i;
	int depth;
	char err[256];
} jp;

/* One account, as much as the policy needs. */
typedef struct account {
	char name[64];
	int has_policy;      /* sasPolicy is an object */
	char period[40];     /* sasExpirationPeriod, "1.00:00:00" */
	char action[16];     /* expirationAction: Log or Block ("" = absent: Azure's default, Log) */
	int shared;          /* allowSharedKeyAccess: 1, 0, or -1 when null or absent (Azure: allowed) */
} account;

static int jerr(jp *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
static int jerr(jp *p, const char *f, ...)
{
	size_t line = 1, col = 1;
	va_list ap;
	if (p->err[0])
		return -1; /* the first error is the one to fix */
	for (size_t k = 0; k < p->i && k < p->n; k++, col++)
		if (p->s[k] == '\n')
			line++, col = 0;
	int at = snprintf(p->err, sizeof(p->err), "line %zu, column %zu: ", line, col);
	va_start(ap, f);
	vsnprintf(p->err + at, sizeof(p->err) - (size_t)at, f, ap);
	va_end(ap);
	return -1;
}

static void ws(jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int peek(jp *p)
{
	ws(p);
	return p->i < p->n ? (unsigned char)p->s[p->i] : -1;
}

static int expect(jp *p, char c)
{
	if (peek(p) != (unsigned char)c)
		return jerr(p, "expected '%c'", c);
	p->i++;
	return 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A string into out (NULL: skipped). Escapes other than \uXXXX of ASCII are
 * kept as '?': the values this reads are ASCII, and a name that is not
 * fails its own check later. A string longer than out is an error. */
static int string(jp *p, char *out, size_t size)
{
	size_t len = 0;
	if (expect(p, '"') < 0)
		return -1;
	for (;;) {
		if (p->i >= p->n)
			return jerr(p, "unterminated string");
		unsigned char c = (unsigned char)p->s[p->i++];
		if (c == '"')
			break;
		if (c < 0x20)
			return jerr(p, "control character in a string");
		if (c == '\\') {
			if (p->i >= p->n)
				return jerr(p, "unterminated string");
			char e = p->s[p->i++];
			if (e == 'u') {
				int v = 0;
				for (int k = 0; k < 4; k++) {
					int h = p->i < p->n ? hexval((unsigned char)p->s[p->i]) : -1;
					if (h < 0)
						return jerr(p, "bad \\u escape");
					v = v * 16 + h;
					p->i++;
				}
				c = v > 0 && v < 0x80 ? (unsigned char)v : '?';
			} else if (strchr("\"\\/", e)) {
				c = (unsigned char)e;
			} else if (strchr("bfnrt", e)) {
				c = '?';
			} else {
				return jerr(p, "bad escape '\\%c'", e);
			}
		}
		if (out) {
			if (len + 1 >= size)
				return jerr(p, "string longer than %zu bytes where a name or setting belongs", size - 1);
			out[len++] = (char)c;
		}
	}
	if (out)
		out[len] = '\0';
	return 0;
}

static int literal(jp *p, const char *word)
{
	size_t l = strlen(word);
	ws(p);
	if (p->n - p->i < l || memcmp(p->s + p->i, word, l) != 0)
		return jerr(p, "expected a JSON value");
	p->i += l;
	return 0;
}

static int value(jp *p); /* skips one value of any kind */

static int number(jp *p)
{
	size_t start = p->i;
	while (p->i < p->n && strchr("+-0123456789.eE", p->s[p->i]))
		p->i++;
	return p->i > start ? 0 : jerr(p, "expected a JSON value");
}

/* Calls each(key) for each member of an object; each reads the member's value. */
static int object(jp *p, int (*each)(jp *, const char *key, void *), void *ctx)
{
	char key[128];
	if (++p->depth > MAX_DEPTH)
		return jerr(p, "nested deeper than %d", MAX_DEPTH);
	if (expect(p, '{') < 0)
		return -1;
	if (peek(p) == '}') {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		/* a key longer than any the CLI writes is skipped, not an error */
		size_t at = p->i;
		if (string(p, key, sizeof(key)) < 0) {
			if (p->i <= at || strstr(p->err, "longer than") == NULL)
				return -1;
			p->err[0] = '\0';
			p->i = at;
			if (string(p, NULL, 0) < 0)
				return -1;
			key[0] = '\0';
		}
		if (expect(p, ':') < 0 || each(p, key, ctx) < 0)
			return -1;
		int c = peek(p);
		p->i++;
		if (c == '}')
			break;
		if (c != ',')
			return p->i--, jerr(p, "expected ',' or '}'");
	}
	p->depth--;
	return 0;
}

static int skip_member(jp *p, const char *key, void *ctx)
{
	(void)key;
	(void)ctx;
	return value(p);
}

static int value(jp *p)
{
	int c = peek(p);
	if (c == '"')
		return string(p, NULL, 0);
	if (c == '{')
		return object(p, skip_member, NULL);
	if (c == '[') {
		if (++p->depth > MAX_DEPTH)
			return jerr(p, "nested deeper than %d", MAX_DEPTH);
		p->i++;
		if (peek(p) == ']') {
			p->i++;
			p->depth--;
			return 0;
		}
		for (;;) {
			if (value(p) < 0)
				return -1;
			c = peek(p);
			p->i++;
			if (c == ']')
				break;
			if (c != ',')
				return p->i--, jerr(p, "expected ',' or ']'");
		}
		p->depth--;
		return 0;
	}
	if (c == 't')
		return literal(p, "true");
	if (c == 'f')
		return literal(p, "false");
	if (c == 'n')
		return literal(p, "null");
	return number(p);
}

/* A string, or null (out becomes ""). */
static int string_or_null(jp *p, char *out, size_t size)
{
	if (peek(p) == 'n') {
		out[0] = '\0';
		return literal(p, "null");
	}
	if (peek(p) != '"')
		return jerr(p, "expected a string or null");
	return string(p, out, size);
}

static int policy_member(jp *p, const char *key, void *ctx)
{
	account *a = ctx;
	if (strcmp(key, "sasExpirationPeriod") == 0)
		return string_or_null(p, a->period, sizeof(a->period));
	if (strcmp(key, "expirationAction") == 0)
		return string_or_null(p, a->action, sizeof(a->action));
	return value(p);
}

static int account_member(jp *p, const char *key, void *ctx)
{
	account *a = ctx;
	if (strcmp(key, "name") == 0)
		return string(p, a->name, sizeof(a->name));
	if (strcmp(key, "sasPolicy") == 0) {
		a->has_policy = 0;
		a->period[0] = a->action[0] = '\0';
		if (peek(p) == 'n')
			return literal(p, "null");
		a->has_policy = 1;
		return object(p, policy_member, a);
	}
	if (strcmp(key, "allowSharedKeyAccess") == 0) {
		int c = peek(p);
		a->shared = c == 't' ? 1 : c == 'f' ? 0 : -1;
		return literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null");
	}
	return value(p);
}

/* 1 to max decimal digits at *p into *v, *p moved past them; -1 if none. */
static int digits(const char **p, int max, long long *v)
{
	int n = 0;
	*v = 0;
	for (; n < max && **p >= '0' && **p <= '9'; n++, (*p)++)
		*v = *v * 10 + (**p - '0');
	return n ? 0 : -1;
}

/* Azure's TimeSpan, [d.]hh:mm:ss, into seconds. */
static int parse_period(const char *s, int64_t *out)
{
	long long d = 0, h, m, sec;
	const char *p = s;
	if (strchr(s, '.') && (digits(&p, 5, &d) < 0 || *p++ != '.'))
		return -1;
	if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &m) < 0 || *p++ != ':' ||
	    digits(&p, 2, &sec) < 0 || *p)
		return -1;
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	*out = ((d * 24 + h) * 60 + m) * 60 + sec;
	return *out > 0 ? 0 : -1;
}

/* Seconds as a policy duration: the largest exact unit whose count the
 * policy reads (at most 10^6 units); else rounded down to the smallest unit
 * that fits, which only tightens (99999.23:59:59 is 99999d). */
static void duration(int64_t secs, char *buf, size_t size)
{
	static const struct {
		char c;
		int64_t s;
	} u[] = { { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 } };
	size_t n = sizeof(u) / sizeof(u[0]);
	for (size_t k = 0; k < n; k++)
		if (secs % u[k].s == 0 && secs / u[k].s <= 1000000) {
			snprintf(buf, size, "%lld%c", (long long)(secs / u[k].s), u[k].c);
			return;
		}
	for (size_t k = n; k-- > 0;)
		if (secs / u[k].s <= 1000000) {
			snprintf(buf, size, "%lld%c", (long long)(secs / u[k].s), u[k].c);
			return;
		}
}

static int is_account_name(const char *s)
{
	size_t n = strlen(s);
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9')))
			return 0;
	return n >= 3 && n <= 24;
}

/* The file (or stdin), whole; NULL after printing why. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;
	if (!f) {
		fprintf(stderr, "sasguard: policy import: ");
		print_safe(stderr, path);
		fprintf(stderr, ": cannot open: %s\n", strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(cap))) {
		fprintf(stderr, "sasguard: policy import: out of memory\n");
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			char *b = cap * 2 <= MAX_INPUT + 1 ? realloc(buf, cap * 2) : NULL;
			if (!b) {
				fprintf(stderr, "sasguard: policy import: the input is over %zu MB, or memory ran out\n",
					MAX_INPUT >> 20);
				goto fail;
			}
			buf = b;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "sasguard: policy import: ");
		print_safe(stderr, path);
		fprintf(stderr, ": read error: %s\n", strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

/* Writes one account's section (or a comment when Azure holds nothing for it). */
static int write_account(FILE *out, const account *a, int *nkeys, int *nblock, int *npolicy)
{
	int64_t secs;
	int block = 0;
	if (a->has_policy && a->period[0]) {
		if (parse_period(a->period, &secs) < 0)
			return -1;
		if (!a->action[0] || strcasecmp(a->action, "Log") == 0)
			block = 0;
		else if (strcasecmp(a->action, "Block") == 0)
			block = 1;
		else
			return -2;
	}
	int has_period = a->has_policy && a->period[0];
	if (!has_period && a->shared != 0) {
		fprintf(out, "; %s: no SAS expiration policy; shared-key access allowed\n", a->name);
		return 0;
	}
	fprintf(out, "\n[account \"%s\"]\n", a->name);
	if (has_period) {
		char life[32];
		duration(secs, life, sizeof(life));
		fprintf(out, "; sasPolicy: sasExpirationPeriod %s, expirationAction %s\n", a->period,
			a->action[0] ? a->action : "Log (the default)");
		fprintf(out, "max_lifetime = %s\nlifetime = %s\n", life, block ? "error" : "warning");
		(*npolicy)++;
		*nblock += block;
	}
	if (a->shared == 0) {
		fprintf(out, "; allowSharedKeyAccess = false: a SAS signed with an account key cannot work here\n"
			     "shared_key_access = false\n");
		(*nkeys)++;
	}
	return 0;
}

int cmd_policy(cli_opts *o)
{
	size_t len = 0, naccounts = 0;
	int nkeys = 0, nblock = 0, npolicy = 0, rc = EXIT_USAGE;
	FILE *out = NULL; /* the sections, in memory: an error half way writes nothing */
	char *obuf = NULL, nokeys[512] = "";
	size_t olen = 0;
	char (*seen)[64] = NULL;

	if (o->nargs != 2 || strcmp(o->args[0], "import") != 0) {
		fprintf(stderr, "sasguard: usage: sasguard policy import FILE | -   (the JSON of 'az storage account list')\n");
		return EXIT_USAGE;
	}
	const char *path = o->args[1];
	char *text = slurp(path, &len);
	if (!text)
		return EXIT_USAGE;
	jp p = { text, len, 0, 0, "" };
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.i = 3; /* PowerShell writes a BOM */
	if (!(out = open_memstream(&obuf, &olen))) {
		free(text);
		return EXIT_INTERNAL;
	}
	int c = peek(&p), single = c == '{';
	if (c != '[' && c != '{') {
		jerr(&p, "expected the array 'az storage account list' prints");
		goto bad;
	}
	fprintf(out, "; [account] sections written by 'sasguard policy import' from the JSON of\n"
		     "; 'az storage account list'. Review them, then add them to a policy layer\n"
		     "; (the system file, a server's policy, or .sasguard.ini). sasExpirationPeriod\n"
		     "; is max_lifetime; expirationAction Block makes it an error, Log a warning.\n");
	if (!single) {
		p.i++;
		if (peek(&p) == ']')
			p.i++, c = ']';
	}
	while (c != ']') {
		account a;
		memset(&a, 0, sizeof(a));
		a.shared = -1;
		if (peek(&p) != '{') {
			jerr(&p, "expected an account object");
			goto bad;
		}
		if (object(&p, account_member, &a) < 0)
			goto bad;
		naccounts++;
		if (!is_account_name(a.name)) {
			jerr(&p, "account %zu: \"%.63s\" is not a storage account name (3 to 24 lowercase letters and digits)",
			     naccounts, a.name);
			goto bad;
		}
		for (size_t k = 0; k + 1 < naccounts; k++)
			if (strcmp(seen[k], a.name) == 0) {
				jerr(&p, "account %s is listed twice", a.name);
				goto bad;
			}
		char(*v)[64] = realloc(seen, naccounts * sizeof(*v));
		if (!v) {
			jerr(&p, "out of memory");
			goto bad;
		}
		seen = v;
		memcpy(seen[naccounts - 1], a.name, sizeof(a.name));
		if (a.shared == 0) {
			size_t l = strlen(nokeys);
			snprintf(nokeys + l, sizeof(nokeys) - l, "%s%s", l ? ", " : ": ", a.name);
		}
		int w = write_account(out, &a, &nkeys, &nblock, &npolicy);
		if (w == -1) {
			jerr(&p, "account %s: sasExpirationPeriod \"%s\" is not d.hh:mm:ss", a.name, a.period);
			goto bad;
		}
		if (w == -2) {
			jerr(&p, "account %s: expirationAction \"%s\" is neither Log nor Block", a.name, a.action);
			goto bad;
		}
		if (single)
			break;
		c = peek(&p);
		p.i++;
		if (c != ',' && c != ']') {
			p.i--;
			jerr(&p, "expected ',' or ']'");
			goto bad;
		}
	}
	if (peek(&p) != -1) {
		jerr(&p, "text after the JSON document");
		goto bad;
	}
	fclose(out);
	out = NULL;
	FILE *dest = o->output ? fopen(o->output, "w") : stdout;
	if (!dest || fwrite(obuf, 1, olen, dest) != olen || fflush(dest) != 0) {
		fprintf(stderr, "sasguard: policy import: cannot write ");
		print_safe(stderr, o->output ? o->output : "the standard output");
		fprintf(stderr, ": %s\n", strerror(errno));
		rc = EXIT_INTERNAL;
	} else {
		/* named here too: a key-signed SAS for these cannot work, whatever it grants */
		fprintf(stderr, "sasguard: policy import: %zu account%s; %d with a SAS expiration policy (%d Block); "
				"%d refuse%s shared-key access%s\n", naccounts, naccounts == 1 ? "" : "s", npolicy, nblock,
			nkeys, nkeys == 1 ? "s" : "", nokeys);
		rc = EXIT_CLEAN;
	}
	if (dest && dest != stdout)
		fclose(dest);
	goto done;
bad:
	fprintf(stderr, "sasguard: policy import: ");
	print_safe(stderr, path);
	fprintf(stderr, ": ");
	print_safe(stderr, p.err);
	fprintf(stderr, "\n");
	rc = EXIT_USAGE;
done:
	if (out)
		fclose(out);
	free(obuf);
	free(seen);
	free(text);
	return rc;
}
