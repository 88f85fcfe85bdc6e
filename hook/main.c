/*
 * main.c - the sasguard program: reads the mode word and the options, and
 * hands over to the mode. Nothing else lives here.
 */
#include "cli.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: sasguard pre-commit [OPTIONS]\n"
	"       sasguard pre-receive [OPTIONS]    < <old> <new> <ref> lines\n"
	"       sasguard --all-history [OPTIONS] [PATH...]\n"
	"       sasguard scan [OPTIONS] FILE... | -\n"
	"       sasguard config --show [--account NAME] [--config FILE]\n"
	"       sasguard policy import FILE | -\n"
	"       sasguard --help | --version\n"
	"\n"
	"Finds Azure SAS tokens, storage account keys and Service Bus keys, and judges\n"
	"each against a written policy: account-wide SAS, broad permissions, long\n"
	"lifetimes, plain HTTP. Signatures and keys are never printed in full.\n"
	"\n"
	"Modes:\n"
	"  pre-commit          as .git/hooks/pre-commit: judge the lines the staged change adds\n"
	"  pre-receive         as a server's hooks/pre-receive: judge what the push adds\n"
	"  --all-history [PATH...]  every object once, and all the refs reach; the commit and\n"
	"                      path that introduced each finding, and whether its token is\n"
	"                      live. Several paths, or a directory of repositories: one\n"
	"                      audit of them all, a row per repository\n"
	"  scan FILE... | -    scan whole files, or standard input\n"
	"  config --show       print the effective policy and where each value came from;\n"
	"                      --account NAME: as it applies to that account's tokens\n"
	"  policy import FILE  [account] sections from the JSON 'az storage account list'\n"
	"                      prints: each account's SAS expiration policy and shared-key setting\n"
	"\n"
	"Options (any order, every mode):\n"
	"  --config FILE       apply FILE over the system and user policy\n"
	"  --format FMT        text (default), json, sarif, or html (one self-contained\n"
	"                      page: the audit to look at, in a browser)\n"
	"  --output FILE       write the report to FILE\n"
	"  --now TIME          judge as if it were TIME (ISO 8601, e.g. 2026-11-23T00:00:00Z)\n"
	"  --quiet, -q         report only findings that block, and no summary\n"
	"  --show-allowed      also list findings that an allowance let through\n"
	"  --show-all-locations  text: every place a token was seen, not the first few\n"
	"  --allow-missing     missing objects (a partial clone) are noted, not exit 3\n"
	"  --threads N         --all-history: scanning threads (default: the cores)\n"
	"  --state FILE        --all-history: keep what was judged in FILE; the next run\n"
	"                      reads only objects it has not judged clean\n"
	"  --baseline FILE     allow the tokens whose fingerprints FILE lists\n"
	"  --write-baseline FILE  --all-history or scan: write every finding's fingerprint\n"
	"                      to FILE (to adopt sasguard in an old repository)\n"
	"\n"
	"Policy layers, lowest first: built-in defaults, /etc/sasguard.ini\n"
	"(or $SASGUARD_SYSTEM_CONFIG), $XDG_CONFIG_HOME/sasguard/config.ini, the\n"
	"repository's .sasguard.ini (client modes), --config. pre-receive reads the\n"
	"system file and the bare repository's git config sasguard.config instead:\n"
	"never anything pushed.\n"
	"\n"
	"Exit status: 0 nothing blocks; 1 a finding blocks; 2 usage or configuration\n"
	"error; 3 git, I/O or internal error, or objects missing (an incomplete scan).\n";

static int print_version(void)
{
	int major, minor, rev;
	char lib[256];
	git_libgit2_version(&major, &minor, &rev);
	sg_version_info(lib, sizeof(lib));
	printf("sasguard %s\nlibgit2 %d.%d.%d, %s\n", SG_VERSION, major, minor, rev, lib);
	return EXIT_CLEAN;
}

int main(int argc, char **argv)
{
	cli_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	/* "--all-history" is a mode written as an option: it may come anywhere. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all-history") == 0) {
			memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof(*argv));
			memmove(argv + 2, argv + 1, (size_t)(argc - 2) * sizeof(*argv));
			argv[1] = "--all-history";
			break;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "--help") == 0 || strcmp(mode, "-h") == 0 || strcmp(mode, "help") == 0) {
		fputs(usage, stdout);
		return EXIT_CLEAN;
	}
	if (strcmp(mode, "--version") == 0 || strcmp(mode, "version") == 0)
		return print_version();
	if (strcmp(mode, "scan") == 0)
		o.mode = MODE_SCAN;
	else if (strcmp(mode, "pre-commit") == 0 || strcmp(mode, "pre-merge-commit") == 0)
		o.mode = MODE_PRE_COMMIT;
	else if (strcmp(mode, "pre-receive") == 0)
		o.mode = MODE_PRE_RECEIVE;
	else if (strcmp(mode, "--all-history") == 0 || strcmp(mode, "all-history") == 0)
		o.mode = MODE_HISTORY;
	else if (strcmp(mode, "config") == 0)
		o.mode = MODE_CONFIG;
	else if (strcmp(mode, "policy") == 0)
		o.mode = MODE_POLICY;
	else {
		print_safef(stderr, "sasguard: unknown mode '%s'\n", mode);
		fprintf(stderr, "\n%s", usage);
		return EXIT_USAGE;
	}
	if ((rc = cli_parse(&o, argc - 2, argv + 2)) != 0) {
		free(o.args);
		return rc;
	}
	if (o.state && o.mode != MODE_HISTORY) {
		fprintf(stderr, "sasguard: --state keeps what --all-history judged; this mode takes no state\n");
		free(o.args);
		return EXIT_USAGE;
	}
	if (o.account && o.mode != MODE_CONFIG) {
		fprintf(stderr, "sasguard: --account goes with config --show\n");
		free(o.args);
		return EXIT_USAGE;
	}
	if (o.write_baseline && o.mode != MODE_HISTORY && o.mode != MODE_SCAN) {
		fprintf(stderr, "sasguard: --write-baseline goes with --all-history (or scan)\n");
		free(o.args);
		return EXIT_USAGE;
	}
	switch (o.mode) {
	case MODE_SCAN:
		rc = cmd_scan(&o);
		break;
	case MODE_CONFIG:
		rc = cmd_config(&o);
		break;
	case MODE_POLICY:
		rc = cmd_policy(&o);
		break;
	case MODE_PRE_COMMIT:
		rc = cmd_pre_commit(&o);
		break;
	case MODE_PRE_RECEIVE:
		rc = cmd_pre_receive(&o);
		break;
	case MODE_HISTORY:
		rc = cmd_history(&o);
		break;
	default:
		rc = EXIT_USAGE;
	}
	free(o.args);
	return rc;
}
