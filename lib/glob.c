/*
 * glob.c - git-style path globs for [allow] path: '*' and '?' stay within a
 * directory, '**' crosses directories, [a-z] classes; a pattern without '/'
 * matches the file name at any depth, as in .gitignore.
 */
#include "internal.h"

#include <string.h>

/* Paths come from pushed content: a step budget keeps "*a*a*a*b" patterns
 * against long hostile paths from running away (no match when exceeded). */
#define GLOB_STEPS 200000

static int match(const char *p, const char *s, long *budget);

/* A [...] class at *pp against c; advances *pp past it. -1 on a broken class.
 * Each character of the class read is a step of the budget: a long or
 * unclosed class read again at every step would otherwise escape it. */
static int match_class(const char **pp, char c, long *budget)
{
	const char *p = *pp + 1;
	int negate = *p == '!' || *p == '^', hit = 0;
	if (negate)
		p++;
	for (int first = 1; *p && (first || *p != ']'); first = 0) {
		--*budget;
		char lo = *p, hi = lo;
		if (p[1] == '-' && p[2] && p[2] != ']') {
			hi = p[2];
			p += 3;
		} else {
			p++;
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != negate;
}

static int match_doublestar(const char *p, const char *s, long *budget)
{
	const char *rest = p + 2;
	if (*rest == '/') {
		/* "**" + "/": zero or more whole directories */
		rest++;
		if (match(rest, s, budget))
			return 1;
		for (const char *q = s; *q; q++)
			if (*q == '/' && match(rest, q + 1, budget))
				return 1;
		return 0;
	}
	for (const char *q = s;; q++) {
		if (match(rest, q, budget))
			return 1;
		if (!*q)
			return 0;
	}
}

static int match(const char *p, const char *s, long *budget)
{
	while (*p) {
		if (--*budget < 0)
			return 0;
		if (p[0] == '*' && p[1] == '*')
			return match_doublestar(p, s, budget);
		if (*p == '*') {
			p++;
			for (const char *q = s;; q++) {
				if (match(p, q, budget))
					return 1;
				if (!*q || *q == '/')
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
		} else if (*p == '[') {
			int r = match_class(&p, *s, budget);
			if (r <= 0 || *s == '/')
				return 0;
			s++;
			continue;
		} else {
			if (*p == '\\' && p[1])
				p++;
			if (*p != *s)
				return 0;
		}
		p++;
		s++;
	}
	return *s == '\0';
}

int sg_glob_match(const char *pattern, const char *path)
{
	long budget = GLOB_STEPS;
	char buf[4096];
	size_t n = strlen(pattern);

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (n == 0 || n + 3 >= sizeof(buf))
		return 0;
	/* "dir/" means everything below dir */
	memcpy(buf, pattern, n + 1);
	if (buf[n - 1] == '/')
		memcpy(buf + n, "**", 3);
	const char *p = buf;
	if (!strchr(p, '/')) {
		const char *base = strrchr(path, '/');
		if (match(p, base ? base + 1 : path, &budget))
			return 1;
	}
	if (*p == '/')
		p++;
	return match(p, path, &budget);
}
