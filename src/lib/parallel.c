/*
 * parallel.c - the thread module.
 *
 * Design.  tfrec's parallel work is embarrassingly parallel at two
 * grains: whole shards (each written by one worker, start to finish), and
 * records inside one shard (decoded by many workers into numbered slots,
 * then written by one thread in slot order).  Both are expressed as
 * "run task i for i in [0, n)" with OpenMP's dynamic schedule, which
 * balances shards of uneven cost without any queue of our own.
 *
 * Output bytes never depend on the schedule, because nothing a task
 * produces depends on which worker ran it or when: every record is a pure
 * function of its item index (randomness included, see rng.h), each
 * shard's records are written in position order, and shard files are
 * separate.  Workers own their scratch buffers (indexed by the worker
 * number passed to the task), so memory is bounded by the number of
 * workers times the per-record working set, never by the number of
 * inputs.
 *
 * Failure: the first failing task raises a shared stop flag; tasks not
 * yet started are skipped and running ones poll the flag.  The error
 * reported is that of the lowest failing index among the tasks that ran;
 * a run that fails fails for every thread count, though with several
 * bad inputs the one named may differ.  With one thread no OpenMP region is
 * entered at all, which keeps -j1 free of thread overhead and easy to
 * debug.
 */
#include "config.h"
#include "parallel.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int tfr_parallel_threads(int n)
{
	if (n > 0)
		return n;
#ifdef _OPENMP
	n = omp_get_num_procs();
#else
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
#endif
	return n > 0 ? n : 1;
}

int tfr_parallel_for(size_t n, int nthreads, tfr_task_fn fn, void *ctx,
		     struct tfr_error *err)
{
	int stop = 0, rc = TFR_OK;

#ifdef _OPENMP
	if (nthreads > 1 && n > 1) {
		size_t fail_at = (size_t)-1;
		int fail_echo = 2;
		long i;

		if ((size_t)nthreads > n)
			nthreads = (int)n;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
		for (i = 0; i < (long)n; i++) {
			struct tfr_error e;
			int r;

			if (__atomic_load_n(&stop, __ATOMIC_RELAXED))
				continue;
			tfr_error_clear(&e);
			r = fn(ctx, (size_t)i, omp_get_thread_num(), &stop, &e);
			if (r) {
				/* A task that gave up because another failed
				 * ("stopped") is an echo, never the cause: any
				 * other failure is reported before it. */
				int echo = r == TFR_ERR_INTERRUPTED &&
					   __atomic_load_n(&stop, __ATOMIC_RELAXED);

				__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
#pragma omp critical(tfr_parallel_fail)
				{
					if (echo < fail_echo ||
					    (echo == fail_echo && (size_t)i < fail_at)) {
						fail_echo = echo;
						fail_at = (size_t)i;
						rc = r;
						if (err)
							*err = e;
					}
				}
			}
		}
		return rc;
	}
#endif
	/* One worker (or no OpenMP): in order, in the calling thread. */
	{
		size_t i;

		for (i = 0; i < n && !rc; i++)
			rc = fn(ctx, i, 0, &stop, err);
	}
	return rc;
}

void tfr_parallel_locked(void (*fn)(void *), void *arg)
{
#ifdef _OPENMP
#pragma omp critical(tfr_parallel_locked)
#endif
	fn(arg);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct tick_arg {
	struct tfr_ticker *t;
	int force;
};

static void tick_locked(void *p)
{
	struct tick_arg *a = p;
	uint64_t ns = now_ns();

	if (!a->force && ns - __atomic_load_n(&a->t->last_ns, __ATOMIC_RELAXED) < 100000000u)
		return;
	__atomic_store_n(&a->t->last_ns, ns, __ATOMIC_RELAXED);
	a->t->fn(a->t->ctx, __atomic_load_n(&a->t->done, __ATOMIC_RELAXED), a->t->total);
}

void tfr_ticker_add(struct tfr_ticker *t, uint64_t n)
{
	struct tick_arg a = { t, 0 };

	__atomic_add_fetch(&t->done, n, __ATOMIC_RELAXED);
	/* Take the lock only when a report is due. */
	if (t->fn && now_ns() - __atomic_load_n(&t->last_ns, __ATOMIC_RELAXED) >= 100000000u)
		tfr_parallel_locked(tick_locked, &a);
}

void tfr_ticker_flush(struct tfr_ticker *t)
{
	struct tick_arg a = { t, 1 };

	if (t->fn)
		tfr_parallel_locked(tick_locked, &a);
}
