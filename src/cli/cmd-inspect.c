/*
 * cmd-inspect.c - tfrec inspect: what TFRecord files hold.
 */
#include "config.h"
#include "cli.h"
#include "lib/base/buf.h"
#include "lib/base/fileio.h"
#include "lib/readback/export.h"
#include "lib/readback/inspect.h"
#include "lib/output/stats.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>

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

struct opts {
	int count, json, dump, stats;
	uint64_t limit;
	uint64_t max_record;
	const char *export_dir;
};

/* What inspect does with each record: the library reads, this prints. */
struct visit {
	const struct opts *o;
	struct tfr_buf *b;
	struct tfr_exporter *x;
	int failed;              /* a record could not be exported */
};

static int on_record(void *ctx, const char *file, const struct tfr_record *rec,
		     const struct tfr_example *ex, struct tfr_error *err)
{
	struct visit *v = ctx;
	int rc;

	if (v->x) {
		if (tfr_exporter_full(v->x))
			return TFR_INSPECT_STOP;
		rc = tfr_exporter_add(v->x, file, rec, ex, err);
		if (rc == TFR_ERR_FORMAT) {
			cli_error_lib(err);
			v->failed = 1;
			return TFR_OK;
		}
		return rc;
	}
	if (v->o->limit && rec->index >= v->o->limit)
		return TFR_INSPECT_STOP;
	v->b->len = 0;
	if (tfr_inspect_dump_json(v->b, file, rec, ex))
		cli_error("'%s': record %" PRIu64 " is too large to dump", file, rec->index);
	else
		fwrite(v->b->data, 1, v->b->len, stdout);
	return TFR_OK;
}

static void print_summary(const struct opts *o, const char *path,
			  const struct tfr_inspect_stats *s, struct tfr_buf *b)
{
	size_t i;

	if (o->json) {
		b->len = 0;
		if (tfr_inspect_summary_json(b, path, s, o->count))
			cli_error("'%s': out of memory for the summary", path);
		else
			fwrite(b->data, 1, b->len, stdout);
		return;
	}
	if (o->count) {
		printf("%" PRIu64 " %s\n", s->records, path);
		return;
	}
	printf("%s\n", path);
	printf("  compression   %s\n", tfr_compression_name(s->compression));
	printf("  records       %" PRIu64 "\n", s->records);
	printf("  bytes         %" PRIu64 " in file, %" PRIu64 " in records\n",
	       s->file_bytes, s->stream_bytes);
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
			const struct tfr_schema_key *k = &s->keys[i];
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
			printf("    (more than %d keys; the rest are not listed)\n", TFR_INSPECT_MAX_KEYS);
	}
}

static int inspect_file(const struct opts *o, const char *path, struct tfr_buf *b,
			struct tfr_exporter *x)
{
	struct visit v = { o, b, x, 0 };
	struct tfr_inspect_opts io = { .max_record = o->max_record, .headers_only = o->count,
				       .schema = !o->dump && !x,
				       .on_record = o->dump || x ? on_record : NULL, .ctx = &v };
	struct tfr_inspect_stats s;
	struct tfr_error err;
	int rc;

	rc = tfr_inspect_file(path, &io, &s, &err);
	if (rc)
		cli_error_lib(&err);
	else if (!o->dump && !x)
		print_summary(o, path, &s, b);
	tfr_inspect_stats_release(&s);
	return rc || v.failed ? 1 : 0;
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
		struct tfr_exporter *x;
		struct tfr_error err;
		int failed = 0;

		if (tfr_exporter_new(&x, o.export_dir, o.limit, &err)) {
			cli_error_lib(&err);
			tfr_buf_release(&b);
			return 1;
		}
		cli_install_signals();
		/* A record without a picture is reported and the export goes
		 * on (exit 1 at the end); a file that cannot be read, or a
		 * picture that cannot be written, stops it, and then no sheet
		 * or manifest is written. */
		for (i = optind; i < argc; i++) {
			struct visit v = { &o, &b, x, 0 };
			struct tfr_inspect_opts io = { .max_record = o.max_record,
						       .on_record = on_record, .ctx = &v };
			struct tfr_inspect_stats s;
			int rc = tfr_inspect_file(argv[i], &io, &s, &err);

			tfr_inspect_stats_release(&s);
			failed |= v.failed;
			if (rc) {
				cli_error_lib(&err);
				status = 1;
				break;
			}
		}
		if (!status && tfr_exporter_finish(x, &err)) {
			cli_error_lib(&err);
			status = 1;
		}
		if (!status && !failed)
			fprintf(stderr, "tfrec: exported %" PRIu64 " pictures to '%s'\n",
				tfr_exporter_count(x), o.export_dir);
		if (failed)
			status = 1;
		tfr_exporter_free(x);
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
