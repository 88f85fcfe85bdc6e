/*
 * discover.c - the repositories an audit covers: each path given is a
 * repository, or a directory walked for them (a server's /srv/git, GitLab's
 * @hashed/ab/cd/<hash>.git, Gitea's <owner>/<repo>.git). A directory is a
 * repository as git decides (HEAD, objects/ and refs/ in it, or a .git);
 * the walk does not descend into one, follows no symlinked directory (no
 * loops) and names every directory it cannot read.
 */
#include "gitscan.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int add_path(repo_list *l, const char *path, const char *why)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		repo_item *v = realloc(l->items, cap * sizeof(*v));
		if (!v)
			return -1;
		l->items = v;
		l->cap = cap;
	}
	repo_item *it = &l->items[l->count];
	it->path = strdup(path);
	it->unreadable = why ? strdup(why) : NULL;
	if (!it->path || (why && !it->unreadable)) {
		free(it->path);
		free(it->unreadable);
		return -1;
	}
	l->count++;
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* git's is_git_directory(): HEAD, objects/ and refs/ (a bare repository). */
static int is_git_dir(const char *dir)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/HEAD", dir);
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(p, sizeof(p), "%s/objects", dir);
	if (!is_dir(p))
		return 0;
	snprintf(p, sizeof(p), "%s/refs", dir);
	return is_dir(p);
}

static int is_repo(const char *dir)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/.git", dir);
	return is_git_dir(dir) || stat(p, &st) == 0;
}

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const repo_item *)a)->path, ((const repo_item *)b)->path);
}

/* Walks root for repositories, with a list of directories still to read. */
static int walk(repo_list *l, const char *root)
{
	char **todo = malloc(sizeof(*todo));
	size_t n = 0, cap = 1;
	int rc = 0;
	if (!todo || !(todo[n++] = strdup(root))) {
		free(todo);
		return -1;
	}
	while (n && rc == 0) {
		char *dir = todo[--n];
		DIR *d = opendir(dir);
		if (!d) {
			rc = add_path(l, dir, strerror(errno));
			free(dir);
			continue;
		}
		for (struct dirent *e; rc == 0 && (e = readdir(d));) {
			char sub[4096];
			struct stat st;
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) >= (int)sizeof(sub) ||
			    lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			if (is_repo(sub)) {
				rc = add_path(l, sub, NULL);
				continue;
			}
			if (n == cap) {
				char **g = realloc(todo, (cap *= 2) * sizeof(*g));
				if (!g) {
					rc = -1;
					break;
				}
				todo = g;
			}
			if (!(todo[n] = strdup(sub)))
				rc = -1;
			else
				n++;
		}
		closedir(d);
		free(dir);
	}
	while (n)
		free(todo[--n]);
	free(todo);
	return rc;
}

int repo_discover(repo_list *l, char *const *paths, int npaths)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < npaths; i++) {
		const char *p = paths[i];
		size_t before = l->count;
		int rc;
		if (!is_dir(p))
			rc = add_path(l, p, "not a directory");
		else if (is_repo(p))
			rc = add_path(l, p, NULL);
		else
			rc = walk(l, p);
		if (rc < 0) {
			repo_list_free(l);
			return -1;
		}
		/* in the order a person reads them, each path's own */
		if (l->count > before)
			qsort(l->items + before, l->count - before, sizeof(*l->items), cmp_item);
	}
	return 0;
}

void repo_list_free(repo_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].path);
		free(l->items[i].unreadable);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}
