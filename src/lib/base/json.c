/* json.c - JSON output helpers; see json.h. */
#include "config.h"
#include "base/json.h"
#include "base/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (max n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int tfr_utf8_text(const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
		if (p[i] == 0x7f)
			return 0;
		k = utf8_len(p + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

int tfr_json_str(struct tfr_buf *b, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0, k;
	int rc = tfr_buf_append(b, "\"", 1);

	while (!rc && i < n) {
		unsigned c = p[i];

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			rc = tfr_buf_append(b, e, 2);
			i++;
		} else if (c == '\n') {
			rc = tfr_buf_append(b, "\\n", 2);
			i++;
		} else if (c == '\t') {
			rc = tfr_buf_append(b, "\\t", 2);
			i++;
		} else if (c == '\r') {
			rc = tfr_buf_append(b, "\\r", 2);
			i++;
		} else if (c < 0x20 || c == 0x7f || !(k = utf8_len(p + i, n - i))) {
			rc = tfr_buf_printf(b, "\\u%04x", c);
			i++;
		} else {
			rc = tfr_buf_append(b, p + i, k);
			i += k;
		}
	}
	if (!rc)
		rc = tfr_buf_append(b, "\"", 1);
	return rc;
}

int tfr_json_cstr(struct tfr_buf *b, const char *s)
{
	return tfr_json_str(b, s, strlen(s));
}

int tfr_json_base64(struct tfr_buf *b, const void *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = s;
	size_t i;
	char *o;
	int rc = tfr_buf_reserve(b, (n + 2) / 3 * 4 + 2);

	if (rc)
		return rc;
	o = (char *)b->data + b->len;
	*o++ = '"';
	for (i = 0; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		*o++ = tab[v >> 18];
		*o++ = tab[(v >> 12) & 63];
		*o++ = tab[(v >> 6) & 63];
		*o++ = '=';
	}
	*o++ = '"';
	b->len = (size_t)(o - (char *)b->data);
	return TFR_OK;
}

int tfr_json_float(struct tfr_buf *b, float f)
{
	char tmp[32];
	int prec;

	if (isnan(f))
		return tfr_buf_puts(b, "\"NaN\"");
	if (isinf(f))
		return tfr_buf_puts(b, f > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	/* Shortest %g that reads back as the same float. */
	for (prec = 6; prec <= 9; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
		if (strtof(tmp, NULL) == f)
			break;
	}
	return tfr_buf_puts(b, tmp);
}
