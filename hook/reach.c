/*
 * reach.c - which commits the refs reach before a push lands, asked one
 * commit at a time and answered lazily: the old values of the updated refs
 * first (a fast-forward needs nothing else), then every ref's tip, then a
 * walk down from the refs in commit-date order, the branches first, all refs
 * when the branches do not reach it. The walk stops a day below the commit's
 * date: a skewed clock can only make it answer "not reached", so a commit is
 * judged again, never skipped. What the walk paints stays painted for the
 * next question.
 */
#include "gitscan.h"

#include <stdlib.h>
#include <string.h>

#define SLOP_SECONDS 86400

typedef struct heap_item {
	int64_t time;
	git_oid id;
	git_oid *parents;
	size_t nparents;
} heap_item;

struct reach {
	git_odb *odb;
	tree_cache *cache;
	char *gitdir;
	oidset painted;       /* commits the refs reach (each one proven) */
	heap_item *heap;      /* painted commits whose parents wait, newest first */
	size_t nheap, capheap;
	ref_list refs;
	int listed;           /* refs read */
	int stage;            /* tips in the walk: 0 the old values, 1 + branches, 2 + every ref */
	oidset tips;          /* every ref's commit (peeled) */
	oidset old_tags;      /* tag objects the refs' chains hold */
};

static int heap_up(reach *r, heap_item it)
{
	if (r->nheap == r->capheap) {
		size_t cap = r->capheap ? r->capheap * 2 : 256;
		heap_item *h = realloc(r->heap, cap * sizeof(*h));
		if (!h)
			return -1;
		r->heap = h;
		r->capheap = cap;
	}
	size_t i = r->nheap++;
	while (i && r->heap[(i - 1) / 2].time < it.time) {
		r->heap[i] = r->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	r->heap[i] = it;
	return 0;
}

static heap_item heap_pop(reach *r)
{
	heap_item top = r->heap[0], last = r->heap[--r->nheap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= r->nheap)
			break;
		if (c + 1 < r->nheap && r->heap[c + 1].time > r->heap[c].time)
			c++;
		if (r->heap[c].time <= last.time)
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (r->nheap)
		r->heap[i] = last;
	return top;
}

/* Paints commit id and queues it for its parents. A commit that cannot be
 * read is painted but not walked through: nothing is proven below it. */
static int paint(reach *r, const git_oid *id)
{
	int added;
	if (!oidset_add(&r->painted, id, &added))
		return -1;
	if (!added)
		return 0;
	raw_object o;
	commit_info ci;
	if (raw_object_read(r->odb, r->cache, id, &o) < 0) {
		git_error_clear();
		return 0;
	}
	int ok = o.type == GIT_OBJECT_COMMIT && commit_parse(o.data, o.len, &ci) == 0;
	raw_object_release(&o);
	if (!ok) {
		git_error_clear();
		return 0;
	}
	heap_item it = { ci.time, *id, ci.parents, ci.nparents };
	if (heap_up(r, it) < 0) {
		commit_info_clear(&ci);
		return -1;
	}
	return 0;
}

reach *reach_new(git_odb *odb, tree_cache *cache, const char *gitdir)
{
	reach *r = calloc(1, sizeof(*r));
	if (!r || !(r->gitdir = strdup(gitdir))) {
		free(r);
		return NULL;
	}
	r->odb = odb;
	r->cache = cache;
	return r;
}

void reach_free(reach *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nheap; i++)
		free(r->heap[i].parents);
	free(r->heap);
	oidset_free(&r->painted);
	oidset_free(&r->tips);
	oidset_free(&r->old_tags);
	ref_list_free(&r->refs);
	free(r->gitdir);
	free(r);
}

int reach_add_old(reach *r, const git_oid *id)
{
	return paint(r, id);
}

/* Follows a ref's value through its tags: the tags go to old_tags, the end
 * (a commit, tree or blob) to *end. 0, or -1 when a link is missing. */
static int peel_ref(reach *r, const git_oid *id, git_oid *end, git_object_t *type)
{
	git_oid cur = *id;
	for (;;) {
		raw_object o;
		tag_info t;
		if (raw_object_read(r->odb, r->cache, &cur, &o) < 0) {
			git_error_clear();
			return -1;
		}
		*type = o.type;
		int tag = o.type == GIT_OBJECT_TAG && tag_parse(o.data, o.len, &t) == 0;
		raw_object_release(&o);
		if (!tag) {
			git_error_clear();
			*end = cur;
			return 0;
		}
		int added;
		if (!oidset_add(&r->old_tags, &cur, &added))
			return -1;
		if (!added) /* seen: its end is known already */
			return 1;
		cur = t.target;
	}
}

/* Reads every ref once: the commits they peel to and their tags. A packed
 * ref's recorded peel saves reading its tags unless a tag is asked about.
 * Refs to trees and blobs are not followed: their content is not excluded
 * from what a push adds, so it is judged again if a push brings it (more
 * than `git rev-list --not --all` lists, never less). */
static int list_refs(reach *r)
{
	if (r->listed)
		return 0;
	r->listed = 1;
	if (ref_list_read(&r->refs, r->gitdir) < 0)
		return -1;
	for (size_t i = 0; i < r->refs.count; i++) {
		ref_entry *e = &r->refs.items[i];
		git_oid end;
		git_object_t type = GIT_OBJECT_COMMIT; /* a recorded peel may name a tree: harmless here */
		int rc = 0;
		if (e->has_peeled) {
			end = e->peeled;
			/* the tag objects of the chain: known only by reading them */
			if (!oidset_add(&r->old_tags, &e->id, NULL))
				return -1;
			e->tag_chain_unread = 1;
		} else if ((rc = peel_ref(r, &e->id, &end, &type)) < 0) {
			git_error_clear();
			continue; /* a ref to a missing object reaches nothing we can prove */
		}
		if (rc == 1 || type != GIT_OBJECT_COMMIT)
			continue;
		e->end = end;
		e->is_commit = 1;
		if (!oidset_add(&r->tips, &end, NULL))
			return -1;
	}
	return 0;
}

/* The refs that go into the walk at stage: 1 the branches, 2 every other. */
static int add_stage(reach *r, int stage)
{
	for (size_t i = 0; i < r->refs.count; i++) {
		const ref_entry *e = &r->refs.items[i];
		int branch = strncmp(e->name, "refs/heads/", 11) == 0;
		if (!e->is_commit || (stage == 1) != branch)
			continue;
		if (paint(r, &e->end) < 0)
			return -1;
	}
	return 0;
}

/* Walks down from the painted commits, newest first, to cutoff or to id. */
static int walk_to(reach *r, const git_oid *id, int64_t cutoff)
{
	while (r->nheap && r->heap[0].time >= cutoff && !oidset_get(&r->painted, id)) {
		heap_item it = heap_pop(r);
		int rc = 0;
		for (size_t i = 0; i < it.nparents && rc == 0; i++)
			rc = paint(r, &it.parents[i]);
		/* each item is popped once; the analyzer loses track in heap_pop */
		free(it.parents); /* NOLINT(clang-analyzer-unix.Malloc) */
		if (rc < 0)
			return -1;
	}
	return oidset_get(&r->painted, id) != NULL;
}

int reach_is_old(reach *r, const git_oid *id, int64_t time)
{
	if (oidset_get(&r->painted, id))
		return 1;
	if (list_refs(r) < 0)
		return -1;
	if (oidset_get(&r->tips, id))
		return paint(r, id) < 0 ? -1 : 1;
	int64_t cutoff = time - SLOP_SECONDS;
	for (;;) {
		int rc = walk_to(r, id, cutoff);
		if (rc != 0 || r->stage == 2)
			return rc;
		if (add_stage(r, ++r->stage) < 0)
			return -1;
	}
}

int reach_tag_is_old(reach *r, const git_oid *tag)
{
	if (list_refs(r) < 0)
		return -1;
	if (oidset_get(&r->old_tags, tag))
		return 1;
	/* the rest of the chains whose packed peel spared reading them, once */
	for (size_t i = 0; i < r->refs.count; i++) {
		ref_entry *e = &r->refs.items[i];
		raw_object o;
		tag_info t;
		git_oid end;
		git_object_t type;
		if (!e->tag_chain_unread)
			continue;
		e->tag_chain_unread = 0;
		if (raw_object_read(r->odb, r->cache, &e->id, &o) < 0) {
			git_error_clear();
			continue;
		}
		int ok = o.type == GIT_OBJECT_TAG && tag_parse(o.data, o.len, &t) == 0;
		raw_object_release(&o);
		if (ok && peel_ref(r, &t.target, &end, &type) < 0)
			git_error_clear();
	}
	return oidset_get(&r->old_tags, tag) != NULL;
}
