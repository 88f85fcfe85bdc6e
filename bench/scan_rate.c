/*
 * scan_rate.c - library scan throughput (sg_scan_buffer) on one core, in MB/s:
 * token-free text (also as UTF-16) and text dense with tokens, generated in
 * memory, or a file.
 *   scan_rate [MB]            generated text, MB megabytes each (default 1024)
 *   scan_rate --file PATH     a file of your own, read whole
 */
#include "sasguard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Source-like text: identifiers, '=' and '%' (what the prefilter stops at), no tokens. */
static const char *const clean_lines[] = {
	"    for (size_t i = 0; i < n; i++) total += weights[i] * x[i]; // accumulate\n",
	"config.timeout = 30 # seconds; retries=3, backoff=\"exponential\"\n",
	"The storage account holds 38 TB of backups; 100% of them are encrypted at rest.\n",
	"url = https://example.com/search?q=signal&lang=en&page=2\n",
	"<a href=\"/docs/design.html\">design</a> and <b>signature</b> checks; width=80%\n",
	"SELECT name, sig_count FROM events WHERE kind = 'sig' AND ratio > 0.5;\n",
};

static const char *const token_lines[] = {
	"x = https://a1.blob.core.windows.net/c/b?sv=2021-06-08&sr=b&sp=rw&se=2028-01-01T00:00:00Z&spr=https&sig=ypeBEsobvcr6wjGzmiPcTaeG7%2FgUfE5yuYB3ha%2FuSLs%3D\n",
	"conn = DefaultEndpointsProtocol=https;AccountName=acct5;AccountKey=KvipEEs/ZO1kDYx+KY0tSA8Do2EMvCszR0Mh7FkCSkhZLqhUXkHgnV0RCHWd9I7eAFTyJd851PDzEkUOCqndJQ==;EndpointSuffix=core.windows.net\n",
	"ph = https://a.blob.core.windows.net/c/b?sv=2022-11-02&sr=b&sp=r&se=2026-11-23&sig=...\n",
};

static char *fill(size_t size, const char *const *lines, size_t nlines)
{
	char *buf = malloc(size + 1);
	size_t n = 0, i = 0;
	if (!buf)
		return NULL;
	while (n < size) {
		const char *l = lines[i++ % nlines];
		size_t len = strlen(l);
		if (len > size - n)
			len = size - n;
		memcpy(buf + n, l, len);
		n += len;
	}
	buf[size] = '\0';
	return buf;
}

static void measure(const char *label, const char *buf, size_t len)
{
	sg_policy p;
	sg_scanner *s;
	sg_diag d;
	sg_findings f;
	sg_policy_init(&p);
	if (sg_scanner_new(&s, &p, &d) < 0) {
		fprintf(stderr, "%s\n", d.msg);
		exit(3);
	}
	sg_findings_init(&f);
	double best = 1e9;
	size_t found = 0;
	for (int run = 0; run < 3; run++) {
		double t0 = now_s();
		sg_scan_buffer(s, NULL, buf, len, 1, &f);
		double t = now_s() - t0;
		best = t < best ? t : best;
		found = f.count;
		sg_findings_clear(&f);
	}
	printf("%-22s %8.1f MB  best of 3: %7.3f s  %8.1f MB/s  findings %zu\n", label, (double)len / 1e6, best,
	       (double)len / 1e6 / best, found);
	sg_scanner_free(s);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--file") == 0) {
		FILE *fp = fopen(argv[2], "rb");
		if (!fp)
			return perror(argv[2]), 2;
		fseek(fp, 0, SEEK_END);
		long n = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		char *buf = malloc((size_t)n + 1);
		if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n)
			return 3;
		fclose(fp);
		measure(argv[2], buf, (size_t)n);
		free(buf);
		return 0;
	}
	size_t mb = argc > 1 ? (size_t)atol(argv[1]) : 1024;
	char *clean = fill(mb << 20, clean_lines, sizeof(clean_lines) / sizeof(clean_lines[0]));
	measure("token-free text", clean, mb << 20);
	/* The same text as UTF-16LE with a BOM (PowerShell 5's `>`): decoded, then scanned. */
	size_t wide_len = (mb << 20) / 4 * 2; /* a quarter of the text, twice the bytes a character */
	char *wide = malloc(wide_len + 2);
	if (wide) {
		wide[0] = '\xff';
		wide[1] = '\xfe';
		for (size_t i = 0; i < wide_len / 2; i++) {
			wide[2 + 2 * i] = clean[i];
			wide[3 + 2 * i] = '\0';
		}
		measure("token-free UTF-16", wide, wide_len + 2);
		free(wide);
	}
	free(clean);
	size_t dense_mb = mb / 16 ? mb / 16 : 1;
	char *dense = fill(dense_mb << 20, token_lines, sizeof(token_lines) / sizeof(token_lines[0]));
	measure("token-dense text", dense, dense_mb << 20);
	free(dense);
	return 0;
}
