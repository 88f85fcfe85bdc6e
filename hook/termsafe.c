/*
 * termsafe.c - the one sanitizer for text sasguard prints to a person: file
 * names, notes and findings come from content and trees an attacker may name.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at s, of at most avail bytes, or 0
 * (overlongs and surrogates are not valid). Every printer of sasguard reads
 * UTF-8 through this one; NUL-terminated text may pass SIZE_MAX.
 */
size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t l = s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	if (l == 0 || l > avail)
		return 0;
	for (size_t i = 1; i < l; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return l;
}

/*
 * Code points a terminal acts on rather than shows: C1 controls (U+0080 to
 * U+009F: U+009B is CSI, as ESC [ is, on terminals that read 8-bit controls
 * in UTF-8) and the bidirectional overrides and isolates that make text read
 * differently from what it is (U+202A-U+202E, U+2066-U+2069).
 */
static int acts(const unsigned char *c, size_t l, unsigned *cp)
{
	if (l == 2)
		*cp = ((unsigned)(c[0] & 0x1f) << 6) | (c[1] & 0x3f);
	else if (l == 3)
		*cp = ((unsigned)(c[0] & 0x0f) << 12) | ((unsigned)(c[1] & 0x3f) << 6) | (c[2] & 0x3f);
	else
		return 0;
	return (*cp >= 0x80 && *cp <= 0x9f) || (*cp >= 0x202a && *cp <= 0x202e) || (*cp >= 0x2066 && *cp <= 0x2069);
}

void print_safe_n(FILE *out, const char *s, size_t n, int keep_newlines)
{
	const unsigned char *c = (const unsigned char *)s, *end = c + n;
	while (c < end) {
		size_t l;
		unsigned cp;
		if ((*c >= 0x20 && *c < 0x7f && *c != '\\') || (keep_newlines && *c == '\n')) {
			fputc(*c++, out);
		} else if (*c >= 0x80 && (l = utf8_seq_len(c, (size_t)(end - c))) > 0) {
			if (acts(c, l, &cp))
				fprintf(out, "\\u%04x", cp);
			else
				fwrite(c, 1, l, out);
			c += l;
		} else {
			/* C0 controls (ESC, CR, BS ...), DEL, the backslash itself, and bytes that are not UTF-8 */
			fprintf(out, "\\x%02x", *c++);
		}
	}
}

void print_safe(FILE *out, const char *s)
{
	print_safe_n(out, s ? s : "", s ? strlen(s) : 0, 0);
}

void print_safef(FILE *out, const char *fmt, ...)
{
	char buf[2048], *big = NULL;
	va_list ap;
	va_start(ap, fmt);
	/* ap is started on the line above: clang 14's analyzer misses it */
	int n = vsnprintf(buf, sizeof(buf), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	va_end(ap);
	if (n < 0)
		return;
	const char *s = buf;
	if ((size_t)n >= sizeof(buf) && (big = malloc((size_t)n + 1))) {
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		s = big;
	} else if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
	}
	/* the one newline that ends the message is ours; any other came from the data */
	size_t len = (size_t)n, nl = len && s[len - 1] == '\n';
	print_safe_n(out, s, len - nl, 0);
	if (nl)
		fputc('\n', out);
	free(big);
}
