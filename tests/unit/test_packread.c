/*
 * test_packread.c - hook/odb/packread.c against libgit2, object by object: for
 * every object of the repository given, the type and bytes read from the
 * pack must equal git_odb_read's. Run with a cache budget in bytes (a small
 * one forces eviction all along). With --damaged, the pack is known broken:
 * each read must succeed with the right bytes or fail cleanly, never crash.
 * Usage: test_packread REPO BUDGET [--damaged]
 */
#include "odb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
	git_odb *odb;
	pack_store *store;
	pack_cache *cache;
	int damaged;
	size_t objects, from_packs, mismatches, errors;
} run;

static int check(const git_oid *id, void *payload)
{
	run *r = payload;
	git_odb_object *ref = NULL;
	pack_obj *got = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), id);
	r->objects++;
	int rc = pack_store_read(r->store, r->cache, id, &got);
	int lrc = git_odb_read(&ref, r->odb, id);
	if (rc < 0) {
		r->errors++;
		if (!r->damaged)
			fprintf(stderr, "%s: pack read failed: %s\n", hex, git_error_last() ? git_error_last()->message : "?");
	} else if (rc == 1) {
		r->from_packs++;
		if (lrc == 0 && (got->type != git_odb_object_type(ref) || got->len != git_odb_object_size(ref) ||
				 memcmp(got->data, git_odb_object_data(ref), got->len) != 0)) {
			r->mismatches++;
			fprintf(stderr, "%s: differs from libgit2 (type %d/%d, %zu/%zu bytes)\n", hex, got->type,
				git_odb_object_type(ref), got->len, git_odb_object_size(ref));
		}
	}
	pack_obj_unref(got);
	git_odb_object_free(ref);
	return 0;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	run r;
	memset(&r, 0, sizeof(r));
	if (argc < 3)
		return 2;
	r.damaged = argc > 3 && strcmp(argv[3], "--damaged") == 0;
	git_libgit2_init();
	if (git_repository_open(&repo, argv[1]) < 0 || git_repository_odb(&r.odb, repo) < 0)
		return 2;
	r.store = pack_store_open(repo);
	r.cache = pack_cache_new((size_t)strtoull(argv[2], NULL, 10));
	if (!r.store || !r.cache) {
		fprintf(stderr, "no pack store\n");
		return 1;
	}
	/* libgit2 refuses some damaged objects outright: list them all the same */
	git_odb_foreach(r.odb, check, &r);
	printf("%zu objects, %zu read from packs, %zu differ, %zu errors\n", r.objects, r.from_packs, r.mismatches,
	       r.errors);
	pack_cache_free(r.cache);
	pack_store_free(r.store);
	git_odb_free(r.odb);
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (r.damaged)
		return r.mismatches ? 1 : 0;
	return r.mismatches || r.errors || r.from_packs != r.objects ? 1 : 0;
}
