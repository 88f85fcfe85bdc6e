/*
 * judge.c - the rules of DESIGN.md section 4 over one parsed token: every
 * rule it breaks, with the value found, the limit, and what that means.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int is_sas(const sg_token *t)
{
	return t->kind == SG_KIND_SERVICE_SAS || t->kind == SG_KIND_ACCOUNT_SAS ||
	       t->kind == SG_KIND_USER_DELEGATION_SAS;
}

static sg_violation *add(sg_finding *f, const sg_policy *p, sg_rule r)
{
	if (p->severity[r] == SG_SEV_OFF)
		return NULL;
	sg_violation *v = &f->violations[f->nviolations++];
	memset(v, 0, sizeof(*v));
	v->rule = r;
	v->severity = p->severity[r];
	return v;
}

static void fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}

/* Appends ", x what" for each letter of set to buf, names from table. */
static void describe_letters(char *buf, size_t size, const char *set, const char *letters,
			     const char *const names[])
{
	size_t n = strlen(buf);
	for (const char *c = set; *c && n < size; c++) {
		const char *at = strchr(letters, *c);
		const char *what = at ? names[at - letters] : "unknown";
		int w = snprintf(buf + n, size - n, "%s%c %s", n ? ", " : "", *c, what);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static void rule_account_sas(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	static const char *const services[] = { "blob", "file", "queue", "table" };
	static const char *const types[] = { "service", "container", "object" };
	sg_violation *v;

	if (t->kind != SG_KIND_ACCOUNT_SAS || !(v = add(f, p, SG_RULE_ACCOUNT_SAS)))
		return;
	fmt(v->value, sizeof(v->value), "ss=%s srt=%s", t->ss ? t->ss : "(absent)",
	    t->srt ? t->srt : "(absent)");
	fmt(v->limit, sizeof(v->limit), "no account SAS: one service, one resource");
	char svc[128] = "", typ[128] = "";
	describe_letters(svc, sizeof(svc), t->ss ? t->ss : "", "bfqt", services);
	describe_letters(typ, sizeof(typ), t->srt ? t->srt : "", "sco", types);
	fmt(v->detail, sizeof(v->detail),
	    "services [%s] and resource types [%s] of the whole account; it can be revoked "
	    "only by rotating the account key that signed it",
	    svc, typ);
}

static void rule_permissions(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	char extra[32] = "";
	size_t n = 0;
	sg_violation *v;

	if (!t->sp || (t->bad & SG_FIELD_SP) || t->kind == SG_KIND_SERVICEBUS_SAS)
		return;
	for (const char *c = t->sp; *c && n + 1 < sizeof(extra); c++)
		if (!strchr(p->allowed_permissions, *c) && !strchr(extra, *c))
			extra[n++] = *c;
	extra[n] = '\0';
	if (!n || !(v = add(f, p, SG_RULE_PERMISSIONS)))
		return;
	fmt(v->value, sizeof(v->value), "sp=%s", t->sp);
	fmt(v->limit, sizeof(v->limit), "%s", p->allowed_permissions[0] ? p->allowed_permissions : "(none)");
	size_t d = 0;
	for (const char *c = extra; *c; c++) {
		const char *what = sg_permission_name(*c);
		int w = snprintf(v->detail + d, sizeof(v->detail) - d, "%s%c %s", d ? ", " : "", *c,
				 what ? what : "(unknown letter: judged as broad)");
		if (w < 0 || (size_t)w >= sizeof(v->detail) - d)
			break;
		d += (size_t)w;
	}
}

/* The moment the token stops working: se, capped by ske for user delegation. */
static int64_t effective_expiry(const sg_token *t)
{
	int64_t end = t->se_time;
	if (end != SG_TIME_NONE && t->kind == SG_KIND_USER_DELEGATION_SAS && t->ske != SG_TIME_NONE &&
	    t->ske < end)
		end = t->ske;
	return end;
}

static void rule_lifetime(const sg_token *t, const sg_policy *p, int64_t now, sg_finding *f)
{
	int64_t end = effective_expiry(t);
	sg_violation *v;

	if (!(is_sas(t) || t->kind == SG_KIND_SERVICEBUS_SAS) || end == SG_TIME_NONE ||
	    (t->bad & (SG_FIELD_SE | SG_FIELD_ST)))
		return;
	int64_t start = t->st_time != SG_TIME_NONE ? t->st_time : now;
	if (end - start <= p->max_lifetime || !(v = add(f, p, SG_RULE_LIFETIME)))
		return;
	char life[48], a[32], b[32], lim[48];
	sg_duration_format(end - start, life, sizeof(life));
	sg_time_format(start, a, sizeof(a));
	sg_time_format(end, b, sizeof(b));
	sg_duration_format(p->max_lifetime, lim, sizeof(lim));
	fmt(v->value, sizeof(v->value), "%s (%s %s to %s %s)", life,
	    t->st_time != SG_TIME_NONE ? "st" : "now", a, end == t->se_time ? "se" : "ske", b);
	fmt(v->limit, sizeof(v->limit), "%s", lim);
	fmt(v->detail, sizeof(v->detail),
	    "anyone holding the link keeps access until %s; a copy in git outlives every "
	    "intention to share it briefly",
	    b);
}

/* Nonzero when spr names anything but https alone. */
static int allows_http(const char *spr)
{
	return strcmp(spr, "https") != 0;
}

static void rule_http(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	sg_violation *v;
	if (!is_sas(t) || (t->spr && !allows_http(t->spr)) || !(v = add(f, p, SG_RULE_HTTP)))
		return;
	if (t->spr)
		fmt(v->value, sizeof(v->value), "spr=%s", t->spr);
	else
		fmt(v->value, sizeof(v->value), "spr absent");
	fmt(v->limit, sizeof(v->limit), "spr=https");
	fmt(v->detail, sizeof(v->detail),
	    "the token is accepted over plain HTTP, where anyone on the network path can "
	    "read and replay it");
}

static void rule_scope(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	const char *what = NULL;
	sg_violation *v;

	if (!is_sas(t) || t->kind == SG_KIND_ACCOUNT_SAS || !t->sr)
		return;
	if (strcmp(t->sr, "c") == 0)
		what = "a whole container";
	else if (strcmp(t->sr, "s") == 0)
		what = "a whole file share";
	else if (strcmp(t->sr, "d") == 0)
		what = "a whole directory";
	if (!what || !(v = add(f, p, SG_RULE_SCOPE)))
		return;
	fmt(v->value, sizeof(v->value), "sr=%s", t->sr);
	fmt(v->limit, sizeof(v->limit), "one blob or file (sr=b or sr=f)");
	fmt(v->detail, sizeof(v->detail), "the token reaches %s, including what is added later", what);
}

static void rule_ip(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	sg_violation *v;
	if (!is_sas(t) || t->sip || !(v = add(f, p, SG_RULE_IP_UNRESTRICTED)))
		return;
	fmt(v->value, sizeof(v->value), "sip absent");
	fmt(v->limit, sizeof(v->limit), "sip=<address or range>");
	fmt(v->detail, sizeof(v->detail), "the token works from any IP address on the internet");
}

static void rule_stored_policy(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	sg_violation *v;
	if (!is_sas(t) || !t->si || t->se || !(v = add(f, p, SG_RULE_STORED_POLICY)))
		return;
	fmt(v->value, sizeof(v->value), "si=%s, no se", t->si);
	fmt(v->limit, sizeof(v->limit), "se on the token");
	fmt(v->detail, sizeof(v->detail),
	    "permissions and expiry live in the stored access policy '%s' on the server, "
	    "not in the token; check that policy (it can be revoked by deleting it)",
	    t->si);
}

static void rule_account_key(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	sg_violation *v;
	int storage = t->kind == SG_KIND_STORAGE_KEY, cosmos = t->kind == SG_KIND_COSMOS_KEY;
	if ((!storage && !cosmos && t->kind != SG_KIND_SERVICEBUS_KEY) || !(v = add(f, p, SG_RULE_ACCOUNT_KEY)))
		return;
	fmt(v->value, sizeof(v->value), "%s=%s...%s%s", storage || cosmos ? "AccountKey" : "SharedAccessKey",
	    t->secret_head, t->skn ? " for SharedAccessKeyName=" : "", t->skn ? t->skn : "");
	fmt(v->limit, sizeof(v->limit), "no keys in content");
	fmt(v->detail, sizeof(v->detail), "%s",
	    storage  ? "full control of every service of the storage account, with no expiry"
	    : cosmos ? "every database, container and item of the Cosmos DB account (a primary key also its "
		       "settings), with no expiry"
		     : "every right the key's policy holds on the namespace or hub, with no expiry");
}

static void add_field(char *buf, size_t size, const char *name, const char *value)
{
	size_t n = strlen(buf);
	if (value)
		snprintf(buf + n, size - n, "%s%s=%.40s", n ? ", " : "", name, value);
	else
		snprintf(buf + n, size - n, "%s%s absent", n ? ", " : "", name);
}

static void rule_unparseable(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	sg_violation *v;
	if (!t->bad || !(v = add(f, p, SG_RULE_UNPARSEABLE)))
		return;
	if (t->bad & SG_FIELD_SV)
		add_field(v->value, sizeof(v->value), "sv", t->sv);
	if (t->bad & SG_FIELD_SP)
		add_field(v->value, sizeof(v->value), "sp", t->sp);
	if (t->bad & SG_FIELD_ST)
		add_field(v->value, sizeof(v->value), "st", t->st);
	if (t->bad & SG_FIELD_SE)
		add_field(v->value, sizeof(v->value), "se", t->se);
	if (t->bad & SG_FIELD_CONFLICT) {
		size_t n = strlen(v->value);
		snprintf(v->value + n, sizeof(v->value) - n, "%s%s given twice, differently", n ? ", " : "",
			 t->conflict);
	}
	fmt(v->limit, sizeof(v->limit), "readable sv, sp, st, se");
	fmt(v->detail, sizeof(v->detail),
	    "the token is signed but what it grants or when it expires cannot be read, so it "
	    "cannot be judged: sasguard fails closed");
}

/* A key-signed token of an account that refuses shared-key requests cannot
 * work there (until an admin turns shared keys back on): say so. */
static void note_shared_key(const sg_token *t, const sg_policy *p, sg_finding *f)
{
	int key_signed = t->kind == SG_KIND_SERVICE_SAS || t->kind == SG_KIND_ACCOUNT_SAS ||
			 t->kind == SG_KIND_STORAGE_KEY;
	if (p->shared_key_access || !key_signed)
		return;
	fmt(f->note, sizeof(f->note),
	    "account %.40s refuses shared-key access (allowSharedKeyAccess = false): this key-signed %s "
	    "cannot work there unless that is turned back on",
	    t->account, t->kind == SG_KIND_STORAGE_KEY ? "key" : "SAS");
}

int sg_token_judge(sg_token *tok, const sg_policy *p, int64_t now, sg_finding *f)
{
	sg_policy view; /* the policy for this token's account: [account] sections applied */
	if (p->naccounts) {
		sg_policy_for_account(p, tok->account, &view);
		p = &view;
	}
	memset(f, 0, sizeof(*f));
	f->token = *tok;
	rule_unparseable(tok, p, f);
	rule_account_sas(tok, p, f);
	rule_permissions(tok, p, f);
	rule_lifetime(tok, p, now, f);
	rule_http(tok, p, f);
	rule_scope(tok, p, f);
	rule_ip(tok, p, f);
	rule_stored_policy(tok, p, f);
	rule_account_key(tok, p, f);
	/* A value taken from another parameter may repeat the secret (si=<sig>, a key as its own name). */
	for (size_t i = 0; i < f->nviolations; i++) {
		sg_redact(f->violations[i].value, tok->secret);
		sg_redact(f->violations[i].detail, tok->secret);
	}

	f->expires = is_sas(tok) || tok->kind == SG_KIND_SERVICEBUS_SAS ? effective_expiry(tok)
									 : SG_TIME_NONE;
	f->expired = f->expires != SG_TIME_NONE && f->expires <= now;
	f->live = !f->expired;
	for (size_t i = 0; i < f->nviolations; i++)
		if (f->violations[i].severity > f->severity)
			f->severity = f->violations[i].severity;
	if (f->expired)
		f->severity = f->nviolations ? p->expired : SG_SEV_OFF;
	if (f->severity == SG_SEV_OFF) {
		memset(f, 0, sizeof(*f));
		return 0;
	}
	note_shared_key(tok, p, f);
	tok->arena = NULL;
	return 1;
}

int sg_finding_has(const sg_finding *f, sg_rule r)
{
	for (size_t i = 0; i < f->nviolations; i++)
		if (f->violations[i].rule == r)
			return 1;
	return 0;
}

int sg_finding_blocks(const sg_finding *f)
{
	return f->severity == SG_SEV_ERROR && f->allowed == SG_ALLOWED_NO;
}
