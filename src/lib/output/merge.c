/*
 * output/merge.c - merging part manifests; see manifest.h.
 *
 * The merged file must equal a single run's byte for byte, so values are
 * never re-serialized: yajl's streaming parser checks the JSON and
 * reports where each token ends (yajl_get_bytes_consumed, the whole file
 * being given in one yajl_parse call), and the raw text of every
 * top-level member and of every "shards" and "skipped" entry is copied
 * as it stands.  The layout around them (one member per line, one entry
 * per line) is written by the same writer as a run's manifest
 * (tfr_mtext_*, manifest.c), so the two cannot drift apart.
 */
#include "config.h"
#include "output/manifest.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "base/json.h"
#include "output/output.h"
#include "format/record.h"
#include "output/stats.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_parse.h>

/* A part count beyond this is not a tfrec part manifest name. */
#define MAX_PARTS (1u << 20)

enum kind { K_OTHER, K_PART, K_RECORDS, K_SHARDS, K_SKIPPED, K_STATS };

struct span {
	size_t off, len;
};

struct member {
	char *key;
	enum kind kind;
	struct span val;
};

struct elem {
	struct span s;
	char *file;   /* "file" of a shard entry, or NULL */
};

/* One part manifest, parsed into spans of its text. */
struct part {
	const char *path;
	struct tfr_buf text;
	yajl_handle h;
	struct member *m;
	size_t nm, mcap;
	struct elem *e[2];          /* entries of "shards" [0] and "skipped" [1] */
	size_t ne[2], ecap[2];
	int depth;
	int split;                  /* -1, or which entry list is being filled */
	size_t next;                /* where the next entry may start */
	char key2[16];              /* last key at depth 2 ("part" members) */
	int file_key;               /* the last key at depth 3 was "file" */
	uint64_t records, index, count, shared;
	int have_records, have_index, have_count;
	const char *why;            /* set when the layout is not a manifest's */
	int nomem;
};

static size_t here(const struct part *p)
{
	return yajl_get_bytes_consumed(p->h);
}

static size_t skip_sep(const struct part *p, size_t off, const char *seps)
{
	while (off < p->text.len && strchr(seps, p->text.data[off]))
		off++;
	return off;
}

static struct member *cur_member(struct part *p)
{
	return p->nm ? &p->m[p->nm - 1] : NULL;
}

static int push_elem(struct part *p, int which, size_t off, size_t len)
{
	struct elem *n = tfr_grow_array(p->e[which], &p->ecap[which], p->ne[which] + 1,
					sizeof(*n));

	if (!n) {
		p->nomem = 1;
		return 0;
	}
	p->e[which] = n;
	p->e[which][p->ne[which]++] = (struct elem){ { off, len }, NULL };
	return 1;
}

/* A value begins at the current depth (is_map: it is an object).  Returns
 * 0 to stop the parse. */
static int value_begin(struct part *p, int is_map)
{
	if (p->depth == 0 && !is_map) {
		p->why = "not a JSON object";
		return 0;
	}
	if (p->depth == 2 && p->split >= 0) {
		size_t off = skip_sep(p, p->next, ", \t\r\n");

		return push_elem(p, p->split, off, 0);
	}
	return 1;
}

/* A value ended at the current depth. */
static void value_done(struct part *p)
{
	struct member *m = cur_member(p);

	if (p->depth == 1 && m) {
		m->val.len = here(p) - m->val.off;
		p->split = -1;
	} else if (p->depth == 2 && p->split >= 0) {
		struct elem *e = &p->e[p->split][p->ne[p->split] - 1];

		e->s.len = here(p) - e->s.off;
		p->next = here(p);
	}
}

static int parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct part *p = ctx;
	struct member *m = cur_member(p);

	if (!value_begin(p, 0))
		return 0;
	if (p->depth == 1 && m && m->kind == K_RECORDS) {
		if (parse_u64(s, n, &p->records))
			p->why = "\"records\" is not a count";
		p->have_records = 1;
	} else if (p->depth == 2 && m && m->kind == K_PART) {
		uint64_t v;

		if (parse_u64(s, n, &v)) {
			p->why = "\"part\" holds a value that is not a count";
		} else if (!strcmp(p->key2, "index")) {
			p->index = v;
			p->have_index = 1;
		} else if (!strcmp(p->key2, "count")) {
			p->count = v;
			p->have_count = 1;
		} else if (!strcmp(p->key2, "shared_skips")) {
			p->shared = v;
		}
	}
	value_done(p);
	return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct part *p = ctx;

	if (!value_begin(p, 0))
		return 0;
	if (p->depth == 3 && p->split == 0 && p->file_key) {
		struct elem *e = &p->e[0][p->ne[0] - 1];

		free(e->file);
		e->file = strndup((const char *)s, n);
		if (!e->file) {
			p->nomem = 1;
			return 0;
		}
	}
	value_done(p);
	return 1;
}

static int cb_scalar(void *ctx)
{
	struct part *p = ctx;

	if (!value_begin(p, 0))
		return 0;
	value_done(p);
	return 1;
}

static int cb_bool(void *ctx, int b)
{
	(void)b;
	return cb_scalar(ctx);
}

static int cb_start_map(void *ctx)
{
	struct part *p = ctx;

	if (!value_begin(p, 1))
		return 0;
	p->depth++;
	return 1;
}

static int cb_key(void *ctx, const unsigned char *k, size_t n)
{
	struct part *p = ctx;

	if (p->depth == 1) {
		struct member *m;
		struct member *nmv = tfr_grow_array(p->m, &p->mcap, p->nm + 1, sizeof(*nmv));

		if (!nmv) {
			p->nomem = 1;
			return 0;
		}
		p->m = nmv;
		m = &p->m[p->nm];
		m->key = strndup((const char *)k, n);
		if (!m->key) {
			p->nomem = 1;
			return 0;
		}
		p->nm++;
		m->kind = !strcmp(m->key, "part") ? K_PART :
			  !strcmp(m->key, "records") ? K_RECORDS :
			  !strcmp(m->key, "shards") ? K_SHARDS :
			  !strcmp(m->key, "skipped") ? K_SKIPPED :
			  !strcmp(m->key, "stats") ? K_STATS : K_OTHER;
		m->val.off = skip_sep(p, here(p), ": \t\r\n");
		m->val.len = 0;
	} else if (p->depth == 2) {
		snprintf(p->key2, sizeof(p->key2), "%.*s", (int)(n < 15 ? n : 15), k);
	} else if (p->depth == 3) {
		p->file_key = n == 4 && !memcmp(k, "file", 4);
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct part *p = ctx;

	p->depth--;
	value_done(p);
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct part *p = ctx;
	struct member *m = cur_member(p);

	if (!value_begin(p, 0))
		return 0;
	p->depth++;
	if (p->depth == 2 && m && (m->kind == K_SHARDS || m->kind == K_SKIPPED)) {
		p->split = m->kind == K_SHARDS ? 0 : 1;
		p->next = here(p);
	}
	return 1;
}

static int cb_end_array(void *ctx)
{
	return cb_end_map(ctx);
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_scalar,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

static void part_release(struct part *p)
{
	size_t i;
	int w;

	if (p->h)
		yajl_free(p->h);
	for (i = 0; i < p->nm; i++)
		free(p->m[i].key);
	free(p->m);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < p->ne[w]; i++)
			free(p->e[w][i].file);
		free(p->e[w]);
	}
	tfr_buf_release(&p->text);
	memset(p, 0, sizeof(*p));
}

static const struct member *find(const struct part *p, enum kind k)
{
	size_t i;

	for (i = 0; i < p->nm; i++)
		if (p->m[i].kind == k)
			return &p->m[i];
	return NULL;
}

/* Read and parse one part manifest. */
static int part_load(struct part *p, const char *path, struct tfr_error *err)
{
	struct stat st;
	yajl_status ys;
	int rc;

	memset(p, 0, sizeof(*p));
	p->path = path;
	p->split = -1;
	if (stat(path, &st) == 0 && (uint64_t)st.st_size > TFR_MANIFEST_MAX_BYTES)
		return tfr_error_on(err, TFR_ERR_LIMIT, path,
				     "part manifest of %llu bytes exceeds the limit of %llu",
				     (unsigned long long)st.st_size,
				     (unsigned long long)TFR_MANIFEST_MAX_BYTES);
	tfr_buf_init(&p->text, 0);
	rc = tfr_file_read(path, &p->text, TFR_MANIFEST_MAX_BYTES, err);
	if (rc)
		return rc;
	p->h = yajl_alloc(&callbacks, NULL, p);
	if (!p->h)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	ys = yajl_parse(p->h, p->text.data, p->text.len);
	if (ys == yajl_status_ok)
		ys = yajl_complete_parse(p->h);
	if (p->nomem)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (ys != yajl_status_ok && !p->why) {
		unsigned char *msg = yajl_get_error(p->h, 0, p->text.data, p->text.len);

		rc = tfr_error_at(err, TFR_ERR_FORMAT, TFR_NO_POS, here(p),
				  "'%s': not valid JSON at byte %zu: %s", path, here(p),
				  msg ? (const char *)msg : "parse error");
		yajl_free_error(p->h, msg);
		return rc;
	}
	if (!p->why && (!find(p, K_PART) || !p->have_index || !p->have_count))
		p->why = "no \"part\" with \"index\" and \"count\"";
	if (!p->why && (!find(p, K_SHARDS) || !find(p, K_SKIPPED) || !p->have_records))
		p->why = "no \"records\", \"shards\" or \"skipped\"";
	if (!p->why && p->shared > p->ne[1])
		p->why = "\"shared_skips\" exceeds the skipped entries";
	if (p->why)
		return tfr_error_on(err, TFR_ERR_FORMAT, path, "not a tfrec part manifest: %s", p->why);
	return TFR_OK;
}

static int span_eq(const struct part *a, struct span x, const struct part *b, struct span y)
{
	return x.len == y.len && !memcmp(a->text.data + x.off, b->text.data + y.off, x.len);
}

/* --- finding the parts ---------------------------------------------------- */

struct found {
	unsigned n;         /* parts of the split, 0 until one is found */
	char *first;        /* a part file's name, for messages */
	unsigned char *have;
};

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Which part manifests of prefix exist.  A name counts when it is
 * exactly what tfr_output_manifest_name gives for the numbers in it. */
static int find_parts(const char *prefix, struct found *f, struct tfr_error *err)
{
	const char *base = base_of(prefix);
	size_t blen = strlen(base);
	char *dir;
	DIR *d;
	struct dirent *de;
	int rc = TFR_OK;

	if (!*base)
		return tfr_error_on(err, TFR_ERR_INVALID, prefix, "prefix has no file name");
	dir = base == prefix ? strdup(".") : strndup(prefix, (size_t)(base - prefix));
	if (!dir)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	d = opendir(dir);
	if (!d) {
		rc = tfr_error_sys(err, errno, "cannot open directory '%s'", dir);
		free(dir);
		return rc;
	}
	while (!rc && (errno = 0, de = readdir(d))) {
		const char *rest;
		unsigned i, n;
		int used = 0;
		char *want;

		if (strncmp(de->d_name, base, blen))
			continue;
		rest = de->d_name + blen;
		if (!rest[0] || sscanf(rest + 1, "part-%u-of-%u.json%n", &i, &n, &used) != 2 ||
		    !used || rest[1 + used] || n < 2 || n > MAX_PARTS || i < 1 || i > n)
			continue;
		want = tfr_output_manifest_name(prefix, i, n);
		if (!want) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			break;
		}
		if (strcmp(base_of(want), de->d_name)) {
			free(want);
			continue;
		}
		if (!f->n) {
			f->n = n;
			f->first = want;
			f->have = calloc(n + 1, 1);
			if (!f->have)
				rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		} else if (f->n != n) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT,
					   "'%s' and '%s' are parts of two different splits "
					   "(of %u and of %u); remove the stale ones",
					   f->first, want, f->n, n);
			free(want);
		} else {
			free(want);
		}
		if (!rc)
			f->have[i] = 1;
	}
	if (!rc && errno)
		rc = tfr_error_sys(err, errno, "cannot read directory '%s'", dir);
	closedir(d);
	if (!rc && !f->n)
		rc = tfr_error_for(err, TFR_ERR_FORMAT, TFR_SETTING_PART,
				   "no part manifests of '%s' in '%s' (a run in parts writes them)",
				   prefix, dir);
	free(dir);
	return rc;
}

/* --- merging -------------------------------------------------------------- */

struct shard_name {
	char *file;
	unsigned part;
};

static int cmp_shard_name(const void *a, const void *b)
{
	const struct shard_name *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	return c ? c : (x->part > y->part) - (x->part < y->part);
}

static int append_entries(struct tfr_mtext *list, const struct part *p, int which,
			  size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to && !list->rc; i++) {
		const struct elem *e = &p->e[which][i];

		tfr_mtext_entry(list);
		list->rc |= tfr_buf_append(list->b, p->text.data + e->s.off, e->s.len);
	}
	return list->rc;
}

/* Check part i (not the first) against part 1. */
static int check_against_first(const struct part *p, const struct part *p1,
			       struct tfr_error *err)
{
	size_t k;

	if (p->nm != p1->nm)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "'%s' and '%s' have different members: parts of different runs",
				     p->path, p1->path);
	for (k = 0; k < p->nm; k++) {
		if (strcmp(p->m[k].key, p1->m[k].key))
			return tfr_error_set(err, TFR_ERR_FORMAT,
					     "'%s' and '%s' have different members (\"%s\", \"%s\"): "
					     "parts of different runs", p->path, p1->path,
					     p->m[k].key, p1->m[k].key);
		if (p->m[k].kind == K_OTHER && !span_eq(p, p->m[k].val, p1, p1->m[k].val))
			return tfr_error_set(err, TFR_ERR_FORMAT,
					     "'%s' and '%s' differ in \"%s\": parts of different runs",
					     p->path, p1->path, p->m[k].key);
	}
	if (p->shared != p1->shared)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "'%s' and '%s' differ in the skipped inputs they share",
				     p->path, p1->path);
	for (k = 0; k < p->shared; k++)
		if (!span_eq(p, p->e[1][p->ne[1] - p->shared + k].s,
			     p1, p1->e[1][p1->ne[1] - p1->shared + k].s))
			return tfr_error_set(err, TFR_ERR_FORMAT,
					     "'%s' and '%s' differ in the skipped inputs they share",
					     p->path, p1->path);
	return TFR_OK;
}

static int write_merged(const struct part *p1, const struct tfr_mtext *shards,
			const struct tfr_mtext *skipped, const struct tfr_stats *stats,
			uint64_t records, const char *path, int no_fsync,
			struct tfr_error *err)
{
	struct tfr_buf out;
	struct tfr_mtext t;
	size_t k;
	int rc;

	tfr_buf_init(&out, 0);
	tfr_mtext_begin(&t, &out);
	for (k = 0; k < p1->nm; k++) {
		const struct member *m = &p1->m[k];

		switch (m->kind) {
		case K_PART:
			tfr_mtext_member(&t, m->key);
			t.rc |= tfr_buf_puts(&out, "{\"index\": 1, \"count\": 1}");
			break;
		case K_RECORDS:
			tfr_mtext_member(&t, m->key);
			t.rc |= tfr_buf_printf(&out, "%llu", (unsigned long long)records);
			break;
		case K_STATS:
			/* The parts' exact sums added: what one run computes. */
			tfr_mtext_member(&t, m->key);
			t.rc |= tfr_stats_json(&out, stats);
			break;
		case K_SHARDS:
		case K_SKIPPED:
			/* Joined already, part by part (append_entries). */
			tfr_mtext_list_put(&t, m->key, m->kind == K_SHARDS ? shards : skipped,
					   m->kind == K_SHARDS);
			break;
		default:
			tfr_mtext_member(&t, m->key);
			t.rc |= tfr_buf_append(&out, p1->text.data + m->val.off, m->val.len);
		}
	}
	if (tfr_mtext_end(&t))
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	else
		rc = tfr_file_write_atomic(path, out.data, out.len, !no_fsync, err);
	tfr_buf_release(&out);
	return rc;
}

int tfr_manifest_merge(const char *prefix, int no_fsync,
		       struct tfr_manifest_merge_result *res,
		       struct tfr_error *err)
{
	struct found f = { 0, NULL, NULL };
	struct part p1, p;
	struct tfr_buf shards, skipped;
	struct tfr_stats stats;
	struct shard_name *names = NULL;
	struct tfr_mtext shard_list, skip_list;
	size_t nnames = 0, namecap = 0, k;
	char **paths = NULL;
	unsigned i, *claimed = NULL;
	uint64_t records = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&p1, 0, sizeof(p1));
	memset(&p, 0, sizeof(p));
	tfr_buf_init(&shards, 0);
	tfr_buf_init(&skipped, 0);
	tfr_mtext_apart(&shard_list, &shards);
	tfr_mtext_apart(&skip_list, &skipped);
	tfr_stats_init(&stats);
	rc = find_parts(prefix, &f, err);
	if (rc)
		goto out;
	paths = calloc(f.n + 1, sizeof(*paths));
	claimed = calloc(f.n + 1, sizeof(*claimed));
	if (!paths || !claimed) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Every part is present before anything is read. */
	for (i = 1; i <= f.n && !rc; i++) {
		paths[i] = tfr_output_manifest_name(prefix, i, f.n);
		if (!paths[i])
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		else if (!f.have[i])
			rc = tfr_error_set(err, TFR_ERR_FORMAT, "missing part %u of %u: '%s'",
					   i, f.n, paths[i]);
	}
	if (rc)
		goto out;

	for (i = 1; i <= f.n; i++) {
		struct part *cur = i == 1 ? &p1 : &p;

		rc = part_load(cur, paths[i], err);
		if (rc)
			goto out;
		if (cur->count != f.n || cur->index < 1 || cur->index > f.n) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT,
					   "'%s' says it is part %llu of %llu, its name part %u of %u",
					   paths[i], (unsigned long long)cur->index,
					   (unsigned long long)cur->count, i, f.n);
			goto out;
		}
		if (claimed[cur->index]) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT,
					   "duplicated part %llu of %u: '%s' and '%s' both hold it",
					   (unsigned long long)cur->index, f.n,
					   paths[claimed[cur->index]], paths[i]);
			goto out;
		}
		claimed[cur->index] = i;
		if (cur->index != i) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT,
					   "'%s' holds part %llu of %u, not part %u",
					   paths[i], (unsigned long long)cur->index, f.n, i);
			goto out;
		}
		if (i > 1) {
			rc = check_against_first(cur, &p1, err);
			if (rc)
				goto out;
		}
		if (records > UINT64_MAX - cur->records) {
			rc = tfr_error_on(err, TFR_ERR_FORMAT, paths[i], "record counts overflow");
			goto out;
		}
		records += cur->records;
		for (k = 0; k < cur->nm; k++)
			if (cur->m[k].kind == K_STATS) {
				struct tfr_stats ps;
				struct tfr_error e;

				tfr_stats_init(&ps);
				rc = tfr_stats_from_json(&ps, (const char *)cur->text.data + cur->m[k].val.off,
							 cur->m[k].val.len, &e);
				if (!rc)
					rc = tfr_stats_merge(&stats, &ps, &e);
				tfr_stats_release(&ps);
				if (rc) {
					rc = tfr_error_about(err, rc, paths[i], &e);
					goto out;
				}
			}
		for (k = 0; k < cur->ne[0]; k++) {
			if (!cur->e[0][k].file) {
				rc = tfr_error_on(err, TFR_ERR_FORMAT, paths[i],
						   "shard entry %zu has no \"file\"", k);
				goto out;
			}
			{
				struct shard_name *nn = tfr_grow_array(names, &namecap, nnames + 1,
								       sizeof(*nn));

				if (!nn) {
					rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
					goto out;
				}
				names = nn;
			}
			names[nnames].file = cur->e[0][k].file;
			names[nnames++].part = i;
			cur->e[0][k].file = NULL;
		}
		if (append_entries(&shard_list, cur, 0, 0, cur->ne[0]) ||
		    append_entries(&skip_list, cur, 1, 0, cur->ne[1] - cur->shared)) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (i > 1)
			part_release(&p);
	}
	if (append_entries(&skip_list, &p1, 1, p1.ne[1] - p1.shared, p1.ne[1])) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}

	/* No shard twice, and all of them. */
	if (nnames) /* qsort takes no NULL, even for 0 */
		qsort(names, nnames, sizeof(*names), cmp_shard_name);
	for (k = 1; k < nnames; k++)
		if (!strcmp(names[k].file, names[k - 1].file)) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT,
					   "shard '%s' is listed by both '%s' and '%s'",
					   names[k].file, paths[names[k - 1].part], paths[names[k].part]);
			goto out;
		}
	for (k = 0; k < p1.nm; k++)
		if (!strcmp(p1.m[k].key, "shards_total")) {
			uint64_t total;

			if (parse_u64((const char *)p1.text.data + p1.m[k].val.off,
				      p1.m[k].val.len, &total) || total != nnames) {
				rc = tfr_error_set(err, TFR_ERR_FORMAT,
						   "the %u parts of '%s' list %zu shards, not \"shards_total\" %.*s",
						   f.n, prefix, nnames, (int)p1.m[k].val.len,
						   (const char *)p1.text.data + p1.m[k].val.off);
				goto out;
			}
		}
	if (nnames == 0) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "the %u parts of '%s' list no shards",
				   f.n, prefix);
		goto out;
	}

	res->manifest = tfr_output_manifest_name(prefix, 1, 1);
	if (!res->manifest) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = write_merged(&p1, &shard_list, &skip_list, &stats, records, res->manifest,
			  no_fsync, err);
	if (!rc) {
		res->parts = f.n;
		res->shards = (uint32_t)nnames;
		res->records = records;
	}
out:
	part_release(&p);
	part_release(&p1);
	for (k = 0; k < nnames; k++)
		free(names[k].file);
	free(names);
	for (i = 0; paths && i <= f.n; i++)
		free(paths[i]);
	free(paths);
	free(claimed);
	free(f.first);
	free(f.have);
	tfr_buf_release(&shards);
	tfr_buf_release(&skipped);
	tfr_stats_release(&stats);
	return rc;
}

void tfr_manifest_merge_result_release(struct tfr_manifest_merge_result *res)
{
	if (!res)
		return;
	free(res->manifest);
	memset(res, 0, sizeof(*res));
}
