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
	err->setting = TFR_SETTING_NONE;
	err->code = 0;
	err->subject[0] = '\0';
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

void tfr_error_subject(struct tfr_error *err, const char *subject)
{
	if (err)
		snprintf(err->subject, sizeof(err->subject), "%s", subject ? subject : "");
}

int tfr_error_on(struct tfr_error *err, int status, const char *subject,
		 const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	va_start(ap, fmt);
	fill(err, status, fmt, ap);
	va_end(ap);
	tfr_error_subject(err, subject);
	return status;
}

int tfr_error_for(struct tfr_error *err, int status, enum tfr_setting setting,
		  const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	va_start(ap, fmt);
	fill(err, status, fmt, ap);
	va_end(ap);
	err->setting = (int)setting;
	return status;
}

int tfr_error_about(struct tfr_error *err, int status, const char *subject,
		    const struct tfr_error *inner)
{
	struct tfr_error t;

	if (!err)
		return status;
	t = *inner;
	if (t.subject[0] && (!subject || strcmp(t.subject, subject)))
		tfr_error_text(inner, t.msg, sizeof(t.msg));
	t.status = status;
	snprintf(t.subject, sizeof(t.subject), "%s", subject ? subject : "");
	*err = t;
	return status;
}

/* Append s to buf (k bytes used of n), truncating; returns the new k. */
static size_t put(char *buf, size_t n, size_t k, const char *s)
{
	while (*s && k + 1 < n)
		buf[k++] = *s++;
	buf[k] = '\0';
	return k;
}

char *tfr_error_text(const struct tfr_error *e, char *buf, size_t n)
{
	size_t k = 0;

	if (!n)
		return buf;
	buf[0] = '\0';
	if (e->subject[0]) {
		k = put(buf, n, k, "'");
		k = put(buf, n, k, e->subject);
		k = put(buf, n, k, "': ");
	}
	put(buf, n, k, e->msg);
	return buf;
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
