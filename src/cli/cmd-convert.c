/*
 * cmd-convert.c - tfrec convert: images to float16 Example shards.
 */
#include "config.h"
#include "cli.h"
#include "progress.h"
#include "lib/base/buf.h"
#include "lib/pipeline/convert.h"
#include "lib/hygiene/dedupe.h"
#include "lib/hygiene/search.h"
#include "lib/image/store.h"
#include "lib/source/listing.h"
#include "lib/pixels/f16.h"
#include "lib/base/fileio.h"
#include "lib/image/image.h"
#include "lib/base/json.h"
#include "lib/source/source.h"
#include "lib/annot/annot.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
"usage: tfrec convert [OPTIONS] -o PREFIX INPUT...\n"
"\n"
"Decode, augment, resize and normalize images (sniffed from the bytes)\n"
"into tf.train.Example records of float16 tensors, written as\n"
"PREFIX-00000-of-0000N.tfrecord shards with a PREFIX.json manifest.  A\n"
"directory INPUT is walked recursively in sorted order; its first-level\n"
"folders name the classes (ids by sorted name, in PREFIX.labels.txt).\n"
"An INPUT may also be an image, an archive (tar, tar.gz, tar.zst, zip;\n"
"nested tars, WebDataset) or a TFRecord file, told apart by its bytes.\n"
"Image formats: @FORMATS@.\n"
"\n"
"Inputs:\n"
"  -o, --output PREFIX     output prefix (required)\n"
"  -l, --list FILE         read 'PATH [LABEL]' lines ('-': stdin); paths are\n"
"                          relative to the list's folder\n"
"      --table FILE        a label table: CSV or TSV with a header, or JSONL\n"
"      --path-col NAME     the table's path column (default path)\n"
"      --path-template T   make paths from columns, e.g. 'train/{id}.jpg'\n"
"      --label-col A[,B]   the table's label column(s); several give multi-label\n"
"      --label-sep C       split label values at any of the characters C\n"
"      --extra-col NAME[:TYPE]  copy a column as a feature (int64, float or\n"
"                          bytes; repeatable)\n"
"      --root DIR          table paths are relative to DIR (default: its folder)\n"
"      --multi-hot         also write image/class/multi_hot (0/1 per class)\n"
"      --image-key KEY     TFRecord inputs: the image feature (default\n"
"                          image/encoded; TFDS: image)\n"
"      --keep KEY          TFRecord inputs: copy feature KEY (repeatable)\n"
"      --wds-feature EXT   WebDataset inputs: copy each key's EXT member (json,\n"
"                          txt, ...) as a bytes feature EXT (repeatable)\n"
"      --classes FILE      fixed class-name -> id map, one name a line (an\n"
"                          earlier run's PREFIX.labels.txt); other names fail\n"
"      --add-classes       with --classes: add unknown names after the map\n"
"      --max-pixels N      refuse images above N pixels (default 100000000)\n"
"      --max-file SIZE     refuse files above SIZE (default 256M)\n"
"Augment and encode:\n"
"      --resize WxH        resize to exactly W x H\n"
"      --resize-short N    resize so the short side is N, keeping the aspect\n"
"      --crop WxH          centre crop to W x H (after resizing)\n"
"      --random-crop       take the crop at a random place\n"
"      --flip              random horizontal flip\n"
"      --copies N          N augmented copies of each image (default 1; above 1\n"
"                          needs --random-crop, --flip or --random-resized-crop)\n"
"      --seed S            seed for every random choice (default 0)\n"
"      --normalize MODE    unit (x/255, default), imagenet, or none (0..255)\n"
"                          dataset: the mean and std of the images themselves,\n"
"                          from a first pass over them (or --stats-sample N\n"
"                          of them, chosen with --seed)\n"
"      --mean A[,B,C]      per-channel mean of x/255 (with --std)\n"
"      --std A[,B,C]       per-channel std of x/255\n"
"      --layout hwc|chw    storage order (default hwc)\n"
"      --channels 1|3      gray or RGB (default 3)\n"
"      --background R,G,B  composite alpha over this colour (default: drop\n"
"                          alpha, as TensorFlow's decode_png(channels=3))\n"
"      --dtype TYPE        float16 (default), float32 or uint8\n"
"      --encoded           store the original file bytes instead\n"
"      --store FMT         store the preprocessed image encoded instead of a\n"
"                          tensor: @STORE@\n"
"                          (Q 1..100, default 90), in image/encoded and\n"
"                          image/format\n"
"Shards:\n"
CLI_HELP_SHARDING
"      --shuffle           shuffle the records before dealing them out\n"
"      --compression C     none (default), gzip or zlib\n"
"      --index             write DALI .idx sidecars (uncompressed only)\n"
"      --part I/N          make only part I of N of the shards\n"
"      --resume            keep shards that are already complete and sound\n"
"      --on-error MODE     fail (default) or skip bad images\n"
"      --dedupe MODE       exact or near: keep the first of each group of\n"
"                          duplicate images, list the others as skipped\n"
"      --dedupe-distance N near: hashes at most N of 64 bits apart (10)\n"
"      --against PREFIX    drop images that duplicate one of an earlier\n"
"                          run's output (its PREFIX.fingerprints; repeatable)\n"
"      --fingerprints      write PREFIX.fingerprints (always with --dedupe)\n"
"      --no-fsync          do not fsync shards before renaming them\n"
"Detection (boxes move with the pixels; see DETECTION in tfrec-convert(1)):\n"
"      --annotations PATH  COCO JSON, Pascal VOC folder or file, YOLO labels\n"
"                          folder, or CSV boxes; its images are the inputs\n"
"      --annotation-format F  coco, voc, yolo or csv (default: from the bytes)\n"
"      --images DIR        where the images are (default: beside them)\n"
"      --class-names FILE  YOLO class names (default: classes.txt beside)\n"
"      --masks             instance masks as image/object/mask PNGs\n"
"      --segmentation DIR  semantic masks DIR/STEM.png (VOC SegmentationClass)\n"
"      --skip-empty        leave out images without boxes\n"
"      --min-box-visible F drop boxes keeping less than F (0..1) of their area\n"
"      --box-retries N     draw up to N more crops to keep at least one box\n"
"      --random-resized-crop WxH  ImageNet-style crop, resized to W x H\n"
"      --rrc-scale A,B     its area range (default 0.08,1)\n"
"      --rrc-ratio A,B     its aspect range (default 0.75,1.3333)\n"
CLI_HELP_POST
"      --no-stats          no \"stats\" object in the manifest\n"
CLI_HELP_TAIL;

enum {
	OPT_RESIZE = CLI_OPT_END, OPT_RESIZE_SHORT, OPT_CROP, OPT_RANDOM_CROP, OPT_FLIP,
	OPT_COPIES, OPT_SEED, OPT_NORMALIZE, OPT_MEAN, OPT_STD, OPT_LAYOUT,
	OPT_CHANNELS, OPT_DTYPE, OPT_ENCODED, OPT_ON_ERROR, OPT_MAX_PIXELS, OPT_MAX_FILE, 
	OPT_CLASSES, OPT_ADD_CLASSES, OPT_TABLE, OPT_PATH_COL, OPT_PATH_TEMPLATE,
	OPT_LABEL_COL, OPT_LABEL_SEP, OPT_EXTRA_COL, OPT_ROOT, OPT_MULTI_HOT,
	OPT_IMAGE_KEY, OPT_KEEP, OPT_WDS_FEATURE,
	OPT_BACKGROUND,
	OPT_ANNOTATIONS, OPT_ANNOT_FORMAT, OPT_IMAGES, OPT_CLASS_NAMES, OPT_MASKS,
	OPT_SKIP_EMPTY, OPT_MIN_BOX_VISIBLE, OPT_BOX_RETRIES, OPT_RRC, OPT_RRC_SCALE,
	OPT_RRC_RATIO, OPT_SEGMENTATION,
OPT_NO_STATS, OPT_STORE, OPT_STATS_SAMPLE,
	/* duplicates (issue 23) */
	OPT_DEDUPE, OPT_DEDUPE_DISTANCE, OPT_AGAINST, OPT_FINGERPRINTS,
};

/* "R,G,B", each 0..255. */
static int parse_rgb(const char *s, unsigned char rgb[3])
{
	int k;

	for (k = 0; k < 3; k++) {
		char *end;
		unsigned long v;

		if (*s < '0' || *s > '9')
			return -1;
		v = strtoul(s, &end, 10);
		if (v > 255 || *end != (k < 2 ? ',' : '\0'))
			return -1;
		rgb[k] = (unsigned char)v;
		s = end + 1;
	}
	return 0;
}

static int parse_wxh(const char *s, uint32_t *w, uint32_t *h)
{
	char *x = strchr(s, 'x'), left[24];
	uint64_t a, b;

	if (!x)
		x = strchr(s, 'X');
	if (!x || (size_t)(x - s) >= sizeof(left))
		return -1;
	memcpy(left, s, (size_t)(x - s));
	left[x - s] = '\0';
	if (cli_parse_u64(left, &a) || cli_parse_u64(x + 1, &b) ||
	    a < 1 || b < 1 || a > 65535 || b > 65535)
		return -1;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 0;
}

static int parse_floats(const char *s, float v[3], int *n)
{
	char *end;
	int k = 0;

	while (k < 3) {
		v[k++] = strtof(s, &end);
		/* nan and inf parse, but give a NaN tensor and invalid JSON. */
		if (end == s || !isfinite(v[k - 1]))
			return -1;
		if (*end == '\0')
			break;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
	if (*end)
		return -1;
	*n = k;
	return 0;
}

/* A conflict between options (options.h), in the flags' words. */
static int usage_check(const struct tfr_convert_opts *o, const struct tfr_error *e)
{
	static const char *const text[] = {
		[TFR_CHECK_RRC_WINDOW] = "--random-resized-crop chooses its own window: "
			"--resize, --resize-short, --crop and --random-crop do not apply",
		[TFR_CHECK_RANDOM_CROP] = "--random-crop needs --crop",
		[TFR_CHECK_CROP_RESIZE] = "--crop is larger than --resize",
		[TFR_CHECK_CROP_SHORT] = "--crop is larger than --resize-short on both sides",
		[TFR_CHECK_MEAN_STD] = "--mean and --std go together",
		[TFR_CHECK_NORM_TWICE] = "give --normalize or --mean/--std, not both",
		[TFR_CHECK_STD_COUNT] = "--std needs as many values as --mean",
		[TFR_CHECK_STATS_SAMPLE] = "--stats-sample goes with --normalize dataset",
		[TFR_CHECK_STORE] = "--store keeps 8-bit pixels, encoded: --encoded, --normalize, "
			"--mean, --std, --dtype and --layout do not apply",
		[TFR_CHECK_UINT8_NORM] = "--dtype uint8 stores pixels: --normalize, --mean and "
			"--std do not apply",
		[TFR_CHECK_ENCODED] = "--encoded keeps the original bytes: augment options do not apply",
		[TFR_CHECK_INDEX] = "--index needs uncompressed shards (DALI seeks by offset)",
		[TFR_CHECK_STD_POSITIVE] = "--std values must be positive",
	};

	switch (e->code) {
	case TFR_CHECK_MEAN_COUNT:
		return cli_usage("convert", "--mean needs 1 or %u values", o->aug.channels);
	case TFR_CHECK_COPIES:
		return cli_usage("convert", "--copies %" PRIu32 " would write identical copies: add "
				 "--random-crop (with --crop), --flip or --random-resized-crop", o->copies);
	case TFR_CHECK_ENCODED_MAX_FILE:
		return cli_usage("convert", "--max-file with --encoded: at most %" PRIu64 "M, so that "
				 "a record stays within 1G", (uint64_t)(TFR_MAX_TENSOR_BYTES >> 20));
	case TFR_CHECK_SIZE:
		return cli_usage("convert", "--resize or --crop: %s", e->msg);
	case TFR_CHECK_STD_RANGE:
		return cli_usage("convert", "--mean/--std: %s", e->msg);
	}
	if (e->code > 0 && (size_t)e->code < sizeof(text) / sizeof(text[0]) && text[e->code])
		return cli_usage("convert", "%s", text[e->code]);
	return cli_usage("convert", "%s", e->msg);
}

/* "340.2 KB": decimal units, as disks are sold. */
static void human(char *out, size_t n, double v)
{
	static const char *const unit[] = { "bytes", "KB", "MB", "GB", "TB", "PB" };
	int u = 0;

	while (v >= 1000 && u < 5) {
		v /= 1000;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* Before writing: the projected size and records per shard. */
static void print_projection(void *ctx, const struct tfr_convert_projection *p)
{
	char total[32], each[32], range[48], size[96];

	(void)ctx;
	if (!p->records)
		return;
	if (p->shard_max != p->shard_min)
		snprintf(range, sizeof(range), "%" PRIu64 " to %" PRIu64, p->shard_min, p->shard_max);
	else
		snprintf(range, sizeof(range), "%" PRIu64, p->shard_min);
	if (p->bytes_known) {
		human(total, sizeof(total), (double)p->bytes);
		human(each, sizeof(each), (double)p->bytes / (double)p->records);
		snprintf(size, sizeof(size), "%s %s (%s a record)",
			 p->upper_bound ? "at most" : "about", total, each);
	} else {
		snprintf(size, sizeof(size), "size known once written");
	}
	if (p->norm_sample) {
		unsigned c;

		fprintf(stderr, "tfrec: normalizing with the mean and std of %" PRIu64 " images:", p->norm_sample);
		for (c = 0; c < p->channels; c++)
			fprintf(stderr, "%s%.6f", c ? " " : " mean ", p->mean[c]);
		for (c = 0; c < p->channels; c++)
			fprintf(stderr, "%s%.6f", c ? " " : ", std ", p->std[c]);
		fputc('\n', stderr);
	}
	fprintf(stderr, "tfrec: writing %" PRIu64 " records in shards %u..%u of %u, %s records each; %s\n",
		p->records, p->shard_lo, p->shard_hi - 1, p->nshards, range, size);
}

/* What convert's command line gives besides the options struct. */
struct args {
	struct tfr_convert_opts o;
	struct tfr_source_opts so;     /* the inputs' */
	struct tfr_source_opts det;    /* the annotations' */
	struct cli_output_opts out;
	const char *list, *classes, *table, *annotations;
	int add_classes;
	const char *extra_cols[64], *keep[64], *wds[64];
	const char *against[64];       /* --against prefixes */
};

static const struct option longopts[] = {
	{ "list", required_argument, NULL, 'l' },
	{ "resize", required_argument, NULL, OPT_RESIZE },
	{ "resize-short", required_argument, NULL, OPT_RESIZE_SHORT },
	{ "crop", required_argument, NULL, OPT_CROP },
	{ "random-crop", no_argument, NULL, OPT_RANDOM_CROP },
	{ "flip", no_argument, NULL, OPT_FLIP },
	{ "copies", required_argument, NULL, OPT_COPIES },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "normalize", required_argument, NULL, OPT_NORMALIZE },
	{ "mean", required_argument, NULL, OPT_MEAN },
	{ "std", required_argument, NULL, OPT_STD },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "channels", required_argument, NULL, OPT_CHANNELS },
	{ "dtype", required_argument, NULL, OPT_DTYPE },
	{ "encoded", no_argument, NULL, OPT_ENCODED },
	{ "resume", no_argument, NULL, CLI_OPT_RESUME },
	{ "on-error", required_argument, NULL, OPT_ON_ERROR },
	{ "max-pixels", required_argument, NULL, OPT_MAX_PIXELS },
	{ "background", required_argument, NULL, OPT_BACKGROUND },
	{ "max-file", required_argument, NULL, OPT_MAX_FILE },
	{ "classes", required_argument, NULL, OPT_CLASSES },
	{ "add-classes", no_argument, NULL, OPT_ADD_CLASSES },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "path-col", required_argument, NULL, OPT_PATH_COL },
	{ "path-template", required_argument, NULL, OPT_PATH_TEMPLATE },
	{ "label-col", required_argument, NULL, OPT_LABEL_COL },
	{ "label-sep", required_argument, NULL, OPT_LABEL_SEP },
	{ "extra-col", required_argument, NULL, OPT_EXTRA_COL },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "multi-hot", no_argument, NULL, OPT_MULTI_HOT },
	{ "image-key", required_argument, NULL, OPT_IMAGE_KEY },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "wds-feature", required_argument, NULL, OPT_WDS_FEATURE },
	{ "annotations", required_argument, NULL, OPT_ANNOTATIONS },
	{ "annotation-format", required_argument, NULL, OPT_ANNOT_FORMAT },
	{ "images", required_argument, NULL, OPT_IMAGES },
	{ "class-names", required_argument, NULL, OPT_CLASS_NAMES },
	{ "masks", no_argument, NULL, OPT_MASKS },
	{ "segmentation", required_argument, NULL, OPT_SEGMENTATION },
	{ "skip-empty", no_argument, NULL, OPT_SKIP_EMPTY },
	{ "min-box-visible", required_argument, NULL, OPT_MIN_BOX_VISIBLE },
	{ "box-retries", required_argument, NULL, OPT_BOX_RETRIES },
	{ "random-resized-crop", required_argument, NULL, OPT_RRC },
	{ "rrc-scale", required_argument, NULL, OPT_RRC_SCALE },
	{ "rrc-ratio", required_argument, NULL, OPT_RRC_RATIO },
	{ "no-stats", no_argument, NULL, OPT_NO_STATS },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "stats-sample", required_argument, NULL, OPT_STATS_SAMPLE },
	{ "dedupe", required_argument, NULL, OPT_DEDUPE },
	{ "dedupe-distance", required_argument, NULL, OPT_DEDUPE_DISTANCE },
	{ "against", required_argument, NULL, OPT_AGAINST },
	{ "fingerprints", no_argument, NULL, OPT_FINGERPRINTS },
	CLI_OUTPUT_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* One option of convert's own into a; 0, or the exit status of a usage
 * error. */
static int parse_option(int c, struct args *a)
{
	uint64_t v;

	switch (c) {
	case 'l': a->list = optarg; break;
	case OPT_RESIZE:
		if (parse_wxh(optarg, &a->o.aug.resize_w, &a->o.aug.resize_h))
			return cli_usage("convert", "invalid --resize '%s' (want WxH)", optarg);
		a->o.aug.resize = TFR_RESIZE_EXACT;
		break;
	case OPT_RESIZE_SHORT:
		if (cli_parse_u64(optarg, &v) || v < 1 || v > 65535)
			return cli_usage("convert", "invalid --resize-short '%s'", optarg);
		a->o.aug.resize = TFR_RESIZE_SHORT;
		a->o.aug.resize_short = (uint32_t)v;
		break;
	case OPT_CROP:
		if (parse_wxh(optarg, &a->o.aug.crop_w, &a->o.aug.crop_h))
			return cli_usage("convert", "invalid --crop '%s' (want WxH)", optarg);
		break;
	case OPT_RANDOM_CROP: a->o.aug.random_crop = 1; break;
	case OPT_FLIP: a->o.aug.flip = 1; break;
	case OPT_COPIES:
		if (cli_parse_u64(optarg, &v) || v < 1 || v > 10000)
			return cli_usage("convert", "invalid --copies '%s' (1..10000)", optarg);
		a->o.copies = (uint32_t)v;
		break;
	case OPT_SEED:
		if (cli_parse_u64(optarg, &a->o.seed))
			return cli_usage("convert", "invalid --seed '%s'", optarg);
		break;
	case OPT_NORMALIZE:
		if ((a->o.normalize = tfr_normalize_parse(optarg)) < 0)
			return cli_usage("convert", "invalid --normalize '%s' (unit, imagenet, dataset or none)", optarg);
		break;
	case OPT_MEAN:
		if (parse_floats(optarg, a->o.mean, &a->o.nmean))
			return cli_usage("convert", "invalid --mean '%s'", optarg);
		break;
	case OPT_STD:
		if (parse_floats(optarg, a->o.std, &a->o.nstd))
			return cli_usage("convert", "invalid --std '%s'", optarg);
		break;
	case OPT_LAYOUT:
		if (!strcmp(optarg, "hwc"))
			a->o.aug.layout = TFR_LAYOUT_HWC;
		else if (!strcmp(optarg, "chw"))
			a->o.aug.layout = TFR_LAYOUT_CHW;
		else
			return cli_usage("convert", "invalid --layout '%s' (hwc or chw)", optarg);
		break;
	case OPT_CHANNELS:
		if (strcmp(optarg, "1") && strcmp(optarg, "3"))
			return cli_usage("convert", "invalid --channels '%s' (1 or 3)", optarg);
		a->o.aug.channels = (uint32_t)(optarg[0] - '0');
		break;
	case OPT_DTYPE:
		if (!strcmp(optarg, "float16"))
			a->o.aug.dtype = TFR_DTYPE_FLOAT16;
		else if (!strcmp(optarg, "float32"))
			a->o.aug.dtype = TFR_DTYPE_FLOAT32;
		else if (!strcmp(optarg, "uint8"))
			a->o.aug.dtype = TFR_DTYPE_UINT8;
		else
			return cli_usage("convert", "invalid --dtype '%s'", optarg);
		break;
	case OPT_ENCODED: a->o.encoded = 1; break;
	case OPT_DEDUPE:
		if (!strcmp(optarg, "exact"))
			a->o.dedupe = TFR_DEDUPE_EXACT;
		else if (!strcmp(optarg, "near"))
			a->o.dedupe = TFR_DEDUPE_NEAR;
		else
			return cli_usage("convert", "invalid --dedupe '%s' (exact or near)", optarg);
		break;
	case OPT_DEDUPE_DISTANCE:
		if (cli_parse_u64(optarg, &v) || v > TFR_DUP_MAX_DISTANCE)
			return cli_usage("convert", "invalid --dedupe-distance '%s' (0..%d)",
					 optarg, TFR_DUP_MAX_DISTANCE);
		a->o.dedupe_distance = (int)v;
		break;
	case OPT_AGAINST:
		if (a->o.nagainst == sizeof(a->against) / sizeof(a->against[0]))
			return cli_usage("convert", "at most 64 --against");
		a->against[a->o.nagainst++] = optarg;
		break;
	case OPT_FINGERPRINTS: a->o.fingerprints = 1; break;
	case OPT_ON_ERROR:
		if (!strcmp(optarg, "skip"))
			a->o.skip_errors = 1;
		else if (strcmp(optarg, "fail"))
			return cli_usage("convert", "invalid --on-error '%s' (fail or skip)", optarg);
		break;
	case OPT_MAX_PIXELS:
		if (cli_parse_u64(optarg, &a->o.max_pixels) || !a->o.max_pixels)
			return cli_usage("convert", "invalid --max-pixels '%s'", optarg);
		break;
	case OPT_MAX_FILE:
		if (cli_parse_size(optarg, &a->o.max_file) || !a->o.max_file)
			return cli_usage("convert", "invalid --max-file '%s'", optarg);
		break;
	case OPT_CLASSES: a->classes = optarg; break;
	case OPT_ADD_CLASSES: a->add_classes = 1; break;
	case OPT_TABLE: a->table = optarg; break;
	case OPT_PATH_COL: a->so.path_col = optarg; break;
	case OPT_PATH_TEMPLATE: a->so.path_template = optarg; break;
	case OPT_LABEL_COL: a->so.label_col = optarg; break;
	case OPT_LABEL_SEP: a->so.label_sep = optarg; break;
	case OPT_ROOT: a->so.root = optarg; break;
	case OPT_MULTI_HOT: a->o.multi_hot = 1; break;
	case OPT_IMAGE_KEY: a->so.image_key = optarg; break;
	case OPT_KEEP:
		if (a->so.nkeep == sizeof(a->keep) / sizeof(a->keep[0]))
			return cli_usage("convert", "more than 64 --keep");
		a->keep[a->so.nkeep++] = optarg;
		break;
	case OPT_WDS_FEATURE:
		if (a->so.nwds_features == sizeof(a->wds) / sizeof(a->wds[0]))
			return cli_usage("convert", "more than 64 --wds-feature");
		if (!*optarg || strchr(optarg, '/'))
			return cli_usage("convert", "invalid --wds-feature '%s'", optarg);
		a->wds[a->so.nwds_features++] = optarg;
		break;
	case OPT_EXTRA_COL:
		if (a->so.nextra_cols == sizeof(a->extra_cols) / sizeof(a->extra_cols[0]))
			return cli_usage("convert", "more than 64 --extra-col");
		a->extra_cols[a->so.nextra_cols++] = optarg;
		break;
	case OPT_BACKGROUND:
		if (parse_rgb(optarg, a->o.background))
			return cli_usage("convert", "invalid --background '%s' (want R,G,B, "
					 "each 0..255)", optarg);
		a->o.use_background = 1;
		break;
	case OPT_ANNOTATIONS: a->annotations = optarg; break;
	case OPT_ANNOT_FORMAT:
		if (!tfr_annot_find(optarg))
			return cli_usage("convert", "invalid --annotation-format '%s' (coco, voc, yolo or csv)", optarg);
		a->det.annot_format = optarg;
		break;
	case OPT_IMAGES: a->det.images = optarg; break;
	case OPT_CLASS_NAMES: a->det.annot_classes = optarg; break;
	case OPT_MASKS: a->det.masks = 1; break;
	case OPT_SEGMENTATION: a->det.segmentation = optarg; break;
	case OPT_SKIP_EMPTY: a->det.skip_empty = 1; break;
	case OPT_MIN_BOX_VISIBLE: {
		char *end;

		a->o.min_box_visible = strtod(optarg, &end);
		if (*end || end == optarg || !(a->o.min_box_visible >= 0 && a->o.min_box_visible <= 1))
			return cli_usage("convert", "invalid --min-box-visible '%s' (0..1)", optarg);
		break;
	}
	case OPT_BOX_RETRIES:
		if (cli_parse_u64(optarg, &v) || v > 1000)
			return cli_usage("convert", "invalid --box-retries '%s' (0..1000)", optarg);
		a->o.box_retries = (unsigned)v;
		break;
	case OPT_RRC:
		if (parse_wxh(optarg, &a->o.rrc_w, &a->o.rrc_h))
			return cli_usage("convert", "invalid --random-resized-crop '%s' (want WxH)", optarg);
		break;
	case OPT_RRC_SCALE:
	case OPT_RRC_RATIO: {
		float r[3];
		int n;

		if (parse_floats(optarg, r, &n) || n != 2 || !(r[0] > 0) || !(r[0] <= r[1]) ||
		    (c == OPT_RRC_SCALE && r[1] > 1))
			return cli_usage("convert", "invalid --%s '%s' (want A,B with 0 < A <= B%s)",
					 c == OPT_RRC_SCALE ? "rrc-scale" : "rrc-ratio", optarg,
					 c == OPT_RRC_SCALE ? " <= 1" : "");
		memcpy(c == OPT_RRC_SCALE ? a->o.aug.rrc_scale : a->o.aug.rrc_ratio, r, 2 * sizeof(float));
		break;
	}
	case OPT_NO_STATS: a->o.no_stats = 1; break;
	case OPT_STATS_SAMPLE:
		if (cli_parse_u64(optarg, &a->o.stats_sample) || !a->o.stats_sample)
			return cli_usage("convert", "invalid --stats-sample '%s'", optarg);
		break;
	case OPT_STORE: {
		enum tfr_store fmt;

		if (tfr_store_parse(optarg, &fmt, &a->o.store_quality)) {
			char fmts[256];

			tfr_image_format_list(TFR_LIST_STORE, fmts, sizeof(fmts));
			return cli_usage("convert", "invalid --store '%s' (want %s)", optarg, fmts);
		}
		a->o.store = (int)fmt;
		break;
	}
	}
	return 0;
}

/* The checks between options; 0, or an exit status. */
static int check_args(struct args *a, int argc)
{
	struct tfr_error err;

	if (optind >= argc && !a->list && !a->table && !a->annotations)
		return cli_usage("convert", "no inputs (give directories, archives, files, --list, "
				 "--table or --annotations)");
	if (!a->table && (a->so.path_col || a->so.path_template || a->so.label_col ||
			  a->so.label_sep || a->so.root || a->so.nextra_cols))
		return cli_usage("convert", "--path-col, --path-template, --label-col, --label-sep, "
				 "--extra-col and --root describe a --table");
	if (a->so.path_col && a->so.path_template)
		return cli_usage("convert", "give --path-col or --path-template, not both");
	if (a->table && !strcmp(a->table, "-"))
		return cli_usage("convert", "--table needs a file (it is read twice), not '-'");
	a->so.extra_cols = a->extra_cols;
	a->so.keep = a->keep;
	a->so.wds_features = a->wds;
	if (a->add_classes && !a->classes)
		return cli_usage("convert", "--add-classes needs --classes");
	if (!a->annotations && (a->det.annot_format || a->det.images || a->det.annot_classes ||
				a->det.masks || a->det.segmentation || a->det.skip_empty ||
				a->o.min_box_visible || a->o.box_retries))
		return cli_usage("convert", "detection options need --annotations");
	if (tfr_convert_prepare(&a->o, &err))
		return err.status == TFR_ERR_INVALID ? usage_check(&a->o, &err) : (cli_error_lib(&err), 1);
	return 0;
}

/* List the inputs and convert them; the exit status. */
static int run(struct args *a, int argc, char **argv)
{
	char *spool = NULL;
	struct tfr_dataset ds;
	struct tfr_convert_result res;
	struct tfr_error err;
	struct progress prog;
	int c, i, status;
	size_t ci;

	if ((c = cli_check_output_dir(a->o.out.prefix)) != 0)
		return c;
	/* Shuffled reads (and a sample's) go through a spool of compressed
	 * archives, kept beside the output (source.h); so do the instance
	 * masks' segmentations (annot.h). */
	if ((a->o.shuffle || a->o.stats_sample || a->det.masks) &&
	    !(spool = cli_output_dir(a->o.out.prefix))) {
		cli_error("out of memory");
		return 1;
	}
	a->so.spool_dir = a->o.shuffle || a->o.stats_sample ? spool : NULL;
	a->det.spool_dir = a->det.masks ? spool : NULL;
	cli_install_signals();
	a->so.max_file = a->o.max_file;
	tfr_dataset_init(&ds);
	status = 1;
	for (i = optind; i < argc; i++)
		if (tfr_dataset_add_path(&ds, argv[i], &a->so, &err))
			goto lib_error;
	a->det.max_file = a->so.max_file;
	if ((a->annotations && tfr_dataset_add_kind(&ds, "annotations", a->annotations, &a->det, &err)) ||
	    (a->list && tfr_dataset_add_kind(&ds, "list", a->list, &a->so, &err)) ||
	    (a->table && tfr_dataset_add_kind(&ds, "table", a->table, &a->so, &err)))
		goto lib_error;
	if (ds.nbad && !a->o.skip_errors) {
		cli_error("cannot read '%s': %s", ds.bad[0].file, ds.bad[0].reason);
		goto done;
	}
	if (tfr_dataset_finish(&ds, a->classes, a->add_classes, &err))
		goto lib_error;
	for (ci = ds.nclasses - ds.nadded; ci < ds.nclasses; ci++)
		cli_error("warning: class '%s' is not in '%s'; added as id %zu",
			  ds.classes[ci], a->classes, ci);
	if (ds.n == 0) {
		char fmts[256];

		tfr_image_format_list(TFR_LIST_LONG, fmts, sizeof(fmts));
		cli_error("no images found in the inputs (looked for names ending as %s files "
			  "do: see tfrec-convert(1))", fmts);
		goto done;
	}

	if (!a->out.quiet)
		a->o.on_plan = print_projection;
	cli_output_progress(&prog, "images", a->out.quiet, &a->o.out);
	status = cli_output_report(tfr_convert(&ds, &a->o, &res, &err), &prog, &err, &res.out,
				   UINT64_MAX, a->out.quiet);
	if (!status && res.dropped && !a->out.quiet)
		fprintf(stderr, "tfrec: %" PRIu64 " duplicates dropped (listed as skipped)\n",
			res.dropped);
	if (!status && res.detection && !a->out.quiet)
		fprintf(stderr, "tfrec: %" PRIu64 " boxes kept, %" PRIu64
			" dropped by the crop\n", res.boxes_kept, res.boxes_dropped);
	tfr_convert_result_release(&res); /* on failure too: what it gathered, e.g. skips */
	if (cli_close_stdout())
		status = 1;
	goto done;
lib_error:
	cli_error_lib(&err);
done:
	tfr_dataset_release(&ds);
	free(spool);
	return status;
}

int cmd_convert(int argc, char **argv)
{
	struct args args;
	struct args *a = &args;
	int c;

	memset(a, 0, sizeof(*a));
	a->o.aug.channels = 3;
	a->o.aug.dtype = TFR_DTYPE_FLOAT16;
	a->o.aug.layout = TFR_LAYOUT_HWC;
	a->o.copies = 1;
	a->o.dedupe_distance = TFR_FP_DEFAULT_DISTANCE;
	a->o.against = a->against;
	a->o.aug.rrc_scale[0] = 0.08f;
	a->o.aug.rrc_scale[1] = 1.0f;
	a->o.aug.rrc_ratio[0] = 3.0f / 4;
	a->o.aug.rrc_ratio[1] = 4.0f / 3;
	cli_output_opts_init(&a->out);
	while ((c = cli_output_getopt("convert", usage_text, argc, argv, "o:l:j:qh", longopts,
				      &a->out)) > 0)
		if ((c = parse_option(c, a)) != 0)
			return c;
	if ((c = cli_output_finish("convert", c, &a->out, &a->o.out, &a->o.plan, &a->o.shuffle,
				   &a->o.threads)) >= 0)
		return c;
	if ((c = check_args(a, argc)) != 0)
		return c;
	return run(a, argc, argv);
}
