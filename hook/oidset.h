/*
 * oidset.h - a set of git object ids with a value each, open addressing on
 * the id's first bytes (already uniformly distributed). Small and plain.
 */
#ifndef SG_OIDSET_H
#define SG_OIDSET_H

#include <git2.h>

typedef struct oidset_entry {
	git_oid id;
	void *value;
	int used;
} oidset_entry;

typedef struct oidset {
	oidset_entry *slots;
	size_t count, cap; /* cap is a power of two */
} oidset;

void oidset_init(oidset *s);
void oidset_free(oidset *s);           /* frees the table, not the values */
oidset_entry *oidset_get(const oidset *s, const git_oid *id);
/* Returns the entry for id, adding it (value NULL) if new; NULL on ENOMEM. */
oidset_entry *oidset_add(oidset *s, const git_oid *id, int *added);

#endif
