/* output.c - shard files and manifests; see output.h. */
#include "config.h"
#include "output.h"
#include "fileio.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tfr_output_open(const struct tfr_output *o, uint32_t s, uint32_t nshards,
		    struct tfr_writer **w, struct tfr_error *err)
{
	struct tfr_writer_opts wo = { .compression = o->compression,
				      .level = o->level,
				      .no_fsync = o->no_fsync };
	char *path = tfr_shard_name(o->prefix, s, nshards, o->compression);
	char *ipath = NULL;
	int rc;

	if (!path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (o->index) {
		size_t n = strlen(path) + 5;

		ipath = malloc(n);
		if (!ipath) {
			free(path);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		snprintf(ipath, n, "%s.idx", path);
		wo.index_path = ipath;
	}
	rc = tfr_writer_open(w, path, &wo, err); /* copies both paths */
	free(path);
	free(ipath);
	return rc;
}

char *tfr_output_manifest_name(const char *prefix, unsigned part_i,
			       unsigned part_n)
{
	size_t n = strlen(prefix) + 48;
	char *p = malloc(n);

	if (!p)
		return NULL;
	if (part_n > 1)
		snprintf(p, n, "%s-part-%05u-of-%05u.json", prefix, part_i, part_n);
	else
		snprintf(p, n, "%s.json", prefix);
	return p;
}

int tfr_output_manifest_begin(struct tfr_buf *b, const char *command,
			      const char *options_json)
{
	return tfr_buf_printf(b, "{\n  \"tool\": \"tfrec %s\",\n  \"command\": \"%s\",\n"
			      "  \"options\": %s,\n", PACKAGE_VERSION, command,
			      options_json ? options_json : "{}");
}

int tfr_output_manifest_finish(struct tfr_buf *b, int status, size_t nskipped,
			       const char *path, int no_fsync,
			       struct tfr_error *err)
{
	status |= tfr_buf_puts(b, nskipped ? "\n  ]\n}\n" : "]\n}\n");
	if (status)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return tfr_file_write_atomic(path, b->data, b->len, !no_fsync, err);
}

int tfr_output_shard_json(struct tfr_buf *b, int first, const char *path,
			  uint64_t records, uint64_t bytes,
			  const unsigned char sha[32])
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char hex[65];
	int rc;

	tfr_hex32(sha, hex);
	rc = tfr_buf_puts(b, first ? "\n    {\"file\": " : ",\n    {\"file\": ");
	if (!rc)
		rc = tfr_json_cstr(b, base);
	if (!rc)
		rc = tfr_buf_printf(b, ", \"records\": %llu, \"bytes\": %llu, \"sha256\": \"%s\"}",
				    (unsigned long long)records, (unsigned long long)bytes, hex);
	return rc;
}
