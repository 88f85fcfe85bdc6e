/*
 * base64.c - tokens stored base64-encoded, as a Kubernetes Secret's data:
 * values are: spotting "sig=", "AccountKey=" or "SharedAccessKey=" in base64
 * without decoding everything, and decoding the run around such a spot.
 */
#include "internal.h"

#include <string.h>

/*
 * What each anchor becomes in base64, for each of the three byte alignments
 * it can have: the characters that do not depend on its neighbours, and the
 * position of the first of them within its 4-character quantum. The scanner
 * stops at 'P', 'W' and 'Z' (memchr); each needle is tried at one of them,
 * the rarest in ordinary text it holds (at).
 */
static const struct {
	const char *text;
	unsigned char len, at, quantum;
	enum sg_b64_kind kind;
} needles[] = {
	{ "c2lnP", 5, 4, 0, SG_B64_SAS },                  /* sig= */
	{ "NpZz", 4, 2, 2, SG_B64_SAS },
	{ "zaWc9", 5, 2, 3, SG_B64_SAS },
	{ "QWNjb3VudEtleT", 14, 1, 0, SG_B64_KEY },        /* AccountKey= */
	{ "FjY291bnRLZXk9", 14, 10, 2, SG_B64_KEY },
	{ "BY2NvdW50S2V5P", 14, 6, 3, SG_B64_KEY },
	{ "U2hhcmVkQWNjZXNzS2V5P", 21, 12, 0, SG_B64_KEY }, /* SharedAccessKey= */
	{ "NoYXJlZEFjY2Vzc0tleT", 20, 6, 2, SG_B64_KEY },
	{ "TaGFyZWRBY2Nlc3NLZXk9", 21, 5, 3, SG_B64_KEY },
};

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

enum sg_b64_kind sg_base64_anchor(const char *buf, size_t len, size_t i, size_t *start)
{
	/* every needle has a letter or digit before its stop: in binary content
	 * (random bytes) this alone turns away three hits in four */
	if (i == 0 || !sg_is_alnum((unsigned char)buf[i - 1]))
		return SG_B64_NONE;
	for (size_t k = 0; k < sizeof(needles) / sizeof(needles[0]); k++) {
		size_t at = needles[k].at, n = needles[k].len;
		/* one byte first: most hits are a 'P', 'W' or 'Z' in an ordinary word;
		 * then the needle's first byte, which random bytes (binary content)
		 * almost never match, before a call to memcmp */
		if (needles[k].text[at] != buf[i] || at + needles[k].quantum > i || i - at + n > len ||
		    buf[i - at] != needles[k].text[0] || memcmp(buf + i - at, needles[k].text, n) != 0)
			continue;
		/* decoding starts on the quantum boundary at or before the needle */
		*start = i - at - needles[k].quantum;
		return needles[k].kind;
	}
	return SG_B64_NONE;
}

size_t sg_base64_run(const char *buf, size_t len, size_t *start, size_t cap)
{
	size_t s = *start, e = *start;
	/* back by whole quanta while the alphabet goes on, forward to its end */
	while (s >= 4 && *start - s < cap && b64_value((unsigned char)buf[s - 1]) >= 0 &&
	       b64_value((unsigned char)buf[s - 2]) >= 0 && b64_value((unsigned char)buf[s - 3]) >= 0 &&
	       b64_value((unsigned char)buf[s - 4]) >= 0)
		s -= 4;
	while (e < len && e - *start < cap && b64_value((unsigned char)buf[e]) >= 0)
		e++;
	*start = s;
	return e;
}

int sg_decode_base64(const char *in, size_t n, size_t base, sg_window *out)
{
	if (sg_window_reserve(out, n / 4 * 3 + 3) < 0)
		return SG_ENOMEM;
	size_t o = 0, quantum = 0;
	uint32_t acc = 0;
	unsigned have = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i]);
		if (v < 0)
			break;
		if (have == 0)
			quantum = i;
		acc = acc << 6 | (uint32_t)v;
		if (++have == 4) {
			for (int b = 2; b >= 0; b--) {
				out->text[o] = (char)(acc >> (8 * b) & 0xff);
				out->map[o++] = base + quantum;
			}
			acc = 0;
			have = 0;
		}
	}
	/* a last partial quantum: 2 or 3 characters give 1 or 2 bytes */
	for (unsigned b = 0; have >= 2 && b < have - 1; b++) {
		out->text[o] = (char)(acc << (6 * (4 - have)) >> (16 - 8 * b) & 0xff);
		out->map[o++] = base + quantum;
	}
	out->text[o] = '\0';
	out->len = o;
	return SG_OK;
}
