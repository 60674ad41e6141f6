/* unit-buf.c - the capped growable buffer: growth, the cap, failures
 * that leave the buffer as it was. */
#include "config.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/base/fileio.h"

int main(void)
{
	struct tfr_buf b, z;
	size_t i;
	int bad;

	memset(&z, 0, sizeof(z));
	ok(tfr_buf_puts(&z, "zeroed") == TFR_OK && z.len == 6 && !memcmp(z.data, "zeroed", 6),
	   "a zeroed struct is a valid empty buffer");
	tfr_buf_release(&z);
	ok(z.data == NULL && z.len == 0 && z.cap == 0, "release empties it");
	tfr_buf_release(&z);
	tfr_buf_release(NULL);
	ok(1, "release twice, and release(NULL), are harmless");

	tfr_buf_init(&b, 0);
	ok(b.data == NULL && b.len == 0 && b.max == 0, "init: empty, no cap");
	ok(tfr_buf_append(&b, "ab", 2) == TFR_OK && tfr_buf_puts(&b, "cd") == TFR_OK &&
	   tfr_buf_printf(&b, "-%d-%s", 42, "x") == TFR_OK && b.len == 9 &&
	   !memcmp(b.data, "abcd-42-x", 9) && b.cap >= 10 && b.data[9] == '\0',
	   "append, puts and printf concatenate");
	ok(tfr_buf_append(&b, NULL, 0) == TFR_OK && b.len == 9, "appending nothing is fine");
	bad = 0;
	for (i = 0; i < 100000; i++)
		if (tfr_buf_append(&b, &i, 1) || b.len > b.cap)
			bad++;
	ok(bad == 0 && b.len == 100009, "grows past many doublings, len <= cap throughout");
	ok(tfr_buf_reserve(&b, SIZE_MAX) == TFR_ERR_LIMIT && b.len == 100009,
	   "reserving SIZE_MAX more is a limit error, not a wrap");
	tfr_buf_release(&b);

	tfr_buf_init(&b, 16);
	ok(tfr_buf_puts(&b, "0123456789") == TFR_OK, "under the cap");
	ok(tfr_buf_puts(&b, "abcdefg") == TFR_ERR_LIMIT && b.len == 10 &&
	   !memcmp(b.data, "0123456789", 10), "past the cap: TFR_ERR_LIMIT, buffer unchanged");
	ok(b.cap <= 16, "never allocated past the cap (cap %zu)", b.cap);
	ok(tfr_buf_puts(&b, "abcdef") == TFR_OK && b.len == 16, "exactly up to the cap");
	ok(tfr_buf_append(&b, "x", 1) == TFR_ERR_LIMIT && b.len == 16, "one byte more is refused");
	b.len = 10;
	/* printf needs room for its terminating NUL as well. */
	ok(tfr_buf_printf(&b, "%s", "abcdef") == TFR_ERR_LIMIT && b.len == 10,
	   "printf respects the cap, counting its NUL");
	ok(tfr_buf_printf(&b, "%s", "abcde") == TFR_OK && b.len == 15 && b.data[15] == '\0',
	   "and writes within it, NUL-terminated");
	tfr_buf_release(&b);

	/* The array-growth rule and the path join (base/). */
	{
		uint64_t *v = NULL, *g;
		size_t cap = 0, n;
		char *j;

		for (n = 0; n < 1000; n++) {
			g = tfr_grow_array(v, &cap, n + 1, sizeof(*v));
			if (!g)
				break;
			v = g;
			v[n] = n;
		}
		ok(n == 1000 && cap >= 1000 && v[999] == 999 && cap < 2048,
		   "arrays grow to what is needed, at least doubling (cap %zu)", cap);
		g = tfr_grow_array(v, &cap, SIZE_MAX / 4, sizeof(*v));
		ok(!g && cap >= 1000 && cap < 2048 && v[999] == 999,
		   "a size that overflows is refused, the array and cap unchanged");
		ok(tfr_grow_array(v, &cap, 10, sizeof(*v)) == v, "no growth when there is room");
		free(v);
		j = tfr_path_join("a/b", "c.png");
		ok(j && !strcmp(j, "a/b/c.png"), "paths join with one slash");
		free(j);
		j = tfr_path_join("", "c");
		ok(j && !strcmp(j, "/c"), "an empty directory gives /name, as the callers' copies did");
		free(j);
	}
	return tap_done();
}
