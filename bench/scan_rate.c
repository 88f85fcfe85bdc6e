/*
 * scan_rate.c - library scan throughput (sg_scan_buffer) on one core, in MB/s:
 * token-free text (also as UTF-16), token-free binary content (random bytes;
 * an executable-like mix of NULs, numbers and UTF-16 strings) and text dense
 * with tokens, generated in memory, or a file.
 *   scan_rate [MB]            generated text, MB megabytes each (default 1024)
 *   scan_rate --file PATH     a file of your own, read whole
 */
#include "sasguard.h"

#include <stdint.h>
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

/* Strings an executable or a .NET assembly holds, some with the '=' and '%'
 * the prefilter stops at; stored as UTF-16LE and as ASCII. */
static const char *const binary_strings[] = {
	"System.Collections.Generic", "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089",
	"C:\\Program Files\\Contoso\\bin\\app.dll", "Data Source=db01;Initial Catalog=orders;Integrated Security=true",
	"progress: %d%% done", "https://example.com/api/v2?page=1&size=50", "Signature verification failed",
};

/* xorshift64: incompressible bytes, the same on every run. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Random bytes, as compressed files and images are. */
static char *fill_random(size_t size)
{
	char *buf = malloc(size + 8);
	uint64_t x = 88172645463325252ull;
	if (!buf)
		return NULL;
	for (size_t i = 0; i < size; i += 8) {
		uint64_t r = next_random(&x);
		memcpy(buf + i, &r, 8);
	}
	return buf;
}

/* An executable's mix: a header with NULs, then random code-like bytes,
 * runs of NUL padding, tables of small 32-bit integers, and strings in
 * UTF-16LE and ASCII; no token. */
static char *fill_executable(size_t size)
{
	char *buf = fill_random(size);
	uint64_t x = 2463534242ull;
	if (!buf)
		return NULL;
	memcpy(buf, "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", 16);
	for (size_t at = 64; at + 4096 < size;) {
		uint64_t r = next_random(&x);
		size_t part = 64 + r % 512; /* random bytes left between the pieces */
		at += part;
		switch (r >> 32 & 3) {
		case 0: /* padding */
			memset(buf + at, 0, 16 + (r >> 40) % 256);
			at += 16 + (r >> 40) % 256;
			break;
		case 1: /* small integers */
			for (int k = 0; k < 32; k++, at += 4) {
				uint32_t v = (uint32_t)(r >> (k % 24)) & 0x3ff;
				memcpy(buf + at, &v, 4);
			}
			break;
		default: { /* a string, UTF-16LE or ASCII, NUL-terminated */
			const char *str = binary_strings[(r >> 36) % (sizeof(binary_strings) / sizeof(binary_strings[0]))];
			int wide = (r >> 44) & 1;
			for (const char *c = str; *c; c++) {
				buf[at++] = *c;
				if (wide)
					buf[at++] = '\0';
			}
			buf[at++] = '\0';
			if (wide)
				buf[at++] = '\0';
		}
		}
	}
	return buf;
}

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
	printf("%-24s %8.1f MB  best of 3: %7.3f s  %8.1f MB/s  findings %zu\n", label, (double)len / 1e6, best,
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
	/* Binary content (a NUL in the first 8000 bytes) is scanned by default. */
	size_t bin_len = (mb << 20) / 2;
	char *bin = fill_random(bin_len);
	if (bin) {
		measure("binary, random bytes", bin, bin_len);
		free(bin);
	}
	bin = fill_executable(bin_len);
	if (bin) {
		if (!sg_buffer_is_binary(bin, bin_len))
			fprintf(stderr, "scan_rate: the executable-like buffer is not binary\n");
		measure("binary, executable-like", bin, bin_len);
		free(bin);
	}
	size_t dense_mb = mb / 16 ? mb / 16 : 1;
	char *dense = fill(dense_mb << 20, token_lines, sizeof(token_lines) / sizeof(token_lines[0]));
	measure("token-dense text", dense, dense_mb << 20);
	free(dense);
	return 0;
}
