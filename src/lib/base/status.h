/*
 * status.h - how the tfrec library reports failure.
 *
 * Every fallible function returns an int: 0 (TFR_OK) on success, a
 * negative enum tfr_status on failure, and for iterators the positive
 * TFR_EOF at a clean end.  When the caller passes a struct tfr_error, the
 * library fills it with the subject as fields (the file or archive member,
 * the record index, the byte offset; each may be unset), the reason as
 * text, and, where a caller's setting governs the failure (a size limit,
 * the image key), that setting as a code: the library knows no flag
 * names, so the caller turns the code into its own spelling.  Nothing
 * ever parses the text back; tfr_error_text() renders the whole for
 * callers that want one line.  The struct is caller-owned and fixed-size, so reporting an error never
 * allocates and is safe from any thread.  The library never prints and
 * never exits.
 */
#ifndef TFR_STATUS_H
#define TFR_STATUS_H

#include <stdarg.h>
#include <stddef.h>
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

/* The caller's setting that governs a failure, so that a front end can
 * point at it ("see --max-file"); TFR_SETTING_NONE when none does. */
enum tfr_setting {
	TFR_SETTING_NONE = 0,
	TFR_SETTING_MAX_FILE,          /* the cap on a file or member's bytes */
	TFR_SETTING_MAX_PIXELS,        /* the cap on an image's pixels */
	TFR_SETTING_IMAGE_KEY,         /* the feature holding image bytes */
	TFR_SETTING_ANNOTATION_FORMAT, /* the annotation format, when not guessed */
	TFR_SETTING_PART,              /* a run split into parts */
	TFR_SETTING_NORMALIZE,         /* normalization over the dataset */
	TFR_SETTING_DTYPE,             /* the tensor's element type */
};

struct tfr_error {
	int status;              /* one of enum tfr_status */
	int sys_errno;           /* errno for TFR_ERR_IO, else 0 */
	uint64_t record;         /* record index, or TFR_NO_POS */
	uint64_t offset;         /* byte offset, or TFR_NO_POS */
	int setting;             /* enum tfr_setting */
	int code;                /* a finer reason, defined by the function
				  * that failed (e.g. options.h); 0: none */
	char subject[1024];      /* file or "archive:member", or "" if unset */
	char msg[640];           /* the reason; never repeats the subject */
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

/* Set the subject (file or member name) of err; truncated to fit.
 * err may be NULL; subject NULL or "" unsets it. */
void tfr_error_subject(struct tfr_error *err, const char *subject);

/* Same as tfr_error_set, about subject (a file or member name). */
int tfr_error_on(struct tfr_error *err, int status, const char *subject,
		 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Same as tfr_error_set, with the setting that governs the failure. */
int tfr_error_for(struct tfr_error *err, int status, enum tfr_setting setting,
		  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * err becomes inner (its reason, record, offset, errno and setting) with
 * the given status and subject.  If inner already names another subject,
 * that one goes into the reason as "'inner': ", so that nothing is lost.
 * err and inner may be the same; err may be NULL.  Returns status.
 */
int tfr_error_about(struct tfr_error *err, int status, const char *subject,
		    const struct tfr_error *inner);

/* Render "'subject': reason" (or just the reason) into buf of n bytes,
 * truncated; the setting is not rendered (the library names no flags).
 * Returns buf. */
char *tfr_error_text(const struct tfr_error *e, char *buf, size_t n);

/* Short name of a status, e.g. "corrupt data". */
const char *tfr_status_str(int status);

#endif
