/*
 * gitcmd.c - git's own plumbing as a child process, for what libgit2 1.5.1
 * cannot read (SHA-256 repositories): start one, read all it prints, or ask
 * a long-lived `git cat-file --batch` for objects one by one.
 */
#include "gitscan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* quiet: git's stderr to /dev/null (a probe whose failure is an answer). */
int gitcmd_start(gitcmd *g, char *const argv[], int want_stdin, int quiet)
{
	int in[2] = { -1, -1 }, out[2];
	memset(g, 0, sizeof(*g));
	if ((want_stdin && pipe(in) < 0) || pipe(out) < 0)
		return -1;
	fflush(NULL);
	if ((g->pid = fork()) < 0)
		return -1;
	if (g->pid == 0) {
		if (want_stdin) {
			dup2(in[0], 0);
			close(in[0]);
			close(in[1]);
		}
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, 2);
		}
		execvp("git", argv);
		_exit(127);
	}
	close(out[1]);
	g->from = fdopen(out[0], "r");
	if (want_stdin) {
		close(in[0]);
		g->to = fdopen(in[1], "w");
	}
	return g->from && (!want_stdin || g->to) ? 0 : -1;
}

/* Closes the pipes and waits: git's exit status, or -1. */
int gitcmd_finish(gitcmd *g)
{
	int status;
	if (g->to)
		fclose(g->to);
	if (g->from)
		fclose(g->from);
	g->to = g->from = NULL;
	if (g->pid <= 0 || waitpid(g->pid, &status, 0) != g->pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* All of a git command's output; 0 when it exited 0. */
int gitcmd_output(char *const argv[], char **out, size_t *len, int quiet)
{
	gitcmd g;
	*out = NULL;
	*len = 0;
	if (gitcmd_start(&g, argv, 0, quiet) < 0) {
		gitcmd_finish(&g);
		return -1;
	}
	return gitcmd_slurp(&g, out, len);
}

int gitcmd_slurp(gitcmd *g, char **out, size_t *len)
{
	size_t cap = 0;
	int nomem = 0;
	*out = NULL;
	*len = 0;
	for (;;) {
		if (*len + 65536 + 1 > cap) {
			char *m = realloc(*out, cap = (*len + 65536 + 1) * 2);
			if (!m) {
				nomem = 1; /* a cut output must not pass for all of it */
				break;
			}
			*out = m;
		}
		size_t n = fread(*out + *len, 1, cap - *len - 1, g->from);
		*len += n;
		if (n == 0)
			break;
	}
	if (*out)
		(*out)[*len] = '\0';
	int rc = gitcmd_finish(g);
	return rc == 0 && *out && !nomem ? 0 : -1;
}

/* Reads one object by name from `git cat-file --batch`: 1, *buf (owned,
 * NUL-terminated) and its type in type[0..tsize), 0 when git has no such
 * object, -1 on a broken pipe or an answer that is not cat-file's. */
int gitcmd_batch_read(gitcmd *cat, const char *name, char **buf, size_t *len, char *type, size_t tsize)
{
	char line[512];
	unsigned long long size;
	*buf = NULL;
	*len = 0;
	fprintf(cat->to, "%s\n", name);
	if (fflush(cat->to) != 0 || !fgets(line, sizeof(line), cat->from))
		return -1;
	if (strstr(line, " missing\n") || strstr(line, " ambiguous\n"))
		return 0;
	/* "<id> <type> <size>\n", as cat-file --batch answers */
	char *t = strchr(line, ' '), *sz = t ? strchr(t + 1, ' ') : NULL, *e = NULL;
	if (!sz || (size_t)(sz - t - 1) >= tsize || sz[1] < '0' || sz[1] > '9')
		return -1;
	memcpy(type, t + 1, (size_t)(sz - t - 1));
	type[sz - t - 1] = '\0';
	errno = 0;
	size = strtoull(sz + 1, &e, 10);
	if (errno || *e != '\n' || size > SIZE_MAX - 1)
		return -1;
	if (!(*buf = malloc((size_t)size + 1)))
		return -1;
	if (fread(*buf, 1, (size_t)size, cat->from) != size || fgetc(cat->from) != '\n') {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	(*buf)[size] = '\0';
	*len = (size_t)size;
	return 1;
}
