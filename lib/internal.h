/*
 * internal.h - what the files of lib/ share and no caller should see:
 * the decoded-window type, the fingerprint helper, small string helpers.
 */
#ifndef SG_INTERNAL_H
#define SG_INTERNAL_H

#include "sasguard.h"

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

/*
 * A decoded copy of a window of the scanned buffer. map[i] is the offset in
 * the scanned buffer of the byte that produced text[i], so that findings can
 * point at the original line and column. Both arrays are owned by the
 * window and reused between calls (sg_window_free releases them).
 */
typedef struct sg_window {
	char *text;
	size_t *map;
	size_t len;
	size_t cap;
} sg_window;

void sg_window_free(sg_window *w);

/* Room for n bytes (and a NUL) in text and map; SG_OK or SG_ENOMEM. */
int sg_window_reserve(sg_window *w, size_t n);

/*
 * Undoes the escaping that files wrap around URLs: HTML (&amp; &#38; &#x26;),
 * JSON (\u0026 \/ and other \u00XX ASCII), shell and cmd escapes (\& ^&,
 * and cmd/batch's doubled percent, "%%3D"). in[0..n) comes from buffer
 * offset base (or through inmap when not NULL).
 */
int sg_decode_markup(const char *in, size_t n, const size_t *inmap, size_t base,
		     sg_window *out);

/* What a base64 anchor stands for: "sig=" (a SAS) or a key segment. */
enum sg_b64_kind { SG_B64_NONE, SG_B64_SAS, SG_B64_KEY };

/*
 * Is buf[i] (a 'P', 'W' or 'Z') part of "sig=", "AccountKey=" or
 * "SharedAccessKey=" in base64? Then *start is the quantum boundary where
 * decoding it must begin.
 */
enum sg_b64_kind sg_base64_anchor(const char *buf, size_t len, size_t i, size_t *start);

/* Widens the base64 run around the quantum at *start: back by whole quanta,
 * forward to the alphabet's end, at most cap characters each way. Returns
 * the end; *start becomes the beginning. */
size_t sg_base64_run(const char *buf, size_t len, size_t *start, size_t cap);

/* Decodes base64 (standard or URL-safe) from a quantum boundary until a byte
 * outside the alphabet; out->map[i] is base plus the offset of the quantum
 * that produced text[i]. */
int sg_decode_base64(const char *in, size_t n, size_t base, sg_window *out);

/* Percent-decodes every %XX once (the whole token was URL-encoded). */
int sg_decode_percent(const char *in, size_t n, const size_t *inmap, sg_window *out);

/* Percent-decodes a value into out (NUL-terminated); returns its length. */
size_t sg_percent_decode_value(const char *in, size_t n, char *out);

/* Cuts every copy of secret in the string s to its first 4 characters and
 * "..." (nothing when secret is NULL or 7 characters or shorter); returns the
 * new length of s. Another parameter or a URL may repeat a signature. */
size_t sg_redact(char *s, const char *secret);

/* Opens path to read only when it is a regular file (never blocking on a
 * FIFO); else SG_ECONFIG "path: not a regular file (it is a FIFO)" in d.
 * SG_EIO when it cannot be opened. The caller fcloses *out. */
struct stat;
int sg_open_regular(const char *path, FILE **out, struct stat *st, sg_diag *d);

/* Fingerprint: 32 hex chars of SHA-256("sasguard/1" kind secret). */
int sg_fingerprint(sg_kind kind, const char *secret, size_t len, char out[33]);

/* ASCII helpers that do not depend on the locale. */
static inline int sg_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline int sg_is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int sg_is_b64(int c)
{
	return sg_is_alnum(c) || c == '+' || c == '/';
}

int sg_ci_equal(const char *a, const char *b, size_t n);

/*
 * Where the scheme of a URL whose "://" is at s[sep] starts, no further back
 * than floor: at "https" or "http" when the letters before "://" end so (a
 * hash glued in front, "sha256:<hex>https://", is not part of it), else at
 * the first of the letters and digits before it.
 */
size_t sg_scheme_start(const char *s, size_t sep, size_t floor);

/* Bytes that can be part of a token or of the escaping around one. */
static inline int sg_is_token_char(int c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	switch (c) {
	case '"': case '\'': case '`': case '<': case '>':
	case '(': case ')': case '[': case ']': case '{': case '}': case '|':
		return 0;
	default:
		return 1;
	}
}

/*
 * ASCII stored as UTF-16 among other bytes (an executable's strings): the
 * characters two bytes apart around buf[i], a NUL between each two, either
 * byte order alike. A character is a token character or a bracket (an IPv6
 * host); the run goes back to no character below offset lo and at most back
 * characters, forward at most fwd. The characters go to text (room for
 * back + fwd + 1), their offsets to map when it is not NULL; *first is the
 * first one's offset. Returns how many.
 */
size_t sg_utf16_run(const char *buf, size_t len, size_t i, size_t lo, size_t back, size_t fwd,
		    char *text, size_t *map, size_t *first);

#endif
