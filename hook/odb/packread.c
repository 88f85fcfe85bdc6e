/*
 * packread.c - objects read straight from pack files (gitformat-pack(5)):
 * the .idx maps an id to an offset, the entry header there gives the type,
 * and a delta (OFS_DELTA, or REF_DELTA within the pack) is applied to its
 * base, resolved the same way. Resolved objects go to a per-thread cache
 * bounded in bytes, so that walking history, where each tree version is a
 * delta of its neighbour, applies one delta per tree, not a whole chain.
 * Everything is bounds-checked: damaged data is an error, never a crash.
 */
#include "odb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#define MAX_DEPTH 4096 /* git writes delta chains up to 4095 deep (pack.depth) */
#define MAX_OBJECT ((size_t)1 << 31) /* 2 GiB, as libgit2's deb12u2 limit */
#define MAX_DEFLATE_RATIO 1032 /* no zlib stream inflates to more than 1032 times its size */

typedef struct pack {
	pack_index idx;
	const unsigned char *data;
	size_t data_size;
	int mapped; /* data is ours to unmap */
} pack;

struct pack_store {
	pack *packs;
	size_t n;
	size_t hashlen; /* of every pack's ids */
	size_t unread;  /* .idx files not read (not v2, no .pack beside) */
};

/* ---- the cache ----------------------------------------------------------- */

typedef struct slot {
	uint32_t pack;
	uint64_t offset;
	pack_obj *obj; /* NULL: empty */
} slot;

struct pack_cache {
	slot *slots;
	size_t cap;         /* a power of two */
	size_t bytes, budget;
	size_t hand;        /* eviction sweeps the table from here */
	uint64_t chain[MAX_DEPTH]; /* the offsets of the chain being resolved */
};

void pack_obj_unref(pack_obj *o)
{
	if (o && --o->refs == 0) {
		free(o->data);
		free(o);
	}
}

pack_cache *pack_cache_new(size_t budget)
{
	pack_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cap = 8192;
	c->budget = budget;
	if (!(c->slots = calloc(c->cap, sizeof(*c->slots)))) {
		free(c);
		return NULL;
	}
	return c;
}

void pack_cache_clear(pack_cache *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		pack_obj_unref(c->slots[i].obj);
		c->slots[i].obj = NULL;
	}
	c->bytes = 0;
	c->hand = 0;
}

void pack_cache_free(pack_cache *c)
{
	if (!c)
		return;
	pack_cache_clear(c);
	free(c->slots);
	free(c);
}

static size_t slot_index(const pack_cache *c, uint32_t p, uint64_t off)
{
	uint64_t h = (off ^ ((uint64_t)p << 48)) * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 32) & (c->cap - 1);
}

/* Direct-mapped: one slot per (pack, offset) hash, a new object replaces the old. */
static pack_obj *cache_get(pack_cache *c, uint32_t p, uint64_t off)
{
	slot *s = &c->slots[slot_index(c, p, off)];
	if (s->obj && s->pack == p && s->offset == off) {
		s->obj->refs++;
		return s->obj;
	}
	return NULL;
}

static void cache_put(pack_cache *c, uint32_t p, uint64_t off, pack_obj *o)
{
	if (o->len > c->budget / 4)
		return; /* one object must not flush the rest */
	slot *s = &c->slots[slot_index(c, p, off)];
	if (s->obj) {
		c->bytes -= s->obj->len;
		pack_obj_unref(s->obj);
	}
	/* over budget: sweep other slots empty until it fits */
	while (c->bytes + o->len > c->budget) {
		slot *v = &c->slots[c->hand];
		c->hand = (c->hand + 1) & (c->cap - 1);
		if (v->obj && v != s) {
			c->bytes -= v->obj->len;
			pack_obj_unref(v->obj);
			v->obj = NULL;
		}
	}
	s->pack = p;
	s->offset = off;
	s->obj = o;
	o->refs++;
	c->bytes += o->len;
}

/* ---- the store ------------------------------------------------------------ */

static void pack_close(pack *k)
{
	pack_index_close(&k->idx);
	if (k->mapped)
		munmap((void *)k->data, k->data_size);
	k->data = NULL;
}

/* A pack's data: a header, entries, a checksum. */
static int pack_data_ok(const unsigned char *data, size_t size)
{
	return data && size >= 32 && memcmp(data, "PACK", 4) == 0;
}

static int pack_open(pack *k, const char *idx_path, size_t hashlen)
{
	char data_path[8192];
	memset(k, 0, sizeof(*k));
	if (pack_index_open(&k->idx, idx_path, hashlen) < 0)
		return -1;
	if (odb_pack_path(idx_path, data_path, sizeof(data_path)) < 0) {
		pack_index_close(&k->idx);
		return -1;
	}
	k->data = map_readonly(data_path, &k->data_size);
	k->mapped = k->data != NULL;
	if (!pack_data_ok(k->data, k->data_size)) {
		pack_close(k);
		return -1;
	}
	return 0;
}

static int add_pack(const char *idx_path, void *payload)
{
	pack_store *s = payload;
	pack k;
	if (pack_open(&k, idx_path, s->hashlen) < 0) {
		s->unread++;
		return 0; /* its objects are libgit2's (or git's) to read */
	}
	pack *g = realloc(s->packs, (s->n + 1) * sizeof(*g));
	if (!g) {
		pack_close(&k);
		return -1;
	}
	s->packs = g;
	s->packs[s->n++] = k;
	return 0;
}

pack_store *pack_store_open(git_repository *repo)
{
	pack_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->hashlen = ODB_SHA1_LEN;
	/* out of memory part way: read what we have, libgit2 reads the rest */
	(void)pack_dir_each(repo, add_pack, s);
	if (!s->n) {
		pack_store_free(s);
		return NULL;
	}
	return s;
}

pack_store *pack_store_open_objdir(const char *objdir, size_t hashlen, size_t *unread)
{
	pack_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->hashlen = hashlen;
	if (pack_objdir_each(objdir, add_pack, s) < 0) {
		pack_store_free(s);
		return NULL;
	}
	*unread = s->unread;
	return s;
}

size_t pack_store_count(const pack_store *s)
{
	return s ? s->n : 0;
}

const pack_index *pack_store_index(const pack_store *s, size_t i, const unsigned char **data, size_t *size)
{
	*data = s->packs[i].data;
	*size = s->packs[i].data_size;
	return &s->packs[i].idx;
}

int pack_store_has(const pack_store *s, const unsigned char *id)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (pack_index_offset_of(&s->packs[i].idx, id) != UINT64_MAX)
			return 1;
	return 0;
}

pack_store *pack_store_from_memory(const unsigned char *idx, size_t idx_size, const unsigned char *data,
				   size_t data_size)
{
	pack_store *s = calloc(1, sizeof(*s));
	if (s)
		s->hashlen = ODB_SHA1_LEN;
	if (!s || !(s->packs = calloc(1, sizeof(*s->packs))) || !pack_data_ok(data, data_size) ||
	    pack_index_parse(&s->packs[0].idx, idx, idx_size, ODB_SHA1_LEN) < 0) {
		pack_store_free(s);
		return NULL;
	}
	s->packs[0].data = data;
	s->packs[0].data_size = data_size;
	s->n = 1;
	return s;
}

void pack_store_free(pack_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		pack_close(&s->packs[i]);
	free(s->packs);
	free(s);
}

static int damaged(const char *why)
{
	git_error_set_str(GIT_ERROR_ODB, why);
	return -1;
}

/* Inflates exactly size bytes from src into a new buffer. A size that the
 * bytes left could not inflate to is damage, not a reason to allocate it. */
static int inflate_exact(const unsigned char *src, size_t avail, size_t size, unsigned char **out)
{
	if (size / MAX_DEFLATE_RATIO > avail)
		return damaged("a pack entry larger than its data can inflate to");
	unsigned char *buf = malloc(size ? size : 1);
	z_stream z;
	if (!buf)
		return damaged("out of memory");
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) {
		free(buf);
		return damaged("zlib");
	}
	z.next_in = (unsigned char *)src;
	z.avail_in = (uInt)(avail > UINT32_MAX ? UINT32_MAX : avail);
	z.next_out = buf;
	z.avail_out = (uInt)size;
	int rc = inflate(&z, Z_FINISH);
	size_t got = size - z.avail_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END || got != size) {
		free(buf);
		return damaged("a pack entry does not inflate to its size");
	}
	*out = buf;
	return 0;
}

/* Applies delta d[0..dn) to base: copy and insert instructions. Each byte of
 * the delta makes at most a whole base (a copy) or 127 bytes (an insert): a
 * result larger than that is damage, not a reason to allocate it. */
static int apply_delta(const pack_obj *base, const unsigned char *d, size_t dn, pack_obj *out)
{
	const unsigned char *p = d, *end = d + dn;
	size_t src, dst, o = 0, most = base->len > 127 ? base->len : 127;
	if (odb_size_varint(&p, end, &src) < 0 || odb_size_varint(&p, end, &dst) < 0 || src != base->len ||
	    dst > MAX_OBJECT || dst / most > dn)
		return damaged("a delta does not fit its base");
	if (!(out->data = malloc(dst ? dst : 1)))
		return damaged("out of memory");
	out->len = dst;
	while (p < end) {
		unsigned char cmd = *p++;
		if (cmd & 0x80) {
			size_t off = 0, size = 0;
			for (unsigned i = 0; i < 4; i++)
				if (cmd & (1u << i)) {
					if (p >= end)
						return damaged("a delta copy is cut short");
					off |= (size_t)*p++ << (8 * i);
				}
			for (unsigned i = 0; i < 3; i++)
				if (cmd & (0x10u << i)) {
					if (p >= end)
						return damaged("a delta copy is cut short");
					size |= (size_t)*p++ << (8 * i);
				}
			if (size == 0)
				size = 0x10000;
			if (off > base->len || size > base->len - off || size > dst - o)
				return damaged("a delta copies outside its base");
			memcpy(out->data + o, base->data + off, size);
			o += size;
		} else if (cmd) {
			if (cmd > (size_t)(end - p) || cmd > dst - o)
				return damaged("a delta insert runs past its end");
			memcpy(out->data + o, p, cmd);
			o += cmd;
			p += cmd;
		} else {
			return damaged("a delta holds the reserved instruction 0");
		}
	}
	return o == dst ? 0 : damaged("a delta's result is short");
}

/* One step of a chain: the entry at off, as a full object or a delta of base_off. */
typedef struct entry {
	unsigned type;          /* 1-4 object types, 6 OFS_DELTA, 7 REF_DELTA */
	size_t size;            /* inflated size of the entry's data */
	const unsigned char *z; /* its zlib stream */
	uint64_t base;          /* a delta's base offset in the same pack */
} entry;

static int read_entry(const pack *k, uint64_t off, entry *e)
{
	if (off >= k->data_size - 20)
		return damaged("an offset past the pack's end");
	const unsigned char *p = k->data + off, *end = k->data + k->data_size - 20;
	pack_entry_header h;
	if (odb_pack_entry_header(&p, end, k->idx.hashlen, &h) < 0)
		return damaged("a pack entry header is cut short or runs on");
	e->type = h.type;
	e->size = h.size;
	if (e->size > MAX_OBJECT)
		return damaged("a pack entry over 2 GiB");
	if (e->type == 6) {
		if (h.base_distance == 0 || h.base_distance > off)
			return damaged("a delta's base lies outside the pack");
		e->base = off - h.base_distance;
	} else if (e->type == 7) {
		e->base = pack_index_offset_of(&k->idx, h.base_id);
		if (e->base == UINT64_MAX)
			return 0; /* a thin pack's base elsewhere: not ours to read */
	} else if (e->type < 1 || e->type > 4) {
		return damaged("a pack entry of no known type");
	}
	e->z = p;
	return 1;
}

/* Resolves the object at off in pack k, through the cache. 1, 0 (not ours) or -1. */
static int resolve(pack_store *s, pack_cache *c, uint32_t ki, uint64_t off, pack_obj **out)
{
	const pack *k = &s->packs[ki];
	size_t depth = 0;
	pack_obj *obj = NULL;
	entry e;
	int rc;

	/* Down the chain to a cached object or a full one, remembering the way. */
	for (;;) {
		if ((obj = cache_get(c, ki, off)))
			break;
		if ((rc = read_entry(k, off, &e)) <= 0)
			return rc;
		if (e.type <= 4) {
			if (!(obj = calloc(1, sizeof(*obj))))
				return damaged("out of memory");
			obj->refs = 1;
			obj->type = (git_object_t)e.type;
			obj->len = e.size;
			if (inflate_exact(e.z, (size_t)(k->data + k->data_size - e.z), e.size, &obj->data) < 0) {
				free(obj);
				return -1;
			}
			cache_put(c, ki, off, obj);
			break;
		}
		if (depth == MAX_DEPTH)
			return damaged("a delta chain deeper than git writes (or a loop)");
		c->chain[depth++] = off;
		off = e.base;
	}
	/* Back up the chain, applying each delta to the object below it. */
	while (depth) {
		uint64_t doff = c->chain[--depth];
		pack_obj *next = NULL;
		unsigned char *delta = NULL;
		if ((rc = read_entry(k, doff, &e)) <= 0 ||
		    inflate_exact(e.z, (size_t)(k->data + k->data_size - e.z), e.size, &delta) < 0 ||
		    !(next = calloc(1, sizeof(*next)))) {
			free(delta);
			pack_obj_unref(obj);
			return rc == 0 ? 0 : -1;
		}
		next->refs = 1;
		next->type = obj->type;
		rc = apply_delta(obj, delta, e.size, next);
		free(delta);
		pack_obj_unref(obj);
		if (rc < 0) {
			pack_obj_unref(next);
			return -1;
		}
		cache_put(c, ki, doff, next);
		obj = next;
	}
	*out = obj;
	return 1;
}

int pack_store_read_at(pack_store *s, pack_cache *c, uint32_t packno, uint64_t offset, pack_obj **out)
{
	*out = NULL;
	if (packno >= s->n)
		return damaged("no such pack");
	return resolve(s, c, packno, offset, out);
}

int pack_store_read(pack_store *s, pack_cache *c, const git_oid *id, pack_obj **out)
{
	return pack_store_read_id(s, c, id->id, out);
}

int pack_store_read_id(pack_store *s, pack_cache *c, const unsigned char *id, pack_obj **out)
{
	*out = NULL;
	for (size_t i = 0; s && i < s->n; i++) {
		uint64_t off = pack_index_offset_of(&s->packs[i].idx, id);
		if (off != UINT64_MAX)
			return resolve(s, c, (uint32_t)i, off, out);
	}
	return 0;
}
