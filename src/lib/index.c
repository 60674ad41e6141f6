/* index.c - DALI index sidecars; see index.h. */
#include "config.h"
#include "index.h"
#include "record.h"

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
				   "uncompressed file has (rewrite it with "
				   "'tfrec shard --compression none --index')",
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

int tfr_index_check(const char *idx_name, const char *text, size_t len,
		    const uint64_t *offsets, const uint64_t *sizes, uint64_t n,
		    struct tfr_error *err)
{
	uint64_t line = 0;
	size_t i = 0;

	while (i < len) {
		const char *s = text + i;
		const char *nl = memchr(s, '\n', len - i);
		size_t l = nl ? (size_t)(nl - s) : len - i;
		char tmp[64];
		unsigned long long off, size;
		char extra;

		i += l + (nl ? 1 : 0);
		if (l == 0)
			continue;
		if (l >= sizeof(tmp))
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "'%s': line %llu: malformed index line",
					     idx_name, (unsigned long long)line + 1);
		memcpy(tmp, s, l);
		tmp[l] = '\0';
		if (sscanf(tmp, "%llu %llu %c", &off, &size, &extra) != 2)
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "'%s': line %llu: malformed index line",
					     idx_name, (unsigned long long)line + 1);
		if (line >= n)
			return tfr_error_set(err, TFR_ERR_CORRUPT,
					     "'%s': line %llu: index lists more records than "
					     "the file's %llu", idx_name,
					     (unsigned long long)line + 1, (unsigned long long)n);
		if (off != offsets[line] || size != sizes[line])
			return tfr_error_at(err, TFR_ERR_CORRUPT, line, offsets[line],
					    "'%s': line %llu: index says record %llu is at "
					    "%llu size %llu, file has %llu size %llu",
					    idx_name, (unsigned long long)line + 1,
					    (unsigned long long)line, off, size,
					    (unsigned long long)offsets[line],
					    (unsigned long long)sizes[line]);
		line++;
	}
	if (line != n)
		return tfr_error_set(err, TFR_ERR_CORRUPT,
				     "'%s': index lists %llu records, the file has %llu",
				     idx_name, (unsigned long long)line,
				     (unsigned long long)n);
	return TFR_OK;
}
