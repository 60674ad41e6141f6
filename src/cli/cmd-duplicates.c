/*
 * cmd-duplicates.c - tfrec duplicates: exact and near-duplicate images,
 * class conflicts and split leakage, before anything is converted.
 *
 * Each INPUT is listed through the same source layer as convert (one
 * listing per INPUT, so every item knows its input and split), every
 * item is fingerprinted on -j workers into a slot of its own (so the
 * output does not depend on -j), then hygiene/search.h finds the groups.
 */
#include "config.h"
#include "cli.h"
#include "lib/base/buf.h"
#include "lib/base/json.h"
#include "lib/base/parallel.h"
#include "lib/hygiene/fingerprint.h"
#include "lib/hygiene/search.h"
#include "lib/readback/export.h"
#include "lib/readback/inspect.h"
#include "lib/source/listing.h"
#include "lib/source/source.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Exit status when groups were found: 0 none, 1 error, 2 usage. */
#define EXIT_GROUPS 3

static const char usage_text[] =
"usage: tfrec duplicates [OPTIONS] INPUT...\n"
"\n"
"Find exact and near-duplicate images in the INPUTs (anything convert\n"
"reads: folders, images, archives, TFRecords of encoded images, --list\n"
"and --table files, and tfrec's tensor shards), class conflicts (one image\n"
"under two labels) and leakage between splits.\n"
"\n"
"  -d, --distance N    near-duplicates: perceptual hashes at most N bits\n"
"                      apart, 0..16 (default 10)\n"
"  -x, --exact         exact duplicates only (same decoded pixels)\n"
"  -s, --split NAME=INPUT  INPUT is split NAME; a group that spans two\n"
"                      splits is leakage (repeatable)\n"
"  -l, --list FILE     an input list file, as convert --list\n"
"  -t, --table FILE    a label table, as convert --table (default columns)\n"
"  -J, --json          one JSON object per group per line\n"
"  -e, --export DIR    a contact sheet per group: DIR/group-NNNNNN.png\n"
"  -j, --jobs N        fingerprint on N threads (default: every core)\n"
"      --skip-errors   skip images that cannot be read or decoded (a\n"
"                      warning each) instead of failing\n"
"      --max-pixels N  refuse images over N pixels (default 100000000)\n"
"  -h, --help          show this help\n"
"\n"
"Exit status: 0 no group found, 3 groups found, 1 failure, 2 usage error.\n";

struct input {
	const char *path;
	const char *split;   /* NULL: none */
	const char *kind;    /* NULL: told from the bytes; "list", "table" */
	struct tfr_dataset ds;
	size_t first;        /* global index of its first item */
	/* A tensor shard of tfrec's (records with image/raw): read once,
	 * serially, through readback/export; names, labels, fingerprints. */
	int shard;
	char **names, **labels;
	struct tfr_fp *sfp;
	size_t nshard, cap;
};

/* Whether path is a TFRecord file whose first record holds a tensor
 * (image/raw), as convert writes them. */
static int first_is_tensor(void *ctx, const char *file, const struct tfr_record *rec,
			   const struct tfr_example *ex, struct tfr_error *err)
{
	struct tfr_feature_view v;

	(void)file;
	(void)rec;
	(void)err;
	*(int *)ctx = ex && tfr_example_find(ex, "image/raw", &v);
	return TFR_INSPECT_STOP;
}

static int is_tensor_shard(const char *path)
{
	struct tfr_inspect_opts o;
	struct tfr_inspect_stats st;
	struct tfr_error e;
	struct stat sb;
	int yes = 0;

	if (stat(path, &sb) || !S_ISREG(sb.st_mode))
		return 0;
	memset(&o, 0, sizeof o);
	memset(&st, 0, sizeof st);
	o.on_record = first_is_tensor;
	o.ctx = &yes;
	if (tfr_inspect_file(path, &o, &st, &e))
		yes = 0;
	tfr_inspect_stats_release(&st);
	return yes;
}

static int shard_record(void *ctx, const char *file, const struct tfr_record *rec,
			const struct tfr_example *ex, struct tfr_error *err)
{
	struct input *in = ctx;
	struct tfr_picture p;
	int rc;

	(void)file;
	if (!ex)
		return tfr_error_at(err, TFR_ERR_FORMAT, rec->index, rec->offset,
				    "'%s': record %llu is not an Example", in->path,
				    (unsigned long long)rec->index);
	if (in->nshard == in->cap) {
		size_t nc = in->cap ? in->cap * 2 : 256;
		char **a = realloc(in->names, nc * sizeof *a);
		char **b = a ? realloc(in->labels, nc * sizeof *b) : NULL;
		struct tfr_fp *c = b ? realloc(in->sfp, nc * sizeof *c) : NULL;

		if (a)
			in->names = a;
		if (b)
			in->labels = b;
		if (!c)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		in->sfp = c;
		in->cap = nc;
	}
	memset(&p, 0, sizeof p);
	rc = tfr_export_record(ex, &p, err);
	if (!rc)
		rc = tfr_fp_pixels(p.pixels, p.width, p.height, p.channels, p.width,
				   p.height, &in->sfp[in->nshard], err);
	if (rc) {
		char msg[sizeof err->msg];

		snprintf(msg, sizeof msg, "%s", err->msg);
		tfr_picture_release(&p);
		return tfr_error_at(err, rc, rec->index, rec->offset, "'%s': record %llu: %s",
				    in->path, (unsigned long long)rec->index, msg);
	}
	in->names[in->nshard] = strdup(p.name);
	in->labels[in->nshard] = p.label[0] ? strdup(p.label) : NULL;
	tfr_picture_release(&p);
	if (!in->names[in->nshard] || (p.label[0] && !in->labels[in->nshard]))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	in->nshard++;
	return TFR_OK;
}

static int read_shard(struct input *in, struct tfr_error *err)
{
	struct tfr_inspect_opts o;
	struct tfr_inspect_stats st;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&st, 0, sizeof st);
	o.on_record = shard_record;
	o.ctx = in;
	rc = tfr_inspect_file(in->path, &o, &st, err);
	tfr_inspect_stats_release(&st);
	return rc;
}

static const char *item_name(const struct input *in, size_t i)
{
	return in->shard ? in->names[i] : tfr_dataset_name(&in->ds, i);
}

static const char *item_path(const struct input *in, size_t i)
{
	return in->shard ? in->names[i] : tfr_dataset_filename(&in->ds, i);
}

struct run {
	struct input *in;
	size_t nin;
	size_t n;
	struct tfr_fp *fp;
	unsigned char *skip;
	uint64_t max_pixels;
	int nthreads;
	/* per worker */
	struct worker {
		struct tfr_dataset_reader *rd; /* one per input */
		struct tfr_buf data;
		struct tfr_image img;
	} *w;
	int skip_errors;
};

static size_t input_of(const struct run *r, size_t g)
{
	size_t lo = 0, hi = r->nin;

	/* last input whose first <= g */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r->in[mid].first <= g)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int fingerprint_one(struct run *r, size_t g, int wk, struct tfr_error *err)
{
	size_t k = input_of(r, g);
	struct input *in = &r->in[k];
	struct worker *w = &r->w[wk];
	size_t i = g - in->first;
	int rc;

	if (in->shard) {
		r->fp[g] = in->sfp[i];
		return TFR_OK;
	}
	rc = tfr_dataset_read(&in->ds, i, &w->rd[k], &w->data, err);
	if (!rc) {
		rc = tfr_fp_image(w->data.data, w->data.len, r->max_pixels, &w->img,
				  &r->fp[g], err);
		if (rc) {
			/* the codec's reason does not name the item */
			const char *where = tfr_dataset_where(&in->ds, i, &w->rd[k]);
			char msg[sizeof err->msg];

			snprintf(msg, sizeof msg, "%s", err->msg);
			tfr_error_set(err, rc, "'%s': %s", where ? where : "?", msg);
		}
	}
	return rc;
}

static int task(void *ctx, size_t g, int wk, const int *stop, struct tfr_error *err)
{
	struct run *r = ctx;
	int rc;

	if (*stop)
		return TFR_ERR_INTERRUPTED;
	rc = fingerprint_one(r, g, wk, err);
	if (rc && rc != TFR_ERR_NOMEM && r->skip_errors) {
		r->skip[g] = 1;
		return TFR_OK;
	}
	return rc;
}

static const char *label_of(const struct input *in, size_t i, struct tfr_buf *b)
{
	const int32_t *ids;
	size_t n, k;

	if (in->shard)
		return in->labels[i];
	n = tfr_dataset_labels(&in->ds, i, &ids);
	if (!n)
		return NULL;
	b->len = 0;
	for (k = 0; k < n; k++) {
		if (k)
			tfr_buf_puts(b, ",");
		tfr_buf_puts(b, in->ds.classes[ids[k]]);
	}
	tfr_buf_append(b, "", 1);
	return (const char *)b->data;
}

/* Group facts: leakage (two named splits) and class conflict (two
 * different labels among labelled members). */
static void group_facts(const struct run *r, const struct tfr_dup_groups *g,
			size_t q, int *leak, int *conflict)
{
	const char *split = NULL, *lab0 = NULL;
	struct tfr_buf a, b;
	size_t k;

	tfr_buf_init(&a, 0);
	tfr_buf_init(&b, 0);
	*leak = *conflict = 0;
	for (k = g->start[q]; k < g->start[q + 1]; k++) {
		const struct input *in = &r->in[input_of(r, g->member[k])];
		const char *lab = label_of(in, g->member[k] - in->first, &b);

		if (in->split) {
			if (split && strcmp(split, in->split))
				*leak = 1;
			split = in->split;
		}
		if (lab) {
			if (lab0 && strcmp(lab0, lab))
				*conflict = 1;
			if (!lab0) {
				tfr_buf_puts(&a, lab);
				tfr_buf_append(&a, "", 1);
				lab0 = (const char *)a.data;
			}
		}
	}
	tfr_buf_release(&a);
	tfr_buf_release(&b);
}

static int print_group(const struct run *r, const struct tfr_dup_groups *g, size_t q,
		       int json, struct tfr_buf *out)
{
	struct tfr_buf lb;
	int leak, conflict, rc = 0;
	size_t k, first = g->member[g->start[q]];

	tfr_buf_init(&lb, 0);
	group_facts(r, g, q, &leak, &conflict);
	out->len = 0;
	if (json)
		rc |= tfr_buf_printf(out, "{\"group\": %zu, \"kind\": \"%s\", \"leak\": %s, "
				     "\"conflict\": %s, \"members\": [", q + 1,
				     g->kind[q] == TFR_DUP_EXACT ? "exact" : "near",
				     leak ? "true" : "false", conflict ? "true" : "false");
	else
		rc |= tfr_buf_printf(out, "group %zu: %s, %zu images%s%s\n", q + 1,
				     g->kind[q] == TFR_DUP_EXACT ? "exact" : "near",
				     g->start[q + 1] - g->start[q],
				     leak ? ", LEAK across splits" : "",
				     conflict ? ", CLASS CONFLICT" : "");
	for (k = g->start[q]; k < g->start[q + 1]; k++) {
		size_t gi = g->member[k];
		const struct input *in = &r->in[input_of(r, gi)];
		size_t i = gi - in->first;
		const char *path = item_path(in, i);
		const char *lab = label_of(in, i, &lb);
		int d = tfr_fp_distance(r->fp[gi].phash, r->fp[first].phash);

		if (json) {
			rc |= tfr_buf_puts(out, k > g->start[q] ? ", {\"input\": " : "{\"input\": ");
			rc |= tfr_json_cstr(out, in->path);
			rc |= tfr_buf_puts(out, ", \"path\": ");
			rc |= tfr_json_cstr(out, path);
			rc |= tfr_buf_puts(out, ", \"name\": ");
			rc |= tfr_json_cstr(out, item_name(in, i));
			rc |= tfr_buf_puts(out, ", \"label\": ");
			rc |= lab ? tfr_json_cstr(out, lab) : tfr_buf_puts(out, "null");
			rc |= tfr_buf_puts(out, ", \"split\": ");
			rc |= in->split ? tfr_json_cstr(out, in->split) : tfr_buf_puts(out, "null");
			rc |= tfr_buf_printf(out, ", \"distance\": %d}", d);
		} else {
			rc |= tfr_buf_printf(out, "  %s  %s: %s  label=%s  split=%s  distance=%d\n",
					     k == g->start[q] ? "keep" : "dup ",
					     in->path, item_name(in, i),
					     lab ? lab : "-", in->split ? in->split : "-", d);
		}
		/* a group may hold a million members: write as it grows */
		if (!rc && out->len >= 65536) {
			fwrite(out->data, 1, out->len, stdout);
			out->len = 0;
		}
	}
	if (json)
		rc |= tfr_buf_puts(out, "]}\n");
	tfr_buf_release(&lb);
	if (rc)
		return -1;
	fwrite(out->data, 1, out->len, stdout);
	return 0;
}

/* One contact sheet per group, members decoded at thumbnail size. */
static int export_group(const struct run *r, const struct tfr_dup_groups *g, size_t q,
			const char *dir, struct tfr_error *err)
{
	struct tfr_sheet s;
	struct tfr_picture p;
	struct tfr_image img;
	struct tfr_decode_opts o;
	struct tfr_buf data;
	struct tfr_dataset_reader *rd = calloc(r->nin, sizeof *rd);
	size_t plen = strlen(dir) + 32;
	char *path = malloc(plen);
	size_t k, n = g->start[q + 1] - g->start[q], c;
	int rc;

	if (!rd || !path) {
		free(rd);
		free(path);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	memset(&p, 0, sizeof p);
	memset(&img, 0, sizeof img);
	memset(&o, 0, sizeof o);
	tfr_buf_init(&data, 0);
	o.channels = 3;
	o.max_pixels = r->max_pixels;
	o.min_width = o.min_height = TFR_EXPORT_SHEET_CELL;
	rc = tfr_sheet_init(&s, n < TFR_EXPORT_SHEET_MAX ? (uint32_t)n : TFR_EXPORT_SHEET_MAX,
			    TFR_EXPORT_SHEET_CELL, err);
	for (k = g->start[q]; !rc && k < g->start[q + 1] && k - g->start[q] < TFR_EXPORT_SHEET_MAX; k++) {
		size_t gi = g->member[k], ki = input_of(r, gi);
		const struct input *in = &r->in[ki];

		if (in->shard) {
			/* a tensor's picture is not kept: a grey cell */
			p.width = p.height = 0;
			s.n++;
			continue;
		}
		if ((rc = tfr_dataset_read(&in->ds, gi - in->first, &rd[ki], &data, err)) ||
		    (rc = tfr_image_decode(data.data, data.len, &o, &img, err)))
			break;
		p.width = img.width;
		p.height = img.height;
		p.channels = img.channels;
		p.pixels = img.pixels;
		tfr_sheet_add(&s, &p);
	}
	if (!rc) {
		tfr_sheet_finish(&s);
		snprintf(path, plen, "%s/group-%06zu.png", dir, q + 1);
		rc = tfr_png_write(path, &s.pic, err);
	}
	free(path);
	tfr_sheet_release(&s);
	tfr_image_release(&img);
	tfr_buf_release(&data);
	for (c = 0; c < r->nin; c++)
		tfr_dataset_reader_release(&r->in[c].ds, &rd[c]);
	free(rd);
	return rc;
}

enum { OPT_SKIP = 256, OPT_MAXPIX };

int cmd_duplicates(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "distance", required_argument, NULL, 'd' },
		{ "exact", no_argument, NULL, 'x' },
		{ "split", required_argument, NULL, 's' },
		{ "list", required_argument, NULL, 'l' },
		{ "table", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'J' },
		{ "export", required_argument, NULL, 'e' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "skip-errors", no_argument, NULL, OPT_SKIP },
		{ "max-pixels", required_argument, NULL, OPT_MAXPIX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tfr_source_opts so;
	struct tfr_error err;
	struct tfr_dup_groups groups;
	struct tfr_buf line;
	struct run r;
	const char *export_dir = NULL;
	uint64_t v;
	int c, json = 0, exact = 0, distance = TFR_FP_DEFAULT_DISTANCE, jobs = 0;
	int status = 1, nthreads;
	size_t i, k;

	memset(&r, 0, sizeof r);
	memset(&so, 0, sizeof so);
	memset(&groups, 0, sizeof groups);
	tfr_error_clear(&err);
	tfr_buf_init(&line, 0);
	r.in = calloc((size_t)argc + 1, sizeof *r.in);
	if (!r.in) {
		cli_error("out of memory");
		return 1;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:xs:l:t:Je:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (cli_parse_u64(optarg, &v) || v > TFR_DUP_MAX_DISTANCE) {
				free(r.in);
				return cli_usage("duplicates", "--distance must be 0..%d, not '%s'",
						 TFR_DUP_MAX_DISTANCE, optarg);
			}
			distance = (int)v;
			break;
		case 'x':
			exact = 1;
			break;
		case 's': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || !eq[1]) {
				free(r.in);
				return cli_usage("duplicates", "--split takes NAME=INPUT, not '%s'", optarg);
			}
			*eq = '\0';
			r.in[r.nin].split = optarg;
			r.in[r.nin++].path = eq + 1;
			break;
		}
		case 'l':
		case 't':
			r.in[r.nin].kind = c == 'l' ? "list" : "table";
			r.in[r.nin++].path = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'e':
			export_dir = optarg;
			break;
		case 'j':
			if (cli_parse_u64(optarg, &v) || v > 1024) {
				free(r.in);
				return cli_usage("duplicates", "--jobs must be 0..1024, not '%s'", optarg);
			}
			jobs = (int)v;
			break;
		case OPT_SKIP:
			r.skip_errors = 1;
			break;
		case OPT_MAXPIX:
			if (cli_parse_u64(optarg, &v) || !v) {
				free(r.in);
				return cli_usage("duplicates", "--max-pixels must be a positive integer, not '%s'", optarg);
			}
			r.max_pixels = v;
			break;
		case 'h':
			free(r.in);
			fputs(usage_text, stdout);
			return cli_close_stdout();
		default:
			free(r.in);
			return cli_usage("duplicates", "unknown option");
		}
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		r.in[r.nin++].path = argv[i];
	if (!r.nin) {
		free(r.in);
		return cli_usage("duplicates", "no INPUT given");
	}
	if (export_dir && cli_check_output_dir(export_dir)) {
		free(r.in);
		return 1;
	}
	cli_install_signals();
	/* one listing per INPUT, in argument order */
	for (i = 0; i < r.nin; i++) {
		struct input *in = &r.in[i];

		tfr_dataset_init(&in->ds);
		in->first = r.n;
		if (!in->kind && is_tensor_shard(in->path)) {
			in->shard = 1;
			if (read_shard(in, &err))
				goto lib_error;
			r.n += in->nshard;
			continue;
		}
		if (in->kind ? tfr_dataset_add_kind(&in->ds, in->kind, in->path, &so, &err)
			     : tfr_dataset_add_path(&in->ds, in->path, &so, &err))
			goto lib_error;
		if (in->ds.nbad) {
			if (!r.skip_errors) {
				cli_error("cannot read '%s': %s", in->ds.bad[0].file, in->ds.bad[0].reason);
				goto done;
			}
			for (k = 0; k < in->ds.nbad; k++)
				cli_error("warning: skipped '%s': %s", in->ds.bad[k].file,
					  in->ds.bad[k].reason);
		}
		if (tfr_dataset_finish(&in->ds, NULL, 0, &err))
			goto lib_error;
		r.n += in->ds.n;
	}
	if (r.n >= UINT32_MAX) {
		cli_error("more than %u images", UINT32_MAX - 1);
		goto done;
	}
	r.fp = calloc(r.n ? r.n : 1, sizeof *r.fp);
	r.skip = calloc(r.n ? r.n : 1, 1);
	nthreads = tfr_parallel_threads(jobs);
	r.w = calloc((size_t)nthreads, sizeof *r.w);
	if (!r.fp || !r.skip || !r.w)
		goto nomem;
	for (c = 0; c < nthreads; c++) {
		r.w[c].rd = calloc(r.nin, sizeof *r.w[c].rd);
		if (!r.w[c].rd)
			goto nomem;
		tfr_buf_init(&r.w[c].data, 0);
	}
	r.nthreads = nthreads;
	if (tfr_parallel_for(r.n, nthreads, task, &r, &err))
		goto lib_error;
	/* warnings in input order, whatever -j: the reason again, serially */
	for (i = 0; i < r.n; i++)
		if (r.skip[i]) {
			tfr_error_clear(&err);
			fingerprint_one(&r, i, 0, &err);
			r.fp[i] = (struct tfr_fp){ 0, 0 };
			cli_error("warning: skipped %s", err.msg);
		}
	if (tfr_dup_find(r.fp, r.skip, r.n, exact ? -1 : distance, &groups, &err))
		goto lib_error;
	for (i = 0; i < groups.ngroups; i++) {
		if (print_group(&r, &groups, i, json, &line))
			goto nomem;
		if (export_dir && export_group(&r, &groups, i, export_dir, &err))
			goto lib_error;
	}
	if (cli_close_stdout())
		goto done;
	status = groups.ngroups ? EXIT_GROUPS : 0;
	goto done;
nomem:
	cli_error("out of memory");
	goto done;
lib_error:
	cli_error_lib(&err);
done:
	tfr_dup_groups_free(&groups);
	tfr_buf_release(&line);
	if (r.w)
		for (c = 0; c < r.nthreads; c++) {
			for (i = 0; i < r.nin; i++)
				tfr_dataset_reader_release(&r.in[i].ds, &r.w[c].rd[i]);
			free(r.w[c].rd);
			tfr_buf_release(&r.w[c].data);
			tfr_image_release(&r.w[c].img);
		}
	free(r.w);
	for (i = 0; i < r.nin; i++) {
		tfr_dataset_release(&r.in[i].ds);
		for (k = 0; k < r.in[i].nshard; k++) {
			free(r.in[i].names[k]);
			free(r.in[i].labels[k]);
		}
		free(r.in[i].names);
		free(r.in[i].labels);
		free(r.in[i].sfp);
	}
	free(r.fp);
	free(r.skip);
	free(r.in);
	return status;
}
