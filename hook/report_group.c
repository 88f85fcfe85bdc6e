/*
 * report_group.c - one token, one finding: the places a token was seen
 * become its locations, and live blocking tokens are grouped by the one
 * action that revokes them all.
 *
 * Two entries are the same token when they are in the same repository and
 * have the same fingerprint (kind and secret), the same redacted text (so
 * the same parameters, judged the same) and the same allowance kind: a
 * token allowed on one line and not on another is two findings, one that
 * blocks and one that does not.
 */
#include "report_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t entry_hash(const entry *e)
{
	uint64_t h = 14695981039346656037ULL;
	h = mix(h, e->f->token.fingerprint);
	h = mix(h, e->f->token.display ? e->f->token.display : "");
	return (h ^ (uint64_t)(e->repo + 1) * 31 ^ (uint64_t)e->f->allowed) * 1099511628211ULL;
}

static int same_token(const entry *a, const entry *b)
{
	const sg_token *x = &a->f->token, *y = &b->f->token;
	return a->repo == b->repo && a->f->allowed == b->f->allowed && strcmp(x->fingerprint, y->fingerprint) == 0 &&
	       strcmp(x->display ? x->display : "", y->display ? y->display : "") == 0;
}

/* Groups the revoking of live blocking tokens by their action's text: it
 * names the account (or namespace) and what to rotate or delete there. A
 * hash of the text finds its group: an audit may hold many accounts. */
static int group_revokes(report *r)
{
	size_t size = 1;
	while (size < 2 * r->ngroups)
		size <<= 1;
	size_t *slot = calloc(size, sizeof(*slot)); /* revoke group + 1, 0 empty */
	if (!slot)
		return SG_ENOMEM;
	int rc = SG_OK;
	for (size_t g = 0; g < r->ngroups && rc == SG_OK; g++) {
		const sg_finding *f = group_head(r, &r->groups[g])->f;
		if (!f->live || !sg_finding_blocks(f))
			continue;
		char action[sizeof(r->revokes[0].action)];
		sg_finding_revoke(f, action, sizeof(action));
		size_t s = (size_t)mix(14695981039346656037ULL, action) & (size - 1);
		while (slot[s] && strcmp(r->revokes[slot[s] - 1].action, action) != 0)
			s = (s + 1) & (size - 1);
		if (!slot[s]) {
			/* arrays double when their count reaches a power of two */
			revoke_group *v = r->revokes;
			if ((r->nrevokes & (r->nrevokes - 1)) == 0 &&
			    !(v = realloc(r->revokes, (r->nrevokes ? 2 * r->nrevokes : 1) * sizeof(*v)))) {
				rc = SG_ENOMEM;
				break;
			}
			r->revokes = v;
			memset(&v[r->nrevokes], 0, sizeof(v[0]));
			memcpy(v[r->nrevokes].action, action, sizeof(action));
			v[r->nrevokes].until = f->expires;
			slot[s] = ++r->nrevokes;
		}
		revoke_group *v = &r->revokes[slot[s] - 1];
		size_t *t = v->tokens;
		if ((v->ntokens & (v->ntokens - 1)) == 0 &&
		    !(t = realloc(v->tokens, (v->ntokens ? 2 * v->ntokens : 1) * sizeof(*t)))) {
			rc = SG_ENOMEM;
			break;
		}
		v->tokens = t;
		t[v->ntokens++] = g;
		v->places += r->groups[g].n;
		/* a key or stored-policy token (no expiry) keeps the account open for good */
		if (v->until != SG_TIME_NONE && (f->expires == SG_TIME_NONE || f->expires > v->until))
			v->until = f->expires;
	}
	free(slot);
	return rc;
}

int report_group(report *r)
{
	report_group_free(r);
	if (r->count == 0)
		return SG_OK;
	size_t size = 1;
	while (size < 2 * r->count)
		size <<= 1;
	size_t *slot = malloc(size * sizeof(*slot));  /* group id + 1, 0 empty */
	size_t *gid = malloc(r->count * sizeof(*gid));
	size_t *first = malloc(r->count * sizeof(*first)); /* a group's first entry */
	size_t *fill = calloc(r->count, sizeof(*fill));
	r->group_index = malloc(r->count * sizeof(*r->group_index));
	r->groups = calloc(r->count, sizeof(*r->groups));
	int rc = SG_ENOMEM;
	if (!slot || !gid || !first || !fill || !r->group_index || !r->groups)
		goto out;
	memset(slot, 0, size * sizeof(*slot));
	for (size_t i = 0; i < r->count; i++) {
		size_t s = (size_t)entry_hash(&r->items[i]) & (size - 1);
		while (slot[s] && !same_token(&r->items[first[slot[s] - 1]], &r->items[i]))
			s = (s + 1) & (size - 1);
		if (!slot[s]) {
			first[r->ngroups] = i;
			slot[s] = ++r->ngroups;
		}
		gid[i] = slot[s] - 1;
		r->groups[gid[i]].n++;
	}
	/* each group's places in the order they were added, groups in the order
	 * their first place was */
	size_t off = 0;
	for (size_t g = 0; g < r->ngroups; g++) {
		r->groups[g].at = r->group_index + off;
		off += r->groups[g].n;
	}
	for (size_t i = 0; i < r->count; i++)
		r->groups[gid[i]].at[fill[gid[i]]++] = i;
	rc = group_revokes(r);
out:
	free(slot);
	free(gid);
	free(first);
	free(fill);
	if (rc != SG_OK)
		report_group_free(r);
	return rc;
}

void report_group_free(report *r)
{
	for (size_t i = 0; i < r->nrevokes; i++)
		free(r->revokes[i].tokens);
	free(r->revokes);
	free(r->groups);
	free(r->group_index);
	r->revokes = NULL;
	r->nrevokes = 0;
	r->groups = NULL;
	r->ngroups = 0;
	r->group_index = NULL;
}

void report_repo_tally(const report *r, int repo, repo_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t g = 0; g < r->ngroups; g++) {
		const entry *e = group_head(r, &r->groups[g]);
		if (e->repo != repo)
			continue;
		t->tokens++;
		t->places += r->groups[g].n;
		if (sg_finding_blocks(e->f)) {
			t->blocking++;
			t->live += e->f->live != 0;
		}
	}
}
