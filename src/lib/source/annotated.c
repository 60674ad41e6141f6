/*
 * annotated.c - the "annotations" source: images named by a detection
 * annotation file or folder (COCO, Pascal VOC, YOLO, CSV; annot/annot.h),
 * with their boxes as extra features in the TF Object Detection API's
 * layout.  Opened by name (--annotations), never by a bid: an
 * annotation file is not an image input.
 *
 * Items are the annotation's images in its own order (COCO's "images"
 * array, VOC files and YOLO images by name, CSV rows' first
 * appearance); the name is the image's path relative to the images
 * folder (--images, else the annotation's folder).  Every problem of the
 * annotation (annot.h) and every image it names that is not there goes
 * to the listing as a problem naming the annotation file and the entry.
 *
 * Features of an item, all per object but source_id, and flagged
 * TFR_FEATURE_GEOMETRIC so that the driver moves them with the pixels
 * (detect.h): image/source_id, image/object/bbox/xmin, xmax, ymin, ymax,
 * image/object/class/label, image/object/class/text,
 * image/object/difficult, image/object/truncated, image/object/is_crowd,
 * image/object/area, and with --masks image/object/mask (a PNG per
 * object, 0 and 1, the image's size; masks.h); with --segmentation DIR,
 * image/segmentation/class/encoded and image/segmentation/class/format
 * ("png") from DIR/STEM.png, where STEM is the image's name without its
 * extension (as VOC's SegmentationClass holds them), when that file
 * exists.
 *
 * Memory: the annotation set (annot.h); read and features hold one item.
 */
#include "config.h"
#include "source/source.h"
#include "source/kinds.h"
#include "annot/annot.h"
#include "source/listing.h"
#include "annot/masks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct detect {
	struct tfr_annot_set set;
	char *images;
};

static int detect_open(struct tfr_source *src, struct tfr_error *err)
{
	const struct tfr_source_opts *so = src->opts;
	const struct tfr_annot_format *fmt = NULL;
	struct tfr_annot_opts ao;
	struct detect *d;
	struct stat st;
	int rc;

	if (so->annot_format && !(fmt = tfr_annot_find(so->annot_format)))
		return tfr_error_set(err, TFR_ERR_INVALID, "unknown annotation format '%s'",
				     so->annot_format);
	if (stat(src->path, &st))
		return tfr_error_sys(err, errno, "cannot open '%s'", src->path);
	d = calloc(1, sizeof(*d));
	if (!d)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	src->priv = d;
	if (so->images)
		d->images = strdup(so->images);
	else if (S_ISDIR(st.st_mode))
		d->images = strdup(src->path);
	else {
		const char *slash = strrchr(src->path, '/');

		d->images = slash ? strndup(src->path, (size_t)(slash - src->path) + (slash == src->path))
				  : strdup(".");
	}
	if (!d->images)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memset(&ao, 0, sizeof(ao));
	ao.masks = so->masks;
	ao.skip_empty = so->skip_empty;
	ao.classes_file = so->annot_classes;
	ao.images = d->images;
	ao.spool_dir = so->spool_dir; /* the masks' segmentations */
	tfr_annot_init(&d->set);
	rc = tfr_annot_load(&d->set, src->path, fmt, &ao, err);
	return rc;
}

static int detect_list(struct tfr_source *src, struct tfr_dataset *ds,
		       struct tfr_error *err)
{
	struct detect *d = src->priv;
	struct tfr_buf path;
	size_t i;
	int rc = TFR_OK;

	for (i = 0; !rc && i < d->set.nproblems; i++) {
		const struct tfr_problem *p = &d->set.problems[i];

		rc = tfr_dataset_problem(ds, p->file, p->record, p->offset, p->reason, err);
	}
	if (!rc)
		rc = tfr_dataset_object_classes(ds, d->set.classes, d->set.nclasses, err);
	tfr_buf_init(&path, 0);
	for (i = 0; !rc && i < d->set.nimages; i++) {
		const struct tfr_annot_image *im = &d->set.images[i];
		struct tfr_item_desc it = { im->file, 0, NULL, 0, i, i };
		struct stat st;

		if (tfr_source_join(&path, d->images, im->file)) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			break;
		}
		if (stat((const char *)path.data, &st) || !S_ISREG(st.st_mode)) {
			char why[512];

			snprintf(why, sizeof(why), "image '%s' is not in '%s'%s", im->file, d->images,
				 im->n ? "; its boxes are left out" : "");
			rc = tfr_dataset_problem(ds, im->source, TFR_NO_POS, TFR_NO_POS, why, err);
			continue;
		}
		rc = tfr_dataset_add(ds, &it, err);
	}
	tfr_buf_release(&path);
	return rc;
}

static int detect_where(const struct tfr_source *src, const char *name,
			struct tfr_buf *out)
{
	const struct detect *d = src->priv;

	return tfr_source_join(out, d->images, name);
}

/* path = DIR/STEM.png, the semantic mask file of im (--segmentation). */
static int segmentation_path(const struct tfr_source *src, const struct tfr_annot_image *im,
			     struct tfr_buf *name, struct tfr_buf *path)
{
	const char *dot = strrchr(im->file, '.'), *slash = strrchr(im->file, '/');
	size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - im->file) : strlen(im->file);

	name->len = 0;
	if (tfr_buf_append(name, im->file, stem) || tfr_buf_append(name, ".png", 5) ||
	    tfr_source_join(path, src->opts->segmentation, (const char *)name->data))
		return -1;
	return 0;
}

/* The semantic mask of im, when DIR/STEM.png exists. */
static int add_segmentation(const struct tfr_source *src, const struct tfr_annot_image *im,
			    struct tfr_features *fs, struct tfr_error *err)
{
	struct tfr_buf name, path, data;
	struct tfr_bytes b, fmt = { 3, (const unsigned char *)"png" };
	struct stat st;
	int rc = TFR_OK;

	tfr_buf_init(&name, 0);
	tfr_buf_init(&path, 0);
	tfr_buf_init(&data, 0);
	if (segmentation_path(src, im, &name, &path)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (stat((const char *)path.data, &st))
		goto out; /* no mask for this image: VOC segments a subset */
	rc = tfr_source_read_file((const char *)path.data, &data, src->opts->max_file, err);
	if (rc) {
		struct tfr_error e = *err;

		rc = tfr_error_set(err, rc, "segmentation mask '%s': %s", (const char *)path.data, e.msg);
		goto out;
	}
	b.data = data.data;
	b.len = data.len;
	rc = tfr_features_add(fs, "image/segmentation/class/encoded", TFR_FEATURE_BYTES, &b, 1,
			      TFR_FEATURE_GEOMETRIC, err);
	if (!rc)
		rc = tfr_features_add(fs, "image/segmentation/class/format", TFR_FEATURE_BYTES, &fmt,
				      1, 0, err);
out:
	tfr_buf_release(&name);
	tfr_buf_release(&path);
	tfr_buf_release(&data);
	return rc;
}

static int detect_features(const struct tfr_source *src, struct tfr_source_cursor **cur,
			   const char *name, uint64_t loc, uint64_t extra,
			   struct tfr_features *fs, struct tfr_error *err)
{
	const struct detect *d = src->priv;
	const struct tfr_annot_set *set = &d->set;
	const struct tfr_annot_image *im;
	const unsigned g = TFR_FEATURE_GEOMETRIC;
	struct tfr_bytes sid, *text = NULL, *masks = NULL;
	float *f = NULL;
	int64_t *v = NULL;
	struct tfr_buf png;
	size_t n, k;
	int rc;

	(void)cur;
	(void)name;
	(void)loc;
	if (extra >= set->nimages)
		return tfr_error_set(err, TFR_ERR_INVALID, "no such annotated image");
	im = &set->images[extra];
	n = im->n;
	sid.data = (const unsigned char *)im->source_id;
	sid.len = strlen(im->source_id);
	rc = tfr_features_add(fs, "image/source_id", TFR_FEATURE_BYTES, &sid, 1, 0, err);
	if (rc)
		return rc;
	f = malloc((n ? n : 1) * sizeof(float));
	v = malloc((n ? n : 1) * sizeof(int64_t));
	text = malloc((n ? n : 1) * sizeof(*text));
	if (!f || !v || !text) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
#define FLOATS(key, expr) do { \
		for (k = 0; k < n; k++) { \
			const struct tfr_annot_object *o = &set->objects[im->first + k]; \
			f[k] = (float)(expr); \
			(void)o; \
		} \
		rc = tfr_features_add(fs, key, TFR_FEATURE_FLOAT, f, n, g, err); \
	} while (0)
#define INTS(key, expr) do { \
		for (k = 0; k < n; k++) { \
			const struct tfr_annot_object *o = &set->objects[im->first + k]; \
			v[k] = (int64_t)(expr); \
			(void)o; \
		} \
		rc = tfr_features_add(fs, key, TFR_FEATURE_INT64, v, n, g, err); \
	} while (0)
	FLOATS("image/object/bbox/xmin", o->xmin);
	if (!rc)
		FLOATS("image/object/bbox/xmax", o->xmax);
	if (!rc)
		FLOATS("image/object/bbox/ymin", o->ymin);
	if (!rc)
		FLOATS("image/object/bbox/ymax", o->ymax);
	if (!rc)
		INTS("image/object/class/label", o->label);
	if (!rc) {
		for (k = 0; k < n; k++) {
			const char *t = set->classes[set->objects[im->first + k].label - 1];

			text[k].data = (const unsigned char *)t;
			text[k].len = strlen(t);
		}
		rc = tfr_features_add(fs, "image/object/class/text", TFR_FEATURE_BYTES, text, n, g, err);
	}
	if (!rc)
		INTS("image/object/difficult", o->difficult);
	if (!rc)
		INTS("image/object/truncated", o->truncated);
	if (!rc)
		INTS("image/object/is_crowd", o->crowd);
	if (!rc)
		FLOATS("image/object/area", o->area);
#undef FLOATS
#undef INTS
	if (!rc && src->opts->segmentation)
		rc = add_segmentation(src, im, fs, err);
	if (rc || !src->opts->masks)
		goto out;
	/* Instance masks: one PNG each, all in one buffer, then views. */
	masks = calloc(n ? n : 1, sizeof(*masks));
	if (!masks) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	tfr_buf_init(&png, 0);
	{
		size_t *ends = malloc((n ? n : 1) * sizeof(size_t));

		if (!ends)
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		for (k = 0; !rc && k < n; k++) {
			const struct tfr_annot_object *o = &set->objects[im->first + k];

			rc = tfr_mask_png(set, o, im->width, im->height, &png, err);
			ends[k] = png.len;
		}
		for (k = 0; !rc && k < n; k++) {
			masks[k].data = png.data + (k ? ends[k - 1] : 0);
			masks[k].len = ends[k] - (k ? ends[k - 1] : 0);
		}
		free(ends);
	}
	if (!rc)
		rc = tfr_features_add(fs, "image/object/mask", TFR_FEATURE_BYTES, masks, n, g, err);
	tfr_buf_release(&png);
out:
	free(f);
	free(v);
	free(text);
	free(masks);
	return rc;
}

/* The boxes and masks of an image come from its annotation file (the
 * COCO JSON, its VOC XML, its YOLO .txt, the CSV), and with
 * --segmentation from DIR/STEM.png: their identities, beside the
 * image's own (keyed by the caller from where()). */
static int detect_identity(const struct tfr_source *src, const char *name, uint64_t loc,
			   uint64_t extra, struct tfr_buf *out)
{
	const struct detect *d = src->priv;
	const struct tfr_annot_image *im;
	struct tfr_buf sname, path;
	int rc = 0;

	(void)name;
	(void)loc;
	/* Not the identity of the annotation path itself: for VOC and YOLO
	 * it is a folder, whose time changes with any file made in it (an
	 * output beside the labels); each image's own file is keyed. */
	if (extra >= d->set.nimages)
		return 0;
	im = &d->set.images[extra];
	if (tfr_buf_append(out, im->source, strlen(im->source) + 1) ||
	    tfr_source_identity_file(out, im->source))
		return -1;
	if (!src->opts->segmentation)
		return 0;
	tfr_buf_init(&sname, 0);
	tfr_buf_init(&path, 0);
	if (segmentation_path(src, im, &sname, &path) ||
	    tfr_source_identity_file(out, (const char *)path.data))
		rc = -1;
	tfr_buf_release(&sname);
	tfr_buf_release(&path);
	return rc;
}

static void detect_close(struct tfr_source *src)
{
	struct detect *d = src->priv;

	if (!d)
		return;
	tfr_annot_release(&d->set);
	free(d->images);
	free(d);
	src->priv = NULL;
}

const struct tfr_source_ops tfr_source_annotations = {
	.name = "annotations",
	.open = detect_open,
	.list = detect_list,
	.read = tfr_source_read_path,
	.features = detect_features,
	.where = detect_where,
	.identity = detect_identity,
	.close = detect_close,
};
