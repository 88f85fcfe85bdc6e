/*
 * token.c - one token's text into an sg_token: its parameters, kind, times,
 * host and account; placeholders and emulator tokens told apart from real ones.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Azurite / storage emulator key: public, documented, opens nothing real. */
#define AZURITE_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
#define AZURITE_ACCOUNT "devstoreaccount1"
/* The Cosmos DB emulator's key: just as public (the emulator listens on 8081). */
#define COSMOS_EMULATOR_KEY "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
#define COSMOS_EMULATOR_PORT 8081

#define DISPLAY_MAX 640
#define NAME_MAX_LEN 40

/* Bump allocator over tok->arena; sized up front so pointers stay valid. */
typedef struct arena {
	char *buf;
	size_t used, cap;
} arena;

static const char *arena_put(arena *a, const char *s, size_t n, int decode)
{
	if (a->used + n + 1 > a->cap)
		return NULL;
	char *dst = a->buf + a->used;
	size_t len = decode ? sg_percent_decode_value(s, n, dst) : (memcpy(dst, s, n), dst[n] = '\0', n);
	a->used += len + 1;
	return dst;
}

static int is_name_char(int c)
{
	return sg_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* Parameters that only a SAS has; a "name=" prefix before them is stripped.
 * Returns the name's place in the list plus one, or 0. */
static int is_sas_param(const char *s, size_t n)
{
	static const char *const names[] = { "sv",  "sp",  "sr",    "ss",    "srt", "se",  "st",
					     "si",  "sig", "spr",   "sip",   "skoid", "sktid",
					     "skt", "ske", "sks",   "skv",   "sdd",   "skn",  "tn" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && sg_ci_equal(s, names[i], n))
			return (int)i + 1;
	return 0;
}

/* Length of "name=" at s when s starts with a valid parameter name and '='. */
static size_t name_eq(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i <= NAME_MAX_LEN && is_name_char((unsigned char)s[i]))
		i++;
	return i > 0 && i < n && s[i] == '=' ? i + 1 : 0;
}

static int starts_ci(const char *s, size_t n, const char *prefix)
{
	size_t l = strlen(prefix);
	return n >= l && sg_ci_equal(s, prefix, l);
}

int sg_signature_is_real(const char *sig, size_t len)
{
	unsigned char seen[128] = { 0 };
	size_t distinct = 0, steps = 0;

	if (len != 44 || sig[43] != '=')
		return 0;
	for (size_t i = 0; i < 43; i++) {
		unsigned char c = (unsigned char)sig[i];
		if (!sg_is_b64(c))
			return 0;
		if (!seen[c]++)
			distinct++;
		if (i && c == (unsigned char)sig[i - 1] + 1)
			steps++;
	}
	/* Random base64 of 43 chars shows ~31 distinct characters; "AAAA..." or
	 * "ABCDEF..." are hand-made placeholders, not signatures. */
	return distinct >= 12 && steps < 30;
}

/* A storage account key is 64 random bytes: 86 base64 characters and "==". */
static int key_is_real(const char *k, size_t len, int storage)
{
	size_t n = len, pad = 0;
	while (n > 0 && k[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (storage ? (n != 86 || pad != 2) : (n < 40 || n > 88 || len % 4 != 0))
		return 0;
	unsigned char seen[128] = { 0 };
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!sg_is_b64(c))
			return 0;
		if (!seen[c]++)
			distinct++;
	}
	return distinct >= 12;
}

const char *sg_token_param(const sg_token *t, const char *name)
{
	size_t l = strlen(name);
	for (size_t i = 0; i < t->nparams; i++)
		if (strlen(t->params[i].name) == l && sg_ci_equal(t->params[i].name, name, l))
			return t->params[i].value;
	return NULL;
}

/* A signature is base64 (maybe percent-encoded): what follows it in prose
 * ("...sig=abc%3D." or "sig=abc=,") is not part of it. */
static size_t signature_span(const char *v, size_t n)
{
	size_t i = 0;
	while (i < n && (sg_is_b64((unsigned char)v[i]) || v[i] == '=' || v[i] == '%'))
		i++;
	return i;
}

/* Splits a query ("a=1&b=2") into t->params, values percent-decoded, in
 * order. A query with more than SG_MAX_PARAMS parameters keeps every SAS
 * parameter and as many others as fit: a sig after 48 tracking parameters
 * is still a token. */
static int parse_query(sg_token *t, arena *a, const char *q, size_t n)
{
	size_t total = 0, sas = 0;
	uint32_t seen = 0; /* SAS names met: each counts once, however often repeated */
	for (size_t i = 0; i < n;) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - q) : n, eq = name_eq(q + i, end - i);
		int k = eq ? is_sas_param(q + i, eq - 1) : 0;
		total += eq != 0;
		if (k && !(seen & (1u << k))) {
			seen |= 1u << k;
			sas++;
		}
		i = end + 1;
	}
	size_t others = total <= SG_MAX_PARAMS ? total : SG_MAX_PARAMS - sas;
	seen = 0;
	for (size_t i = 0; i < n && t->nparams < SG_MAX_PARAMS;) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t end = amp ? (size_t)(amp - q) : n;
		size_t eq = name_eq(q + i, end - i);
		int k = eq ? is_sas_param(q + i, eq - 1) : 0;
		int first = k && !(seen & (1u << k));
		if (eq && (first || others > 0)) {
			if (first)
				seen |= 1u << k;
			else
				others--;
			sg_param *p = &t->params[t->nparams];
			size_t vlen = end - i - eq;
			if (eq == 4 && sg_ci_equal(q + i, "sig", 3))
				vlen = signature_span(q + i + eq, vlen);
			p->name = arena_put(a, q + i, eq - 1, 0);
			p->value = arena_put(a, q + i + eq, vlen, 1);
			if (!p->name || !p->value)
				return SG_ENOMEM;
			t->nparams++;
		}
		i = end + 1;
	}
	return SG_OK;
}

static int is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void copy_lower(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)sg_lower((unsigned char)s[i]);
	dst[n] = '\0';
}

/* Host, port and path of a URL (scheme optional); fills t->host and t->resource. */
static void parse_url(sg_token *t, const char *u, size_t n, unsigned *port)
{
	size_t h = 0;
	*port = 0;
	for (size_t i = n; i >= 3; i--) {
		if (u[i - 3] == ':' && u[i - 2] == '/' && u[i - 1] == '/') {
			h = i;
			break;
		}
	}
	if (h == 0) {
		/* no scheme: only a bare host such as acct.blob.core.windows.net/c */
		size_t s = 0;
		while (s < n && u[s] != '/')
			s++;
		if (s == 0 || !memchr(u, '.', s) || memchr(u, '=', s))
			return;
	}
	size_t e = h;
	while (e < n && u[e] != '/' && u[e] != '?' && u[e] != '#')
		e++;
	const char *at = memchr(u + h, '@', e - h);
	if (at)
		h = (size_t)(at - u) + 1;
	size_t hend = e;
	const char *colon = NULL;
	if (h < e && u[h] == '[') {
		const char *rb = memchr(u + h, ']', e - h);
		if (rb) {
			hend = (size_t)(rb - u) + 1;
			colon = hend < e && u[hend] == ':' ? u + hend : NULL;
		}
	} else {
		colon = memchr(u + h, ':', e - h);
		if (colon)
			hend = (size_t)(colon - u);
	}
	if (colon)
		for (const char *c = colon + 1; c < u + e && *c >= '0' && *c <= '9'; c++)
			if ((*port = *port * 10 + (unsigned)(*c - '0')) > 65535) {
				*port = 0; /* not a port: never the emulator's */
				break;
			}
	copy_lower(t->host, sizeof(t->host), u + h, hend - h);
	size_t r = e < n && u[e] == '/' ? n - e : 0;
	if (r >= sizeof(t->resource))
		r = sizeof(t->resource) - 1;
	memcpy(t->resource, u + e, r);
	t->resource[r] = '\0';
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), l = strlen(suffix);
	return n >= l && strcmp(s + n - l, suffix) == 0;
}

/* Hosts an emulator (Azurite, the Cosmos DB emulator) answers on. */
static int is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
	       strcmp(host, "[::1]") == 0 || strcmp(host, "azurite") == 0 ||
	       strcmp(host, "host.docker.internal") == 0;
}

/* Storage or messaging endpoint: the account or namespace is the first label. */
static void derive_account(sg_token *t, unsigned port)
{
	static const char *const suffixes[] = {
		".core.windows.net",      ".core.chinacloudapi.cn",    ".core.usgovcloudapi.net",
		".core.cloudapi.de",      ".servicebus.windows.net",   ".servicebus.chinacloudapi.cn",
		".servicebus.usgovcloudapi.net", ".azure-devices.net", ".azure-devices.cn",
		".azure-devices.us",       ".documents.azure.com",      ".documents.azure.cn",
		".documents.azure.us",     ".cosmos.azure.com",         ".cosmos.azure.cn",
		".cosmosdb.azure.com",
	};
	int loopback = is_loopback(t->host);

	if (!t->account[0]) {
		if (loopback && t->resource[0] == '/') {
			/* Azurite's path-style URLs: http://127.0.0.1:10000/devstoreaccount1/c */
			const char *seg = t->resource + 1, *slash = strchr(seg, '/');
			copy_lower(t->account, sizeof(t->account), seg,
				   slash ? (size_t)(slash - seg) : strlen(seg));
		} else {
			for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
				if (ends_with(t->host, suffixes[i])) {
					const char *dot = strchr(t->host, '.');
					copy_lower(t->account, sizeof(t->account), t->host,
						   (size_t)(dot - t->host));
					break;
				}
			}
		}
	}
	if (strcmp(t->account, AZURITE_ACCOUNT) == 0 ||
	    (loopback && port >= 10000 && port <= 10002))
		t->emulator = 1;
}

/* Appends s (sanitised to printable ASCII) to the display buffer. */
static void display_put(char *d, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len && *n < DISPLAY_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		d[(*n)++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (*n >= DISPLAY_MAX)
		memcpy(d + DISPLAY_MAX - 3, "...", 3);
	d[*n] = '\0';
}

static void display_str(char *d, size_t *n, const char *s)
{
	display_put(d, n, s, strlen(s));
}

static int is_secret_param(const char *name)
{
	return sg_ci_equal(name, "sig", 4);
}

/* "sv=..&sig=abcd...&se=.." into d. */
static void display_params(const sg_token *t, char *d, size_t *n)
{
	for (size_t i = 0; i < t->nparams; i++) {
		if (i)
			display_str(d, n, "&");
		display_str(d, n, t->params[i].name);
		display_str(d, n, "=");
		if (is_secret_param(t->params[i].name)) {
			display_str(d, n, t->secret_head);
			display_str(d, n, "...");
		} else {
			display_str(d, n, t->params[i].value);
		}
	}
}

size_t sg_redact(char *s, const char *secret)
{
	size_t n = strlen(s), l = secret ? strlen(secret) : 0;
	if (l <= 7)
		return n;
	/* base64 holds no '.': no copy can overlap the "..." just written */
	for (char *p = strstr(s, secret); p; p = strstr(p + 7, secret)) {
		memmove(p + 7, p + l, n - (size_t)(p - s) - l + 1);
		p[4] = p[5] = p[6] = '.';
		n -= l - 7;
	}
	return n;
}

static int set_secret(sg_token *t, const char *secret)
{
	size_t l = strlen(secret);
	t->secret = secret;
	memcpy(t->secret_head, secret, l < 4 ? l : 4);
	t->secret_head[l < 4 ? l : 4] = '\0';
	return sg_fingerprint(t->kind, secret, l, t->fingerprint);
}

static int is_version(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

static void parse_time_field(const char *v, int64_t *out, unsigned *bad, unsigned bit)
{
	if (v && sg_time_parse(v, strlen(v), out) < 0) {
		*out = SG_TIME_NONE;
		*bad |= bit;
	}
}

/* Reads the fields a storage SAS is judged on; marks what cannot be read. */
static void read_storage_fields(sg_token *t)
{
	if (t->sv && !is_version(t->sv))
		t->bad |= SG_FIELD_SV;
	if (t->sp) {
		if (!*t->sp)
			t->bad |= SG_FIELD_SP;
		for (const char *c = t->sp; *c; c++)
			if (*c < 'a' || *c > 'z')
				t->bad |= SG_FIELD_SP;
	}
	parse_time_field(t->st, &t->st_time, &t->bad, SG_FIELD_ST);
	parse_time_field(t->se, &t->se_time, &t->bad, SG_FIELD_SE);
	const char *ske = sg_token_param(t, "ske");
	if (ske && sg_time_parse(ske, strlen(ske), &t->ske) < 0)
		t->ske = SG_TIME_NONE;
	if (!t->si) {
		/* Without a stored policy, sp and se are required: fail closed. */
		if (!t->se)
			t->bad |= SG_FIELD_SE;
		if (!t->sp)
			t->bad |= SG_FIELD_SP;
	}
}

static void read_servicebus_fields(sg_token *t)
{
	if (!t->se || !is_digits(t->se) || strlen(t->se) > 12) {
		t->bad |= SG_FIELD_SE;
		return;
	}
	t->se_time = strtoll(t->se, NULL, 10);
}

/* A parameter the judge reads, given twice with different values: which one
 * Azure would honour is not for sasguard to guess (fail closed). */
static void find_conflicts(sg_token *t)
{
	static const char *const judged[] = { "sv", "sp", "st", "se", "spr", "sr", "ss", "srt", "si", "sip", "ske", "skn", "sig" };
	for (size_t j = 0; j < sizeof(judged) / sizeof(judged[0]); j++) {
		const char *first = sg_token_param(t, judged[j]);
		size_t l = strlen(judged[j]);
		for (size_t i = 0; first && i < t->nparams; i++)
			if (strlen(t->params[i].name) == l && sg_ci_equal(t->params[i].name, judged[j], l) &&
			    strcmp(t->params[i].value, first) != 0) {
				t->bad |= SG_FIELD_CONFLICT;
				t->conflict = judged[j];
				return;
			}
	}
}

/* Sets kind and fields from the parameters; SG_EINVAL when not a real token. */
static int finish_sas(sg_token *t)
{
	t->sig = sg_token_param(t, "sig");
	if (!t->sig || !sg_signature_is_real(t->sig, strlen(t->sig)))
		return SG_EINVAL;
	t->sv = sg_token_param(t, "sv");
	t->sp = sg_token_param(t, "sp");
	t->sr = sg_token_param(t, "sr");
	t->ss = sg_token_param(t, "ss");
	t->srt = sg_token_param(t, "srt");
	t->spr = sg_token_param(t, "spr");
	t->sip = sg_token_param(t, "sip");
	t->si = sg_token_param(t, "si");
	t->skn = sg_token_param(t, "skn");
	t->skoid = sg_token_param(t, "skoid");
	t->st = sg_token_param(t, "st");
	t->se = sg_token_param(t, "se");

	if (t->skn || (t->sr && !t->sv && t->se && is_digits(t->se)))
		t->kind = SG_KIND_SERVICEBUS_SAS;
	else if (t->ss || t->srt)
		t->kind = SG_KIND_ACCOUNT_SAS;
	else if (t->skoid || sg_token_param(t, "sktid"))
		t->kind = SG_KIND_USER_DELEGATION_SAS;
	else if (t->sv || t->sp || t->se || t->si || t->sr || t->st || t->nparams == 1)
		/* nparams 1: "&sig=<a real HMAC>" alone, the rest of its token
		 * elsewhere (other lines, a dict). It signs something, unreadable
		 * from here: judged as a storage SAS with sp and se absent, so
		 * unparseable. */
		t->kind = SG_KIND_SERVICE_SAS;
	else
		return SG_EINVAL;

	if (t->kind == SG_KIND_SERVICEBUS_SAS)
		read_servicebus_fields(t);
	else
		read_storage_fields(t);
	find_conflicts(t);
	return set_secret(t, t->sig);
}

/* For a Service Bus / IoT SAS the resource URI in sr names the host. */
static void host_from_sr(sg_token *t)
{
	unsigned port;
	if (t->kind == SG_KIND_SERVICEBUS_SAS && t->sr && !t->host[0]) {
		parse_url(t, t->sr, strlen(t->sr), &port);
		derive_account(t, port);
	}
}

/* "AZURE_SAS=sp=r&..." or "SharedAccessSignature=sv=...": the query starts later. */
static void skip_prefixes(const char **q, size_t *n, int *sb)
{
	for (int round = 0; round < 4; round++) {
		if (starts_ci(*q, *n, "SharedAccessSignature")) {
			size_t k = strlen("SharedAccessSignature");
			if (k < *n && ((*q)[k] == ' ' || (*q)[k] == '=')) {
				*sb = (*q)[k] == ' ';
				while (k < *n && ((*q)[k] == ' ' || (*q)[k] == '='))
					k++;
				*q += k;
				*n -= k;
				continue;
			}
		}
		size_t first = name_eq(*q, *n);
		if (!first || is_sas_param(*q, first - 1))
			return;
		size_t second = name_eq(*q + first, *n - first);
		if (!second || !is_sas_param(*q + first, second - 1))
			return;
		*q += first;
		*n -= first;
	}
}

/* A SAS as a URL, a bare query, or "SharedAccessSignature sr=..". */
static int parse_sas_text(sg_token *t, arena *a, const char *text, size_t len)
{
	const char *url = NULL, *q = text;
	size_t ulen = 0, n = len;
	int sb = 0;
	unsigned port = 0;
	char *d;
	size_t dn = 0;

	for (size_t i = len; i > 0; i--) {
		if (text[i - 1] == '?') {
			url = text;
			ulen = i - 1;
			q = text + i;
			n = len - i;
			break;
		}
	}
	skip_prefixes(&q, &n, &sb);
	int rc = parse_query(t, a, q, n);
	if (rc < 0)
		return rc;
	if ((rc = finish_sas(t)) < 0)
		return rc;
	if (url) {
		parse_url(t, url, ulen, &port);
		derive_account(t, port);
	}
	host_from_sr(t);

	if (!(d = (char *)arena_put(a, "", 0, 0)) || a->cap - a->used < DISPLAY_MAX + 1)
		return SG_ENOMEM;
	if (url && t->host[0]) {
		/* scheme://host/path? as written, from where the scheme starts */
		const char *sep = NULL;
		for (size_t i = ulen; i >= 3 && !sep; i--)
			if (memcmp(url + i - 3, "://", 3) == 0)
				sep = url + i - 3;
		const char *from = sep ? url + sg_scheme_start(url, (size_t)(sep - url), 0) : url;
		display_put(d, &dn, from, (size_t)(url + ulen - from));
		display_str(d, &dn, "?");
	} else if (sb || t->kind == SG_KIND_SERVICEBUS_SAS) {
		display_str(d, &dn, "SharedAccessSignature ");
	}
	display_params(t, d, &dn);
	dn = sg_redact(d, t->sig);
	t->display = d;
	a->used += dn + 1;
	return SG_OK;
}

/* Segments of a connection string that matter, pointers into the text. */
typedef struct conn {
	const char *val[16];
	size_t len[16];
} conn;

enum { C_ACCOUNT_NAME, C_ACCOUNT_KEY, C_SAS, C_ENDPOINT, C_BLOB_ENDPOINT, C_KEY_NAME,
       C_SHARED_KEY, C_HOST_NAME, C_SUFFIX, C_ACCOUNT_ENDPOINT, C_COUNT };

static int conn_slot(const char *name, size_t n)
{
	static const char *const names[C_COUNT] = {
		"AccountName",     "AccountKey",          "SharedAccessSignature",
		"Endpoint",        "BlobEndpoint",        "SharedAccessKeyName",
		"SharedAccessKey", "HostName",            "EndpointSuffix",
		"AccountEndpoint", /* Cosmos DB's own: https://<acct>.documents.azure.com:443/ */
	};
	for (int i = 0; i < C_COUNT; i++)
		if (strlen(names[i]) == n && sg_ci_equal(name, names[i], n))
			return i;
	/* Any other service endpoint names the host as well as BlobEndpoint. */
	if (n > 8 && sg_ci_equal(name + n - 8, "Endpoint", 8))
		return C_BLOB_ENDPOINT;
	return -1;
}

/*
 * Where the segment that starts at text[i] ends: at the next ';', or, for a
 * key, where its base64 and padding end when "Name=" follows straight on
 * ("AccountKey=<86>==EndpointSuffix=..": a lost ';'). *next is where the
 * following segment starts.
 */
static size_t segment_end(const char *text, size_t len, size_t i, size_t *next)
{
	const char *semi = memchr(text + i, ';', len - i);
	size_t end = semi ? (size_t)(semi - text) : len, eq = name_eq(text + i, end - i);
	*next = end + 1;
	if (!eq)
		return end;
	int slot = conn_slot(text + i, eq - 1);
	if (slot != C_ACCOUNT_KEY && slot != C_SHARED_KEY)
		return end;
	size_t k = i + eq, pad = 0;
	while (k < end && sg_is_b64((unsigned char)text[k]))
		k++;
	while (k < end && text[k] == '=' && pad < 2) {
		k++;
		pad++;
	}
	if (pad && k < end && name_eq(text + k, end - k)) {
		*next = k;
		return k;
	}
	return end;
}

static void conn_display(const char *text, size_t len, const sg_token *t, char *d, size_t *dn)
{
	size_t i = 0;
	int first = 1;
	while (i < len) {
		size_t next, end = segment_end(text, len, i, &next);
		size_t eq = name_eq(text + i, end - i);
		if (eq && end > i) {
			int slot = conn_slot(text + i, eq - 1);
			if (!first)
				display_str(d, dn, ";");
			first = 0;
			display_put(d, dn, text + i, eq);
			if (slot == C_ACCOUNT_KEY || slot == C_SHARED_KEY) {
				display_put(d, dn, text + i + eq, end - i - eq < 4 ? end - i - eq : 4);
				display_str(d, dn, "...");
			} else if (slot == C_SAS) {
				display_params(t, d, dn);
			} else {
				/* decoded, so that a percent-encoded copy of the secret
				 * here is found and cut like a plain one */
				char v[DISPLAY_MAX + 1];
				size_t vl = end - i - eq < DISPLAY_MAX ? end - i - eq : DISPLAY_MAX;
				display_put(d, dn, v, sg_percent_decode_value(text + i + eq, vl, v));
			}
		}
		i = next;
	}
}

/* A Cosmos DB endpoint: https://<acct>.documents.azure.com:443/, the Table
 * API's <acct>.table.cosmos.azure.com, sovereign clouds alike. */
static int is_cosmos_endpoint(const char *ep, size_t n)
{
	static const char *const marks[] = { ".documents.azure.", ".cosmos.azure.", ".cosmosdb.azure.",
					     ".documents.microsoftazure." };
	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		size_t l = strlen(marks[m]);
		for (size_t i = 0; i + l <= n; i++)
			if (sg_ci_equal(ep + i, marks[m], l))
				return 1;
	}
	return 0;
}

static int parse_connstring(sg_token *t, arena *a, const char *text, size_t len)
{
	conn c;
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < len;) {
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (i >= len)
			break;
		size_t next, end = segment_end(text, len, i, &next);
		size_t eq = name_eq(text + i, end - i);
		int slot = eq ? conn_slot(text + i, eq - 1) : -1;
		if (slot < 0 && eq && i == 0 && name_eq(text + eq, end - eq)) {
			/* "COSMOS=AccountEndpoint=..": a variable named before the string */
			i = eq;
			continue;
		}
		if (slot >= 0 && !c.val[slot]) {
			c.val[slot] = text + i + eq;
			c.len[slot] = end - i - eq;
		}
		i = next;
	}

	unsigned port = 0;
	int eps = c.val[C_BLOB_ENDPOINT] ? C_BLOB_ENDPOINT : c.val[C_ACCOUNT_ENDPOINT] ? C_ACCOUNT_ENDPOINT : C_ENDPOINT;
	const char *ep = c.val[eps];
	size_t eplen = c.len[eps];
	if (c.val[C_ACCOUNT_NAME])
		copy_lower(t->account, sizeof(t->account), c.val[C_ACCOUNT_NAME], c.len[C_ACCOUNT_NAME]);

	int rc;
	const char *secret = NULL;
	/* A key is worse than any SAS beside it: a string with both is its key. */
	if (c.val[C_SAS] && !c.val[C_ACCOUNT_KEY] && !c.val[C_SHARED_KEY]) {
		const char *q = c.val[C_SAS];
		size_t n = c.len[C_SAS];
		int sb = 0;
		skip_prefixes(&q, &n, &sb);
		if ((rc = parse_query(t, a, q, n)) < 0 || (rc = finish_sas(t)) < 0)
			return rc;
		secret = t->sig;
	} else if (c.val[C_ACCOUNT_KEY]) {
		t->kind = SG_KIND_STORAGE_KEY;
		const char *k = arena_put(a, c.val[C_ACCOUNT_KEY], c.len[C_ACCOUNT_KEY], 0);
		if (!k)
			return SG_ENOMEM;
		if (!key_is_real(k, strlen(k), 1))
			return SG_EINVAL;
		if (strcmp(k, AZURITE_KEY) == 0 || strcmp(k, COSMOS_EMULATOR_KEY) == 0)
			t->emulator = 1;
		/* The same shape of key opens a Cosmos DB account when the string
		 * names one: rotated elsewhere, so a kind of its own. */
		if (c.val[C_ACCOUNT_ENDPOINT] || (ep && is_cosmos_endpoint(ep, eplen)))
			t->kind = SG_KIND_COSMOS_KEY;
		secret = k;
		if ((rc = set_secret(t, k)) < 0)
			return rc;
	} else if (c.val[C_SHARED_KEY]) {
		t->kind = SG_KIND_SERVICEBUS_KEY;
		const char *k = arena_put(a, c.val[C_SHARED_KEY], c.len[C_SHARED_KEY], 0);
		if (!k)
			return SG_ENOMEM;
		if (!key_is_real(k, strlen(k), 0))
			return SG_EINVAL;
		if (c.val[C_KEY_NAME])
			t->skn = arena_put(a, c.val[C_KEY_NAME], c.len[C_KEY_NAME], 0);
		if (!ep) {
			ep = c.val[C_HOST_NAME];
			eplen = c.len[C_HOST_NAME];
		}
		secret = k;
		if ((rc = set_secret(t, k)) < 0)
			return rc;
	} else {
		return SG_EINVAL;
	}
	if (ep)
		parse_url(t, ep, eplen, &port);
	if (!t->host[0] && t->account[0] && c.val[C_SUFFIX] && t->kind == SG_KIND_STORAGE_KEY) {
		int sl = c.len[C_SUFFIX] < 160 ? (int)c.len[C_SUFFIX] : 160;
		snprintf(t->host, sizeof(t->host), "%.63s.blob.%.*s", t->account, sl, c.val[C_SUFFIX]);
	}
	derive_account(t, port);
	if (t->kind == SG_KIND_COSMOS_KEY && port == COSMOS_EMULATOR_PORT && is_loopback(t->host))
		t->emulator = 1;
	host_from_sr(t);

	char *d = (char *)arena_put(a, "", 0, 0);
	size_t dn = 0;
	if (!d || a->cap - a->used < DISPLAY_MAX + 1)
		return SG_ENOMEM;
	conn_display(text, len, t, d, &dn);
	dn = sg_redact(d, secret);
	t->display = d;
	a->used += dn + 1;
	return SG_OK;
}

/* A connection string: ';'-separated, with a key or a SAS among its segments. */
static int is_connstring(const char *text, size_t len)
{
	static const char *const keys[] = { "AccountKey=", "SharedAccessKey=", "SharedAccessSignature=" };
	if (!memchr(text, ';', len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (i && text[i - 1] != ';' && text[i - 1] != ' ')
			continue;
		for (size_t k = 0; k < 3; k++)
			if (starts_ci(text + i, len - i, keys[k]))
				return 1;
	}
	return 0;
}

int sg_token_parse(const char *text, size_t len, sg_token *tok)
{
	arena a;
	int rc;

	memset(tok, 0, sizeof(*tok));
	tok->st_time = tok->se_time = tok->ske = SG_TIME_NONE;
	a.cap = len * 2 + DISPLAY_MAX + 512;
	a.used = 0;
	a.buf = malloc(a.cap);
	if (!a.buf)
		return SG_ENOMEM;
	tok->arena = a.buf;
	tok->arena_size = a.cap;
	rc = is_connstring(text, len) ? parse_connstring(tok, &a, text, len)
				      : parse_sas_text(tok, &a, text, len);
	if (rc < 0)
		sg_token_clear(tok);
	return rc;
}

void sg_token_clear(sg_token *tok)
{
	free(tok->arena);
	memset(tok, 0, sizeof(*tok));
	tok->st_time = tok->se_time = tok->ske = SG_TIME_NONE;
}
