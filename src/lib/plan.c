/* plan.c - shard planning; see plan.h. */
#include "config.h"
#include "plan.h"
#include "rng.h"

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
			return tfr_error_set(err, TFR_ERR_INVALID, "--shards must be at least 1");
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
					     "--records-per-shard must be at least 1");
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
		uint64_t cap = 64, used = 0;

		plan->first = malloc(cap * sizeof(uint64_t));
		if (!plan->first)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		plan->first[0] = 0;
		k = 0;
		for (p = 0; p < n; p++) {
			uint64_t sz = size(ctx, p);

			if (sz > o->value) {
				tfr_plan_release(plan);
				return tfr_error_at(err, TFR_ERR_LIMIT, p, TFR_NO_POS,
						    "record %llu alone takes %llu bytes, more "
						    "than the shard size of %llu",
						    (unsigned long long)p,
						    (unsigned long long)sz,
						    (unsigned long long)o->value);
			}
			if (used + sz > o->value) {
				/* Close shard k before position p. */
				if (k + 2 >= cap) {
					uint64_t *q = realloc(plan->first, cap * 2 * sizeof(uint64_t));

					if (!q) {
						tfr_plan_release(plan);
						return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
					}
					plan->first = q;
					cap *= 2;
				}
				plan->first[++k] = p;
				used = 0;
				if (k >= TFR_MAX_SHARDS) {
					tfr_plan_release(plan);
					return too_many(k + 1, err);
				}
			}
			used += sz;
		}
		plan->first[++k] = n;
		plan->nshards = (uint32_t)k;
		return TFR_OK;
	}
	}
	return tfr_error_set(err, TFR_ERR_INVALID, "bad plan mode");
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
