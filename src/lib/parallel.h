/*
 * parallel.h - the only place tfrec runs threads.  See parallel.c for
 * the design.
 */
#ifndef TFR_PARALLEL_H
#define TFR_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

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
 * of the lowest-numbered failing item among those that ran, with its
 * error in err (with one thread: the first failure in order).  A task
 * that returns TFR_ERR_INTERRUPTED after *stop was set only echoes
 * another's failure, and is reported only when nothing else failed.
 */
int tfr_parallel_for(size_t n, int nthreads, tfr_task_fn fn, void *ctx,
		     struct tfr_error *err);

/* Serialise a callback across workers. */
void tfr_parallel_locked(void (*fn)(void *), void *arg);

/*
 * Progress counting from many workers: tfr_ticker_add() is thread-safe
 * and calls fn (under a lock) at most ten times a second;
 * tfr_ticker_flush() calls it once more with the final count.  A ticker
 * with fn NULL only counts.
 */
struct tfr_ticker {
	void (*fn)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
	uint64_t total;
	uint64_t done;     /* updated atomically */
	uint64_t last_ns;  /* atomically, written under the lock */
};

void tfr_ticker_add(struct tfr_ticker *t, uint64_t n);
void tfr_ticker_flush(struct tfr_ticker *t);

#endif
