/*
 * fuzz_policy.c - libFuzzer harness for the policy loader, path globs, and
 * time and duration parsing.
 *
 * The input is loaded as an INI file (name "fuzz.ini") three ways: as the
 * system layer and as the --config layer over a policy whose system file set
 * "locked = true", and as the --config layer over the defaults. Whatever the
 * outcome, every key's value is written and [allow] globs are matched; after
 * a successful load over the locked policy from a lower layer, the policy
 * must be no looser than before (DESIGN.md section 5). The same input, split
 * on its first NUL byte into a pattern and a path, goes to sg_glob_match,
 * and, whole, to sg_time_parse and sg_duration_parse, and, written to a
 * temporary file, to sg_baseline_load.
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt) or, with
 * replay.c, as a plain program that replays files (tests/CMakeLists.txt).
 */
#include "sasguard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The range of times sg_time_format writes in the form sg_time_parse reads. */
#define TIME_MIN (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define TIME_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

static const char LOCKED_SYSTEM[] = "[policy]\nlocked = true\n[account \"prod*\"]\nmax_lifetime = 1h\n"
				    "allowed_permissions = r\nhttp = error\n[account \"public*\"]\nmax_lifetime = 100y\n";

static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_policy: invariant broken: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

/* Writes every key's value and matches a few paths against [allow]. */
static void use_policy(const sg_policy *p)
{
	static const char *const paths[] = { "README.md", "tests/fixtures/sas.txt", "./a/b/c.json",
					     "", "docs/../secrets/.env", "deep/a/b/c/d/e/f/g/h/i.yaml" };
	char buf[1024];
	size_t i = 0;
	for (; sg_policy_key_name(i); i++) {
		size_t n = sg_policy_key_value(p, i, buf, sizeof(buf));
		if (n >= sizeof(buf) || strlen(buf) != n)
			broken("sg_policy_key_value length", sg_policy_key_name(i));
		/* a small buffer is never overrun */
		char small[4];
		if (sg_policy_key_value(p, i, small, sizeof(small)) >= sizeof(small))
			broken("sg_policy_key_value overruns a small buffer", sg_policy_key_name(i));
	}
	if (i == 0 || i > SG_POLICY_MAX_KEYS)
		broken("key count", NULL);
	for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++)
		(void)sg_policy_path_allowed(p, paths[k]);
}

/* After a lower layer loaded over a locked policy, nothing is looser. */
static void check_not_looser(const sg_policy *p, const sg_policy *base)
{
	if (!p->locked)
		broken("a lower layer unlocked a locked policy", NULL);
	for (int r = 0; r < SG_RULE_COUNT; r++)
		if (p->severity[r] < base->severity[r])
			broken("a lower layer lowered a rule of a locked policy", sg_rule_name((sg_rule)r));
	for (const char *c = p->allowed_permissions; *c; c++)
		if (!strchr(base->allowed_permissions, *c))
			broken("a lower layer allowed a permission of a locked policy", p->allowed_permissions);
	if (p->max_lifetime > base->max_lifetime)
		broken("a lower layer lengthened max_lifetime of a locked policy", NULL);
	if (p->expired < base->expired)
		broken("a lower layer lowered expired of a locked policy", NULL);
	if (p->scan_binary < base->scan_binary)
		broken("a lower layer turned off scan_binary of a locked policy", NULL);
	if (p->max_file_size < base->max_file_size)
		broken("a lower layer lowered max_file_size of a locked policy", NULL);
	if (p->fail_open > base->fail_open || p->allow_push_option > base->allow_push_option ||
	    p->inline_allow > base->inline_allow)
		broken("a lower layer opened a server setting of a locked policy", NULL);
	if (p->nallow_paths > base->nallow_paths)
		broken("a lower layer added an [allow] path to a locked policy", NULL);
	/* and for the tokens of any account: [account] sections may only tighten either */
	static const char *const names[] = { "", "a", "prod", "prodorders", "public1", "x-y", "PUBLIC" };
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		sg_policy a, b;
		sg_policy_for_account(p, names[n], &a);
		sg_policy_for_account(base, names[n], &b);
		for (int r = 0; r < SG_RULE_COUNT; r++)
			if (a.severity[r] < b.severity[r])
				broken("an [account] section lowered a rule of a locked policy", names[n]);
		for (const char *c = a.allowed_permissions; *c; c++)
			if (!strchr(b.allowed_permissions, *c))
				broken("an [account] section allowed a permission of a locked policy", names[n]);
		if (a.max_lifetime > b.max_lifetime)
			broken("an [account] section lengthened max_lifetime of a locked policy", names[n]);
	}
}

static void load(const char *text, size_t size, const sg_policy *base, sg_layer layer)
{
	sg_policy p = *base; /* base holds no [allow] paths; its [account] sections are copied */
	if (base->naccounts && !(p.accounts = malloc(base->naccounts * sizeof(*p.accounts))))
		return;
	if (base->naccounts)
		memcpy(p.accounts, base->accounts, base->naccounts * sizeof(*p.accounts));
	sg_diag diag;
	memset(&diag, 0x55, sizeof(diag)); /* the loader must write its own message */
	int rc = sg_policy_load_string(&p, text, size, "fuzz.ini", layer, &diag);
	if (!memchr(diag.msg, '\0', sizeof(diag.msg)))
		broken("diag message not terminated", NULL);
	if (rc == SG_OK) {
		if (base->locked && layer != SG_LAYER_SYSTEM)
			check_not_looser(&p, base);
		if (!base->locked && layer != SG_LAYER_SYSTEM && p.locked)
			broken("a lower layer set locked", NULL);
	} else if (rc != SG_ECONFIG && rc != SG_ENOMEM) {
		broken("sg_policy_load_string returned an unexpected status", NULL);
	} else if (rc == SG_ECONFIG && !diag.msg[0]) {
		broken("configuration error without a message", NULL);
	}
	use_policy(&p);
	sg_policy_free(&p);
}

static void policies(const char *text, size_t size)
{
	sg_policy defaults, locked;
	sg_diag diag;
	sg_policy_init(&defaults);
	sg_policy_init(&locked);
	if (sg_policy_load_string(&locked, LOCKED_SYSTEM, sizeof(LOCKED_SYSTEM) - 1, "system.ini",
				  SG_LAYER_SYSTEM, &diag) != SG_OK ||
	    !locked.locked)
		broken("the locked system policy does not load", diag.msg);
	load(text, size, &locked, SG_LAYER_SYSTEM);
	load(text, size, &locked, SG_LAYER_CLI);
	load(text, size, &defaults, SG_LAYER_CLI);
	sg_policy_free(&locked); /* its [account] sections */
	sg_policy_free(&defaults);
}

/* "pattern\0path" (no NUL: the whole input is the pattern, the path empty). */
static void globs(const char *s, size_t size)
{
	const char *nul = memchr(s, '\0', size);
	size_t plen = nul ? (size_t)(nul - s) : size;
	size_t rest = nul ? size - plen - 1 : 0;
	char *pattern = malloc(plen + 1), *path = malloc(rest + 1);
	if (pattern && path) {
		memcpy(pattern, s, plen);
		pattern[plen] = '\0';
		if (rest)
			memcpy(path, nul + 1, rest);
		path[rest] = '\0';
		(void)sg_glob_match(pattern, path);
		(void)sg_glob_match(path, pattern); /* NOLINT(readability-suspicious-call-argument): both ways */
	}
	free(pattern);
	free(path);
}

static void times(const char *s, size_t size)
{
	int64_t t, again, d;
	char buf[64];

	if (sg_time_parse(s, size, &t) == SG_OK && t >= TIME_MIN && t <= TIME_MAX) {
		/* what sg_time_format writes, sg_time_parse reads back to the same second */
		size_t n = sg_time_format(t, buf, sizeof(buf));
		if (n >= sizeof(buf) || sg_time_parse(buf, n, &again) != SG_OK || again != t)
			broken("sg_time_format does not read back", buf);
	}
	char *z = malloc(size + 1);
	if (!z)
		return;
	memcpy(z, s, size);
	z[size] = '\0';
	if (sg_duration_parse(z, &d) == SG_OK) {
		if (d < 0)
			broken("negative duration", z);
		(void)sg_duration_format(d, buf, sizeof(buf));
	}
	sg_severity sev;
	(void)sg_severity_parse(z, &sev);
	(void)sg_rule_lookup(z);
	free(z);
}

static char baseline_path[] = "/tmp/sasguard-fuzz-baseline.XXXXXX";

static void remove_baseline(void)
{
	unlink(baseline_path);
}

static int is_fingerprint_line(const char *s, size_t size)
{
	if (size < 32)
		return 0;
	for (size_t i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return size == 32 || strchr(" \t\r\n#", s[32]);
}

/* The input as a baseline file: it loads, or fails with a message. */
static void baselines(const char *s, size_t size)
{
	static int made; /* not the template's last 'X': mkstemp may leave an X there */
	if (!made) {
		made = 1;
		int fd = mkstemp(baseline_path);
		if (fd < 0)
			broken("cannot make a temporary baseline file", baseline_path);
		close(fd);
		atexit(remove_baseline);
	}
	FILE *f = fopen(baseline_path, "wb");
	if (!f || fwrite(s, 1, size, f) != size || fclose(f) != 0)
		broken("cannot write the temporary baseline file", baseline_path);
	sg_baseline *b = NULL;
	sg_diag diag = { "" };
	int rc = sg_baseline_load(&b, baseline_path, &diag);
	if (rc == SG_OK) {
		if (!b)
			broken("sg_baseline_load: SG_OK without a baseline", NULL);
		/* a first line that is a fingerprint is in it */
		if (is_fingerprint_line(s, size)) {
			char fp[33];
			memcpy(fp, s, 32);
			fp[32] = '\0';
			if (!sg_baseline_has(b, fp) || sg_baseline_count(b) == 0)
				broken("a loaded fingerprint is not in the baseline", fp);
		}
		(void)sg_baseline_has(b, "00000000000000000000000000000000");
		sg_baseline_free(b);
	} else if (rc != SG_ENOMEM && !diag.msg[0]) {
		broken("sg_baseline_load failed without a message", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	policies(s, size);
	globs(s, size);
	times(s, size);
	baselines(s, size);
	return 0;
}
