/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Invariants: data is NULL or points at cap bytes; len <= cap; len <= max.
 * Growth past max fails with TFR_ERR_LIMIT instead of allocating, so that
 * sizes driven by untrusted input are always bounded (curl's dynbuf is the
 * model).  A zeroed struct is a valid empty buffer with no cap (max 0
 * means SIZE_MAX).  Not thread-safe; each thread owns its buffers.
 */
#ifndef TFR_BUF_H
#define TFR_BUF_H

#include <stddef.h>
#include <stdint.h>

struct tfr_buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: unlimited */
};

void tfr_buf_init(struct tfr_buf *b, size_t max);
void tfr_buf_release(struct tfr_buf *b);          /* frees; b may be NULL */
int tfr_buf_reserve(struct tfr_buf *b, size_t extra); /* room for len+extra */
int tfr_buf_append(struct tfr_buf *b, const void *p, size_t n);
int tfr_buf_puts(struct tfr_buf *b, const char *s);
int tfr_buf_printf(struct tfr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Grow the scratch block *p (capacity *cap bytes) to at least need
 * bytes, keeping its contents; 0, or -1 when out of memory (*p and *cap
 * unchanged).  For workers' reused scratch, which never shrinks. */
int tfr_grow(void **p, size_t *cap, size_t need);

/* The one growth rule for arrays: make room for need elements of elem
 * bytes in the array p (capacity *cap elements; p may be NULL with *cap
 * 0), at least doubling so that n pushes cost O(n).  Returns the array,
 * perhaps moved, with *cap updated; NULL when out of memory or when the
 * size would overflow size_t (then p and *cap are unchanged and p still
 * belongs to the caller).  Use as: v = tfr_grow_array(l->v, &l->cap,
 * l->n + 1, sizeof(*v)); if (!v) fail; l->v = v; */
void *tfr_grow_array(void *p, size_t *cap, size_t need, size_t elem);

#endif
