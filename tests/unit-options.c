/*
 * unit-options.c - the option list that keys --resume (pipeline/options.h).
 *
 * A shard is kept by --resume when the key is the same, so a field of
 * struct tfr_convert_opts that shapes the output but is missing from the
 * key would keep stale shards.  The checks:
 *   - the field table covers the whole struct: every byte is a field of
 *     the table or padding (with GCC's __builtin_clear_padding; without
 *     it, gaps may only be alignment padding);
 *   - changing a KEYED field changes the key in at least one of several
 *     base configurations (a crop's randomness counts only with a crop),
 *     and changing any other field changes it in none;
 *   - known answers: today's manifests' option lists, byte for byte;
 *   - the shard twin, and that tfr_convert_prepare's checks give codes.
 */
#include "config.h"
#include "tap.h"
#include "lib/base/buf.h"
#include "lib/pipeline/convert.h"
#include "lib/pipeline/options.h"
#include "lib/pipeline/shard.h"
#include "lib/image/store.h"
#include "lib/hygiene/dedupe.h"

#include <stdint.h>
#include <string.h>

#if defined(__has_builtin)
#if __has_builtin(__builtin_clear_padding)
#define HAVE_CLEAR_PADDING 1
#endif
#endif

static void defaults(struct tfr_convert_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->aug.channels = 3;
	o->aug.dtype = TFR_DTYPE_FLOAT16;
	o->aug.layout = TFR_LAYOUT_HWC;
	o->aug.rrc_scale[0] = 0.08f;
	o->aug.rrc_scale[1] = 1.0f;
	o->aug.rrc_ratio[0] = 3.0f / 4;
	o->aug.rrc_ratio[1] = 4.0f / 3;
	o->copies = 1;
	o->plan.mode = TFR_PLAN_BYTES;
	o->plan.value = 256u << 20;
	o->out.part_i = o->out.part_n = 1;
}

/* The key as the output layer hashes it: the options' JSON. */
static void key(const struct tfr_convert_opts *o, struct tfr_buf *b)
{
	struct tfr_option v[TFR_MAX_OPTIONS];
	size_t n = tfr_convert_options(o, v);

	b->len = 0;
	if (n > TFR_MAX_OPTIONS || tfr_output_options_json(b, v, n) || tfr_buf_append(b, "", 1))
		abort();
}

static int key_is(const struct tfr_convert_opts *o, const char *want)
{
	struct tfr_buf b;
	int same;

	tfr_buf_init(&b, 0);
	key(o, &b);
	same = !strcmp((const char *)b.data, want);
	if (!same)
		tap_diag("key %s\n# want %s", (const char *)b.data, want);
	tfr_buf_release(&b);
	return same;
}

/* Change element k of field f (k < elements(f)); 0 when it has none. */
static size_t elements(const struct tfr_field *f)
{
	switch (f->kind) {
	case TFR_FIELD_FLOAT: return f->size / sizeof(float);
	case TFR_FIELD_BYTES: return f->size;
	default: return 1;
	}
}

/* Two other values for the field (step 1 and 2): integers are XORed
 * with the step (so enums stay in or near their range, which every name
 * function handles, and reach both neighbours), floats and bytes move by
 * an amount, pointers go to another place. */
static void mutate(void *base, const struct tfr_field *f, size_t k, int step)
{
	unsigned char *p = (unsigned char *)base + f->offset;
	static char elsewhere[2];

	switch (f->kind) {
	case TFR_FIELD_INT: { int v; memcpy(&v, p, sizeof(v)); v ^= step; memcpy(p, &v, sizeof(v)); break; }
	case TFR_FIELD_U32: { uint32_t v; memcpy(&v, p, sizeof(v)); v ^= (uint32_t)step; memcpy(p, &v, sizeof(v)); break; }
	case TFR_FIELD_U64: { uint64_t v; memcpy(&v, p, sizeof(v)); v ^= (uint64_t)step; memcpy(p, &v, sizeof(v)); break; }
	case TFR_FIELD_SIZE: { size_t v; memcpy(&v, p, sizeof(v)); v ^= (size_t)step; memcpy(p, &v, sizeof(v)); break; }
	case TFR_FIELD_FLOAT: {
		float v;

		memcpy(&v, p + k * sizeof(float), sizeof(v));
		v += 0.125f * (float)step;
		memcpy(p + k * sizeof(float), &v, sizeof(v));
		break;
	}
	case TFR_FIELD_DOUBLE: { double v; memcpy(&v, p, sizeof(v)); v += 0.125 * step; memcpy(p, &v, sizeof(v)); break; }
	case TFR_FIELD_BYTES: p[k] = (unsigned char)(p[k] + step); break;
	case TFR_FIELD_POINTER: { void *v = &elsewhere[step - 1]; memcpy(p, &v, sizeof(v)); break; }
	}
}

#define NBASES 9

/* Configurations in which each keyed field shows: prepared as a run
 * would be, so derived fields hold what they would. */
static void make_bases(struct tfr_convert_opts b[NBASES])
{
	struct tfr_error e;
	int i;

	for (i = 0; i < NBASES; i++)
		defaults(&b[i]);
	b[1].aug.resize = TFR_RESIZE_EXACT;          /* resize, crop */
	b[1].aug.resize_w = b[1].aug.resize_h = 256;
	b[1].aug.crop_w = b[1].aug.crop_h = 224;
	b[1].aug.random_crop = 1;
	b[2].aug.resize = TFR_RESIZE_SHORT;          /* resize_short */
	b[2].aug.resize_short = 256;
	b[2].dedupe = TFR_DEDUPE_NEAR;               /* duplicates */
	b[2].dedupe_distance = 10;
	b[3].rrc_w = b[3].rrc_h = 224;               /* rrc */
	b[4].store = TFR_STORE_JPEG;                 /* store */
	b[4].store_quality = 90;
	b[5].nmean = b[5].nstd = 3;                  /* mean and std */
	b[5].mean[0] = 0.4f; b[5].mean[1] = 0.5f; b[5].mean[2] = 0.6f;
	b[5].std[0] = 0.2f; b[5].std[1] = 0.25f; b[5].std[2] = 0.3f;
	b[6].min_box_visible = 0.5;                  /* detection */
	b[6].box_retries = 3;
	b[7].normalize = TFR_NORM_DATASET;           /* the dataset's statistics */
	b[7].stats_sample = 10;
	b[8].use_background = 1;                     /* background */
	b[8].background[0] = 10;
	b[8].background[1] = 20;
	b[8].background[2] = 30;
	b[8].encoded = 1;
	for (i = 0; i < NBASES; i++)
		ok(tfr_convert_prepare(&b[i], &e) == TFR_OK, "base %d is a valid run", i);
}

static void check_coverage(void)
{
	const struct tfr_field *f;
	size_t n, i, sum = 0, gaps = 0;
	int sorted = 1;

	f = tfr_convert_fields(&n);
	for (i = 0; i < n; i++) {
		sum += f[i].size;
		if (i && f[i].offset < f[i - 1].offset + f[i - 1].size) {
			sorted = 0;
			tap_diag("%s overlaps or precedes %s", f[i].name, f[i - 1].name);
		}
		if (i && f[i].offset > f[i - 1].offset + f[i - 1].size)
			gaps += f[i].offset - (f[i - 1].offset + f[i - 1].size);
	}
	ok(sorted && n && f[n - 1].offset + f[n - 1].size <= sizeof(struct tfr_convert_opts),
	   "the table lists %zu fields in order, without overlaps, inside the struct", n);
#ifdef HAVE_CLEAR_PADDING
	{
		struct tfr_convert_opts o;
		unsigned char bytes[sizeof(o)];
		size_t left = 0;

		(void)gaps;
		memset(&o, 0xa5, sizeof(o));
		__builtin_clear_padding(&o);
		for (i = 0; i < n; i++)
			memset((unsigned char *)&o + f[i].offset, 0, f[i].size);
		memcpy(bytes, &o, sizeof(o));
		for (i = 0; i < sizeof(o); i++)
			if (bytes[i]) {
				if (!left)
					tap_diag("byte %zu of struct tfr_convert_opts is in no field of "
						 "the table (options.c)", i);
				left++;
			}
		ok(left == 0, "every byte of struct tfr_convert_opts (%zu) is a listed field or "
		   "padding (%zu of them are not)", sizeof(o), left);
	}
#else
	/* No compiler help: the gaps between listed fields must be no more
	 * than alignment padding could make (each under 8 bytes). */
	{
		int small = 1;

		for (i = 1; i < n; i++)
			if (f[i].offset - (f[i - 1].offset + f[i - 1].size) >= 8)
				small = 0;
		ok(small && sum + gaps + (sizeof(struct tfr_convert_opts) -
					  (f[n - 1].offset + f[n - 1].size)) ==
		   sizeof(struct tfr_convert_opts) &&
		   sizeof(struct tfr_convert_opts) - (f[n - 1].offset + f[n - 1].size) < 8,
		   "the table covers struct tfr_convert_opts but for alignment gaps "
		   "(weaker check: no __builtin_clear_padding)");
	}
#endif
	(void)sum;
}

static void check_mutations(void)
{
	struct tfr_convert_opts bases[NBASES], o;
	struct tfr_buf k0, k1;
	const struct tfr_field *f;
	size_t n, i, k;
	int b, step, bad_keyed = 0, bad_other = 0;

	make_bases(bases);
	tfr_buf_init(&k0, 0);
	tfr_buf_init(&k1, 0);
	f = tfr_convert_fields(&n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < elements(&f[i]); k++) {
			int changed = 0;

			for (b = 0; b < NBASES; b++) {
				key(&bases[b], &k0);
				for (step = 1; step <= 2; step++) {
					o = bases[b];
					mutate(&o, &f[i], k, step);
					key(&o, &k1);
					if (k0.len != k1.len || memcmp(k0.data, k1.data, k0.len))
						changed = 1;
				}
			}
			if (f[i].role == TFR_FIELD_KEYED && !changed) {
				tap_diag("%s[%zu] is KEYED but no change of it changes the key", f[i].name, k);
				bad_keyed++;
			}
			if (f[i].role != TFR_FIELD_KEYED && changed) {
				tap_diag("%s[%zu] is not KEYED but changes the key", f[i].name, k);
				bad_other++;
			}
		}
	}
	ok(!bad_keyed, "every keyed field (each element) changes the key somewhere");
	ok(!bad_other, "no other field changes the key");
	/* And the mutation does reach the key: a field known to be keyed. */
	o = bases[0];
	key(&o, &k0);
	o.seed++;
	key(&o, &k1);
	ok(strcmp((const char *)k0.data, (const char *)k1.data),
	   "the comparison sees a changed seed");
	tfr_buf_release(&k0);
	tfr_buf_release(&k1);
}

static void check_known(void)
{
	struct tfr_convert_opts o;
	struct tfr_error e;

	/* The option lists of manifests written before the list moved into
	 * the library (tfrec convert on sample-data/photos). */
	defaults(&o);
	o.plan.mode = TFR_PLAN_SHARDS;
	o.plan.value = 2;
	ok(!tfr_convert_prepare(&o, &e) && key_is(&o,
	   "{\"flip\": false, \"normalize\": \"unit\", \"dtype\": \"float16\", \"layout\": \"hwc\", "
	   "\"channels\": 3, \"copies\": 1, \"seed\": 0, \"shuffle\": false, \"shards\": 2, "
	   "\"compression\": \"none\", \"index\": false, \"on_error\": \"fail\", "
	   "\"max_pixels\": 100000000}"), "known answer: --shards 2");

	defaults(&o);
	o.rrc_w = o.rrc_h = 40;
	o.aug.rrc_scale[0] = 0.2f;
	o.aug.rrc_scale[1] = 0.9f;
	o.seed = 5;
	ok(!tfr_convert_prepare(&o, &e) && key_is(&o,
	   "{\"random_resized_crop\": [40, 40], \"rrc_scale\": [0.200000003, 0.899999976], "
	   "\"rrc_ratio\": [0.75, 1.33333337], \"flip\": false, \"normalize\": \"unit\", "
	   "\"dtype\": \"float16\", \"layout\": \"hwc\", \"channels\": 3, \"copies\": 1, "
	   "\"seed\": 5, \"shuffle\": false, \"shard_size\": 268435456, \"compression\": \"none\", "
	   "\"index\": false, \"on_error\": \"fail\", \"max_pixels\": 100000000}"),
	   "known answer: --random-resized-crop 40x40 --rrc-scale 0.2,0.9 --seed 5");

	defaults(&o);
	o.aug.resize = TFR_RESIZE_SHORT;
	o.aug.resize_short = 64;
	o.nmean = o.nstd = 1;
	o.mean[0] = 0.5f;
	o.std[0] = 0.25f;
	o.aug.dtype = TFR_DTYPE_FLOAT32;
	ok(!tfr_convert_prepare(&o, &e) && key_is(&o,
	   "{\"resize_short\": 64, \"flip\": false, \"normalize\": \"custom\", \"mean\": [0.5, 0.5, 0.5], "
	   "\"std\": [0.25, 0.25, 0.25], \"dtype\": \"float32\", \"layout\": \"hwc\", \"channels\": 3, "
	   "\"copies\": 1, \"seed\": 0, \"shuffle\": false, \"shard_size\": 268435456, "
	   "\"compression\": \"none\", \"index\": false, \"on_error\": \"fail\", "
	   "\"max_pixels\": 100000000}"), "known answer: --resize-short 64 --mean 0.5 --std 0.25 --dtype float32");

	defaults(&o);
	o.aug.resize = TFR_RESIZE_SHORT;
	o.aug.resize_short = 64;
	o.aug.crop_w = o.aug.crop_h = 56;
	o.store = TFR_STORE_JPEG;
	o.store_quality = 90;
	ok(!tfr_convert_prepare(&o, &e) && key_is(&o,
	   "{\"store\": \"jpeg\", \"quality\": 90, \"resize_short\": 64, \"crop\": [56, 56], "
	   "\"random_crop\": false, \"flip\": false, \"normalize\": \"none\", \"dtype\": \"uint8\", "
	   "\"layout\": \"hwc\", \"channels\": 3, \"copies\": 1, \"seed\": 0, \"shuffle\": false, "
	   "\"shard_size\": 268435456, \"compression\": \"none\", \"index\": false, "
	   "\"on_error\": \"fail\", \"max_pixels\": 100000000}"),
	   "known answer: --resize-short 64 --crop 56x56 --store jpeg (presets uint8)");
}

static void check_prepare(void)
{
	struct tfr_convert_opts o;
	struct tfr_error e;

	defaults(&o);
	o.aug.random_crop = 1;
	ok(tfr_convert_prepare(&o, &e) == TFR_ERR_INVALID && e.code == TFR_CHECK_RANDOM_CROP &&
	   !strstr(e.msg, "--"), "a random crop without a crop: a code, no flag names (%s)", e.msg);
	defaults(&o);
	o.copies = 2;
	ok(tfr_convert_prepare(&o, &e) == TFR_ERR_INVALID && e.code == TFR_CHECK_COPIES,
	   "identical copies are refused");
	defaults(&o);
	o.normalize = TFR_NORM_UNIT;
	o.store = TFR_STORE_PNG;
	ok(tfr_convert_prepare(&o, &e) == TFR_ERR_INVALID && e.code == TFR_CHECK_STORE,
	   "a normalization asked for, even unit, conflicts with --store");
	defaults(&o);
	o.normalize = TFR_NORM_IMAGENET;
	o.aug.channels = 1;
	ok(!tfr_convert_prepare(&o, &e) && o.aug.mean[0] == 0.449f && o.aug.std[0] == 0.226f,
	   "the ImageNet preset for one channel");
	defaults(&o);
	o.nmean = o.nstd = 1;
	o.mean[0] = 0.5f;
	o.std[0] = 1e-6f;
	ok(tfr_convert_prepare(&o, &e) == TFR_ERR_INVALID && e.code == TFR_CHECK_STD_RANGE,
	   "a std that passes float16: %s", e.msg);
}

static void shard_key(const struct tfr_shard_opts *o, struct tfr_buf *b)
{
	struct tfr_option v[TFR_MAX_OPTIONS];
	size_t n = tfr_shard_options(o, v);

	b->len = 0;
	if (tfr_output_options_json(b, v, n) || tfr_buf_append(b, "", 1))
		abort();
}

static void check_shard(void)
{
	struct tfr_shard_opts o, m;
	struct tfr_buf a, b;
	int changes = 0, same = 1;

	memset(&o, 0, sizeof(o));
	o.plan.mode = TFR_PLAN_RECORDS;
	o.plan.value = 100;
	tfr_buf_init(&a, 0);
	tfr_buf_init(&b, 0);
	shard_key(&o, &a);
	ok(!strcmp((const char *)a.data, "{\"records_per_shard\": 100, \"shuffle\": false, "
		   "\"seed\": 0, \"compression\": \"none\", \"index\": false, \"skip_corrupt\": false}"),
	   "shard: known answer (%s)", (const char *)a.data);
#define TRY(stmt, keyed) do { \
		int d_; \
		m = o; \
		stmt; \
		shard_key(&m, &b); \
		d_ = strcmp((const char *)a.data, (const char *)b.data) != 0; \
		if (keyed) \
			changes += d_; \
		else \
			same &= !d_; \
	} while (0)
	TRY(m.plan.value++, 1);
	TRY(m.plan.mode = TFR_PLAN_SHARDS, 1);
	TRY(m.shuffle = 1, 1);
	TRY(m.seed = 9, 1);
	TRY(m.out.compression = TFR_COMP_GZIP, 1);
	TRY(m.out.index = 1, 1);
	TRY(m.salvage = 1, 1);
	TRY(m.out.level = 1, 1);
	TRY(m.memory = 1, 0);
	TRY(m.threads = 4, 0);
	TRY(m.max_record = 5, 0);
#undef TRY
	ok(changes == 8, "shard: each output option changes the key (%d of 8)", changes);
	ok(same, "shard: memory, threads and max_record do not");
	tfr_buf_release(&a);
	tfr_buf_release(&b);
}

int main(void)
{
	check_coverage();
	check_mutations();
	check_known();
	check_prepare();
	check_shard();
	return tap_done();
}
