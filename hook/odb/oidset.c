/*
 * oidset.c - the oid set of odb.h: linear probing, grown at 50% load.
 */
#include "odb.h"

#include <stdlib.h>
#include <string.h>

void oidset_init(oidset *s)
{
	memset(s, 0, sizeof(*s));
}

void oidset_free(oidset *s)
{
	free(s->slots);
	oidset_init(s);
}

static size_t slot_of(const git_oid *id, size_t cap)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h)); /* a SHA-1 is already a good hash */
	return h & (cap - 1);
}

oidset_entry *oidset_get(const oidset *s, const git_oid *id)
{
	if (!s->cap)
		return NULL;
	for (size_t i = slot_of(id, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slots[i].used)
			return NULL;
		if (git_oid_equal(&s->slots[i].id, id))
			return &s->slots[i];
	}
}

static int grow(oidset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	oidset_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slots[i].used)
			continue;
		size_t j = slot_of(&s->slots[i].id, cap);
		while (slots[j].used)
			j = (j + 1) & (cap - 1);
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

oidset_entry *oidset_add(oidset *s, const git_oid *id, int *added)
{
	oidset_entry *e = oidset_get(s, id);
	if (added)
		*added = 0;
	if (e)
		return e;
	if ((s->count + 1) * 2 > s->cap && grow(s) < 0)
		return NULL;
	size_t i = slot_of(id, s->cap);
	while (s->slots[i].used)
		i = (i + 1) & (s->cap - 1);
	s->slots[i].used = 1;
	git_oid_cpy(&s->slots[i].id, id);
	s->slots[i].value = NULL;
	s->count++;
	if (added)
		*added = 1;
	return &s->slots[i];
}
