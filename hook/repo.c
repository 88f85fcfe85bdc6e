/*
 * repo.c - opening a repository the way each mode needs it: the index git is
 * committing, the quarantine of a push, or a path. Works around what
 * libgit2 1.5.1 gets wrong (notes/git-engineering.md sections 1.2, 2.2, 7).
 */
#include "gitscan.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

void git_fail(const char *what)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "sasguard: %s: ", what);
	print_safe(stderr, e && e->message ? e->message : "unknown libgit2 error");
	fputc('\n', stderr);
}

/* Extensions git defines that change nothing for a reader: libgit2 1.5.1
 * refuses them all the same ("unsupported extension name"). sasguard never
 * prunes (preciousObjects), reads no per-worktree config it needs
 * (worktreeConfig), and names a partial clone's missing objects (missing.c). */
static const char *const reader_safe_extensions[] = { "noop-v1", "preciousobjects", "worktreeconfig",
						       "partialclone" };

void repo_libgit2_init(void)
{
	static int extensions_set;
	git_libgit2_init();
	if (!extensions_set) {
		git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, reader_safe_extensions,
				 sizeof(reader_safe_extensions) / sizeof(reader_safe_extensions[0]));
		extensions_set = 1;
	}
}

static char unreadable_why[512];
static int unreadable_sha256;

int repo_unreadable_is_sha256(void)
{
	return unreadable_sha256;
}

const char *repo_unreadable_why(void)
{
	return unreadable_why;
}

/* A repository git can read in a format this build cannot: an object format
 * or extension libgit2 1.5.1 does not know, a newer repository version. */
static int format_unknown(const char *msg)
{
	return strstr(msg, "unsupported extension") || strstr(msg, "unsupported repository version") ||
	       strstr(msg, "objectformat");
}

/* Explains the open errors a person can fix (ownership); a format this build
 * cannot read is REPO_UNREADABLE, said by the caller (repo_unreadable_why). */
static int open_fail(const char *path, int rc)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "";
	if (format_unknown(msg)) {
		const char *ext = strstr(msg, "extensions.");
		unreadable_sha256 = strstr(msg, "objectformat") != NULL;
		if (unreadable_sha256)
			snprintf(unreadable_why, sizeof(unreadable_why),
				 "%s uses an object format (extensions.objectformat, SHA-256) this build of sasguard "
				 "cannot read", path);
		else if (ext)
			snprintf(unreadable_why, sizeof(unreadable_why),
				 "%s needs a repository extension this build of sasguard cannot read (%s)", path, ext);
		else
			snprintf(unreadable_why, sizeof(unreadable_why),
				 "%s is in a repository format this build of sasguard cannot read (%s)", path, msg);
		return REPO_UNREADABLE;
	}
	if (rc == GIT_EOWNER || strstr(msg, "safe.directory")) {
		print_safef(stderr, "sasguard: %s is owned by another user; if you trust it, run\n", path);
		fprintf(stderr, "  git config --global --add safe.directory <its absolute path>\n"
				"(libgit2 1.5 honours exact paths only, not '*')\n");
	} else {
		fprintf(stderr, "sasguard: cannot open the repository at ");
		print_safe(stderr, path);
		fprintf(stderr, ": ");
		print_safe(stderr, msg);
		fputc('\n', stderr);
	}
	return EXIT_INTERNAL;
}

/* The first line of file (up to size - 1 bytes, newline dropped): 0, or -1. */
static int first_line(const char *file, char *buf, size_t size)
{
	FILE *f = fopen(file, "r");
	int ok = f && fgets(buf, (int)size, f) != NULL;
	if (f)
		fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Trims blanks at both ends of s in place. */
static char *trim(char *s)
{
	size_t n;
	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Does the config file at path set extensions.objectformat = sha256? */
static int config_names_sha256(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int in_ext = 0, yes = 0;
	if (!f)
		return 0;
	while (!yes && fgets(line, sizeof(line), f)) {
		char *l = trim(line), *eq;
		if (*l == '[') {
			in_ext = strncasecmp(l, "[extensions]", 12) == 0;
			continue;
		}
		if (!in_ext || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		yes = strcasecmp(trim(l), "objectformat") == 0 && strcasecmp(trim(eq + 1), "sha256") == 0;
	}
	fclose(f);
	return yes;
}

void repo_common_dir(const char *gitdir, char *out, size_t size)
{
	char file[PATH_MAX + 16], line[PATH_MAX];
	snprintf(file, sizeof(file), "%s/commondir", gitdir);
	if (first_line(file, line, sizeof(line)) == 0 && *line)
		snprintf(out, size, "%s%s%s", line[0] == '/' ? "" : gitdir, line[0] == '/' ? "" : "/", line);
	else
		snprintf(out, size, "%s", gitdir);
}

int repo_staged_looks_sha256(void)
{
	const char *gd = getenv("GIT_DIR");
	char dir[PATH_MAX], line[PATH_MAX], common[2 * PATH_MAX + 2], config[2 * PATH_MAX + 16];
	struct stat st;

	if (gd && *gd)
		snprintf(dir, sizeof(dir), "%s", gd);
	else if (stat(".git", &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(dir, sizeof(dir), ".git");
	else if (first_line(".git", line, sizeof(line)) == 0 && strncmp(line, "gitdir: ", 8) == 0)
		snprintf(dir, sizeof(dir), "%s", line + 8); /* a worktree's or submodule's .git file */
	else
		return 0;
	/* a linked worktree keeps its config in the common directory */
	repo_common_dir(dir, common, sizeof(common));
	snprintf(config, sizeof(config), "%s/config", common);
	return config_names_sha256(config);
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
	if ((rc = git_repository_open_ext(repo, path, flags, getenv("GIT_CEILING_DIRECTORIES"))) < 0)
		return open_fail(path, rc);
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
					  NULL)) < 0)
		return open_fail(path, rc);
	return 0;
}

/* "file:line" of the sasguard.config entry e, as near as libgit2 1.5 lets us
 * know: it names the level, not the file; the repository's own config is
 * the usual place, and its line is found by the value written there. */
static void config_where(const char *gitdir, const git_config_entry *e, char *buf, size_t size)
{
	char path[4096], line[4096];
	int lineno = 0, at = 0;
	if (e->level != GIT_CONFIG_LEVEL_LOCAL) {
		snprintf(buf, size, "git config (level %d)", (int)e->level);
		return;
	}
	snprintf(path, sizeof(path), "%sconfig", gitdir);
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

/*
 * sasguard.config from an open config into buf ("" when unset): relative
 * paths are the repository's (gitdir ends in '/'). Set, it must work:
 * running on the defaults because "~nosuchuser/x.ini" did not expand would
 * be a silent downgrade of the server's policy (EXIT_USAGE, with where).
 */
static int policy_path_from(git_config *cfg, const char *gitdir, char *buf, size_t size)
{
	git_config_entry *e = NULL;
	git_buf path = { 0 };
	int rc = 0;

	if (git_config_get_entry(&e, cfg, "sasguard.config") == 0) {
		if (git_config_get_path(&path, cfg, "sasguard.config") == 0) {
			if (path.ptr[0] == '/')
				snprintf(buf, size, "%s", path.ptr);
			else /* relative to the repository, as the administrator wrote it there */
				snprintf(buf, size, "%s%s", gitdir, path.ptr);
		} else {
			char where[4200];
			const git_error *ge = git_error_last();
			config_where(gitdir, e, where, sizeof(where));
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
	return rc;
}

int repo_server_policy_file(git_repository *repo, char *buf, size_t size)
{
	git_config *cfg = NULL;

	buf[0] = '\0';
	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		git_fail("reading the repository's config");
		return EXIT_INTERNAL;
	}
	int rc = policy_path_from(cfg, git_repository_path(repo), buf, size);
	git_config_free(cfg);
	return rc;
}

int repo_server_policy_file_at(const char *gitdir, char *buf, size_t size)
{
	char dir[PATH_MAX], file[PATH_MAX + 8];
	git_config *cfg = NULL;
	struct stat st;

	buf[0] = '\0';
	if (!realpath(gitdir, dir)) {
		print_safef(stderr, "sasguard: cannot find the repository %s: %s\n", gitdir, strerror(errno));
		return EXIT_INTERNAL;
	}
	snprintf(file, sizeof(file), "%s/config", dir);
	if (stat(file, &st) < 0 && errno == ENOENT)
		return 0; /* no config: no sasguard.config */
	/* the file alone, as git reads it (includes too): no repository format
	 * can stop the server's policy from being read */
	if (git_config_open_ondisk(&cfg, file) < 0) {
		git_fail("reading the repository's config");
		return EXIT_INTERNAL;
	}
	strcat(dir, "/");
	int rc = policy_path_from(cfg, dir, buf, size);
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
		if (open_fail(path, rc) == REPO_UNREADABLE)
			print_safef(stderr, "sasguard: %s\n", unreadable_why);
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
