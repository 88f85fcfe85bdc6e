/* test_when.c - ISO 8601 times as Azure writes them, and policy durations. */
#include "check.h"

static int64_t t(const char *s)
{
	int64_t v = 0;
	return sg_time_parse(s, strlen(s), &v) == SG_OK ? v : -999;
}

static void test_time_forms(void)
{
	CHECK_INT(t("2051-10-06"), 2580163200LL);
	CHECK_INT(t("2051-10-06T07:09Z"), 2580188940LL);
	CHECK_INT(t("2051-10-06T07:09:59Z"), 2580188999LL);
	CHECK_INT(t("2051-10-06T07:09:59.1234567Z"), 2580188999LL);
	CHECK_INT(t("2051-10-06T07:09:59"), 2580188999LL);
	CHECK_INT(t("2051-10-06T08:09:59+01:00"), 2580188999LL);
	CHECK_INT(t("2051-10-06T06:09:59-0100"), 2580188999LL);
	CHECK_INT(t("2025-06-19T08:45:11Z"), 1750322711LL);
	CHECK_INT(t("2024-02-29"), 1709164800LL);
	CHECK_INT(t("1969-12-31T23:59:59Z"), -1);
	CHECK_INT(t("2026-11-23T00:00:00Z"), TEST_NOW);
}

static void test_time_rejects(void)
{
	const char *bad[] = { "",
			      "next-tuesday",
			      "2051-13-01",
			      "2051-00-10",
			      "2023-02-29",
			      "2051-04-31",
			      "2051-10-06T25:00Z",
			      "2051-10-06T07:60Z",
			      "2051-10-06T07:09:59.Z",
			      "2051-10-06T07Z",
			      "2051-10-06Tx",
			      "2051-10-06T07:09:59Zjunk",
			      "51-10-06",
			      "2051/10/06",
			      "2051-10-06T07:09:59+25:00" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v;
		if (sg_time_parse(bad[i], strlen(bad[i]), &v) != SG_EINVAL) {
			fprintf(stderr, "accepted bad time '%s'\n", bad[i]);
			check_failures++;
		}
	}
	/* the length bounds the parse: no reading past it */
	int64_t v;
	CHECK(sg_time_parse("2051-10-06T07:09:59Z", 10, &v) == SG_OK);
	CHECK_INT(v, 2580163200LL);
	CHECK(sg_time_parse("2051-10-06T07:09:59Z", 9, &v) == SG_EINVAL);
}

static void test_time_format(void)
{
	char buf[32];
	sg_time_format(2580188999LL, buf, sizeof(buf));
	CHECK_STR(buf, "2051-10-06T07:09:59Z");
	sg_time_format(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
	sg_time_format(SG_TIME_NONE, buf, sizeof(buf));
	CHECK_STR(buf, "never");
	for (int64_t x = -86400 * 400; x < 86400LL * 365 * 500; x += 86400 * 7 + 3671) {
		sg_time_format(x, buf, sizeof(buf));
		if (t(buf) != x) {
			fprintf(stderr, "round trip of %lld gave %s\n", (long long)x, buf);
			check_failures++;
			break;
		}
	}
}

static void test_durations(void)
{
	int64_t d;
	CHECK(sg_duration_parse("7d", &d) == SG_OK && d == 7 * 86400);
	CHECK(sg_duration_parse("90m", &d) == SG_OK && d == 90 * 60);
	CHECK(sg_duration_parse("12h", &d) == SG_OK && d == 12 * 3600);
	CHECK(sg_duration_parse("2w", &d) == SG_OK && d == 14 * 86400);
	CHECK(sg_duration_parse("1y", &d) == SG_OK && d == 365 * 86400);
	CHECK(sg_duration_parse("7", &d) == SG_EINVAL);
	CHECK(sg_duration_parse("d", &d) == SG_EINVAL);
	CHECK(sg_duration_parse("7x", &d) == SG_EINVAL);
	CHECK(sg_duration_parse("-1d", &d) == SG_EINVAL);
	CHECK(sg_duration_parse("7dd", &d) == SG_EINVAL);
	CHECK(sg_duration_parse("99999999999d", &d) == SG_EINVAL);

	char buf[48];
	sg_duration_format(3600, buf, sizeof(buf));
	CHECK_STR(buf, "1h");
	sg_duration_format(0, buf, sizeof(buf));
	CHECK_STR(buf, "0s");
	sg_duration_format(30 * 86400, buf, sizeof(buf));
	CHECK_STR(buf, "30d");
	sg_duration_format(365 * 86400 + 2 * 86400 + 8 * 3600 + 5, buf, sizeof(buf));
	CHECK_STR(buf, "1y 2d 8h");
}

int main(void)
{
	test_time_forms();
	test_time_rejects();
	test_time_format();
	test_durations();
	CHECK_DONE();
}
