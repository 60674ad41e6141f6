/*
 * tfrecord.c - TFRecord files (plain, GZIP, ZLIB) of Examples that hold
 * an encoded image: TFDS builds, build_imagenet_data.py output, earlier
 * tfrec --encoded runs.
 *
 * The image is the bytes feature named by --image-key (default
 * "image/encoded"; TFDS uses "image").  The label is kept: the first
 * int64 of "image/class/label" (or TFDS's "label") becomes the item's
 * class, as an integer, so the ids stay what they were.  --keep KEY
 * copies a feature through unchanged.  A record that is not an Example
 * or lacks the image is a problem naming the file, record index and
 * byte offset.  TF Object Detection API features (image/object/...,
 * image/segmentation/class/encoded) are carried over, flagged
 * TFR_FEATURE_GEOMETRIC, so that convert moves boxes and masks with the
 * pixels (boxes.h).
 *
 * An item's locator packs its record index and its offset in the
 * (uncompressed) stream; in a plain file read() seeks straight to it, in
 * a compressed one the cursor reads forward, starting again from the top
 * only for an earlier record.  Only the listing's per-item entry is kept:
 * one record is in memory at a time.
 */
#include "config.h"
#include "source/kinds.h"
#include "format/crc32c.h"
#include "source/listing.h"
#include "format/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF_BITS 40   /* a locator: index << OFF_BITS | stream offset */
#define MAX_INDEX ((UINT64_C(1) << (64 - OFF_BITS)) - 1)

static int valid_header(const unsigned char *h, size_t n)
{
	uint32_t crc;

	if (n < 12)
		return 0;
	memcpy(&crc, h + 8, 4);
	return tfr_masked_crc32c(h, 8) == crc; /* little-endian host (config) */
}

static int tfrecord_bid(const struct tfr_source_probe *p)
{
	if (!S_ISREG(p->st.st_mode))
		return 0;
	/* A length whose masked CRC matches: 32 bits of certainty. */
	if (valid_header(p->head, p->n))
		return 80;
	if (p->inflated && valid_header(p->inflated, p->ninflated))
		return 80;
	return 0;
}

static const char *image_key(const struct tfr_source *src)
{
	return src->opts->image_key ? src->opts->image_key : "image/encoded";
}

/* A TF OD API feature, moved with the pixels by convert (boxes.h). */
static int geometric(const char *key)
{
	return !strncmp(key, "image/object/", 13) ||
	       !strcmp(key, "image/segmentation/class/encoded");
}

static int has_geometric(const struct tfr_example *ex)
{
	struct tfr_feature_view v;
	size_t i;

	for (i = 0; i < tfr_example_nfeatures(ex); i++) {
		tfr_example_feature(ex, i, &v);
		if (geometric(v.key))
			return 1;
	}
	return 0;
}

/* Why a parsed Example cannot be an item, or NULL; its class text in
 * cls (empty for none). */
/* check_example()'s answer for a record without image bytes; the caller
 * names the key, which a static message cannot. */
static const char no_image[] = "no image bytes under the image key";

static const char *check_example(const struct tfr_source *src,
				 const struct tfr_example *ex, char cls[24])
{
	static const char *const label_keys[] = { "image/class/label", "label" };
	struct tfr_feature_view v;
	size_t i;

	cls[0] = '\0';
	if (tfr_example_kind(ex) != TFR_PAYLOAD_EXAMPLE)
		return "a SequenceExample, not an Example";
	if (!tfr_example_find(ex, image_key(src), &v) || v.kind != TFR_FEATURE_BYTES ||
	    v.count < 1)
		return no_image;
	for (i = 0; i < sizeof(label_keys) / sizeof(label_keys[0]); i++)
		if (tfr_example_find(ex, label_keys[i], &v) && v.kind == TFR_FEATURE_INT64 &&
		    v.count >= 1 && v.ints[0] >= 0) {
			snprintf(cls, 24, "%lld", (long long)v.ints[0]);
			break;
		}
	return NULL;
}

static int tfrecord_list(struct tfr_source *src, struct tfr_dataset *ds,
			 struct tfr_error *err)
{
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO };
	struct tfr_reader *rd;
	struct tfr_record rec;
	struct tfr_example *ex = NULL;
	struct tfr_error e;
	char cls[24], why[700];
	struct tfr_buf name;
	int rc;

	ro.max_record = src->opts->max_file ? src->opts->max_file * 2 : 0;
	rc = tfr_reader_open(&rd, src->path, &ro, &e);
	if (rc)
		return tfr_dataset_problem(ds, src->path, TFR_NO_POS, TFR_NO_POS, e.msg, err);
	tfr_buf_init(&name, 0);
	while ((rc = tfr_reader_next(rd, &rec, &e)) == TFR_OK) {
		const char *bad = NULL;
		const char *c[1] = { cls };

		if (rec.index > MAX_INDEX || rec.offset >> OFF_BITS) {
			rc = tfr_dataset_problem(ds, src->path, rec.index, rec.offset,
						 "file too large to list (2^24 records or 2^40 bytes)", err);
			break;
		}
		tfr_example_free(ex);
		ex = NULL;
		if (tfr_example_parse(&ex, rec.data, (size_t)rec.len, &e)) {
			snprintf(why, sizeof(why), "record %llu at byte %llu: not an Example",
				 (unsigned long long)rec.index, (unsigned long long)rec.offset);
			bad = why;
		} else if ((bad = check_example(src, ex, cls))) {
			snprintf(why, sizeof(why), "record %llu at byte %llu: %s%s%.200s%s",
				 (unsigned long long)rec.index, (unsigned long long)rec.offset, bad,
				 bad == no_image ? " '" : "", bad == no_image ? image_key(src) : "",
				 bad == no_image ? "'" : "");
			bad = why;
		}
		if (bad) {
			rc = tfr_dataset_problem(ds, src->path, rec.index, rec.offset, bad, err);
		} else {
			/* Name: the record index, then the image/filename the
			 * record carries, which becomes ours. */
			struct tfr_feature_view v;
			struct tfr_item_desc d = { NULL, 0, c, cls[0] ? 1 : 0,
						   rec.index << OFF_BITS | rec.offset,
						   src->opts->nkeep || has_geometric(ex) ? 0 : TFR_NO_EXTRA };

			name.len = 0;
			if (tfr_buf_printf(&name, "%llu", (unsigned long long)rec.index)) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				goto out;
			}
			if (tfr_example_find(ex, "image/filename", &v) && v.kind == TFR_FEATURE_BYTES &&
			    v.count >= 1 && v.bytes[0].len && v.bytes[0].len < 1024 &&
			    !memchr(v.bytes[0].data, '\0', v.bytes[0].len)) {
				d.base = name.len + 1;
				if (tfr_buf_printf(&name, ":%.*s", (int)v.bytes[0].len, v.bytes[0].data)) {
					rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
					goto out;
				}
			}
			d.name = (const char *)name.data;
			rc = tfr_dataset_add(ds, &d, err);
		}
		if (rc)
			goto out;
	}
	if (rc == TFR_EOF)
		rc = TFR_OK;
	else /* a damaged file: what came before stays listed */
		rc = tfr_dataset_problem(ds, src->path, e.record, e.offset, e.msg, err);
out:
	tfr_buf_release(&name);
	tfr_example_free(ex);
	tfr_reader_free(rd);
	return rc;
}

struct tfr_source_cursor {
	struct tfr_reader *rd;
	uint64_t next;            /* index of the next record it reads */
	struct tfr_example *ex;
};

/* Position the cursor on record loc and parse it. */
static int fetch(const struct tfr_source *src, struct tfr_source_cursor **cur,
		 uint64_t loc, struct tfr_error *err)
{
	struct tfr_source_cursor *c = *cur;
	uint64_t index = loc >> OFF_BITS, off = loc & ((UINT64_C(1) << OFF_BITS) - 1);
	struct tfr_record rec;
	int rc;

	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		*cur = c;
	}
	if (!c->rd || c->next > index) {
		struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO };

		ro.max_record = src->opts->max_file ? src->opts->max_file * 2 : 0;
		tfr_reader_free(c->rd);
		c->rd = NULL;
		rc = tfr_reader_open(&c->rd, src->path, &ro, err);
		if (rc)
			return rc;
		c->next = 0;
	}
	/* Plain files seek; compressed ones read forward. */
	if (c->next != index && tfr_reader_compression(c->rd) == TFR_COMP_NONE) {
		rc = tfr_reader_seek(c->rd, off, index, err);
		if (rc)
			return rc;
		c->next = index;
	}
	while (c->next < index) {
		rc = tfr_reader_next_header(c->rd, &rec, err);
		if (rc)
			return rc == TFR_EOF ? tfr_error_set(err, TFR_ERR_CORRUPT,
							     "file changed since it was listed") : rc;
		c->next++;
	}
	rc = tfr_reader_next(c->rd, &rec, err);
	if (rc == TFR_EOF)
		rc = tfr_error_set(err, TFR_ERR_CORRUPT, "file changed since it was listed");
	if (rc) {
		tfr_reader_free(c->rd);
		c->rd = NULL;
		return rc;
	}
	c->next++;
	tfr_example_free(c->ex);
	c->ex = NULL;
	return tfr_example_parse(&c->ex, rec.data, (size_t)rec.len, err);
}

static int tfrecord_read(const struct tfr_source *src, struct tfr_source_cursor **cur,
			 const char *name, uint64_t loc, struct tfr_buf *out,
			 struct tfr_error *err)
{
	struct tfr_feature_view v;
	uint64_t max = src->opts->max_file ? src->opts->max_file : (UINT64_C(256) << 20);
	int rc = fetch(src, cur, loc, err);

	(void)name;
	if (rc)
		return rc;
	if (!tfr_example_find((*cur)->ex, image_key(src), &v) || v.kind != TFR_FEATURE_BYTES ||
	    v.count < 1)
		return tfr_error_set(err, TFR_ERR_FORMAT, "no image bytes under '%s'", image_key(src));
	if (v.bytes[0].len > max)
		return tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_FILE,
				     "image of %zu bytes exceeds the limit of %llu",
				     v.bytes[0].len, (unsigned long long)max);
	out->len = 0;
	if (tfr_buf_append(out, v.bytes[0].data, v.bytes[0].len))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return TFR_OK;
}

static int tfrecord_features(const struct tfr_source *src, struct tfr_source_cursor **cur,
			     const char *name, uint64_t loc, uint64_t extra,
			     struct tfr_features *fs, struct tfr_error *err)
{
	size_t i;
	int rc = fetch(src, cur, loc, err);

	(void)name;
	(void)extra;
	for (i = 0; !rc && i < src->opts->nkeep; i++) {
		struct tfr_feature_view v;
		const void *vals;

		if (!tfr_example_find((*cur)->ex, src->opts->keep[i], &v))
			continue; /* kept where present */
		vals = v.kind == TFR_FEATURE_BYTES ? (const void *)v.bytes :
		       v.kind == TFR_FEATURE_FLOAT ? (const void *)v.floats : (const void *)v.ints;
		rc = tfr_features_add(fs, v.key, v.kind, vals, v.count,
				      geometric(v.key) ? TFR_FEATURE_GEOMETRIC : 0, err);
	}
	/* Boxes and masks come along whatever --keep says, to be moved. */
	for (i = 0; !rc && i < tfr_example_nfeatures((*cur)->ex); i++) {
		struct tfr_feature_view v;
		const void *vals;
		size_t k;
		int kept = 0;

		tfr_example_feature((*cur)->ex, i, &v);
		for (k = 0; k < src->opts->nkeep; k++)
			kept |= !strcmp(src->opts->keep[k], v.key);
		if (kept || !geometric(v.key))
			continue;
		vals = v.kind == TFR_FEATURE_BYTES ? (const void *)v.bytes :
		       v.kind == TFR_FEATURE_FLOAT ? (const void *)v.floats : (const void *)v.ints;
		rc = tfr_features_add(fs, v.key, v.kind, vals, v.count, TFR_FEATURE_GEOMETRIC, err);
	}
	return rc;
}

static void tfrecord_cursor_free(struct tfr_source_cursor *c)
{
	if (!c)
		return;
	tfr_reader_free(c->rd);
	tfr_example_free(c->ex);
	free(c);
}

static int tfrecord_where(const struct tfr_source *src, const char *name,
			  struct tfr_buf *out)
{
	return tfr_source_where_in(out, src->path, ":record ", name);
}

static int tfrecord_open(struct tfr_source *src, struct tfr_error *err)
{
	size_t i;

	for (i = 0; i < src->opts->nkeep; i++)
		if (tfr_source_reserved_key(src->opts->keep[i]))
			return tfr_error_set(err, TFR_ERR_INVALID,
					     "cannot keep '%s': convert writes it", src->opts->keep[i]);
	return TFR_OK;
}

const struct tfr_source_ops tfr_source_tfrecord = {
	.open = tfrecord_open,
	.name = "tfrecord",
	.bid = tfrecord_bid,
	.list = tfrecord_list,
	.read = tfrecord_read,
	.features = tfrecord_features,
	.cursor_free = tfrecord_cursor_free,
	.where = tfrecord_where,
	.identity = tfr_source_identity_in,
};
