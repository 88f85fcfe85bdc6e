/*
 * findings.c - the list of findings a scan appends to, and copying and
 * freeing one finding (whose token's strings live in one arena).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void sg_findings_init(sg_findings *l)
{
	memset(l, 0, sizeof(*l));
}

int sg_findings_push(sg_findings *l, sg_finding *f)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		/* an array of pointers: sizeof(*items) is meant to be a pointer's size */
		sg_finding **items = realloc(l->items, cap * sizeof(*items)); /* NOLINT(bugprone-sizeof-expression) */
		if (!items) {
			sg_finding_free(f);
			return SG_ENOMEM;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->count++] = f;
	return SG_OK;
}

void sg_findings_clear(sg_findings *l)
{
	for (size_t i = 0; i < l->count; i++)
		sg_finding_free(l->items[i]);
	free(l->items);
	sg_findings_init(l);
}

void sg_finding_free(sg_finding *f)
{
	if (!f)
		return;
	free(f->token.arena);
	free(f);
}

/* Moves a pointer that pointed into old so it points at the same place in new. */
static const char *rebase(const char *p, const char *old, size_t size, const char *new)
{
	return p && p >= old && p < old + size ? new + (p - old) : p;
}

sg_finding *sg_finding_dup(const sg_finding *f)
{
	sg_finding *d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	*d = *f;
	sg_token *t = &d->token;
	const char *old = f->token.arena;
	size_t size = f->token.arena_size;
	if (!old)
		return d;
	if (!(t->arena = malloc(size))) {
		free(d);
		return NULL;
	}
	memcpy(t->arena, old, size);
	for (size_t i = 0; i < t->nparams; i++) {
		t->params[i].name = rebase(t->params[i].name, old, size, t->arena);
		t->params[i].value = rebase(t->params[i].value, old, size, t->arena);
	}
	const char **fields[] = { &t->sv,    &t->sp, &t->sr,  &t->ss, &t->srt,
				  &t->spr,   &t->sip, &t->si, &t->skn, &t->skoid,
				  &t->sig,   &t->st, &t->se,  &t->display, &t->secret };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		*fields[i] = rebase(*fields[i], old, size, t->arena);
	return d;
}
