/* unit-example.c - Example encode/decode, SequenceExample, non-Examples. */
#include "config.h"
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/format/example.h"

/*
 * The hand-made encoder against protobuf-c's, byte for byte, over random
 * Examples: every kind, empty and long lists, empty keys, negative and
 * huge ints, special floats, values past 127 bytes (two-byte lengths).
 */
static void against_protobuf_c(void)
{
	static char keys[8][40];
	static int64_t ints[300];
	static float floats[300];
	static unsigned char blob[70000];
	static struct tfr_bytes bytes[8];
	struct tfr_feature_spec specs[8];
	struct tfr_buf a, b;
	uint64_t r = 88172645463325252u;
	unsigned same = 0, total = 500, t;
	size_t i, k, n;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char)(i * 7);
	tfr_buf_init(&a, 0);
	tfr_buf_init(&b, 0);
	for (t = 0; t < total; t++) {
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
		n = RND() % 8;
		for (i = 0; i < n; i++) {
			size_t kl = RND() % 3 == 0 ? 0 : RND() % 39;

			for (k = 0; k < kl; k++)
				keys[i][k] = (char)('a' + RND() % 26);
			keys[i][kl] = 0;
			memset(&specs[i], 0, sizeof(specs[i]));
			specs[i].key = keys[i];
			specs[i].kind = (enum tfr_feature_kind)(RND() % 4);
			specs[i].count = RND() % 4 == 0 ? 0 : RND() % 300;
			switch (specs[i].kind) {
			case TFR_FEATURE_BYTES:
				specs[i].count %= 8;
				specs[i].bytes = bytes;
				break;
			case TFR_FEATURE_FLOAT:
				specs[i].floats = floats;
				break;
			case TFR_FEATURE_INT64:
				specs[i].ints = ints;
				break;
			case TFR_FEATURE_NONE:
				specs[i].count = 0;
				break;
			}
		}
		for (i = 0; i < 300; i++) {
			uint64_t v = RND();

			ints[i] = (int64_t)(v >> (v % 64));
			if (v & 1)
				ints[i] = -ints[i];
			memcpy(&floats[i], &v, 4);
		}
		for (i = 0; i < 8; i++) {
			bytes[i].len = RND() % 2 ? RND() % 200 : RND() % sizeof(blob);
			bytes[i].data = blob + RND() % (sizeof(blob) - bytes[i].len + 1);
		}
#undef RND
		a.len = b.len = 0;
		if (tfr_example_encode(specs, n, &a, NULL) == 0 &&
		    tfr_example_encode_reference(specs, n, &b, NULL) == 0 &&
		    a.len == b.len && a.len == tfr_example_size(specs, n) &&
		    !memcmp(a.data, b.data, a.len))
			same++;
	}
	ok(same == total, "the encoder writes protobuf-c's bytes (%u of %u Examples)",
	   same, total);

	/* A reserved span: the same bytes once filled in. */
	{
		static const unsigned char px[5] = { 1, 2, 3, 4, 5 };
		struct tfr_bytes full = { 5, px }, open = { 5, NULL };
		struct tfr_feature_spec two[2] = {
			{ .key = "raw", .kind = TFR_FEATURE_BYTES, .count = 1, .bytes = &open },
			{ .key = "n", .kind = TFR_FEATURE_INT64, .count = 1, .ints = ints },
		};
		size_t at = 0;
		int rc; /* the data starts after 15 bytes of headers and key */

		a.len = b.len = 0;
		ok(tfr_example_encode(two, 2, &a, NULL) == TFR_ERR_INVALID,
		   "bytes without data need tfr_example_encode_at");
		rc = tfr_example_encode_at(two, 2, &a, &at, NULL);
		ok(rc == 0 && at == 15 && at + 5 <= a.len, "encode with a hole at %zu", at);
		memcpy(a.data + at, px, 5);
		two[0].bytes = &full;
		tfr_example_encode_reference(two, 2, &b, NULL);
		ok(a.len == b.len && !memcmp(a.data, b.data, a.len),
		   "filled hole equals the whole encoding");
	}
	tfr_buf_release(&a);
	tfr_buf_release(&b);
}

int main(void)
{
	int64_t ints[3] = { -1, 0, INT64_MAX };
	float floats[2] = { 1.5f, -0.0f };
	struct tfr_bytes bytes[2] = { { 3, (const unsigned char *)"abc" },
				      { 0, (const unsigned char *)"" } };
	struct tfr_feature_spec specs[] = {
		{ .key = "i", .kind = TFR_FEATURE_INT64, .count = 3, .ints = ints },
		{ .key = "f", .kind = TFR_FEATURE_FLOAT, .count = 2, .floats = floats },
		{ .key = "b", .kind = TFR_FEATURE_BYTES, .count = 2, .bytes = bytes },
		{ .key = "e", .kind = TFR_FEATURE_NONE },
	};
	/* Example{features{feature{key:"a" value{int64_list{value:[1]}}}}},
	 * encoded by hand from the protobuf wire format. */
	static const unsigned char known[] = {
		0x0a, 0x0d, 0x0a, 0x0b, 0x0a, 0x01, 'a', 0x12, 0x06, 0x1a, 0x04,
		0x0a, 0x02, 0x01, 0x00
	};
	struct tfr_feature_spec one = { .key = "a", .kind = TFR_FEATURE_INT64,
					.count = 1, .ints = ints + 1 };
	struct tfr_buf b;
	struct tfr_example *ex;
	struct tfr_feature_view v;
	int64_t one_val = 1;

	tfr_buf_init(&b, 0);
	ok(tfr_example_encode(specs, 4, &b, NULL) == 0, "encode");
	ok(b.len == tfr_example_size(specs, 4), "size prediction is exact (%zu)", b.len);
	ok(tfr_example_parse(&ex, b.data, b.len, NULL) == 0, "parse back");
	ok(tfr_example_kind(ex) == TFR_PAYLOAD_EXAMPLE, "is an Example");
	ok(tfr_example_nfeatures(ex) == 4, "4 features");
	ok(tfr_example_find(ex, "i", &v) && v.kind == TFR_FEATURE_INT64 &&
	   v.count == 3 && v.ints[2] == INT64_MAX && v.ints[0] == -1, "int64 values");
	ok(tfr_example_find(ex, "f", &v) && v.kind == TFR_FEATURE_FLOAT &&
	   v.count == 2 && v.floats[0] == 1.5f, "float values");
	ok(tfr_example_find(ex, "b", &v) && v.kind == TFR_FEATURE_BYTES &&
	   v.count == 2 && v.bytes[0].len == 3 && !memcmp(v.bytes[0].data, "abc", 3) &&
	   v.bytes[1].len == 0, "bytes values");
	ok(tfr_example_find(ex, "e", &v) && v.kind == TFR_FEATURE_NONE, "empty Feature{}");
	ok(!tfr_example_find(ex, "zz", &v), "missing key");
	tfr_example_free(ex);

	one.ints = &one_val;
	b.len = 0;
	tfr_example_encode(&one, 1, &b, NULL);
	{
		static const unsigned char want[] = {
			0x0a, 0x0c, 0x0a, 0x0a, 0x0a, 0x01, 'a', 0x12, 0x05, 0x1a,
			0x03, 0x0a, 0x01, 0x01
		};

		ok(b.len == sizeof(want) && !memcmp(b.data, want, sizeof(want)),
		   "wire bytes match the protobuf encoding of {a: int64 [1]}");
	}
	ok(tfr_example_parse(&ex, known, sizeof(known), NULL) == 0,
	   "parses an Example with a two-value packed list");
	if (ex) {
		ok(tfr_example_find(ex, "a", &v) && v.count == 2 && v.ints[0] == 1 &&
		   v.ints[1] == 0, "values [1, 0]");
		tfr_example_free(ex);
	}
	ok(tfr_example_parse(&ex, "foo", 3, NULL) == TFR_ERR_FORMAT,
	   "b\"foo\" is not an Example");
	ok(tfr_example_parse(&ex, "bar", 3, NULL) == TFR_ERR_FORMAT,
	   "b\"bar\" is not an Example");
	ok(tfr_example_parse(&ex, "", 0, NULL) == 0 && tfr_example_nfeatures(ex) == 0,
	   "empty payload is an empty Example");
	tfr_example_free(ex);
	{
		/* SequenceExample{context{}, feature_lists{feature_list{key:"s"
		 * value{feature{int64_list{value:[7]}}}}}} */
		static const unsigned char seq[] = {
			0x0a, 0x00, 0x12, 0x0e, 0x0a, 0x0c, 0x0a, 0x01, 's', 0x12, 0x07,
			0x0a, 0x05, 0x1a, 0x03, 0x0a, 0x01, 0x07
		};
		size_t steps;

		ok(tfr_example_parse(&ex, seq, sizeof(seq), NULL) == 0 &&
		   tfr_example_kind(ex) == TFR_PAYLOAD_SEQUENCE_EXAMPLE,
		   "SequenceExample recognised");
		if (ex) {
			ok(tfr_example_nlists(ex) == 1 &&
			   !strcmp(tfr_example_list(ex, 0, &steps), "s") && steps == 1,
			   "one feature list with one step");
			tfr_example_list_step(ex, 0, 0, &v);
			ok(v.kind == TFR_FEATURE_INT64 && v.count == 1 && v.ints[0] == 7,
			   "step value 7");
			tfr_example_free(ex);
		}
	}
	tfr_buf_release(&b);
	against_protobuf_c();
	return tap_done();
}
