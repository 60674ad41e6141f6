/*
 * progress.h - a one-line progress bar on stderr, only when stderr is a
 * terminal and the user did not ask for quiet.
 */
#ifndef TFR_PROGRESS_H
#define TFR_PROGRESS_H

#include <stdint.h>

struct progress {
	int enabled;
	const char *unit;   /* "images", "records" */
	uint64_t start_ns;
	int drawn;
};

void progress_init(struct progress *p, const char *unit, int quiet);
/* Matches the library's progress callback. */
void progress_update(void *ctx, uint64_t done, uint64_t total);
/* Erase the bar (before printing a summary). */
void progress_end(struct progress *p);

#endif
