/* inspect.c - one pass over a file: counts, sizes, schema; see inspect.h. */
#include "config.h"
#include "readback/inspect.h"
#include "base/json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void tfr_inspect_stats_release(struct tfr_inspect_stats *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nkeys; i++)
		free(s->keys[i].key);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

/* A key past the cap, or one that cannot be stored, is dropped and
 * keys_truncated says so: the schema is a summary, not a reason to fail. */
static void note_key(struct tfr_inspect_stats *s, const char *key, int kind, int is_list,
		     uint64_t count)
{
	struct tfr_schema_key *k = NULL;
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		if (s->keys[i].is_list == is_list && !strcmp(s->keys[i].key, key)) {
			k = &s->keys[i];
			break;
		}
	}
	if (!k) {
		if (s->nkeys == TFR_INSPECT_MAX_KEYS) {
			s->keys_truncated = 1;
			return;
		}
		if ((s->nkeys & (s->nkeys - 1)) == 0) {
			size_t ncap = s->nkeys ? s->nkeys * 2 : 16;
			struct tfr_schema_key *p = realloc(s->keys, ncap * sizeof(*p));

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
	const struct tfr_schema_key *x = a, *y = b;

	if (x->is_list != y->is_list)
		return x->is_list - y->is_list;
	return strcmp(x->key, y->key);
}

static void schema_add(struct tfr_inspect_stats *s, const struct tfr_example *ex)
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

static uint64_t file_size(const char *path)
{
	struct stat st;

	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

int tfr_inspect_file(const char *path, const struct tfr_inspect_opts *o,
		     struct tfr_inspect_stats *s, struct tfr_error *err)
{
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO,
				      .max_record = o->max_record };
	struct tfr_reader *r;
	struct tfr_record rec;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = tfr_reader_open(&r, path, &ro, err);
	if (rc)
		return rc;
	s->compression = tfr_reader_compression(r);
	s->file_bytes = file_size(path);
	for (;;) {
		struct tfr_example *ex = NULL;

		rc = o->headers_only ? tfr_reader_next_header(r, &rec, err)
				     : tfr_reader_next(r, &rec, err);
		if (rc)
			break;
		if (s->records == 0 || rec.len < s->min)
			s->min = rec.len;
		if (rec.len > s->max)
			s->max = rec.len;
		s->sum += rec.len;
		s->records++;
		s->stream_bytes += rec.len + TFR_RECORD_OVERHEAD;
		if (o->headers_only)
			continue;
		if (tfr_example_parse(&ex, rec.data, rec.len, NULL) == TFR_OK) {
			if (tfr_example_kind(ex) == TFR_PAYLOAD_EXAMPLE)
				s->examples++;
			else
				s->seqs++;
			if (o->schema)
				schema_add(s, ex);
		} else {
			s->others++;
		}
		rc = o->on_record ? o->on_record(o->ctx, path, &rec, ex, err) : TFR_OK;
		tfr_example_free(ex);
		if (rc)
			break;
	}
	tfr_reader_free(r);
	if (s->nkeys)
		qsort(s->keys, s->nkeys, sizeof(s->keys[0]), cmp_keys);
	return rc < 0 ? rc : TFR_OK;
}

int tfr_inspect_summary_json(struct tfr_buf *b, const char *path,
			     const struct tfr_inspect_stats *s, int count_only)
{
	size_t i;
	int rc;

	rc = tfr_buf_puts(b, "{\"file\":");
	rc = rc ? rc : tfr_json_cstr(b, path);
	rc = rc ? rc : tfr_buf_printf(b, ",\"compression\":\"%s\",\"records\":%" PRIu64
				      ",\"bytes\":%" PRIu64, tfr_compression_name(s->compression),
				      s->records, s->file_bytes);
	if (!rc && !count_only) {
		rc = tfr_buf_printf(b, ",\"stream_bytes\":%" PRIu64
				    ",\"record_bytes\":{\"min\":%" PRIu64
				    ",\"mean\":%.1f,\"max\":%" PRIu64 "}"
				    ",\"payloads\":{\"example\":%" PRIu64
				    ",\"sequence_example\":%" PRIu64
				    ",\"other\":%" PRIu64 "},\"features\":[",
				    s->stream_bytes, s->min,
				    s->records ? (double)s->sum / (double)s->records : 0.0,
				    s->max, s->examples, s->seqs, s->others);
		for (i = 0; !rc && i < s->nkeys; i++) {
			const struct tfr_schema_key *k = &s->keys[i];

			rc = tfr_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
			rc = rc ? rc : tfr_json_cstr(b, k->key);
			rc = rc ? rc : tfr_buf_printf(b, ",\"kind\":\"%s\",%s\"min\":%" PRIu64
						      ",\"max\":%" PRIu64 ",\"records\":%" PRIu64 "}",
						      k->kind < 0 ? "mixed" : tfr_feature_kind_name(k->kind),
						      k->is_list ? "\"feature_list\":true," : "",
						      k->min, k->max, k->present);
		}
		rc = rc ? rc : tfr_buf_puts(b, "]");
		if (!rc && s->keys_truncated)
			rc = tfr_buf_puts(b, ",\"features_truncated\":true");
	}
	return rc ? rc : tfr_buf_puts(b, "}\n");
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

int tfr_inspect_dump_json(struct tfr_buf *b, const char *file,
			  const struct tfr_record *rec, const struct tfr_example *ex)
{
	struct tfr_feature_view v;
	size_t i, n;
	int rc;

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
