/*
 * fuzz_tree.c - libFuzzer harness for the raw tree parser of hook/odb/treediff.c
 * (tree_cursor_start, tree_cursor_next) and git's tree order (tree_name_cmp):
 * a server parses the trees that pushers send.
 *
 * The input is read as a raw tree object. Each entry must lie inside it and
 * start where the last one ended ("<octal mode> <name>\0<20-byte id>", the
 * mode as its digits say), and a tree read without error is read to its
 * last byte. Its entries written back in git's form (no leading zeros) read
 * back the same, and give the input itself when it was in that form.
 * tree_name_cmp is checked against the order git defines (bytes, with a
 * tree's name as if it ended in '/') on neighbouring entries and on two
 * names cut from the input, and must be antisymmetric.
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt) or, with
 * replay.c, as a plain program that replays files (tests/CMakeLists.txt).
 */
#include "gitscan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_tree: invariant broken: %s\n", what);
	abort();
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* git's order, written plainly: the names compared as bytes, a tree's with a
 * '/' after it, a name before any longer one it begins. Valid for names
 * without '/' and NUL, as git's own trees hold. */
static int ref_cmp(const char *a, size_t al, int adir, const char *b, size_t bl, int bdir)
{
	size_t la = al + (adir != 0), lb = bl + (bdir != 0);
	for (size_t i = 0; i < la && i < lb; i++) {
		unsigned ca = i < al ? (unsigned char)a[i] : '/', cb = i < bl ? (unsigned char)b[i] : '/';
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return la < lb ? -1 : la > lb;
}

static int plain_name(const char *s, size_t n)
{
	return !memchr(s, '/', n) && !memchr(s, '\0', n);
}

static void check_order(const char *a, size_t al, int adir, const char *b, size_t bl, int bdir)
{
	int ab = tree_name_cmp(a, al, adir, b, bl, bdir), ba = tree_name_cmp(b, bl, bdir, a, al, adir);
	if (sign(ab) != -sign(ba))
		broken("tree_name_cmp is not antisymmetric");
	if (tree_name_cmp(a, al, adir, a, al, adir) != 0)
		broken("tree_name_cmp of a name with itself");
	if (plain_name(a, al) && plain_name(b, bl) && sign(ab) != ref_cmp(a, al, adir, b, bl, bdir))
		broken("tree_name_cmp disagrees with git's order");
}

typedef struct entry {
	unsigned mode;
	const char *name;
	size_t len;
	const unsigned char *id;
	int canonical; /* its mode written as git writes it */
} entry;

/* Reads every entry, checking where each lies; returns how many, or -1 for a
 * corrupt tree. */
static long read_tree(const uint8_t *data, size_t size, entry *out)
{
	const uint8_t *end = data + size, *at = data;
	tree_cursor c;
	long n = 0;
	int rc = tree_cursor_start(&c, data, size);
	for (; rc == 0 && c.valid; rc = tree_cursor_next(&c), n++) {
		const tree_entry_raw *e = &c.e;
		const uint8_t *name = (const uint8_t *)e->name;
		if (name <= at || name > end || name[-1] != ' ')
			broken("an entry's name does not follow its mode and a space");
		unsigned mode = 0;
		for (const uint8_t *d = at; d < name - 1; d++) {
			if (*d < '0' || *d > '7')
				broken("a mode digit that is not octal");
			mode = mode * 8 + (unsigned)(*d - '0');
		}
		if (mode != e->mode)
			broken("the mode is not what its digits say");
		if (e->len == 0 || e->len > (size_t)(end - name) || memchr(name, '\0', e->len))
			broken("a name that is empty, runs past the tree or holds a NUL");
		if (e->id != name + e->len + 1 || name[e->len] != '\0' || end - e->id < 20)
			broken("the id does not follow the name's NUL, or runs past the tree");
		if (c.p != e->id + 20)
			broken("the cursor did not move to the end of the entry it read");
		char canon[16];
		int w = snprintf(canon, sizeof(canon), "%o", mode);
		out[n] = (entry){ mode, e->name, e->len, e->id,
				  (size_t)w == (size_t)(name - 1 - at) && memcmp(canon, at, (size_t)w) == 0 };
		at = e->id + 20;
	}
	if (c.valid)
		broken("an error left the cursor valid");
	if (rc == 0 && at != end)
		broken("a tree read without error was not read to its end");
	return rc == 0 ? n : -1;
}

/* The entries written as git writes a tree. */
static uint8_t *write_tree(const entry *e, long n, size_t *size)
{
	size_t cap = 1;
	for (long i = 0; i < n; i++)
		cap += 12 + e[i].len + 1 + 20;
	uint8_t *buf = malloc(cap), *p = buf;
	if (!buf)
		return NULL;
	for (long i = 0; i < n; i++) {
		p += sprintf((char *)p, "%o ", e[i].mode);
		memcpy(p, e[i].name, e[i].len);
		p += e[i].len;
		*p++ = '\0';
		memcpy(p, e[i].id, 20);
		p += 20;
	}
	*size = (size_t)(p - buf);
	return buf;
}

static void check_tree(const uint8_t *data, size_t size)
{
	/* an entry takes 23 bytes at least: "0 x\0" and its id is 24 */
	entry *e = malloc((size / 23 + 1) * sizeof(*e)), *again = NULL;
	long n = e ? read_tree(data, size, e) : -1;
	int canonical = 1;
	for (long i = 0; i < n; i++) {
		canonical &= e[i].canonical;
		if (i > 0)
			check_order(e[i - 1].name, e[i - 1].len, tree_mode_is_tree(e[i - 1].mode), e[i].name, e[i].len,
				    tree_mode_is_tree(e[i].mode));
		if (tree_mode_is_tree(e[i].mode) && tree_mode_is_blob(e[i].mode))
			broken("a mode both tree and blob");
	}
	size_t wsize = 0;
	uint8_t *w = n >= 0 ? write_tree(e, n, &wsize) : NULL;
	if (w) {
		/* an exact-size copy, so that a read past it is caught */
		uint8_t *exact = malloc(wsize ? wsize : 1);
		again = malloc((wsize / 23 + 1) * sizeof(*again));
		if (exact && again) {
			memcpy(exact, w, wsize);
			if (read_tree(exact, wsize, again) != n)
				broken("a tree written back does not read back whole");
			for (long i = 0; i < n; i++)
				if (again[i].mode != e[i].mode || again[i].len != e[i].len ||
				    memcmp(again[i].name, e[i].name, e[i].len) != 0 || memcmp(again[i].id, e[i].id, 20) != 0)
					broken("a tree written back reads back otherwise");
			if (canonical && (wsize != size || memcmp(exact, data, size) != 0))
				broken("a tree in git's form is not written back byte for byte");
		}
		free(exact);
	}
	free(w);
	free(again);
	free(e);
}

/* Two names cut from the input: its first byte says where, and whether each is a tree. */
static void check_names(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	size_t cut = 1 + data[0] % size;
	const char *a = (const char *)data + 1, *b = (const char *)data + cut;
	check_order(a, cut - 1, data[0] & 1, b, size - cut, data[0] & 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_tree(data, size);
	check_names(data, size);
	return 0;
}
