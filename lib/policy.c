/*
 * policy.c - the policy: built-in defaults, INI files read with inih and
 * laid over each other (DESIGN.md section 5), and "locked" system policies
 * that lower layers may only tighten.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONFIG_SIZE (1024 * 1024)

enum key_type { K_SEVERITY, K_RULE, K_LETTERS, K_DURATION, K_BOOL, K_SIZE, K_SECONDS, K_STRING, K_GLOBS, K_PATH };

/* Which way a change is a tightening, for locked policies. */
enum direction { D_ANY, D_UP, D_DOWN, D_SUBSET, D_SYSTEM_ONLY, D_NONE_ADDED };

static const struct key {
	const char *section, *name;
	enum key_type type;
	enum direction tighter;
	int rule;
} keys[] = {
	{ "policy", "allowed_permissions", K_LETTERS, D_SUBSET, -1 },
	{ "policy", "max_lifetime", K_DURATION, D_DOWN, -1 },
	{ "policy", "expired", K_SEVERITY, D_UP, -1 },
	{ "policy", "scan_binary", K_BOOL, D_UP, -1 },
	{ "policy", "max_file_size", K_SIZE, D_UP, -1 },
	{ "policy", "locked", K_BOOL, D_SYSTEM_ONLY, -1 },
	{ "policy", "unreadable_repo", K_SEVERITY, D_UP, -1 },
	{ "rules", "account-sas", K_RULE, D_UP, SG_RULE_ACCOUNT_SAS },
	{ "rules", "permissions", K_RULE, D_UP, SG_RULE_PERMISSIONS },
	{ "rules", "lifetime", K_RULE, D_UP, SG_RULE_LIFETIME },
	{ "rules", "http", K_RULE, D_UP, SG_RULE_HTTP },
	{ "rules", "scope", K_RULE, D_UP, SG_RULE_SCOPE },
	{ "rules", "ip-unrestricted", K_RULE, D_UP, SG_RULE_IP_UNRESTRICTED },
	{ "rules", "stored-policy", K_RULE, D_UP, SG_RULE_STORED_POLICY },
	{ "rules", "account-key", K_RULE, D_UP, SG_RULE_ACCOUNT_KEY },
	{ "rules", "unparseable", K_RULE, D_UP, SG_RULE_UNPARSEABLE },
	{ "server", "fail_open", K_BOOL, D_DOWN, -1 },
	{ "server", "max_seconds", K_SECONDS, D_ANY, -1 },
	{ "server", "allow_push_option", K_BOOL, D_DOWN, -1 },
	{ "server", "inline_allow", K_BOOL, D_DOWN, -1 },
	{ "server", "log", K_STRING, D_ANY, -1 },
	{ "allow", "path", K_GLOBS, D_NONE_ADDED, -1 },
	{ "allow", "baseline", K_PATH, D_NONE_ADDED, -1 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(sizeof(keys) / sizeof(keys[0]) <= SG_POLICY_MAX_KEYS, "raise SG_POLICY_MAX_KEYS");

void sg_policy_init(sg_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->severity[SG_RULE_ACCOUNT_SAS] = SG_SEV_ERROR;
	p->severity[SG_RULE_PERMISSIONS] = SG_SEV_ERROR;
	p->severity[SG_RULE_LIFETIME] = SG_SEV_ERROR;
	p->severity[SG_RULE_HTTP] = SG_SEV_ERROR;
	p->severity[SG_RULE_SCOPE] = SG_SEV_OFF;
	p->severity[SG_RULE_IP_UNRESTRICTED] = SG_SEV_OFF;
	p->severity[SG_RULE_STORED_POLICY] = SG_SEV_WARNING;
	p->severity[SG_RULE_ACCOUNT_KEY] = SG_SEV_ERROR;
	p->severity[SG_RULE_UNPARSEABLE] = SG_SEV_ERROR;
	strcpy(p->allowed_permissions, "rl");
	p->max_lifetime = 7 * 86400;
	p->expired = SG_SEV_INFO;
	p->scan_binary = 1; /* the prefilter makes binary content as cheap as text */
	p->max_file_size = 100u * 1024 * 1024;
	p->max_seconds = 30;
	p->inline_allow = 1; /* a reviewed marker with a reason; the server logs each use */
	p->shared_key_access = 1;
	strcpy(p->shared_key_origin, "default");
	p->unreadable_repo = SG_SEV_WARNING; /* a format git knows and this build does not: say so, go on */
	for (size_t i = 0; i < NKEYS; i++)
		strcpy(p->origin[i], "default");
}

void sg_policy_free(sg_policy *p)
{
	for (size_t i = 0; i < p->nallow_paths; i++)
		free(p->allow_paths[i]);
	free(p->allow_paths);
	free(p->accounts);
	sg_policy_init(p);
}

const char *sg_policy_key_name(size_t i)
{
	static char names[NKEYS][48];
	if (i >= NKEYS)
		return NULL;
	if (!names[i][0])
		snprintf(names[i], sizeof(names[i]), "%s.%s", keys[i].section, keys[i].name);
	return names[i];
}

static const char *bool_name(int b)
{
	return b ? "true" : "false";
}

size_t sg_policy_key_value(const sg_policy *p, size_t i, char *buf, size_t size)
{
	const struct key *k = &keys[i];
	int n = 0;
	if (i >= NKEYS || size == 0)
		return 0;
	buf[0] = '\0';
	if (k->type == K_RULE)
		n = snprintf(buf, size, "%s", sg_severity_name(p->severity[k->rule]));
	else if (strcmp(k->name, "allowed_permissions") == 0)
		n = snprintf(buf, size, "%s", p->allowed_permissions);
	else if (strcmp(k->name, "max_lifetime") == 0)
		return sg_duration_format(p->max_lifetime, buf, size);
	else if (strcmp(k->name, "expired") == 0)
		n = snprintf(buf, size, "%s", sg_severity_name(p->expired));
	else if (strcmp(k->name, "unreadable_repo") == 0)
		n = snprintf(buf, size, "%s", sg_severity_name(p->unreadable_repo));
	else if (strcmp(k->name, "scan_binary") == 0)
		n = snprintf(buf, size, "%s", bool_name(p->scan_binary));
	else if (strcmp(k->name, "max_file_size") == 0)
		n = snprintf(buf, size, "%llu", (unsigned long long)p->max_file_size);
	else if (strcmp(k->name, "locked") == 0)
		n = snprintf(buf, size, "%s", bool_name(p->locked));
	else if (strcmp(k->name, "fail_open") == 0)
		n = snprintf(buf, size, "%s", bool_name(p->fail_open));
	else if (strcmp(k->name, "max_seconds") == 0)
		n = snprintf(buf, size, "%lld", (long long)p->max_seconds);
	else if (strcmp(k->name, "allow_push_option") == 0)
		n = snprintf(buf, size, "%s", bool_name(p->allow_push_option));
	else if (strcmp(k->name, "inline_allow") == 0)
		n = snprintf(buf, size, "%s", bool_name(p->inline_allow));
	else if (strcmp(k->name, "log") == 0)
		n = snprintf(buf, size, "%s", p->log);
	else if (k->type == K_PATH)
		n = snprintf(buf, size, "%s", p->baseline);
	else if (k->type == K_GLOBS) {
		size_t used = 0;
		for (size_t g = 0; g < p->nallow_paths && used < size; g++) {
			int w = snprintf(buf + used, size - used, "%s%s", g ? " " : "", p->allow_paths[g]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		return used < size ? used : size - 1;
	}
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

int sg_policy_path_allowed(const sg_policy *p, const char *path)
{
	for (size_t i = 0; i < p->nallow_paths; i++)
		if (sg_glob_match(p->allow_paths[i], path))
			return 1;
	return 0;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct load_ctx {
	sg_policy *p;
	sg_layer layer;
	const char *name;   /* file name for messages */
	const char *text;   /* the whole file */
	size_t len, pos;
	int lineno;         /* line the reader handed out last */
	int max_line;       /* the longest line inih reads whole */
	int long_line;      /* first line that was too long, 0 if none */
	int fail_line;      /* line of the first error reported, 0 if none */
	int set_at[NKEYS];  /* line where this file set each key, 0 if not */
	size_t acct_base;   /* the [account] sections from this file start here */
	sg_diag *diag;
	int failed;
} load_ctx;

static void fail(load_ctx *c, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fail(load_ctx *c, const char *f, ...)
{
	va_list ap;
	if (c->failed++)
		return; /* the first error is the one to fix */
	c->fail_line = c->lineno;
	int n = snprintf(c->diag->msg, sizeof(c->diag->msg), "%s:%d: ", c->name, c->lineno);
	if (n < 0 || (size_t)n >= sizeof(c->diag->msg))
		return;
	va_start(ap, f);
	vsnprintf(c->diag->msg + n, sizeof(c->diag->msg) - (size_t)n, f, ap);
	va_end(ap);
}

/* fgets over the in-memory file, counting lines and catching truncation. */
static char *reader(char *str, int num, void *stream)
{
	load_ctx *c = stream;
	if (c->pos >= c->len || num < 2)
		return NULL;
	const char *start = c->text + c->pos;
	const char *nl = memchr(start, '\n', c->len - c->pos);
	size_t line = nl ? (size_t)(nl - start) + 1 : c->len - c->pos;
	size_t n = line < (size_t)num - 1 ? line : (size_t)num - 1;
	c->max_line = num - 3; /* inih needs room for \r, \n and the NUL */
	memcpy(str, start, n);
	str[n] = '\0';
	c->lineno++;
	if (n < line && !c->long_line)
		c->long_line = c->lineno;
	c->pos += line; /* the rest of an over-long line is dropped, not re-read */
	return str;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = 1, SG_OK;
		if (strcmp(v, no[i]) == 0)
			return *out = 0, SG_OK;
	}
	return SG_EINVAL;
}

static int parse_size(const char *v, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*v < '0' || *v > '9')
		return SG_EINVAL;
	unsigned long long n = strtoull(v, &end, 10);
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024ull * 1024 * 1024, end++;
	if (errno || *end || n > UINT64_MAX / mul)
		return SG_EINVAL;
	*out = n * mul;
	return SG_OK;
}

static int parse_letters(const char *v, char *out, size_t size)
{
	size_t n = 0;
	for (; *v; v++) {
		if (*v < 'a' || *v > 'z')
			return SG_EINVAL;
		if (!memchr(out, *v, n)) {
			if (n + 1 >= size)
				return SG_EINVAL;
			out[n++] = *v;
		}
	}
	out[n] = '\0';
	return SG_OK;
}

static const struct key *find_key(const char *section, const char *name, size_t *idx, int *section_known)
{
	*section_known = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		*section_known = 1;
		if (strcmp(keys[i].name, name) == 0) {
			*idx = i;
			return &keys[i];
		}
	}
	return NULL;
}

/* Is new (vs old) a loosening, by the key's direction? */
static int loosens(enum direction d, long long old, long long new)
{
	return (d == D_UP && new < old) || (d == D_DOWN && new > old);
}

static int check_locked(load_ctx *c, const struct key *k, size_t idx, long long old, long long new,
			const char *newletters)
{
	sg_policy *p = c->p;
	/* "locked = false" in a copy of the default file is harmless below the
	 * system layer; locking, or unlocking a locked policy, is not. */
	if (k->tighter == D_SYSTEM_ONLY && c->layer != SG_LAYER_SYSTEM && new != old) {
		fail(c, "%s.%s can be set only in the system file", k->section, k->name);
		return -1;
	}
	if (!p->locked || c->layer == SG_LAYER_SYSTEM)
		return 0;
	int bad = loosens(k->tighter, old, new);
	if (k->tighter == D_SUBSET)
		/* only K_LETTERS keys are D_SUBSET, and they pass their letters */
		for (const char *l = newletters; *l; l++) /* NOLINT(clang-analyzer-core.NullDereference) */
			bad |= !strchr(p->allowed_permissions, *l);
	if (k->tighter == D_NONE_ADDED)
		bad = 1;
	if (bad)
		fail(c, "%s.%s would loosen a locked policy (set at %s); a lower layer may only tighten it",
		     k->section, k->name, p->origin[idx]);
	return bad ? -1 : 0;
}

static int set_value(load_ctx *c, const struct key *k, size_t idx, const char *v)
{
	sg_policy *p = c->p;
	sg_severity sev;
	int b;
	int64_t d;
	uint64_t sz;
	char letters[32];

	switch (k->type) {
	case K_RULE:
	case K_SEVERITY:
		if (sg_severity_parse(v, &sev) < 0)
			return fail(c, "%s.%s = %s: expected error, warning, info or off", k->section, k->name, v), -1;
		sg_severity *sevp = k->type == K_RULE			       ? &p->severity[k->rule]
				    : strcmp(k->name, "unreadable_repo") == 0 ? &p->unreadable_repo
									      : &p->expired;
		if (check_locked(c, k, idx, *sevp, sev, NULL) < 0)
			return -1;
		*sevp = sev;
		return 0;
	case K_LETTERS:
		if (parse_letters(v, letters, sizeof(letters)) < 0)
			return fail(c, "%s.%s = %s: expected permission letters such as rl", k->section, k->name, v), -1;
		if (check_locked(c, k, idx, 0, 0, letters) < 0)
			return -1;
		strcpy(p->allowed_permissions, letters);
		return 0;
	case K_DURATION:
		if (sg_duration_parse(v, &d) < 0)
			return fail(c, "%s.%s = %s: expected a duration such as 90m, 12h, 7d, 2w or 1y", k->section,
				    k->name, v), -1;
		if (check_locked(c, k, idx, p->max_lifetime, d, NULL) < 0)
			return -1;
		p->max_lifetime = d;
		return 0;
	case K_SECONDS:
		if (sg_duration_parse(v, &d) < 0) {
			char *end;
			long long secs = strtoll(v, &end, 10);
			if (end == v || *end || secs < 0 || secs > 86400)
				return fail(c, "%s.%s = %s: expected seconds such as 4 or a duration such as 30s",
					    k->section, k->name, v), -1;
			d = secs;
		}
		p->max_seconds = d;
		return 0;
	case K_BOOL: {
		if (parse_bool(v, &b) < 0)
			return fail(c, "%s.%s = %s: expected true or false", k->section, k->name, v), -1;
		int *slot = strcmp(k->name, "scan_binary") == 0 ? &p->scan_binary
			  : strcmp(k->name, "locked") == 0      ? &p->locked
			  : strcmp(k->name, "fail_open") == 0   ? &p->fail_open
			  : strcmp(k->name, "inline_allow") == 0 ? &p->inline_allow
								: &p->allow_push_option;
		if (check_locked(c, k, idx, *slot, b, NULL) < 0)
			return -1;
		*slot = b;
		return 0;
	}
	case K_SIZE:
		if (parse_size(v, &sz) < 0)
			return fail(c, "%s.%s = %s: expected a size such as 100M", k->section, k->name, v), -1;
		if (check_locked(c, k, idx, (long long)(p->max_file_size >> 10), (long long)(sz >> 10), NULL) < 0)
			return -1;
		p->max_file_size = sz;
		return 0;
	case K_STRING:
		if (strlen(v) >= sizeof(p->log))
			return fail(c, "%s.%s: value too long", k->section, k->name), -1;
		strcpy(p->log, v);
		return 0;
	case K_PATH: {
		/* relative to the file that names it, as git does for include.path */
		const char *slash = strrchr(c->name, '/');
		int dir = *v != '/' && slash ? (int)(slash - c->name) + 1 : 0;
		if (!*v || (size_t)dir + strlen(v) >= sizeof(p->baseline))
			return fail(c, "%s.%s: empty or too long", k->section, k->name), -1;
		if (check_locked(c, k, idx, 0, 0, NULL) < 0)
			return -1;
		snprintf(p->baseline, sizeof(p->baseline), "%.*s%s", dir, c->name, v);
		return 0;
	}
	case K_GLOBS: {
		if (!*v)
			return fail(c, "%s.%s: empty glob", k->section, k->name), -1;
		if (check_locked(c, k, idx, 0, 0, NULL) < 0)
			return -1;
		char **g = realloc(p->allow_paths, (p->nallow_paths + 1) * sizeof(*g));
		if (!g)
			return fail(c, "out of memory"), -1;
		p->allow_paths = g;
		if (!(g[p->nallow_paths] = strdup(v)))
			return fail(c, "out of memory"), -1;
		p->nallow_paths++;
		return 0;
	}
	}
	return -1;
}

/* ---- [account "GLOB"] sections ------------------------------------------ */

#define MAX_ACCOUNTS 65536 /* an organisation's import stays far below; a typo loop does not */

/*
 * Reads the glob of an account section, [account "public*"] or [account name].
 * 0: not an account section; 1: glob filled; -1: an account section written
 * wrong (reported). Only '*' and '?' are special: a ']' would end inih's
 * section name, and account names are [a-z0-9-].
 */
static int account_section(load_ctx *c, const char *section, char *glob, size_t size)
{
	const char *s;
	size_t n;
	if (strncmp(section, "account", 7) != 0)
		return 0;
	s = section + 7;
	if (*s != ' ' && *s != '\t' && *s != '\0')
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '"') {
		const char *q = strchr(++s, '"');
		if (!q || q[1])
			return fail(c, "[%s]: expected [account \"GLOB\"]", section), -1;
		n = (size_t)(q - s);
	} else {
		n = strlen(s);
	}
	if (n == 0 || n >= size)
		return fail(c, "[%s]: the account glob is empty or longer than %zu characters", section, size - 1), -1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
		      ch == '*' || ch == '?'))
			return fail(c, "[%s]: an account glob holds letters, digits, '-', '*' and '?' only", section), -1;
		glob[i] = ch;
	}
	glob[n] = '\0';
	return 1;
}

/* Can some name match both globs ('*' and '?' only)? A small DP over both. */
static int globs_meet(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char m[64][64] = { { 0 } }; /* m[i][j]: a[i..] and b[j..] share a match; globs are < 64 */
	if (la > 63 || lb > 63)
		return 1;
	for (size_t i = la + 1; i-- > 0;)
		for (size_t j = lb + 1; j-- > 0;) {
			int r;
			if (i == la && j == lb)
				r = 1;
			else if (i < la && a[i] == '*')
				r = m[i + 1][j] || (j < lb && m[i][j + 1]);
			else if (j < lb && b[j] == '*')
				r = m[i][j + 1] || (i < la && m[i + 1][j]);
			else if (i == la || j == lb)
				r = 0;
			else
				r = (a[i] == '?' || b[j] == '?' || a[i] == b[j]) && m[i + 1][j + 1];
			m[i][j] = (unsigned char)r;
		}
	return m[0][0];
}

/* This file's section for glob, made on first use. NULL after an error. */
static sg_account_policy *account_entry(load_ctx *c, const char *glob)
{
	sg_policy *p = c->p;
	for (size_t i = c->acct_base; i < p->naccounts; i++)
		if (strcmp(p->accounts[i].glob, glob) == 0)
			return &p->accounts[i];
	if (p->naccounts >= MAX_ACCOUNTS)
		return fail(c, "more than %d [account] sections", MAX_ACCOUNTS), NULL;
	sg_account_policy *v = realloc(p->accounts, (p->naccounts + 1) * sizeof(*v));
	if (!v)
		return fail(c, "out of memory"), NULL;
	p->accounts = v;
	sg_account_policy *a = &v[p->naccounts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->glob, sizeof(a->glob), "%s", glob);
	a->layer = c->layer;
	a->shared_key_access = 1;
	return a;
}

/* Does value v for account key k loosen what applied before: the [policy]
 * value, or any earlier section some account could share with a? */
static const char *account_loosens(const sg_policy *p, const sg_account_policy *a, int k, const char *letters,
				   int64_t d, sg_severity sev)
{
	for (size_t i = 0; i <= (size_t)(a - p->accounts); i++) {
		const sg_account_policy *e = &p->accounts[i];
		int global = e == a; /* the last round compares with [policy] */
		if (!global && (!(e->set & (1u << k)) || !globs_meet(e->glob, a->glob)))
			continue;
		if (k == SG_ACCT_PERMISSIONS) {
			const char *allowed = global ? p->allowed_permissions : e->allowed_permissions;
			for (const char *l = letters; *l; l++)
				if (!strchr(allowed, *l))
					return global ? "the [policy] value" : e->origin[k];
		} else if (k == SG_ACCT_LIFETIME) {
			if (d > (global ? p->max_lifetime : e->max_lifetime))
				return global ? "the [policy] value" : e->origin[k];
		} else if (k >= SG_ACCT_RULE0) {
			if (sev < (global ? p->severity[k - SG_ACCT_RULE0] : e->severity[k - SG_ACCT_RULE0]))
				return global ? "the [rules] value" : e->origin[k];
		}
	}
	return NULL;
}

static int account_key(load_ctx *c, const char *glob, const char *name, const char *v)
{
	int rule = sg_rule_lookup(name), b = 1, k;
	int64_t d = 0;
	sg_severity sev = SG_SEV_OFF;
	char letters[32] = "";

	if (strcmp(name, "allowed_permissions") == 0)
		k = SG_ACCT_PERMISSIONS;
	else if (strcmp(name, "max_lifetime") == 0)
		k = SG_ACCT_LIFETIME;
	else if (strcmp(name, "shared_key_access") == 0)
		k = SG_ACCT_SHARED_KEY;
	else if (rule >= 0)
		k = SG_ACCT_RULE0 + rule;
	else
		return fail(c, "unknown key '%s' in [account \"%s\"] (allowed_permissions, max_lifetime, "
			       "shared_key_access or a rule id)", name, glob), -1;
	if ((k == SG_ACCT_PERMISSIONS && parse_letters(v, letters, sizeof(letters)) < 0) ||
	    (k == SG_ACCT_LIFETIME && sg_duration_parse(v, &d) < 0) ||
	    (k == SG_ACCT_SHARED_KEY && parse_bool(v, &b) < 0) ||
	    (k >= SG_ACCT_RULE0 && sg_severity_parse(v, &sev) < 0))
		return fail(c, "[account \"%s\"] %s = %s: expected %s", glob, name, v,
			    k == SG_ACCT_PERMISSIONS ? "permission letters such as rl"
			    : k == SG_ACCT_LIFETIME  ? "a duration such as 90m, 12h, 7d, 2w or 1y"
			    : k == SG_ACCT_SHARED_KEY ? "true or false"
						      : "error, warning, info or off"), -1;
	sg_account_policy *a = account_entry(c, glob);
	if (!a)
		return -1;
	if (a->set & (1u << k))
		return fail(c, "[account \"%s\"] %s is set twice (first at %s)", glob, name, a->origin[k]), -1;
	const char *was;
	if (c->p->locked && c->layer != SG_LAYER_SYSTEM &&
	    (was = account_loosens(c->p, a, k, letters, d, sev)) != NULL)
		return fail(c, "[account \"%s\"] %s would loosen a locked policy (%s); a lower layer may only "
			       "tighten it", glob, name, was), -1;
	if (k == SG_ACCT_PERMISSIONS)
		strcpy(a->allowed_permissions, letters);
	else if (k == SG_ACCT_LIFETIME)
		a->max_lifetime = d;
	else if (k == SG_ACCT_SHARED_KEY)
		a->shared_key_access = b;
	else
		a->severity[k - SG_ACCT_RULE0] = sev;
	a->set |= 1u << k;
	snprintf(a->origin[k], SG_ORIGIN_MAX, "%s:%d [account \"%s\"]", c->name, c->lineno, glob);
	return 0;
}

static void lower(char *out, size_t size, const char *s)
{
	size_t n = 0;
	for (; s && *s && n + 1 < size; s++)
		out[n++] = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
	out[n] = '\0';
}

void sg_policy_for_account(const sg_policy *p, const char *account, sg_policy *out)
{
	char name[64];
	size_t idx = 0;
	int known;
	*out = *p;
	out->accounts = NULL;
	out->naccounts = 0;
	lower(name, sizeof(name), account);
	if (!name[0])
		return;
	for (size_t i = 0; i < p->naccounts; i++) {
		const sg_account_policy *a = &p->accounts[i];
		if (!sg_glob_match(a->glob, name))
			continue;
		for (int k = 0; k < SG_ACCT_KEYS; k++) {
			if (!(a->set & (1u << k)))
				continue;
			const char *key = k == SG_ACCT_PERMISSIONS ? "allowed_permissions"
					: k == SG_ACCT_LIFETIME    ? "max_lifetime"
					: k == SG_ACCT_SHARED_KEY  ? NULL
								   : sg_rule_name((sg_rule)(k - SG_ACCT_RULE0));
			if (k == SG_ACCT_PERMISSIONS)
				strcpy(out->allowed_permissions, a->allowed_permissions);
			else if (k == SG_ACCT_LIFETIME)
				out->max_lifetime = a->max_lifetime;
			else if (k == SG_ACCT_SHARED_KEY)
				out->shared_key_access = a->shared_key_access;
			else
				out->severity[k - SG_ACCT_RULE0] = a->severity[k - SG_ACCT_RULE0];
			if (!key)
				memcpy(out->shared_key_origin, a->origin[k], SG_ORIGIN_MAX);
			else if (find_key(k >= SG_ACCT_RULE0 ? "rules" : "policy", key, &idx, &known))
				memcpy(out->origin[idx], a->origin[k], SG_ORIGIN_MAX);
		}
	}
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	load_ctx *c = user;
	size_t idx = 0;
	int known;
	char glob[64];
	int acct = account_section(c, section, glob, sizeof(glob));
	if (acct)
		return acct > 0 && account_key(c, glob, name, value) == 0;
	const struct key *k = find_key(section, name, &idx, &known);

	if (!*section)
		return fail(c, "'%s' is outside any [section]", name), 0;
	if (!k && !known)
		return fail(c, "unknown section [%s]", section), 0;
	if (!k)
		return fail(c, "unknown key '%s' in [%s]", name, section), 0;
	if (k->type != K_GLOBS && c->set_at[idx])
		return fail(c, "%s.%s is set twice (first on line %d)", section, name, c->set_at[idx]), 0;
	if (set_value(c, k, idx, value) < 0)
		return 0;
	c->set_at[idx] = c->lineno;
	snprintf(c->p->origin[idx], SG_ORIGIN_MAX, "%s:%d", c->name, c->lineno);
	return 1;
}

int sg_policy_load_string(sg_policy *p, const char *text, size_t len, const char *name,
			  sg_layer layer, sg_diag *diag)
{
	load_ctx c;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.layer = layer;
	c.name = name;
	c.text = text;
	c.len = len;
	c.diag = diag;
	c.acct_base = p->naccounts;
	diag->msg[0] = '\0';

	if (memchr(text, '\0', len)) {
		snprintf(diag->msg, sizeof(diag->msg), "%s: binary data (a NUL byte) in a config file", name);
		return SG_ECONFIG;
	}
	int rc = ini_parse_stream(reader, &c, handler, &c);
	if (c.long_line && !c.failed) {
		c.lineno = c.long_line;
		fail(&c, "line too long (lines are read up to %d characters)", c.max_line);
	}
	if (rc > 0 && (!c.failed || rc < c.fail_line)) {
		/* inih's own error (a broken line) comes before ours: report it first */
		c.failed = 0;
		c.lineno = rc;
		fail(&c, "syntax error: expected [section] or key = value");
	} else if (!c.failed && rc < 0) {
		c.lineno = 0;
		fail(&c, "cannot parse (inih error %d)", rc);
	}
	return c.failed ? SG_ECONFIG : SG_OK;
}

int sg_open_regular(const char *path, FILE **out, struct stat *st, sg_diag *d)
{
	*out = NULL;
	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(d->msg, sizeof(d->msg), "%s: cannot open: %s", path, strerror(errno));
		return SG_EIO;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		/* a FIFO or /dev/zero never ends, a directory is no text: refuse, never read */
		const char *what = S_ISDIR(st->st_mode)				? "a directory"
				   : S_ISFIFO(st->st_mode)			? "a FIFO"
				   : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device"
				   : S_ISSOCK(st->st_mode)			? "a socket"
										: "not a file";
		snprintf(d->msg, sizeof(d->msg), "%s: not a regular file (it is %s)", path, what);
		close(fd);
		return SG_ECONFIG;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (!(*out = fdopen(fd, "rb"))) {
		close(fd);
		return SG_ENOMEM;
	}
	return SG_OK;
}

int sg_policy_load(sg_policy *p, const char *path, sg_layer layer, sg_diag *diag)
{
	struct stat st;
	FILE *f;
	int rc = sg_open_regular(path, &f, &st, diag);
	if (rc < 0)
		return rc;
	if (st.st_size > MAX_CONFIG_SIZE) {
		snprintf(diag->msg, sizeof(diag->msg), "%s: %lld bytes is too big for a config file (limit %d)",
			 path, (long long)st.st_size, MAX_CONFIG_SIZE);
		fclose(f);
		return SG_ECONFIG;
	}
	char *text = malloc((size_t)st.st_size + 1);
	if (!text) {
		fclose(f);
		return SG_ENOMEM;
	}
	size_t n = fread(text, 1, (size_t)st.st_size, f);
	int err = ferror(f);
	fclose(f);
	if (err) {
		snprintf(diag->msg, sizeof(diag->msg), "%s: read error", path);
		free(text);
		return SG_EIO;
	}
	text[n] = '\0';
	rc = sg_policy_load_string(p, text, n, path, layer, diag);
	free(text);
	return rc;
}
