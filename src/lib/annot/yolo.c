/*
 * yolo.c - YOLO txt labels: one file per image of "class cx cy w h"
 * lines, normalized, with a class-names file (one name a line); see
 * annot.h.  Class k of the file is label k + 1.
 *
 * The images folder decides the items: each image (by extension) whose
 * stem has a .txt in the labels folder takes its boxes from it, one
 * without is an image with no objects, and a .txt without an image is a
 * problem.  Sizes are unknown here (area -1, width and height 0), but
 * for a label file with a corner outside 0..1, whose image's header is
 * read for the half-pixel edge rule (annot.h).
 */
#include "config.h"
#include "annot/annot.h"
#include "image/image.h"
#include "base/fileio.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Split line[0..n) into at most max white-space separated fields. */
static int fields(char *line, char **f, int max)
{
	int k = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s)
			return k;
		if (k == max)
			return max + 1;
		f[k++] = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
		if (*s)
			*s++ = 0;
	}
}

static int num(const char *s, double *d)
{
	char *end;

	*d = strtod(s, &end);
	return *end || !isfinite(*d) ? -1 : 0;
}

/* Bytes of an image read for its size: headers sit well inside this
 * (a JPEG's SOF after an EXIF block of at most 64 KiB). */
#define HEADER_BYTES ((size_t)1 << 20)

/* The upright size of the image at path from its header, or 0 x 0 when
 * it cannot be read.  Only for a box with a corner outside 0..1, so
 * that the half-pixel edge rule has pixels to count in (annot.h). */
static void image_size(const char *path, uint32_t *w, uint32_t *h)
{
	struct tfr_image_info info;
	unsigned char *buf;
	size_t n;
	FILE *f;

	*w = *h = 0;
	if (!path || !(f = fopen(path, "rb")))
		return;
	buf = malloc(HEADER_BYTES);
	if (buf) {
		n = fread(buf, 1, HEADER_BYTES, f);
		if (!tfr_image_probe(buf, n, 0, &info, NULL))
			tfr_image_upright(&info, w, h);
		free(buf);
	}
	fclose(f);
}

/* The lines of one label file for image idx (or a problem per bad line);
 * image: its path, NULL when there is none (a file parsed alone). */
static int yolo_lines(struct tfr_annot_set *set, const char *name, unsigned char *data,
		      size_t len, size_t idx, const char *image, struct tfr_error *err)
{
	size_t pos = 0, line = 0;
	uint32_t iw = 0, ih = 0;
	int rc = TFR_OK, sized = 0;

	while (!rc && pos < len) {
		size_t start = pos, end;
		char *f[6], *l;
		const char *why = NULL;
		double v[5];
		int k, nf;

		line++;
		while (pos < len && data[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++;
		if (end - start > TFR_ANNOT_MAX_LINE)
			return tfr_error_at(err, TFR_ERR_LIMIT, line, start,
					    "'%s': line %zu: longer than %d bytes", name, line,
					    TFR_ANNOT_MAX_LINE);
		l = (char *)data + start;
		data[end] = 0; /* the file was read with one spare byte */
		if (strlen(l) != end - start) {
			why = "the line holds a NUL byte";
			nf = 0;
		} else
			nf = fields(l, f, 5);
		if (!why && nf == 0)
			continue;
		if (!why && nf != 5)
			why = "not 5 fields (class cx cy w h)";
		for (k = 0; !why && k < 5; k++)
			if (num(f[k], &v[k]))
				why = k ? "a coordinate is not a finite number" :
					  "the class is not a number";
		if (!why && (v[0] < 0 || v[0] != floor(v[0]) || v[0] >= (double)set->nclasses))
			why = "the class is not one of the class-names file";
		if (!why) {
			struct tfr_annot_object t, *o;

			double x0 = v[1] - v[3] / 2, y0 = v[2] - v[4] / 2;
			double x1 = v[1] + v[3] / 2, y1 = v[2] + v[4] / 2;

			memset(&t, 0, sizeof(t));
			/* A corner outside 0..1: the image's size tells
			 * rounding (half a pixel) from a box that is out. */
			if (!sized && (x0 < 0 || y0 < 0 || x1 > 1 || y1 > 1)) {
				image_size(image, &iw, &ih);
				sized = 1;
			}
			why = tfr_annot_box_norm(x0, y0, x1, y1, iw, ih, &t);
			if (!why) {
				o = tfr_annot_add_object(set, err);
				if (!o)
					return err ? err->status : TFR_ERR_NOMEM;
				*o = t;
				o->seg = -1;
				o->area = -1;
				o->label = (uint32_t)v[0] + 1;
				o->entry = line;
				o->image = idx;
				continue;
			}
		}
		rc = tfr_annot_add_problem(set, name, line, start, err, "line %zu: %s", line, why);
		set->dropped++;
	}
	return rc;
}

static int read_classes(struct tfr_annot_set *set, const char *path, struct tfr_error *err)
{
	unsigned char *data;
	size_t len, pos = 0;
	int rc = tfr_annot_slurp(path, (size_t)16 << 20, &data, &len, err);

	if (rc)
		return rc;
	while (!rc && pos < len) {
		size_t start = pos, end;
		char **q;

		while (pos < len && data[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++;
		while (end > start && (data[end - 1] == '\r' || data[end - 1] == ' '))
			end--;
		if (end == start && pos >= len)
			break; /* a final empty line */
		if (set->nclasses >= 1000000) {
			rc = tfr_error_set(err, TFR_ERR_LIMIT, "'%s': more than 1000000 classes", path);
			break;
		}
		q = realloc(set->classes, (set->nclasses + 1) * sizeof(*q));
		if (!q) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			break;
		}
		set->classes = q;
		q[set->nclasses] = strndup((char *)data + start, end - start);
		if (!q[set->nclasses])
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		else
			set->nclasses++;
	}
	free(data);
	return rc;
}

static int is_image(const char *name)
{
	static const char *const ext[] = { ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp",
					   ".bmp", ".tif", ".tiff", ".gif", NULL };
	const char *dot = strrchr(name, '.');
	int i;

	for (i = 0; dot && ext[i]; i++)
		if (!strcasecmp(dot, ext[i]))
			return 1;
	return 0;
}

static int exists(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int yolo_load(struct tfr_annot_set *set, const char *path,
		     const struct tfr_annot_opts *o, struct tfr_error *err)
{
	const char *imgdir = o->images ? o->images : path;
	char **imgs = NULL, **txts = NULL, *cls = NULL;
	size_t nimg = 0, ntxt = 0, i, t;
	unsigned char *used = NULL;
	int rc;

	if (o->classes_file)
		cls = strdup(o->classes_file);
	else {
		cls = tfr_path_join(path, "classes.txt");
		if (cls && !exists(cls)) {
			free(cls);
			cls = tfr_path_join(path, "obj.names");
		}
	}
	if (!cls)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (!exists(cls)) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT,
				   "'%s': no class names (classes.txt or obj.names beside the labels)",
				   path);
		free(cls);
		return rc;
	}
	rc = read_classes(set, cls, err);
	free(cls);
	if (!rc)
		rc = tfr_annot_list_dir(imgdir, "", &imgs, &nimg, err);
	if (!rc)
		rc = tfr_annot_list_dir(path, ".txt", &txts, &ntxt, err);
	if (!rc && !(used = calloc(ntxt ? ntxt : 1, 1)))
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (i = 0; !rc && i < nimg; i++) {
		const char *dot = strrchr(imgs[i], '.');
		size_t stem, idx;
		char *key;
		char **hit;

		if (!is_image(imgs[i]))
			continue;
		stem = (size_t)(dot - imgs[i]); /* is_image found the dot */
		rc = tfr_annot_add_image(set, imgs[i], imgs[i], imgs[i], 0, 0, &idx, err);
		if (rc)
			break;
		key = malloc(stem + 5);
		if (!key) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			break;
		}
		memcpy(key, imgs[i], stem);
		memcpy(key + stem, ".txt", 5);
		hit = ntxt ? bsearch(&key, txts, ntxt, sizeof(*txts), cmp_str) : NULL;
		free(key);
		if (hit) {
			char *full = tfr_path_join(path, *hit);
			unsigned char *data;
			size_t len;

			used[hit - txts] = 1;
			if (!full) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				break;
			}
			free(set->images[idx].source);
			set->images[idx].source = full;
			rc = tfr_annot_slurp(full, (size_t)64 << 20, &data, &len, err);
			if (!rc) {
				char *image = tfr_path_join(imgdir, imgs[i]);

				if (!image)
					rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				else
					rc = yolo_lines(set, full, data, len, idx, image, err);
				free(image);
				free(data);
			}
		}
	}
	for (t = 0; !rc && t < ntxt; t++)
		if (!used[t] && strcmp(txts[t], "classes.txt")) {
			char *full = tfr_path_join(path, txts[t]);

			if (!full) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				break;
			}
			rc = tfr_annot_add_problem(set, full, TFR_NO_POS, TFR_NO_POS, err,
						   "no image of this name in '%s'", imgdir);
			free(full);
		}
	for (i = 0; i < nimg; i++)
		free(imgs[i]);
	free(imgs);
	for (t = 0; t < ntxt; t++)
		free(txts[t]);
	free(txts);
	free(used);
	return rc;
}

/* One label file on its own: the fuzz target's way in.  Classes are
 * the ones already in set, or 0..99 named by their numbers. */
static int yolo_parse(struct tfr_annot_set *set, const char *name, const void *data,
		      size_t len, const struct tfr_annot_opts *o, struct tfr_error *err)
{
	unsigned char *copy = malloc(len + 1);
	size_t idx;
	int rc;

	if (!copy)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	memcpy(copy, data, len);
	copy[len] = 0;
	while (set->nclasses < 100) {
		char nm[16];
		uint32_t label;

		snprintf(nm, sizeof(nm), "%zu", set->nclasses);
		rc = tfr_annot_class(set, nm, &label, err);
		if (rc) {
			free(copy);
			return rc;
		}
	}
	rc = tfr_annot_add_image(set, name, name, name, 0, 0, &idx, err);
	if (!rc)
		rc = yolo_lines(set, name, copy, len, idx, NULL, err);
	free(copy);
	return rc;
}

/* Lines of five numbers, the first an integer. */
static int yolo_bid(const unsigned char *p, size_t n)
{
	char buf[256], *f[6];
	size_t l = 0;
	double d;
	int k;

	while (l < n && l < sizeof(buf) - 1 && p[l] != '\n')
		l++;
	memcpy(buf, p, l);
	buf[l] = 0;
	if (fields(buf, f, 5) != 5)
		return 0;
	for (k = 0; k < 5; k++)
		if (num(f[k], &d))
			return 0;
	return 80;
}

const struct tfr_annot_format tfr_annot_yolo = {
	.name = "yolo",
	.bid = yolo_bid,
	.load = yolo_load,
	.parse = yolo_parse,
};
