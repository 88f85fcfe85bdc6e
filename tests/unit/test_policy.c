/* test_policy.c - defaults, the INI file, errors with file:line, layers, locked. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static sg_diag diag;

static int load(sg_policy *p, const char *text, sg_layer layer)
{
	return sg_policy_load_string(p, text, strlen(text), "t.ini", layer, &diag);
}

/* Loading text must fail with a message that contains want. */
static void fails(const char *text, const char *want)
{
	sg_policy p;
	sg_policy_init(&p);
	int rc = load(&p, text, SG_LAYER_CLI);
	if (rc != SG_ECONFIG || !strstr(diag.msg, want)) {
		fprintf(stderr, "loading [%s] gave %d \"%s\", want an error with \"%s\"\n", text, rc, diag.msg, want);
		check_failures++;
	}
	sg_policy_free(&p);
}

static void test_defaults(void)
{
	sg_policy p, q;
	sg_policy_init(&p);
	CHECK_STR(p.allowed_permissions, "rl");
	CHECK_INT(p.max_lifetime, 7 * 86400);
	CHECK_INT(p.severity[SG_RULE_ACCOUNT_SAS], SG_SEV_ERROR);
	CHECK_INT(p.severity[SG_RULE_SCOPE], SG_SEV_OFF);
	CHECK_INT(p.severity[SG_RULE_IP_UNRESTRICTED], SG_SEV_OFF);
	CHECK_INT(p.severity[SG_RULE_STORED_POLICY], SG_SEV_WARNING);
	CHECK_INT(p.severity[SG_RULE_UNPARSEABLE], SG_SEV_ERROR);
	CHECK_INT(p.expired, SG_SEV_INFO);
	CHECK_INT(p.unreadable_repo, SG_SEV_WARNING); /* a format not read here never blocks by itself */
	CHECK_INT(p.scan_binary, 1); /* binary content is scanned unless a policy opts out */
	CHECK_INT(p.fail_open, 0);
	CHECK_STR(p.origin[0], "default");

	/* the shipped file documents the defaults: loading it changes no value */
	sg_policy_init(&q);
	CHECK(sg_policy_load(&q, SOURCE_DIR "/config/sasguard.ini", SG_LAYER_SYSTEM, &diag) == SG_OK);
	for (size_t i = 0; sg_policy_key_name(i); i++) {
		char a[256], b[256];
		sg_policy_key_value(&p, i, a, sizeof(a));
		sg_policy_key_value(&q, i, b, sizeof(b));
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "config/sasguard.ini sets %s = %s, the default is %s\n", sg_policy_key_name(i), b, a);
			check_failures++;
		}
		/* [allow] keys have no default: the file documents them in comments */
		if (strncmp(sg_policy_key_name(i), "allow.", 6) != 0 && !strstr(q.origin[i], "sasguard.ini:")) {
			fprintf(stderr, "config/sasguard.ini does not show %s\n", sg_policy_key_name(i));
			check_failures++;
		}
	}
	sg_policy_free(&q);
}

static void test_values(void)
{
	sg_policy p;
	sg_policy_init(&p);
	CHECK(load(&p, "[policy]\nallowed_permissions = rll\nmax_lifetime = 12h\nexpired = warning\nunreadable_repo = error\n"
		       "scan_binary = yes\nmax_file_size = 2M\n[rules]\nscope = error\nhttp = off\n"
		       "[server]\nfail_open = true\nmax_seconds = 4\nallow_push_option = on\nlog = syslog\n"
		       "[allow]\npath = a/**\npath = *.md\n",
		   SG_LAYER_CLI) == SG_OK);
	CHECK_STR(p.allowed_permissions, "rl");
	CHECK_INT(p.max_lifetime, 12 * 3600);
	CHECK_INT(p.expired, SG_SEV_WARNING);
	CHECK_INT(p.unreadable_repo, SG_SEV_ERROR);
	CHECK_INT(p.scan_binary, 1);
	CHECK_INT(p.max_file_size, 2 * 1024 * 1024);
	CHECK_INT(p.severity[SG_RULE_SCOPE], SG_SEV_ERROR);
	CHECK_INT(p.severity[SG_RULE_HTTP], SG_SEV_OFF);
	CHECK_INT(p.fail_open, 1);
	CHECK_INT(p.max_seconds, 4);
	CHECK_INT(p.allow_push_option, 1);
	CHECK_STR(p.log, "syslog");
	CHECK_INT(p.nallow_paths, 2);
	CHECK_STR(p.origin[1], "t.ini:3");
	CHECK(sg_policy_path_allowed(&p, "a/b/c.txt"));
	sg_policy q;
	sg_policy_init(&q);
	CHECK(sg_policy_load_string(&q, "[allow]\nbaseline = base.txt\n", 27, "/etc/x/p.ini", SG_LAYER_CLI, &diag) == SG_OK);
	CHECK_STR(q.baseline, "/etc/x/base.txt");
	CHECK(sg_policy_load_string(&q, "[allow]\nbaseline = /abs/b\n", 26, "p.ini", SG_LAYER_USER, &diag) == SG_OK);
	CHECK_STR(q.baseline, "/abs/b");
	sg_policy_free(&q);
	CHECK(sg_policy_path_allowed(&p, "docs/README.md"));
	CHECK(!sg_policy_path_allowed(&p, "b/c.txt"));
	sg_policy_free(&p);
	CHECK_INT(p.nallow_paths, 0);
}

static void test_errors(void)
{
	fails("[policy]\nmax_lifetime = 7 days\n", "t.ini:2: policy.max_lifetime = 7 days: expected a duration");
	fails("[policy]\nallowed_permissions = R\n", "t.ini:2:");
	fails("[policy]\nscan_binary = maybe\n", "expected true or false");
	fails("[policy]\nmax_file_size = lots\n", "expected a size");
	fails("[rules]\nlifetime = loud\n", "t.ini:2: rules.lifetime = loud: expected error, warning, info or off");
	fails("[rules]\nspelling = error\n", "t.ini:2: unknown key 'spelling' in [rules]");
	fails("[polcy]\nmax_lifetime = 1d\n", "t.ini:2: unknown section [polcy]");
	fails("max_lifetime = 1d\n", "t.ini:1: 'max_lifetime' is outside any [section]");
	fails("[policy]\nmax_lifetime = 1d\n\nmax_lifetime = 2d\n", "t.ini:4: policy.max_lifetime is set twice (first on line 2)");
	fails("[policy]\nthis line has no equals sign\n", "t.ini:2: syntax error");
	fails("[server]\nmax_seconds = forever\n", "expected seconds");
	fails("[allow]\npath =\n", "empty glob");
	fails("[policy]\nlocked = true\n", "can be set only in the system file");

	char longline[600];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "[allow]\npath = ", 15);
	strcpy(longline + sizeof(longline) - 2, "\n");
	fails(longline, "t.ini:2: line too long");

	sg_policy p;
	sg_policy_init(&p);
	CHECK(sg_policy_load_string(&p, "[policy]\0x", 10, "bin.ini", SG_LAYER_CLI, &diag) == SG_ECONFIG);
	CHECK(strstr(diag.msg, "binary") != NULL);
	CHECK(sg_policy_load(&p, "/nonexistent/sasguard.ini", SG_LAYER_CLI, &diag) == SG_EIO);
	CHECK(strstr(diag.msg, "/nonexistent/sasguard.ini: cannot open") != NULL);
	CHECK(sg_policy_load(&p, "/tmp", SG_LAYER_CLI, &diag) == SG_ECONFIG);
	CHECK(strstr(diag.msg, "directory") != NULL);

	char big[] = "/tmp/sg-test-big-XXXXXX";
	int fd = mkstemp(big);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 2 * 1024 * 1024) == 0);
	close(fd);
	CHECK(sg_policy_load(&p, big, SG_LAYER_CLI, &diag) == SG_ECONFIG);
	CHECK(strstr(diag.msg, "too big") != NULL);
	unlink(big);
	sg_policy_free(&p);
}

static void test_layers_and_lock(void)
{
	sg_policy p;
	sg_policy_init(&p);
	/* later layers override earlier ones and the origin follows */
	CHECK(load(&p, "[policy]\nmax_lifetime = 1d\n", SG_LAYER_SYSTEM) == SG_OK);
	CHECK(load(&p, "[policy]\nmax_lifetime = 30d\n", SG_LAYER_USER) == SG_OK);
	CHECK_INT(p.max_lifetime, 30 * 86400);
	sg_policy_free(&p);

	/* a locked system policy: lower layers may tighten, never loosen */
	sg_policy_init(&p);
	CHECK(load(&p, "[policy]\nlocked = true\nmax_lifetime = 1d\nallowed_permissions = rlw\n[rules]\nscope = warning\n",
		   SG_LAYER_SYSTEM) == SG_OK);
	CHECK(load(&p, "[policy]\nmax_lifetime = 12h\nallowed_permissions = r\n[rules]\nscope = error\n", SG_LAYER_REPO) == SG_OK);
	CHECK_INT(p.max_lifetime, 12 * 3600);
	static const char *const loosen[] = {
		"[policy]\nmax_lifetime = 2d\n", "[policy]\nallowed_permissions = rd\n", "[rules]\nlifetime = warning\n",
		"[rules]\nscope = off\n",         "[allow]\npath = **\n",               "[server]\nfail_open = true\n",
		"[policy]\nlocked = false\n",      "[policy]\nexpired = off\n",
		"[policy]\nscan_binary = false\n",
	};
	for (size_t i = 0; i < sizeof(loosen) / sizeof(loosen[0]); i++) {
		if (load(&p, loosen[i], SG_LAYER_CLI) != SG_ECONFIG ||
		    (!strstr(diag.msg, "would loosen a locked policy") && !strstr(diag.msg, "only in the system file"))) {
			fprintf(stderr, "locked policy loosened by [%s]: %s\n", loosen[i], diag.msg);
			check_failures++;
		}
	}
	/* the message names the key and where its current value was set */
	load(&p, "[rules]\nscope = off\n", SG_LAYER_USER);
	CHECK(strstr(diag.msg, "t.ini:2: rules.scope would loosen a locked policy (set at t.ini:5)") != NULL);
	load(&p, "[policy]\nscan_binary = false\n", SG_LAYER_REPO);
	CHECK(strstr(diag.msg, "t.ini:2: policy.scan_binary would loosen a locked policy (set at default)") != NULL);
	CHECK_INT(p.scan_binary, 1);
	/* saying what is already so is no loosening */
	CHECK(load(&p, "[policy]\nscan_binary = true\n", SG_LAYER_REPO) == SG_OK);
	sg_policy_free(&p);

	/* binary scanning is an opt-out below an unlocked policy; a locked one
	 * that opted out lets a lower layer opt back in, never the reverse */
	sg_policy_init(&p);
	CHECK(load(&p, "[policy]\nscan_binary = false\n", SG_LAYER_REPO) == SG_OK);
	CHECK_INT(p.scan_binary, 0);
	sg_policy_free(&p);
	sg_policy_init(&p);
	CHECK(load(&p, "[policy]\nlocked = true\nscan_binary = false\n", SG_LAYER_SYSTEM) == SG_OK);
	CHECK(load(&p, "[policy]\nscan_binary = true\n", SG_LAYER_USER) == SG_OK);
	CHECK_INT(p.scan_binary, 1);
	CHECK(load(&p, "[policy]\nscan_binary = false\n", SG_LAYER_CLI) == SG_ECONFIG);
	sg_policy_free(&p);
}

/* Every key under a locked system policy, each way: a value that loosens is
 * refused at every lower layer and leaves the policy as it was; one that
 * tightens (or, for keys with no direction, any value) is taken. A key with
 * no row here fails the test: a new key must say which way is tighter. */
static void test_lock_every_key(void)
{
	static const struct {
		const char *key;      /* section.name */
		const char *system;   /* its value in the locked system file */
		const char *loosen;   /* refused below it (NULL: no value loosens) */
		const char *tighten;  /* taken below it (NULL: no value tightens) */
		const char *shown;    /* sg_policy_key_value after tighten */
	} rows[] = {
		{ "policy.allowed_permissions", "rlw", "rlwd", "rl", "rl" },
		{ "policy.allowed_permissions", "rlw", "d", "w", "w" },
		{ "policy.max_lifetime", "1d", "2d", "12h", "12h" },
		{ "policy.max_lifetime", "1d", "86401s", "86399s", NULL },
		{ "policy.expired", "warning", "info", "error", "error" },
		{ "policy.expired", "warning", "off", NULL, NULL },
		{ "policy.unreadable_repo", "warning", "off", "error", "error" },
		{ "policy.unreadable_repo", "error", "warning", NULL, NULL },
		{ "policy.scan_binary", "true", "false", "true", "true" },
		{ "policy.scan_binary", "false", NULL, "true", "true" },
		{ "policy.max_file_size", "10M", "5M", "20M", "20971520" },
		{ "policy.max_file_size", "10M", "10239K", "10241K", "10486784" },
		{ "policy.locked", "true", "false", "true", "true" },
		{ "rules.account-sas", "warning", "info", "error", "error" },
		{ "rules.permissions", "warning", "off", "error", "error" },
		{ "rules.lifetime", "warning", "info", "error", "error" },
		{ "rules.http", "warning", "off", "error", "error" },
		{ "rules.scope", "warning", "info", "error", "error" },
		{ "rules.ip-unrestricted", "warning", "off", "error", "error" },
		{ "rules.stored-policy", "warning", "info", "error", "error" },
		{ "rules.account-key", "warning", "off", "error", "error" },
		{ "rules.unparseable", "warning", "info", "error", "error" },
		{ "server.fail_open", "false", "true", "false", "false" },
		{ "server.fail_open", "true", NULL, "false", "false" },
		{ "server.allow_push_option", "false", "true", "false", "false" },
		{ "server.allow_push_option", "true", NULL, "false", "false" },
		{ "server.inline_allow", "false", "true", "false", "false" },
		{ "server.inline_allow", "true", NULL, "false", "false" },
		/* no direction: the budget and the log are the server's own business */
		{ "server.max_seconds", "30", NULL, "5", "5" },
		{ "server.max_seconds", "30", NULL, "60", "60" },
		{ "server.log", "syslog", NULL, "/tmp/x.log", "/tmp/x.log" },
		/* an allowance is a loosening whatever it names */
		{ "allow.path", "a/**", "b/**", NULL, NULL },
		{ "allow.baseline", "/etc/base", "/tmp/base", NULL, NULL },
	};
	static const sg_layer lower[] = { SG_LAYER_USER, SG_LAYER_REPO, SG_LAYER_SERVER, SG_LAYER_CLI };
	const size_t nrows = sizeof(rows) / sizeof(rows[0]);

	for (size_t i = 0; sg_policy_key_name(i); i++) {
		size_t r = 0;
		while (r < nrows && strcmp(rows[r].key, sg_policy_key_name(i)) != 0)
			r++;
		if (r == nrows) {
			fprintf(stderr, "locked: no row for %s in test_lock_every_key\n", sg_policy_key_name(i));
			check_failures++;
		}
	}
	for (size_t r = 0; r < nrows; r++) {
		char section[32], text[160];
		const char *name = strchr(rows[r].key, '.') + 1;
		size_t idx = 0;
		snprintf(section, sizeof(section), "%.*s", (int)(name - 1 - rows[r].key), rows[r].key);
		while (sg_policy_key_name(idx) && strcmp(sg_policy_key_name(idx), rows[r].key) != 0)
			idx++;
		if (!sg_policy_key_name(idx)) {
			fprintf(stderr, "locked: %s is no key\n", rows[r].key);
			check_failures++;
			continue;
		}
		for (size_t l = 0; l < sizeof(lower) / sizeof(lower[0]); l++) {
			for (int way = 0; way < 2; way++) {
				const char *v = way ? rows[r].tighten : rows[r].loosen;
				if (!v)
					continue;
				sg_policy p;
				char before[256], after[256];
				sg_policy_init(&p);
				if (strcmp(rows[r].key, "policy.locked") == 0)
					snprintf(text, sizeof(text), "[policy]\nlocked = true\n");
				else
					snprintf(text, sizeof(text), "[policy]\nlocked = true\n[%s]\n%s = %s\n", section,
						 name, rows[r].system);
				CHECK(load(&p, text, SG_LAYER_SYSTEM) == SG_OK);
				sg_policy_key_value(&p, idx, before, sizeof(before));
				snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, name, v);
				int rc = load(&p, text, lower[l]);
				sg_policy_key_value(&p, idx, after, sizeof(after));
				if (!way && (rc != SG_ECONFIG || strcmp(before, after) != 0 ||
					     (!strstr(diag.msg, "would loosen a locked policy") &&
					      !strstr(diag.msg, "only in the system file")))) {
					fprintf(stderr, "locked: %s = %s (system %s) at layer %d loosened it: %d \"%s\", %s -> %s\n",
						rows[r].key, v, rows[r].system, (int)lower[l], rc, diag.msg, before, after);
					check_failures++;
				}
				if (way && (rc != SG_OK || (rows[r].shown && strcmp(after, rows[r].shown) != 0))) {
					fprintf(stderr, "locked: %s = %s (system %s) at layer %d refused: %d \"%s\", now %s\n",
						rows[r].key, v, rows[r].system, (int)lower[l], rc, rc ? diag.msg : "", after);
					check_failures++;
				}
				sg_policy_free(&p);
			}
		}
	}
}

static void test_globs(void)
{
	static const struct {
		const char *pat, *path;
		int want;
	} cases[] = {
		{ "*.md", "README.md", 1 },         { "*.md", "docs/a/README.md", 1 },
		{ "docs/*.md", "docs/a.md", 1 },    { "docs/*.md", "docs/x/a.md", 0 },
		{ "docs/**", "docs/x/y/a.md", 1 },  { "docs/", "docs/x/a.md", 1 },
		{ "**/fixtures/*", "a/b/fixtures/x", 1 }, { "**/fixtures/*", "fixtures/x", 1 },
		{ "a/**/b", "a/b", 1 },             { "a/**/b", "a/x/y/b", 1 },
		{ "a/**/b", "a/x/y/c", 0 },         { "/top.txt", "top.txt", 1 },
		{ "/top.txt", "sub/top.txt", 0 },   { "file?.txt", "file1.txt", 1 },
		{ "file?.txt", "file10.txt", 0 },   { "[ab]*.txt", "b1.txt", 1 },
		{ "[!ab]*.txt", "b1.txt", 0 },      { "[a-c]x", "bx", 1 },
		{ "*", "anything/at/all", 1 },      { "tests/*", "tests", 0 },
		{ "te\\*t", "te*t", 1 },            { "te\\*t", "text", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sg_glob_match(cases[i].pat, cases[i].path) != cases[i].want) {
			fprintf(stderr, "glob '%s' on '%s' should be %d\n", cases[i].pat, cases[i].path, cases[i].want);
			check_failures++;
		}
	}
	/* a hostile path against a backtracking pattern ends (no match past the budget) */
	char path[4000];
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	CHECK(!sg_glob_match("*a*a*a*a*a*a*a*a*a*a*b", path));
}

#define ACCT_SIG "ypeBEsobvcr6wjGzmiPcTaeG7%2FgUfE5yuYB3ha%2FuSLs%3D"
/* A read-only service SAS valid for 10 years, as Azure Open Datasets publish them. */
#define SAS_OF(acct, sp) "https://" acct ".blob.core.windows.net/c/b.bin?sv=2022-11-02&sr=b&sp=" sp \
	"&st=2026-01-01T00:00:00Z&se=2036-01-01T00:00:00Z&spr=https&sig=" ACCT_SIG

/* The rules a token of that account breaks under p ("" for none); *note gets the note. */
static const char *rules_for(const sg_policy *p, const char *text, char *buf, size_t size, char *note, size_t nsize)
{
	sg_token t;
	sg_finding f;
	buf[0] = '\0';
	if (note)
		note[0] = '\0';
	if (sg_token_parse(text, strlen(text), &t) != SG_OK)
		return "(no token)";
	if (sg_token_judge(&t, p, 1767225600 /* 2026-01-01 */, &f) != 1) {
		sg_token_clear(&t);
		return buf;
	}
	for (size_t i = 0; i < f.nviolations; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s:%s", i ? "," : "",
			 sg_rule_name(f.violations[i].rule), sg_severity_name(f.violations[i].severity));
	if (note)
		snprintf(note, nsize, "%s", f.note);
	sg_token_clear(&f.token);
	return buf;
}

static void test_accounts(void)
{
	sg_policy p, v;
	char b[512], note[256];
	sg_policy_init(&p);
	CHECK(load(&p, "[account \"public*\"]\nmax_lifetime = 10000y\nallowed_permissions = rl\n"
		       "[account prod]\nmax_lifetime = 1h\nallowed_permissions = r\nhttp = warning\n"
		       "[account \"PROD\"]\nlifetime = warning\n",
		   SG_LAYER_SYSTEM) == SG_OK);
	CHECK_INT(p.naccounts, 2); /* names are case-insensitive: "PROD" is prod's section */
	/* the public data set's 10-year read-only SAS is fine; the same at prod is not, nor anywhere else */
	CHECK_STR(rules_for(&p, SAS_OF("publicdata", "rl"), b, sizeof(b), NULL, 0), "");
	CHECK_STR(rules_for(&p, SAS_OF("PublicData", "rl"), b, sizeof(b), NULL, 0), "");
	CHECK_STR(rules_for(&p, SAS_OF("other", "rl"), b, sizeof(b), NULL, 0), "lifetime:error");
	CHECK_STR(rules_for(&p, SAS_OF("publicdata", "rw"), b, sizeof(b), NULL, 0), "permissions:error");
	/* prod: "l" is beyond its permissions; the later section lowers lifetime to a warning */
	CHECK_STR(rules_for(&p, SAS_OF("prod", "rl"), b, sizeof(b), NULL, 0), "permissions:error,lifetime:warning");
	/* the effective policy and its origins */
	sg_policy_for_account(&p, "prod", &v);
	CHECK_INT(v.max_lifetime, 3600);
	CHECK_STR(v.allowed_permissions, "r");
	CHECK_INT(v.severity[SG_RULE_HTTP], SG_SEV_WARNING);
	CHECK_INT(v.severity[SG_RULE_LIFETIME], SG_SEV_WARNING);
	CHECK_INT(v.naccounts, 0);
	for (size_t i = 0; sg_policy_key_name(i); i++) {
		if (strcmp(sg_policy_key_name(i), "rules.lifetime") == 0)
			CHECK_STR(v.origin[i], "t.ini:9 [account \"prod\"]");
		if (strcmp(sg_policy_key_name(i), "policy.max_lifetime") == 0)
			CHECK_STR(v.origin[i], "t.ini:5 [account \"prod\"]");
		if (strcmp(sg_policy_key_name(i), "rules.account-sas") == 0)
			CHECK_STR(v.origin[i], "default");
	}
	sg_policy_for_account(&p, "", &v);
	CHECK_INT(v.max_lifetime, 7 * 86400);
	sg_policy_free(&p);

	/* a later layer's section overrides an earlier one's, key by key */
	sg_policy_init(&p);
	CHECK(load(&p, "[account \"pub*\"]\nmax_lifetime = 1y\n", SG_LAYER_SYSTEM) == SG_OK);
	CHECK(load(&p, "[account \"pub*\"]\nmax_lifetime = 2d\n", SG_LAYER_USER) == SG_OK);
	sg_policy_for_account(&p, "pubx", &v);
	CHECK_INT(v.max_lifetime, 2 * 86400);
	sg_policy_free(&p);

	/* shared-key access refused: a key-signed SAS cannot work there, and the finding says so */
	sg_policy_init(&p);
	CHECK(load(&p, "[account nokeys]\nshared_key_access = false\n", SG_LAYER_REPO) == SG_OK);
	CHECK_STR(rules_for(&p, SAS_OF("nokeys", "rw"), b, sizeof(b), note, sizeof(note)), "permissions:error,lifetime:error");
	CHECK(strstr(note, "account nokeys refuses shared-key access") != NULL);
	rules_for(&p, SAS_OF("keysok", "rw"), b, sizeof(b), note, sizeof(note));
	CHECK_STR(note, "");
	sg_policy_free(&p);

	/* errors, with file:line */
	fails("[account]\nmax_lifetime = 1d\n", "t.ini:2: [account]: the account glob is empty");
	fails("[account \"a]\nmax_lifetime = 1d\n", "t.ini:2: [account \"a]: expected [account \"GLOB\"]");
	fails("[account \"a/b\"]\nmax_lifetime = 1d\n", "t.ini:2: [account \"a/b\"]: an account glob holds");
	fails("[account a]\nmax_lifetime = soon\n", "t.ini:2: [account \"a\"] max_lifetime = soon: expected a duration");
	fails("[account a]\nexpired = off\n", "t.ini:2: unknown key 'expired' in [account \"a\"]");
	fails("[account a]\nscope = maybe\n", "expected error, warning, info or off");
	fails("[account a]\nscope = error\n[account a]\nscope = off\n", "t.ini:4: [account \"a\"] scope is set twice (first at t.ini:2");

	/* locked: an account section below the system layer may only tighten, over [policy] and
	 * over every earlier section some account could share with it */
	sg_policy_init(&p);
	CHECK(load(&p, "[policy]\nlocked = true\nmax_lifetime = 1d\n[account \"prod*\"]\nmax_lifetime = 1h\n"
		       "[account \"public*\"]\nmax_lifetime = 1y\n", SG_LAYER_SYSTEM) == SG_OK);
	CHECK(load(&p, "[account dev]\nmax_lifetime = 12h\n", SG_LAYER_REPO) == SG_OK); /* meets no tighter section */
	CHECK(load(&p, "[account \"prod-eu\"]\nmax_lifetime = 30m\n", SG_LAYER_REPO) == SG_OK);
	CHECK(load(&p, "[account \"prod-us\"]\nmax_lifetime = 2h\n", SG_LAYER_REPO) == SG_ECONFIG);
	CHECK(strstr(diag.msg, "t.ini:2: [account \"prod-us\"] max_lifetime would loosen a locked policy (t.ini:5 "
			       "[account \"prod*\"])") != NULL);
	CHECK(load(&p, "[account \"*\"]\nmax_lifetime = 12h\n", SG_LAYER_USER) == SG_ECONFIG); /* meets prod* */
	CHECK(load(&p, "[account \"public-x\"]\nmax_lifetime = 2d\n", SG_LAYER_USER) == SG_ECONFIG); /* over [policy] */
	CHECK(strstr(diag.msg, "(the [policy] value)") != NULL);
	CHECK(load(&p, "[account dev2]\nallowed_permissions = rlw\n", SG_LAYER_USER) == SG_ECONFIG);
	CHECK(load(&p, "[account dev2]\nlifetime = warning\n", SG_LAYER_USER) == SG_ECONFIG);
	CHECK(load(&p, "[account dev2]\nscope = error\n", SG_LAYER_USER) == SG_OK);
	sg_policy_for_account(&p, "prod-us", &v);
	CHECK_INT(v.max_lifetime, 3600);
	sg_policy_free(&p);
}

int main(void)
{
	test_accounts();
	test_defaults();
	test_values();
	test_errors();
	test_layers_and_lock();
	test_lock_every_key();
	test_globs();
	CHECK_DONE();
}
