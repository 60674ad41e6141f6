/*
 * options.h - what a convert or shard run's options mean: their checks,
 * their presets, and the option list that the manifest shows and that
 * keys --resume.
 *
 * The option list is computed from the options struct, here and nowhere
 * else, so that a resumed run keeps a shard only when every option that
 * shapes its bytes is the same.  Each field of struct tfr_convert_opts
 * has a line in a table (tfr_convert_fields) that says whether it shapes
 * the output; tests/unit-options.c checks that the table covers the whole
 * struct and that changing a field changes the list exactly when the
 * table says it should.  A new field without a line fails that test.
 *
 * Functions here are pure: no I/O, no allocation, safe from any thread.
 */
#ifndef TFR_OPTIONS_H
#define TFR_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "output/output.h"

struct tfr_convert_opts;
struct tfr_shard_opts;

/* Room that tfr_convert_options() and tfr_shard_options() need. */
#define TFR_MAX_OPTIONS 40

/*
 * Checks between options, then presets: the normalization asked for
 * (o->normalize, or o->mean/std) becomes aug's, a random resized crop
 * (o->rrc_w/h) becomes aug's crop, --store's pixels become uint8.  Call
 * once, after filling o and before tfr_convert_options()/tfr_convert().
 * A conflict is TFR_ERR_INVALID with err->code one of enum
 * tfr_convert_check (a front end turns it into its own words; the message
 * says it without flag names).
 */
int tfr_convert_prepare(struct tfr_convert_opts *o, struct tfr_error *err);

enum tfr_convert_check {
	TFR_CHECK_NONE = 0,
	TFR_CHECK_RRC_WINDOW,        /* rrc with resize or crop */
	TFR_CHECK_RANDOM_CROP,       /* random crop without a crop */
	TFR_CHECK_CROP_RESIZE,       /* crop larger than the exact resize */
	TFR_CHECK_CROP_SHORT,        /* crop larger than resize_short both ways */
	TFR_CHECK_MEAN_STD,          /* mean without std or the reverse */
	TFR_CHECK_NORM_TWICE,        /* a normalize mode and a mean/std */
	TFR_CHECK_MEAN_COUNT,        /* mean needs 1 or channels values */
	TFR_CHECK_STD_COUNT,         /* std needs as many values as mean */
	TFR_CHECK_STATS_SAMPLE,      /* stats_sample without dataset normalization */
	TFR_CHECK_STORE,             /* store with encoded/normalize/dtype/layout */
	TFR_CHECK_UINT8_NORM,        /* uint8 with a normalization */
	TFR_CHECK_ENCODED,           /* encoded with augment options */
	TFR_CHECK_COPIES,            /* identical copies */
	TFR_CHECK_INDEX,             /* index with compression */
	TFR_CHECK_ENCODED_MAX_FILE,  /* encoded records would pass 1G */
	TFR_CHECK_SIZE,              /* the fixed shape is too large */
	TFR_CHECK_STD_POSITIVE,      /* std <= 0 */
	TFR_CHECK_STD_RANGE,         /* values beyond float16 */
};

/* The normalization asked for (struct tfr_convert_opts.normalize). */
enum tfr_normalize {
	TFR_NORM_DEFAULT = 0,        /* unit, not asked for */
	TFR_NORM_UNIT,               /* x / 255 */
	TFR_NORM_IMAGENET,           /* ImageNet's mean and std */
	TFR_NORM_NONE,               /* 0..255 */
	TFR_NORM_DATASET,            /* the images' own mean and std */
};
/* "unit", "imagenet", "none", "dataset"; -1 for another name. */
int tfr_normalize_parse(const char *s);

/*
 * The manifest's option list (which is also the --resume key) of a
 * prepared convert run into v (room for TFR_MAX_OPTIONS); returns the
 * count.  Names point at static strings.
 */
size_t tfr_convert_options(const struct tfr_convert_opts *o, struct tfr_option *v);
/* The same for a shard run. */
size_t tfr_shard_options(const struct tfr_shard_opts *o, struct tfr_option *v);

/*
 * The table behind the key: one line per field of struct
 * tfr_convert_opts (nested structs flattened), for tests.
 */
enum tfr_field_kind {
	TFR_FIELD_INT,       /* int or enum */
	TFR_FIELD_U32,
	TFR_FIELD_U64,
	TFR_FIELD_FLOAT,     /* size / sizeof(float) floats */
	TFR_FIELD_DOUBLE,
	TFR_FIELD_BYTES,     /* unsigned char[size] */
	TFR_FIELD_POINTER,   /* a pointer or a function pointer */
	TFR_FIELD_SIZE,      /* size_t */
};
enum tfr_field_role {
	TFR_FIELD_KEYED,     /* shapes the output: in the option list */
	TFR_FIELD_DERIVED,   /* set by tfr_convert_prepare from keyed fields */
	TFR_FIELD_RUN,       /* how the run goes, not what it writes */
};
struct tfr_field {
	const char *name;    /* "aug.crop_w" */
	size_t offset, size;
	enum tfr_field_kind kind;
	enum tfr_field_role role;
};
/* The table and its length in *n. */
const struct tfr_field *tfr_convert_fields(size_t *n);

#endif
