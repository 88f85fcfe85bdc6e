/*
 * fuzz_pack.c - libFuzzer harness for the pack readers: hook/odb/packidx.c (the
 * .idx) and hook/odb/packread.c (entry headers, OFS_DELTA and REF_DELTA chains,
 * delta application, inflation, the cache of resolved objects).
 *
 * An input starting with 'R' is raw: a 4-byte big-endian length, that many
 * bytes of .idx, then the .pack; every id the .idx lists (up to 512) is read
 * through a large cache in order and a tiny one in reverse order, and the
 * first 64 through one that keeps nothing. The caches must not change an
 * answer: the three read alike, to the byte; an object read has a type of
 * 1-4. When the .idx is sorted as git writes it, each id is found
 * at its own offset; when both files' checksums hold (as git wrote them),
 * every object reads and hashes to its id.
 *
 * An input starting with 'L' is a loose object file (hook/odb/loose.c): read
 * whole and with a small size limit; what reads has a type of 1-4, the length
 * its header gave, a NUL after it, and reads alike both times.
 *
 * Raw inputs are also read as a SHA-256 index (32-byte ids): each id of a
 * sorted one is found at its own offset.
 *
 * Any other input is a recipe: up to 32 objects, each whole (a type and
 * bytes) or a delta (OFS_DELTA or REF_DELTA) of an earlier one made of
 * copies and inserts the input chooses, written as git writes a pack and an
 * index (some offsets in the large-offset table). Every object must read
 * back as exactly what the recipe made, through either cache.
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt) or, with
 * replay.c, as a plain program that replays files (tests/CMakeLists.txt).
 */
#include "odb.h"

#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_READS 512
#define FRESH_READS 64 /* each re-reads its whole delta chain: the slowest reads */
#define MAX_OBJECTS 32
#define BIG_CACHE ((size_t)64 << 20)
#define TINY_CACHE 4096
#define MAX_MADE ((size_t)1 << 20) /* a delta's result, so that chains of copies stay small */

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_pack: invariant broken: %s\n", what);
	abort();
}

static uint8_t *copy_exact(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	if (c && n)
		memcpy(c, p, n);
	return c;
}

/* ---- reading -------------------------------------------------------------- */

static int same_obj(const pack_obj *a, const pack_obj *b)
{
	return a->type == b->type && a->len == b->len && (!a->len || memcmp(a->data, b->data, a->len) == 0);
}

static int read_one(pack_store *s, pack_cache *c, const git_oid *id, pack_obj **out)
{
	int rc = pack_store_read(s, c, id, out);
	if (rc < -1 || rc > 1)
		broken("pack_store_read returned something other than -1, 0 or 1");
	if ((rc == 1) != (*out != NULL))
		broken("an object without 1, or 1 without an object");
	if (rc == 1 && ((*out)->type < GIT_OBJECT_COMMIT || (*out)->type > GIT_OBJECT_TAG || !(*out)->data))
		broken("an object of no type, or without data");
	return rc;
}

/* Reads ids[0..n) three ways: through a large cache in order, a tiny one in
 * reverse order, and, for the first FRESH_READS, one that keeps nothing
 * (budget 0: each read starts afresh). What two of them read, they read
 * alike, to the byte; what is read afresh, the large cache reads too. A
 * cache may resolve what a fresh read cannot (a chain deeper than git
 * writes, cut short by a cached object), never less nor otherwise; an
 * object's base outside the pack (0) is that for all. Returns how many the
 * large cache read (1); their objects in out[] when not NULL. */
static size_t read_all(pack_store *s, const git_oid *ids, size_t n, pack_obj **out)
{
	/* kept from input to input (allocating them is most of a small input's time), emptied */
	static pack_cache *big, *tiny, *none;
	pack_obj *a[MAX_READS] = { 0 }, *b[MAX_READS] = { 0 };
	int ra[MAX_READS], rb[MAX_READS];
	size_t ok = 0;
	if (!big && (!(big = pack_cache_new(BIG_CACHE)) || !(tiny = pack_cache_new(TINY_CACHE)) ||
		     !(none = pack_cache_new(0))))
		broken("out of memory for the caches");
	for (size_t i = 0; i < n; i++)
		ok += (ra[i] = read_one(s, big, &ids[i], &a[i])) == 1;
	for (size_t i = n; i-- > 0;) {
		rb[i] = read_one(s, tiny, &ids[i], &b[i]);
		if ((ra[i] == 0) != (rb[i] == 0) || (ra[i] == 1 && rb[i] == 1 && !same_obj(a[i], b[i])))
			broken("two caches read an object otherwise");
	}
	for (size_t i = 0; i < n && i < FRESH_READS; i++) {
		pack_obj *f = NULL;
		int rf = read_one(s, none, &ids[i], &f);
		if ((rf == 1 && ra[i] != 1) || (rf == 0 && ra[i] != 0))
			broken("a cache changed whether an object reads");
		if (rf == 1 && !same_obj(a[i], f))
			broken("a cache changed an object's bytes");
		pack_obj_unref(f);
	}
	for (size_t i = 0; i < n; i++) {
		if (out)
			out[i] = a[i];
		else
			pack_obj_unref(a[i]);
		pack_obj_unref(b[i]);
	}
	pack_cache_clear(big);
	pack_cache_clear(tiny);
	pack_cache_clear(none);
	return ok;
}

/* ---- raw input: an .idx and a .pack ----------------------------------------- */

static int checksum_ok(const uint8_t *p, size_t n, const uint8_t *sum)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	SHA1(p, n, md);
	return memcmp(md, sum, 20) == 0;
}

/* Sorted, unique ids and a fanout table that counts them, as git writes. */
static int idx_sorted(const pack_index *x)
{
	const unsigned char *fan = x->map + 8;
	for (uint32_t i = 1; i < x->count; i++)
		if (memcmp(x->sha + 20 * (size_t)(i - 1), x->sha + 20 * (size_t)i, 20) >= 0)
			return 0;
	for (unsigned b = 0, i = 0; b < 256; b++) {
		while (i < x->count && x->sha[20 * (size_t)i] <= b)
			i++;
		if (odb_be32(fan + 4 * b) != i)
			return 0;
	}
	return 1;
}

static void check_loose(const uint8_t *data, size_t size)
{
	unsigned char *a = NULL, *b = NULL;
	unsigned ta = 0, tb = 0;
	size_t la = 0, lb = 0;
	const char *why = "";
	int ra = loose_inflate(data, size, SIZE_MAX - 1, &ta, &a, &la, &why);
	int rb = loose_inflate(data, size, 64, &tb, &b, &lb, &why);
	if (ra == 1) {
		if (ta < 1 || ta > 4 || !a || a[la] != '\0')
			broken("a loose object read without a type, its data or its NUL");
		if (rb != 1 || tb != ta || lb != la || (la <= 64 ? !b || memcmp(a, b, la) != 0 : b != NULL))
			broken("a size limit changed how a loose object reads");
	} else if (ra != -1 || a) {
		broken("a loose object that does not read left data");
	}
	free(a);
	free(b);
}

/* The raw .idx as a SHA-256 repository's: sorted, each id at its offset. */
static void check_raw_sha256(const uint8_t *idx, size_t ilen)
{
	pack_index x;
	if (pack_index_parse(&x, idx, ilen, ODB_SHA256_LEN) < 0)
		return;
	int sorted = 1;
	for (uint32_t i = 1; i < x.count && sorted; i++)
		sorted = memcmp(x.sha + 32 * (size_t)(i - 1), x.sha + 32 * (size_t)i, 32) < 0;
	const unsigned char *fan = idx + 8;
	for (unsigned bucket = 0, i = 0; bucket < 256 && sorted; bucket++) {
		while (i < x.count && x.sha[32 * (size_t)i] <= bucket)
			i++;
		sorted = odb_be32(fan + 4 * bucket) == i;
	}
	for (uint32_t i = 0; i < x.count && i < MAX_READS; i++) {
		uint64_t at = pack_index_offset_of(&x, x.sha + 32 * (size_t)i);
		if (sorted && at != pack_index_offset_at(&x, i))
			broken("a sorted SHA-256 index does not find an id at its own offset");
	}
}

static void check_raw(const uint8_t *data, size_t size)
{
	if (size < 5)
		return;
	size_t ilen = odb_be32(data + 1);
	if (ilen > size - 5)
		return;
	uint8_t *idx = copy_exact(data + 5, ilen), *pk = copy_exact(data + 5 + ilen, size - 5 - ilen);
	size_t plen = size - 5 - ilen;
	pack_index x;
	pack_store *s = NULL;
	git_oid ids[MAX_READS];
	pack_obj *objs[MAX_READS] = { 0 };
	if (idx)
		check_raw_sha256(idx, ilen);
	if (!idx || !pk || pack_index_parse(&x, idx, ilen, ODB_SHA1_LEN) < 0 || !(s = pack_store_from_memory(idx, ilen, pk, plen)))
		goto out;
	size_t n = x.count < MAX_READS ? x.count : MAX_READS;
	for (size_t i = 0; i < n; i++)
		git_oid_fromraw(&ids[i], x.sha + 20 * i);
	if (idx_sorted(&x))
		for (uint32_t i = 0; i < x.count; i++)
			if (pack_index_offset_of(&x, x.sha + 20 * (size_t)i) != pack_index_offset_at(&x, i))
				broken("a sorted index does not find an id at its own offset");
	size_t ok = read_all(s, ids, n, objs);
	/* As git wrote them: every object reads, and is what its id says. */
	if (plen >= 32 && checksum_ok(pk, plen - 20, pk + plen - 20) && memcmp(idx + ilen - 40, pk + plen - 20, 20) == 0 &&
	    checksum_ok(idx, ilen - 20, idx + ilen - 20)) {
		if (ok != n)
			broken("an object of an intact pack does not read");
		for (size_t i = 0; i < n; i++) {
			git_oid h;
			if (git_odb_hash(&h, objs[i]->data, objs[i]->len, objs[i]->type) < 0 || !git_oid_equal(&h, &ids[i]))
				broken("an object of an intact pack is not what its id says");
		}
	}
	for (size_t i = 0; i < n; i++)
		pack_obj_unref(objs[i]);
out:
	pack_store_free(s);
	free(idx);
	free(pk);
}

/* ---- a recipe: a pack written here ------------------------------------------ */

typedef struct bytes {
	uint8_t *p;
	size_t len, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2 + 64;
		uint8_t *m = realloc(b->p, cap);
		if (!m)
			broken("out of memory building a pack"); /* not a bug of the code under test, but rare */
		b->p = m;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put1(bytes *b, unsigned c)
{
	uint8_t u = (uint8_t)c;
	put(b, &u, 1);
}

static void put_be32(bytes *b, uint32_t v)
{
	uint8_t u[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put(b, u, 4);
}

/* The recipe's bytes, read in turn; zeros once used up. */
typedef struct recipe {
	const uint8_t *p, *end;
} recipe;

static unsigned next(recipe *r)
{
	return r->p < r->end ? *r->p++ : 0;
}

static unsigned next16(recipe *r)
{
	unsigned v = next(r);
	return v | next(r) << 8;
}

static unsigned next24(recipe *r)
{
	unsigned v = next16(r);
	return v | next(r) << 16;
}

/* n bytes for an object: up to 64 of the recipe's next ones (it says how
 * many), repeated to fill n. */
static void fill(recipe *r, bytes *out, size_t n)
{
	size_t take = next(r) % 65, avail = (size_t)(r->end - r->p);
	const uint8_t *src = r->p;
	if (take > avail)
		take = avail;
	r->p += take;
	for (size_t i = 0; i < n; i++)
		put1(out, take ? src[i % take] : (unsigned)i);
}

typedef struct made {
	git_oid id;
	git_object_t type;
	bytes body;
	uint64_t offset;
	int listed; /* the first of its id: in the index */
} made;

static void delta_size(bytes *d, size_t v)
{
	do {
		put1(d, (v & 127) | (v >= 128 ? 128 : 0));
		v >>= 7;
	} while (v);
}

/* A delta from base made of the recipe's copies and inserts; target gets the result. */
static void make_delta(recipe *r, const bytes *base, bytes *d, bytes *target)
{
	unsigned ops = 1 + next(r) % 8;
	bytes ins = { 0 };
	bytes body = { 0 };
	for (unsigned k = 0; k < ops; k++) {
		unsigned t = next(r);
		if ((t & 1) && base->len && target->len < MAX_MADE) {
			size_t off = next24(r) % base->len, room = base->len - off, size;
			if (room > MAX_MADE - target->len)
				room = MAX_MADE - target->len;
			size = (t & 2) && room >= 0x10000 ? 0x10000 : 1 + (next16(r) | (t & 4 ? next(r) << 16 : 0)) % room;
			unsigned cmd = 0x80;
			uint8_t arg[7];
			size_t na = 0;
			for (unsigned i = 0; i < 4; i++)
				if ((off >> (8 * i)) & 0xff) {
					cmd |= 1u << i;
					arg[na++] = (uint8_t)(off >> (8 * i));
				}
			for (unsigned i = 0; i < 3 && size != 0x10000; i++)
				if ((size >> (8 * i)) & 0xff) {
					cmd |= 0x10u << i;
					arg[na++] = (uint8_t)(size >> (8 * i));
				}
			put1(&body, cmd);
			put(&body, arg, na);
			put(target, base->p + off, size);
		} else {
			size_t n = 1 + (t >> 1) % 127;
			ins.len = 0;
			fill(r, &ins, n);
			put1(&body, (unsigned)n);
			put(&body, ins.p, n);
			put(target, ins.p, n);
		}
	}
	delta_size(d, base->len);
	delta_size(d, target->len);
	put(d, body.p, body.len);
	free(ins.p);
	free(body.p);
}

static void entry_header(bytes *pk, unsigned type, size_t size)
{
	unsigned c = type << 4 | (size & 15);
	size >>= 4;
	while (size) {
		put1(pk, c | 128);
		c = size & 127;
		size >>= 7;
	}
	put1(pk, c);
}

static void deflated(bytes *pk, const bytes *b, int level)
{
	uLongf n = compressBound(b->len);
	uint8_t *z = malloc(n);
	if (!z || compress2(z, &n, b->len ? b->p : (const Bytef *)"", b->len, level) != Z_OK)
		broken("zlib could not compress");
	put(pk, z, n);
	free(z);
}

/* git's offset encoding of a delta's distance back to its base. */
static void ofs_distance(bytes *pk, uint64_t dist)
{
	uint8_t buf[10];
	size_t pos = sizeof(buf) - 1;
	buf[pos] = dist & 127;
	while (dist >>= 7)
		buf[--pos] = (uint8_t)(128 | (--dist & 127));
	put(pk, buf + pos, sizeof(buf) - pos);
}

static int cmp_made(const void *a, const void *b)
{
	return memcmp((*(made *const *)a)->id.id, (*(made *const *)b)->id.id, 20);
}

/* The index of the listed objects; large offsets for those the recipe says. */
static void write_index(bytes *ix, made *m, size_t n, unsigned large)
{
	made *sorted[MAX_OBJECTS];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (m[i].listed)
			sorted[k++] = &m[i];
	qsort(sorted, k, sizeof(*sorted), cmp_made);
	put(ix, "\377tOc", 4);
	put_be32(ix, 2);
	for (unsigned b = 0, i = 0; b < 256; b++) {
		while (i < k && sorted[i]->id.id[0] <= b)
			i++;
		put_be32(ix, i);
	}
	for (size_t i = 0; i < k; i++)
		put(ix, sorted[i]->id.id, 20);
	for (size_t i = 0; i < k; i++)
		put_be32(ix, 0); /* CRCs: not read */
	uint32_t nlarge = 0;
	for (size_t i = 0; i < k; i++)
		put_be32(ix, (large >> (i % 8)) & 1 ? 0x80000000u | nlarge++ : (uint32_t)sorted[i]->offset);
	for (size_t i = 0; i < k; i++)
		if ((large >> (i % 8)) & 1) {
			put_be32(ix, (uint32_t)(sorted[i]->offset >> 32));
			put_be32(ix, (uint32_t)sorted[i]->offset);
		}
	uint8_t zero[40] = { 0 };
	put(ix, zero, 40);
}

static void check_recipe(const uint8_t *data, size_t size)
{
	recipe r = { data, data + size };
	made m[MAX_OBJECTS];
	bytes pk = { 0 }, ix = { 0 };
	size_t n = 1 + next(&r) % MAX_OBJECTS;
	unsigned large = next(&r);
	int level = (int)(next(&r) % 10);

	memset(m, 0, sizeof(m));
	put(&pk, "PACK", 4);
	put_be32(&pk, 2);
	put_be32(&pk, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		unsigned op = next(&r);
		bytes entry = { 0 };
		m[i].offset = pk.len;
		if (i == 0 || op % 4 < 2) {
			unsigned t = next(&r); /* a type, and whether the object is large (for 64 KiB copies) */
			m[i].type = (git_object_t)(GIT_OBJECT_COMMIT + t % 4);
			fill(&r, &m[i].body, t & 0x80 ? next24(&r) % 70000 : next(&r));
			entry_header(&pk, m[i].type, m[i].body.len);
			deflated(&pk, &m[i].body, level);
		} else {
			made *base = &m[next(&r) % i];
			m[i].type = base->type;
			make_delta(&r, &base->body, &entry, &m[i].body);
			entry_header(&pk, op % 4 == 2 ? 6 : 7, entry.len);
			if (op % 4 == 2)
				ofs_distance(&pk, m[i].offset - base->offset);
			else
				put(&pk, base->id.id, 20);
			deflated(&pk, &entry, level);
		}
		free(entry.p);
		if (git_odb_hash(&m[i].id, m[i].body.len ? m[i].body.p : (uint8_t *)"", m[i].body.len, m[i].type) < 0)
			broken("git_odb_hash failed");
		m[i].listed = 1;
		for (size_t j = 0; j < i; j++)
			m[i].listed &= !git_oid_equal(&m[j].id, &m[i].id);
	}
	uint8_t zero[20] = { 0 };
	put(&pk, zero, 20); /* the checksum: not read */
	write_index(&ix, m, n, large);

	uint8_t *idx = copy_exact(ix.p, ix.len), *pack = copy_exact(pk.p, pk.len);
	pack_store *s = idx && pack ? pack_store_from_memory(idx, ix.len, pack, pk.len) : NULL;
	if (!s)
		broken("a pack written as git writes it is not read");
	git_oid ids[MAX_OBJECTS];
	pack_obj *got[MAX_OBJECTS] = { 0 };
	size_t k = 0;
	made *want[MAX_OBJECTS];
	for (size_t i = 0; i < n; i++)
		if (m[i].listed) {
			ids[k] = m[i].id;
			want[k++] = &m[i];
		}
	if (read_all(s, ids, k, got) != k)
		broken("an object of a pack written as git writes it does not read");
	for (size_t i = 0; i < k; i++) {
		pack_obj expect = { 1, want[i]->type, want[i]->body.len, want[i]->body.p };
		if (!same_obj(got[i], &expect))
			broken("an object reads otherwise than it was written");
		pack_obj_unref(got[i]);
	}
	pack_store_free(s);
	free(idx);
	free(pack);
	free(ix.p);
	free(pk.p);
	for (size_t i = 0; i < n; i++)
		free(m[i].body.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	if (!inited++)
		git_libgit2_init(); /* packread.c reports damage with git_error_set_str */
	if (size > 0 && data[0] == 'R')
		check_raw(data, size);
	else if (size > 0 && data[0] == 'L')
		check_loose(data + 1, size - 1);
	else
		check_recipe(data, size);
	return 0;
}
