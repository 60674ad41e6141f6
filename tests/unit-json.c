/* unit-json.c - JSON escaping, UTF-8 checks, base64 and floats. */
#include "config.h"
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/base/json.h"
#include "lib/base/status.h"

static int is(struct tfr_buf *b, const char *want)
{
	int r = b->len == strlen(want) && !memcmp(b->data, want, b->len);

	if (!r)
		tap_diag("got %.*s", (int)b->len, (const char *)b->data);
	b->len = 0;
	return r;
}

int main(void)
{
	struct tfr_buf b;

	tfr_buf_init(&b, 0);
	tfr_json_cstr(&b, "plain");
	ok(is(&b, "\"plain\""), "plain string");
	tfr_json_cstr(&b, "q\"b\\n\nt\t");
	ok(is(&b, "\"q\\\"b\\\\n\\nt\\t\""), "quotes, backslashes, newline, tab");
	tfr_json_str(&b, "a\0b", 3);
	ok(is(&b, "\"a\\u0000b\""), "NUL escaped");
	tfr_json_cstr(&b, "caf\xc3\xa9");
	ok(is(&b, "\"caf\xc3\xa9\""), "valid UTF-8 kept");
	tfr_json_cstr(&b, "latin1-\xe9");
	ok(is(&b, "\"latin1-\\u00e9\""), "invalid UTF-8 escaped byte by byte");
	tfr_json_cstr(&b, "\xed\xa0\x80");
	ok(is(&b, "\"\\u00ed\\u00a0\\u0080\""), "UTF-16 surrogates are not UTF-8");
	ok(tfr_utf8_text("hello\n", 6) && !tfr_utf8_text("a\x01", 2) &&
	   !tfr_utf8_text("\xc0\xaf", 2), "text detection");
	tfr_json_base64(&b, "", 0);
	ok(is(&b, "\"\""), "base64 of nothing");
	tfr_json_base64(&b, "f", 1);
	ok(is(&b, "\"Zg==\""), "base64 f (RFC 4648)");
	tfr_json_base64(&b, "fo", 2);
	ok(is(&b, "\"Zm8=\""), "base64 fo");
	tfr_json_base64(&b, "foobar", 6);
	ok(is(&b, "\"Zm9vYmFy\""), "base64 foobar");
	tfr_json_float(&b, 3.14f);
	ok(is(&b, "3.14"), "shortest float 3.14");
	tfr_json_float(&b, 0.1f);
	ok(is(&b, "0.1"), "shortest float 0.1");
	tfr_json_float(&b, 16777216.0f);
	ok(is(&b, "16777216"), "2^24");
	tfr_json_float(&b, 1.0f / 0.0f);
	ok(is(&b, "\"Infinity\""), "infinity as a string");
	{
		struct tfr_buf c;

		tfr_buf_init(&c, 8);
		ok(tfr_buf_append(&c, "12345678", 8) == 0 && tfr_buf_append(&c, "9", 1) == TFR_ERR_LIMIT,
		   "a capped buffer refuses to grow past its cap");
		tfr_buf_release(&c);
	}
	tfr_buf_release(&b);
	return tap_done();
}
