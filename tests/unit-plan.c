/* unit-plan.c - shard plans: balance, budgets, parts, shuffles, names. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/pipeline/plan.h"
#include "lib/base/rng.h"

static uint64_t size_of(void *ctx, uint64_t pos)
{
	(void)ctx;
	return 100 + (pos * 37) % 400;
}

int main(void)
{
	struct tfr_plan p;
	struct tfr_plan_opts o;
	uint64_t *order, i, s, sum;
	uint32_t a, b, prev;
	char *name;
	int bad;

	o.mode = TFR_PLAN_SHARDS;
	o.value = 7;
	ok(tfr_plan_make(&p, 100, &o, NULL, NULL, NULL) == 0 && p.nshards == 7, "7 shards");
	bad = 0;
	for (s = 0; s < 7; s++) {
		uint64_t n = p.first[s + 1] - p.first[s];

		if (n != 14 && n != 15)
			bad++;
	}
	ok(bad == 0 && p.first[0] == 0 && p.first[7] == 100, "balanced to within one record");
	tfr_plan_release(&p);
	ok(tfr_plan_make(&p, 3, &o, NULL, NULL, NULL) == 0 && p.first[7] == 3,
	   "more shards than records: some are empty");
	tfr_plan_release(&p);

	o.mode = TFR_PLAN_RECORDS;
	o.value = 10;
	ok(tfr_plan_make(&p, 95, &o, NULL, NULL, NULL) == 0 && p.nshards == 10 &&
	   p.first[9] == 90 && p.first[10] == 95, "records per shard: 10 shards, last holds 5");
	tfr_plan_release(&p);
	o.value = UINT64_MAX; /* n + value - 1 overflowed to 0 shards */
	ok(tfr_plan_make(&p, 95, &o, NULL, NULL, NULL) == 0 && p.nshards == 1 &&
	   p.first[0] == 0 && p.first[1] == 95, "records per shard 2^64-1: one shard of all");
	tfr_plan_release(&p);

	o.mode = TFR_PLAN_BYTES;
	o.value = 2000;
	ok(tfr_plan_make(&p, 1000, &o, size_of, NULL, NULL) == 0, "byte budget plan");
	bad = 0;
	for (s = 0; s < p.nshards; s++) {
		sum = 0;
		for (i = p.first[s]; i < p.first[s + 1]; i++)
			sum += size_of(NULL, i);
		if (sum > 2000)
			bad++;
		/* greedy: the next record would not have fit */
		if (s + 1 < p.nshards && sum + size_of(NULL, p.first[s + 1]) <= 2000)
			bad++;
	}
	ok(bad == 0, "no shard passes the budget, and each is full");
	tfr_plan_release(&p);
	o.value = 300;
	ok(tfr_plan_make(&p, 1000, &o, size_of, NULL, NULL) == TFR_ERR_LIMIT,
	   "a record larger than the budget is an error");

	o.mode = TFR_PLAN_SHARDS;
	o.value = 10;
	tfr_plan_make(&p, 50, &o, NULL, NULL, NULL);
	bad = 0;
	prev = 0;
	for (i = 1; i <= 3; i++) {
		tfr_plan_part(&p, (unsigned)i, 3, &a, &b);
		if (a != prev)
			bad++;
		prev = b;
	}
	ok(bad == 0 && prev == 10, "parts are contiguous and cover every shard");
	tfr_plan_part(&p, 7, 12, &a, &b);
	ok(b - a <= 1, "more parts than shards: at most one each");
	tfr_plan_release(&p);

	ok(tfr_shuffle(1000, 42, &order, NULL) == 0, "shuffle");
	{
		char *seen = calloc(1000, 1);
		uint64_t *again;

		bad = 0;
		for (i = 0; i < 1000; i++) {
			if (order[i] >= 1000 || seen[order[i]])
				bad++;
			else
				seen[order[i]] = 1;
		}
		ok(bad == 0, "shuffle is a permutation");
		tfr_shuffle(1000, 42, &again, NULL);
		ok(!memcmp(order, again, 1000 * sizeof(*order)), "same seed, same order");
		free(again);
		tfr_shuffle(1000, 43, &again, NULL);
		ok(memcmp(order, again, 1000 * sizeof(*order)) != 0, "other seed, other order");
		free(again);
		free(seen);
	}
	/* Fixed points of a uniform permutation average one. */
	{
		uint64_t fixed = 0, k;

		for (k = 0; k < 200; k++) {
			uint64_t *q;

			tfr_shuffle(1000, k, &q, NULL);
			for (i = 0; i < 1000; i++)
				fixed += q[i] == i;
			free(q);
		}
		ok(fixed > 100 && fixed < 320, "about one fixed point per shuffle (%llu in 200)",
		   (unsigned long long)fixed);
	}
	free(order);
	name = tfr_shard_name("out/train", 3, 8, TFR_COMP_GZIP);
	ok(name && !strcmp(name, "out/train-00003-of-00008.tfrecord.gz"), "shard name: %s", name);
	free(name);
	ok(tfr_rand_below(UINT64_MAX, 10) == 9 && tfr_rand_below(0, 10) == 0, "rand_below bounds");
	return tap_done();
}
