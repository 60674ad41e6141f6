/*
 * fileio.h - whole-file helpers: bounded reads and SHA-256 (nettle).
 * Thread-safe; no shared state.
 */
#ifndef TFR_FILEIO_H
#define TFR_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "status.h"

/* Default cap on one input file: 256 MiB. */
#define TFR_DEFAULT_MAX_FILE (UINT64_C(256) << 20)

/* Replace b's contents with the file at path; files over max bytes
 * (0: the default) are refused before reading. */
int tfr_file_read(const char *path, struct tfr_buf *b, uint64_t max,
		  struct tfr_error *err);

/* SHA-256 and size of the file at path. */
int tfr_file_sha256(const char *path, unsigned char sha[32], uint64_t *size,
		    struct tfr_error *err);

/* Write all n bytes, retrying short writes and EINTR: 0, or -1 with
 * errno set. */
int tfr_write_all(int fd, const void *p, size_t n);

/* Read exactly n bytes at off (pread): 0, or -1 with errno set (EIO when
 * the file ends first). */
int tfr_pread_all(int fd, void *p, size_t n, uint64_t off);

/* Lowercase hex of a 32-byte digest into out[65]. */
void tfr_hex32(const unsigned char sha[32], char out[65]);

#endif
