/*
 * bytes.c - the encodings git's file formats share, read once here: big-endian
 * integers, the two varints, a pack entry's header, the .pack beside a .idx.
 */
#include "odb.h"

#include <stdlib.h>
#include <string.h>

uint16_t odb_be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t odb_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t odb_be64(const unsigned char *p)
{
	return (uint64_t)odb_be32(p) << 32 | odb_be32(p + 4);
}

int odb_offset_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	if (*p >= end)
		return -1;
	unsigned char c = *(*p)++;
	uint64_t v = c & 127;
	while (c & 128) {
		/* the +1 makes every encoding unique; it must not wrap */
		if (*p >= end || v > (UINT64_MAX >> 8))
			return -1;
		c = *(*p)++;
		v = ((v + 1) << 7) + (c & 127);
	}
	*out = v;
	return 0;
}

int odb_size_varint(const unsigned char **p, const unsigned char *end, size_t *out)
{
	size_t v = 0;
	unsigned shift = 0;
	for (;;) {
		if (*p >= end || shift > 56)
			return -1;
		unsigned char c = *(*p)++;
		v |= (size_t)(c & 127) << shift;
		shift += 7;
		if (!(c & 128))
			break;
	}
	*out = v;
	return 0;
}

int odb_pack_entry_header(const unsigned char **pp, const unsigned char *end, size_t hashlen, pack_entry_header *h)
{
	const unsigned char *p = *pp;
	memset(h, 0, sizeof(*h));
	if (p >= end)
		return -1;
	/* type in bits 4-6 of the first byte, size in its low 4 and 7 more a byte */
	unsigned char c = *p++;
	unsigned shift = 4;
	h->type = (c >> 4) & 7;
	h->size = c & 15;
	while (c & 128) {
		if (p >= end || shift > 56)
			return -1;
		c = *p++;
		h->size |= (size_t)(c & 127) << shift;
		shift += 7;
	}
	if (h->type == 6) {
		if (odb_offset_varint(&p, end, &h->base_distance) < 0)
			return -1;
	} else if (h->type == 7) {
		if ((size_t)(end - p) < hashlen)
			return -1;
		h->base_id = p;
		p += hashlen;
	}
	*pp = p;
	return 0;
}

int odb_pack_path(const char *idx_path, char *buf, size_t size)
{
	size_t n = strlen(idx_path);
	if (n < 4 || strcmp(idx_path + n - 4, ".idx") != 0)
		return -1;
	int w = snprintf(buf, size, "%.*s.pack", (int)(n - 4), idx_path);
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

int odb_path_put(char **path, size_t *cap, size_t len, const char *name, size_t n)
{
	if (len + n + 2 > *cap) {
		size_t want = *cap ? *cap : 256;
		while (want < len + n + 2)
			want *= 2;
		char *p = realloc(*path, want);
		if (!p)
			return -1;
		*path = p;
		*cap = want;
	}
	memcpy(*path + len, name, n);
	(*path)[len + n] = '\0';
	return 0;
}

int odb_id_from_hex(const char *hex, size_t hashlen, unsigned char *id)
{
	for (size_t i = 0; i < hashlen; i++) {
		int d[2];
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			d[k] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d[k] < 0)
				return -1;
		}
		id[i] = (unsigned char)(d[0] << 4 | d[1]);
	}
	return 0;
}

void odb_id_to_hex(const unsigned char *id, size_t hashlen, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < hashlen; i++) {
		hex[2 * i] = digits[id[i] >> 4];
		hex[2 * i + 1] = digits[id[i] & 15];
	}
	hex[2 * hashlen] = '\0';
}
