/*
 * output/manifest.c - the manifest's text: its layout (one writer, for a
 * run's manifest and for tfrec manifest merge, so that the two can only
 * agree), the run's manifest and labels, and the options object.  See
 * manifest.h and output.h; the merge itself is merge.c.
 */
#include "config.h"
#include "output/manifest.h"
#include "output/run-priv.h"
#include "base/fileio.h"
#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the layout ---------------------------------------------------------- */

void tfr_mtext_begin(struct tfr_mtext *t, struct tfr_buf *b)
{
	t->b = b;
	t->members = t->entries = 0;
	t->rc = tfr_buf_puts(b, "{\n");
}

void tfr_mtext_member(struct tfr_mtext *t, const char *key)
{
	t->rc |= tfr_buf_puts(t->b, t->members++ ? ",\n  " : "  ");
	t->rc |= tfr_json_cstr(t->b, key);
	t->rc |= tfr_buf_puts(t->b, ": ");
}

void tfr_mtext_list_begin(struct tfr_mtext *t, const char *key)
{
	tfr_mtext_member(t, key);
	t->rc |= tfr_buf_puts(t->b, "[");
	t->entries = 0;
}

void tfr_mtext_entry(struct tfr_mtext *t)
{
	t->rc |= tfr_buf_puts(t->b, t->entries++ ? ",\n    " : "\n    ");
}

void tfr_mtext_list_end(struct tfr_mtext *t, int empty_open)
{
	t->rc |= tfr_buf_puts(t->b, t->entries || empty_open ? "\n  ]" : "]");
}

void tfr_mtext_apart(struct tfr_mtext *t, struct tfr_buf *b)
{
	t->b = b;
	t->members = t->entries = 0;
	t->rc = 0;
}

void tfr_mtext_list_put(struct tfr_mtext *t, const char *key, const struct tfr_mtext *list,
			int empty_open)
{
	tfr_mtext_list_begin(t, key);
	t->rc |= tfr_buf_append(t->b, list->b->data, list->b->len);
	t->entries = list->entries;
	tfr_mtext_list_end(t, empty_open);
}

int tfr_mtext_end(struct tfr_mtext *t)
{
	t->rc |= tfr_buf_puts(t->b, t->members ? "\n}\n" : "}\n");
	return t->rc;
}

/* --- a run's manifest ---------------------------------------------------- */

char *tfr_output_manifest_name(const char *prefix, unsigned part_i,
			       unsigned part_n)
{
	size_t n = strlen(prefix) + 48;
	char *p = malloc(n);

	if (!p)
		return NULL;
	if (part_n > 1)
		snprintf(p, n, "%s.part-%05u-of-%05u.json", prefix, part_i, part_n);
	else
		snprintf(p, n, "%s.json", prefix);
	return p;
}

int tfr_output_options_json(struct tfr_buf *b, const struct tfr_option *opt,
			    size_t n)
{
	size_t i;
	int rc = tfr_buf_puts(b, "{");

	for (i = 0; i < n && !rc; i++) {
		const struct tfr_option *o = &opt[i];
		int k;

		rc = tfr_buf_puts(b, i ? ", " : "");
		rc |= tfr_json_cstr(b, o->key);
		rc |= tfr_buf_puts(b, ": ");
		switch (o->type) {
		case TFR_OPTION_BOOL:
			rc |= tfr_buf_puts(b, o->u[0] ? "true" : "false");
			break;
		case TFR_OPTION_UINT:
			rc |= tfr_buf_printf(b, "%llu", (unsigned long long)o->u[0]);
			break;
		case TFR_OPTION_UINT_PAIR:
			rc |= tfr_buf_printf(b, "[%llu, %llu]", (unsigned long long)o->u[0],
					     (unsigned long long)o->u[1]);
			break;
		case TFR_OPTION_NAME:
			rc |= tfr_json_cstr(b, o->name ? o->name : "");
			break;
		case TFR_OPTION_FLOAT:
			rc |= isfinite(o->f[0]) ? tfr_buf_printf(b, "%.9g", o->f[0])
						: tfr_buf_puts(b, "null");
			break;
		case TFR_OPTION_FLOAT3:
		case TFR_OPTION_FLOAT_PAIR:
			for (k = 0; k < (o->type == TFR_OPTION_FLOAT3 ? 3 : 2); k++) {
				rc |= tfr_buf_puts(b, k ? ", " : "[");
				/* JSON has no NaN or infinity */
				rc |= isfinite(o->f[k]) ? tfr_buf_printf(b, "%.9g", o->f[k])
							: tfr_buf_puts(b, "null");
			}
			rc |= tfr_buf_puts(b, "]");
			break;
		}
	}
	return rc || tfr_buf_puts(b, "}") ? -1 : 0;
}

int tfr_orun_labels_write(struct tfr_output_run *run, const struct tfr_manifest *m,
			  struct tfr_error *err)
{
	struct tfr_buf b;
	char *path;
	size_t i;
	int rc = 0;

	if (!m->nlabels)
		return TFR_OK;
	path = malloc(strlen(run->prefix) + 16);
	if (!path)
		return tfr_orun_nomem(err);
	sprintf(path, "%s.labels.txt", run->prefix);
	tfr_buf_init(&b, 0);
	for (i = 0; i < m->nlabels && !rc; i++)
		rc = tfr_buf_printf(&b, "%s\n", m->labels[i]);
	rc = rc ? tfr_orun_nomem(err) : tfr_file_write_atomic(path, b.data, b.len, !run->o.no_fsync, err);
	tfr_buf_release(&b);
	free(path);
	return rc;
}

/* The manifest's text; the layout is fixed (tools read it). */
int tfr_orun_manifest_text(struct tfr_output_run *run, const struct tfr_manifest *m,
			   const struct tfr_output_result *res, struct tfr_buf *b)
{
	struct tfr_mtext t;
	size_t i;
	uint32_t s;

	tfr_mtext_begin(&t, b);
	tfr_mtext_member(&t, "tool");
	t.rc |= tfr_buf_printf(b, "\"tfrec %s\"", PACKAGE_VERSION);
	tfr_mtext_member(&t, "command");
	t.rc |= tfr_buf_printf(b, "\"%s\"", run->o.command);
	tfr_mtext_member(&t, "options");
	t.rc |= tfr_output_options_json(b, m->options, m->noptions);
	if (m->input_files) {
		tfr_mtext_member(&t, "inputs");
		t.rc |= tfr_buf_puts(b, "[");
		for (i = 0; i < m->ninputs; i++) {
			t.rc |= tfr_buf_puts(b, i ? ", " : "");
			t.rc |= tfr_json_cstr(b, m->input_files[i]);
		}
		t.rc |= tfr_buf_puts(b, "]");
	}
	tfr_mtext_member(&t, "part");
	t.rc |= tfr_buf_printf(b, "{\"index\": %u, \"count\": %u", run->o.part_i,
			       run->o.part_n);
	/* For tfrec manifest merge (manifest.h): the problems of no plan
	 * position (convert's inputs that could not be listed, pushed last)
	 * are listed by every part. */
	if (run->o.part_n > 1) {
		size_t shared = 0;

		for (i = 0; i < run->extra.n; i++)
			shared += run->extra_at[i] == TFR_NO_POS;
		t.rc |= tfr_buf_printf(b, ", \"shared_skips\": %zu", shared);
	}
	t.rc |= tfr_buf_puts(b, "}");
	tfr_mtext_member(&t, "shards_total");
	t.rc |= tfr_buf_printf(b, "%u", run->nshards);
	if (m->input_files) {
		tfr_mtext_member(&t, "records_in");
		t.rc |= tfr_buf_printf(b, "%llu", (unsigned long long)m->records_in);
	} else {
		tfr_mtext_member(&t, "inputs");
		t.rc |= tfr_buf_printf(b, "%zu", m->ninputs);
	}
	tfr_mtext_member(&t, "records");
	t.rc |= tfr_buf_printf(b, "%llu", (unsigned long long)res->records);
	if (!m->input_files) {
		tfr_mtext_member(&t, "labels");
		t.rc |= tfr_buf_puts(b, "[");
		for (i = 0; i < m->nlabels; i++) {
			t.rc |= tfr_buf_puts(b, i ? ", " : "");
			t.rc |= tfr_json_cstr(b, m->labels[i]);
		}
		t.rc |= tfr_buf_puts(b, "]");
	}
	if (m->boxes) {
		tfr_mtext_member(&t, "boxes");
		t.rc |= tfr_buf_printf(b, "{\"kept\": %llu, \"dropped_by_crop\": %llu, "
				       "\"annotation_problems\": %llu}",
				       (unsigned long long)m->boxes_kept,
				       (unsigned long long)m->boxes_dropped,
				       (unsigned long long)m->annotation_problems);
	}
	if (m->stats_json) {
		tfr_mtext_member(&t, "stats");
		t.rc |= tfr_buf_puts(b, m->stats_json);
	}
	tfr_mtext_list_begin(&t, "shards");
	for (s = run->s0; s < run->s1 && !t.rc; s++) {
		const struct shard_done *d = &run->sh[s - run->s0];
		char *name = tfr_orun_shard_name(run, s), hex[65];
		const char *base;

		if (!name)
			return -1;
		base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
		tfr_hex32(d->sha, hex);
		tfr_mtext_entry(&t);
		t.rc |= tfr_buf_puts(b, "{\"file\": ");
		t.rc |= tfr_json_cstr(b, base);
		t.rc |= tfr_buf_printf(b, ", \"records\": %llu, \"bytes\": %llu, \"sha256\": \"%s\"}",
				       (unsigned long long)d->records,
				       (unsigned long long)d->bytes, hex);
		free(name);
	}
	tfr_mtext_list_end(&t, 1); /* "[\n  ]" even for a part with no shard */
	tfr_mtext_list_begin(&t, "skipped");
	for (i = 0; i < res->nskipped; i++) {
		const struct tfr_problem *p = &res->skipped[i];

		tfr_mtext_entry(&t);
		t.rc |= tfr_buf_puts(b, "{\"file\": ");
		t.rc |= tfr_json_cstr(b, p->file);
		/* A damaged span of a record file, or an item left out. */
		if (p->offset != TFR_NO_POS)
			t.rc |= tfr_buf_printf(b, ", \"offset\": %llu, \"length\": %llu",
					       (unsigned long long)p->offset,
					       (unsigned long long)p->length);
		t.rc |= tfr_buf_puts(b, ", \"reason\": ");
		t.rc |= tfr_json_cstr(b, p->reason);
		t.rc |= tfr_buf_puts(b, "}");
	}
	tfr_mtext_list_end(&t, 0);
	return tfr_mtext_end(&t);
}
