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

#include "buf.h"
#include "status.h"

/*
 * Append the index of the TFRecord file at path to out, checking every
 * header (length CRC, truncation) but not the payloads.  Compressed input
 * gives TFR_ERR_UNSUPPORTED.  *records receives the record count.
 */
int tfr_index_build(const char *path, struct tfr_buf *out,
		    uint64_t *records, struct tfr_error *err);

/*
 * Check index text (from idx_name) against the record offsets and sizes
 * in offsets[i], sizes[i] for i < n.  Returns TFR_OK or TFR_ERR_CORRUPT
 * naming the first differing line.
 */
int tfr_index_check(const char *idx_name, const char *text, size_t len,
		    const uint64_t *offsets, const uint64_t *sizes, uint64_t n,
		    struct tfr_error *err);

#endif
