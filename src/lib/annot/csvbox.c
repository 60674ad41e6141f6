/*
 * csvbox.c - CSV boxes as the common tutorials write them (and
 * generate_tfrecord.py reads them): a header naming the columns
 * filename, width, height, class, xmin, ymin, xmax, ymax (any order,
 * other columns ignored), then one row per box in pixels.  Rows of one
 * file need not be adjacent.  A row with an empty class and empty
 * corners names an image without boxes.  Fields may be quoted as in
 * RFC 4180; a quoted field does not span lines.  See annot.h.
 */
#include "config.h"
#include "annot/annot.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_FILE, C_W, C_H, C_CLASS, C_X0, C_Y0, C_X1, C_Y1, C_N };

static const char *const colname[C_N] = {
	"filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax",
};

/* Split one line in place into at most max fields; -1 on a bad quote. */
static int split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *out;

		if (n == max)
			return max + 1;
		if (*s == '"') {
			f[n++] = out = ++s;
			for (;;) {
				if (!*s)
					return -1;
				if (*s == '"') {
					if (s[1] == '"') {
						*out++ = '"';
						s += 2;
						continue;
					}
					s++;
					break;
				}
				*out++ = *s++;
			}
			if (*s && *s != ',')
				return -1;
			*out = 0;
		} else {
			f[n++] = s;
			while (*s && *s != ',')
				s++;
		}
		if (!*s)
			return n;
		*s++ = 0;
	}
}

static int num(const char *s, double *d)
{
	char *end;

	if (!*s)
		return -1;
	*d = strtod(s, &end);
	return *end || !isfinite(*d) ? -1 : 0;
}

static int csv_parse(struct tfr_annot_set *set, const char *name, const void *data,
		     size_t len, const struct tfr_annot_opts *o, struct tfr_error *err)
{
	const unsigned char *p = data;
	char *line = malloc(TFR_ANNOT_MAX_LINE + 1);
	char *f[64];
	int col[C_N], k, nf, ncol = 0;
	size_t pos = 0, lineno = 0;
	int rc = TFR_OK;

	if (!line)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (k = 0; k < C_N; k++)
		col[k] = -1;
	while (!rc && pos < len) {
		size_t start = pos, end, l;
		const char *why = NULL;
		double v[C_N];

		lineno++;
		while (pos < len && p[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++;
		if (end > start && p[end - 1] == '\r')
			end--;
		l = end - start;
		if (l > TFR_ANNOT_MAX_LINE) {
			rc = tfr_error_at(err, TFR_ERR_LIMIT, lineno, start,
					  "'%s': line %zu: longer than %d bytes", name, lineno,
					  TFR_ANNOT_MAX_LINE);
			break;
		}
		memcpy(line, p + start, l);
		line[l] = 0;
		if (lineno == 1 && l >= 3 && !memcmp(line, "\xef\xbb\xbf", 3))
			memmove(line, line + 3, l - 2); /* a byte-order mark */
		if (strlen(line) != l - (lineno == 1 && l >= 3 && !memcmp(p + start, "\xef\xbb\xbf", 3) ? 3 : 0)) {
			if (!ncol) {
				rc = tfr_error_at(err, TFR_ERR_FORMAT, lineno, start,
						  "'%s': line %zu: a NUL byte in the header", name, lineno);
				break;
			}
			why = "the row holds a NUL byte";
		}
		if (!why && !*line)
			continue;
		nf = why ? 0 : split(line, f, 64);
		if (!ncol) { /* the header */
			if (nf < 0 || nf > 64) {
				rc = tfr_error_at(err, TFR_ERR_FORMAT, lineno, start,
						  "'%s': line 1: not a CSV header", name);
				break;
			}
			for (k = 0; k < nf; k++) {
				int c;

				for (c = 0; c < C_N; c++)
					if (!strcmp(f[k], colname[c]) && col[c] < 0)
						col[c] = k;
			}
			for (k = 0; k < C_N; k++)
				if (col[k] < 0) {
					rc = tfr_error_at(err, TFR_ERR_FORMAT, lineno, start,
							  "'%s': line %zu: the header has no '%s' column "
							  "(want filename,width,height,class,xmin,ymin,xmax,ymax)",
							  name, lineno, colname[k]);
					break;
				}
			ncol = nf;
			continue;
		}
		if (!why && nf != ncol)
			why = nf < 0 ? "a quoted field is not closed" : "not as many fields as the header";
		if (!why && !*f[col[C_FILE]])
			why = "the filename is empty";
		for (k = C_W; !why && k <= C_H; k++)
			if (num(f[col[k]], &v[k]) || v[k] < 1 || v[k] > UINT32_MAX || v[k] != floor(v[k]))
				why = "the width or height is not a positive integer";
		if (!why) {
			const char *fn = f[col[C_FILE]];
			size_t idx = tfr_annot_lookup(set, fn);
			int empty = !*f[col[C_CLASS]] && !*f[col[C_X0]] && !*f[col[C_Y0]] &&
				    !*f[col[C_X1]] && !*f[col[C_Y1]];

			if (idx == (size_t)-1) {
				rc = tfr_annot_add_image(set, fn, name, fn, (uint32_t)v[C_W],
							 (uint32_t)v[C_H], &idx, err);
				if (!rc)
					rc = tfr_annot_remember(set, idx, err);
				if (rc)
					break;
			} else if (set->images[idx].width != (uint32_t)v[C_W] ||
				   set->images[idx].height != (uint32_t)v[C_H])
				why = "the width or height differs from an earlier row of this file";
			if (!why && empty)
				continue;
			if (!why && !*f[col[C_CLASS]])
				why = "the class is empty";
			for (k = C_X0; !why && k <= C_Y1; k++)
				if (num(f[col[k]], &v[k]))
					why = "a corner is not a finite number";
			if (!why) {
				struct tfr_annot_object t, *ob;

				memset(&t, 0, sizeof(t));
				why = tfr_annot_box(v[C_X0], v[C_Y0], v[C_X1], v[C_Y1], (uint32_t)v[C_W],
						    (uint32_t)v[C_H], &t);
				if (!why) {
					ob = tfr_annot_add_object(set, err);
					if (!ob) {
						rc = err ? err->status : TFR_ERR_NOMEM;
						break;
					}
					ob->xmin = t.xmin;
					ob->ymin = t.ymin;
					ob->xmax = t.xmax;
					ob->ymax = t.ymax;
					ob->area = tfr_annot_box_area(v[C_X0], v[C_Y0], v[C_X1],
								      v[C_Y1], (uint32_t)v[C_W],
								      (uint32_t)v[C_H]);
					ob->entry = lineno;
					ob->image = idx;
					rc = tfr_annot_class(set, f[col[C_CLASS]], &ob->label, err);
					continue;
				}
			}
		}
		rc = tfr_annot_add_problem(set, name, lineno, start, err, "line %zu: %s", lineno, why);
		set->dropped++;
	}
	free(line);
	if (!rc && !ncol)
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "'%s': empty; want a header line", name);
	return rc ? rc : tfr_annot_sort_classes(set, err);
}

static int csv_load(struct tfr_annot_set *set, const char *path,
		    const struct tfr_annot_opts *o, struct tfr_error *err)
{
	unsigned char *data;
	size_t len;
	int rc = tfr_annot_slurp(path, (size_t)1 << 32, &data, &len, err);

	if (rc)
		return rc;
	rc = csv_parse(set, path, data, len, o, err);
	free(data);
	return rc;
}

static int csv_bid(const unsigned char *p, size_t n)
{
	size_t l = 0;

	while (l < n && p[l] != '\n')
		l++;
	if (memmem(p, l, "filename", 8) && memmem(p, l, "xmin", 4) && memmem(p, l, ",", 1))
		return 95;
	return 0;
}

const struct tfr_annot_format tfr_annot_csv = {
	.name = "csv",
	.bid = csv_bid,
	.load = csv_load,
	.parse = csv_parse,
};
