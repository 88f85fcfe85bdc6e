/*
 * trace.c - SASGUARD_TRACE_BLOBS=FILE: the id of every blob a run judged,
 * once each, appended to FILE. An auditor's list of what was read, and the
 * tests' way to compare it with `git rev-list --objects`.
 */
#include "gitscan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static oidset seen;
static int tracing; /* 0 not looked at the environment yet, 1 on, -1 off */

int trace_blobs_on(void)
{
	pthread_mutex_lock(&lock);
	if (tracing == 0) {
		const char *f = getenv("SASGUARD_TRACE_BLOBS");
		tracing = f && *f && (out = fopen(f, "a")) ? 1 : -1;
	}
	pthread_mutex_unlock(&lock);
	return tracing == 1;
}

void trace_blob(const git_oid *id)
{
	if (!trace_blobs_on())
		return;
	int added = 0;
	pthread_mutex_lock(&lock);
	if (oidset_add(&seen, id, &added) && added) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), id);
		fprintf(out, "%s\n", hex);
	}
	pthread_mutex_unlock(&lock);
}

/* Ids are 64 hex digits in SHA-256: printed whole, each once. */
void trace_blob_hex(const char *hex)
{
	git_oid key;
	if (!trace_blobs_on() || git_oid_fromstrn(&key, hex, GIT_OID_HEXSZ) < 0)
		return;
	int added = 0;
	pthread_mutex_lock(&lock);
	if (oidset_add(&seen, &key, &added) && added)
		fprintf(out, "%.64s\n", hex);
	pthread_mutex_unlock(&lock);
}

void trace_close(void)
{
	pthread_mutex_lock(&lock);
	if (out)
		fclose(out);
	out = NULL;
	oidset_free(&seen);
	tracing = 0;
	pthread_mutex_unlock(&lock);
}
