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
