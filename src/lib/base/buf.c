/* buf.c - capped growable buffer; see buf.h. */
#include "config.h"
#include "base/buf.h"
#include "base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tfr_buf_init(struct tfr_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void tfr_buf_release(struct tfr_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int tfr_buf_reserve(struct tfr_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : SIZE_MAX;
	size_t need, ncap;
	unsigned char *p;

	if (extra > max || b->len > max - extra)
		return TFR_ERR_LIMIT;
	need = b->len + extra;
	if (need <= b->cap)
		return TFR_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > max)
		ncap = max;
	p = realloc(b->data, ncap);
	if (!p)
		return TFR_ERR_NOMEM;
	b->data = p;
	b->cap = ncap;
	return TFR_OK;
}

int tfr_buf_append(struct tfr_buf *b, const void *p, size_t n)
{
	int rc = tfr_buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return TFR_OK;
}

int tfr_buf_puts(struct tfr_buf *b, const char *s)
{
	return tfr_buf_append(b, s, strlen(s));
}

int tfr_buf_printf(struct tfr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TFR_ERR_INVALID;
	rc = tfr_buf_reserve(b, (size_t)n + 1);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return TFR_OK;
}

int tfr_grow(void **p, size_t *cap, size_t need)
{
	void *q;

	if (need <= *cap)
		return 0;
	q = realloc(*p, need);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

void *tfr_grow_array(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap;

	if (need <= ncap)
		return p;
	ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
	if (ncap < 16)
		ncap = 16;
	if (ncap < need)
		ncap = need;
	if (!elem || ncap > SIZE_MAX / elem)
		return NULL;
	p = realloc(p, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}
