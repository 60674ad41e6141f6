/*
 * voc.c - Pascal VOC XML, one file per image, read with expat; see annot.h.
 *
 * A DOCTYPE is refused outright: VOC files have none, and refusing it
 * refuses every entity declaration with it (billion laughs, external
 * entities), whatever expat's own amplification limits would allow.
 * Only the leaf text of the fields we read is collected, at most
 * TFR_ANNOT_MAX_STRING bytes of it.
 */
#include "config.h"
#include "annot/annot.h"
#include "base/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <expat.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_NONE, F_FILENAME, F_WIDTH, F_HEIGHT, F_NAME, F_DIFFICULT, F_TRUNCATED,
       F_XMIN, F_YMIN, F_XMAX, F_YMAX };

struct vobj {
	char *name;
	double v[4];   /* xmin, ymin, xmax, ymax */
	int have;      /* bits: 1 << (F_XMIN - F_XMIN) ... */
	int difficult, truncated;
	uint64_t off;
	char why[96];
};

struct voc {
	XML_Parser p;
	const char *name;
	struct tfr_error *err;
	int rc;
	int depth;
	char path[TFR_ANNOT_MAX_DEPTH + 1][16]; /* element names (cut) */
	int field;
	char text[TFR_ANNOT_MAX_STRING + 1];
	size_t tlen;
	char *filename;
	double width, height;
	char why[96];          /* a problem with the image itself */
	struct vobj *objs;
	size_t nobj, cap;
};

static int stop(struct voc *v, int status, const char *what)
{
	if (!v->rc) {
		uint64_t at = (uint64_t)XML_GetCurrentByteIndex(v->p);

		v->rc = tfr_error_at(v->err, status, TFR_NO_POS, at,
				     "'%s': line %lu, column %lu (offset %" PRIu64 "): %s", v->name,
				     (unsigned long)XML_GetCurrentLineNumber(v->p),
				     (unsigned long)XML_GetCurrentColumnNumber(v->p) + 1, at, what);
	}
	XML_StopParser(v->p, XML_FALSE);
	return 0;
}

static const char *parent(const struct voc *v, int up)
{
	return v->depth - up >= 1 ? v->path[v->depth - up] : "";
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **attr)
{
	struct voc *v = ud;
	const char *p1;

	if (v->rc)
		return;
	if (v->depth >= TFR_ANNOT_MAX_DEPTH) {
		stop(v, TFR_ERR_LIMIT, "nesting deeper than 32 levels");
		return;
	}
	v->depth++;
	snprintf(v->path[v->depth], sizeof(v->path[0]), "%s", el);
	v->field = F_NONE;
	v->tlen = 0;
	if (v->depth == 1 && strcmp(el, "annotation")) {
		stop(v, TFR_ERR_FORMAT, "not a Pascal VOC file: the root is not <annotation>");
		return;
	}
	p1 = parent(v, 1);
	if (v->depth == 2 && !strcmp(el, "object")) {
		if (v->nobj == v->cap) {
			size_t ncap = v->cap ? v->cap * 2 : 16;
			struct vobj *q;

			if (ncap > 100000) {
				stop(v, TFR_ERR_LIMIT, "more than 100000 objects in one file");
				return;
			}
			q = realloc(v->objs, ncap * sizeof(*q));
			if (!q) {
				stop(v, TFR_ERR_NOMEM, "out of memory");
				return;
			}
			v->objs = q;
			v->cap = ncap;
		}
		memset(&v->objs[v->nobj], 0, sizeof(v->objs[0]));
		v->objs[v->nobj].off = (uint64_t)XML_GetCurrentByteIndex(v->p);
		v->nobj++;
		return;
	}
	if (v->depth == 2 && !strcmp(el, "filename"))
		v->field = F_FILENAME;
	else if (v->depth == 3 && !strcmp(p1, "size"))
		v->field = !strcmp(el, "width") ? F_WIDTH : !strcmp(el, "height") ? F_HEIGHT : F_NONE;
	else if (v->depth == 3 && !strcmp(p1, "object"))
		v->field = !strcmp(el, "name") ? F_NAME : !strcmp(el, "difficult") ? F_DIFFICULT :
			   !strcmp(el, "truncated") ? F_TRUNCATED : F_NONE;
	else if (v->depth == 4 && !strcmp(p1, "bndbox") && !strcmp(parent(v, 2), "object"))
		v->field = !strcmp(el, "xmin") ? F_XMIN : !strcmp(el, "ymin") ? F_YMIN :
			   !strcmp(el, "xmax") ? F_XMAX : !strcmp(el, "ymax") ? F_YMAX : F_NONE;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct voc *v = ud;

	if (v->rc || v->field == F_NONE)
		return;
	if (v->tlen + (size_t)len > TFR_ANNOT_MAX_STRING) {
		stop(v, TFR_ERR_LIMIT, "a field longer than 4096 bytes");
		return;
	}
	memcpy(v->text + v->tlen, s, (size_t)len);
	v->tlen += (size_t)len;
}

/* The text, without surrounding white space. */
static char *trimmed(struct voc *v)
{
	char *s = v->text, *e;

	v->text[v->tlen] = 0;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int number(const char *s, double *d)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*d = strtod(s, &end);
	return *end || !isfinite(*d) ? -1 : 0;
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct voc *v = ud;
	struct vobj *o = v->nobj ? &v->objs[v->nobj - 1] : NULL;
	const char *t;
	double d;

	if (v->rc)
		return;
	if (v->field != F_NONE) {
		t = trimmed(v);
		switch (v->field) {
		case F_FILENAME:
			free(v->filename);
			v->filename = strdup(t);
			if (!v->filename)
				stop(v, TFR_ERR_NOMEM, "out of memory");
			break;
		case F_WIDTH:
		case F_HEIGHT:
			if (number(t, &d) || d < 1 || d > UINT32_MAX || d != floor(d)) {
				if (!v->why[0])
					snprintf(v->why, sizeof(v->why),
						 "<size> <%s> is not a positive integer",
						 v->field == F_WIDTH ? "width" : "height");
			} else if (v->field == F_WIDTH)
				v->width = d;
			else
				v->height = d;
			break;
		case F_NAME:
			if (o) {
				free(o->name);
				o->name = strdup(t);
				if (!o->name)
					stop(v, TFR_ERR_NOMEM, "out of memory");
			}
			break;
		case F_DIFFICULT:
		case F_TRUNCATED:
			if (o) {
				int b = !strcmp(t, "1") ? 1 : !strcmp(t, "0") || !*t ? 0 : -1;

				if (b < 0 && !o->why[0])
					snprintf(o->why, sizeof(o->why), "<%s> is not 0 or 1",
						 v->field == F_DIFFICULT ? "difficult" : "truncated");
				else if (v->field == F_DIFFICULT)
					o->difficult = b;
				else
					o->truncated = b;
			}
			break;
		default:
			if (o) {
				int k = v->field - F_XMIN;

				if (number(t, &d)) {
					if (!o->why[0])
						snprintf(o->why, sizeof(o->why),
							 "<bndbox> <%s> is not a finite number", el);
				} else {
					o->v[k] = d;
					o->have |= 1 << k;
				}
			}
			break;
		}
	}
	v->field = F_NONE;
	v->tlen = 0;
	v->depth--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sys,
			       const XML_Char *pub, int internal)
{
	stop(ud, TFR_ERR_FORMAT, "a DOCTYPE is refused (no entity expansion)");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int param,
			      const XML_Char *value, int len, const XML_Char *base,
			      const XML_Char *sys, const XML_Char *pub, const XML_Char *notation)
{
	stop(ud, TFR_ERR_FORMAT, "an entity declaration is refused");
}

static void voc_release(struct voc *v)
{
	size_t i;

	if (v->p)
		XML_ParserFree(v->p);
	for (i = 0; i < v->nobj; i++)
		free(v->objs[i].name);
	free(v->objs);
	free(v->filename);
}

/* The parsed file into set: one image and its objects, or problems. */
static int commit(struct voc *v, struct tfr_annot_set *set)
{
	size_t idx, i;
	int rc;

	if (!v->why[0] && (!v->filename || !*v->filename))
		snprintf(v->why, sizeof(v->why), "no <filename>");
	if (!v->why[0] && (!v->width || !v->height))
		snprintf(v->why, sizeof(v->why), "no <size> <width> and <height>");
	if (v->why[0]) {
		rc = tfr_annot_add_problem(set, v->name, TFR_NO_POS, TFR_NO_POS, v->err,
					   "%s; its %zu objects are left out", v->why, v->nobj);
		set->dropped += v->nobj;
		return rc;
	}
	rc = tfr_annot_add_image(set, v->filename, v->name, v->filename, (uint32_t)v->width,
				 (uint32_t)v->height, &idx, v->err);
	for (i = 0; !rc && i < v->nobj; i++) {
		struct vobj *s = &v->objs[i];
		struct tfr_annot_object t, *o;
		const char *why = s->why[0] ? s->why : NULL;

		memset(&t, 0, sizeof(t));
		if (!why && (!s->name || !*s->name))
			why = "the object has no <name>";
		if (!why && s->have != 15)
			why = "the object's <bndbox> lacks xmin, ymin, xmax or ymax";
		if (!why)
			why = tfr_annot_box(s->v[0], s->v[1], s->v[2], s->v[3], (uint32_t)v->width,
					    (uint32_t)v->height, &t);
		if (why) {
			rc = tfr_annot_add_problem(set, v->name, i, s->off, v->err,
						   "object %zu: %s", i, why);
			set->dropped++;
			continue;
		}
		o = tfr_annot_add_object(set, v->err);
		if (!o)
			return v->err ? v->err->status : TFR_ERR_NOMEM;
		o->xmin = t.xmin;
		o->ymin = t.ymin;
		o->xmax = t.xmax;
		o->ymax = t.ymax;
		o->area = tfr_annot_box_area(s->v[0], s->v[1], s->v[2], s->v[3],
					     (uint32_t)v->width, (uint32_t)v->height);
		o->difficult = (uint8_t)s->difficult;
		o->truncated = (uint8_t)s->truncated;
		o->entry = i;
		o->image = idx;
		rc = tfr_annot_class(set, s->name, &o->label, v->err);
	}
	return rc;
}

static int voc_one(struct tfr_annot_set *set, const char *name, const void *data,
		   size_t len, struct tfr_error *err)
{
	struct voc v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.name = name;
	v.err = err;
	v.p = XML_ParserCreate(NULL);
	if (!v.p)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	XML_SetUserData(v.p, &v);
	XML_SetElementHandler(v.p, on_start, on_end);
	XML_SetCharacterDataHandler(v.p, on_text);
	XML_SetStartDoctypeDeclHandler(v.p, on_doctype);
	XML_SetEntityDeclHandler(v.p, on_entity);
	if (len > INT32_MAX) {
		voc_release(&v);
		return tfr_error_set(err, TFR_ERR_LIMIT, "'%s': too large", name);
	}
	if (XML_Parse(v.p, data, (int)len, XML_TRUE) == XML_STATUS_ERROR && !v.rc) {
		uint64_t at = (uint64_t)XML_GetCurrentByteIndex(v.p);

		v.rc = tfr_error_at(err, TFR_ERR_CORRUPT, TFR_NO_POS, at,
				    "'%s': line %lu, column %lu (offset %" PRIu64 "): invalid XML: %s",
				    name, (unsigned long)XML_GetCurrentLineNumber(v.p),
				    (unsigned long)XML_GetCurrentColumnNumber(v.p) + 1, at,
				    XML_ErrorString(XML_GetErrorCode(v.p)));
	}
	rc = v.rc ? v.rc : commit(&v, set);
	voc_release(&v);
	return rc;
}

static int voc_parse(struct tfr_annot_set *set, const char *name, const void *data,
		     size_t len, const struct tfr_annot_opts *o, struct tfr_error *err)
{
	int rc = voc_one(set, name, data, len, err);

	return rc ? rc : tfr_annot_sort_classes(set, err);
}

static int voc_file(struct tfr_annot_set *set, const char *path, struct tfr_error *err)
{
	unsigned char *data;
	size_t len;
	int rc = tfr_annot_slurp(path, (size_t)16 << 20, &data, &len, err);

	if (rc)
		return rc;
	rc = voc_one(set, path, data, len, err);
	free(data);
	return rc;
}

static int voc_load(struct tfr_annot_set *set, const char *path,
		    const struct tfr_annot_opts *o, struct tfr_error *err)
{
	char **names = NULL;
	size_t n = 0, i;
	DIR *d = opendir(path);
	int rc = TFR_OK;

	if (!d)
		rc = voc_file(set, path, err);
	else {
		closedir(d);
		rc = tfr_annot_list_dir(path, ".xml", &names, &n, err);
		for (i = 0; !rc && i < n; i++) {
			char *full = tfr_path_join(path, names[i]);

			if (!full) {
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
				break;
			}
			rc = voc_file(set, full, err);
			free(full);
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return rc ? rc : tfr_annot_sort_classes(set, err);
}

static int voc_bid(const unsigned char *p, size_t n)
{
	if (memmem(p, n, "<annotation", 11))
		return 90;
	return n && p[0] == '<' ? 20 : 0;
}

const struct tfr_annot_format tfr_annot_voc = {
	.name = "voc",
	.bid = voc_bid,
	.load = voc_load,
	.parse = voc_parse,
};
