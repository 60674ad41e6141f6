/* index.c - DALI index sidecars; see index.h. */
#include "config.h"
#include "format/index.h"
#include "format/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tfr_index_build(const char *path, struct tfr_buf *out,
		    uint64_t *records, struct tfr_error *err)
{
	struct tfr_reader *r;
	struct tfr_record rec;
	int rc;

	*records = 0;
	rc = tfr_reader_open(&r, path, NULL, err);
	if (rc)
		return rc;
	if (tfr_reader_compression(r) != TFR_COMP_NONE) {
		rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				   "'%s': cannot index a %s-compressed file: index "
				   "readers seek to byte offsets, which only an "
				   "uncompressed file has",
				   path, tfr_compression_name(tfr_reader_compression(r)));
		goto out;
	}
	while ((rc = tfr_reader_next_header(r, &rec, err)) == TFR_OK) {
		if (tfr_buf_printf(out, "%llu %llu\n",
				   (unsigned long long)rec.offset,
				   (unsigned long long)(rec.len + TFR_RECORD_OVERHEAD))) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		(*records)++;
	}
	if (rc == TFR_EOF)
		rc = TFR_OK;
out:
	tfr_reader_free(r);
	return rc;
}
