/*
 * state.c - `--all-history --state FILE`: what an audit judged, kept for the
 * next one. Per repository: a digest of the policy and of its refs, the ids
 * of every object judged clean (sorted, 20 bytes each), and where each
 * finding sits (blob, commit, path; messages by id). The next audit skips the
 * clean objects it has seen, and a repository whose refs and policy have not
 * moved is reported from the state alone. The file is gzip-compressed, written
 * to FILE.tmp and renamed over FILE, so a crash never leaves half a state.
 */
#include "gitscan.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAGIC "sasguard-state 1\n"
#define MAX_STRING (1u << 20)

void state_repo_free(state_repo *r)
{
	free(r->key);
	free(r->judged);
	for (size_t i = 0; i < r->norigins; i++)
		free(r->origins[i].path);
	free(r->origins);
	free(r->messages);
	memset(r, 0, sizeof(*r));
}

void state_free(state *s)
{
	for (size_t i = 0; i < s->count; i++)
		state_repo_free(&s->repos[i]);
	free(s->repos);
	memset(s, 0, sizeof(*s));
}

/* ---- reading ------------------------------------------------------------- */

typedef struct reader {
	gzFile f;
	int bad;
} reader;

static void get(reader *r, void *buf, size_t n)
{
	if (!r->bad && n && gzread(r->f, buf, (unsigned)n) != (int)n)
		r->bad = 1;
}

static uint64_t get_u64(reader *r)
{
	unsigned char b[8] = { 0 };
	uint64_t v = 0;
	get(r, b, 8);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static char *get_str(reader *r)
{
	uint64_t n = get_u64(r);
	char *s = !r->bad && n < MAX_STRING ? malloc(n + 1) : NULL;
	if (!s) {
		r->bad = 1;
		return NULL;
	}
	get(r, s, n);
	s[n] = '\0';
	return s;
}

/* n ids of 20 bytes, as one array; a count no file of ours holds is damage. */
static git_oid *get_ids(reader *r, size_t *n)
{
	uint64_t k = get_u64(r);
	git_oid *v = !r->bad && k < ((uint64_t)1 << 32) ? calloc(k + 1, sizeof(*v)) : NULL;
	if (!v) {
		r->bad = 1;
		*n = 0;
		return NULL;
	}
	for (uint64_t i = 0; i < k && !r->bad; i++)
		get(r, v[i].id, GIT_OID_RAWSZ);
	*n = (size_t)k;
	return v;
}

static void get_repo(reader *r, state_repo *e)
{
	e->key = get_str(r);
	get(r, e->policy, sizeof(e->policy));
	get(r, e->refs, sizeof(e->refs));
	e->missing = get_u64(r);
	e->dangling = get_u64(r);
	e->judged = get_ids(r, &e->njudged);
	uint64_t n = get_u64(r);
	if (r->bad || n >= ((uint64_t)1 << 32) || !(e->origins = calloc(n + 1, sizeof(*e->origins)))) {
		r->bad = 1;
		return;
	}
	for (uint64_t i = 0; i < n && !r->bad; i++, e->norigins++) {
		get(r, e->origins[i].blob.id, GIT_OID_RAWSZ);
		get(r, e->origins[i].commit.id, GIT_OID_RAWSZ);
		e->origins[i].path = get_str(r);
	}
	e->messages = get_ids(r, &e->nmessages);
}

int state_load(state *s, const char *path)
{
	char magic[sizeof(MAGIC) - 1];
	memset(s, 0, sizeof(*s));
	FILE *probe = fopen(path, "rb");
	if (!probe)
		return errno == ENOENT ? 0 : -1; /* the first audit: no state yet */
	fclose(probe);
	reader r = { gzopen(path, "rb"), 0 };
	if (!r.f)
		return -1;
	get(&r, magic, sizeof(magic));
	if (r.bad || memcmp(magic, MAGIC, sizeof(magic)) != 0)
		r.bad = 1;
	uint64_t n = r.bad ? 0 : get_u64(&r);
	if (!r.bad && (n >= ((uint64_t)1 << 24) || !(s->repos = calloc(n + 1, sizeof(*s->repos)))))
		r.bad = 1;
	for (uint64_t i = 0; i < n && !r.bad; i++, s->count++)
		get_repo(&r, &s->repos[i]);
	/* the stream must end here: trailing bytes are damage too */
	char extra;
	if (!r.bad && gzread(r.f, &extra, 1) != 0)
		r.bad = 1;
	gzclose(r.f);
	if (r.bad) {
		state_free(s);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------- */

typedef struct writer {
	gzFile f;
	int bad;
} writer;

static void put(writer *w, const void *buf, size_t n)
{
	if (!w->bad && n && gzwrite(w->f, buf, (unsigned)n) != (int)n)
		w->bad = 1;
}

static void put_u64(writer *w, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++, v >>= 8)
		b[i] = (unsigned char)v;
	put(w, b, 8);
}

static void put_str(writer *w, const char *s)
{
	size_t n = strlen(s);
	put_u64(w, n);
	put(w, s, n);
}

static void put_ids(writer *w, const git_oid *v, size_t n)
{
	put_u64(w, n);
	for (size_t i = 0; i < n; i++)
		put(w, v[i].id, GIT_OID_RAWSZ);
}

int state_save(const state *s, const char *path)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%.4000s.tmp", path);
	writer w = { gzopen(tmp, "wb6"), 0 };
	if (!w.f)
		return -1;
	put(&w, MAGIC, sizeof(MAGIC) - 1);
	put_u64(&w, s->count);
	for (size_t i = 0; i < s->count; i++) {
		const state_repo *e = &s->repos[i];
		put_str(&w, e->key);
		put(&w, e->policy, sizeof(e->policy));
		put(&w, e->refs, sizeof(e->refs));
		put_u64(&w, e->missing);
		put_u64(&w, e->dangling);
		put_ids(&w, e->judged, e->njudged);
		put_u64(&w, e->norigins);
		for (size_t k = 0; k < e->norigins; k++) {
			put(&w, e->origins[k].blob.id, GIT_OID_RAWSZ);
			put(&w, e->origins[k].commit.id, GIT_OID_RAWSZ);
			put_str(&w, e->origins[k].path);
		}
		put_ids(&w, e->messages, e->nmessages);
	}
	if (gzclose(w.f) != Z_OK || w.bad || rename(tmp, path) < 0) {
		int err = errno;
		remove(tmp);
		errno = err ? err : EIO;
		return -1;
	}
	return 0;
}

/* ---- lookups and digests ------------------------------------------------- */

state_repo *state_find(state *s, const char *key)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->repos[i].key, key) == 0)
			return &s->repos[i];
	return NULL;
}

int state_put(state *s, state_repo *r)
{
	state_repo *old = state_find(s, r->key);
	if (old) {
		state_repo_free(old);
		*old = *r;
	} else {
		state_repo *v = realloc(s->repos, (s->count + 1) * sizeof(*v));
		if (!v)
			return -1;
		s->repos = v;
		s->repos[s->count++] = *r;
	}
	memset(r, 0, sizeof(*r));
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return memcmp(a, b, GIT_OID_RAWSZ);
}

void state_sort_ids(git_oid *v, size_t *n)
{
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_oid);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (!k || !git_oid_equal(&v[k - 1], &v[i]))
			v[k++] = v[i];
	*n = k;
}

int state_judged(const state_repo *r, const git_oid *id)
{
	return r && r->njudged && bsearch(id, r->judged, r->njudged, sizeof(*r->judged), cmp_oid) != NULL;
}

static int digest(EVP_MD_CTX *c, unsigned char out[32])
{
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(c, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

int state_policy_digest(const sg_policy *p, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char value[1024];
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	/* what decides whether a blob holds a finding: the version and every key */
	EVP_DigestUpdate(c, SG_VERSION "\n", strlen(SG_VERSION) + 1);
	for (size_t i = 0; sg_policy_key_name(i); i++) {
		size_t n = sg_policy_key_value(p, i, value, sizeof(value));
		EVP_DigestUpdate(c, sg_policy_key_name(i), strlen(sg_policy_key_name(i)) + 1);
		EVP_DigestUpdate(c, value, n < sizeof(value) ? n : sizeof(value) - 1);
		EVP_DigestUpdate(c, "\n", 1);
	}
	/* and every [account] section, which changes verdicts as much */
	for (size_t i = 0; i < p->naccounts; i++) {
		const sg_account_policy *a = &p->accounts[i];
		int n = snprintf(value, sizeof(value), "account %s %u %s %lld %d", a->glob, a->set, a->allowed_permissions,
				 (long long)a->max_lifetime, a->shared_key_access);
		for (int r = 0; r < SG_RULE_COUNT && n > 0 && (size_t)n < sizeof(value); r++)
			n += snprintf(value + n, sizeof(value) - (size_t)n, " %d", (int)a->severity[r]);
		EVP_DigestUpdate(c, value, strlen(value) + 1);
	}
	return digest(c, out);
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const ref_entry *)a)->name, ((const ref_entry *)b)->name);
}

int state_refs_digest(const char *gitdir, unsigned char out[32])
{
	ref_list l;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || ref_list_read(&l, gitdir) < 0) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	if (l.count)
		qsort(l.items, l.count, sizeof(*l.items), cmp_ref);
	for (size_t i = 0; i < l.count; i++) {
		EVP_DigestUpdate(c, l.items[i].name, strlen(l.items[i].name) + 1);
		EVP_DigestUpdate(c, l.items[i].id.id, GIT_OID_RAWSZ);
	}
	ref_list_free(&l);
	return digest(c, out);
}
