/*
 * parallel.h - the only place tfrec runs threads.  See parallel.c for
 * the design.
 */
#ifndef TFR_PARALLEL_H
#define TFR_PARALLEL_H

#include <stddef.h>

#include "status.h"

/* Threads to use for a request of n (0: every available core). */
int tfr_parallel_threads(int n);

/* A task: do item i as worker w (0 <= w < nthreads).  Returns TFR_OK or
 * a negative status with err filled.  Must poll *stop in long loops. */
typedef int (*tfr_task_fn)(void *ctx, size_t i, int w, const int *stop,
			   struct tfr_error *err);

/*
 * Run fn for every i in [0, n) on up to nthreads workers (1: in the
 * calling thread, in order).  After a failure no new items start, and
 * *stop (readable by tasks) becomes 1.  Returns TFR_OK, or the failure
 * of the lowest-numbered failing item with its error in err, so the
 * message does not depend on scheduling.
 */
int tfr_parallel_for(size_t n, int nthreads, tfr_task_fn fn, void *ctx,
		     struct tfr_error *err);

/* Serialise a callback (progress reporting) across workers. */
void tfr_parallel_locked(void (*fn)(void *), void *arg);

#endif
