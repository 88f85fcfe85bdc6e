/*
 * scanfiles.c - `sasguard scan FILE... | -`: whole files or stdin, no git.
 * Regular files are mapped; stdin and pipes are read in chunks cut at line
 * ends, so a file of any size is scanned in bounded memory.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (4u << 20)
/* A cut inside a line falls on a byte no token holds, found within this reach. */
#define CUT_REACH (64u << 10)

typedef struct scan_run {
	const cli_opts *o;
	const sg_policy *p;
	sg_scanner *s;
	report *r;
	report_stats st;
	int failed; /* an I/O or internal error: exit 3 unless findings block */
} scan_run;

static int keep_findings(scan_run *run, sg_findings *found, const char *path)
{
	for (size_t i = 0; i < found->count; i++) {
		if (report_add(run->r, found->items[i], path, NULL) < 0) {
			found->items[i] = NULL;
			return -1;
		}
		found->items[i] = NULL;
	}
	found->count = 0;
	return 0;
}

/* col: how far into its line buf starts (a chunk of stdin cut inside a long line). */
static int scan_bytes(scan_run *run, const char *path, const char *buf, size_t len, sg_text_encoding enc,
		      size_t line, size_t col)
{
	sg_findings found;
	sg_findings_init(&found);
	int rc = sg_scan_buffer_as(run->s, path, buf, len, enc, line, &found);
	for (size_t i = 0; i < found.count; i++)
		if (found.items[i]->line == line)
			found.items[i]->column += col;
	if (keep_findings(run, &found, path) < 0)
		rc = SG_ENOMEM;
	sg_findings_clear(&found);
	if (rc == SG_ELIMIT) {
		report_note(run->r, "%s: a pattern hit its match limit; part of it was not scanned", path);
		run->failed = 1;
	} else if (rc < 0) {
		print_safef(stderr, "sasguard: %s: scan failed (%d)\n", path, rc);
		run->failed = 1;
	}
	return rc;
}

/*
 * A stream is cut into chunks in whole characters of its encoding: bytes, or
 * UTF-16 code units (2 bytes, the ASCII byte first in little-endian). ascii_at
 * says which ASCII character the unit at b[i] is, or -1.
 */
static int ascii_at(const char *b, size_t i, sg_text_encoding enc)
{
	if (enc == SG_TEXT_BYTES)
		return (unsigned char)b[i];
	const char *lo = enc == SG_TEXT_UTF16LE ? b + i : b + i + 1;
	const char *hi = enc == SG_TEXT_UTF16LE ? b + i + 1 : b + i;
	return *hi == 0 && (unsigned char)*lo < 0x80 ? *lo : -1;
}

static size_t count_newlines(const char *b, size_t n, sg_text_encoding enc)
{
	size_t k = 0;
	if (enc != SG_TEXT_BYTES) {
		for (size_t i = 0; i + 1 < n; i += 2)
			k += ascii_at(b, i, enc) == '\n';
		return k;
	}
	for (const char *p = b, *e = b + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
		k++;
	return k;
}

/* Bytes of UTF-8 that UTF-16 b[from..n) decodes to (a surrogate counts half of its pair's 4). */
static size_t utf8_bytes(const char *b, size_t from, size_t n, sg_text_encoding enc)
{
	size_t k = 0;
	for (size_t i = from; i + 1 < n; i += 2) {
		unsigned u = enc == SG_TEXT_UTF16LE ? (unsigned char)b[i] | (unsigned char)b[i + 1] << 8
						   : (unsigned char)b[i] << 8 | (unsigned char)b[i + 1];
		k += u < 0x80 ? 1 : u < 0x800 || (u >= 0xd800 && u < 0xe000) ? 2 : 3;
	}
	return k;
}

/* The column the next chunk starts at: what follows the last newline of b[0..n). */
static size_t tail_column(const char *b, size_t n, sg_text_encoding enc, size_t col)
{
	if (enc == SG_TEXT_BYTES) {
		const char *last = memrchr(b, '\n', n);
		return last ? (size_t)(b + n - last - 1) : col + n;
	}
	for (size_t i = n - n % 2; i >= 2; i -= 2)
		if (ascii_at(b, i - 2, enc) == '\n')
			return utf8_bytes(b, i, n, enc);
	return col + utf8_bytes(b, 0, n, enc);
}

/* Where to end this chunk: after its last newline, else at a character no token holds. */
static size_t chunk_cut(const char *b, size_t n, sg_text_encoding enc)
{
	size_t unit = enc == SG_TEXT_BYTES ? 1 : 2;
	n -= n % unit;
	for (size_t i = n; i >= unit && n - i < CUT_REACH; i -= unit)
		if (ascii_at(b, i - unit, enc) == '\n')
			return i;
	for (size_t i = n; i >= unit && n - i < CUT_REACH; i -= unit) {
		int c = ascii_at(b, i - unit, enc);
		if (c > 0 && strchr(" \t\r\"'<>`()[]{}|", c))
			return i;
	}
	return n;
}

static int scan_stream(scan_run *run, int fd, const char *path)
{
	char *buf = malloc(CHUNK);
	size_t len = 0, line = 1, col = 0;
	int eof = 0, first = 1;
	sg_text_encoding enc = SG_TEXT_BYTES;
	if (!buf)
		return -1;
	while (!eof || len) {
		while (!eof && len < CHUNK) {
			ssize_t n = read(fd, buf + len, CHUNK - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				print_safef(stderr, "sasguard: %s: read error: %s\n", path, strerror(errno));
				run->failed = 1;
				run->st.errors++;
				free(buf);
				return -1;
			}
			if (n == 0)
				eof = 1;
			len += (size_t)n;
		}
		if (first && !run->p->scan_binary && sg_buffer_is_binary(buf, len)) {
			run->st.binary_skipped++;
			report_note(run->r, "%s: binary (a NUL byte in its first 8000 bytes): skipped", path);
			free(buf);
			return 0;
		}
		if (first)
			enc = sg_text_detect(buf, len);
		first = 0;
		size_t cut = eof ? len : chunk_cut(buf, len, enc);
		scan_bytes(run, path, buf, cut, enc, line, col);
		line += count_newlines(buf, cut, enc);
		col = tail_column(buf, cut, enc, col);
		memmove(buf, buf + cut, len - cut);
		len -= cut;
	}
	run->st.files++;
	free(buf);
	return 0;
}

static int scan_path(scan_run *run, const char *path)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		return scan_stream(run, 0, "-");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		print_safef(stderr, "sasguard: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		run->failed = 1;
		run->st.errors++;
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		print_safef(stderr, "sasguard: %s: is a directory (scan takes files; for a repository use --all-history)\n", path);
		close(fd);
		run->failed = 1;
		run->st.errors++;
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		int rc = scan_stream(run, fd, path);
		close(fd);
		return rc;
	}
	if ((uint64_t)st.st_size > run->p->max_file_size) {
		run->st.large_skipped++;
		report_note(run->r, "%s: %lld bytes is over max_file_size (%llu): skipped", path,
			    (long long)st.st_size, (unsigned long long)run->p->max_file_size);
		close(fd);
		return 0;
	}
	const char *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		print_safef(stderr, "sasguard: %s: cannot map: %s\n", path, strerror(errno));
		run->failed = 1;
		run->st.errors++;
		return -1;
	}
	if (!run->p->scan_binary && sg_buffer_is_binary(map, (size_t)st.st_size)) {
		run->st.binary_skipped++;
		report_note(run->r, "%s: binary (a NUL byte in its first 8000 bytes): skipped", path);
	} else {
		scan_bytes(run, path, map, (size_t)st.st_size, sg_text_detect(map, (size_t)st.st_size), 1, 0);
		run->st.files++;
	}
	munmap((void *)map, (size_t)st.st_size);
	return 0;
}

int cmd_scan(cli_opts *o)
{
	sg_policy p;
	scan_run run;
	int rc;

	if (o->nargs == 0) {
		fprintf(stderr, "sasguard: scan needs FILE... or - for stdin\nTry 'sasguard --help'.\n");
		return EXIT_USAGE;
	}
	if ((rc = cli_load_policy(o, &p, NULL, NULL)) != 0)
		return rc;
	memset(&run, 0, sizeof(run));
	run.o = o;
	run.p = &p;
	sg_baseline *base = NULL;
	if ((rc = cli_load_baseline(o, &p, &base)) != 0 || !(run.s = cli_scanner(o, &p, base)) ||
	    !(run.r = report_open(o, &p))) {
		sg_scanner_free(run.s);
		sg_baseline_free(base);
		sg_policy_free(&p);
		return rc ? rc : EXIT_INTERNAL;
	}
	for (int i = 0; i < o->nargs; i++)
		scan_path(&run, o->args[i]);
	if (o->write_baseline && report_write_baseline(run.r, o->write_baseline) != 0)
		run.failed = 1;
	rc = report_finish(run.r, sg_scanner_stats(run.s), &run.st, "tokens above break the policy",
			   run.failed ? "the scan is incomplete (see above)" : "no token breaks the policy");
	if (rc == EXIT_CLEAN && run.failed)
		rc = EXIT_INTERNAL;
	report_free(run.r);
	sg_scanner_free(run.s);
	sg_baseline_free(base);
	sg_policy_free(&p);
	return rc;
}
