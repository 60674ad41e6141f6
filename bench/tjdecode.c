/*
 * tjdecode.c - the benchmark baseline: a bare TurboJPEG full-size decode
 * of each file to RGB, nothing else.  Prints images per second of wall
 * time, then images per second of CPU time (user + system).
 * usage: tjdecode [-s N] FILE...
 * -s N decodes at N/8 of the size (1 to 8) with libjpeg-turbo's DCT
 * scaling: 1/8 is almost only entropy decoding, the ceiling of any job
 * that must read every coefficient.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>

static unsigned char *slurp(const char *path, unsigned long *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len);
	if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*n = (unsigned long)len;
	return p;
}

int main(int argc, char **argv)
{
	tjhandle tj = tjInitDecompress();
	struct timespec t0, t1, c0, c1;
	unsigned char *out = NULL;
	size_t outcap = 0;
	double secs, cpu;
	int i, first = 1, scale = 8;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		scale = atoi(argv[2]);
		first = 3;
	}
	if (argc <= first || !tj || scale < 1 || scale > 8) {
		fprintf(stderr, "usage: tjdecode [-s N] FILE...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	for (i = first; i < argc; i++) {
		unsigned long n;
		unsigned char *jpg = slurp(argv[i], &n);
		int w, h, sub, cs;

		if (!jpg || tjDecompressHeader3(tj, jpg, n, &w, &h, &sub, &cs)) {
			fprintf(stderr, "tjdecode: cannot read '%s'\n", argv[i]);
			return 1;
		}
		w = TJSCALED(w, ((tjscalingfactor){ scale, 8 }));
		h = TJSCALED(h, ((tjscalingfactor){ scale, 8 }));
		if ((size_t)w * h * 3 > outcap) {
			outcap = (size_t)w * h * 3;
			out = realloc(out, outcap);
		}
		if (tjDecompress2(tj, jpg, n, out, w, 0, h, TJPF_RGB, 0)) {
			fprintf(stderr, "tjdecode: '%s': %s\n", argv[i], tjGetErrorStr2(tj));
			return 1;
		}
		free(jpg);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	printf("%.1f %.1f\n", (argc - first) / secs, (argc - first) / cpu);
	free(out);
	tjDestroy(tj);
	return 0;
}
