/*
 * sasguard.h - libsasguard, the one public header: find Azure SAS tokens and
 * keys in bytes, parse them, and judge them against a written policy.
 *
 * The library never touches git, never prints and never exits. Functions
 * return SG_OK (0) or a negative SG_E* status; those that can fail for a
 * reason a person must read also fill a caller-owned sg_diag.
 *
 * Ownership, in one place:
 *   - sg_policy: caller-owned struct; sg_policy_init() fills it, sg_policy_free()
 *     releases what the loaders allocated inside it (not the struct itself).
 *   - sg_scanner: sg_scanner_new() allocates, sg_scanner_free() frees. One
 *     scanner per thread; it borrows the policy, which must outlive it.
 *   - sg_findings: caller-owned list; sg_scan_buffer() appends findings that
 *     the list then owns; sg_findings_clear() frees them.
 *   - sg_finding: heap object owned by whoever holds it; sg_finding_free().
 */
#ifndef SASGUARD_H
#define SASGUARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SG_VERSION "0.2.0"

/* Status codes. */
enum {
	SG_OK = 0,
	SG_ENOMEM = -1,    /* out of memory */
	SG_EINVAL = -2,    /* a value could not be read */
	SG_ECONFIG = -3,   /* configuration error; the sg_diag says file:line */
	SG_EIO = -4,       /* a file could not be read */
	SG_ELIMIT = -5,    /* a regex match limit was hit (reported, never a hang) */
	SG_EINTERNAL = -6  /* a bug or a library failure */
};

/* A message for a person, filled by the functions that take one. */
typedef struct sg_diag {
	char msg[512];
} sg_diag;

/* The versions the library runs with: "PCRE2 10.42 (JIT), inih 55, OpenSSL 3.0.19 ...". */
size_t sg_version_info(char *buf, size_t size);

/* ---- time: every time is Unix seconds, UTC ------------------------------ */

#define SG_TIME_NONE INT64_MIN

/*
 * Reads the ISO 8601 forms Azure accepts: 2051-10-06, 2051-10-06T07:09Z,
 * 2051-10-06T07:09:59Z, 2051-10-06T07:09:59.1234567Z (the Z may be left out,
 * or be an offset such as +01:00). Returns SG_OK or SG_EINVAL.
 */
int sg_time_parse(const char *s, size_t len, int64_t *out);

/* Writes 2051-10-06T07:09:59Z; returns the length (buf needs 21+ bytes). */
size_t sg_time_format(int64_t t, char *buf, size_t size);

/* Reads a duration: a count with a unit, m h d w y (y = 365d): "7d", "90m". */
int sg_duration_parse(const char *s, int64_t *out);

/* Writes a duration in the largest units, "30y 2d 8h", "1h", "45s". */
size_t sg_duration_format(int64_t secs, char *buf, size_t size);

/* ---- kinds, rules, severities ------------------------------------------- */

typedef enum sg_kind {
	SG_KIND_SERVICE_SAS,         /* sv+sig with sp/se/si; sr names the resource */
	SG_KIND_ACCOUNT_SAS,         /* ss/srt: spans services and resource types */
	SG_KIND_USER_DELEGATION_SAS, /* service SAS signed by an Entra user delegation key */
	SG_KIND_SERVICEBUS_SAS,      /* SharedAccessSignature sr=..&sig=..&se=<unix>&skn=.. */
	SG_KIND_STORAGE_KEY,         /* AccountKey= in a connection string */
	SG_KIND_SERVICEBUS_KEY,      /* SharedAccessKey= (Service Bus, Event Hubs, IoT) */
	SG_KIND_COSMOS_KEY,          /* AccountKey= beside a Cosmos DB endpoint (AccountEndpoint=) */
	SG_KIND_COUNT
} sg_kind;

typedef enum sg_rule {
	SG_RULE_ACCOUNT_SAS,
	SG_RULE_PERMISSIONS,
	SG_RULE_LIFETIME,
	SG_RULE_HTTP,
	SG_RULE_SCOPE,
	SG_RULE_IP_UNRESTRICTED,
	SG_RULE_STORED_POLICY,
	SG_RULE_ACCOUNT_KEY,
	SG_RULE_UNPARSEABLE,
	SG_RULE_COUNT
} sg_rule;

typedef enum sg_severity {
	SG_SEV_OFF = 0,
	SG_SEV_INFO,
	SG_SEV_WARNING,
	SG_SEV_ERROR
} sg_severity;

const char *sg_kind_name(sg_kind k);       /* "account-sas" */
const char *sg_kind_label(sg_kind k);      /* "account SAS" */
const char *sg_rule_name(sg_rule r);       /* "permissions" */
const char *sg_rule_title(sg_rule r);      /* one line: what the rule checks */
int sg_rule_lookup(const char *name);      /* rule id, or -1 */
const char *sg_severity_name(sg_severity s);
int sg_severity_parse(const char *s, sg_severity *out);

/* What one sp letter grants ("write"), or NULL for a letter no version defines. */
const char *sg_permission_name(char letter);

/* ---- policy -------------------------------------------------------------- */

/* Where a policy file sits in the layering of DESIGN.md section 5. */
typedef enum sg_layer {
	SG_LAYER_DEFAULT = 0,
	SG_LAYER_SYSTEM,     /* /etc/sasguard.ini: the only layer that may set locked */
	SG_LAYER_USER,       /* $XDG_CONFIG_HOME/sasguard/config.ini */
	SG_LAYER_REPO,       /* the repository's .sasguard.ini (client modes only) */
	SG_LAYER_SERVER,     /* the bare repository's sasguard.config (pre-receive) */
	SG_LAYER_CLI         /* --config FILE */
} sg_layer;

#define SG_POLICY_MAX_KEYS 32
#define SG_ORIGIN_MAX 160

/*
 * One [account "GLOB"] section: overrides of allowed_permissions, max_lifetime
 * and rule severities for the tokens of the accounts (or Service Bus
 * namespaces) whose name matches GLOB, case-insensitively. Sections apply in
 * the order the layers gave them; for each key the last matching one wins.
 */
enum {
	SG_ACCT_PERMISSIONS = 0, /* origin[] indexes; rules follow at SG_ACCT_RULE0 + rule */
	SG_ACCT_LIFETIME,
	SG_ACCT_SHARED_KEY,
	SG_ACCT_RULE0,
	SG_ACCT_KEYS = SG_ACCT_RULE0 + SG_RULE_COUNT
};

typedef struct sg_account_policy {
	char glob[64];                       /* lowercase */
	sg_layer layer;                      /* where it was written */
	unsigned set;                        /* bit k: the section sets key k (SG_ACCT_*) */
	char allowed_permissions[32];
	int64_t max_lifetime;
	sg_severity severity[SG_RULE_COUNT];
	int shared_key_access;               /* 0: the account refuses shared-key (key-signed) requests */
	char origin[SG_ACCT_KEYS][SG_ORIGIN_MAX];
} sg_account_policy;

typedef struct sg_policy {
	sg_severity severity[SG_RULE_COUNT]; /* [rules] <id> = error|warning|info|off */
	char allowed_permissions[32];        /* [policy] allowed_permissions: sp letters allowed */
	int64_t max_lifetime;                /* [policy] max_lifetime, seconds */
	sg_severity expired;                 /* [policy] expired: severity of an expired token */
	int scan_binary;                     /* [policy] scan_binary: scan NUL-bearing content (default) */
	uint64_t max_file_size;              /* [policy] max_file_size, bytes; larger is skipped */
	int locked;                          /* [policy] locked (system layer): lower layers only tighten */
	sg_severity unreadable_repo;         /* [policy] unreadable_repo: a repository format not read here */
	int fail_open;                       /* [server] fail_open: accept the push on internal error */
	int64_t max_seconds;                 /* [server] max_seconds: pre-receive time budget */
	int allow_push_option;               /* [server] allow_push_option: -o sasguard.allow=<fp> */
	int inline_allow;                    /* [server] inline_allow: honour sasguard:allow in pushed
					      * content (default true; each use is logged) */
	char log[256];                       /* [server] log: "syslog", a file path, or "" */
	char baseline[512];                  /* [allow] baseline: a baseline file, "" for none */
	char **allow_paths;                  /* [allow] path = GLOB lines; owned; NULL-free array */
	size_t nallow_paths;
	sg_account_policy *accounts;         /* [account "GLOB"] sections, in layer order; owned */
	size_t naccounts;
	int shared_key_access;               /* 1; 0 in a view of an account that refuses shared keys */
	char shared_key_origin[SG_ORIGIN_MAX]; /* where that came from, in a view */
	/* Where each key's value came from ("default", "/etc/sasguard.ini:12");
	 * indexed by the key's position in sg_policy_key_name(). */
	char origin[SG_POLICY_MAX_KEYS][SG_ORIGIN_MAX];
} sg_policy;

/* Fills the built-in defaults of DESIGN.md section 4. Cannot fail. */
void sg_policy_init(sg_policy *p);

/* Frees what the loaders allocated inside *p (not p itself); p is then init'ed. */
void sg_policy_free(sg_policy *p);

/*
 * Applies one INI file as a layer over *p. Unknown sections or keys, bad
 * values, a key set twice, lines too long, binary content, a directory or an
 * unreadable file are errors: SG_ECONFIG (or SG_EIO) with "file:line: why" in
 * diag. When a system layer has set locked, a value that loosens the policy is
 * an error naming the key. On error *p may be partly updated: discard it.
 */
int sg_policy_load(sg_policy *p, const char *path, sg_layer layer, sg_diag *diag);

/* The same, from a string; name is used in messages. */
int sg_policy_load_string(sg_policy *p, const char *text, size_t len,
			  const char *name, sg_layer layer, sg_diag *diag);

/* Key enumeration for `sasguard config --show`: "rules.lifetime", NULL past the end. */
const char *sg_policy_key_name(size_t i);

/* Writes the effective value of key i into buf. */
size_t sg_policy_key_value(const sg_policy *p, size_t i, char *buf, size_t size);

/*
 * The effective policy for tokens of account (a storage account or Service
 * Bus namespace name; "" for none): *p with every matching [account]
 * section applied, origins included. *out is a view: it borrows p's
 * allocations and must not be passed to sg_policy_free(); its accounts are
 * already applied (naccounts is 0). Cannot fail.
 */
void sg_policy_for_account(const sg_policy *p, const char *account, sg_policy *out);

/* Nonzero if path matches an [allow] path glob (git wildmatch style, ** too). */
int sg_policy_path_allowed(const sg_policy *p, const char *path);

/* git-style glob match: '*' and '?' stop at '/', '**' crosses it, [a-z] classes. */
int sg_glob_match(const char *pattern, const char *path);

/* ---- tokens -------------------------------------------------------------- */

#define SG_MAX_PARAMS 48

/* Field bits for sg_token.bad: present but unreadable (or required and missing). */
enum {
	SG_FIELD_SV = 1 << 0,
	SG_FIELD_SP = 1 << 1,
	SG_FIELD_ST = 1 << 2,
	SG_FIELD_SE = 1 << 3,
	SG_FIELD_CONFLICT = 1 << 4 /* a judged parameter given twice, differently */
};

typedef struct sg_param {
	const char *name;   /* as written, into the token's arena */
	const char *value;  /* percent-decoded, into the token's arena */
} sg_param;

typedef struct sg_token {
	sg_kind kind;
	size_t offset;             /* where the token's text starts in the scanned buffer */
	size_t length;             /* and its length there, in bytes (UTF-16: in its UTF-8) */
	char host[256];            /* endpoint host, "" when unknown */
	char account[64];          /* storage account or namespace, "" when unknown */
	char resource[256];        /* path after the host ("/c/b.bin"), "" when unknown */
	int emulator;              /* addressed to Azurite/the emulator: never a finding */
	int url_encoded;           /* the token's own & and = were percent-encoded */
	size_t nparams;
	sg_param params[SG_MAX_PARAMS];
	/* Shortcuts into params, values as decoded (NULL when absent). */
	const char *sv, *sp, *sr, *ss, *srt, *spr, *sip, *si, *skn, *skoid, *sig, *st, *se;
	const char *secret;        /* the signature or key itself, decoded (never print it) */
	const char *conflict;      /* with SG_FIELD_CONFLICT: the parameter's name */
	int64_t st_time, se_time;  /* st and se read; SG_TIME_NONE when absent or unreadable */
	int64_t ske;               /* user delegation key expiry, caps the lifetime */
	unsigned bad;              /* SG_FIELD_* present but unreadable, or required but absent */
	char secret_head[8];       /* the first 4 characters of sig or key, for display */
	char fingerprint[33];      /* 32 hex chars: SHA-256 over kind and secret, truncated */
	const char *display;       /* the token, decoded, its secret cut to 4 characters and
				    * "..."; printable ASCII only; in the arena */
	char *arena;               /* owned: names, values and display live here */
	size_t arena_size;         /* bytes allocated at arena */
} sg_token;

/*
 * Parses one token from text already freed of HTML/JSON escaping: a query
 * string ("sv=..&sig=.."), optionally after a URL or "SharedAccessSignature ",
 * or a connection string ("AccountName=..;AccountKey=.."). Returns SG_OK with
 * *tok filled, SG_EINVAL when the text holds no real token (no signature, a
 * placeholder signature, no SAS parameter), or SG_ENOMEM. The caller frees
 * with sg_token_clear() after SG_OK.
 */
int sg_token_parse(const char *text, size_t len, sg_token *tok);
void sg_token_clear(sg_token *tok);
const char *sg_token_param(const sg_token *tok, const char *name);

/* Nonzero when a sig value (percent-decoded) is shaped like a real HMAC-SHA256. */
int sg_signature_is_real(const char *sig, size_t len);

/* ---- findings ------------------------------------------------------------ */

typedef struct sg_violation {
	sg_rule rule;
	sg_severity severity;
	char value[192];   /* what the token holds: "sp=rwdlacupitfx" */
	char limit[96];    /* what the policy allows: "rl" */
	char detail[320];  /* what that means: "w write, d delete, ..." */
} sg_violation;

typedef enum sg_allowance {
	SG_ALLOWED_NO = 0,
	SG_ALLOWED_INLINE,      /* sasguard:allow <reason> on the token's line */
	SG_ALLOWED_PATH,        /* [allow] path = GLOB */
	SG_ALLOWED_BASELINE,    /* fingerprint in the baseline file */
	SG_ALLOWED_PUSH_OPTION  /* git push -o sasguard.allow=<fingerprint> */
} sg_allowance;

typedef struct sg_finding {
	sg_token token;            /* owned */
	size_t line;               /* 1-based line of the token's first byte */
	size_t column;             /* 1-based byte column */
	sg_severity severity;      /* worst violation; the expired severity when expired */
	int expired;               /* its expiry is at or before "now" */
	int live;                  /* grants access now (keys and stored policies: yes) */
	int64_t expires;           /* effective expiry (se, capped by ske); SG_TIME_NONE if none */
	size_t nviolations;
	sg_violation violations[SG_RULE_COUNT];
	sg_allowance allowed;      /* set by the scanner or the caller; the finding then blocks nothing */
	char allow_reason[160];
	char note[160];            /* e.g. "sasguard:allow without a reason is ignored" */
} sg_finding;

/*
 * Judges a parsed token against a policy at time now. Returns 1 and fills *f
 * when the token breaks a rule whose severity is not off: the token's arena
 * then moves into f (tok->arena becomes NULL). Returns 0 when it breaks none,
 * leaving tok as it was. Cannot fail otherwise.
 */
int sg_token_judge(sg_token *tok, const sg_policy *p, int64_t now, sg_finding *f);

/* Nonzero when the finding lists the rule. */
int sg_finding_has(const sg_finding *f, sg_rule r);

/* Whether this finding makes the run fail: severity error and not allowed. */
int sg_finding_blocks(const sg_finding *f);

/* How to replace the token with a least-privilege, short-lived one. */
size_t sg_finding_fix(const sg_finding *f, const sg_policy *p, char *buf, size_t size);

/* How to revoke the token if it leaked (for live tokens in history). */
size_t sg_finding_revoke(const sg_finding *f, char *buf, size_t size);

sg_finding *sg_finding_dup(const sg_finding *f);
void sg_finding_free(sg_finding *f);

typedef struct sg_findings {
	sg_finding **items;
	size_t count;
	size_t cap;
} sg_findings;

void sg_findings_init(sg_findings *l);
int sg_findings_push(sg_findings *l, sg_finding *f);  /* takes f; on SG_ENOMEM frees it */
void sg_findings_clear(sg_findings *l);               /* frees every finding */

/* ---- baselines: fingerprints of tokens known when sasguard was adopted ---- */

typedef struct sg_baseline sg_baseline;

/* Reads a baseline file; a line that is not a fingerprint is an error with file:line. */
int sg_baseline_load(sg_baseline **out, const char *path, sg_diag *diag);
int sg_baseline_has(const sg_baseline *b, const char *fingerprint);
size_t sg_baseline_count(const sg_baseline *b);
void sg_baseline_free(sg_baseline *b);

/* Writes the fingerprints of items, sorted and unique, to path (atomically). */
int sg_baseline_write(const char *path, sg_finding *const *items, size_t n, sg_diag *diag);

/* ---- scanning ------------------------------------------------------------ */

typedef struct sg_stats {
	uint64_t bytes;          /* bytes scanned */
	uint64_t anchors;        /* prefilter hits */
	uint64_t tokens;         /* real tokens parsed (judged, whatever the verdict) */
	uint64_t placeholders;   /* sig= or keys that were placeholders or fakes */
	uint64_t emulator;       /* Azurite/emulator tokens and keys skipped */
	uint64_t limit_hits;     /* regex match limits hit (the window was skipped) */
	uint64_t dropped;        /* findings past the per-buffer cap: counted, not kept */
	uint64_t dropped_blocking; /* of those, how many would have blocked */
	uint64_t decoded;        /* buffers read as UTF-16 */
} sg_stats;

typedef struct sg_scanner sg_scanner;

/* Compiles the patterns (PCRE2, JIT when available). One scanner per thread. */
int sg_scanner_new(sg_scanner **out, const sg_policy *p, sg_diag *diag);
void sg_scanner_free(sg_scanner *s);

/* Fixes "now" (Unix seconds); the default is the time of sg_scanner_new(). */
void sg_scanner_set_now(sg_scanner *s, int64_t now);
int64_t sg_scanner_now(const sg_scanner *s);

/* Findings of tokens in b become allowed (SG_ALLOWED_BASELINE); b is borrowed. */
void sg_scanner_set_baseline(sg_scanner *s, const sg_baseline *b);

/* Lowers the PCRE2 match limit (default 10^6 per window); tests use it to
 * prove that a limit hit is reported, as SG_ELIMIT, never a hang. */
void sg_scanner_set_match_limit(sg_scanner *s, uint32_t limit);

/* Counters since the scanner was made. */
const sg_stats *sg_scanner_stats(const sg_scanner *s);

/* Puts the counters back to *to: a caller that scans what it does not report
 * (the old side of a diff) keeps it out of the figures. */
void sg_scanner_set_stats(sg_scanner *s, const sg_stats *to);

/*
 * Scans buf[0..len) for tokens wherever they sit (URLs, bare query strings,
 * connection strings; raw, percent-, HTML- or JSON-escaped; base64-encoded;
 * ASCII stored as UTF-16 among other bytes, as binary files hold strings,
 * the finding's note then saying so). Every token that
 * breaks a rule becomes a finding appended to out, with line numbers counted
 * from first_line. path (may be NULL) is matched against [allow] globs; an
 * inline "sasguard:allow <reason>" on the token's line marks it allowed.
 * Returns SG_OK, SG_ENOMEM, or SG_ELIMIT when a window hit the regex match
 * limit (the rest of buf was still scanned; the stats count the hit).
 */
int sg_scan_buffer(sg_scanner *s, const char *path, const char *buf, size_t len,
		   size_t first_line, sg_findings *out);

/*
 * Text encodings that are not ASCII-compatible. sg_scan_buffer reads UTF-16
 * (what Windows PowerShell 5 `>` and Out-File, and regedit, write) by
 * decoding it to UTF-8 first; its findings' columns count bytes of that UTF-8.
 * It then scans the raw bytes as well, so that a stray BOM or NUL in front
 * of ASCII text hides nothing (the UTF-16 runs among them are not read
 * again the way they were just decoded: a token is reported once).
 */
typedef enum sg_text_encoding {
	SG_TEXT_BYTES = 0, /* ASCII, UTF-8, Latin-1 ... or binary: scanned as bytes */
	SG_TEXT_UTF16LE,
	SG_TEXT_UTF16BE
} sg_text_encoding;

/* A UTF-16 BOM, or no BOM and NULs in every other byte of the first 8000. */
sg_text_encoding sg_text_detect(const char *buf, size_t len);

/*
 * Decodes UTF-16 buf[0..len) to UTF-8 (a leading BOM dropped, a lone
 * surrogate or odd last byte becoming U+FFFD; newlines stay one per line).
 * *out is malloc'd and the caller frees it. SG_OK, SG_ENOMEM or SG_EINVAL
 * (enc is SG_TEXT_BYTES).
 */
int sg_text_decode(const char *buf, size_t len, sg_text_encoding enc, char **out, size_t *outlen);

/* sg_scan_buffer with the encoding given, not detected: for the second and
 * later chunks of a stream whose first chunk told it. */
int sg_scan_buffer_as(sg_scanner *s, const char *path, const char *buf, size_t len,
		      sg_text_encoding enc, size_t first_line, sg_findings *out);

/* Nonzero when buf looks binary the way git decides (a NUL in the first 8000
 * bytes) and is not UTF-16 text, which sg_scan_buffer reads. */
int sg_buffer_is_binary(const char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SASGUARD_H */
