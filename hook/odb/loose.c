/*
 * loose.c - loose objects (objects/xx/yyyy: zlib of "<type> <size>\0<data>"),
 * listed and read for repositories libgit2 cannot open (SHA-256), whose ids
 * are longer than libgit2's. Bounds-checked: a damaged file is an error.
 */
#include "odb.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>

#define MAX_HEADER 32 /* "commit 18446744073709551615" and its NUL fit */

/* Two hex digits of the directory and the rest of the name into id: 0 or -1. */
static int name_to_id(const char *dir, const char *name, size_t hashlen, unsigned char *id)
{
	char hex[2 * ODB_SHA256_LEN];
	if (hashlen > ODB_SHA256_LEN || strlen(name) != 2 * hashlen - 2)
		return -1;
	memcpy(hex, dir, 2);
	memcpy(hex + 2, name, 2 * hashlen - 2);
	return odb_id_from_hex(hex, hashlen, id);
}

int loose_each(const char *objdir, size_t hashlen, int (*cb)(const unsigned char *id, void *payload), void *payload)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char id[ODB_SHA256_LEN];
	int rc = 0;
	if (hashlen > sizeof(id))
		return -1;
	for (int d = 0; d < 256 && rc == 0; d++) {
		char path[4200], sub[3] = { hex[d >> 4], hex[d & 15], '\0' };
		snprintf(path, sizeof(path), "%s/%s", objdir, sub);
		DIR *dir = opendir(path);
		for (struct dirent *e; dir && rc == 0 && (e = readdir(dir));)
			if (name_to_id(sub, e->d_name, hashlen, id) == 0)
				rc = cb(id, payload);
		if (dir)
			closedir(dir);
	}
	return rc;
}

/* "<type> <size>" of a loose object's header: 0, or -1. */
static int parse_header(const char *h, unsigned *type, size_t *size)
{
	static const char *const names[] = { "", "commit", "tree", "blob", "tag" };
	const char *sp = strchr(h, ' ');
	char *e = NULL;
	*type = 0;
	for (unsigned t = 1; sp && t <= 4; t++)
		if ((size_t)(sp - h) == strlen(names[t]) && memcmp(h, names[t], (size_t)(sp - h)) == 0)
			*type = t;
	if (!*type || sp[1] < '0' || sp[1] > '9')
		return -1;
	unsigned long long n = strtoull(sp + 1, &e, 10);
	if (*e || n >= SIZE_MAX)
		return -1;
	*size = (size_t)n;
	return 0;
}

int loose_inflate(const unsigned char *z, size_t zn, size_t max, unsigned *type, unsigned char **data, size_t *len,
		  const char **why)
{
	unsigned char head[MAX_HEADER] = { 0 };
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (inflateInit(&s) != Z_OK)
		return *why = "zlib", -1;
	s.next_in = (unsigned char *)z;
	s.avail_in = (uInt)(zn > UINT32_MAX ? UINT32_MAX : zn);
	s.next_out = head;
	s.avail_out = sizeof(head);
	int rc = inflate(&s, Z_SYNC_FLUSH), ret = -1;
	size_t got = sizeof(head) - s.avail_out;
	unsigned char *nul = memchr(head, '\0', got);
	size_t size = 0;
	*data = NULL;
	if ((rc != Z_OK && rc != Z_STREAM_END) || !nul || parse_header((char *)head, type, &size) < 0) {
		*why = "a loose object's header cannot be read";
		goto out;
	}
	*len = size;
	size_t have = got - (size_t)(nul + 1 - head);
	if (size / 1032 > zn) { /* no zlib stream inflates to more than 1032 times its size */
		*why = "a loose object larger than its file can inflate to";
		goto out;
	}
	if (size > max) { /* over the caller's limit: its size alone */
		ret = 1;
		goto out;
	}
	if (have > size || !(*data = malloc(size + 1))) {
		*why = have > size ? "a loose object longer than its header says" : "out of memory";
		goto out;
	}
	memcpy(*data, nul + 1, have);
	s.next_out = *data + have;
	s.avail_out = (uInt)(size - have);
	rc = rc == Z_STREAM_END ? rc : inflate(&s, Z_FINISH);
	if (rc != Z_STREAM_END || s.avail_out != 0) {
		*why = "a loose object does not inflate to its size";
		free(*data);
		*data = NULL;
		goto out;
	}
	(*data)[size] = '\0';
	ret = 1;
out:
	inflateEnd(&s);
	return ret;
}

int loose_read(const char *objdir, const unsigned char *id, size_t hashlen, size_t max, unsigned *type,
	       unsigned char **data, size_t *len, const char **why)
{
	char path[4200], hex[2 * ODB_SHA256_LEN + 1];
	if (hashlen > ODB_SHA256_LEN)
		return 0;
	odb_id_to_hex(id, hashlen, hex);
	snprintf(path, sizeof(path), "%s/%.2s/%s", objdir, hex, hex + 2);
	*data = NULL;
	size_t zn;
	const unsigned char *z = map_readonly(path, &zn);
	if (!z) {
		struct stat st;
		if (stat(path, &st) != 0)
			return 0;
		*why = "a loose object cannot be read";
		return -1;
	}
	int rc = loose_inflate(z, zn, max, type, data, len, why);
	munmap((void *)z, zn);
	return rc;
}
