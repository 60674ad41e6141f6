/*
 * hygiene/search.c - exact groups by sorting, near groups by
 * multi-index hashing and union-find (see search.h).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>

#include "hygiene/search.h"

#define NONE UINT32_MAX

static uint32_t uf_find(uint32_t *p, uint32_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];   /* path halving */
		x = p[x];
	}
	return x;
}

/* Union keeping the smaller index as root, so roots are first members. */
static void uf_union(uint32_t *p, uint32_t a, uint32_t b)
{
	a = uf_find(p, a);
	b = uf_find(p, b);
	if (a < b)
		p[b] = a;
	else if (b < a)
		p[a] = b;
}

/* Item indices sorted by (key, index) with glibc's qsort_r, the keys
 * read from the fingerprints: 4 bytes an item rather than a copy of
 * the keys (the memory bound of search.h).  Runs of equal keys come out
 * with their lowest index first. */
static int cmp_exact(const void *a, const void *b, void *ctx)
{
	const struct tfr_fp *f = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (f[x].exact != f[y].exact)
		return f[x].exact < f[y].exact ? -1 : 1;
	return (x > y) - (x < y);
}

static int cmp_phash(const void *a, const void *b, void *ctx)
{
	const struct tfr_fp *f = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (f[x].phash != f[y].phash)
		return f[x].phash < f[y].phash ? -1 : 1;
	return (x > y) - (x < y);
}

/* Binomial sum: values within radius r of a b-bit value. */
static double ball(unsigned b, unsigned r)
{
	double s = 0, c = 1;
	unsigned k;

	for (k = 0; k <= r && k <= b; k++) {
		s += c;
		c = c * (b - k) / (k + 1);
	}
	return s;
}

/* One block table at a time: block value << 32 | index, sorted.  The
 * components do not depend on the order of the unions, so the tables
 * need not exist together (8 bytes an item, not 8 m). */
struct mih {
	unsigned m, r;
	unsigned shift[8], bits[8];
	uint64_t *tab;
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t block_of(const struct mih *h, unsigned t, uint64_t v)
{
	return (v >> h->shift[t]) & ((UINT64_C(1) << h->bits[t]) - 1);
}

static size_t lower(const uint64_t *t, size_t n, uint64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] >> 32 < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Visit every value within radius r of v in block t (flip bits from
 * position start up), union the item with each candidate within d. */
static void probe(const struct mih *h, unsigned t, uint64_t v, unsigned start,
		  unsigned left, const struct tfr_fp *fps, uint32_t self,
		  int d, uint32_t *p)
{
	size_t i = lower(h->tab, h->n, v);
	unsigned b;

	for (; i < h->n && h->tab[i] >> 32 == v; i++) {
		uint32_t j = (uint32_t)h->tab[i];

		if (j > self &&
		    tfr_fp_distance(fps[self].phash, fps[j].phash) <= d)
			uf_union(p, self, j);
	}
	if (!left)
		return;
	for (b = start; b < h->bits[t]; b++)
		probe(h, t, v ^ (UINT64_C(1) << b), b + 1, left - 1, fps, self,
		      d, p);
}

static void pick_blocks(struct mih *h, size_t n, int d)
{
	double best = 0;
	unsigned m, t, off;

	/* m >= 2 keeps a block within 32 bits (packed tables). */
	h->m = 2;
	for (m = 2; m <= 8; m++) {
		unsigned b = 64 / m, r = (unsigned)d / m;
		double per = (double)n / (b >= 63 ? 9.2e18 : (double)(UINT64_C(1) << b));
		double cost = m * ball(b, r) * (20.0 + per);

		if (m == 2 || cost < best) {
			best = cost;
			h->m = m;
		}
	}
	h->r = (unsigned)d / h->m;
	for (t = 0, off = 0; t < h->m; t++) {
		h->bits[t] = 64 / h->m + (t < 64 % h->m);
		h->shift[t] = off;
		off += h->bits[t];
	}
}

int tfr_dup_find(const struct tfr_fp *fps, const unsigned char *skip,
		 size_t n, int distance, struct tfr_dup_groups *out,
		 struct tfr_error *err)
{
	uint32_t *p = NULL, *exact_root = NULL, *cnt = NULL;
	uint32_t *kv = NULL;
	struct mih h;
	size_t i, k, nv = 0, ng = 0, nm = 0;
	unsigned t;
	int rc = TFR_ERR_NOMEM;

	memset(out, 0, sizeof *out);
	memset(&h, 0, sizeof h);
	if (n >= NONE)
		return tfr_error_set(err, TFR_ERR_LIMIT,
				     "duplicates: more than %u items", NONE - 1);
	if (distance > TFR_DUP_MAX_DISTANCE)
		return tfr_error_set(err, TFR_ERR_INVALID,
				     "duplicates: distance %d over %d", distance,
				     TFR_DUP_MAX_DISTANCE);
	p = malloc((n ? n : 1) * sizeof *p);
	exact_root = malloc((n ? n : 1) * sizeof *exact_root);
	kv = malloc((n ? n : 1) * sizeof *kv);
	if (!p || !exact_root || !kv)
		goto fail;
	for (i = 0; i < n; i++) {
		p[i] = (uint32_t)i;
		exact_root[i] = NONE;
		if (!skip || !skip[i])
			kv[nv++] = (uint32_t)i;
	}
	/* Exact: runs of equal keys; exact_root = the run's first index. */
	qsort_r(kv, nv, sizeof *kv, cmp_exact, (void *)fps);
	for (i = 0; i < nv; i = k) {
		for (k = i + 1; k < nv && fps[kv[k]].exact == fps[kv[i]].exact; k++)
			;
		if (k - i > 1)
			for (size_t q = i; q < k; q++)
				exact_root[kv[q]] = kv[i];
	}
	free(kv);
	kv = NULL;
	/* Near: union-find over the items, exact groups united first. */
	if (distance >= 0) {
		size_t nu = 0;

		for (i = 0; i < n; i++)
			if (exact_root[i] != NONE)
				uf_union(p, (uint32_t)i, exact_root[i]);
		/* Equal hashes are united at once and searched as one
		 * representative: a set with many copies of one picture
		 * would otherwise fill one bucket and make the search
		 * quadratic in the copies. */
		kv = malloc((nv ? nv : 1) * sizeof *kv);
		if (!kv)
			goto fail;
		for (i = 0, k = 0; i < n; i++)
			if (!skip || !skip[i])
				kv[k++] = (uint32_t)i;
		qsort_r(kv, nv, sizeof *kv, cmp_phash, (void *)fps);
		for (i = 0; i < nv; i = k) {
			for (k = i + 1; k < nv && fps[kv[k]].phash == fps[kv[i]].phash; k++)
				uf_union(p, kv[i], kv[k]);
			kv[nu++] = kv[i];  /* the representative: lowest index */
		}
		pick_blocks(&h, nu, distance);
		h.n = nu;
		h.tab = malloc((nu ? nu : 1) * sizeof *h.tab);
		if (!h.tab)
			goto fail;
		for (t = 0; t < h.m; t++) {
			for (k = 0; k < nu; k++)
				h.tab[k] = block_of(&h, t, fps[kv[k]].phash) << 32 | kv[k];
			qsort(h.tab, nu, sizeof *h.tab, cmp_u64);
			for (k = 0; k < nu; k++)
				probe(&h, t, block_of(&h, t, fps[kv[k]].phash), 0, h.r, fps,
				      kv[k], distance, p);
		}
		free(h.tab);
		h.tab = NULL;
		free(kv);
		kv = NULL;
	}
	/*
	 * Groups: per root, count members (a near component whose members
	 * all share one exact root is an exact group).  Reuse exact_root as
	 * "root of i" and cnt as group sizes indexed by root.
	 */
	cnt = calloc(n ? n : 1, sizeof *cnt);
	if (!cnt)
		goto fail;
	for (i = 0; i < n; i++) {
		uint32_t r;

		if (skip && skip[i])
			continue;
		r = distance >= 0 ? uf_find(p, (uint32_t)i)
				  : (exact_root[i] == NONE ? (uint32_t)i : exact_root[i]);
		cnt[r]++;
	}
	for (i = 0; i < n; i++)
		if (cnt[i] > 1) {
			ng++;
			nm += cnt[i];
		}
	out->start = malloc((ng + 1) * sizeof *out->start);
	out->member = malloc((nm ? nm : 1) * sizeof *out->member);
	out->kind = malloc(ng ? ng : 1);
	if (!out->start || !out->member || !out->kind)
		goto fail;
	/* Group numbers in order of roots (= first members); p[root] now
	 * holds the next free slot for that root's members. */
	{
		size_t g = 0, pos = 0;
		uint32_t *slot = p; /* roots are found before reuse below */
		uint32_t *root = malloc((n ? n : 1) * sizeof *root);

		if (!root)
			goto fail;
		for (i = 0; i < n; i++)
			root[i] = (skip && skip[i]) ? NONE
				: distance >= 0 ? uf_find(p, (uint32_t)i)
				: (exact_root[i] == NONE ? (uint32_t)i : exact_root[i]);
		for (i = 0; i < n; i++)
			if (cnt[i] > 1) {
				out->start[g] = pos;
				/* exact when every member has this same exact root */
				out->kind[g] = exact_root[i] == i ? TFR_DUP_EXACT
								  : TFR_DUP_NEAR;
				slot[i] = (uint32_t)pos;
				pos += cnt[i];
				cnt[i] = (uint32_t)g++;  /* group number of root */
			} else {
				slot[i] = NONE;
			}
		out->start[g] = pos;
		for (i = 0; i < n; i++) {
			uint32_t r = root[i];

			if (r == NONE || slot[r] == NONE)
				continue;
			out->member[slot[r]++] = (uint32_t)i;
			/* a member outside the root's exact group: near */
			if (exact_root[i] != r)
				out->kind[cnt[r]] = TFR_DUP_NEAR;
		}
		free(root);
		out->ngroups = ng;
	}
	rc = TFR_OK;
fail:
	free(p);
	free(exact_root);
	free(kv);
	free(cnt);
	free(h.tab);
	if (rc) {
		tfr_dup_groups_free(out);
		return tfr_error_set(err, rc, "duplicates: out of memory");
	}
	return TFR_OK;
}

void tfr_dup_groups_free(struct tfr_dup_groups *g)
{
	if (!g)
		return;
	free(g->start);
	free(g->member);
	free(g->kind);
	memset(g, 0, sizeof *g);
}
