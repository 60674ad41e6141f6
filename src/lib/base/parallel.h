/*
 * parallel.h - the only place tfrec runs threads.  See parallel.c for
 * the design.
 */
#ifndef TFR_PARALLEL_H
#define TFR_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

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

/*
 * A long-lived pool for the loader (see "The loader's pool" in
 * parallel.c).  A job is "run fn(ctx, i, w) for i in [0, n)"; jobs are
 * served first in, first out, and the items of one job are shared by
 * every thread.  The struct is owned by the caller and must stay put
 * until tfr_pool_wait() returned for it.
 */
struct tfr_pool;

struct tfr_pool_job {
	tfr_task_fn fn;
	void *ctx;
	size_t n;
	/* Called once, by the thread that finished the job's last item,
	 * with no lock held, before the job counts as finished: it may
	 * submit the next job of a chain.  rc is the job's status. */
	void (*on_done)(void *ctx, int rc, const struct tfr_error *err);
	/* private to the pool */
	size_t next, done;
	int stop, rc, finished;
	size_t fail_at;
	struct tfr_error err;
	struct tfr_pool_job *qnext;
};

/* A pool of nthreads - 1 threads; the thread calling tfr_pool_wait() is
 * the last worker (its worker number is 0), so 1 starts no thread at
 * all and runs every job inside tfr_pool_wait().  Worker numbers are in
 * [0, nthreads).  Not thread-safe itself: one thread submits and waits. */
int tfr_pool_new(struct tfr_pool **pp, int nthreads, struct tfr_error *err);
int tfr_pool_threads(const struct tfr_pool *p);
/* Queue a job (fn, ctx, n, on_done filled; the rest is reset here). */
void tfr_pool_submit(struct tfr_pool *p, struct tfr_pool_job *job);
/* Run items of queued jobs until job is finished; returns its status
 * (the lowest failing item's, error in err). */
int tfr_pool_wait(struct tfr_pool *p, struct tfr_pool_job *job,
		  struct tfr_error *err);
/* Stop: jobs not started are dropped (finished with
 * TFR_ERR_INTERRUPTED), running items end, threads are joined, p is
 * freed.  p may be NULL. */
void tfr_pool_free(struct tfr_pool *p);

#endif
