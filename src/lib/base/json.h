/*
 * json.h - appending JSON fragments to a tfr_buf.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 are
 * written as \u00XX escapes of the raw byte values (so file names with
 * odd bytes stay readable and the output is always valid JSON).
 * Functions return TFR_OK or the tfr_buf error.  No shared state.
 */
#ifndef TFR_JSON_H
#define TFR_JSON_H

#include <stddef.h>

#include "base/buf.h"

/* Append s[0..n) as a quoted JSON string. */
int tfr_json_str(struct tfr_buf *b, const void *s, size_t n);
/* Same for a NUL-terminated string. */
int tfr_json_cstr(struct tfr_buf *b, const char *s);
/* 1 if s[0..n) is valid UTF-8 with no control bytes other than \t\n\r. */
int tfr_utf8_text(const void *s, size_t n);
/* Append s[0..n) base64-encoded, quoted. */
int tfr_json_base64(struct tfr_buf *b, const void *s, size_t n);
/* Append a float: shortest round-trip form, or "NaN"/"Infinity" strings. */
int tfr_json_float(struct tfr_buf *b, float f);

#endif
