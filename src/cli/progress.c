/* progress.c - terminal progress bar; see progress.h. */
#include "config.h"
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void progress_init(struct progress *p, const char *unit, int quiet)
{
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->unit = unit;
	p->start_ns = now_ns();
	p->drawn = 0;
}

void progress_update(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double secs = (double)(now_ns() - p->start_ns) / 1e9;
	double rate = secs > 0 ? (double)done / secs : 0;
	char bar[31];
	int i, fill = total ? (int)(30.0 * (double)done / (double)total) : 30;

	if (!p->enabled)
		return;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %llu/%llu %s  %.1f/s", bar, (unsigned long long)done,
		(unsigned long long)total, p->unit, rate);
	if (rate > 0 && done < total) {
		unsigned eta = (unsigned)((double)(total - done) / rate);

		fprintf(stderr, "  ETA %u:%02u:%02u", eta / 3600, eta / 60 % 60, eta % 60);
	}
	fputs("\033[K", stderr);
	fflush(stderr);
	p->drawn = 1;
}

void progress_end(struct progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}
