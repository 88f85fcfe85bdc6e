/*
 * options.c - the options every mode takes, in any order, and the layered
 * policy each mode runs with (DESIGN.md section 5).
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SASGUARD_SYSCONFDIR
#define SASGUARD_SYSCONFDIR "/etc"
#endif

/* The value of --name=VALUE or --name VALUE at argv[*i]; NULL if argv[*i] is not --name. */
static const char *option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
	size_t l = strlen(name);
	if (!argv[*i] || strncmp(argv[*i], name, l) != 0)
		return NULL;
	if (argv[*i][l] == '=')
		return argv[*i] + l + 1;
	if (argv[*i][l] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

/* Prints "sasguard: <before><arg><after>" and a pointer to --help. */
static int usage_error(const char *before, const char *arg, const char *after)
{
	fprintf(stderr, "sasguard: %s", before);
	print_safe(stderr, arg);
	fprintf(stderr, "%s\nTry 'sasguard --help'.\n", after);
	return EXIT_USAGE;
}

static int parse_format(cli_opts *o, const char *v)
{
	if (strcmp(v, "text") == 0)
		o->format = FORMAT_TEXT;
	else if (strcmp(v, "json") == 0)
		o->format = FORMAT_JSON;
	else if (strcmp(v, "sarif") == 0)
		o->format = FORMAT_SARIF;
	else if (strcmp(v, "html") == 0)
		o->format = FORMAT_HTML;
	else
		return usage_error("unknown format '", v, "' (text, json, sarif or html)");
	return 0;
}

int cli_parse(cli_opts *o, int argc, char **argv)
{
	o->now = (int64_t)time(NULL);
	o->args = calloc((size_t)argc + 1, sizeof(char *));
	if (!o->args)
		return EXIT_INTERNAL;
	int only_args = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		int missing = 0;
		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			o->args[o->nargs++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only_args = 1;
		} else if ((v = option_value(argc, argv, &i, "--config", &missing))) {
			o->config = v;
		} else if ((v = option_value(argc, argv, &i, "--format", &missing))) {
			if (parse_format(o, v))
				return EXIT_USAGE;
		} else if ((v = option_value(argc, argv, &i, "--output", &missing))) {
			o->output = v;
		} else if ((v = option_value(argc, argv, &i, "--now", &missing))) {
			if (sg_time_parse(v, strlen(v), &o->now) < 0)
				return usage_error("--now '", v, "': expected an ISO 8601 time such as 2026-11-23T00:00:00Z");
		} else if ((v = option_value(argc, argv, &i, "--threads", &missing))) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || end == v || n < 1 || n > 256)
				return usage_error("--threads '", v, "': expected a number from 1 to 256");
			o->threads = (int)n;
		} else if ((v = option_value(argc, argv, &i, "--baseline", &missing))) {
			o->baseline = v;
		} else if ((v = option_value(argc, argv, &i, "--write-baseline", &missing))) {
			o->write_baseline = v;
		} else if ((v = option_value(argc, argv, &i, "--state", &missing))) {
			o->state = v;
		} else if ((v = option_value(argc, argv, &i, "--account", &missing))) {
			o->account = v;
		} else if (missing) {
			return usage_error("", a, " needs a value");
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->quiet = 1;
		} else if (strcmp(a, "--show-allowed") == 0) {
			o->show_allowed = 1;
		} else if (strcmp(a, "--show-all-locations") == 0) {
			o->show_all_locations = 1;
		} else if (strcmp(a, "--allow-missing") == 0) {
			o->allow_missing = 1;
		} else if (strcmp(a, "--show") == 0) {
			o->show = 1;
		} else {
			return usage_error("unknown option '", a, "'");
		}
	}
	return 0;
}

const char *cli_system_config(void)
{
	const char *env = getenv("SASGUARD_SYSTEM_CONFIG");
	return env && *env ? env : SASGUARD_SYSCONFDIR "/sasguard.ini";
}

/* Loads path as a layer if it exists; a missing optional file is not an error. */
static int load_layer(sg_policy *p, const char *path, sg_layer layer, int required)
{
	sg_diag d;
	struct stat st;
	if (!path || !*path)
		return 0;
	if (!required && stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (sg_policy_load(p, path, layer, &d) < 0) {
		fprintf(stderr, "sasguard: config: ");
		print_safe(stderr, d.msg);
		fprintf(stderr, "\n");
		return EXIT_USAGE;
	}
	return 0;
}

int cli_load_policy(const cli_opts *o, sg_policy *p, const char *repo_file, const char *server_file)
{
	char user[4096] = "";
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int client = o->mode != MODE_PRE_RECEIVE;

	sg_policy_init(p);
	if (xdg && *xdg)
		snprintf(user, sizeof(user), "%s/sasguard/config.ini", xdg);
	else if (home && *home)
		snprintf(user, sizeof(user), "%s/.config/sasguard/config.ini", home);

	if (load_layer(p, cli_system_config(), SG_LAYER_SYSTEM, 0) ||
	    (client && load_layer(p, user, SG_LAYER_USER, 0)) ||
	    (client && load_layer(p, repo_file, SG_LAYER_REPO, 0)) ||
	    (!client && load_layer(p, server_file, SG_LAYER_SERVER, 1)) ||
	    load_layer(p, o->config, SG_LAYER_CLI, 1)) {
		sg_policy_free(p);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_load_baseline(const cli_opts *o, const sg_policy *p, sg_baseline **out)
{
	const char *path = o->baseline ? o->baseline : p->baseline[0] ? p->baseline : NULL;
	sg_diag d;

	*out = NULL;
	if (!path)
		return 0;
	if (o->baseline && p->locked) {
		fprintf(stderr, "sasguard: --baseline would loosen a locked policy (%s); name the baseline in "
				"the system file instead\n", cli_system_config());
		return EXIT_USAGE;
	}
	if (sg_baseline_load(out, path, &d) < 0) {
		fprintf(stderr, "sasguard: ");
		print_safe(stderr, d.msg);
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	return 0;
}

sg_scanner *cli_scanner(const cli_opts *o, const sg_policy *p, const sg_baseline *b)
{
	sg_scanner *s;
	sg_diag d;
	if (sg_scanner_new(&s, p, &d) < 0) {
		fprintf(stderr, "sasguard: cannot prepare the scanner: %s\n", d.msg);
		return NULL;
	}
	sg_scanner_set_now(s, o->now);
	sg_scanner_set_baseline(s, b);
	/* Test only (as git's GIT_TEST_*): our patterns are linear, so only a
	 * lowered limit shows that a limit hit is reported and fails closed. */
	const char *limit = getenv("SASGUARD_TEST_MATCH_LIMIT");
	if (limit && *limit)
		sg_scanner_set_match_limit(s, (uint32_t)strtoul(limit, NULL, 10));
	return s;
}
