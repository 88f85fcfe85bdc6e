/*
 * audit.c - the server's record of every allowance a pusher invoked: one
 * line to syslog or to the file server.log names. Never a token: only its
 * fingerprint, kind and account, with who, where and why.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Copies s into out with control bytes, quotes and backslashes escaped. */
static void clean(char *out, size_t size, const char *s)
{
	size_t n = 0;
	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c && n + 5 < size; c++) {
		if (*c < 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *c);
		else
			out[n++] = (char)*c;
	}
	out[n] = '\0';
}

/* Who pushed, as the server knows it: GitLab, gitolite, Gitea, GitHub Enterprise, HTTP, ssh. */
static const char *pusher(void)
{
	static const char *const vars[] = { "GL_USERNAME", "GL_USER", "GITEA_PUSHER_NAME", "GITHUB_USER_LOGIN",
					    "REMOTE_USER", "USER", "LOGNAME" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return v;
	}
	return "unknown";
}

int audit_allowance(const sg_policy *p, const sg_finding *f, const char *path, const char *commit,
		    const char *how, const char *reason)
{
	char line[4096], cpath[1024], creason[512], cwho[128], crepo[1024], when[32];
	char *cwd = getcwd(NULL, 0);

	clean(cpath, sizeof(cpath), path);
	clean(creason, sizeof(creason), reason);
	clean(cwho, sizeof(cwho), pusher());
	clean(crepo, sizeof(crepo), cwd);
	free(cwd);
	sg_time_format((int64_t)time(NULL), when, sizeof(when));
	snprintf(line, sizeof(line),
		 "%s sasguard: %s: repo=\"%s\" pusher=\"%s\" commit=%s path=\"%s\" line=%zu "
		 "kind=%s account=%s fingerprint=%s reason=\"%s\"",
		 when, how, crepo, cwho, commit ? commit : "-", cpath, f->line, sg_kind_name(f->token.kind),
		 f->token.account[0] ? f->token.account : "-", f->token.fingerprint, creason);
	if (!p->log[0] || strcmp(p->log, "syslog") == 0) {
		openlog("sasguard", LOG_PID, LOG_AUTH);
		syslog(LOG_NOTICE, "%s", line + strlen(when) + 1);
		closelog();
		return 0;
	}
	int fd = open(p->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		fprintf(stderr, "sasguard: cannot write the log %s: %s\n", p->log, strerror(errno));
		return -1;
	}
	size_t len = strlen(line);
	line[len++] = '\n';
	/* one write with O_APPEND: concurrent pushes do not interleave within a line */
	ssize_t w = write(fd, line, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}
