/* output/sidecar.c - DALI .idx sidecars as files; see sidecar.h. */
#include "config.h"
#include "output/sidecar.h"
#include "base/buf.h"
#include "base/fileio.h"
#include "format/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tfr_sidecar_name(const char *shard)
{
	size_t n = strlen(shard) + 5;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s.idx", shard);
	return p;
}

int tfr_sidecar_write(const char *shard, const char *dest, int no_fsync,
		      uint64_t *records, struct tfr_error *err)
{
	struct tfr_buf b;
	char *name = NULL;
	uint64_t n = 0;
	int rc;

	tfr_buf_init(&b, 0);
	rc = tfr_index_build(shard, &b, &n, err);
	if (rc)
		goto out;
	/* Standard input has no name to put ".idx" after. */
	if (!dest)
		dest = !strcmp(shard, "-") ? "-" : (name = tfr_sidecar_name(shard));
	if (!dest) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* "-" is written in place to standard output (fileio.h). */
	rc = tfr_file_write_atomic(dest, b.data ? (const char *)b.data : "", b.len, !no_fsync,
				   err);
	if (!rc && records)
		*records = n;
out:
	free(name);
	tfr_buf_release(&b);
	return rc;
}

/* An index built as the shard is written. */
struct live_index {
	char *path;
	int no_fsync;
	struct tfr_buf text;   /* one "offset size" line per record */
};

static int live_record(void *ctx, uint64_t offset, uint64_t size)
{
	struct live_index *x = ctx;

	return tfr_buf_printf(&x->text, "%llu %llu\n", (unsigned long long)offset,
			      (unsigned long long)size);
}

static int live_commit(void *ctx, struct tfr_error *err)
{
	struct live_index *x = ctx;

	return tfr_file_write_atomic(x->path, x->text.data ? (const char *)x->text.data : "",
				     x->text.len, !x->no_fsync, err);
}

static void live_release(void *ctx)
{
	struct live_index *x = ctx;

	tfr_buf_release(&x->text);
	free(x->path);
	free(x);
}

int tfr_sidecar_hook(struct tfr_writer_hook *hook, const char *shard, int no_fsync,
		     struct tfr_error *err)
{
	struct live_index *x = calloc(1, sizeof(*x));

	memset(hook, 0, sizeof(*hook));
	if (!x || !(x->path = tfr_sidecar_name(shard))) {
		free(x);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	x->no_fsync = no_fsync;
	tfr_buf_init(&x->text, 0);
	hook->on_record = live_record;
	hook->before_commit = live_commit;
	hook->release = live_release;
	hook->ctx = x;
	return TFR_OK;
}
