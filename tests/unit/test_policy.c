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

int main(void)
{
	test_defaults();
	test_values();
	test_errors();
	test_layers_and_lock();
	test_globs();
	CHECK_DONE();
}
