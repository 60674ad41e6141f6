/*
 * fuzz-example.c - libFuzzer target: the Example/SequenceExample parser
 * and every view over what it returns, then a re-encode of the parsed
 * features, which must parse again and equal protobuf-c's encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/format/example.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tfr_example *ex, *again;
	struct tfr_feature_view v;
	struct tfr_feature_spec *specs;
	struct tfr_buf b, ref;
	size_t i, n, nl, steps, s;
	volatile uint64_t sink = 0;

	if (tfr_example_parse(&ex, data, size, NULL))
		return 0;
	n = tfr_example_nfeatures(ex);
	nl = tfr_example_nlists(ex);
	specs = calloc(n ? n : 1, sizeof(*specs));
	if (!specs)
		abort();
	for (i = 0; i < n; i++) {
		tfr_example_feature(ex, i, &v);
		sink += strlen(v.key) + v.count;
		if (v.kind == TFR_FEATURE_BYTES && v.count)
			sink += v.bytes[v.count - 1].len;
		specs[i].key = v.key;
		specs[i].kind = v.kind;
		specs[i].count = v.count;
		specs[i].bytes = v.bytes;
		specs[i].floats = v.floats;
		specs[i].ints = v.ints;
	}
	for (i = 0; i < nl; i++) {
		tfr_example_list(ex, i, &steps);
		for (s = 0; s < steps; s++) {
			tfr_example_list_step(ex, i, s, &v);
			sink += v.count;
		}
	}
	tfr_buf_init(&b, 0);
	if (tfr_example_encode(specs, n, &b, NULL) == TFR_OK) {
		if (b.len != tfr_example_size(specs, n))
			abort();
		if (tfr_example_parse(&again, b.data, b.len, NULL) != TFR_OK)
			abort();
		if (tfr_example_nfeatures(again) != n)
			abort();
		tfr_example_free(again);
		tfr_buf_init(&ref, 0);
		if (tfr_example_encode_reference(specs, n, &ref, NULL) != TFR_OK ||
		    ref.len != b.len || memcmp(ref.data, b.data, b.len))
			abort();
		tfr_buf_release(&ref);
	}
	tfr_buf_release(&b);
	free(specs);
	tfr_example_free(ex);
	return 0;
}
