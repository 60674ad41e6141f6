/*
 * cmd-inspect.c - tfrec inspect: what TFRecord files hold.
 */
#include "config.h"
#include "cli.h"
#include "lib/buf.h"
#include "lib/example.h"
#include "lib/fileio.h"
#include "lib/export.h"
#include "lib/json.h"
#include "lib/record.h"
#include "lib/stats.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
"usage: tfrec inspect [OPTIONS] FILE...\n"
"\n"
"Show each TFRecord file's compression, record count, sizes and feature\n"
"schema.  Compression (none, GZIP, ZLIB) is detected from the bytes.\n"
"\n"
"  -c, --count        only count records (fast: seeks over payloads of\n"
"                     uncompressed files; CRCs of payloads are not checked)\n"
"  -j, --json         one JSON object per file per line\n"
"  -d, --dump         print every record as a JSON line\n"
"  -n, --limit N      with --dump, stop after N records per file; with\n"
"                     --export, export at most N records in all\n"
"  -e, --export DIR   write each record's picture as DIR/NNNNN.png, a\n"
"                     contact sheet DIR/contact-sheet.png and\n"
"                     DIR/manifest.json (labels, sources)\n"
"      --max-record SIZE  refuse records larger than SIZE (default 1G)\n"
"  -s, --stats        dataset statistics over all FILEs together: per-channel\n"
"                     mean and std of the pixels before normalization (0..1),\n"
"                     class counts, size and aspect histograms, bytes per\n"
"                     record; with --json, the manifest's \"stats\" object\n"
"  -h, --help         show this help\n"
"\n"
"Exit status: 0 if every file was read, 1 otherwise, 2 on usage errors.\n";

#define MAX_KEYS 4096

struct schema_key {
	char *key;
	int kind;          /* tfr_feature_kind, -1 mixed */
	int is_list;       /* a SequenceExample feature list */
	uint64_t min, max, present;
};

struct stats {
	uint64_t records, stream_bytes, min, max, sum;
	uint64_t examples, seqs, others;
	struct schema_key *keys;
	size_t nkeys;
	int keys_truncated;
};

static void stats_release(struct stats *s)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		free(s->keys[i].key);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

static void note_key(struct stats *s, const char *key, int kind, int is_list,
		     uint64_t count)
{
	struct schema_key *k = NULL;
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		if (s->keys[i].is_list == is_list && !strcmp(s->keys[i].key, key)) {
			k = &s->keys[i];
			break;
		}
	}
	if (!k) {
		if (s->nkeys == MAX_KEYS) {
			s->keys_truncated = 1;
			return;
		}
		if ((s->nkeys & (s->nkeys - 1)) == 0) {
			size_t ncap = s->nkeys ? s->nkeys * 2 : 16;
			struct schema_key *p = realloc(s->keys, ncap * sizeof(*p));

			if (!p) {
				s->keys_truncated = 1;
				return;
			}
			s->keys = p;
		}
		k = &s->keys[s->nkeys];
		k->key = strdup(key);
		if (!k->key) {
			s->keys_truncated = 1;
			return;
		}
		s->nkeys++;
		k->kind = kind;
		k->is_list = is_list;
		k->min = k->max = count;
		k->present = 0;
	}
	if (k->kind != kind)
		k->kind = -1;
	if (count < k->min)
		k->min = count;
	if (count > k->max)
		k->max = count;
	k->present++;
}

static int cmp_keys(const void *a, const void *b)
{
	const struct schema_key *x = a, *y = b;

	if (x->is_list != y->is_list)
		return x->is_list - y->is_list;
	return strcmp(x->key, y->key);
}

static void schema_add(struct stats *s, const struct tfr_example *ex)
{
	struct tfr_feature_view v;
	size_t i, n = tfr_example_nfeatures(ex), nl = tfr_example_nlists(ex);

	for (i = 0; i < n; i++) {
		tfr_example_feature(ex, i, &v);
		note_key(s, v.key, v.kind, 0, v.count);
	}
	for (i = 0; i < nl; i++) {
		size_t steps;
		const char *key = tfr_example_list(ex, i, &steps);
		int kind = TFR_FEATURE_NONE;

		if (steps) {
			tfr_example_list_step(ex, i, 0, &v);
			kind = v.kind;
		}
		note_key(s, key, kind, 1, steps);
	}
}

static int dump_feature(struct tfr_buf *b, const struct tfr_feature_view *v)
{
	size_t i;
	int rc = 0;

	switch (v->kind) {
	case TFR_FEATURE_NONE:
		return tfr_buf_puts(b, "{}");
	case TFR_FEATURE_INT64:
		rc = tfr_buf_puts(b, "{\"int64\":[");
		for (i = 0; !rc && i < v->count; i++)
			rc = tfr_buf_printf(b, "%s%" PRId64, i ? "," : "", v->ints[i]);
		break;
	case TFR_FEATURE_FLOAT:
		rc = tfr_buf_puts(b, "{\"float\":[");
		for (i = 0; !rc && i < v->count; i++) {
			if (i)
				rc = tfr_buf_puts(b, ",");
			if (!rc)
				rc = tfr_json_float(b, v->floats[i]);
		}
		break;
	case TFR_FEATURE_BYTES: {
		int text = 1;

		for (i = 0; text && i < v->count; i++)
			text = tfr_utf8_text(v->bytes[i].data, v->bytes[i].len);
		rc = tfr_buf_puts(b, text ? "{\"bytes\":[" : "{\"bytes_base64\":[");
		for (i = 0; !rc && i < v->count; i++) {
			if (i)
				rc = tfr_buf_puts(b, ",");
			if (!rc)
				rc = text ? tfr_json_str(b, v->bytes[i].data, v->bytes[i].len)
					  : tfr_json_base64(b, v->bytes[i].data, v->bytes[i].len);
		}
		break;
	}
	}
	if (!rc)
		rc = tfr_buf_puts(b, "]}");
	return rc;
}

static int dump_record(struct tfr_buf *b, const char *file,
		       const struct tfr_record *rec, const struct tfr_example *ex)
{
	struct tfr_feature_view v;
	size_t i, n;
	int rc;

	b->len = 0;
	rc = tfr_buf_puts(b, "{\"file\":");
	if (!rc)
		rc = tfr_json_cstr(b, file);
	if (!rc)
		rc = tfr_buf_printf(b, ",\"index\":%" PRIu64 ",\"offset\":%" PRIu64
				    ",\"length\":%" PRIu64 ",", rec->index,
				    rec->offset, rec->len);
	if (rc)
		return rc;
	if (!ex) {
		rc = tfr_buf_puts(b, "\"type\":\"other\",\"data_base64\":");
		if (!rc)
			rc = tfr_json_base64(b, rec->data, rec->len);
		if (!rc)
			rc = tfr_buf_puts(b, "}\n");
		return rc;
	}
	rc = tfr_buf_puts(b, tfr_example_kind(ex) == TFR_PAYLOAD_EXAMPLE
				     ? "\"type\":\"example\",\"features\":{"
				     : "\"type\":\"sequence_example\",\"features\":{");
	n = tfr_example_nfeatures(ex);
	for (i = 0; !rc && i < n; i++) {
		tfr_example_feature(ex, i, &v);
		rc = i ? tfr_buf_puts(b, ",") : 0;
		if (!rc)
			rc = tfr_json_cstr(b, v.key);
		if (!rc)
			rc = tfr_buf_puts(b, ":");
		if (!rc)
			rc = dump_feature(b, &v);
	}
	if (!rc)
		rc = tfr_buf_puts(b, "}");
	n = tfr_example_nlists(ex);
	if (!rc && tfr_example_kind(ex) == TFR_PAYLOAD_SEQUENCE_EXAMPLE) {
		rc = tfr_buf_puts(b, ",\"feature_lists\":{");
		for (i = 0; !rc && i < n; i++) {
			size_t steps, s;
			const char *key = tfr_example_list(ex, i, &steps);

			rc = i ? tfr_buf_puts(b, ",") : 0;
			if (!rc)
				rc = tfr_json_cstr(b, key);
			if (!rc)
				rc = tfr_buf_puts(b, ":[");
			for (s = 0; !rc && s < steps; s++) {
				tfr_example_list_step(ex, i, s, &v);
				rc = s ? tfr_buf_puts(b, ",") : 0;
				if (!rc)
					rc = dump_feature(b, &v);
			}
			if (!rc)
				rc = tfr_buf_puts(b, "]");
		}
		if (!rc)
			rc = tfr_buf_puts(b, "}");
	}
	if (!rc)
		rc = tfr_buf_puts(b, "}\n");
	return rc;
}

struct opts {
	int count, json, dump, stats;
	uint64_t limit;
	uint64_t max_record;
	const char *export_dir;
};

/* --export: pictures, one contact sheet, one manifest. */
#define SHEET_MAX 256
#define SHEET_CELL 128

struct exporter {
	const char *dir;
	uint64_t n, limit;
	struct tfr_sheet sheet;
	struct tfr_picture pic;
	struct tfr_buf manifest;
	int failed;
};

static int export_record(struct exporter *x, const char *file,
			 const struct tfr_record *rec, const struct tfr_example *ex)
{
	struct tfr_error err;
	char path[4200], name[32];

	if (!ex) {
		cli_error("'%s': record %" PRIu64 " at offset %" PRIu64
			  ": cannot export: payload is not a tf.train.Example",
			  file, rec->index, rec->offset);
		x->failed = 1;
		return 0;
	}
	if (tfr_export_record(ex, &x->pic, &err)) {
		cli_error("'%s': record %" PRIu64 " at offset %" PRIu64 ": cannot export: %s",
			  file, rec->index, rec->offset, err.msg);
		x->failed = 1;
		return 0;
	}
	snprintf(name, sizeof(name), "%05" PRIu64 ".png", x->n);
	snprintf(path, sizeof(path), "%s/%s", x->dir, name);
	if (tfr_png_write(path, &x->pic, &err)) {
		cli_error_lib(&err);
		return -1; /* a write error stops the export */
	}
	tfr_buf_puts(&x->manifest, x->n ? ",\n    {\"png\": " : "\n    {\"png\": ");
	tfr_json_cstr(&x->manifest, name);
	tfr_buf_puts(&x->manifest, ", \"source\": ");
	tfr_json_cstr(&x->manifest, file);
	tfr_buf_printf(&x->manifest, ", \"record\": %" PRIu64 ", \"filename\": ", rec->index);
	tfr_json_cstr(&x->manifest, x->pic.name);
	tfr_buf_printf(&x->manifest, ", \"label\": %" PRId64 ", \"text\": ", x->pic.label_id);
	tfr_json_cstr(&x->manifest, x->pic.label);
	tfr_buf_printf(&x->manifest, ", \"width\": %u, \"height\": %u", x->pic.width, x->pic.height);
	if (x->n < SHEET_MAX) {
		tfr_buf_printf(&x->manifest, ", \"sheet\": {\"col\": %u, \"row\": %u}",
			       (unsigned)(x->n % x->sheet.cols), (unsigned)(x->n / x->sheet.cols));
		tfr_sheet_add(&x->sheet, &x->pic);
	}
	tfr_buf_puts(&x->manifest, "}");
	x->n++;
	return 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

static void print_summary(const struct opts *o, const char *path,
			  enum tfr_compression comp, struct stats *s,
			  uint64_t fbytes, struct tfr_buf *b)
{
	size_t i;

	if (s->nkeys)
		qsort(s->keys, s->nkeys, sizeof(s->keys[0]), cmp_keys);
	if (o->json) {
		b->len = 0;
		tfr_buf_puts(b, "{\"file\":");
		tfr_json_cstr(b, path);
		tfr_buf_printf(b, ",\"compression\":\"%s\",\"records\":%" PRIu64
			       ",\"bytes\":%" PRIu64, tfr_compression_name(comp),
			       s->records, fbytes);
		if (!o->count) {
			tfr_buf_printf(b, ",\"stream_bytes\":%" PRIu64
				       ",\"record_bytes\":{\"min\":%" PRIu64
				       ",\"mean\":%.1f,\"max\":%" PRIu64 "}"
				       ",\"payloads\":{\"example\":%" PRIu64
				       ",\"sequence_example\":%" PRIu64
				       ",\"other\":%" PRIu64 "},\"features\":[",
				       s->stream_bytes, s->min,
				       s->records ? (double)s->sum / (double)s->records : 0.0,
				       s->max, s->examples, s->seqs, s->others);
			for (i = 0; i < s->nkeys; i++) {
				struct schema_key *k = &s->keys[i];

				tfr_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
				tfr_json_cstr(b, k->key);
				tfr_buf_printf(b, ",\"kind\":\"%s\",%s\"min\":%" PRIu64
					       ",\"max\":%" PRIu64 ",\"records\":%" PRIu64 "}",
					       k->kind < 0 ? "mixed" : tfr_feature_kind_name(k->kind),
					       k->is_list ? "\"feature_list\":true," : "",
					       k->min, k->max, k->present);
			}
			tfr_buf_puts(b, "]");
			if (s->keys_truncated)
				tfr_buf_puts(b, ",\"features_truncated\":true");
		}
		tfr_buf_puts(b, "}\n");
		fwrite(b->data, 1, b->len, stdout);
		return;
	}
	if (o->count) {
		printf("%" PRIu64 " %s\n", s->records, path);
		return;
	}
	printf("%s\n", path);
	printf("  compression   %s\n", tfr_compression_name(comp));
	printf("  records       %" PRIu64 "\n", s->records);
	printf("  bytes         %" PRIu64 " in file, %" PRIu64 " in records\n",
	       fbytes, s->stream_bytes);
	if (s->records)
		printf("  record size   min %" PRIu64 ", mean %.1f, max %" PRIu64 "\n",
		       s->min, (double)s->sum / (double)s->records, s->max);
	printf("  payloads      %" PRIu64 " Example, %" PRIu64
	       " SequenceExample, %" PRIu64 " other\n",
	       s->examples, s->seqs, s->others);
	if (s->nkeys) {
		int w = 8;

		for (i = 0; i < s->nkeys; i++)
			if ((int)strlen(s->keys[i].key) > w)
				w = (int)strlen(s->keys[i].key);
		if (w > 40)
			w = 40;
		printf("  features      (key, kind, values per record, records with it)\n");
		for (i = 0; i < s->nkeys; i++) {
			struct schema_key *k = &s->keys[i];
			char range[64];

			if (k->min == k->max)
				snprintf(range, sizeof(range), "%" PRIu64, k->min);
			else
				snprintf(range, sizeof(range), "%" PRIu64 "..%" PRIu64,
					 k->min, k->max);
			printf("    %-*s  %-6s %s%-10s %" PRIu64 "\n", w, k->key,
			       k->kind < 0 ? "mixed" : tfr_feature_kind_name(k->kind),
			       k->is_list ? "list " : "", range, k->present);
		}
		if (s->keys_truncated)
			printf("    (more than %d keys; the rest are not listed)\n", MAX_KEYS);
	}
}

static int inspect_file(const struct opts *o, const char *path, struct tfr_buf *b,
			struct exporter *x)
{
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO,
				      .max_record = o->max_record };
	struct tfr_reader *r;
	struct tfr_record rec;
	struct tfr_error err;
	struct stats s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = tfr_reader_open(&r, path, &ro, &err);
	if (rc) {
		cli_error_lib(&err);
		return 1;
	}
	for (;;) {
		rc = o->count ? tfr_reader_next_header(r, &rec, &err)
			      : tfr_reader_next(r, &rec, &err);
		if (rc)
			break;
		if (s.records == 0 || rec.len < s.min)
			s.min = rec.len;
		if (rec.len > s.max)
			s.max = rec.len;
		s.sum += rec.len;
		s.records++;
		s.stream_bytes += rec.len + TFR_RECORD_OVERHEAD;
		if (o->count)
			continue;
		if (o->dump && o->limit && rec.index >= o->limit)
			break;
		if (x && x->limit && x->n >= x->limit)
			break;
		{
			struct tfr_example *ex = NULL;
			struct tfr_error perr;

			if (tfr_example_parse(&ex, rec.data, rec.len, &perr) == TFR_OK) {
				if (tfr_example_kind(ex) == TFR_PAYLOAD_EXAMPLE)
					s.examples++;
				else
					s.seqs++;
				if (!o->dump)
					schema_add(&s, ex);
			} else {
				s.others++;
			}
			if (x && export_record(x, path, &rec, ex)) {
				tfr_example_free(ex);
				tfr_reader_free(r);
				stats_release(&s);
				return 1;
			}
			if (o->dump) {
				if (dump_record(b, path, &rec, ex))
					cli_error("'%s': record %" PRIu64 " is too large to dump",
						  path, rec.index);
				else
					fwrite(b->data, 1, b->len, stdout);
			}
			tfr_example_free(ex);
		}
	}
	if (rc < 0) {
		cli_error_lib(&err);
		tfr_reader_free(r);
		stats_release(&s);
		return 1;
	}
	if (!o->dump && !x)
		print_summary(o, path, tfr_reader_compression(r), &s, file_size(path), b);
	tfr_reader_free(r);
	stats_release(&s);
	return 0;
}

/* --stats: one library call per file, then one report. */
static int inspect_stats(const struct opts *o, char **files, int n)
{
	struct tfr_stats st;
	struct tfr_error err;
	struct tfr_buf b;
	double mean[TFR_STATS_MAX_CHANNELS], sd[TFR_STATS_MAX_CHANNELS];
	unsigned c, nc;
	size_t k;
	int i, rc = 0;

	tfr_stats_init(&st);
	tfr_buf_init(&b, 0);
	for (i = 0; i < n && !rc; i++)
		rc = tfr_stats_add_file(&st, files[i], o->max_record, &err);
	if (rc) {
		cli_error_lib(&err);
		goto out;
	}
	if (o->json) {
		rc = tfr_stats_json(&b, &st) || tfr_buf_puts(&b, "\n");
		if (!rc)
			fwrite(b.data, 1, b.len, stdout);
		goto out;
	}
	nc = tfr_stats_mean_std(&st, mean, sd);
	printf("records         %" PRIu64 " in %d files\n", st.records, n);
	printf("bytes/record    mean %.1f, min %" PRIu64 ", max %" PRIu64 "\n",
	       st.records ? (double)st.bytes / (double)st.records : 0.0,
	       st.records ? st.bytes_min : 0, st.bytes_max);
	/* What a whole dataset of such records takes: ImageNet's train
	 * split has 1,281,167 images. */
	if (st.records)
		printf("projected       %.1f GB per million records; %.1f GB for ImageNet's 1281167\n",
		       ((double)st.bytes / (double)st.records + 16) * 1e6 / 1e9,
		       ((double)st.bytes / (double)st.records + 16) * 1281167 / 1e9);
	printf("mean            ");
	for (c = 0; c < nc; c++)
		printf("%s%.6f", c ? " " : "", mean[c]);
	printf("%s\nstd             ", nc ? "" : "(no tensors)");
	for (c = 0; c < nc; c++)
		printf("%s%.6f", c ? " " : "", sd[c]);
	printf("%s\nclasses         %zu (label, records, name)\n", nc ? "" : "(no tensors)", st.nclasses);
	for (k = 0; k < st.nclasses; k++)
		printf("  %-6" PRId64 " %-10" PRIu64 " %s\n", st.classes[k].label,
		       st.classes[k].count, st.classes[k].name);
	printf("short side      <32 %" PRIu64, st.short_side[0]);
	for (k = 1; k < TFR_STATS_NSIDE; k++)
		printf(", %s%u %" PRIu64, k + 1 < TFR_STATS_NSIDE ? "<" : ">=",
		       k + 1 < TFR_STATS_NSIDE ? 32u << k : 4096u, st.short_side[k]);
	printf("\naspect (w/h)    <1/2 %" PRIu64 ", <2/3 %" PRIu64 ", <4/5 %" PRIu64
	       ", <19/20 %" PRIu64 ", <21/20 %" PRIu64 ", <5/4 %" PRIu64 ", <3/2 %" PRIu64
	       ", <2 %" PRIu64 ", >=2 %" PRIu64 "\n", st.aspect[0], st.aspect[1], st.aspect[2],
	       st.aspect[3], st.aspect[4], st.aspect[5], st.aspect[6], st.aspect[7], st.aspect[8]);
out:
	tfr_buf_release(&b);
	tfr_stats_release(&st);
	return rc ? 1 : 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "dump", no_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'n' },
		{ "max-record", required_argument, NULL, 'M' },
		{ "export", required_argument, NULL, 'e' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct tfr_buf b;
	int c, i, status = 0;

	while ((c = getopt_long(argc, argv, "cjdn:e:sh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.stats = 1; break;
		case 'c': o.count = 1; break;
		case 'j': o.json = 1; break;
		case 'd': o.dump = 1; break;
		case 'e': o.export_dir = optarg; break;
		case 'n':
			if (cli_parse_u64(optarg, &o.limit))
				return cli_usage("inspect", "invalid --limit '%s'", optarg);
			break;
		case 'M':
			if (cli_parse_size(optarg, &o.max_record) || !o.max_record)
				return cli_usage("inspect", "invalid --max-record '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return cli_close_stdout();
		default:
			return cli_usage("inspect", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("inspect", "no input files");
	if (o.dump && o.count)
		return cli_usage("inspect", "--dump and --count do not go together");
	if (o.limit && !o.dump && !o.export_dir)
		return cli_usage("inspect", "--limit needs --dump or --export");
	if (o.export_dir && (o.dump || o.count || o.json))
		return cli_usage("inspect", "--export goes alone (no --dump, --count or --json)");
	if (o.stats && (o.dump || o.count || o.export_dir || o.limit))
		return cli_usage("inspect", "--stats goes alone or with --json");
	if (o.stats) {
		cli_install_signals();
		status = inspect_stats(&o, argv + optind, argc - optind);
		return cli_close_stdout() ? 1 : status;
	}
	tfr_buf_init(&b, 0);
	if (o.export_dir) {
		struct exporter x;
		struct tfr_error err;
		struct stat st;
		char path[4200];

		/* Make the directory (not its parents) when it is missing. */
		if (stat(o.export_dir, &st) && mkdir(o.export_dir, 0777) && errno != EEXIST) {
			cli_error("cannot create export directory '%s': %s", o.export_dir,
				  strerror(errno));
			return 1;
		}
		if (stat(o.export_dir, &st) || !S_ISDIR(st.st_mode)) {
			cli_error("export directory '%s' is not a directory", o.export_dir);
			return 1;
		}
		cli_install_signals();
		memset(&x, 0, sizeof(x));
		x.dir = o.export_dir;
		x.limit = o.limit;
		tfr_buf_init(&x.manifest, 0);
		if (tfr_sheet_init(&x.sheet, o.limit && o.limit < SHEET_MAX ? (uint32_t)o.limit : SHEET_MAX,
				   SHEET_CELL, &err)) {
			cli_error_lib(&err);
			return 1;
		}
		tfr_buf_puts(&x.manifest, "{\n  \"images\": [");
		for (i = optind; i < argc && !status; i++)
			if (inspect_file(&o, argv[i], &b, &x))
				status = 1;
		if (!status && x.n) {
			tfr_sheet_finish(&x.sheet);
			snprintf(path, sizeof(path), "%s/contact-sheet.png", x.dir);
			if (tfr_png_write(path, &x.sheet.pic, &err)) {
				cli_error_lib(&err);
				status = 1;
			}
		}
		tfr_buf_printf(&x.manifest, "\n  ],\n  \"sheet\": {\"file\": \"contact-sheet.png\", "
			       "\"cell\": %u, \"columns\": %u}\n}\n", x.sheet.cell,
			       (unsigned)(x.n < x.sheet.cols ? x.n : x.sheet.cols));
		snprintf(path, sizeof(path), "%s/manifest.json", x.dir);
		if (!status && tfr_file_write_atomic(path, x.manifest.data, x.manifest.len, 0, &err)) {
			cli_error_lib(&err);
			status = 1;
		}
		if (!status && !x.failed)
			fprintf(stderr, "tfrec: exported %" PRIu64 " pictures to '%s'\n", x.n, x.dir);
		if (x.failed)
			status = 1;
		tfr_buf_release(&x.manifest);
		tfr_picture_release(&x.pic);
		tfr_sheet_release(&x.sheet);
	} else {
		for (i = optind; i < argc; i++)
			if (inspect_file(&o, argv[i], &b, NULL))
				status = 1;
	}
	tfr_buf_release(&b);
	if (cli_close_stdout())
		status = 1;
	return status;
}
