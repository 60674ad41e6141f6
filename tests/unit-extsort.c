/* unit-extsort.c - the external sort behind shard --shuffle: every entry
 * comes out once, in (key, pos) order, whatever the buffer and leaf
 * sizes, including sizes small enough to split buckets again and again;
 * the same input gives the same output; no temporary file is left. */
#include "config.h"
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/pipeline/extsort.h"
#include "lib/base/status.h"

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The inputs: random keys; keys that share their top seven bytes (so a
 * small leaf limit splits down to the last level); and many equal keys,
 * where only pos orders them. */
enum { KEYS_RANDOM, KEYS_DEEP, KEYS_EQUAL, NKINDS };
static const char *const kind_name[NKINDS] = { "random", "deep", "equal" };

static uint64_t make_key(int kind, uint64_t *seed)
{
	switch (kind) {
	case KEYS_DEEP: return UINT64_C(0xffffffffffffff00) | (splitmix(seed) & 0x3f);
	case KEYS_EQUAL: return splitmix(seed) & 1 ? UINT64_MAX : UINT64_C(0xff00000000000000);
	default: return splitmix(seed);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort n entries of kind with the given sizes; the result, in order, in
 * *outp (malloc'd).  Returns 0, or -1 after reporting what broke. */
static int run_sort(const char *dir, int kind, size_t n, size_t bucket_cap,
		    uint64_t leaf_limit, struct tfr_extsort_ent **outp, size_t *nleavesp,
		    uint64_t *maxleafp)
{
	struct tfr_extsort_opts o = { .tmpdir = dir, .bucket_cap = bucket_cap,
				      .leaf_limit = leaf_limit };
	struct tfr_extsort *s;
	struct tfr_extsort_ent *all = malloc((n ? n : 1) * sizeof(*all));
	struct tfr_error err;
	uint64_t seed = 42, expect_first = 0;
	size_t i, got = 0;

	*maxleafp = 0;
	if (!all || tfr_extsort_new(&s, &o, &err)) {
		tap_diag("new: %s", all ? err.msg : "out of memory");
		free(all);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct tfr_extsort_ent e = { .key = make_key(kind, &seed), .pos = i,
					     .off = i * 7 + 3, .len = (uint32_t)(i ^ 0x5a5a),
					     .src = (uint32_t)(i % 5) };

		if (tfr_extsort_add(s, &e, &err)) {
			tap_diag("add: %s", err.msg);
			goto fail;
		}
	}
	if (tfr_extsort_finish(s, &err)) {
		tap_diag("finish: %s", err.msg);
		goto fail;
	}
	*nleavesp = tfr_extsort_nleaves(s);
	for (i = 0; i < tfr_extsort_nleaves(s); i++) {
		struct tfr_extsort_ent *a;
		uint64_t first, count;

		tfr_extsort_leaf(s, i, &first, &count);
		if (first != expect_first || got + count > n) {
			tap_diag("leaf %zu starts at %llu, want %llu", i,
				 (unsigned long long)first, (unsigned long long)expect_first);
			goto fail;
		}
		if (tfr_extsort_load(s, i, &a, &err)) {
			tap_diag("load: %s", err.msg);
			goto fail;
		}
		memcpy(all + got, a, count * sizeof(*a));
		free(a);
		got += count;
		expect_first += count;
		if (count > *maxleafp)
			*maxleafp = count;
	}
	tfr_extsort_free(s);
	if (got != n) {
		tap_diag("%zu entries out of %zu", got, n);
		free(all);
		return -1;
	}
	*outp = all;
	return 0;
fail:
	tfr_extsort_free(s);
	free(all);
	return -1;
}

/* Every pos once, payload intact, (key, pos) strictly ascending, and the
 * keys are exactly the keys that went in. */
static int check_sorted(int kind, const struct tfr_extsort_ent *a, size_t n)
{
	unsigned char *seen = calloc(n ? n : 1, 1);
	uint64_t *in = malloc((n ? n : 1) * sizeof(*in)), *out = malloc((n ? n : 1) * sizeof(*out));
	uint64_t seed = 42;
	size_t i;
	int good = seen && in && out;

	for (i = 0; good && i < n; i++) {
		const struct tfr_extsort_ent *e = &a[i];

		if (e->pos >= n || seen[e->pos]++ || e->off != e->pos * 7 + 3 ||
		    e->len != (uint32_t)(e->pos ^ 0x5a5a) || e->src != e->pos % 5)
			good = 0;
		if (i && (a[i - 1].key > e->key || (a[i - 1].key == e->key && a[i - 1].pos >= e->pos)))
			good = 0;
		in[i] = make_key(kind, &seed);
		out[i] = e->key;
	}
	if (good) {
		qsort(in, n, sizeof(*in), cmp_u64);
		good = !memcmp(in, out, n * sizeof(*in));
	}
	free(seen);
	free(in);
	free(out);
	return good;
}

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

int main(void)
{
	static const struct { size_t bucket_cap; uint64_t leaf_limit; } sizes[] = {
		{ 4096, 1000000 },	/* no bucket is split */
		{ 1, 1000000 },		/* a write per entry */
		{ 2, 24 },		/* buckets split again; deep and equal
					 * keys down to the last key byte */
	};
	/* Each split makes 256 temporary files: the sizes stay small so
	 * that the test takes seconds. */
	static const size_t counts[] = { 0, 1, 300, 2000 };
	char dir[] = "/tmp/unit-extsort-XXXXXX";
	struct tfr_extsort_opts bad = { .tmpdir = "/tmp", .bucket_cap = 0, .leaf_limit = 1 };
	struct tfr_extsort *s = NULL;
	struct tfr_error err;
	size_t si, ci;
	int kind;

	if (!mkdtemp(dir)) {
		tap_skip_all("cannot make a temporary directory");
		return 0;
	}
	ok(tfr_extsort_new(&s, &bad, &err) == TFR_ERR_INVALID && !s, "a zero buffer size is refused");
	tfr_extsort_free(NULL);
	ok(1, "free(NULL) is harmless");

	for (kind = 0; kind < NKINDS; kind++) {
		for (ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
			size_t n = counts[ci];
			struct tfr_extsort_ent *ref = NULL;

			for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
				struct tfr_extsort_ent *a = NULL, *b = NULL;
				size_t nleaves = 0, nleaves2 = 0;
				uint64_t maxleaf = 0, maxleaf2;
				int r1, r2;

				r1 = run_sort(dir, kind, n, sizes[si].bucket_cap, sizes[si].leaf_limit,
					      &a, &nleaves, &maxleaf);
				ok(r1 == 0 && check_sorted(kind, a, n),
				   "%s keys, %zu entries, buffer %zu, leaf %llu: each once, in order",
				   kind_name[kind], n, sizes[si].bucket_cap,
				   (unsigned long long)sizes[si].leaf_limit);
				if (kind == KEYS_RANDOM && n > sizes[si].leaf_limit)
					ok(r1 == 0 && maxleaf <= sizes[si].leaf_limit && nleaves > 1,
					   "  no leaf above the limit (%zu leaves, largest %llu)",
					   nleaves, (unsigned long long)maxleaf);
				r2 = run_sort(dir, kind, n, sizes[si].bucket_cap, sizes[si].leaf_limit,
					      &b, &nleaves2, &maxleaf2);
				ok(r1 == 0 && r2 == 0 && nleaves == nleaves2 &&
				   !memcmp(a, b, n * sizeof(*a)), "  the same input gives the same output");
				if (!ref) {
					ref = a;
					a = NULL;
				} else {
					ok(r1 == 0 && !memcmp(ref, a, n * sizeof(*a)),
					   "  the same order as with the first sizes");
				}
				free(a);
				free(b);
			}
			free(ref);
		}
	}
	ok(dir_is_empty(dir), "no temporary file is left behind");
	rmdir(dir);
	return tap_done();
}
