/*
 * cli.h - what the files of hook/ share: the options every mode takes, the
 * report they write, and the exit codes of DESIGN.md section 6.
 */
#ifndef SG_CLI_H
#define SG_CLI_H

#include "sasguard.h"

#include <stdio.h>

enum {
	EXIT_CLEAN = 0,    /* nothing blocks */
	EXIT_FINDINGS = 1, /* at least one error finding */
	EXIT_USAGE = 2,    /* usage or configuration error */
	EXIT_INTERNAL = 3  /* git, I/O or internal error; an incomplete scan */
};

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF, FORMAT_HTML } report_format;

typedef enum { MODE_SCAN, MODE_PRE_COMMIT, MODE_PRE_RECEIVE, MODE_HISTORY, MODE_CONFIG, MODE_POLICY } run_mode;

/* Options common to every mode, and the positional arguments. */
typedef struct cli_opts {
	run_mode mode;
	const char *config;      /* --config FILE */
	report_format format;    /* --format */
	const char *output;      /* --output FILE */
	int64_t now;             /* --now, or the time the run started */
	int quiet;               /* --quiet: only findings that block, no summary */
	int show_allowed;        /* --show-allowed */
	int show_all_locations;  /* --show-all-locations: text lists every place of a token */
	int allow_missing;       /* --allow-missing: missing objects are noted, not an incomplete run */
	int show;                /* config --show */
	const char *account;     /* config --show --account NAME: that account's effective policy */
	int threads;             /* --threads N, 0 = the cores */
	const char *baseline;    /* --baseline FILE */
	const char *write_baseline; /* --write-baseline FILE */
	const char *state;       /* --state FILE: --all-history keeps what it judged for the next run */
	int nargs;
	char **args;             /* positional arguments (borrowed from argv) */
} cli_opts;

/* Parses argv after the mode word. Returns 0, or EXIT_USAGE after printing why. */
int cli_parse(cli_opts *o, int argc, char **argv);

/*
 * Builds the effective policy for the mode: defaults, the system file, then
 * the user's file and repo_file (client modes), server_file (pre-receive), and
 * --config. Returns 0 or EXIT_USAGE after printing the error.
 */
int cli_load_policy(const cli_opts *o, sg_policy *p, const char *repo_file, const char *server_file);

/*
 * Loads the baseline the run uses: --baseline FILE, else the policy's
 * [allow] baseline. *out stays NULL when there is none. A --baseline under a
 * locked policy is refused (an allowance loosens). Returns 0 or EXIT_USAGE.
 */
int cli_load_baseline(const cli_opts *o, const sg_policy *p, sg_baseline **out);

/* A scanner for the run: the policy, --now and the baseline (may be NULL, borrowed).
 * NULL after printing why. */
sg_scanner *cli_scanner(const cli_opts *o, const sg_policy *p, const sg_baseline *b);

/* Records an allowance a pusher invoked (syslog or server.log); no token, only its
 * fingerprint. how: "push-option allowance" or "inline allowance". */
int audit_allowance(const sg_policy *p, const sg_finding *f, const char *path, const char *commit,
		    const char *how, const char *reason);

/* The path of the system policy file: $SASGUARD_SYSTEM_CONFIG or /etc/sasguard.ini. */
const char *cli_system_config(void);

/* The modes, one file each. Each returns the exit code. */
int cmd_scan(cli_opts *o);
int cmd_config(cli_opts *o);
int cmd_pre_commit(cli_opts *o);
int cmd_pre_receive(cli_opts *o);
int cmd_history(cli_opts *o);
int cmd_policy(cli_opts *o); /* policy import FILE: [account] sections from `az storage account list` */

/* ---- report -------------------------------------------------------------- */

typedef struct report_stats {
	unsigned long long files;          /* files or blobs scanned */
	unsigned long long binary_skipped; /* skipped as binary */
	unsigned long long large_skipped;  /* skipped as larger than max_file_size */
	unsigned long long lfs_skipped;    /* skipped as valid LFS pointers */
	unsigned long long missing;        /* objects that should have been read but were not there */
	unsigned long long commits;        /* commits examined (git modes) */
	unsigned long long errors;         /* files that could not be read */
} report_stats;

typedef struct report report;

/* Opens the report: stdout, stderr (text in hook modes) or --output. NULL on error. */
report *report_open(const cli_opts *o, const sg_policy *p);

/* Adds a finding (the report takes ownership). path and commit are copied; commit may be NULL. */
int report_add(report *r, sg_finding *f, const char *path, const char *commit);

/* An audit of several repositories: findings and notes added from now on
 * belong to the repository at path (named in each, and one row each in the
 * summary). 0, or -1 out of memory. */
int report_repo(report *r, const char *path);
/* Why the current repository was not judged whole ("unreadable: ..."); the first one stays. */
void report_repo_status(report *r, const char *status);

/* A note for the person, kept apart from findings ("skipped x: binary"). */
void report_note(report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes everything; verdict is the last line of the text summary. Returns the exit code. */
int report_finish(report *r, const sg_stats *lib, const report_stats *st, const char *verdict_block,
		  const char *verdict_pass);

/*
 * --write-baseline: writes the fingerprints of every finding to path, then
 * marks the findings not otherwise allowed as allowed by that baseline.
 * Returns 0, or EXIT_INTERNAL after printing why.
 */
int report_write_baseline(report *r, const char *path);

/* Number of findings that block (severity error, not allowed). */
size_t report_blocking(const report *r);

void report_free(report *r);

/*
 * The one sanitizer for what sasguard prints to a person (termsafe.c): C0
 * controls, DEL, backslash and bytes that are not UTF-8 become \xNN; C1
 * controls (U+0080-U+009F) and bidirectional overrides become \uNNNN. Valid
 * UTF-8 text stays as it is. print_safe_n keeps '\n' when asked (multi-line
 * advice); print_safef formats, then sanitizes all but a final newline.
 */
void print_safe(FILE *out, const char *s);
void print_safe_n(FILE *out, const char *s, size_t n, int keep_newlines);
size_t utf8_seq_len(const unsigned char *s, size_t avail);
void print_safef(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
