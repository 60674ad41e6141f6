/*
 * tfrec.h - the stable C API of libtfrec.so: TFRecord framing and CRC
 * checks, for other languages (Python loads it with ctypes).
 *
 * A TFRecord stream is a sequence of
 *
 *     u64 length | u32 masked_crc32c(length) | data | u32 masked_crc32c(data)
 *
 * all little-endian.  This API works on bytes the caller already holds:
 * it opens no files, decompresses nothing and allocates nothing, so a
 * binding keeps its own I/O (and its own GZIP/ZLIB reader) and calls in
 * only for the byte crunching that is slow in an interpreter.
 *
 * Stability: functions and constants are only ever added.  A binding
 * checks tfrec_api_version() >= the version it was written for.  The
 * library's soname is libtfrec.so.0.
 *
 * Thread-safety: every function is pure and may be called from any
 * thread at once.  The CPU fast path (SSE4.2 crc32) is chosen on the
 * first call; TFREC_NO_SIMD=1 in the environment forces the portable
 * path, with identical results.
 *
 * NULL: buf may be NULL only when len is 0.  Output pointers must not be
 * NULL unless said otherwise.
 */
#ifndef TFREC_CAPI_H
#define TFREC_CAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TFREC_API_VERSION 1

/* The version of the API this library implements (TFREC_API_VERSION). */
int tfrec_api_version(void);

/* Continue a CRC-32C (Castagnoli) over buf: start with crc = 0. */
uint32_t tfrec_crc32c(uint32_t crc, const void *buf, size_t len);

/* TensorFlow's masked CRC-32C of buf, as stored in record framing. */
uint32_t tfrec_masked_crc32c(const void *buf, size_t len);

/* Name of the CRC implementation in use ("sse4.2x3", "slice-by-8");
 * a static string. */
const char *tfrec_crc32c_impl(void);

/* Results of tfrec_scan(); 0 and up is a record count. */
enum tfrec_scan_status {
	TFREC_SCAN_BAD_LENGTH_CRC = -1, /* header's length CRC mismatch */
	TFREC_SCAN_BAD_DATA_CRC = -2,   /* payload CRC mismatch */
	TFREC_SCAN_TOO_LARGE = -3,      /* length above max_record */
	TFREC_SCAN_BAD_ARG = -4,        /* NULL where not allowed */
};

/* tfrec_scan() flags. */
#define TFREC_SCAN_SKIP_DATA_CRC 1 /* check only the header CRC */

/*
 * Find the complete records at the start of buf, which must begin at a
 * record header, and check their CRCs.
 *
 * For each of up to cap records, starts[i] receives the offset in buf of
 * its payload (the byte after the 12-byte header) and lengths[i] its
 * payload length.  *used receives the bytes of buf the returned records
 * take, that is the offset of the first record not returned.  *need
 * receives the framed size (payload + 16) of that record when buf ends
 * inside it, so that the caller can read that much and call again, and
 * 0 otherwise (need may be NULL).  max_record caps a payload's length
 * (0 means 1 GiB), so that a damaged length never asks for a huge read.
 *
 * Returns the number of good records (0 if buf is empty or ends inside
 * the first one).  A damaged record is reported only when it is the
 * first in buf: the good records before it are returned first, so that
 * the next call, at buf + *used, returns the negative status and the
 * caller knows the damaged record's offset exactly.
 */
long tfrec_scan(const void *buf, size_t len, int flags, uint64_t max_record,
		uint64_t *starts, uint64_t *lengths, size_t cap,
		size_t *used, uint64_t *need);

#ifdef __cplusplus
}
#endif

#endif
