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
 *
 * The loader's pool.  tfr_parallel_for is a fork-join over a known list; the loader instead keeps filling batches while the
 * trainer computes, so its threads must outlive one call.  OpenMP has no
 * portable way to leave a team waiting in the background, hence a small
 * pthread pool, still in this one module.  The .so that Python loads
 * is then free of OpenMP's runtime, too.
 *
 * Its design.  The loader's plan alone decides which record goes into which
 * batch position (see loader.h); a thread only fills positions.  Work is
 * a FIFO of jobs, each "item i of n" (one record of one batch).  Every
 * thread takes the next item of the oldest job that still has items, so
 * the records of one batch are spread over all threads and batch k is
 * done before batch k+1 has all its threads.  Prefetch is nothing more
 * than having several batches' jobs queued.  A job's last item calls
 * on_done, which may queue the next phase of the same batch; only then
 * is the job marked finished, so a waiter that sees it finished also
 * sees the follow-up job queued.  The thread that waits helps: it runs
 * items while its job is unfinished, so one thread means no thread is
 * started and everything runs in order in the caller.  Results never
 * depend on which thread ran an item, because an item writes only its
 * own batch position and its worker's scratch.  Failure: the lowest
 * failing item's error is kept; later items of the job are skipped.
 *
 * A batch takes up to three chained jobs (loader.c): R reads the records
 * of compressed shards as one item, in order, because a GZIP stream only
 * reads forward; A reads plain records (a pread each) and parses; B
 * copies or decodes pixels once A has fixed the batch's shape.  Memory
 * is the slots the loader queued plus each thread's decode scratch; the
 * pool itself allocates nothing per job.  A loader that changes epoch or
 * position first waits for its queued jobs (they are never cancelled
 * halfway, so no slot is left half-filled by a thread still running).
 */
#include "config.h"
#include "base/parallel.h"

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

/* --- the loader's pool (see "The loader's pool" at the top) --- */
#include <pthread.h>

struct tfr_pool {
	pthread_mutex_t mu;
	pthread_cond_t work, fin;
	struct tfr_pool_job *head, *tail;
	int quit, nthreads;
	pthread_t *tid;
	int *wid;
	int started;
};

struct pool_arg {
	struct tfr_pool *p;
	int w;
};

/* Jobs are queued while they have items to start, and only then. */
static void pool_unlink(struct tfr_pool *p, struct tfr_pool_job *j)
{
	struct tfr_pool_job **pp = &p->head, *prev = NULL;

	while (*pp && *pp != j) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (!*pp)
		return;
	*pp = j->qnext;
	if (p->tail == j)
		p->tail = prev;
	j->qnext = NULL;
}

/* Drop the items of a stopped job that have not started. */
static void pool_drop_rest(struct tfr_pool *p, struct tfr_pool_job *j)
{
	if (j->next < j->n) {
		pool_unlink(p, j);
		j->done += j->n - j->next;
		j->next = j->n;
	}
}

/* Take an item under the lock: the oldest job with items left.  *i is
 * (size_t)-1 for a stopped job that only needs finishing. */
static struct tfr_pool_job *pool_take(struct tfr_pool *p, size_t *i)
{
	struct tfr_pool_job *j;

	while ((j = p->head)) {
		if (j->stop) {
			pool_drop_rest(p, j);
			if (j->done == j->n) {
				if (!j->rc)
					j->rc = TFR_ERR_INTERRUPTED;
				*i = (size_t)-1;
				return j;
			}
			continue;
		}
		*i = j->next++;
		if (j->next == j->n)
			pool_unlink(p, j);
		return j;
	}
	return NULL;
}

static void pool_finish_locked(struct tfr_pool *p, struct tfr_pool_job *j)
{
	pthread_mutex_unlock(&p->mu);
	if (j->on_done)
		j->on_done(j->ctx, j->rc, &j->err);
	pthread_mutex_lock(&p->mu);
	j->finished = 1;
	pthread_cond_broadcast(&p->fin);
}

/* Run one item (lock held on entry and exit).  Returns 0 when there was
 * nothing to do. */
static int pool_step(struct tfr_pool *p, int w)
{
	struct tfr_pool_job *j;
	size_t i = (size_t)-1;
	struct tfr_error e;
	int r;

	j = pool_take(p, &i);
	if (!j)
		return 0;
	if (i == (size_t)-1) {
		pool_finish_locked(p, j);
		return 1;
	}
	pthread_mutex_unlock(&p->mu);
	tfr_error_clear(&e);
	r = j->fn(j->ctx, i, w, &j->stop, &e);
	pthread_mutex_lock(&p->mu);
	if (r) {
		/* the lowest failing item wins; an echo of a stop never
		 * replaces a real failure */
		int echo = r == TFR_ERR_INTERRUPTED && j->stop;

		if (!j->rc || (!echo && (j->rc == TFR_ERR_INTERRUPTED || i < j->fail_at))) {
			j->rc = r;
			j->fail_at = i;
			j->err = e;
		}
		__atomic_store_n(&j->stop, 1, __ATOMIC_RELAXED);
		pool_drop_rest(p, j);
	}
	if (++j->done == j->n)
		pool_finish_locked(p, j);
	return 1;
}

static void *pool_main(void *arg)
{
	struct pool_arg *a = arg;
	struct tfr_pool *p = a->p;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		if (!pool_step(p, a->w))
			pthread_cond_wait(&p->work, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int tfr_pool_new(struct tfr_pool **pp, int nthreads, struct tfr_error *err)
{
	struct tfr_pool *p;
	struct pool_arg *args;
	int i;

	*pp = NULL;
	if (nthreads < 1)
		nthreads = 1;
	p = calloc(1, sizeof(*p));
	args = calloc((size_t)nthreads, sizeof(*args));
	if (p)
		p->tid = calloc((size_t)nthreads, sizeof(*p->tid));
	if (!p || !args || !p->tid) {
		free(args);
		if (p)
			free(p->tid);
		free(p);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	p->wid = (int *)args; /* kept to free with the pool */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->fin, NULL);
	p->nthreads = nthreads;
	for (i = 1; i < nthreads; i++) {
		args[i].p = p;
		args[i].w = i;
		if (pthread_create(&p->tid[i], NULL, pool_main, &args[i])) {
			tfr_pool_free(p);
			return tfr_error_set(err, TFR_ERR_NOMEM, "cannot start a thread");
		}
		p->started = i;
	}
	*pp = p;
	return TFR_OK;
}

int tfr_pool_threads(const struct tfr_pool *p)
{
	return p->nthreads;
}

void tfr_pool_submit(struct tfr_pool *p, struct tfr_pool_job *job)
{
	job->next = job->done = 0;
	job->stop = job->rc = job->finished = 0;
	job->fail_at = (size_t)-1;
	job->qnext = NULL;
	tfr_error_clear(&job->err);
	pthread_mutex_lock(&p->mu);
	if (job->n == 0) {
		pool_finish_locked(p, job);
	} else {
		if (p->tail)
			p->tail->qnext = job;
		else
			p->head = job;
		p->tail = job;
		pthread_cond_broadcast(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
}

int tfr_pool_wait(struct tfr_pool *p, struct tfr_pool_job *job,
		  struct tfr_error *err)
{
	int rc;

	pthread_mutex_lock(&p->mu);
	while (!job->finished) {
		if (!pool_step(p, 0))
			pthread_cond_wait(&p->fin, &p->mu);
	}
	rc = job->rc;
	if (rc && err)
		*err = job->err;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void tfr_pool_free(struct tfr_pool *p)
{
	struct tfr_pool_job *j;
	int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	for (j = p->head; j; j = j->qnext)
		__atomic_store_n(&j->stop, 1, __ATOMIC_RELAXED);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 1; i <= p->started; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->fin);
	pthread_mutex_destroy(&p->mu);
	free(p->tid);
	free(p->wid);
	free(p);
}
