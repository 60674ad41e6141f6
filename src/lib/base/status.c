/* status.c - error reporting without allocation; see status.h. */
#include "config.h"
#include "base/status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void tfr_error_clear(struct tfr_error *err)
{
	if (!err)
		return;
	err->status = TFR_OK;
	err->sys_errno = 0;
	err->record = TFR_NO_POS;
	err->offset = TFR_NO_POS;
	err->msg[0] = '\0';
}

__attribute__((format(printf, 3, 0)))
static void fill(struct tfr_error *err, int status, const char *fmt,
		 va_list ap)
{
	tfr_error_clear(err);
	err->status = status;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int tfr_error_set(struct tfr_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	va_start(ap, fmt);
	fill(err, status, fmt, ap);
	va_end(ap);
	return status;
}

int tfr_error_sys(struct tfr_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return TFR_ERR_IO;
	va_start(ap, fmt);
	fill(err, TFR_ERR_IO, fmt, ap);
	va_end(ap);
	err->sys_errno = errnum;
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return TFR_ERR_IO;
}

int tfr_error_at(struct tfr_error *err, int status, uint64_t record,
		 uint64_t offset, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	va_start(ap, fmt);
	fill(err, status, fmt, ap);
	va_end(ap);
	err->record = record;
	err->offset = offset;
	return status;
}

const char *tfr_status_str(int status)
{
	switch (status) {
	case TFR_OK: return "success";
	case TFR_EOF: return "end of input";
	case TFR_ERR_IO: return "input/output error";
	case TFR_ERR_NOMEM: return "out of memory";
	case TFR_ERR_CORRUPT: return "corrupt data";
	case TFR_ERR_LIMIT: return "limit exceeded";
	case TFR_ERR_FORMAT: return "unexpected format";
	case TFR_ERR_INVALID: return "invalid argument";
	case TFR_ERR_UNSUPPORTED: return "unsupported";
	case TFR_ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown error";
}
