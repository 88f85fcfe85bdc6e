/*
 * config.c - `sasguard config --show`: the effective policy where it runs,
 * each value with the file and line it came from. In a work tree the
 * client layers apply (with its .sasguard.ini); in a bare repository, the
 * server's (the system file and git config sasguard.config).
 */
#include "gitscan.h"

#include <string.h>

int cmd_config(cli_opts *o)
{
	git_repository *repo = NULL;
	sg_policy p;
	char value[1024], file[4096] = "";
	int rc = 0, server = 0;

	if (!o->show || o->nargs) {
		fprintf(stderr, "sasguard: usage: sasguard config --show [--config FILE]\n");
		return EXIT_USAGE;
	}
	repo_libgit2_init();
	if (git_repository_open_ext(&repo, ".", 0, NULL) == 0) {
		server = git_repository_is_bare(repo);
		if (server)
			rc = repo_server_policy_file(repo, file, sizeof(file));
		else
			repo_policy_file(repo, file, sizeof(file));
	}
	git_error_clear();
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (rc != 0)
		return rc; /* the server's config names a policy we could not read */
	o->mode = server ? MODE_PRE_RECEIVE : MODE_CONFIG;
	if ((rc = cli_load_policy(o, &p, server ? NULL : file, server && file[0] ? file : NULL)) != 0)
		return rc;
	printf("; the policy sasguard %s applies here, lowest layer first: defaults, %s%s%s\n",
	       server ? "pre-receive" : "pre-commit and --all-history", cli_system_config(),
	       server ? ", git config sasguard.config" : ", the user's file, .sasguard.ini",
	       o->config ? ", --config" : "");
	for (size_t i = 0; sg_policy_key_name(i); i++) {
		sg_policy_key_value(&p, i, value, sizeof(value));
		printf("%-28s = %-24s ; %s\n", sg_policy_key_name(i), value, p.origin[i]);
	}
	sg_policy_free(&p);
	return EXIT_CLEAN;
}
