/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fuzz harness's short run for the unit suite, without libFuzzer: every
 * file of the corpus directories (or files) on the command line, then
 * deterministic mutations of each (bit flips, truncations, spliced copies,
 * byte stores). Linked beside one harness's LLVMFuzzerTestOneInput; a crash
 * or a failed assert fails the test. Each input is handed over in a buffer
 * of its exact size, so a read past it shows under ASan.
 *
 * Per harness, from the build:
 *   FUZZ_REPLAY_NAME       printed with the count
 *   FUZZ_REPLAY_MAX        buffer bytes (inputs are read up to half of it)
 *   FUZZ_REPLAY_MUTATIONS  mutations per corpus file
 *   FUZZ_REPLAY_KEEP       leading bytes a spliced copy leaves out (a
 *                          harness's control header), 0 for none
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_REPLAY_MAX
#define FUZZ_REPLAY_MAX 8192
#endif
#ifndef FUZZ_REPLAY_MUTATIONS
#define FUZZ_REPLAY_MUTATIONS 300
#endif
#ifndef FUZZ_REPLAY_KEEP
#define FUZZ_REPLAY_KEEP 0
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t replay_lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

static size_t mutate(uint8_t *b, size_t len, uint32_t *seed)
{
	switch (replay_lcg(seed) % 4) {
	case 0:
		for (unsigned k = 0; k < 1 + replay_lcg(seed) % 4 && len > 0; k++)
			b[replay_lcg(seed) % len] ^= (uint8_t)(1u << (replay_lcg(seed) % 8));
		return len;
	case 1:
		return len > 0 ? replay_lcg(seed) % len : 0;
	case 2:
		if (len > FUZZ_REPLAY_KEEP && len * 2 <= FUZZ_REPLAY_MAX) {
			memcpy(b + len, b + FUZZ_REPLAY_KEEP, len - FUZZ_REPLAY_KEEP);
			return len * 2 - FUZZ_REPLAY_KEEP;
		}
		return len;
	default:
		if (len > 0)
			b[replay_lcg(seed) % len] = (uint8_t)replay_lcg(seed);
		return len;
	}
}

static void run_exact(const uint8_t *b, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, b, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static unsigned replay_file(const char *path, uint32_t *seed)
{
	static uint8_t orig[FUZZ_REPLAY_MAX], buf[FUZZ_REPLAY_MAX];
	FILE *fp = fopen(path, "rb");
	size_t len;

	if (fp == NULL)
		return 0;
	len = fread(orig, 1, sizeof(orig) / 2, fp);
	fclose(fp);
	run_exact(orig, len);
	for (unsigned m = 0; m < FUZZ_REPLAY_MUTATIONS; m++) {
		size_t n = len;

		memcpy(buf, orig, len);
		for (unsigned k = 0; k < 1 + m % 3; k++)
			n = mutate(buf, n, seed);
		run_exact(buf, n);
	}
	return 1 + FUZZ_REPLAY_MUTATIONS;
}

int main(int argc, char **argv)
{
	uint32_t seed = 20240601;
	unsigned runs = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (d == NULL) {
			runs += replay_file(argv[i], &seed);
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			runs += replay_file(path, &seed);
		}
		closedir(d);
	}
	printf("%s replay: %u inputs\n", FUZZ_REPLAY_NAME, runs);
	return runs > 0 ? 0 : 1;
}
