/* test_judge.c - every rule on and off, expiry, severities, and the advice. */
#include "check.h"

#define SIG "ypeBEsobvcr6wjGzmiPcTaeG7%2FgUfE5yuYB3ha%2FuSLs%3D"
#define INCIDENT "https://robustnessws4285631339.blob.core.windows.net/?sv=2020-08-04&ss=bfqt&srt=sco" \
	"&sp=rwdlacupitfx&se=2051-10-06T07:09:59Z&st=2021-10-05T23:09:59Z&spr=https,http&sig=" SIG

static char rules[256];
static sg_finding last;
static int found;

/* Judges text under p; returns the rules broken ("" when no finding). */
static const char *judge(const sg_policy *p, const char *text)
{
	sg_token t;
	if (found)
		sg_token_clear(&last.token);
	found = 0;
	rules[0] = '\0';
	if (sg_token_parse(text, strlen(text), &t) != SG_OK)
		return "(no token)";
	if (sg_token_judge(&t, p, TEST_NOW, &last) == 1) {
		found = 1;
		CHECK(t.arena == NULL); /* moved into the finding */
		return rules_of(&last, rules, sizeof(rules));
	}
	sg_token_clear(&t);
	return rules;
}

static void test_incident(void)
{
	sg_policy p;
	sg_policy_init(&p);
	CHECK_STR(judge(&p, INCIDENT), "account-sas,permissions,lifetime,http");
	CHECK_INT(last.severity, SG_SEV_ERROR);
	CHECK(sg_finding_blocks(&last));
	CHECK(last.live && !last.expired);
	CHECK_INT(last.expires, 2580188999LL);
	/* the permissions message names each extra letter and what it grants */
	CHECK(strstr(last.violations[1].detail, "w write") != NULL);
	CHECK(strstr(last.violations[1].detail, "x delete version") != NULL);
	CHECK(strstr(last.violations[1].detail, "r read") == NULL);
	CHECK_STR(last.violations[1].limit, "rl");
	CHECK(strstr(last.violations[2].value, "30y") != NULL);
	CHECK_STR(last.violations[2].limit, "7d");
	CHECK_STR(last.violations[3].value, "spr=https,http");
}

static void test_each_rule_off(void)
{
	static const struct {
		sg_rule rule;
		const char *without;
	} cases[] = {
		{ SG_RULE_ACCOUNT_SAS, "permissions,lifetime,http" },
		{ SG_RULE_PERMISSIONS, "account-sas,lifetime,http" },
		{ SG_RULE_LIFETIME, "account-sas,permissions,http" },
		{ SG_RULE_HTTP, "account-sas,permissions,lifetime" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sg_policy p;
		sg_policy_init(&p);
		p.severity[cases[i].rule] = SG_SEV_OFF;
		CHECK_STR(judge(&p, INCIDENT), cases[i].without);
	}
	sg_policy p;
	sg_policy_init(&p);
	for (int r = 0; r < SG_RULE_COUNT; r++)
		p.severity[r] = SG_SEV_OFF;
	CHECK_STR(judge(&p, INCIDENT), "");
	CHECK(!found);
}

static void test_permissions(void)
{
	sg_policy p;
	sg_policy_init(&p);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=rl&se=2026-11-24&spr=https&sig=" SIG), "");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=rz&se=2026-11-24&spr=https&sig=" SIG), "permissions");
	CHECK(strstr(last.violations[0].detail, "z (unknown letter: judged as broad)") != NULL);
	strcpy(p.allowed_permissions, "rwl");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=rw&se=2026-11-24&spr=https&sig=" SIG), "");
	strcpy(p.allowed_permissions, "");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-24&spr=https&sig=" SIG), "permissions");
}

/* Every permission letter judged alone, under the default policy (rl) and
 * under a policy that allows exactly that letter: a rule that skips or
 * misreads one letter fails here, whichever letter it is. */
static void test_each_permission_letter(void)
{
	for (char c = 'a'; c <= 'z'; c++) {
		char text[160];
		sg_policy p;
		sg_policy_init(&p);
		snprintf(text, sizeof(text), "sv=2022-11-02&sr=b&sp=%c&se=2026-11-24&spr=https&sig=%s", c, SIG);
		const char *want = c == 'r' || c == 'l' ? "" : "permissions";
		const char *got = judge(&p, text);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "sp=%c under allowed_permissions=rl: \"%s\", want \"%s\"\n", c, got, want);
			check_failures++;
		} else if (*want) {
			char value[8];
			snprintf(value, sizeof(value), "sp=%c", c);
			CHECK_STR(last.violations[0].value, value);
		}
		/* after a letter the policy allows, the same letter still counts */
		snprintf(text, sizeof(text), "sv=2022-11-02&sr=b&sp=r%c&se=2026-11-24&spr=https&sig=%s", c, SIG);
		if (strcmp(judge(&p, text), want) != 0) {
			fprintf(stderr, "sp=r%c under allowed_permissions=rl: want \"%s\"\n", c, want);
			check_failures++;
		}
		p.allowed_permissions[0] = c;
		p.allowed_permissions[1] = '\0';
		snprintf(text, sizeof(text), "sv=2022-11-02&sr=b&sp=%c&se=2026-11-24&spr=https&sig=%s", c, SIG);
		if (strcmp(judge(&p, text), "") != 0) {
			fprintf(stderr, "sp=%c under allowed_permissions=%c: a finding\n", c, c);
			check_failures++;
		}
		snprintf(text, sizeof(text), "sv=2022-11-02&sr=b&sp=%c&se=2026-11-24&spr=https&sig=%s",
			 c == 'z' ? 'a' : c + 1, SIG);
		if (strcmp(judge(&p, text), "permissions") != 0) {
			fprintf(stderr, "sp=%c under allowed_permissions=%c: no finding\n", c == 'z' ? 'a' : c + 1, c);
			check_failures++;
		}
	}
}

/* An account SAS is known by ss or by srt, each alone: either makes the token
 * span the account, and neither may pass as a service SAS. */
static void test_account_sas_by_either(void)
{
	static const char *const marks[] = { "ss=b&", "srt=o&", "ss=b&srt=o&" };
	sg_policy p;
	sg_policy_init(&p);
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		char text[200];
		snprintf(text, sizeof(text), "sv=2022-11-02&%ssp=r&se=2026-11-24&spr=https&sip=10.0.0.1&sig=%s", marks[i], SIG);
		CHECK_STR(judge(&p, text), "account-sas");
		CHECK_INT(last.token.kind, SG_KIND_ACCOUNT_SAS);
		CHECK_INT(last.severity, SG_SEV_ERROR);
	}
	/* neither: a service SAS, which this policy lets through */
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-24&spr=https&sip=10.0.0.1&sig=" SIG), "");
}

static void test_lifetime(void)
{
	sg_policy p;
	sg_policy_init(&p);
	/* exactly the limit passes; one second more does not */
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&st=2026-11-23T00:00Z&se=2026-11-30T00:00:00Z&spr=https&sig=" SIG), "");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&st=2026-11-23T00:00Z&se=2026-11-30T00:00:01Z&spr=https&sig=" SIG),
		  "lifetime");
	/* without st, the lifetime counts from now */
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-29&spr=https&sig=" SIG), "");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-12-01&spr=https&sig=" SIG), "lifetime");
	CHECK(strstr(last.violations[0].value, "now 2026-11-23T00:00:00Z") != NULL);
	/* a user delegation SAS cannot outlive its key: ske caps se */
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&st=2026-11-23&se=2027-11-23&skoid=o&sktid=t&ske=2026-11-25"
			    "&spr=https&sig=" SIG), "");
	p.max_lifetime = 3600;
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&st=2026-11-23T00:00Z&se=2026-11-23T01:00Z&spr=https&sig=" SIG), "");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&st=2026-11-23T00:00Z&se=2026-11-23T01:01Z&spr=https&sig=" SIG),
		  "lifetime");
}

static void test_http_scope_ip(void)
{
	sg_policy p;
	sg_policy_init(&p);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=c&sp=r&se=2026-11-24&sig=" SIG), "http");
	CHECK_STR(last.violations[0].value, "spr absent");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=c&sp=r&se=2026-11-24&spr=http&sig=" SIG), "http");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=c&sp=r&se=2026-11-24&spr=http,https&sig=" SIG), "http");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=c&sp=r&se=2026-11-24&spr=https&sig=" SIG), "");
	p.severity[SG_RULE_SCOPE] = SG_SEV_ERROR;
	p.severity[SG_RULE_IP_UNRESTRICTED] = SG_SEV_WARNING;
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=c&sp=r&se=2026-11-24&spr=https&sig=" SIG), "scope,ip-unrestricted");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=d&sp=r&se=2026-11-24&spr=https&sig=" SIG), "scope,ip-unrestricted");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-24&spr=https&sip=10.0.0.1&sig=" SIG), "");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-24&spr=https&sig=" SIG), "ip-unrestricted");
	CHECK_INT(last.severity, SG_SEV_WARNING);
	CHECK(!sg_finding_blocks(&last));
}

static void test_stored_policy_keys_unparseable(void)
{
	sg_policy p;
	sg_policy_init(&p);
	CHECK_STR(judge(&p, "sv=2022-11-02&si=readers&sr=b&spr=https&sig=" SIG), "stored-policy");
	CHECK_INT(last.severity, SG_SEV_WARNING);
	CHECK(last.live);
	CHECK_INT(last.expires, SG_TIME_NONE);
	CHECK_STR(judge(&p, "sv=2022-11-02&si=readers&sr=b&se=2026-11-24&spr=https&sig=" SIG), "");
	CHECK_STR(judge(&p, "AccountName=a;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ=="),
		  "account-key");
	CHECK(last.live && last.expires == SG_TIME_NONE);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=next-tuesday&spr=https&sig=" SIG), "unparseable");
	CHECK_STR(last.violations[0].value, "se=next-tuesday");
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&spr=https&sig=" SIG), "unparseable");
	CHECK_STR(last.violations[0].value, "sp absent, se absent");
	p.severity[SG_RULE_UNPARSEABLE] = SG_SEV_OFF;
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=next-tuesday&spr=https&sig=" SIG), "");
}

static void test_expired(void)
{
	const char *old = "sv=2019-10-10&ss=b&srt=sco&sp=rlx&se=2021-10-05T15:06:23Z&st=2020-06-10T07:06:23Z"
			  "&spr=https&sig=" SIG;
	sg_policy p;
	sg_policy_init(&p);
	CHECK_STR(judge(&p, old), "account-sas,permissions,lifetime");
	CHECK(last.expired && !last.live);
	CHECK_INT(last.severity, SG_SEV_INFO);
	CHECK(!sg_finding_blocks(&last));
	p.expired = SG_SEV_ERROR;
	judge(&p, old);
	CHECK(sg_finding_blocks(&last));
	p.expired = SG_SEV_OFF;
	CHECK_STR(judge(&p, old), "");
	CHECK(!found);
	/* expiry at the second: se == now grants nothing, one second later still does */
	sg_policy_init(&p);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=rw&se=2026-11-23T00:00:00Z&spr=https&sig=" SIG), "permissions");
	CHECK(last.expired && !last.live);
	CHECK_INT(last.severity, SG_SEV_INFO);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=rw&se=2026-11-23T00:00:01Z&spr=https&sig=" SIG), "permissions");
	CHECK(!last.expired && last.live);
	CHECK_INT(last.severity, SG_SEV_ERROR);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=rw&se=2026-11-22T23:59:59Z&spr=https&sig=" SIG), "permissions");
	CHECK(last.expired);
	/* an expired token that broke no rule is no finding, whatever expired says */
	sg_policy_init(&p);
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-01&st=2026-10-31&spr=https&sig=" SIG), "");
	CHECK(!found);
	p.expired = SG_SEV_ERROR;
	CHECK_STR(judge(&p, "sv=2022-11-02&sr=b&sp=r&se=2026-11-01&st=2026-10-31&spr=https&sig=" SIG), "");
	CHECK(!found);
}

static void test_advice(void)
{
	sg_policy p;
	char buf[2048];
	sg_policy_init(&p);
	judge(&p, INCIDENT);
	sg_finding_fix(&last, &p, buf, sizeof(buf));
	CHECK(strstr(buf, "az storage blob generate-sas --account-name robustnessws4285631339") != NULL);
	CHECK(strstr(buf, "--https-only") && strstr(buf, "--permissions rl") && strstr(buf, "--as-user"));
	sg_finding_revoke(&last, buf, sizeof(buf));
	CHECK(strstr(buf, "az storage account keys renew --account-name robustnessws4285631339") != NULL);

	judge(&p, "https://acme.blob.core.windows.net/data/x.csv?sp=rw&st=2026-11-22&se=2027-11-28&skoid=o&sktid=t"
		  "&ske=2027-11-28&spr=https&sv=2022-11-02&sr=b&sig=" SIG);
	sg_finding_fix(&last, &p, buf, sizeof(buf));
	CHECK(strstr(buf, "--container-name data --name x.csv --permissions r ") != NULL);
	sg_finding_revoke(&last, buf, sizeof(buf));
	CHECK(strstr(buf, "revoke-delegation-keys --name acme") != NULL);

	judge(&p, "https://acme.blob.core.windows.net/data/x.csv?sv=2022-11-02&si=readers&sr=b&spr=https&sig=" SIG);
	sg_finding_revoke(&last, buf, sizeof(buf));
	CHECK(strstr(buf, "policy delete --account-name acme") && strstr(buf, "--name readers"));

	judge(&p, "SharedAccessSignature sr=https%3A%2F%2Fns1.servicebus.windows.net%2Fq&sig=" SIG "&se=1826928000&skn=send");
	sg_finding_revoke(&last, buf, sizeof(buf));
	CHECK(strstr(buf, "authorization-rule keys renew") && strstr(buf, "--name send"));

	/* names that are not Azure names never reach a suggested shell command */
	judge(&p, "https://a$(rm).blob.core.windows.net/c;x/b?sv=2022-11-02&sr=b&sp=rw&se=2027-01-01&spr=https&sig=" SIG);
	sg_finding_fix(&last, &p, buf, sizeof(buf));
	CHECK(strstr(buf, "$(rm") == NULL && strstr(buf, "c;x") == NULL);
}

int main(void)
{
	test_incident();
	test_each_rule_off();
	test_permissions();
	test_each_permission_letter();
	test_account_sas_by_either();
	test_lifetime();
	test_http_scope_ip();
	test_stored_policy_keys_unparseable();
	test_expired();
	test_advice();
	if (found)
		sg_token_clear(&last.token);
	CHECK_DONE();
}
