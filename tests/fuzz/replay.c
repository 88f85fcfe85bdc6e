/*
 * replay.c - runs a libFuzzer harness without libFuzzer: every file named on
 * the command line, and every file in every directory named (not recursing;
 * dot files and README files are skipped), is read and passed once to
 * LLVMFuzzerTestOneInput. The regular test suite uses it to replay the seed
 * corpora and the regression inputs under gcc (tests/CMakeLists.txt).
 *
 *   replay_scan tests/fuzz/corpus/scan tests/fuzz/regressions/scan
 *
 * Exits 0 when every input ran (a broken invariant aborts), 1 when a file or
 * directory cannot be read or nothing was replayed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			fprintf(stderr, "%s: out of memory\n", path);
			fclose(f);
			return -1;
		}
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		uint8_t *bigger = realloc(buf, cap * 2);
		if (!bigger)
			free(buf);
		buf = bigger;
		cap *= 2;
	}
	int err = ferror(f);
	fclose(f);
	if (err) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		return -1;
	}
	/* An exact-size copy, as libFuzzer passes it, so that a read past the
	 * end is caught under AddressSanitizer. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int skipped(const char *name)
{
	return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the files of dir in name order; returns how many, or -1. */
static long replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	long done = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (skipped(e->d_name))
			continue;
		char **more = realloc(names, (n + 1) * sizeof(*names));
		if (!more || !(more[n] = strdup(e->d_name))) {
			names = more ? more : names;
			done = -1;
			break;
		}
		names = more;
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(plen);
		struct stat st;
		if (!path) {
			done = -1;
		} else {
			snprintf(path, plen, "%s/%s", dir, names[i]);
			if (done >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
				done = replay_file(path) < 0 ? -1 : done + 1;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		long n;
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) < 0 ? -1 : 1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "%s: nothing to replay\n", argc > 0 ? argv[0] : "replay");
		return 1;
	}
	fprintf(stderr, "replayed %ld inputs\n", total);
	return 0;
}
