/*
 * report_int.h - what the report's files share (report.c: text, JSON, SARIF;
 * report_group.c: one token, one finding; report_html.c: the audit page).
 */
#ifndef SG_REPORT_INT_H
#define SG_REPORT_INT_H

#include "cli.h"

/* One place a finding was seen: what the modes add, in the order they add it. */
typedef struct entry {
	sg_finding *f;
	char *path;
	char *commit;
	int repo; /* index in repos, -1 outside an audit of several */
} entry;

/* A repository of an audit, for the summary table. */
typedef struct repo_row {
	char *path;
	char *status; /* NULL: judged whole; else why not ("unreadable: ..."); owned */
} repo_row;

/*
 * One token, one finding: the entries of the same token (report_group.c
 * says what "same" is), the first one added standing for all. at[] indexes
 * the report's items in the order they were added.
 */
typedef struct token_group {
	size_t *at; /* into the report's one index array (not owned) */
	size_t n;
} token_group;

/* Live blocking tokens that one action revokes (same account, same action). */
typedef struct revoke_group {
	char action[1024];   /* sg_finding_revoke()'s text, the same for each */
	size_t *tokens;      /* indexes into groups, owned */
	size_t ntokens;
	size_t places;
	int64_t until;       /* the latest expiry; SG_TIME_NONE: one never expires */
} revoke_group;

struct report {
	const cli_opts *o;
	const sg_policy *p;
	FILE *out;      /* where findings go */
	int own_out;    /* out was opened by us (--output) */
	int colour;
	entry *items;
	size_t count, cap;
	char **notes;
	size_t nnotes;
	repo_row *repos;
	size_t nrepos;
	int cur;        /* the repository findings and notes belong to now, or -1 */
	/* built by report_group() at the end of the run */
	token_group *groups;
	size_t ngroups;
	size_t *group_index; /* count indexes, the groups' at[] point into it; owned */
	revoke_group *revokes;
	size_t nrevokes;
};

/* Merges the entries into token groups and the live blocking ones into
 * revoke groups. 0, or SG_ENOMEM. */
int report_group(report *r);
void report_group_free(report *r);

/* The group's first entry, which stands for it. */
static inline const entry *group_head(const report *r, const token_group *g)
{
	return &r->items[g->at[0]];
}

/* The repository of v's k-th token when no earlier token of v is in it (so
 * that each repository is named once), else -1; -1 too for no repository. */
static inline int revoke_repo_first(const report *r, const revoke_group *v, size_t k)
{
	int repo = group_head(r, &r->groups[v->tokens[k]])->repo;
	for (size_t j = 0; j < k; j++)
		if (group_head(r, &r->groups[v->tokens[j]])->repo == repo)
			return -1;
	return repo;
}

/* Is this entry shown? (text hides allowed findings without --show-allowed) */
int report_shown(const report *r, const entry *e);

/* Repository counts, in tokens and places. */
typedef struct repo_tally {
	size_t tokens, blocking, live, places;
} repo_tally;
void report_repo_tally(const report *r, int repo, repo_tally *t);

/* JSON string (null for NULL), invalid UTF-8 marked, control bytes escaped. */
void report_json_string(FILE *out, const char *s);
/* "inline", "path" ..., NULL when not allowed. */
const char *report_allowed_name(sg_allowance a);
const char *report_mode_name(run_mode m);

/* report_html.c: the audit page of --format html. */
void report_html(report *r, const sg_stats *lib, const report_stats *st);

#endif
