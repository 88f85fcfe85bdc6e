/*
 * when.c - times and durations: the ISO 8601 forms Azure accepts in st/se,
 * and policy durations such as "7d". All arithmetic is on Unix seconds, UTC,
 * with no dependence on the process time zone.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*i]; advances *i. */
static int digits(const char *s, size_t len, size_t *i, int n, unsigned *out)
{
	unsigned v = 0;
	for (int k = 0; k < n; k++) {
		if (*i >= len || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
	}
	*out = v;
	return 0;
}

/* Reads the optional time zone designator at s[*i]: Z, +hh:mm, +hhmm, +hh. */
static int zone(const char *s, size_t len, size_t *i, int64_t *offset)
{
	*offset = 0;
	if (*i == len)
		return 0;
	if (s[*i] == 'Z' || s[*i] == 'z') {
		(*i)++;
		return 0;
	}
	if (s[*i] != '+' && s[*i] != '-')
		return -1;
	int sign = s[*i] == '-' ? -1 : 1;
	unsigned hh, mm = 0;
	(*i)++;
	if (digits(s, len, i, 2, &hh) < 0 || hh > 23)
		return -1;
	if (*i < len && s[*i] == ':')
		(*i)++;
	if (*i < len && digits(s, len, i, 2, &mm) < 0)
		return -1;
	if (mm > 59)
		return -1;
	*offset = sign * (int64_t)(hh * 3600 + mm * 60);
	return 0;
}

int sg_time_parse(const char *s, size_t len, int64_t *out)
{
	size_t i = 0;
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t off = 0;

	if (digits(s, len, &i, 4, &y) < 0 || i >= len || s[i++] != '-' ||
	    digits(s, len, &i, 2, &mo) < 0 || i >= len || s[i++] != '-' ||
	    digits(s, len, &i, 2, &d) < 0)
		return SG_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return SG_EINVAL;
	if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		i++;
		if (digits(s, len, &i, 2, &h) < 0 || i >= len || s[i++] != ':' ||
		    digits(s, len, &i, 2, &mi) < 0)
			return SG_EINVAL;
		if (i < len && s[i] == ':') {
			i++;
			if (digits(s, len, &i, 2, &sec) < 0)
				return SG_EINVAL;
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				size_t f = ++i;
				while (i < len && s[i] >= '0' && s[i] <= '9' && i - f < 9)
					i++;
				if (i == f)
					return SG_EINVAL;
			}
		}
		if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi || sec)))
			return SG_EINVAL;
		if (zone(s, len, &i, &off) < 0)
			return SG_EINVAL;
	}
	if (i != len)
		return SG_EINVAL;
	if (sec == 60)
		sec = 59; /* a leap second names the last second of its minute */
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return SG_OK;
}

size_t sg_time_format(int64_t t, char *buf, size_t size)
{
	if (t == SG_TIME_NONE)
		return (size_t)snprintf(buf, size, "never");
	int64_t days = t / 86400, rem = t % 86400, y;
	unsigned m, d;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	int n = snprintf(buf, size, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
			 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
	return n < 0 ? 0 : (size_t)n;
}

static const struct unit {
	char c;
	int64_t secs;
} units[] = {
	{ 'y', 365 * 86400 }, { 'w', 7 * 86400 }, { 'd', 86400 },
	{ 'h', 3600 },        { 'm', 60 },        { 's', 1 },
};

int sg_duration_parse(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	if (s[i] < '0' || s[i] > '9')
		return SG_EINVAL;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > 1000000)
			return SG_EINVAL; /* more than a million units is a typo */
	}
	while (s[i] == ' ')
		i++;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (s[i] == units[u].c && s[i + 1] == '\0') {
			*out = v * units[u].secs;
			return SG_OK;
		}
	}
	return SG_EINVAL;
}

size_t sg_duration_format(int64_t secs, char *buf, size_t size)
{
	size_t n = 0;
	int parts = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (secs < 0)
		secs = 0;
	/* Weeks are skipped: "30d" reads better than "4w 2d". */
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]) && parts < 3; u++) {
		if (units[u].c == 'w' || secs < units[u].secs)
			continue;
		int w = snprintf(buf + n, size - n, "%s%lld%c", parts ? " " : "",
				 (long long)(secs / units[u].secs), units[u].c);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
		secs %= units[u].secs;
		parts++;
	}
	if (parts == 0)
		n = (size_t)snprintf(buf, size, "0s");
	return n;
}
