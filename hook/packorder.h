/*
 * packorder.h - visiting every object of a repository in pack order.
 */
#ifndef SG_PACKORDER_H
#define SG_PACKORDER_H

#include <git2.h>
#include <stdint.h>

/* type: from the pack entry header (a delta: its base's); GIT_OBJECT_INVALID
 * when it cannot tell (loose objects, a base outside the pack). size: the
 * object's size, SIZE_MAX when unknown. */
typedef int (*pack_object_cb)(const git_oid *id, git_object_t type, size_t size, void *payload);

/*
 * Calls cb once for every object of repo: the objects of each pack of its
 * object directory in pack order, then every other object (loose ones,
 * alternates, packs whose index is not version 2) as git_odb_foreach lists
 * them. A non-zero return from cb stops the walk and is returned.
 */
int odb_foreach_in_pack_order(git_repository *repo, git_odb *odb, pack_object_cb cb, void *payload);

/* The same for the object directory objdir (a push's quarantine) and odb,
 * which holds what objdir holds (and maybe more: its alternates). */
int odb_foreach_in_pack_order_at(const char *objdir, git_odb *odb, pack_object_cb cb, void *payload);

#endif
