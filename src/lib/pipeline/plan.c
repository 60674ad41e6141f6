/* plan.c - shard planning; see plan.h. */
#include "config.h"
#include "pipeline/plan.h"
#include "base/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tfr_plan_release(struct tfr_plan *plan)
{
	if (!plan)
		return;
	free(plan->first);
	plan->first = NULL;
	plan->nshards = 0;
}

static int too_many(uint64_t k, struct tfr_error *err)
{
	return tfr_error_set(err, TFR_ERR_LIMIT,
			     "the plan needs %llu shards, more than the %u that "
			     "five-digit names allow; use larger shards",
			     (unsigned long long)k, TFR_MAX_SHARDS);
}

void tfr_plan_bytes_init(struct tfr_plan_bytes *pb, uint64_t budget)
{
	memset(pb, 0, sizeof(*pb));
	pb->budget = budget;
}

/* Greedy: a record opens a new shard when it does not fit in the
 * current one.  Shard k starts at position first[k]. */
int tfr_plan_bytes_add(struct tfr_plan_bytes *pb, uint64_t size,
		       struct tfr_error *err)
{
	if (size > pb->budget)
		return tfr_error_at(err, TFR_ERR_LIMIT, pb->n, TFR_NO_POS,
				    "record %llu alone takes %llu bytes, more "
				    "than the shard size of %llu",
				    (unsigned long long)pb->n, (unsigned long long)size,
				    (unsigned long long)pb->budget);
	if (pb->nfirst == 0 || pb->used + size > pb->budget) {
		if (pb->nfirst >= TFR_MAX_SHARDS)
			return too_many(pb->nfirst + 1, err);
		if (pb->nfirst + 2 > pb->cap) {
			size_t ncap = pb->cap ? pb->cap * 2 : 64;
			uint64_t *q = realloc(pb->first, ncap * sizeof(*q));

			if (!q)
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			pb->first = q;
			pb->cap = ncap;
		}
		pb->first[pb->nfirst++] = pb->n;
		pb->used = 0;
	}
	pb->used += size;
	pb->n++;
	return TFR_OK;
}

int tfr_plan_bytes_finish(struct tfr_plan_bytes *pb, struct tfr_plan *plan,
			  struct tfr_error *err)
{
	memset(plan, 0, sizeof(*plan));
	if (pb->nfirst == 0) { /* no records: one empty shard */
		pb->first = malloc(2 * sizeof(uint64_t));
		if (!pb->first)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		pb->first[0] = 0;
		pb->nfirst = 1;
		pb->cap = 2;
	}
	/* nfirst + 2 <= cap held at the last push, so there is room. */
	pb->first[pb->nfirst] = pb->n;
	plan->first = pb->first;
	plan->nshards = (uint32_t)pb->nfirst;
	pb->first = NULL;
	pb->nfirst = pb->cap = 0;
	return TFR_OK;
}

void tfr_plan_bytes_release(struct tfr_plan_bytes *pb)
{
	free(pb->first);
	pb->first = NULL;
	pb->nfirst = pb->cap = 0;
}

int tfr_plan_make(struct tfr_plan *plan, uint64_t n,
		  const struct tfr_plan_opts *o,
		  uint64_t (*size)(void *ctx, uint64_t pos), void *ctx,
		  struct tfr_error *err)
{
	uint64_t k, s, p;

	memset(plan, 0, sizeof(*plan));
	switch (o->mode) {
	case TFR_PLAN_SHARDS:
		if (o->value < 1)
			return tfr_error_set(err, TFR_ERR_INVALID, "the number of shards must be at least 1");
		if (o->value > TFR_MAX_SHARDS)
			return too_many(o->value, err);
		k = o->value;
		plan->first = malloc((k + 1) * sizeof(uint64_t));
		if (!plan->first)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		/* Balanced: shard sizes differ by at most one record. */
		for (s = 0; s <= k; s++)
			plan->first[s] = (uint64_t)(((unsigned __int128)n * s) / k);
		plan->nshards = (uint32_t)k;
		return TFR_OK;
	case TFR_PLAN_RECORDS:
		if (o->value < 1)
			return tfr_error_set(err, TFR_ERR_INVALID,
					     "the records per shard must be at least 1");
		k = n ? (n - 1) / o->value + 1 : 1; /* no overflow near 2^64 */
		if (k > TFR_MAX_SHARDS)
			return too_many(k, err);
		plan->first = malloc((k + 1) * sizeof(uint64_t));
		if (!plan->first)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		for (s = 0; s < k; s++)
			plan->first[s] = s * o->value;
		plan->first[k] = n;
		plan->nshards = (uint32_t)k;
		return TFR_OK;
	case TFR_PLAN_BYTES: {
		struct tfr_plan_bytes pb;
		int rc = TFR_OK;

		tfr_plan_bytes_init(&pb, o->value);
		for (p = 0; p < n && !rc; p++)
			rc = tfr_plan_bytes_add(&pb, size(ctx, p), err);
		if (!rc)
			rc = tfr_plan_bytes_finish(&pb, plan, err);
		tfr_plan_bytes_release(&pb);
		return rc;
	}
	}
	return tfr_error_set(err, TFR_ERR_INVALID, "unknown plan mode");
}

void tfr_plan_part(const struct tfr_plan *plan, unsigned i, unsigned n,
		   uint32_t *s0, uint32_t *s1)
{
	uint64_t k = plan->nshards;

	*s0 = (uint32_t)(k * (i - 1) / n);
	*s1 = (uint32_t)(k * i / n);
}

int tfr_shuffle(uint64_t n, uint64_t seed, uint64_t **order,
		struct tfr_error *err)
{
	uint64_t *a = malloc((n ? n : 1) * sizeof(uint64_t)), i;

	if (!a)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		a[i] = i;
	for (i = n; i > 1; i--) {
		uint64_t j = tfr_rand_below(tfr_rand3(seed, UINT64_C(0x5348554646), i), i);
		uint64_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
	*order = a;
	return TFR_OK;
}

char *tfr_shard_name(const char *prefix, uint32_t s, uint32_t nshards,
		     enum tfr_compression c)
{
	size_t n = strlen(prefix) + 40;
	char *p = malloc(n);

	if (!p)
		return NULL;
	snprintf(p, n, "%s-%05u-of-%05u.tfrecord%s", prefix, s, nshards,
		 c == TFR_COMP_GZIP ? ".gz" : c == TFR_COMP_ZLIB ? ".zlib" : "");
	return p;
}
