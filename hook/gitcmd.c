/*
 * gitcmd.c - git's own plumbing as a child process, for what libgit2 1.5.1
 * cannot read (SHA-256 repositories): start one, read all it prints, or ask
 * a long-lived `git cat-file --batch` for objects one by one.
 */
#include "gitscan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* quiet: git's stderr to /dev/null (a probe whose failure is an answer).
 * posix_spawn, not fork: a fork of this process while its workers run copies
 * their page tables and makes every page they then write fault, for a child
 * that only execs git (a history's run was 15% slower for two children). */
int gitcmd_start(gitcmd *g, char *const argv[], int want_stdin, int quiet)
{
	int in[2] = { -1, -1 }, out[2];
	posix_spawn_file_actions_t fa;
	memset(g, 0, sizeof(*g));
	/* close-on-exec: a child started while others run (from any thread)
	 * must not hold their pipes open, or they never see their end */
	if ((want_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0 && want_stdin)
		rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (rc == 0 && quiet)
		rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid = -1;
	if (rc == 0)
		rc = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	if (want_stdin)
		close(in[0]);
	if (rc != 0) {
		close(out[0]);
		if (want_stdin)
			close(in[1]);
		errno = rc;
		return -1;
	}
	g->pid = pid;
	g->from = fdopen(out[0], "r");
	/* a pipe holds 64 KiB: read it whole, not in stdio's 4 KiB */
	if (g->from)
		setvbuf(g->from, NULL, _IOFBF, 65536);
	if (want_stdin)
		g->to = fdopen(in[1], "w");
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

/* Everything g prints, in *out (owned, NUL-terminated); 0, or -1 out of memory. */
static int read_all(gitcmd *g, char **out, size_t *len)
{
	size_t cap = 0;
	*out = NULL;
	*len = 0;
	for (;;) {
		if (*len + 65536 + 1 > cap) {
			char *m = realloc(*out, cap = (*len + 65536 + 1) * 2);
			if (!m)
				return -1;
			*out = m;
		}
		size_t n = fread(*out + *len, 1, cap - *len - 1, g->from);
		*len += n;
		if (n == 0)
			break;
	}
	(*out)[*len] = '\0';
	return 0;
}

int gitcmd_slurp(gitcmd *g, char **out, size_t *len)
{
	int rc = read_all(g, out, len);
	if (gitcmd_finish(g) != 0)
		rc = -1;
	return rc;
}

/* All of a git command's output; 0 when it exited 0. */
int gitcmd_output(char *const argv[], char **out, size_t *len, int quiet)
{
	return gitcmd_filter(argv, NULL, 0, out, len, quiet);
}

static void *feed_thread(void *arg)
{
	gitcmd_feeder *f = arg;
	size_t n = f->len ? fwrite(f->buf, 1, f->len, f->g->to) : 0;
	f->rc = n == f->len ? 0 : -1;
	if (fclose(f->g->to) != 0)
		f->rc = -1;
	f->g->to = NULL;
	return NULL;
}

/* A thread writes the child's stdin while the caller reads its stdout: each
 * side blocking on a full pipe would otherwise wait for the other forever. */
int gitcmd_feed_start(gitcmd_feeder *f, gitcmd *g, const char *buf, size_t len)
{
	f->g = g;
	f->buf = buf;
	f->len = len;
	f->rc = -1;
	f->started = pthread_create(&f->t, NULL, feed_thread, f) == 0;
	return f->started ? 0 : -1;
}

int gitcmd_feed_finish(gitcmd_feeder *f)
{
	if (!f->started)
		return -1;
	pthread_join(f->t, NULL);
	f->started = 0;
	return f->rc;
}

int gitcmd_filter(char *const argv[], const char *in, size_t inlen, char **out, size_t *len, int quiet)
{
	gitcmd g;
	gitcmd_feeder f;
	*out = NULL;
	*len = 0;
	if (gitcmd_start(&g, argv, in != NULL, quiet) < 0 || (in && gitcmd_feed_start(&f, &g, in, inlen) < 0)) {
		gitcmd_finish(&g);
		return -1;
	}
	int rc = read_all(&g, out, len);
	if (rc < 0) { /* git dies writing, so the feeder's write ends too */
		fclose(g.from);
		g.from = NULL;
	}
	if (in && gitcmd_feed_finish(&f) < 0)
		rc = -1;
	if (gitcmd_finish(&g) != 0)
		rc = -1;
	return rc;
}

/* Reads one object by name from `git cat-file --batch`: 1, *buf (owned,
 * NUL-terminated) and its type in type[0..tsize), 0 when git has no such
 * object, -1 on a broken pipe or an answer that is not cat-file's. */
int gitcmd_batch_read(gitcmd *cat, const char *name, char **buf, size_t *len, char *type, size_t tsize)
{
	*buf = NULL;
	*len = 0;
	fprintf(cat->to, "%s\n", name);
	if (fflush(cat->to) != 0)
		return -1;
	return gitcmd_batch_next(cat, buf, len, type, tsize);
}

int gitcmd_batch_next(gitcmd *cat, char **buf, size_t *len, char *type, size_t tsize)
{
	char line[512];
	unsigned long long size;
	*buf = NULL;
	*len = 0;
	if (!fgets(line, sizeof(line), cat->from))
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

int gitcmd_blob_read(gitcmd *cat, const char *name, char **buf, size_t *len)
{
	char type[16];
	int r = gitcmd_batch_read(cat, name, buf, len, type, sizeof(type));
	if (r == 1 && strcmp(type, "blob") != 0) {
		free(*buf);
		*buf = NULL;
		return 0;
	}
	return r;
}
