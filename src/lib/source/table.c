/*
 * table.c - label tables (--table): CSV or TSV with a header row, and
 * JSONL (one JSON object a line).
 *
 * The kind is told from the bytes: a first non-blank byte '{' is JSONL;
 * otherwise a header line holding a tab is TSV, else CSV.  CSV and TSV
 * follow RFC 4180: fields may be quoted, "" inside quotes is a quote, and
 * quoted fields may hold separators and line breaks.  JSONL goes through
 * yajl's tree parser, one line at a time.
 *
 * Each row gives an item: its path from --path-col (default "path") or
 * --path-template ("train/{id}.jpg": each {NAME} is that column), taken
 * relative to --root or else the table's folder; its labels from
 * --label-col (several columns, a column split by --label-sep, or a JSON
 * array give several labels: multi-label); its extra features from
 * --extra-col NAME[:int64|float|bytes].  Rows keep the table's order.
 *
 * One row is held at a time, capped at TFR_TABLE_MAX_ROW bytes and
 * TFR_TABLE_MAX_COLS columns (tfrec(1) RESOURCES).  A row whose file is
 * missing, whose label is empty or whose extra value does not parse is a
 * problem naming the table, line and column; a broken table (an
 * unterminated quote, a row over the caps) stops the listing with an
 * error at its line.  An item's locator is its row's byte offset, so
 * features() reads the row again instead of keeping it.
 */
#include "config.h"
#include "source/kinds.h"
#include "source/listing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_tree.h>

#define TFR_TABLE_MAX_ROW (1u << 20)
#define TFR_TABLE_MAX_COLS 4096
#define MAX_EXTRA 64
#define MAX_LABELS 1024

enum col_type { COL_BYTES, COL_INT64, COL_FLOAT };

struct colref {
	char *name;
	int idx;                  /* CSV: index in the header, else -1 */
	enum col_type type;       /* extra columns */
};

struct table {
	int jsonl;
	char sep;
	char *root;               /* folder the paths are relative to */
	struct colref path;
	struct colref label[MAX_EXTRA];
	size_t nlabel;
	struct colref extra[MAX_EXTRA];
	size_t nextra;
	/* the template, split into literal text and {column} parts */
	char **tlit;
	struct colref *tcol;
	size_t nt;
	int has_template;
};

struct row {
	struct tfr_buf buf;       /* CSV fields, each NUL-terminated */
	size_t *off;
	size_t nf, fcap;
	yajl_val json;            /* JSONL */
	uint64_t line;            /* first line of the row, from 1 */
	uint64_t offset;          /* byte offset of the row */
};

static int nomem(struct tfr_error *err)
{
	return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
}

static void row_release(struct row *r)
{
	tfr_buf_release(&r->buf);
	free(r->off);
	if (r->json)
		yajl_tree_free(r->json);
	memset(r, 0, sizeof(*r));
}

static int push_field(struct row *r)
{
	if (r->nf == r->fcap) {
		size_t ncap = r->fcap ? r->fcap * 2 : 32;
		size_t *p = realloc(r->off, ncap * sizeof(*p));

		if (!p)
			return TFR_ERR_NOMEM;
		r->off = p;
		r->fcap = ncap;
	}
	r->off[r->nf++] = r->buf.len;
	return TFR_OK;
}

/*
 * One CSV/TSV row from f into r.  *line counts lines read so far.
 * TFR_OK, TFR_EOF, or an error naming path and the line.
 */
static int csv_row(FILE *f, char sep, const char *path, struct row *r,
		   uint64_t *line, struct tfr_error *err)
{
	int c, quoted = 0, any = 0;
	uint64_t qline = 0;

	r->buf.len = 0;
	r->nf = 0;
	r->buf.max = TFR_TABLE_MAX_ROW;
	r->offset = (uint64_t)ftello(f);
	r->line = *line + 1;
	if (push_field(r))
		return nomem(err);
	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF) {
			if (ferror(f))
				return tfr_error_sys(err, errno, "cannot read '%s'", path);
			if (quoted)
				return tfr_error_at(err, TFR_ERR_FORMAT, qline, TFR_NO_POS,
						    "'%s': line %llu, column %zu: unterminated quote",
						    path, (unsigned long long)qline, r->nf);
			if (!any)
				return TFR_EOF;
			(*line)++;
			break;
		}
		any = 1;
		if (quoted) {
			if (c == '"') {
				int d = getc_unlocked(f);

				if (d != '"') {
					quoted = 0;
					if (d != EOF)
						ungetc(d, f);
					continue;
				}
			} else if (c == '\n') {
				(*line)++;
			}
		} else if (c == '"' && r->buf.len == r->off[r->nf - 1]) {
			quoted = 1;
			qline = *line + 1;
			continue;
		} else if (c == sep) {
			if (tfr_buf_append(&r->buf, "", 1))
				goto toolong;
			if (r->nf == TFR_TABLE_MAX_COLS)
				return tfr_error_at(err, TFR_ERR_LIMIT, r->line, TFR_NO_POS,
						    "'%s': line %llu: more than %d columns", path,
						    (unsigned long long)r->line, TFR_TABLE_MAX_COLS);
			if (push_field(r))
				return nomem(err);
			continue;
		} else if (c == '\n') {
			(*line)++;
			break;
		} else if (c == '\r') {
			continue; /* CRLF rows; a bare CR in a quoted field stays */
		}
		if (tfr_buf_append(&r->buf, &(char){ (char)c }, 1))
			goto toolong;
	}
	if (tfr_buf_append(&r->buf, "", 1))
		goto toolong;
	return TFR_OK;
toolong:
	return tfr_error_at(err, TFR_ERR_LIMIT, r->line, TFR_NO_POS,
			    "'%s': line %llu: row longer than %u bytes", path,
			    (unsigned long long)r->line, TFR_TABLE_MAX_ROW);
}

/* One JSONL row; blank lines are passed over.  A line that is not a JSON
 * object gives TFR_ERR_FORMAT with the reason in err (a row problem, not
 * the table's end). */
static int json_row(FILE *f, const char *path, struct row *r, uint64_t *line,
		    struct tfr_error *err)
{
	char ebuf[256];

	if (r->json) {
		yajl_tree_free(r->json);
		r->json = NULL;
	}
	for (;;) {
		int c;

		r->buf.len = 0;
		r->buf.max = TFR_TABLE_MAX_ROW;
		r->offset = (uint64_t)ftello(f);
		r->line = ++*line;
		while ((c = getc_unlocked(f)) != EOF && c != '\n')
			if (tfr_buf_append(&r->buf, &(char){ (char)c }, 1))
				return tfr_error_at(err, TFR_ERR_LIMIT, r->line, TFR_NO_POS,
						    "'%s': line %llu: row longer than %u bytes", path,
						    (unsigned long long)r->line, TFR_TABLE_MAX_ROW);
		if (ferror(f))
			return tfr_error_sys(err, errno, "cannot read '%s'", path);
		if (tfr_buf_append(&r->buf, "", 1))
			return nomem(err);
		if (strspn((char *)r->buf.data, " \t\r") < r->buf.len - 1)
			break;
		if (c == EOF)
			return TFR_EOF;
	}
	ebuf[0] = '\0';
	r->json = yajl_tree_parse((char *)r->buf.data, ebuf, sizeof(ebuf));
	if (!r->json || !YAJL_IS_OBJECT(r->json)) {
		char *nl = strchr(ebuf, '\n');

		if (nl)
			*nl = '\0';
		return tfr_error_set(err, TFR_ERR_FORMAT, "not a JSON object%s%s",
				     ebuf[0] ? ": " : "", ebuf);
	}
	return TFR_OK;
}

static int next_row(const struct table *t, FILE *f, const char *path, struct row *r,
		    uint64_t *line, struct tfr_error *err)
{
	return t->jsonl ? json_row(f, path, r, line, err)
			: csv_row(f, t->sep, path, r, line, err);
}

/* The values of a column in a row (0 when absent or empty; several for
 * a JSON array). */
static size_t row_get(const struct table *t, struct row *r, const struct colref *c,
		      const char **v, size_t max)
{
	const char *keys[2] = { c->name, NULL };
	yajl_val x;
	size_t n = 0, i;

	if (!t->jsonl) {
		const char *s;

		if (c->idx < 0 || (size_t)c->idx >= r->nf)
			return 0;
		s = (const char *)r->buf.data + r->off[c->idx];
		if (!*s)
			return 0;
		v[0] = s;
		return 1;
	}
	x = yajl_tree_get(r->json, keys, yajl_t_any);
	if (YAJL_IS_ARRAY(x)) {
		for (i = 0; i < x->u.array.len && n < max; i++) {
			yajl_val e = x->u.array.values[i];

			if (YAJL_IS_STRING(e))
				v[n++] = e->u.string;
			else if (YAJL_IS_NUMBER(e))
				v[n++] = e->u.number.r;
		}
		return n;
	}
	if (YAJL_IS_STRING(x) && *x->u.string)
		v[n++] = x->u.string;
	else if (YAJL_IS_NUMBER(x))
		v[n++] = x->u.number.r;
	else if (YAJL_IS_TRUE(x) || YAJL_IS_FALSE(x))
		v[n++] = YAJL_IS_TRUE(x) ? "1" : "0";
	return n;
}

/* --- opening: options, header ------------------------------------------------ */

static int add_col(struct colref *c, const char *spec, int typed, struct tfr_error *err)
{
	const char *colon = typed ? strrchr(spec, ':') : NULL;

	c->idx = -1;
	c->type = COL_BYTES;
	if (colon) {
		if (!strcmp(colon + 1, "int64"))
			c->type = COL_INT64;
		else if (!strcmp(colon + 1, "float"))
			c->type = COL_FLOAT;
		else if (strcmp(colon + 1, "bytes"))
			colon = NULL; /* a column name holding ':' */
	}
	c->name = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	return c->name ? TFR_OK : nomem(err);
}

/* Split "train/{id}.jpg" into literals and column references. */
static int parse_template(struct table *t, const char *tpl, struct tfr_error *err)
{
	const char *p = tpl;

	t->has_template = 1;
	while (*p) {
		const char *open = strchr(p, '{'), *close;
		size_t k = t->nt;

		close = open ? strchr(open, '}') : NULL;
		if (open && !close)
			return tfr_error_set(err, TFR_ERR_INVALID,
					     "path template '%s': '{' without '}'", tpl);
		if (t->nt >= MAX_EXTRA)
			return tfr_error_set(err, TFR_ERR_LIMIT,
					     "path template '%s': too many parts", tpl);
		if (!t->tlit) {
			t->tlit = calloc(MAX_EXTRA + 1, sizeof(char *));
			t->tcol = calloc(MAX_EXTRA + 1, sizeof(struct colref));
			if (!t->tlit || !t->tcol)
				return nomem(err);
		}
		t->tlit[k] = strndup(p, open ? (size_t)(open - p) : strlen(p));
		if (!t->tlit[k])
			return nomem(err);
		t->tcol[k].idx = -1;
		if (open && !(t->tcol[k].name = strndup(open + 1, (size_t)(close - open - 1))))
			return nomem(err);
		t->nt++;
		p = open ? close + 1 : p + strlen(p);
	}
	return TFR_OK;
}

static int find_col(struct row *hdr, struct colref *c, const char *path,
		    const char *what, struct tfr_error *err)
{
	size_t i;

	if (!c->name)
		return TFR_OK;
	for (i = 0; i < hdr->nf; i++)
		if (!strcmp((char *)hdr->buf.data + hdr->off[i], c->name)) {
			c->idx = (int)i;
			return TFR_OK;
		}
	return tfr_error_on(err, TFR_ERR_FORMAT, path, "no %s column '%s' in the header",
			    what, c->name);
}

static void table_close(struct tfr_source *src)
{
	struct table *t = src->priv;
	size_t i;

	if (!t)
		return;
	free(t->root);
	free(t->path.name);
	for (i = 0; i < t->nlabel; i++)
		free(t->label[i].name);
	for (i = 0; i < t->nextra; i++)
		free(t->extra[i].name);
	for (i = 0; i < t->nt; i++) {
		free(t->tlit[i]);
		free(t->tcol[i].name);
	}
	free(t->tlit);
	free(t->tcol);
	free(t);
}

static int table_open(struct tfr_source *src, struct tfr_error *err)
{
	const struct tfr_source_opts *o = src->opts;
	struct table *t = calloc(1, sizeof(*t));
	const char *slash = strrchr(src->path, '/');
	int rc = TFR_OK;

	if (!t)
		return nomem(err);
	src->priv = t;
	t->root = o->root ? strdup(o->root)
		: slash ? strndup(src->path, (size_t)(slash - src->path + 1)) : strdup("");
	if (!t->root)
		return nomem(err);
	if (o->path_template)
		rc = parse_template(t, o->path_template, err);
	else
		rc = add_col(&t->path, o->path_col ? o->path_col : "path", 0, err);
	if (!rc && o->label_col) {
		const char *p = o->label_col;

		while (!rc && *p) {
			size_t k = strcspn(p, ",");
			char *one = strndup(p, k);

			if (!one)
				return nomem(err);
			if (t->nlabel == MAX_EXTRA)
				rc = tfr_error_set(err, TFR_ERR_LIMIT, "more than %d label columns", MAX_EXTRA);
			else
				rc = add_col(&t->label[t->nlabel++], one, 0, err);
			free(one);
			p += k;
			if (*p == ',')
				p++;
		}
	}
	for (size_t i = 0; !rc && i < o->nextra_cols; i++) {
		if (t->nextra == MAX_EXTRA)
			return tfr_error_set(err, TFR_ERR_LIMIT, "more than %d extra columns", MAX_EXTRA);
		rc = add_col(&t->extra[t->nextra++], o->extra_cols[i], 1, err);
		if (!rc && tfr_source_reserved_key(t->extra[t->nextra - 1].name))
			rc = tfr_error_set(err, TFR_ERR_INVALID, "cannot copy column '%s': "
					   "convert writes a feature of that name",
					   t->extra[t->nextra - 1].name);
	}
	return rc;
}

/* Tell JSONL from CSV/TSV from the first bytes, and read a CSV header. */
static int read_header(struct table *t, FILE *f, const char *path, struct row *hdr,
		       uint64_t *line, struct tfr_error *err)
{
	int c;
	size_t i;
	int rc;

	while ((c = getc_unlocked(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		;
	if (c != EOF)
		ungetc(c, f);
	if (c == '{') {
		t->jsonl = 1;
		rewind(f);
		return TFR_OK;
	}
	rewind(f);
	/* The separator: a tab in the header line makes it TSV. */
	t->sep = ',';
	while ((c = getc_unlocked(f)) != EOF && c != '\n')
		if (c == '\t') {
			t->sep = '\t';
			break;
		}
	rewind(f);
	/* A UTF-8 byte order mark (spreadsheet exports) is not part of the
	 * first column's name. */
	if (getc_unlocked(f) != 0xef || getc_unlocked(f) != 0xbb || getc_unlocked(f) != 0xbf)
		rewind(f);
	rc = csv_row(f, t->sep, path, hdr, line, err);
	if (rc == TFR_EOF)
		return tfr_error_on(err, TFR_ERR_FORMAT, path, "empty table (no header)");
	if (rc)
		return rc;
	rc = find_col(hdr, &t->path, path, "path", err);
	for (i = 0; !rc && i < t->nlabel; i++)
		rc = find_col(hdr, &t->label[i], path, "label", err);
	for (i = 0; !rc && i < t->nextra; i++)
		rc = find_col(hdr, &t->extra[i], path, "extra", err);
	for (i = 0; !rc && i < t->nt; i++)
		rc = find_col(hdr, &t->tcol[i], path, "template", err);
	return rc;
}

/* --- listing -------------------------------------------------------------- */

static int parse_value(enum col_type type, const char *s, int64_t *iv, float *fv)
{
	char *end;

	errno = 0;
	if (type == COL_INT64) {
		long long x = strtoll(s, &end, 10);

		*iv = x;
		return !errno && end != s && !*end;
	}
	if (type == COL_FLOAT) {
		*fv = strtof(s, &end);
		return !errno && end != s && !*end;
	}
	return 1;
}

struct row_item {
	struct tfr_buf path;
	const char *labels[MAX_LABELS];
	size_t nlabels;
	struct tfr_buf split;     /* --label-sep pieces */
};

/* Check a row and describe its item; returns TFR_OK, a problem reason in
 * why (and TFR_ERR_FORMAT), or an error. */
static int row_item(const struct table *t, const struct tfr_source_opts *o,
		    struct row *r, struct row_item *it, char *why, size_t nwhy)
{
	const char *v[MAX_LABELS];
	size_t i, k, n;

	it->path.len = 0;
	it->nlabels = 0;
	if (t->has_template) {
		for (i = 0; i < t->nt; i++) {
			if (tfr_buf_puts(&it->path, t->tlit[i]))
				return TFR_ERR_NOMEM;
			if (!t->tcol[i].name)
				continue;
			if (!row_get(t, r, &t->tcol[i], v, 1)) {
				snprintf(why, nwhy, "column '%s': empty (the path template needs it)",
					 t->tcol[i].name);
				return TFR_ERR_FORMAT;
			}
			if (tfr_buf_puts(&it->path, v[0]))
				return TFR_ERR_NOMEM;
		}
	} else if (row_get(t, r, &t->path, v, 1)) {
		if (tfr_buf_puts(&it->path, v[0]))
			return TFR_ERR_NOMEM;
	}
	if (tfr_buf_append(&it->path, "", 1))
		return TFR_ERR_NOMEM;
	if (it->path.len == 1) {
		snprintf(why, nwhy, "column '%s': empty path",
			 t->has_template ? "(template)" : t->path.name);
		return TFR_ERR_FORMAT;
	}
	/* Labels: every value of every label column, split by the
	 * separator when one is given. */
	it->split.len = 0;
	for (i = 0; i < t->nlabel; i++) {
		n = row_get(t, r, &t->label[i], v, MAX_LABELS);
		if (!n) {
			snprintf(why, nwhy, "column '%s': no label", t->label[i].name);
			return TFR_ERR_FORMAT;
		}
		for (k = 0; k < n; k++) {
			const char *s = v[k];

			if (o->label_sep && *o->label_sep) {
				/* Pieces are copied, so that the row is not changed. */
				while (*s) {
					size_t len = strcspn(s, o->label_sep);

					if (len) {
						if (it->nlabels == MAX_LABELS)
							goto toomany;
						it->labels[it->nlabels++] = (const char *)(uintptr_t)it->split.len;
						if (tfr_buf_append(&it->split, s, len) ||
						    tfr_buf_append(&it->split, "", 1))
							return TFR_ERR_NOMEM;
					}
					s += len;
					s += strspn(s, o->label_sep);
				}
			} else {
				if (it->nlabels == MAX_LABELS)
					goto toomany;
				it->labels[it->nlabels++] = s;
			}
		}
	}
	if (o->label_sep && *o->label_sep)
		for (k = 0; k < it->nlabels; k++)
			it->labels[k] = (const char *)it->split.data + (uintptr_t)it->labels[k];
	if (t->nlabel && !it->nlabels) {
		snprintf(why, nwhy, "column '%s': no label", t->label[0].name);
		return TFR_ERR_FORMAT;
	}
	for (i = 0; i < t->nextra; i++) {
		int64_t iv;
		float fv;

		n = row_get(t, r, &t->extra[i], v, MAX_LABELS);
		for (k = 0; k < n; k++)
			if (!parse_value(t->extra[i].type, v[k], &iv, &fv)) {
				snprintf(why, nwhy, "column '%s': '%.40s' is not %s", t->extra[i].name,
					 v[k], t->extra[i].type == COL_INT64 ? "an int64" : "a float");
				return TFR_ERR_FORMAT;
			}
	}
	return TFR_OK;
toomany:
	snprintf(why, nwhy, "more than %d labels", MAX_LABELS);
	return TFR_ERR_FORMAT;
}

static int table_where(const struct tfr_source *src, const char *name,
		       struct tfr_buf *out)
{
	const struct table *t = src->priv;

	return tfr_source_join(out, name[0] == '/' ? "" : t->root, name);
}

static int row_problem(struct tfr_dataset *ds, const char *path, const struct row *r,
		       const char *why, struct tfr_error *err)
{
	char msg[700];

	snprintf(msg, sizeof(msg), "line %llu, %s", (unsigned long long)r->line, why);
	return tfr_dataset_problem(ds, path, r->line, r->offset, msg, err);
}

static int table_list(struct tfr_source *src, struct tfr_dataset *ds,
		      struct tfr_error *err)
{
	struct table *t = src->priv;
	FILE *f = fopen(src->path, "r");
	struct row *r = calloc(1, sizeof(*r));
	struct row_item *it = calloc(1, sizeof(*it));
	struct tfr_buf full;
	uint64_t line = 0;
	char why[400];
	int rc;

	tfr_buf_init(&full, 0);
	if (!f || !r || !it) {
		rc = f ? nomem(err) : tfr_error_sys(err, errno, "cannot open '%s'", src->path);
		goto out;
	}
	rc = read_header(t, f, src->path, r, &line, err);
	while (!rc) {
		struct tfr_error e;
		struct stat st;

		errno = 0;
		rc = next_row(t, f, src->path, r, &line, &e);
		if (rc == TFR_EOF) {
			rc = TFR_OK;
			break;
		}
		if (rc == TFR_ERR_FORMAT && t->jsonl) {
			rc = row_problem(ds, src->path, r, e.msg, err);
			continue;
		}
		if (rc) {
			*err = e;
			break;
		}
		if (!t->jsonl && r->nf == 1 && r->buf.len == 1)
			continue; /* a blank line */
		rc = row_item(t, src->opts, r, it, why, sizeof(why));
		if (rc == TFR_ERR_NOMEM) {
			rc = nomem(err);
			break;
		}
		if (rc) {
			rc = row_problem(ds, src->path, r, why, err);
			continue;
		}
		/* A missing file is the row's problem, found now with its
		 * line and column rather than later by a worker. */
		if (table_where(src, (char *)it->path.data, &full)) {
			rc = nomem(err);
			break;
		}
		if (stat((char *)full.data, &st) || !S_ISREG(st.st_mode)) {
			const char *reason = errno ? strerror(errno) : "not a regular file";

			snprintf(why, sizeof(why), "column '%s': '%.200s': %s",
				 t->has_template ? "(template)" : t->path.name,
				 (char *)full.data, reason);
			rc = row_problem(ds, src->path, r, why, err);
			continue;
		}
		{
			struct tfr_item_desc d = { (char *)it->path.data, 0, it->labels,
						   it->nlabels, r->offset,
						   t->nextra ? r->offset : TFR_NO_EXTRA };

			rc = tfr_dataset_add(ds, &d, err);
		}
	}
out:
	tfr_buf_release(&full);
	if (r)
		row_release(r);
	free(r);
	if (it) {
		tfr_buf_release(&it->path);
		tfr_buf_release(&it->split);
	}
	free(it);
	if (f)
		fclose(f);
	return rc;
}

/* --- extra features ------------------------------------------------------ */

struct tfr_source_cursor {
	FILE *f;
	struct row r;
};

static int table_features(const struct tfr_source *src, struct tfr_source_cursor **cur,
			  const char *name, uint64_t loc, uint64_t extra,
			  struct tfr_features *fs, struct tfr_error *err)
{
	const struct table *t = src->priv;
	struct tfr_source_cursor *c = *cur;
	uint64_t line = 0;
	size_t i, k;
	int rc;

	(void)name;
	(void)loc;
	if (extra == TFR_NO_EXTRA)
		return TFR_OK;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return nomem(err);
		*cur = c;
	}
	if (!c->f && !(c->f = fopen(src->path, "r")))
		return tfr_error_sys(err, errno, "cannot open '%s'", src->path);
	if (fseeko(c->f, (off_t)extra, SEEK_SET))
		return tfr_error_sys(err, errno, "cannot read '%s'", src->path);
	rc = next_row(t, c->f, src->path, &c->r, &line, err);
	if (rc == TFR_EOF)
		rc = tfr_error_set(err, TFR_ERR_CORRUPT, "'%s' changed since it was listed", src->path);
	if (rc)
		return rc;
	for (i = 0; i < t->nextra; i++) {
		const char *v[MAX_LABELS];
		size_t n = row_get(t, &c->r, &t->extra[i], v, MAX_LABELS);
		int64_t iv[MAX_LABELS];
		float fv[MAX_LABELS];
		struct tfr_bytes bv[MAX_LABELS];
		enum tfr_feature_kind kind = TFR_FEATURE_BYTES;
		const void *vals = bv;

		for (k = 0; k < n; k++) {
			parse_value(t->extra[i].type, v[k], &iv[k], &fv[k]);
			bv[k].data = (const unsigned char *)v[k];
			bv[k].len = strlen(v[k]);
		}
		if (t->extra[i].type == COL_INT64) {
			kind = TFR_FEATURE_INT64;
			vals = iv;
		} else if (t->extra[i].type == COL_FLOAT) {
			kind = TFR_FEATURE_FLOAT;
			vals = fv;
		}
		rc = tfr_features_add(fs, t->extra[i].name, kind, vals, n, 0, err);
		if (rc)
			return rc;
	}
	return TFR_OK;
}

static void table_cursor_free(struct tfr_source_cursor *c)
{
	if (!c)
		return;
	if (c->f)
		fclose(c->f);
	row_release(&c->r);
	free(c);
}

const struct tfr_source_ops tfr_source_csv = {
	.name = "table",
	.open = table_open,
	.list = table_list,
	.read = tfr_source_read_path,
	.features = table_features,
	.cursor_free = table_cursor_free,
	.where = table_where,
	/* Extra columns become features: the table's identity with the row. */
	.identity = tfr_source_identity_in,
	.close = table_close,
};
