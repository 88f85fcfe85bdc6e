/*
 * decode.c - undo the escaping that real files wrap around tokens (HTML,
 * JSON, shell, percent-encoding), keeping a map back to the original bytes.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void sg_window_free(sg_window *w)
{
	free(w->text);
	free(w->map);
	memset(w, 0, sizeof(*w));
}

int sg_window_reserve(sg_window *w, size_t n)
{
	if (n + 1 <= w->cap)
		return SG_OK;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < n + 1)
		cap *= 2;
	char *t = realloc(w->text, cap);
	if (!t)
		return SG_ENOMEM;
	w->text = t;
	size_t *m = realloc(w->map, cap * sizeof(*m));
	if (!m)
		return SG_ENOMEM;
	w->map = m;
	w->cap = cap;
	return SG_OK;
}

int sg_ci_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sg_lower((unsigned char)a[i]) != sg_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

size_t sg_scheme_start(const char *s, size_t sep, size_t floor)
{
	if (sep >= floor + 5 && sg_ci_equal(s + sep - 5, "https", 5))
		return sep - 5;
	if (sep >= floor + 4 && sg_ci_equal(s + sep - 4, "http", 4))
		return sep - 4;
	size_t k = sep;
	while (k > floor && sg_is_alnum((unsigned char)s[k - 1]))
		k--;
	return k;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = sg_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* An HTML character reference for & = ? at in[i] ('&' seen); its length or 0. */
static size_t html_entity(const char *in, size_t n, size_t i, char *c)
{
	static const struct {
		const char *s;
		char c;
	} ents[] = {
		{ "&amp;", '&' }, { "&#38;", '&' },  { "&#x26;", '&' }, { "&#61;", '=' },
		{ "&#x3d;", '=' }, { "&#63;", '?' }, { "&#x3f;", '?' }, { "&#47;", '/' },
		{ "&#x2f;", '/' },
	};
	for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
		size_t l = strlen(ents[k].s);
		if (i + l <= n && sg_ci_equal(in + i, ents[k].s, l)) {
			size_t used = l;
			/* "&amp;amp;" is HTML escaped twice: one & all the same */
			while (ents[k].c == '&' && i + used + 4 <= n &&
			       sg_ci_equal(in + i + used, "amp;", 4))
				used += 4;
			*c = ents[k].c;
			return used;
		}
	}
	return 0;
}

/* A backslash escape at in[i] ('\\' seen), however many backslashes deep. */
static size_t backslash_escape(const char *in, size_t n, size_t i, char *c)
{
	size_t j = i;
	while (j < n && in[j] == '\\')
		j++;
	if (j >= n)
		return 0;
	if (in[j] == '/' || in[j] == '&' || in[j] == '?' || in[j] == '=') {
		*c = in[j];
		return j + 1 - i;
	}
	if ((in[j] == 'u' || in[j] == 'U') && j + 5 <= n) {
		int v = 0;
		for (size_t k = 1; k <= 4; k++) {
			int h = hexval((unsigned char)in[j + k]);
			if (h < 0)
				return 0;
			v = v * 16 + h;
		}
		if (v < 0x21 || v > 0x7e)
			return 0;
		*c = (char)v;
		return j + 5 - i;
	}
	return 0;
}

/* cmd/batch doubles '%' ("sig=abc%%2Bdef%%3D" in a .bat or a "set" line):
 * "%%" before two hex digits is one '%'. No URL holds it otherwise (a
 * literal '%' is "%25"), so this undoes nothing real and needs no file name
 * (a script's name is not always known: stdin, a blob in history). */
static int doubled_percent(const char *in, size_t n, size_t i)
{
	return i + 3 < n && in[i + 1] == '%' && hexval((unsigned char)in[i + 2]) >= 0 &&
	       hexval((unsigned char)in[i + 3]) >= 0;
}

int sg_decode_markup(const char *in, size_t n, const size_t *inmap, size_t base,
		     sg_window *out)
{
	if (sg_window_reserve(out, n) < 0)
		return SG_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t used = 0;
		char c = in[i];
		if (c == '&')
			used = html_entity(in, n, i, &c);
		else if (c == '\\')
			used = backslash_escape(in, n, i, &c);
		else if (c == '^' && i + 1 < n && in[i + 1] == '&') {
			c = '&';
			used = 2;
		} else if (c == '%' && doubled_percent(in, n, i))
			used = 2;
		if (used == 0) {
			c = in[i];
			used = 1;
		}
		out->text[o] = c;
		out->map[o] = inmap ? inmap[i] : base + i;
		o++;
		i += used;
	}
	out->text[o] = '\0';
	out->len = o;
	return SG_OK;
}

int sg_decode_percent(const char *in, size_t n, const size_t *inmap, sg_window *out)
{
	if (sg_window_reserve(out, n) < 0)
		return SG_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int hi, lo;
		out->map[o] = inmap[i];
		if (in[i] == '%' && i + 3 <= n && (hi = hexval((unsigned char)in[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)in[i + 2])) >= 0) {
			out->text[o++] = (char)(hi * 16 + lo);
			i += 3;
		} else {
			out->text[o++] = in[i++];
		}
	}
	out->text[o] = '\0';
	out->len = o;
	return SG_OK;
}

size_t sg_percent_decode_value(const char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		int hi, lo;
		if (in[i] == '%' && i + 3 <= n && (hi = hexval((unsigned char)in[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)in[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 3;
		} else {
			out[o++] = in[i++];
		}
	}
	out[o] = '\0';
	return o;
}
