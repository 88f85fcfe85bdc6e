/*
 * repo.c - opening a repository the way each mode needs it: the index git is
 * committing, the quarantine of a push, or a path. Works around what
 * libgit2 1.5.1 gets wrong (notes/git-engineering.md sections 1.2, 2.2, 7).
 */
#include "gitscan.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void git_fail(const char *what)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "sasguard: %s: ", what);
	print_safe(stderr, e && e->message ? e->message : "unknown libgit2 error");
	fputc('\n', stderr);
}

/* Explains the open errors a person can fix: ownership, SHA-256, odd indexes. */
static void open_fail(const char *path, int rc)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "";
	if (rc == GIT_EOWNER || strstr(msg, "safe.directory")) {
		print_safef(stderr, "sasguard: %s is owned by another user; if you trust it, run\n", path);
		fprintf(stderr, "  git config --global --add safe.directory <its absolute path>\n"
				"(libgit2 1.5 honours exact paths only, not '*')\n");
	} else if (strstr(msg, "objectformat") || strstr(msg, "extensions")) {
		print_safef(stderr, "sasguard: %s: ", path);
		print_safe(stderr, msg);
		fprintf(stderr, "\nsasguard: this libgit2 cannot read SHA-256 repositories or that extension\n");
	} else {
		fprintf(stderr, "sasguard: cannot open the repository at ");
		print_safe(stderr, path);
		fprintf(stderr, ": ");
		print_safe(stderr, msg);
		fputc('\n', stderr);
	}
}

int repo_open_staged(git_repository **repo, char *index_path, size_t size)
{
	const char *gd = getenv("GIT_DIR"), *wt = getenv("GIT_WORK_TREE");
	const char *ix = getenv("GIT_INDEX_FILE");
	/* Not GIT_REPOSITORY_OPEN_FROM_ENV: in 1.5.1 it fails outright when
	 * GIT_WORK_TREE is set, which git and pre-commit frameworks do. */
	unsigned flags = gd && *gd ? GIT_REPOSITORY_OPEN_NO_SEARCH : 0;
	const char *path = gd && *gd ? gd : ".";
	int rc;

	*repo = NULL;
	if ((rc = git_repository_open_ext(repo, path, flags, getenv("GIT_CEILING_DIRECTORIES"))) < 0) {
		open_fail(path, rc);
		return EXIT_INTERNAL;
	}
	if (wt && *wt && git_repository_set_workdir(*repo, wt, 0) < 0) {
		git_fail("GIT_WORK_TREE");
		return EXIT_INTERNAL;
	}
	if (git_repository_is_bare(*repo)) {
		fprintf(stderr, "sasguard: pre-commit runs in a repository with a work tree, not a bare one\n");
		return EXIT_INTERNAL;
	}
	/* The index git is committing (index.lock for commit -a, next-index-*.lock
	 * for commit <paths>), else the repository's own. */
	if (ix && *ix)
		snprintf(index_path, size, "%s", ix);
	else
		snprintf(index_path, size, "%sindex", git_repository_path(*repo));
	return 0;
}

/* Is q the repository's own object directory (then there is no quarantine)? */
static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	if (!realpath(a, ra) || !realpath(b, rb))
		return 0;
	return strcmp(ra, rb) == 0;
}

int repo_open_server(git_repository **repo, const char *path)
{
	int rc;
	/* git validated ownership before it ran the hook; libgit2 1.5.1 would
	 * refuse a repository owned by the git service user, misleadingly. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if ((rc = git_repository_open_ext(repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE,
					  NULL)) < 0) {
		open_fail(path, rc);
		return EXIT_INTERNAL;
	}
	return 0;
}

/* "file:line" of the sasguard.config entry e, as near as libgit2 1.5 lets us
 * know: it names the level, not the file; the repository's own config is
 * the usual place, and its line is found by the value written there. */
static void config_where(git_repository *repo, const git_config_entry *e, char *buf, size_t size)
{
	char path[4096], line[4096];
	int lineno = 0, at = 0;
	if (e->level != GIT_CONFIG_LEVEL_LOCAL) {
		snprintf(buf, size, "git config (level %d)", (int)e->level);
		return;
	}
	snprintf(path, sizeof(path), "%sconfig", git_repository_path(repo));
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		lineno++;
		if (strstr(line, e->value) && strstr(line, "config"))
			at = lineno; /* the last one: git's last value wins */
	}
	if (f)
		fclose(f);
	if (at)
		snprintf(buf, size, "%s:%d", path, at);
	else
		snprintf(buf, size, "%s", path);
}

int repo_server_policy_file(git_repository *repo, char *buf, size_t size)
{
	git_config *cfg = NULL;
	git_config_entry *e = NULL;
	git_buf path = { 0 };
	int rc = 0;

	buf[0] = '\0';
	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		git_fail("reading the repository's config");
		return EXIT_INTERNAL;
	}
	if (git_config_get_entry(&e, cfg, "sasguard.config") == 0) {
		/* set: it must work. Running on the defaults because "~nosuchuser/x.ini"
		 * did not expand would be a silent downgrade of the server's policy. */
		if (git_config_get_path(&path, cfg, "sasguard.config") == 0) {
			if (path.ptr[0] == '/')
				snprintf(buf, size, "%s", path.ptr);
			else /* relative to the repository, as the administrator wrote it there */
				snprintf(buf, size, "%s%s", git_repository_path(repo), path.ptr);
		} else {
			char where[4200];
			const git_error *ge = git_error_last();
			config_where(repo, e, where, sizeof(where));
			fprintf(stderr, "sasguard: config: ");
			print_safe(stderr, where);
			fprintf(stderr, ": sasguard.config = ");
			print_safe(stderr, e->value);
			fprintf(stderr, ": cannot be expanded: ");
			print_safe(stderr, ge && ge->message ? ge->message : "unknown error");
			fputc('\n', stderr);
			rc = EXIT_USAGE;
		}
		if (!rc && !path.ptr[0]) {
			fprintf(stderr, "sasguard: config: sasguard.config is set but empty\n");
			rc = EXIT_USAGE;
		}
	}
	git_config_entry_free(e);
	git_error_clear();
	git_buf_dispose(&path);
	git_config_free(cfg);
	return rc;
}

int repo_open_pushed(git_repository **repo, git_odb **qodb)
{
	const char *gd = getenv("GIT_DIR");
	const char *q = getenv("GIT_QUARANTINE_PATH");
	char objects[PATH_MAX];
	git_odb *odb = NULL;
	int rc;

	*repo = NULL;
	*qodb = NULL;
	if (!q || !*q)
		q = getenv("GIT_OBJECT_DIRECTORY"); /* GitLab documents only this one */
	if ((rc = repo_open_server(repo, gd && *gd ? gd : ".")) != 0)
		return rc;
	snprintf(objects, sizeof(objects), "%s/objects", git_repository_commondir(*repo));
	if (!q || !*q || same_dir(q, objects))
		return 0;
	/* Not FROM_ENV: libgit2 does not unquote GIT_ALTERNATE_OBJECT_DIRECTORIES,
	 * and silently loses the main object store when the path holds a ':'. */
	if (git_repository_odb(&odb, *repo) < 0 || git_odb_add_disk_alternate(odb, q) < 0 ||
	    git_odb_open(qodb, q) < 0) {
		git_odb_free(odb);
		git_fail("opening the quarantine");
		return EXIT_INTERNAL;
	}
	git_odb_free(odb);
	return 0;
}

int repo_open_path(git_repository **repo, const char *path)
{
	int rc = git_repository_open_ext(repo, path, 0, NULL);
	if (rc < 0) {
		open_fail(path, rc);
		return EXIT_INTERNAL;
	}
	return 0;
}

void repo_policy_file(git_repository *repo, char *buf, size_t size)
{
	const char *wd = git_repository_workdir(repo);
	buf[0] = '\0';
	if (wd)
		snprintf(buf, size, "%s.sasguard.ini", wd);
}
