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
		fprintf(stderr, "sasguard: usage: sasguard config --show [--account NAME] [--config FILE]\n");
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
	sg_policy view;
	const sg_policy *show = &p;
	if (o->account) {
		/* what a token of that account is judged by: the [account] sections applied */
		sg_policy_for_account(&p, o->account, &view);
		show = &view;
		printf("; for tokens of account ");
		print_safe(stdout, o->account);
		printf(" (%zu [account] section%s in all)\n", p.naccounts, p.naccounts == 1 ? "" : "s");
	}
	for (size_t i = 0; sg_policy_key_name(i); i++) {
		sg_policy_key_value(show, i, value, sizeof(value));
		printf("%-28s = %-24s ; ", sg_policy_key_name(i), value);
		print_safe(stdout, show->origin[i]);
		putchar('\n');
	}
	if (o->account) {
		printf("%-28s = %-24s ; ", "account.shared_key_access", show->shared_key_access ? "true" : "false");
		print_safe(stdout, show->shared_key_origin);
		putchar('\n');
	} else {
		/* every [account] section, in the order they apply (--account NAME shows one account's result) */
		for (size_t i = 0; i < p.naccounts; i++) {
			const sg_account_policy *a = &p.accounts[i];
			for (int k = 0; k < SG_ACCT_KEYS; k++) {
				if (!(a->set & (1u << k)))
					continue;
				char key[128];
				if (k == SG_ACCT_PERMISSIONS)
					snprintf(value, sizeof(value), "%s", a->allowed_permissions);
				else if (k == SG_ACCT_LIFETIME)
					sg_duration_format(a->max_lifetime, value, sizeof(value));
				else if (k == SG_ACCT_SHARED_KEY)
					snprintf(value, sizeof(value), "%s", a->shared_key_access ? "true" : "false");
				else
					snprintf(value, sizeof(value), "%s", sg_severity_name(a->severity[k - SG_ACCT_RULE0]));
				snprintf(key, sizeof(key), "account \"%s\".%s", a->glob,
					 k == SG_ACCT_PERMISSIONS ? "allowed_permissions"
					 : k == SG_ACCT_LIFETIME  ? "max_lifetime"
					 : k == SG_ACCT_SHARED_KEY ? "shared_key_access"
								   : sg_rule_name((sg_rule)(k - SG_ACCT_RULE0)));
				print_safef(stdout, "%-28s = %-24s ; %s\n", key, value, a->origin[k]);
			}
		}
	}
	sg_policy_free(&p);
	return EXIT_CLEAN;
}
