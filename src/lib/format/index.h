/*
 * index.h - DALI index sidecars ("offset size" per record, one per line).
 *
 * This is the format NVIDIA DALI's tfrecord2idx and the Python tfrecord
 * package's create_index write: the byte offset of each record's header
 * and the record's full framed size (header and footer included).  Only
 * uncompressed files can be indexed, because readers seek by offset.
 */
#ifndef TFR_INDEX_H
#define TFR_INDEX_H

#include "base/buf.h"
#include "base/status.h"

/*
 * Append the index of the TFRecord file at path to out, checking every
 * header (length CRC, truncation) but not the payloads.  Compressed input
 * gives TFR_ERR_UNSUPPORTED.  *records receives the record count.
 */
int tfr_index_build(const char *path, struct tfr_buf *out,
		    uint64_t *records, struct tfr_error *err);

/* Checking an index against its file: tfr_verify_file (verify.h), which
 * compares line by line while reading, in memory that does not grow. */

#endif
