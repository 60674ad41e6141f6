/*
 * cmd-duplicates.c - tfrec duplicates: exact and near-duplicate images,
 * class conflicts and split leakage, before anything is converted.
 *
 * The library does the work: hygiene/inputs.h lists each INPUT (one
 * listing per INPUT, so every item knows its input and split, or a
 * tensor shard of tfrec's) and fingerprints every item on -j workers
 * (the output does not depend on -j), then hygiene/search.h finds the
 * groups.  This file holds the options, the printing (text or --json),
 * the --export sheets and the exit statuses.
 */
#include "config.h"
#include "cli.h"
#include "lib/base/buf.h"
#include "lib/base/json.h"
#include "lib/hygiene/fingerprint.h"
#include "lib/hygiene/inputs.h"
#include "lib/hygiene/search.h"
#include "lib/readback/export.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
"      --on-error MODE fail (default), or skip images that cannot be read\n"
"                      warning each) instead of failing\n"
"      --max-pixels N  refuse images over N pixels (default 100000000)\n"
"  -h, --help          show this help\n"
"\n"
"Exit status: 0 no group found, 3 groups found, 1 failure, 2 usage error.\n";

/* Group facts: leakage (two named splits) and class conflict (two
 * different labels among labelled members). */
static void group_facts(struct tfr_fp_inputs *s, const struct tfr_dup_groups *g,
			size_t q, int *leak, int *conflict)
{
	const char *split = NULL, *lab0 = NULL;
	struct tfr_buf a;
	size_t k;

	tfr_buf_init(&a, 0);
	*leak = *conflict = 0;
	for (k = g->start[q]; k < g->start[q + 1]; k++) {
		const struct tfr_fp_input *in = tfr_fp_inputs_at(s, g->member[k]);
		const char *lab = tfr_fp_inputs_label(s, g->member[k]);

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
}

static int print_group(struct tfr_fp_inputs *s, const struct tfr_dup_groups *g, size_t q,
		       int json, struct tfr_buf *out)
{
	int leak, conflict, rc = 0;
	size_t k, first = g->member[g->start[q]];

	group_facts(s, g, q, &leak, &conflict);
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
		const struct tfr_fp_input *in = tfr_fp_inputs_at(s, gi);
		const char *lab = tfr_fp_inputs_label(s, gi);
		int d = tfr_fp_distance(s->fp[gi].phash, s->fp[first].phash);

		if (json) {
			rc |= tfr_buf_puts(out, k > g->start[q] ? ", {\"input\": " : "{\"input\": ");
			rc |= tfr_json_cstr(out, in->path);
			rc |= tfr_buf_puts(out, ", \"path\": ");
			rc |= tfr_json_cstr(out, tfr_fp_inputs_path(s, gi));
			rc |= tfr_buf_puts(out, ", \"name\": ");
			rc |= tfr_json_cstr(out, tfr_fp_inputs_name(s, gi));
			rc |= tfr_buf_puts(out, ", \"label\": ");
			rc |= lab ? tfr_json_cstr(out, lab) : tfr_buf_puts(out, "null");
			rc |= tfr_buf_puts(out, ", \"split\": ");
			rc |= in->split ? tfr_json_cstr(out, in->split) : tfr_buf_puts(out, "null");
			rc |= tfr_buf_printf(out, ", \"distance\": %d}", d);
		} else {
			rc |= tfr_buf_printf(out, "  %s  %s: %s  label=%s  split=%s  distance=%d\n",
					     k == g->start[q] ? "keep" : "dup ",
					     in->path, tfr_fp_inputs_name(s, gi),
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
	if (rc)
		return -1;
	fwrite(out->data, 1, out->len, stdout);
	return 0;
}

/* One contact sheet per group (the library draws it): DIR/group-NNNNNN.png. */
static int export_group(const struct tfr_fp_inputs *s, const struct tfr_dup_groups *g,
			size_t q, const char *dir, uint64_t max_pixels, struct tfr_error *err)
{
	struct tfr_sheet sheet;
	size_t plen = strlen(dir) + 32;
	char *path = malloc(plen);
	int rc;

	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = tfr_fp_inputs_sheet(s, g->member + g->start[q], g->start[q + 1] - g->start[q],
				 max_pixels, &sheet, err);
	if (!rc) {
		snprintf(path, plen, "%s/group-%06zu.png", dir, q + 1);
		rc = tfr_png_write(path, &sheet.pic, err);
	}
	free(path);
	tfr_sheet_release(&sheet);
	return rc;
}

/* Report what was skipped; without --on-error skip the first one fails. */
static int report_skips(const struct tfr_fp_inputs *s, size_t from, int skip_errors)
{
	size_t k;

	if (from < s->nprob && !skip_errors) {
		cli_error("cannot read '%s': %s", s->prob[from].file, s->prob[from].reason);
		return -1;
	}
	for (k = from; k < s->nprob; k++)
		cli_error("warning: skipped '%s': %s", s->prob[k].file, s->prob[k].reason);
	return 0;
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
		{ "on-error", required_argument, NULL, OPT_SKIP },
		{ "max-pixels", required_argument, NULL, OPT_MAXPIX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tfr_source_opts so;
	struct tfr_error err;
	struct tfr_dup_groups groups;
	struct tfr_fp_inputs s;
	struct tfr_buf line;
	const char *export_dir = NULL;
	uint64_t v, max_pixels = 0;
	int c, json = 0, exact = 0, distance = TFR_FP_DEFAULT_DISTANCE, jobs = 0;
	int status = 1, skip_errors = 0, rc = 0;
	size_t i;

	memset(&so, 0, sizeof so);
	memset(&groups, 0, sizeof groups);
	tfr_error_clear(&err);
	tfr_buf_init(&line, 0);
	tfr_fp_inputs_init(&s);
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "d:xs:l:t:Je:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (cli_parse_u64(optarg, &v) || v > TFR_DUP_MAX_DISTANCE) {
				status = cli_usage("duplicates", "--distance must be 0..%d, not '%s'",
						   TFR_DUP_MAX_DISTANCE, optarg);
				goto done;
			}
			distance = (int)v;
			break;
		case 'x':
			exact = 1;
			break;
		case 's': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || !eq[1]) {
				status = cli_usage("duplicates", "--split takes NAME=INPUT, not '%s'", optarg);
				goto done;
			}
			*eq = '\0';
			rc = tfr_fp_inputs_add(&s, eq + 1, optarg, NULL, &err);
			break;
		}
		case 'l':
		case 't':
			rc = tfr_fp_inputs_add(&s, optarg, NULL, c == 'l' ? "list" : "table", &err);
			break;
		case 'J':
			json = 1;
			break;
		case 'e':
			export_dir = optarg;
			break;
		case 'j':
			if (cli_parse_u64(optarg, &v) || v > 1024) {
				status = cli_usage("duplicates", "--jobs must be 0..1024, not '%s'", optarg);
				goto done;
			}
			jobs = (int)v;
			break;
		case OPT_SKIP:
			if (strcmp(optarg, "skip") && strcmp(optarg, "fail"))
				return cli_usage("duplicates", "--on-error takes fail or skip, not '%s'",
						 optarg);
			skip_errors = !strcmp(optarg, "skip");
			break;
		case OPT_MAXPIX:
			if (cli_parse_u64(optarg, &v) || !v) {
				status = cli_usage("duplicates",
						   "--max-pixels must be a positive integer, not '%s'", optarg);
				goto done;
			}
			max_pixels = v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = cli_close_stdout();
			goto done;
		default:
			status = cli_usage("duplicates", "unknown option");
			goto done;
		}
	}
	for (i = (size_t)optind; !rc && i < (size_t)argc; i++)
		rc = tfr_fp_inputs_add(&s, argv[i], NULL, NULL, &err);
	if (rc)
		goto lib_error;
	if (!s.nin) {
		status = cli_usage("duplicates", "no INPUT given");
		goto done;
	}
	if (export_dir && cli_check_output_dir(export_dir))
		goto done;
	cli_install_signals();
	if (tfr_fp_inputs_list(&s, &so, &err))
		goto lib_error;
	if (report_skips(&s, 0, skip_errors))
		goto done;
	if (tfr_fp_inputs_fingerprint(&s, jobs, max_pixels, skip_errors, &err))
		goto lib_error;
	/* warnings in input order, whatever -j */
	report_skips(&s, s.nlisted, 1);
	if (tfr_dup_find(s.fp, s.skip, s.n, exact ? -1 : distance, &groups, &err))
		goto lib_error;
	for (i = 0; i < groups.ngroups; i++) {
		if (print_group(&s, &groups, i, json, &line)) {
			cli_error("out of memory");
			goto done;
		}
		if (export_dir && export_group(&s, &groups, i, export_dir, max_pixels, &err))
			goto lib_error;
	}
	if (cli_close_stdout())
		goto done;
	status = groups.ngroups ? EXIT_GROUPS : 0;
	goto done;
lib_error:
	cli_error_lib(&err);
done:
	tfr_dup_groups_free(&groups);
	tfr_buf_release(&line);
	tfr_fp_inputs_release(&s);
	return status;
}
