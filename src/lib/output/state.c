/*
 * output/state.c - a run's --resume journal, PREFIX.state.json; see
 * run-priv.h.  One line per shard under its final name, appended with
 * one write(2) under O_APPEND as each shard is committed (run.c), so a
 * kill leaves at most a cut last line; rewritten whole, in order, when
 * the run finishes.  Names and reasons are kept hex-encoded, so a line
 * never needs a JSON parser to be read back.
 */
#include "config.h"
#include "output/run-priv.h"
#include "base/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int unhex(const char *h, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* See run-priv.h. */
int tfr_orun_state_read(struct tfr_output_run *run, struct tfr_buf *keep,
			struct tfr_error *err)
{
	struct tfr_buf b;
	char *line, *next;
	int rc;

	if (access(run->state_path, F_OK) != 0)
		return TFR_OK; /* nothing recorded: everything is rebuilt */
	tfr_buf_init(&b, 0);
	rc = tfr_file_read(run->state_path, &b, 0, err);
	if (rc) {
		tfr_buf_release(&b);
		return rc;
	}
	if (tfr_buf_append(&b, "", 1)) {
		tfr_buf_release(&b);
		return tfr_orun_nomem(err);
	}
	for (line = (char *)b.data; line && *line; line = next) {
		unsigned s;
		unsigned long long rec, bytes, cnt[TFR_OUTPUT_NCOUNTS];
		char key[65], sha[65];
		int at = 0, i;
		size_t len;
		struct prev_shard *p;

		next = strchr(line, '\n');
		if (!next)
			break; /* cut short */
		*next++ = '\0';
		len = strlen(line);
		/* A --post command that succeeded (post_done, below). */
		if (sscanf(line, "{\"shard\": %u, \"key\": \"%64[0-9a-f]\", \"post\": \"ok\"}%n",
			   &s, key, &at) == 2 && at && (size_t)at == len) {
			if (!strcmp(key, run->key) && s >= run->s0 && s < run->s1) {
				run->prev[s - run->s0].post_ok = 1;
				if (tfr_buf_printf(keep, "%s\n", line)) {
					rc = tfr_orun_nomem(err);
					break;
				}
			}
			continue;
		}
		at = 0;
		if (sscanf(line, "{\"shard\": %u, \"key\": \"%64[0-9a-f]\", \"records\": %llu, "
			   "\"bytes\": %llu, \"sha256\": \"%64[0-9a-f]\", "
			   "\"counts\": [%llu, %llu, %llu], \"skipped\": [%n",
			   &s, key, &rec, &bytes, sha, &cnt[0], &cnt[1], &cnt[2], &at) != 8 || !at ||
		    len < 2 || strcmp(line + len - 2, "]}") || strcmp(key, run->key) ||
		    strlen(sha) != 64 || s < run->s0 || s >= run->s1)
			continue;
		p = &run->prev[s - run->s0];
		free(p->skipped);
		free(p->line);
		p->skipped = strndup(line + at, len - 2 - (size_t)at);
		p->line = strdup(line);
		if (!p->skipped || !p->line || unhex(sha, p->sha, 32)) {
			rc = p->skipped && p->line ? TFR_OK : tfr_orun_nomem(err);
			p->have = 0;
			if (rc)
				break;
			continue;
		}
		p->have = 1;
		p->records = rec;
		p->bytes = bytes;
		for (i = 0; i < TFR_OUTPUT_NCOUNTS; i++)
			p->counts[i] = cnt[i];
		if (tfr_buf_printf(keep, "%s\n", line)) {
			rc = tfr_orun_nomem(err);
			break;
		}
	}
	tfr_buf_release(&b);
	return rc;
}

/* Decode the skip list of a state line: "HEX:HEX", ... */
int tfr_orun_state_skips(const char *p, struct tfr_problem **out, size_t *nout)
{
	size_t n = 0, i;
	const char *q;
	struct tfr_problem *v;

	for (q = p; (q = strchr(q, '"')); q++)
		n++;
	n /= 2;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < n; i++) {
		const char *a = strchr(p, '"'), *colon, *b;
		char *s[2];
		int k;

		if (!a || !(b = strchr(a + 1, '"')) || !(colon = memchr(a, ':', (size_t)(b - a))))
			goto bad;
		for (k = 0; k < 2; k++) {
			const char *h = k ? colon + 1 : a + 1;
			size_t hl = (size_t)((k ? b : colon) - h);

			s[k] = calloc(hl / 2 + 1, 1);
			if (!s[k] || hl % 2 || unhex(h, (unsigned char *)s[k], hl / 2) ||
			    strlen(s[k]) != hl / 2) {
				free(s[k]);
				if (k)
					free(s[0]);
				goto bad;
			}
		}
		v[i].file = s[0];
		v[i].reason = s[1];
		v[i].record = v[i].offset = TFR_NO_POS;
		p = b + 1;
	}
	*out = v;
	*nout = n;
	return 0;
bad:
	while (i--) {
		free(v[i].file);
		free(v[i].reason);
	}
	free(v);
	return 1;
}

static int hex_str(struct tfr_buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++)
		rc = tfr_buf_printf(b, "%02x", (unsigned char)*s);
	return rc;
}

int tfr_orun_state_line(struct tfr_buf *b, const struct tfr_output_run *run, uint32_t s,
			const uint64_t counts[TFR_OUTPUT_NCOUNTS],
			const struct tfr_problem *skips, size_t nskips)
{
	const struct shard_done *d = &run->sh[s - run->s0];
	char hex[65];
	size_t i;
	int rc;

	tfr_hex32(d->sha, hex);
	rc = tfr_buf_printf(b, "{\"shard\": %u, \"key\": \"%s\", \"records\": %llu, "
			    "\"bytes\": %llu, \"sha256\": \"%s\", \"counts\": [%llu, %llu, %llu], "
			    "\"skipped\": [",
			    s, run->key, (unsigned long long)d->records,
			    (unsigned long long)d->bytes, hex, (unsigned long long)counts[0],
			    (unsigned long long)counts[1], (unsigned long long)counts[2]);
	for (i = 0; i < nskips && !rc; i++) {
		rc = tfr_buf_puts(b, i ? ", \"" : "\"");
		rc |= hex_str(b, skips[i].file);
		rc |= tfr_buf_puts(b, ":");
		rc |= hex_str(b, skips[i].reason);
		rc |= tfr_buf_puts(b, "\"");
	}
	rc |= tfr_buf_puts(b, "]}\n");
	return rc;
}

int tfr_orun_state_write(struct tfr_output_run *run, struct tfr_error *err)
{
	struct tfr_buf b;
	uint32_t s;
	int rc = 0;

	tfr_buf_init(&b, 0);
	for (s = run->s0; s < run->s1 && !rc; s++) {
		if (run->lines[s - run->s0])
			rc = tfr_buf_printf(&b, "%s\n", run->lines[s - run->s0]);
		if (!rc && run->lines[s - run->s0] && run->post_ok[s - run->s0])
			rc = tfr_buf_printf(&b, "{\"shard\": %u, \"key\": \"%s\", \"post\": \"ok\"}\n",
					    s, run->key);
	}
	rc = rc ? tfr_orun_nomem(err)
		: tfr_file_write_atomic(run->state_path, b.data ? (char *)b.data : "",
					b.len, !run->o.no_fsync, err);
	tfr_buf_release(&b);
	return rc;
}

