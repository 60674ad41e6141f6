/*
 * example.h - tf.train.Example and SequenceExample coding.
 *
 * Decoding wraps protobuf-c (the generated code is included by example.c
 * only) and exposes plain read-only views.  Encoding builds an Example
 * from an array of feature specs in the given order, so the bytes depend
 * only on the inputs.  Thread-safe: no shared state.
 */
#ifndef TFR_EXAMPLE_H
#define TFR_EXAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"

enum tfr_payload_kind {
	TFR_PAYLOAD_EXAMPLE,
	TFR_PAYLOAD_SEQUENCE_EXAMPLE,
};

enum tfr_feature_kind {
	TFR_FEATURE_NONE = 0,  /* empty Feature{} */
	TFR_FEATURE_BYTES = 1,
	TFR_FEATURE_FLOAT = 2,
	TFR_FEATURE_INT64 = 3,
};

const char *tfr_feature_kind_name(enum tfr_feature_kind k);

struct tfr_bytes {
	size_t len;
	const unsigned char *data;
};

/* A read-only view of one feature; pointers live as long as the parse. */
struct tfr_feature_view {
	const char *key;
	enum tfr_feature_kind kind;
	size_t count;
	const struct tfr_bytes *bytes; /* kind BYTES (layout of ProtobufCBinaryData) */
	const float *floats;           /* kind FLOAT */
	const int64_t *ints;           /* kind INT64 */
};

struct tfr_example;

/*
 * Parse a record payload.  A payload with a non-empty feature_lists field
 * is a SequenceExample; otherwise it is an Example.  A payload that is
 * neither gives TFR_ERR_FORMAT (not an error of the framing).
 */
int tfr_example_parse(struct tfr_example **exp, const void *data,
		      size_t len, struct tfr_error *err);
void tfr_example_free(struct tfr_example *ex); /* ex may be NULL */

enum tfr_payload_kind tfr_example_kind(const struct tfr_example *ex);

/* Features of an Example, or the context of a SequenceExample. */
size_t tfr_example_nfeatures(const struct tfr_example *ex);
void tfr_example_feature(const struct tfr_example *ex, size_t i,
			 struct tfr_feature_view *v);

/* Feature lists of a SequenceExample (0 for an Example). */
size_t tfr_example_nlists(const struct tfr_example *ex);
/* Key of list i and its number of steps. */
const char *tfr_example_list(const struct tfr_example *ex, size_t i,
			     size_t *nsteps);
void tfr_example_list_step(const struct tfr_example *ex, size_t i,
			   size_t step, struct tfr_feature_view *v);

/* Find a feature by key; returns 1 and fills v, or 0. */
int tfr_example_find(const struct tfr_example *ex, const char *key,
		     struct tfr_feature_view *v);

/* One feature to encode.  Exactly one of bytes/floats/ints is used. */
struct tfr_feature_spec {
	const char *key;
	enum tfr_feature_kind kind;
	size_t count;
	const struct tfr_bytes *bytes;
	const float *floats;
	const int64_t *ints;
};

/* Exact encoded size of the Example built from specs. */
size_t tfr_example_size(const struct tfr_feature_spec *specs, size_t n);

/* Append the encoded Example to out (reset it first if needed). */
int tfr_example_encode(const struct tfr_feature_spec *specs, size_t n,
		       struct tfr_buf *out, struct tfr_error *err);

/*
 * The same, but a bytes value whose data is NULL (and len is not 0)
 * is left unwritten: its len bytes are reserved and *hole gets their
 * offset from the start of the Example, for the caller to fill.  With
 * several such values, *hole is the last one's.  hole may be NULL.
 */
int tfr_example_encode_at(const struct tfr_feature_spec *specs, size_t n,
			  struct tfr_buf *out, size_t *hole, struct tfr_error *err);

/* protobuf-c's encoding of the same Example: the reference that tests
 * hold the encoder above to, byte for byte. */
int tfr_example_encode_reference(const struct tfr_feature_spec *specs, size_t n,
				 struct tfr_buf *out, struct tfr_error *err);

#endif
