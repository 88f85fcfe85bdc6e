/*
 * utf16.c - telling UTF-16 text from binary, and decoding it to UTF-8, so that
 * a token in a file Windows tools wrote as UTF-16 (PowerShell 5 `>` and
 * Out-File, regedit exports) is found instead of skipped as binary; and
 * reading the UTF-16 strings that binary content holds among other bytes.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Bytes looked at to decide, as git looks at 8000 to call a file binary. */
#define SNIFF 8000

/*
 * Without a BOM, UTF-16 text of a mostly-ASCII file has a NUL in every other
 * byte: the high byte of each code unit. Demand that pattern on at least half
 * of the units, almost no NUL on the other side, and almost no control
 * characters, so that arrays of small 16-bit integers stay binary.
 */
static sg_text_encoding sniff(const unsigned char *b, size_t len)
{
	size_t units = (len < SNIFF ? len : SNIFF) / 2;
	size_t zero_hi[2] = { 0, 0 }, control = 0;

	if (units < 2)
		return SG_TEXT_BYTES;
	for (size_t i = 0; i < units; i++) {
		unsigned char lo = b[2 * i], hi = b[2 * i + 1];
		zero_hi[0] += hi == 0 && lo != 0; /* little-endian: the high byte is second */
		zero_hi[1] += lo == 0 && hi != 0;
	}
	for (int be = 0; be < 2; be++) {
		if (zero_hi[be] * 2 < units || zero_hi[!be] * 16 > units)
			continue;
		for (size_t i = 0; i < units; i++) {
			unsigned c = be ? (unsigned)b[2 * i] << 8 | b[2 * i + 1] : (unsigned)b[2 * i + 1] << 8 | b[2 * i];
			control += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
		}
		return control * 16 > units ? SG_TEXT_BYTES : be ? SG_TEXT_UTF16BE : SG_TEXT_UTF16LE;
	}
	return SG_TEXT_BYTES;
}

sg_text_encoding sg_text_detect(const char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)buf;

	if (len >= 2 && b[0] == 0xff && b[1] == 0xfe)
		/* FF FE 00 00 opens UTF-32LE, which is not decoded */
		return len >= 4 && b[2] == 0 && b[3] == 0 ? SG_TEXT_BYTES : SG_TEXT_UTF16LE;
	if (len >= 2 && b[0] == 0xfe && b[1] == 0xff)
		return SG_TEXT_UTF16BE;
	/* Text without a NUL is read as it is: the common case costs one memchr. */
	if (!memchr(buf, '\0', len < SNIFF ? len : SNIFF))
		return SG_TEXT_BYTES;
	return sniff(b, len);
}

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

int sg_text_decode(const char *buf, size_t len, sg_text_encoding enc, char **out, size_t *outlen)
{
	const unsigned char *b = (const unsigned char *)buf;
	int be = enc == SG_TEXT_UTF16BE;
	size_t units = len / 2, i = 0, n = 0;

	*out = NULL;
	*outlen = 0;
	if (enc != SG_TEXT_UTF16LE && enc != SG_TEXT_UTF16BE)
		return SG_EINVAL;
	/* A unit becomes at most 3 bytes (a pair 4), a stray last byte U+FFFD. */
	if (units > (SIZE_MAX - 8) / 3)
		return SG_ENOMEM;
	char *o = malloc(units * 3 + 4);
	if (!o)
		return SG_ENOMEM;
#define UNIT(k) (be ? (uint32_t)b[2 * (k)] << 8 | b[2 * (k) + 1] : (uint32_t)b[2 * (k) + 1] << 8 | b[2 * (k)])
	if (units && UNIT(0) == 0xfeff)
		i = 1; /* the BOM is not text */
	for (; i < units; i++) {
		uint32_t c = UNIT(i);
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units && UNIT(i + 1) >= 0xdc00 && UNIT(i + 1) < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (UNIT(i + 1) - 0xdc00);
			i++;
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd; /* a lone surrogate */
		}
		n += put_utf8(o + n, c);
	}
#undef UNIT
	if (len % 2)
		n += put_utf8(o + n, 0xfffd);
	*out = o;
	*outlen = n;
	return SG_OK;
}

static int run_char(unsigned char c)
{
	return sg_is_token_char(c) || c == '[' || c == ']';
}

size_t sg_utf16_run(const char *buf, size_t len, size_t i, size_t lo, size_t back, size_t fwd,
		    char *text, size_t *map, size_t *first)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t s = i, e = i, n = 0;

	while (i - s < 2 * back && s >= lo + 2 && b[s - 1] == 0 && run_char(b[s - 2]))
		s -= 2;
	while (e - i < 2 * fwd && e + 2 < len && b[e + 1] == 0 && run_char(b[e + 2]))
		e += 2;
	for (size_t k = s; k <= e; k += 2) {
		text[n] = (char)b[k];
		if (map)
			map[n] = k;
		n++;
	}
	*first = s;
	return n;
}
