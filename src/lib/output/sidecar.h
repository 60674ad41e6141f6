/*
 * output/sidecar.h - DALI .idx sidecars as files: their names and their
 * writing.  The text is format/index.h's (tfr_index_build); this is the
 * one place that decides where an index goes and writes it, for a run's
 * kept shards (run.c) and for tfrec index.
 *
 * Thread-safe: no shared state.
 */
#ifndef TFR_OUTPUT_SIDECAR_H
#define TFR_OUTPUT_SIDECAR_H

#include <stdint.h>

#include "base/status.h"
#include "format/record.h"

/* "SHARD.idx", the name DALI and the tfrecord package look for beside a
 * shard; malloc'd, NULL when out of memory.  shard must not be NULL. */
char *tfr_sidecar_name(const char *shard);

/*
 * Index the uncompressed TFRecord file shard ("-": standard input) and
 * write the index to dest: NULL for tfr_sidecar_name(shard) (standard
 * output when shard is "-"), "-" for standard output, or a path.  A file
 * is written atomically (temporary name, then rename; fsync unless
 * no_fsync), so a reader never sees half an index.  *records (may be
 * NULL) receives the record count.  Errors as tfr_index_build's
 * (TFR_ERR_UNSUPPORTED for a compressed file), TFR_ERR_IO, TFR_ERR_NOMEM;
 * nothing is written then.
 */
int tfr_sidecar_write(const char *shard, const char *dest, int no_fsync,
		      uint64_t *records, struct tfr_error *err);

/*
 * Fill *hook (record.h) so that a writer of shard builds its index as
 * records are written and puts it at tfr_sidecar_name(shard), atomically
 * (fsync unless no_fsync), just before the shard takes its final name.
 * The writer owns the hook from tfr_writer_open on and releases it.
 * TFR_ERR_NOMEM (hook left empty).
 */
int tfr_sidecar_hook(struct tfr_writer_hook *hook, const char *shard, int no_fsync,
		     struct tfr_error *err);

#endif
