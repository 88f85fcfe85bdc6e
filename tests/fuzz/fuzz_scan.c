/*
 * fuzz_scan.c - libFuzzer harness for the scanner and the token parser.
 *
 * The input is scanned as one buffer (default policy, "now" fixed at
 * 2026-11-23T00:00:00Z, a path so that [allow] matching runs) and also parsed
 * directly as one token, which is judged against the default policy and a
 * strict one (every rule an error). Every finding is checked for the promises the
 * library makes (abort() when one is broken, so that libFuzzer and the
 * replay test see it): its display text is printable ASCII and never holds
 * the full signature, nor does any rule's value or detail, its position lies
 * within the input, and the advice written for it neither overflows nor
 * repeats the signature. UTF-16 input gives the findings of its UTF-8 and
 * of its raw bytes, less those the raw bytes' UTF-16 runs give again.
 *
 * Built with clang -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt) or, with
 * replay.c, as a plain program that replays files (tests/CMakeLists.txt).
 */
#include "sasguard.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795392000 /* 2026-11-23T00:00:00Z, the corpus's "now" */

static sg_policy policy;
static sg_policy strict; /* every rule an error: the rules that are off by default run too */
static sg_scanner *scanner;

static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_scan: invariant broken: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

static void setup(void)
{
	sg_diag diag = { "" };
	sg_policy_init(&policy);
	if (sg_scanner_new(&scanner, &policy, &diag) != SG_OK)
		broken("sg_scanner_new failed", diag.msg);
	sg_scanner_set_now(scanner, NOW);
	sg_policy_init(&strict);
	for (int r = 0; r < SG_RULE_COUNT; r++)
		strict.severity[r] = SG_SEV_ERROR;
	strcpy(strict.allowed_permissions, "r");
	strict.max_lifetime = 3600;
	strict.expired = SG_SEV_WARNING;
}

/* display is printable ASCII and does not reveal the signature. */
static void check_token(const sg_token *t)
{
	if (!t->display)
		broken("token without display", NULL);
	for (const char *c = t->display; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			broken("display is not printable ASCII", NULL);
	if (t->sig && strlen(t->sig) >= 8 && strstr(t->display, t->sig))
		broken("display holds the full signature", t->display);
	if (strlen(t->fingerprint) != 32 || strlen(t->secret_head) > 4)
		broken("fingerprint or secret head malformed", t->fingerprint);
}

/* The advice texts fit their buffer, say how long they are, and hold no signature. */
static void check_advice(const sg_finding *f, const sg_policy *p)
{
	char buf[2048], small[24];
	const char *sig = f->token.sig;

	size_t n = sg_finding_fix(f, p, buf, sizeof(buf));
	if (n >= sizeof(buf) || strlen(buf) != n)
		broken("sg_finding_fix length", buf);
	if (sig && strlen(sig) >= 8 && strstr(buf, sig))
		broken("fix advice holds the signature", buf);
	n = sg_finding_revoke(f, buf, sizeof(buf));
	if (n >= sizeof(buf) || strlen(buf) != n)
		broken("sg_finding_revoke length", buf);
	if (sig && strlen(sig) >= 8 && strstr(buf, sig))
		broken("revoke advice holds the signature", buf);
	/* Truncation into a small buffer stays inside it. */
	if (sg_finding_fix(f, p, small, sizeof(small)) >= sizeof(small) ||
	    sg_finding_revoke(f, small, sizeof(small)) >= sizeof(small))
		broken("advice overflows a small buffer", NULL);
}

static void check_finding(const sg_finding *f, size_t size, const sg_policy *p)
{
	check_token(&f->token);
	if (f->line < 1 || f->column < 1)
		broken("line or column below 1", NULL);
	if (f->token.offset > size || f->token.length > size - f->token.offset)
		broken("token lies outside the input", NULL);
	if (f->nviolations == 0 || f->nviolations > SG_RULE_COUNT)
		broken("finding with no or too many violations", NULL);
	/* What the report prints of each broken rule does not reveal it either. */
	const char *sig = f->token.sig;
	for (size_t i = 0; i < f->nviolations && sig && strlen(sig) >= 8; i++)
		if (strstr(f->violations[i].value, sig) || strstr(f->violations[i].detail, sig))
			broken("a violation holds the full signature", f->violations[i].value);
	(void)sg_finding_blocks(f);
	check_advice(f, p);

	/* A copy rebases every pointer into its own arena. */
	sg_finding *d = sg_finding_dup(f);
	if (!d)
		return; /* out of memory: not a bug */
	if (strcmp(d->token.display, f->token.display) != 0 ||
	    (f->token.arena && d->token.display == f->token.display))
		broken("sg_finding_dup display", NULL);
	sg_finding_free(d);
}

static int same_place(const sg_finding *a, const sg_finding *b)
{
	return a->line == b->line && a->column == b->column &&
	       strcmp(a->token.fingerprint, b->token.fingerprint) == 0;
}

static int has_fingerprint(const sg_findings *l, const char *fp)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i]->token.fingerprint, fp) == 0)
			return 1;
	return 0;
}

/* UTF-16 input: its findings are those of the UTF-8 it decodes to, then those
 * of its raw bytes, each scanned as bytes, in order; except that a finding of
 * the raw bytes may be left out when it was read from a UTF-16 run (its note
 * says so) and the decoded text gave its token already. */
static void check_utf16(const char *buf, size_t size, sg_text_encoding enc, const sg_findings *l)
{
	char *text;
	size_t n;
	sg_findings dec, raw;

	if (sg_buffer_is_binary(buf, size))
		broken("UTF-16 text called binary", NULL);
	if (sg_text_decode(buf, size, enc, &text, &n) != SG_OK)
		return; /* out of memory: not a bug */
	sg_findings_init(&dec);
	sg_findings_init(&raw);
	if (sg_scan_buffer_as(scanner, "fuzz/input.md", text, n, SG_TEXT_BYTES, 1, &dec) == SG_OK &&
	    sg_scan_buffer_as(scanner, "fuzz/input.md", buf, size, SG_TEXT_BYTES, 1, &raw) == SG_OK) {
		size_t at = 0;
		for (size_t i = 0; i < dec.count; i++, at++)
			if (at >= l->count || !same_place(dec.items[i], l->items[at]))
				broken("UTF-16 places a finding otherwise than its UTF-8", NULL);
		for (size_t i = 0; i < raw.count; i++) {
			if (at < l->count && same_place(raw.items[i], l->items[at]))
				at++;
			else if (!strstr(raw.items[i]->note, "UTF-16") ||
				 !has_fingerprint(&dec, raw.items[i]->token.fingerprint))
				broken("UTF-16 loses a finding of its bytes", NULL);
		}
		if (at != l->count)
			broken("UTF-16 gives findings neither its UTF-8 nor its bytes give", NULL);
	}
	sg_findings_clear(&dec);
	sg_findings_clear(&raw);
	free(text);
}

static void scan(const char *buf, size_t size)
{
	sg_findings l;
	sg_text_encoding enc = sg_text_detect(buf, size);
	size_t bound = size;
	sg_findings_init(&l);
	int rc = sg_scan_buffer(scanner, "fuzz/input.md", buf, size, 1, &l);
	if (rc != SG_OK && rc != SG_ELIMIT && rc != SG_ENOMEM)
		broken("sg_scan_buffer returned an unexpected status", NULL);
	if (enc != SG_TEXT_BYTES)
		bound = size / 2 * 3 + 3; /* positions count bytes of the decoded UTF-8 */
	for (size_t i = 0; i < l.count; i++)
		check_finding(l.items[i], bound, &policy);
	if (enc != SG_TEXT_BYTES && rc == SG_OK)
		check_utf16(buf, size, enc, &l);
	sg_findings_clear(&l);
	(void)sg_buffer_is_binary(buf, size);
}

static void parse(const char *buf, size_t size)
{
	sg_token tok;
	int rc = sg_token_parse(buf, size, &tok);
	if (rc != SG_OK) {
		if (rc != SG_EINVAL && rc != SG_ENOMEM)
			broken("sg_token_parse returned an unexpected status", NULL);
		return;
	}
	check_token(&tok);
	if (tok.kind >= SG_KIND_COUNT)
		broken("token kind out of range", NULL);
	sg_finding f;
	if (sg_token_judge(&tok, &strict, NOW, &f)) {
		if (tok.arena)
			broken("judged token kept its arena", NULL);
		f.line = f.column = 1;
		check_finding(&f, size, &strict);
		tok.arena = f.token.arena; /* take it back to judge again */
	}
	if (sg_token_judge(&tok, &policy, NOW, &f)) {
		if (tok.arena)
			broken("judged token kept its arena", NULL);
		f.line = f.column = 1;
		check_finding(&f, size, &policy);
		free(f.token.arena);
	} else {
		sg_token_clear(&tok);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!scanner)
		setup();
	scan((const char *)data, size);
	parse((const char *)data, size);
	return 0;
}
