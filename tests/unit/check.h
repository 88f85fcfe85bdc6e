/*
 * check.h - the smallest test harness: CHECK records a failure with its
 * file and line and the test goes on; main returns the number of failures.
 */
#ifndef SG_CHECK_H
#define SG_CHECK_H

#include "sasguard.h"

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                                 \
		}                                                                         \
	} while (0)

#define CHECK_INT(got, want)                                                               \
	do {                                                                               \
		long long g_ = (long long)(got), w_ = (long long)(want);                   \
		if (g_ != w_) {                                                            \
			fprintf(stderr, "%s:%d: %s is %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

#define CHECK_STR(got, want)                                                               \
	do {                                                                               \
		const char *g_ = (got), *w_ = (want);                                      \
		if (!g_ || strcmp(g_, w_) != 0) {                                          \
			fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
				g_ ? g_ : "(null)", w_);                                   \
			check_failures++;                                                  \
		}                                                                          \
	} while (0)

#define CHECK_DONE()                                                                       \
	do {                                                                               \
		if (check_failures)                                                        \
			fprintf(stderr, "%d check(s) failed\n", check_failures);           \
		return check_failures ? 1 : 0;                                             \
	} while (0)

/* "Now" for every test: the corpus README's reference time. */
#define TEST_NOW 1795392000LL /* 2026-11-23T00:00:00Z */

/* Scans text with policy p at TEST_NOW; findings are appended to out. */
static inline int scan_text(const sg_policy *p, const char *path, const char *text, sg_findings *out)
{
	sg_scanner *s;
	sg_diag d;
	if (sg_scanner_new(&s, p, &d) < 0)
		return -100;
	sg_scanner_set_now(s, TEST_NOW);
	int rc = sg_scan_buffer(s, path, text, strlen(text), 1, out);
	sg_scanner_free(s);
	return rc;
}

/* Rule ids of a finding joined by commas, in rule order: "account-sas,lifetime". */
static inline const char *rules_of(const sg_finding *f, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->nviolations && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
				      sg_rule_name(f->violations[i].rule));
	return buf;
}

#endif
