/* options.c - checks, presets and the option list of a run; see options.h. */
#include "config.h"
#include "pipeline/options.h"
#include "pipeline/convert.h"
#include "pipeline/shard.h"
#include "hygiene/dedupe.h"
#include "image/image.h"
#include "image/store.h"
#include "pixels/f16.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tfr_normalize_parse(const char *s)
{
	static const char *const names[] = { "unit", "imagenet", "none", "dataset" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return TFR_NORM_UNIT + i;
	return -1;
}

/* The name the manifest gives the normalization of a prepared run. */
static const char *norm_name(const struct tfr_convert_opts *o)
{
	if (o->nmean)
		return "custom";
	if (o->aug.dtype == TFR_DTYPE_UINT8)
		return "none";
	switch (o->normalize) {
	case TFR_NORM_IMAGENET: return "imagenet";
	case TFR_NORM_NONE: return "none";
	case TFR_NORM_DATASET: return "dataset";
	}
	return "unit";
}

static int check(struct tfr_error *err, enum tfr_convert_check code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int check(struct tfr_error *err, enum tfr_convert_check code, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(err->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tfr_error_set(err, TFR_ERR_INVALID, "%s", msg);
	if (err)
		err->code = (int)code;
	return TFR_ERR_INVALID;
}

/* The checks between options that do not need the presets. */
static int check_shape(const struct tfr_convert_opts *o, struct tfr_error *err)
{
	const struct tfr_augment *a = &o->aug;

	if (o->rrc_w && (a->resize || a->crop_w || a->random_crop))
		return check(err, TFR_CHECK_RRC_WINDOW, "a random resized crop chooses its own "
			     "window: resizing and cropping do not apply");
	if (a->random_crop && !a->crop_w)
		return check(err, TFR_CHECK_RANDOM_CROP, "a random crop needs a crop size");
	if (a->resize == TFR_RESIZE_EXACT && a->crop_w &&
	    (a->crop_w > a->resize_w || a->crop_h > a->resize_h))
		return check(err, TFR_CHECK_CROP_RESIZE, "the crop is larger than the resize");
	if (a->resize == TFR_RESIZE_SHORT && a->crop_w &&
	    (a->crop_w > a->resize_short && a->crop_h > a->resize_short))
		return check(err, TFR_CHECK_CROP_SHORT,
			     "the crop is larger than the short side's resize on both sides");
	return TFR_OK;
}

static int check_norm(const struct tfr_convert_opts *o, int norm_given, struct tfr_error *err)
{
	if ((o->nmean != 0) != (o->nstd != 0))
		return check(err, TFR_CHECK_MEAN_STD, "a mean and a std go together");
	if (o->nmean && norm_given)
		return check(err, TFR_CHECK_NORM_TWICE, "a normalization mode and a mean/std, not both");
	if (o->nmean && (o->nmean != (int)o->aug.channels && o->nmean != 1))
		return check(err, TFR_CHECK_MEAN_COUNT, "the mean needs 1 or %u values",
			     o->aug.channels);
	if (o->nstd && (o->nstd != o->nmean))
		return check(err, TFR_CHECK_STD_COUNT, "the std needs as many values as the mean");
	if (o->stats_sample && o->normalize != TFR_NORM_DATASET)
		return check(err, TFR_CHECK_STATS_SAMPLE,
			     "a stats sample goes with the dataset normalization");
	if (o->store && (o->encoded || norm_given || o->nmean || o->aug.dtype != TFR_DTYPE_FLOAT16 ||
			 o->aug.layout != TFR_LAYOUT_HWC))
		return check(err, TFR_CHECK_STORE, "a stored encoding keeps 8-bit HWC pixels: "
			     "the original bytes, a normalization, a dtype and a layout do not apply");
	return TFR_OK;
}

static int check_rest(const struct tfr_convert_opts *o, int norm_given, struct tfr_error *err)
{
	const struct tfr_augment *a = &o->aug;
	uint32_t fw, fh;
	int i;

	if (a->dtype == TFR_DTYPE_UINT8 && (norm_given || o->nmean))
		return check(err, TFR_CHECK_UINT8_NORM, "uint8 stores pixels: a normalization "
			     "does not apply");
	if (o->encoded && (a->resize || a->crop_w || a->flip || o->rrc_w || norm_given ||
			   o->nmean || o->copies > 1))
		return check(err, TFR_CHECK_ENCODED, "the original bytes are kept: augment "
			     "options do not apply");
	/* Copies differ only by the random choices of the crop and flip
	 * (augment.h); without one they are byte-identical records, which
	 * bias training and are never what was meant (issue 21). */
	if (o->copies > 1 && !a->random_crop && !a->flip && !o->rrc_w)
		return check(err, TFR_CHECK_COPIES, "%u copies would be identical without a "
			     "random crop, flip or random resized crop", o->copies);
	if (o->out.index && o->out.compression != TFR_COMP_NONE)
		return check(err, TFR_CHECK_INDEX, "an index needs uncompressed shards "
			     "(DALI seeks by offset)");
	/* One limit for writing and reading: no record past what tfrec's
	 * readers accept by default. */
	if (o->encoded && o->max_file > TFR_MAX_TENSOR_BYTES)
		return check(err, TFR_CHECK_ENCODED_MAX_FILE, "the file limit with the original "
			     "bytes is at most %lluM, so that a record stays within 1G",
			     (unsigned long long)(TFR_MAX_TENSOR_BYTES >> 20));
	if (tfr_augment_fixed_shape(a, &fw, &fh) && tfr_augment_check_size(a, fw, fh, err)) {
		if (err) {
			err->status = TFR_ERR_INVALID;
			err->code = TFR_CHECK_SIZE;
		}
		return TFR_ERR_INVALID;
	}
	for (i = 0; i < o->nstd; i++) {
		/* x in 0..1 becomes (x - mean) / std: past 65504 float16
		 * holds only infinity. */
		double far;

		if (!(o->std[i] > 0))
			return check(err, TFR_CHECK_STD_POSITIVE, "std values must be positive");
		far = fmax(fabs(o->mean[i]), fabs(1.0 - o->mean[i])) / o->std[i];
		if (a->dtype == TFR_DTYPE_FLOAT16 && far > TFR_F16_MAX)
			return check(err, TFR_CHECK_STD_RANGE, "mean %g and std %g give values up "
				     "to %g, beyond float16's %g (float32 holds them)",
				     o->mean[i], o->std[i], far, TFR_F16_MAX);
	}
	return TFR_OK;
}

/* The normalization asked for, as aug's multipliers. */
static void preset_norm(struct tfr_convert_opts *o)
{
	/* ImageNet's statistics, as torchvision gives them; gray uses
	 * their mean over the channels. */
	static const float m3[3] = { 0.485f, 0.456f, 0.406f }, s3[3] = { 0.229f, 0.224f, 0.225f };
	static const float m1[3] = { 0.449f, 0.449f, 0.449f }, s1[3] = { 0.226f, 0.226f, 0.226f };
	static const float m0[3] = { 0, 0, 0 }, s0[3] = { 1, 1, 1 };
	int i;

	o->norm_dataset = 0;
	if (o->nmean) {
		for (i = o->nmean; i < 3; i++) {
			o->mean[i] = o->mean[0];
			o->std[i] = o->std[0];
		}
		tfr_augment_set_norm(&o->aug, o->mean, o->std);
	} else if (o->normalize == TFR_NORM_DATASET) {
		o->norm_dataset = 1; /* the values come from the first pass */
		tfr_augment_set_norm(&o->aug, m0, s0);
	} else if (o->normalize == TFR_NORM_IMAGENET) {
		tfr_augment_set_norm(&o->aug, o->aug.channels == 3 ? m3 : m1,
				     o->aug.channels == 3 ? s3 : s1);
	} else if (o->normalize == TFR_NORM_NONE || o->aug.dtype == TFR_DTYPE_UINT8) {
		tfr_augment_set_identity(&o->aug);
	} else {
		tfr_augment_set_norm(&o->aug, m0, s0);
	}
}

int tfr_convert_prepare(struct tfr_convert_opts *o, struct tfr_error *err)
{
	/* a mode given, even unit, conflicts with a mean/std or uint8 */
	int norm_given = o->normalize != TFR_NORM_DEFAULT, rc;

	if (o->normalize < TFR_NORM_DEFAULT || o->normalize > TFR_NORM_DATASET)
		return tfr_error_set(err, TFR_ERR_INVALID, "unknown normalization %d", o->normalize);
	if ((rc = check_shape(o, err)) || (rc = check_norm(o, norm_given, err)))
		return rc;
	if (o->store)
		o->aug.dtype = TFR_DTYPE_UINT8; /* the pixels the encoder takes */
	if (o->rrc_w) {
		o->aug.rrc = 1;
		o->aug.crop_w = o->rrc_w;
		o->aug.crop_h = o->rrc_h;
	}
	if ((rc = check_rest(o, norm_given, err)))
		return rc;
	preset_norm(o);
	return TFR_OK;
}

#define OPT_U(k, x) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_UINT, .u = { x } })
#define OPT_B(k, x) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_BOOL, .u = { !!(x) } })
#define OPT_N(k, x) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_NAME, .name = x })
#define OPT_P(k, x, y) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_UINT_PAIR, .u = { x, y } })
#define OPT_F(k, x) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_FLOAT3, \
						  .f = { (x)[0], (x)[1], (x)[2] } })
#define OPT_F2(k, x) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_FLOAT_PAIR, \
						   .f = { (x)[0], (x)[1] } })
#define OPT_F1(k, x) (v[n++] = (struct tfr_option){ .key = k, .type = TFR_OPTION_FLOAT, \
						   .f = { (x) } })

static const char *sharding_name(enum tfr_plan_mode m)
{
	return m == TFR_PLAN_SHARDS ? "shards" : m == TFR_PLAN_RECORDS ? "records_per_shard"
								       : "shard_size";
}

/* The pixel options of a tensor run, in the manifest's order. */
static size_t tensor_options(const struct tfr_convert_opts *o, struct tfr_option *v)
{
	const struct tfr_augment *a = &o->aug;
	size_t n = 0;

	if (a->resize == TFR_RESIZE_EXACT)
		OPT_P("resize", a->resize_w, a->resize_h);
	else if (a->resize == TFR_RESIZE_SHORT)
		OPT_U("resize_short", a->resize_short);
	if (a->crop_w && a->rrc) {
		OPT_P("random_resized_crop", a->crop_w, a->crop_h);
		OPT_F2("rrc_scale", a->rrc_scale);
		OPT_F2("rrc_ratio", a->rrc_ratio);
	} else if (a->crop_w) {
		OPT_P("crop", a->crop_w, a->crop_h);
		OPT_B("random_crop", a->random_crop);
	}
	OPT_B("flip", a->flip);
	OPT_N("normalize", norm_name(o));
	if (o->min_box_visible > 0 || o->box_retries) {
		OPT_F1("min_box_visible", o->min_box_visible);
		OPT_U("box_retries", o->box_retries);
	}
	if (o->stats_sample)
		OPT_U("stats_sample", o->stats_sample);
	if (o->nmean) {
		OPT_F("mean", o->mean);
		OPT_F("std", o->std);
	}
	OPT_N("dtype", tfr_dtype_name(a->dtype));
	OPT_N("layout", a->layout == TFR_LAYOUT_HWC ? "hwc" : "chw");
	return n;
}

size_t tfr_convert_options(const struct tfr_convert_opts *o, struct tfr_option *v)
{
	size_t n = 0;

	if (o->store) {
		OPT_N("store", tfr_store_format((enum tfr_store)o->store));
		OPT_U("quality", (uint64_t)o->store_quality);
	}
	if (o->encoded)
		OPT_B("encoded", 1);
	else
		n += tensor_options(o, v + n);
	if (o->use_background) {
		float bg[3] = { o->background[0], o->background[1], o->background[2] };

		OPT_F("background", bg);
	}
	OPT_U("channels", o->aug.channels);
	OPT_U("copies", o->copies);
	OPT_U("seed", o->seed);
	OPT_B("shuffle", o->shuffle);
	OPT_U(sharding_name(o->plan.mode), o->plan.value);
	OPT_N("compression", tfr_compression_name(o->out.compression));
	OPT_B("index", o->out.index);
	OPT_N("on_error", o->skip_errors ? "skip" : "fail");
	if (o->dedupe)
		OPT_N("dedupe", o->dedupe == TFR_DEDUPE_EXACT ? "exact" : "near");
	if (o->dedupe || o->nagainst)  /* --against matches near at this distance too */
		OPT_U("dedupe_distance", (uint64_t)o->dedupe_distance);
	if (o->nagainst)
		OPT_U("against", o->nagainst); /* their fingerprints key --resume */
	OPT_U("max_pixels", o->max_pixels ? o->max_pixels : TFR_DEFAULT_MAX_PIXELS);
	/* Added after the list above was fixed, so only when set: a run
	 * without them keeps the key (and manifest) it always had. */
	if (o->multi_hot)
		OPT_B("multi_hot", 1);
	/* The size limit decides which files become records; the level,
	 * the compressed bytes of every shard (resumed shards must equal
	 * fresh ones). */
	if (o->max_file)
		OPT_U("max_file", o->max_file);
	if (o->out.level)
		OPT_U("level", (uint64_t)o->out.level);
	return n;
}

size_t tfr_shard_options(const struct tfr_shard_opts *o, struct tfr_option *v)
{
	size_t n = 0;

	OPT_U(sharding_name(o->plan.mode), o->plan.value);
	OPT_B("shuffle", o->shuffle);
	OPT_U("seed", o->seed);
	OPT_N("compression", tfr_compression_name(o->out.compression));
	OPT_B("index", o->out.index);
	OPT_B("skip_corrupt", o->salvage);
	if (o->out.level)  /* only when set: keys without it stay as they were */
		OPT_U("level", (uint64_t)o->out.level);
	return n;
}
#undef OPT_U
#undef OPT_B
#undef OPT_N
#undef OPT_P
#undef OPT_F
#undef OPT_F1
#undef OPT_F2

#define F(field, kind, role) \
	{ #field, offsetof(struct tfr_convert_opts, field), \
	  sizeof(((struct tfr_convert_opts *)0)->field), TFR_FIELD_##kind, TFR_FIELD_##role }

/* Every field, in the struct's order.  KEYED fields are read by
 * tfr_convert_options() (some only where they apply: the crop's
 * randomness only with a crop); RUN fields do not change a byte of the
 * shards; DERIVED ones follow from keyed fields.  Fields that joined
 * the key after its list was fixed (multi_hot, max_file, out.level) are
 * listed only when set, so runs without them keep the key they had. */
static const struct tfr_field fields[] = {
	F(aug.resize, INT, KEYED),
	F(aug.resize_w, U32, KEYED),
	F(aug.resize_h, U32, KEYED),
	F(aug.resize_short, U32, KEYED),
	F(aug.crop_w, U32, KEYED),
	F(aug.crop_h, U32, KEYED),
	F(aug.random_crop, INT, KEYED),
	F(aug.flip, INT, KEYED),
	F(aug.channels, U32, KEYED),
	F(aug.mul, FLOAT, DERIVED),
	F(aug.add, FLOAT, DERIVED),
	F(aug.mean, FLOAT, DERIVED),
	F(aug.std, FLOAT, DERIVED),
	F(aug.dtype, INT, KEYED),
	F(aug.layout, INT, KEYED),
	F(aug.rrc, INT, KEYED),
	F(aug.rrc_scale, FLOAT, KEYED),
	F(aug.rrc_ratio, FLOAT, KEYED),
	F(encoded, INT, KEYED),
	F(max_pixels, U64, KEYED),
	F(max_file, U64, KEYED),
	F(use_background, INT, KEYED),
	F(background, BYTES, KEYED),
	F(out.prefix, POINTER, RUN),
	F(out.command, POINTER, RUN),
	F(out.compression, INT, KEYED),
	F(out.level, INT, KEYED),
	F(out.index, INT, KEYED),
	F(out.part_i, U32, RUN),
	F(out.part_n, U32, RUN),
	F(out.resume, INT, RUN),
	F(out.no_fsync, INT, RUN),
	F(out.inputs, POINTER, RUN),
	F(out.ninputs, SIZE, RUN),
	F(out.post, POINTER, RUN),
	F(out.post_jobs, U32, RUN),
	F(out.progress, POINTER, RUN),
	F(out.progress_ctx, POINTER, RUN),
	F(plan.mode, INT, KEYED),
	F(plan.value, U64, KEYED),
	F(shuffle, INT, KEYED),
	F(seed, U64, KEYED),
	F(copies, U32, KEYED),
	F(threads, INT, RUN),
	F(skip_errors, INT, KEYED),
	F(multi_hot, INT, KEYED),
	F(no_stats, INT, RUN),
	F(norm_dataset, INT, DERIVED),
	F(stats_sample, U64, KEYED),
	F(store, INT, KEYED),
	F(store_quality, INT, KEYED),
	F(on_plan, POINTER, RUN),
	F(on_plan_ctx, POINTER, RUN),
	F(min_box_visible, DOUBLE, KEYED),
	F(box_retries, U32, KEYED),
	F(normalize, INT, KEYED),
	F(nmean, INT, KEYED),
	F(nstd, INT, DERIVED),
	F(mean, FLOAT, KEYED),
	F(std, FLOAT, KEYED),
	F(rrc_w, U32, DERIVED),
	F(rrc_h, U32, DERIVED),
	F(dedupe, INT, KEYED),
	F(dedupe_distance, INT, KEYED),
	/* The prefixes' fingerprints key the run through their files
	 * (convert.c), not through these pointers. */
	F(against, POINTER, RUN),
	F(nagainst, SIZE, KEYED),
	F(fingerprints, INT, RUN),      /* a side file, not the shards */
};
#undef F

const struct tfr_field *tfr_convert_fields(size_t *n)
{
	*n = sizeof(fields) / sizeof(fields[0]);
	return fields;
}
