/*
 * missing.c - objects a run should have read and could not find: counted
 * once each, by kind, and explained in one note (a partial clone's promisor
 * remote and the command that fetches what it left out). A run with missing
 * objects is incomplete, never clean (exit 3) unless --allow-missing.
 */
#include "gitscan.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void missing_init(missing *m)
{
	memset(m, 0, sizeof(*m));
	oidset_init(&m->ids);
}

void missing_free(missing *m)
{
	oidset_free(&m->ids);
	free(m->first_path);
	m->first_path = NULL;
}

int missing_add(missing *m, const git_oid *id, git_object_t type, const char *path)
{
	int added, rc = 0;
	pthread_mutex_lock(&lock); /* the history walk's threads share one */
	if (!oidset_add(&m->ids, id, &added))
		rc = -1;
	else if (added) {
		m->total++;
		m->by_type[type == GIT_OBJECT_COMMIT ? 0 : type == GIT_OBJECT_TREE ? 1 : type == GIT_OBJECT_BLOB ? 2
			   : type == GIT_OBJECT_TAG ? 3 : 4]++;
		if (m->total == 1) {
			git_oid_cpy(&m->first, id);
			m->first_path = path ? strdup(path) : NULL;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

/* Git plumbing's ids (SHA-256: 64 hex digits) go in the set by their first
 * 160 bits, which is unique enough to count each once; the first is named whole. */
int missing_add_hex(missing *m, const char *hex, git_object_t type, const char *path)
{
	git_oid id;
	if (git_oid_fromstrn(&id, hex, GIT_OID_HEXSZ) < 0) {
		git_error_clear();
		memset(&id, 0, sizeof(id));
	}
	unsigned long long before = m->total;
	if (missing_add(m, &id, type, path) < 0)
		return -1;
	if (before == 0 && m->total == 1)
		snprintf(m->first_hex, sizeof(m->first_hex), "%.64s", hex);
	return 0;
}

void missing_damaged(missing *m)
{
	pthread_mutex_lock(&lock);
	m->damaged++;
	pthread_mutex_unlock(&lock);
}

/* The promisor remote of a partial clone: remote.<name>.promisor, or the
 * older extensions.partialclone. 1 and name, or 0. */
static int promisor_remote(git_repository *repo, char *name, size_t size)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	int found = 0;

	if (git_repository_config_snapshot(&cfg, repo) < 0) {
		git_error_clear();
		return 0;
	}
	const char *v;
	if (git_config_get_string(&v, cfg, "extensions.partialclone") == 0) {
		snprintf(name, size, "%s", v);
		found = 1;
	}
	/* every entry, filtered here: libgit2 1.5.1's regex iterator leaks on each key it skips */
	if (!found && git_config_iterator_new(&it, cfg) == 0) {
		while (!found && git_config_next(&e, it) == 0) {
			size_t n = strlen(e->name);
			int b = 0;
			if (strncmp(e->name, "remote.", 7) == 0 && n > 16 && strcmp(e->name + n - 9, ".promisor") == 0 &&
			    git_config_parse_bool(&b, e->value) == 0 && b) {
				const char *s = e->name + 7, *dot = strrchr(s, '.');
				snprintf(name, size, "%.*s", (int)(dot - s), s);
				found = 1;
			}
		}
		git_config_iterator_free(it);
	}
	git_error_clear();
	git_config_free(cfg);
	return found;
}

int missing_promisor_pack(const char *pack_dir)
{
	int found = 0;
	DIR *d = opendir(pack_dir);
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		found = n > 9 && strcmp(e->d_name + n - 9, ".promisor") == 0;
	}
	if (d)
		closedir(d);
	return found;
}

static int has_promisor_pack(git_repository *repo)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%sobjects/pack", git_repository_commondir(repo));
	return missing_promisor_pack(dir);
}

static void kinds(const missing *m, char *buf, size_t size)
{
	static const char *names[5][2] = { { "commit", "commits" }, { "tree", "trees" }, { "blob", "blobs" },
					   { "tag", "tags" }, { "object of unknown kind", "objects of unknown kind" } };
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < 5; i++) {
		if (!m->by_type[i])
			continue;
		int n = snprintf(buf + used, size - used, "%s%llu %s", used ? ", " : "", m->by_type[i],
				 names[i][m->by_type[i] != 1]);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
}

void missing_report(const missing *m, report *r, git_repository *repo, int allowed)
{
	char what[160], remote[256], first[64 + 1 + 4200];
	if (!m->total)
		return;
	kinds(m, what, sizeof(what));
	if (m->first_hex[0])
		snprintf(first, sizeof(first), "%s", m->first_hex);
	else
		git_oid_tostr(first, GIT_OID_HEXSZ + 1, &m->first);
	if (m->first_path)
		snprintf(first + strlen(first), sizeof(first) - strlen(first), " at %.4096s", m->first_path);
	const char *verdict = allowed ? "accepted as partial (--allow-missing)"
				      : "the scan is incomplete: what they hold was not judged";
	/* no repository: one libgit2 cannot open (SHA-256), read through git */
	int named = repo && promisor_remote(repo, remote, sizeof(remote));
	if (repo && (named || has_promisor_pack(repo))) {
		if (!named) /* promisor packs, but no remote says it is theirs */
			snprintf(remote, sizeof(remote), "<its remote>");
		report_note(r, "%llu objects missing (%s; first %s): this is a partial clone whose promisor remote "
			       "'%s' holds them; %s. Fetch them with: git -C %s fetch --refetch --no-filter %s",
			    m->total, what, first, remote, verdict, git_repository_workdir(repo) ?
			    git_repository_workdir(repo) : git_repository_path(repo), remote);
	} else {
		report_note(r, "%llu objects missing (%s; first %s): the repository lacks objects that should be "
			       "there (shallow, damaged or pruned; 'git fsck' tells); %s",
			    m->total, what, first, verdict);
	}
}
