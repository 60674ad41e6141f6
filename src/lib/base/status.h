/*
 * status.h - how the tfrec library reports failure.
 *
 * Every fallible function returns an int: 0 (TFR_OK) on success, a
 * negative enum tfr_status on failure, and for iterators the positive
 * TFR_EOF at a clean end.  When the caller passes a struct tfr_error, the
 * library fills it with one complete, human-readable message that already
 * names the file and, where one exists, the record index and byte offset.
 * The struct is caller-owned and fixed-size, so reporting an error never
 * allocates and is safe from any thread.  The library never prints and
 * never exits.
 */
#ifndef TFR_STATUS_H
#define TFR_STATUS_H

#include <stdarg.h>
#include <stdint.h>

enum tfr_status {
	TFR_OK = 0,
	TFR_EOF = 1,             /* iterator reached a clean end */
	TFR_ERR_IO = -1,         /* read/write/open failed; sys_errno is set */
	TFR_ERR_NOMEM = -2,
	TFR_ERR_CORRUPT = -3,    /* bad CRC, truncation, bad framing */
	TFR_ERR_LIMIT = -4,      /* input exceeds a configured cap */
	TFR_ERR_FORMAT = -5,     /* well-framed but not what was expected */
	TFR_ERR_INVALID = -6,    /* bad argument from the caller */
	TFR_ERR_UNSUPPORTED = -7,
	TFR_ERR_INTERRUPTED = -8,
};

#define TFR_NO_POS UINT64_MAX

struct tfr_error {
	int status;              /* one of enum tfr_status */
	int sys_errno;           /* errno for TFR_ERR_IO, else 0 */
	uint64_t record;         /* record index, or TFR_NO_POS */
	uint64_t offset;         /* byte offset, or TFR_NO_POS */
	char msg[640];
};

/* Clear an error (err may be NULL). */
void tfr_error_clear(struct tfr_error *err);

/*
 * Record a failure and return status, so that callers can write
 * "return tfr_error_set(err, TFR_ERR_IO, ...)".  err may be NULL.
 * The message is truncated to fit; it is never allocated.
 */
int tfr_error_set(struct tfr_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like tfr_error_set, but appends ": strerror(errnum)" and keeps errnum. */
int tfr_error_sys(struct tfr_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same as tfr_error_set, with a record index and offset attached. */
int tfr_error_at(struct tfr_error *err, int status, uint64_t record,
		 uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Short name of a status, e.g. "corrupt data". */
const char *tfr_status_str(int status);

#endif
