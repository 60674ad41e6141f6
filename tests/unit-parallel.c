/* unit-parallel.c - tfr_parallel_for: every item once, worker ids in
 * range, order with one thread, which failure is reported and that no
 * item starts after it; the lock and the progress ticker. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lib/base/parallel.h"

#define N 2000

/* LeakSanitizer (scripts/test.sh runs unit tests with it) reports the
 * thread pool libomp keeps until exit; that is libomp's, not a leak of
 * ours.  The hook is read only by sanitizer runtimes. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libomp.so\n";
}

struct run {
	int nthreads;
	unsigned runs[N];       /* atomically */
	size_t order[N], norder; /* one thread only */
	int bad_worker;         /* atomically */
	size_t fail_from;       /* items >= this fail */
	uint64_t plain;         /* incremented under tfr_parallel_locked */
};

static void bump(void *p)
{
	((struct run *)p)->plain++;
}

static int task(void *ctx, size_t i, int w, const int *stop, struct tfr_error *err)
{
	struct run *r = ctx;

	__atomic_add_fetch(&r->runs[i], 1, __ATOMIC_RELAXED);
	if (w < 0 || w >= r->nthreads)
		__atomic_store_n(&r->bad_worker, 1, __ATOMIC_RELAXED);
	(void)stop;
	if (r->nthreads == 1)
		r->order[r->norder++] = i;
	tfr_parallel_locked(bump, r);
	if (i >= r->fail_from)
		return tfr_error_at(err, TFR_ERR_FORMAT, i, i * 10, "item %zu failed", i);
	return TFR_OK;
}

static void tick(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *last = ctx;

	(void)total;
	*last = done;
}

static int ticked(void *ctx, size_t i, int w, const int *stop, struct tfr_error *err)
{
	(void)i;
	(void)w;
	(void)stop;
	(void)err;
	tfr_ticker_add(ctx, 3);
	return TFR_OK;
}

/* The loader's pool: every item once at 1..4 threads, chained jobs
 * (on_done queues the next before the first counts as finished), the
 * lowest failing item of a job reported. */
struct pjob {
	struct tfr_pool *p;
	struct tfr_pool_job a, b;
	unsigned hits[64];
	int fail_from;     /* items >= this fail (else -1) */
	int chained;
};

static int pool_task(void *ctx, size_t i, int w, const int *stop, struct tfr_error *err)
{
	struct pjob *j = ctx;

	(void)w;
	(void)stop;
	__atomic_add_fetch(&j->hits[i], 1, __ATOMIC_RELAXED);
	if (j->fail_from >= 0 && (int)i >= j->fail_from)
		return tfr_error_at(err, TFR_ERR_FORMAT, i, 0, "item %zu fails", i);
	return TFR_OK;
}

static void pool_chain(void *ctx, int rc, const struct tfr_error *err)
{
	struct pjob *j = ctx;

	(void)err;
	if (rc)
		return;
	j->chained = 1;
	tfr_pool_submit(j->p, &j->b);
}

static void pool_tests(void)
{
	for (int t = 1; t <= 4; t++) {
		struct pjob j;
		struct tfr_error err;
		int rc, good = 1;

		memset(&j, 0, sizeof(j));
		j.fail_from = -1;
		if (tfr_pool_new(&j.p, t, &err)) {
			ok(0, "pool of %d: %s", t, err.msg);
			continue;
		}
		j.a = (struct tfr_pool_job){ .fn = pool_task, .ctx = &j, .n = 40, .on_done = pool_chain };
		j.b = (struct tfr_pool_job){ .fn = pool_task, .ctx = &j, .n = 24 };
		tfr_pool_submit(j.p, &j.a);
		rc = tfr_pool_wait(j.p, &j.a, &err);
		good = rc == TFR_OK && j.chained;
		rc = tfr_pool_wait(j.p, &j.b, &err);
		for (int i = 0; i < 40; i++)
			good = good && j.hits[i] == (i < 24 ? 2u : 1u);
		ok(good && rc == TFR_OK, "pool of %d: chained jobs, every item once each", t);
		memset(j.hits, 0, sizeof(j.hits));
		j.fail_from = 10;
		j.chained = 0;
		tfr_pool_submit(j.p, &j.a);
		rc = tfr_pool_wait(j.p, &j.a, &err);
		ok(rc == TFR_ERR_FORMAT && err.record == 10 && !j.chained && j.hits[10] == 1,
		   "pool of %d: the lowest failing item (%s), no follow-up", t, err.msg);
		tfr_pool_free(j.p);
	}
	tfr_pool_free(NULL);
}

int main(void)
{
	static struct run r;
	static const int threads[] = { 1, 2, 4, 7 };
	struct tfr_error err;
	size_t i, t;
	int rc;

	ok(tfr_parallel_threads(3) == 3 && tfr_parallel_threads(0) >= 1,
	   "thread counts: as asked, or the cores");
	for (t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		unsigned once = 0;

		memset(&r, 0, sizeof(r));
		r.nthreads = threads[t];
		r.fail_from = SIZE_MAX;
		rc = tfr_parallel_for(N, r.nthreads, task, &r, &err);
		for (i = 0; i < N; i++)
			once += r.runs[i] == 1;
		ok(rc == TFR_OK && once == N && !r.bad_worker && r.plain == N,
		   "%d thread(s): every item exactly once, worker ids in range, "
		   "the lock serialises", r.nthreads);
	}
	memset(&r, 0, sizeof(r));
	r.nthreads = 1;
	r.fail_from = SIZE_MAX;
	tfr_parallel_for(N, 1, task, &r, &err);
	for (i = 0; i < N && r.order[i] == i; i++)
		;
	ok(i == N, "1 thread: items run in order");

	memset(&r, 0, sizeof(r));
	r.nthreads = 1;
	r.fail_from = 500;
	tfr_error_clear(&err);
	rc = tfr_parallel_for(N, 1, task, &r, &err);
	ok(rc == TFR_ERR_FORMAT && err.record == 500 && err.offset == 5000 &&
	   !strcmp(err.msg, "item 500 failed") && r.norder == 501,
	   "1 thread: the first failure stops the run and is reported");

	for (t = 1; t < sizeof(threads) / sizeof(threads[0]); t++) {
		size_t ran = 0, lowest = SIZE_MAX;

		memset(&r, 0, sizeof(r));
		r.nthreads = threads[t];
		r.fail_from = 500;
		tfr_error_clear(&err);
		rc = tfr_parallel_for(N, r.nthreads, task, &r, &err);
		for (i = 0; i < N; i++) {
			ran += r.runs[i];
			if (i >= 500 && r.runs[i] && lowest == SIZE_MAX)
				lowest = i;
		}
		/* Which failing item runs first depends on the threads; the
		 * contract is the lowest of those that ran, with its error. */
		ok(rc == TFR_ERR_FORMAT && lowest != SIZE_MAX && err.record == lowest &&
		   err.offset == lowest * 10, "%d threads: the lowest failing item that ran is "
		   "reported (%s)", r.nthreads, err.msg);
		ok(ran < N, "%d threads: no new items start after a failure (%zu of %d ran)",
		   r.nthreads, ran, N);
	}

	memset(&r, 0, sizeof(r));
	r.nthreads = 4;
	ok(tfr_parallel_for(0, 4, task, &r, &err) == TFR_OK && r.plain == 0,
	   "no items: nothing runs");

	{
		struct tfr_ticker tk = { NULL, NULL, 0, 0, 0 };
		uint64_t last = 0;

		ok(tfr_parallel_for(N, 4, ticked, &tk, &err) == TFR_OK && tk.done == 3 * N,
		   "a ticker without fn counts from every worker");
		memset(&tk, 0, sizeof(tk));
		tk.fn = tick;
		tk.ctx = &last;
		tk.total = 3 * N;
		tfr_parallel_for(N, 4, ticked, &tk, &err);
		tfr_ticker_flush(&tk);
		ok(last == 3 * N, "flush reports the final count (%llu)", (unsigned long long)last);
	}
	pool_tests();
	return tap_done();
}
