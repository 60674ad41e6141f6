/*
 * cmd-convert.c - tfrec convert: images to float16 Example shards.
 */
#include "config.h"
#include "cli.h"
#include "progress.h"
#include "lib/base/buf.h"
#include "lib/pipeline/convert.h"
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

struct settings {
	const char *normalize;
	float mean[3], std[3];
	int nmean, nstd;
	const char *sharding;
	uint64_t shard_value;
};

/* The options that shape the output, for the manifest (and --resume's
 * key), in the order the manifest lists them.  v has room for 40. */
static size_t option_list(struct tfr_option *v, const struct tfr_convert_opts *o,
			  const struct settings *st, const char *on_error)
{
	const struct tfr_augment *a = &o->aug;
	size_t n = 0;

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
	if (o->store) {
		OPT_N("store", tfr_store_format((enum tfr_store)o->store));
		OPT_U("quality", (uint64_t)o->store_quality);
	}
	if (o->encoded) {
		OPT_B("encoded", 1);
	} else {
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
		OPT_N("normalize", st->normalize);
		if (o->min_box_visible > 0 || o->box_retries) {
			OPT_F1("min_box_visible", o->min_box_visible);
			OPT_U("box_retries", o->box_retries);
		}
		if (o->stats_sample)
			OPT_U("stats_sample", o->stats_sample);
		if (st->nmean) {
			OPT_F("mean", st->mean);
			OPT_F("std", st->std);
		}
		OPT_N("dtype", tfr_dtype_name(a->dtype));
		OPT_N("layout", a->layout == TFR_LAYOUT_HWC ? "hwc" : "chw");
	}
	if (o->use_background) {
		float bg[3] = { o->background[0], o->background[1], o->background[2] };

		OPT_F("background", bg);
	}
	OPT_U("channels", a->channels);
	OPT_U("copies", o->copies);
	OPT_U("seed", o->seed);
	OPT_B("shuffle", o->shuffle);
	OPT_U(st->sharding, st->shard_value);
	OPT_N("compression", tfr_compression_name(o->out.compression));
	OPT_B("index", o->out.index);
	OPT_N("on_error", on_error);
	OPT_U("max_pixels", o->max_pixels ? o->max_pixels : TFR_DEFAULT_MAX_PIXELS);
#undef OPT_U
#undef OPT_B
#undef OPT_N
#undef OPT_P
#undef OPT_F
#undef OPT_F1
#undef OPT_F2
	return n;
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

int cmd_convert(int argc, char **argv)
{
	char *spool = NULL;
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
		CLI_OUTPUT_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tfr_convert_opts o;
	struct settings st = { "unit", { 0 }, { 0 }, 0, 0, "shard_size", 256u << 20 };
	struct tfr_dataset ds;
	struct tfr_convert_result res;
	struct tfr_error err;
	struct tfr_option opts[40];
	struct progress prog;
	const char *list = NULL, *on_error = "fail", *classes = NULL;
	int add_classes = 0;
	const char *table = NULL, *extra_cols[64], *keep[64], *wds[64];
	struct tfr_source_opts so;
	const char *annotations = NULL;
	struct tfr_source_opts det;
	uint32_t rrc_w = 0, rrc_h = 0;
	struct cli_output_opts out;
	int c, i, norm_given = 0, status = 0;
	size_t ci;
	uint64_t v;

	memset(&o, 0, sizeof(o));
	memset(&so, 0, sizeof(so));
	o.aug.channels = 3;
	o.aug.dtype = TFR_DTYPE_FLOAT16;
	o.aug.layout = TFR_LAYOUT_HWC;
	o.copies = 1;
	cli_output_opts_init(&out);
	memset(&det, 0, sizeof(det));
	o.aug.rrc_scale[0] = 0.08f;
	o.aug.rrc_scale[1] = 1.0f;
	o.aug.rrc_ratio[0] = 3.0f / 4;
	o.aug.rrc_ratio[1] = 4.0f / 3;

	while ((c = cli_output_getopt("convert", usage_text, argc, argv, "o:l:j:qh", longopts,
				      &out)) > 0) {
		switch (c) {
		case 'l': list = optarg; break;
		case OPT_RESIZE:
			if (parse_wxh(optarg, &o.aug.resize_w, &o.aug.resize_h))
				return cli_usage("convert", "invalid --resize '%s' (want WxH)", optarg);
			o.aug.resize = TFR_RESIZE_EXACT;
			break;
		case OPT_RESIZE_SHORT:
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 65535)
				return cli_usage("convert", "invalid --resize-short '%s'", optarg);
			o.aug.resize = TFR_RESIZE_SHORT;
			o.aug.resize_short = (uint32_t)v;
			break;
		case OPT_CROP:
			if (parse_wxh(optarg, &o.aug.crop_w, &o.aug.crop_h))
				return cli_usage("convert", "invalid --crop '%s' (want WxH)", optarg);
			break;
		case OPT_RANDOM_CROP: o.aug.random_crop = 1; break;
		case OPT_FLIP: o.aug.flip = 1; break;
		case OPT_COPIES:
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 10000)
				return cli_usage("convert", "invalid --copies '%s' (1..10000)", optarg);
			o.copies = (uint32_t)v;
			break;
		case OPT_SEED:
			if (cli_parse_u64(optarg, &o.seed))
				return cli_usage("convert", "invalid --seed '%s'", optarg);
			break;
		case OPT_NORMALIZE:
			if (strcmp(optarg, "unit") && strcmp(optarg, "imagenet") &&
			    strcmp(optarg, "none") && strcmp(optarg, "dataset"))
				return cli_usage("convert", "invalid --normalize '%s' (unit, imagenet, dataset or none)", optarg);
			st.normalize = optarg;
			norm_given = 1;
			break;
		case OPT_MEAN:
			if (parse_floats(optarg, st.mean, &st.nmean))
				return cli_usage("convert", "invalid --mean '%s'", optarg);
			break;
		case OPT_STD:
			if (parse_floats(optarg, st.std, &st.nstd))
				return cli_usage("convert", "invalid --std '%s'", optarg);
			break;
		case OPT_LAYOUT:
			if (!strcmp(optarg, "hwc"))
				o.aug.layout = TFR_LAYOUT_HWC;
			else if (!strcmp(optarg, "chw"))
				o.aug.layout = TFR_LAYOUT_CHW;
			else
				return cli_usage("convert", "invalid --layout '%s' (hwc or chw)", optarg);
			break;
		case OPT_CHANNELS:
			if (strcmp(optarg, "1") && strcmp(optarg, "3"))
				return cli_usage("convert", "invalid --channels '%s' (1 or 3)", optarg);
			o.aug.channels = (uint32_t)(optarg[0] - '0');
			break;
		case OPT_DTYPE:
			if (!strcmp(optarg, "float16"))
				o.aug.dtype = TFR_DTYPE_FLOAT16;
			else if (!strcmp(optarg, "float32"))
				o.aug.dtype = TFR_DTYPE_FLOAT32;
			else if (!strcmp(optarg, "uint8"))
				o.aug.dtype = TFR_DTYPE_UINT8;
			else
				return cli_usage("convert", "invalid --dtype '%s'", optarg);
			break;
		case OPT_ENCODED: o.encoded = 1; break;
		case OPT_ON_ERROR:
			if (!strcmp(optarg, "skip"))
				o.skip_errors = 1;
			else if (strcmp(optarg, "fail"))
				return cli_usage("convert", "invalid --on-error '%s' (fail or skip)", optarg);
			on_error = optarg;
			break;
		case OPT_MAX_PIXELS:
			if (cli_parse_u64(optarg, &o.max_pixels) || !o.max_pixels)
				return cli_usage("convert", "invalid --max-pixels '%s'", optarg);
			break;
		case OPT_MAX_FILE:
			if (cli_parse_size(optarg, &o.max_file) || !o.max_file)
				return cli_usage("convert", "invalid --max-file '%s'", optarg);
			break;
		case OPT_CLASSES: classes = optarg; break;
		case OPT_ADD_CLASSES: add_classes = 1; break;
		case OPT_TABLE: table = optarg; break;
		case OPT_PATH_COL: so.path_col = optarg; break;
		case OPT_PATH_TEMPLATE: so.path_template = optarg; break;
		case OPT_LABEL_COL: so.label_col = optarg; break;
		case OPT_LABEL_SEP: so.label_sep = optarg; break;
		case OPT_ROOT: so.root = optarg; break;
		case OPT_MULTI_HOT: o.multi_hot = 1; break;
		case OPT_IMAGE_KEY: so.image_key = optarg; break;
		case OPT_KEEP:
			if (so.nkeep == sizeof(keep) / sizeof(keep[0]))
				return cli_usage("convert", "more than 64 --keep");
			keep[so.nkeep++] = optarg;
			break;
		case OPT_WDS_FEATURE:
			if (so.nwds_features == sizeof(wds) / sizeof(wds[0]))
				return cli_usage("convert", "more than 64 --wds-feature");
			if (!*optarg || strchr(optarg, '/'))
				return cli_usage("convert", "invalid --wds-feature '%s'", optarg);
			wds[so.nwds_features++] = optarg;
			break;
		case OPT_EXTRA_COL:
			if (so.nextra_cols == sizeof(extra_cols) / sizeof(extra_cols[0]))
				return cli_usage("convert", "more than 64 --extra-col");
			extra_cols[so.nextra_cols++] = optarg;
			break;
		case OPT_BACKGROUND:
			if (parse_rgb(optarg, o.background))
				return cli_usage("convert", "invalid --background '%s' (want R,G,B, "
						 "each 0..255)", optarg);
			o.use_background = 1;
			break;
		case OPT_ANNOTATIONS: annotations = optarg; break;
		case OPT_ANNOT_FORMAT:
			if (!tfr_annot_find(optarg))
				return cli_usage("convert", "invalid --annotation-format '%s' (coco, voc, yolo or csv)", optarg);
			det.annot_format = optarg;
			break;
		case OPT_IMAGES: det.images = optarg; break;
		case OPT_CLASS_NAMES: det.annot_classes = optarg; break;
		case OPT_MASKS: det.masks = 1; break;
		case OPT_SEGMENTATION: det.segmentation = optarg; break;
		case OPT_SKIP_EMPTY: det.skip_empty = 1; break;
		case OPT_MIN_BOX_VISIBLE: {
			char *end;

			o.min_box_visible = strtod(optarg, &end);
			if (*end || end == optarg || !(o.min_box_visible >= 0 && o.min_box_visible <= 1))
				return cli_usage("convert", "invalid --min-box-visible '%s' (0..1)", optarg);
			break;
		}
		case OPT_BOX_RETRIES:
			if (cli_parse_u64(optarg, &v) || v > 1000)
				return cli_usage("convert", "invalid --box-retries '%s' (0..1000)", optarg);
			o.box_retries = (unsigned)v;
			break;
		case OPT_RRC:
			if (parse_wxh(optarg, &rrc_w, &rrc_h))
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
			memcpy(c == OPT_RRC_SCALE ? o.aug.rrc_scale : o.aug.rrc_ratio, r, 2 * sizeof(float));
			break;
		}
		case OPT_NO_STATS: o.no_stats = 1; break;
		case OPT_STATS_SAMPLE:
			if (cli_parse_u64(optarg, &o.stats_sample) || !o.stats_sample)
				return cli_usage("convert", "invalid --stats-sample '%s'", optarg);
			break;
		case OPT_STORE: {
			enum tfr_store fmt;
			char fmts[256];

			if (tfr_store_parse(optarg, &fmt, &o.store_quality)) {
				tfr_image_format_list(TFR_LIST_STORE, fmts, sizeof(fmts));
				return cli_usage("convert", "invalid --store '%s' (want %s)", optarg, fmts);
			}
			o.store = (int)fmt;
			break;
		}
		}
	}
	if ((c = cli_output_finish("convert", c, &out, &o.out, &o.plan, &o.shuffle, &o.threads)) >= 0)
		return c;
	st.sharding = out.sharding;
	st.shard_value = out.shard_value;
	if (optind >= argc && !list && !table && !annotations)
		return cli_usage("convert", "no inputs (give directories, archives, files, --list, "
				 "--table or --annotations)");
	if (!table && (so.path_col || so.path_template || so.label_col || so.label_sep ||
		       so.root || so.nextra_cols))
		return cli_usage("convert", "--path-col, --path-template, --label-col, --label-sep, "
				 "--extra-col and --root describe a --table");
	if (so.path_col && so.path_template)
		return cli_usage("convert", "give --path-col or --path-template, not both");
	if (table && !strcmp(table, "-"))
		return cli_usage("convert", "--table needs a file (it is read twice), not '-'");
	so.extra_cols = extra_cols;
	so.keep = keep;
	so.wds_features = wds;
	if (add_classes && !classes)
		return cli_usage("convert", "--add-classes needs --classes");
	if (rrc_w && (o.aug.resize || o.aug.crop_w || o.aug.random_crop))
		return cli_usage("convert", "--random-resized-crop chooses its own window: "
				 "--resize, --resize-short, --crop and --random-crop do not apply");
	if (rrc_w) {
		o.aug.rrc = 1;
		o.aug.crop_w = rrc_w;
		o.aug.crop_h = rrc_h;
	}
	if (!annotations && (det.annot_format || det.images || det.annot_classes || det.masks || det.segmentation ||
			     det.skip_empty || o.min_box_visible || o.box_retries))
		return cli_usage("convert", "detection options need --annotations");
	if (o.aug.random_crop && !o.aug.crop_w)
		return cli_usage("convert", "--random-crop needs --crop");
	if (o.aug.resize == TFR_RESIZE_EXACT && o.aug.crop_w &&
	    (o.aug.crop_w > o.aug.resize_w || o.aug.crop_h > o.aug.resize_h))
		return cli_usage("convert", "--crop is larger than --resize");
	if (o.aug.resize == TFR_RESIZE_SHORT && o.aug.crop_w &&
	    (o.aug.crop_w > o.aug.resize_short && o.aug.crop_h > o.aug.resize_short))
		return cli_usage("convert", "--crop is larger than --resize-short on both sides");
	if ((st.nmean != 0) != (st.nstd != 0))
		return cli_usage("convert", "--mean and --std go together");
	if (st.nmean && norm_given)
		return cli_usage("convert", "give --normalize or --mean/--std, not both");
	if (st.nmean && (st.nmean != (int)o.aug.channels && st.nmean != 1))
		return cli_usage("convert", "--mean needs 1 or %u values", o.aug.channels);
	if (st.nstd && (st.nstd != st.nmean))
		return cli_usage("convert", "--std needs as many values as --mean");
	if (o.stats_sample && strcmp(st.normalize, "dataset"))
		return cli_usage("convert", "--stats-sample goes with --normalize dataset");
	if (o.store && (o.encoded || norm_given || st.nmean || o.aug.dtype != TFR_DTYPE_FLOAT16 ||
			o.aug.layout != TFR_LAYOUT_HWC))
		return cli_usage("convert", "--store keeps 8-bit pixels, encoded: --encoded, --normalize, "
				 "--mean, --std, --dtype and --layout do not apply");
	if (o.store)
		o.aug.dtype = TFR_DTYPE_UINT8; /* the pixels the encoder takes */
	if (o.aug.dtype == TFR_DTYPE_UINT8 && (norm_given || st.nmean))
		return cli_usage("convert", "--dtype uint8 stores pixels: --normalize, --mean and --std do not apply");
	if (o.encoded && (o.aug.resize || o.aug.crop_w || o.aug.flip || o.aug.rrc || norm_given ||
			  st.nmean || o.copies > 1))
		return cli_usage("convert", "--encoded keeps the original bytes: augment options do not apply");
	/* Copies differ only by the random choices of the crop and flip
	 * (augment.h); without one they are byte-identical records, which
	 * bias training and are never what was meant (issue 21). */
	if (o.copies > 1 && !o.aug.random_crop && !o.aug.flip && !o.aug.rrc)
		return cli_usage("convert", "--copies %" PRIu32 " would write identical copies: add "
				 "--random-crop (with --crop), --flip or --random-resized-crop", o.copies);
	if (o.out.index && o.out.compression != TFR_COMP_NONE)
		return cli_usage("convert", "--index needs uncompressed shards (DALI seeks by offset)");
	/* One limit for writing and reading: no record past what tfrec's
	 * readers accept by default. */
	if (o.encoded && o.max_file > TFR_MAX_TENSOR_BYTES)
		return cli_usage("convert", "--max-file with --encoded: at most %" PRIu64 "M, so that "
				 "a record stays within 1G", (uint64_t)(TFR_MAX_TENSOR_BYTES >> 20));
	{
		uint32_t fw, fh;

		if (tfr_augment_fixed_shape(&o.aug, &fw, &fh) &&
		    tfr_augment_check_size(&o.aug, fw, fh, &err))
			return cli_usage("convert", "--resize or --crop: %s", err.msg);
	}
	for (i = 0; st.nstd && i < st.nstd; i++) {
		/* x in 0..1 becomes (x - mean) / std: past 65504 float16
		 * holds only infinity. */
		double far;

		if (!(st.std[i] > 0))
			return cli_usage("convert", "--std values must be positive");
		far = fmax(fabs(st.mean[i]), fabs(1.0 - st.mean[i])) / st.std[i];
		if (o.aug.dtype == TFR_DTYPE_FLOAT16 && far > TFR_F16_MAX)
			return cli_usage("convert", "--mean %g --std %g give values up to %g, beyond "
					 "float16's %g (--dtype float32 holds them)", st.mean[i],
					 st.std[i], far, TFR_F16_MAX);
	}

	/* Normalization. */
	if (st.nmean) {
		for (i = st.nmean; i < 3; i++) {
			st.mean[i] = st.mean[0];
			st.std[i] = st.std[0];
		}
		st.normalize = "custom";
		tfr_augment_set_norm(&o.aug, st.mean, st.std);
	} else if (!strcmp(st.normalize, "dataset")) {
		static const float m0[3] = { 0, 0, 0 }, s0[3] = { 1, 1, 1 };

		o.norm_dataset = 1; /* the values come from the first pass */
		tfr_augment_set_norm(&o.aug, m0, s0);
	} else if (!strcmp(st.normalize, "imagenet")) {
		static const float m3[3] = { 0.485f, 0.456f, 0.406f }, s3[3] = { 0.229f, 0.224f, 0.225f };
		static const float m1[3] = { 0.449f, 0.449f, 0.449f }, s1[3] = { 0.226f, 0.226f, 0.226f };

		tfr_augment_set_norm(&o.aug, o.aug.channels == 3 ? m3 : m1,
				     o.aug.channels == 3 ? s3 : s1);
	} else if (!strcmp(st.normalize, "none") || o.aug.dtype == TFR_DTYPE_UINT8) {
		tfr_augment_set_identity(&o.aug);
		if (o.aug.dtype == TFR_DTYPE_UINT8)
			st.normalize = "none";
	} else {
		static const float m0[3] = { 0, 0, 0 }, s0[3] = { 1, 1, 1 };

		tfr_augment_set_norm(&o.aug, m0, s0);
	}

	if ((c = cli_check_output_dir(o.out.prefix)) != 0)
		return c;
	/* Shuffled reads (and a sample's) go through a spool of compressed
	 * archives, kept beside the output (source.h); so do the instance
	 * masks' segmentations (annot.h). */
	if ((o.shuffle || o.stats_sample || det.masks) && !(spool = cli_output_dir(o.out.prefix))) {
		cli_error("out of memory");
		return 1;
	}
	so.spool_dir = o.shuffle || o.stats_sample ? spool : NULL;
	det.spool_dir = det.masks ? spool : NULL;
	cli_install_signals();
	so.max_file = o.max_file;
	tfr_dataset_init(&ds);
	status = 1;
	for (i = optind; i < argc; i++)
		if (tfr_dataset_add_path(&ds, argv[i], &so, &err))
			goto lib_error;
	det.max_file = so.max_file;
	if ((annotations && tfr_dataset_add_kind(&ds, "annotations", annotations, &det, &err)) ||
	    (list && tfr_dataset_add_kind(&ds, "list", list, &so, &err)) ||
	    (table && tfr_dataset_add_kind(&ds, "table", table, &so, &err)))
		goto lib_error;
	if (ds.nbad && !o.skip_errors) {
		cli_error("cannot read '%s': %s", ds.bad[0].file, ds.bad[0].reason);
		goto done;
	}
	if (tfr_dataset_finish(&ds, classes, add_classes, &err))
		goto lib_error;
	for (ci = ds.nclasses - ds.nadded; ci < ds.nclasses; ci++)
		cli_error("warning: class '%s' is not in '%s'; added as id %zu",
			  ds.classes[ci], classes, ci);
	if (ds.n == 0) {
		char fmts[256];

		tfr_image_format_list(TFR_LIST_LONG, fmts, sizeof(fmts));
		cli_error("no images found in the inputs (looked for names ending as %s files "
			  "do: see tfrec-convert(1))", fmts);
		goto done;
	}

	o.noptions = option_list(opts, &o, &st, on_error);
	o.options = opts;
	if (!out.quiet)
		o.on_plan = print_projection;
	cli_output_progress(&prog, "images", out.quiet, &o.out);
	status = cli_output_report(tfr_convert(&ds, &o, &res, &err), &prog, &err, &res.out,
				   UINT64_MAX, out.quiet);
	if (!status && res.detection && !out.quiet)
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
