/*
 * example.c - Example coding; see example.h.  Parsing goes through
 * protobuf-c, and so does the reference encoder; the record writer's
 * encoder is hand-made (see "encoder" below for why).  This is the only
 * file that includes the generated example.pb-c.h.
 */
#include "config.h"
#include "format/example.h"
#include "format/example.pb-c.h"

#include <stdlib.h>
#include <string.h>

/* struct tfr_bytes must match ProtobufCBinaryData, because views point
 * straight into protobuf-c's arrays. */
_Static_assert(sizeof(struct tfr_bytes) == sizeof(ProtobufCBinaryData),
	       "tfr_bytes layout");
_Static_assert(offsetof(struct tfr_bytes, data) == offsetof(ProtobufCBinaryData, data),
	       "tfr_bytes layout");

struct tfr_example {
	enum tfr_payload_kind kind;
	Tfrec__SequenceExample *seq; /* always parsed this way */
};

const char *tfr_feature_kind_name(enum tfr_feature_kind k)
{
	switch (k) {
	case TFR_FEATURE_NONE: return "empty";
	case TFR_FEATURE_BYTES: return "bytes";
	case TFR_FEATURE_FLOAT: return "float";
	case TFR_FEATURE_INT64: return "int64";
	}
	return "?";
}

int tfr_example_parse(struct tfr_example **exp, const void *data,
		      size_t len, struct tfr_error *err)
{
	struct tfr_example *ex;
	Tfrec__SequenceExample *seq;

	*exp = NULL;
	/* Example{features=1} and SequenceExample{context=1} share field 1,
	 * so one parse as SequenceExample reads both. */
	seq = tfrec__sequence_example__unpack(NULL, len, data);
	if (!seq)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "payload is not a tf.train.Example");
	ex = malloc(sizeof(*ex));
	if (!ex) {
		tfrec__sequence_example__free_unpacked(seq, NULL);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	ex->seq = seq;
	ex->kind = seq->feature_lists ? TFR_PAYLOAD_SEQUENCE_EXAMPLE
				      : TFR_PAYLOAD_EXAMPLE;
	*exp = ex;
	return TFR_OK;
}

void tfr_example_free(struct tfr_example *ex)
{
	if (!ex)
		return;
	tfrec__sequence_example__free_unpacked(ex->seq, NULL);
	free(ex);
}

enum tfr_payload_kind tfr_example_kind(const struct tfr_example *ex)
{
	return ex->kind;
}

static void view_of(const Tfrec__Feature *f, const char *key,
		    struct tfr_feature_view *v)
{
	memset(v, 0, sizeof(*v));
	v->key = key;
	if (!f)
		return;
	switch (f->kind_case) {
	case TFREC__FEATURE__KIND_BYTES_LIST:
		v->kind = TFR_FEATURE_BYTES;
		v->count = f->bytes_list->n_value;
		v->bytes = (const struct tfr_bytes *)f->bytes_list->value;
		break;
	case TFREC__FEATURE__KIND_FLOAT_LIST:
		v->kind = TFR_FEATURE_FLOAT;
		v->count = f->float_list->n_value;
		v->floats = f->float_list->value;
		break;
	case TFREC__FEATURE__KIND_INT64_LIST:
		v->kind = TFR_FEATURE_INT64;
		v->count = f->int64_list->n_value;
		v->ints = f->int64_list->value;
		break;
	default:
		break;
	}
}

size_t tfr_example_nfeatures(const struct tfr_example *ex)
{
	return ex->seq->context ? ex->seq->context->n_feature : 0;
}

void tfr_example_feature(const struct tfr_example *ex, size_t i,
			 struct tfr_feature_view *v)
{
	const Tfrec__FeatureEntry *e = ex->seq->context->feature[i];

	view_of(e->value, e->key, v);
}

int tfr_example_find(const struct tfr_example *ex, const char *key,
		     struct tfr_feature_view *v)
{
	size_t i, n = tfr_example_nfeatures(ex);

	/* Protobuf map semantics: the last entry with a key wins. */
	for (i = n; i-- > 0;) {
		if (!strcmp(ex->seq->context->feature[i]->key, key)) {
			tfr_example_feature(ex, i, v);
			return 1;
		}
	}
	return 0;
}

size_t tfr_example_nlists(const struct tfr_example *ex)
{
	return ex->seq->feature_lists ? ex->seq->feature_lists->n_feature_list : 0;
}

const char *tfr_example_list(const struct tfr_example *ex, size_t i,
			     size_t *nsteps)
{
	const Tfrec__FeatureListEntry *e = ex->seq->feature_lists->feature_list[i];

	*nsteps = e->value ? e->value->n_feature : 0;
	return e->key;
}

void tfr_example_list_step(const struct tfr_example *ex, size_t i,
			   size_t step, struct tfr_feature_view *v)
{
	const Tfrec__FeatureListEntry *e = ex->seq->feature_lists->feature_list[i];

	view_of(e->value->feature[step], e->key, v);
}

/*
 * Build the protobuf-c message tree on the heap (a handful of small
 * allocations per record).  The value arrays are borrowed, not copied.
 */
struct built {
	Tfrec__Example ex;
	Tfrec__Features features;
	Tfrec__FeatureEntry *entries;
	Tfrec__FeatureEntry **entry_ptrs;
	Tfrec__Feature *feats;
	Tfrec__BytesList *bl;
	Tfrec__FloatList *fl;
	Tfrec__Int64List *il;
};

static void built_release(struct built *b)
{
	free(b->entries);
	free(b->entry_ptrs);
	free(b->feats);
	free(b->bl);
	free(b->fl);
	free(b->il);
}

static int build(struct built *b, const struct tfr_feature_spec *s, size_t n)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	tfrec__example__init(&b->ex);
	tfrec__features__init(&b->features);
	b->entries = calloc(n ? n : 1, sizeof(*b->entries));
	b->entry_ptrs = calloc(n ? n : 1, sizeof(*b->entry_ptrs));
	b->feats = calloc(n ? n : 1, sizeof(*b->feats));
	b->bl = calloc(n ? n : 1, sizeof(*b->bl));
	b->fl = calloc(n ? n : 1, sizeof(*b->fl));
	b->il = calloc(n ? n : 1, sizeof(*b->il));
	if (!b->entries || !b->entry_ptrs || !b->feats || !b->bl || !b->fl || !b->il) {
		built_release(b);
		return TFR_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		Tfrec__Feature *f = &b->feats[i];

		tfrec__feature_entry__init(&b->entries[i]);
		tfrec__feature__init(f);
		b->entries[i].key = (char *)(uintptr_t)s[i].key;
		b->entries[i].value = f;
		b->entry_ptrs[i] = &b->entries[i];
		switch (s[i].kind) {
		case TFR_FEATURE_BYTES:
			tfrec__bytes_list__init(&b->bl[i]);
			b->bl[i].n_value = s[i].count;
			b->bl[i].value = (ProtobufCBinaryData *)(uintptr_t)s[i].bytes;
			f->kind_case = TFREC__FEATURE__KIND_BYTES_LIST;
			f->bytes_list = &b->bl[i];
			break;
		case TFR_FEATURE_FLOAT:
			tfrec__float_list__init(&b->fl[i]);
			b->fl[i].n_value = s[i].count;
			b->fl[i].value = (float *)(uintptr_t)s[i].floats;
			f->kind_case = TFREC__FEATURE__KIND_FLOAT_LIST;
			f->float_list = &b->fl[i];
			break;
		case TFR_FEATURE_INT64:
			tfrec__int64_list__init(&b->il[i]);
			b->il[i].n_value = s[i].count;
			b->il[i].value = (int64_t *)(uintptr_t)s[i].ints;
			f->kind_case = TFREC__FEATURE__KIND_INT64_LIST;
			f->int64_list = &b->il[i];
			break;
		case TFR_FEATURE_NONE:
			break;
		}
	}
	b->features.n_feature = n;
	b->features.feature = b->entry_ptrs;
	b->ex.features = &b->features;
	return TFR_OK;
}

int tfr_example_encode_reference(const struct tfr_feature_spec *specs, size_t n,
				 struct tfr_buf *out, struct tfr_error *err)
{
	struct built b;
	size_t sz;
	int rc;

	if (build(&b, specs, n))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	sz = tfrec__example__get_packed_size(&b.ex);
	rc = tfr_buf_reserve(out, sz);
	if (rc) {
		built_release(&b);
		return tfr_error_set(err, rc, "example of %zu bytes is too large", sz);
	}
	tfrec__example__pack(&b.ex, out->data + out->len);
	out->len += sz;
	built_release(&b);
	return TFR_OK;
}

/* ------------------------------------------------------------ encoder */

/*
 * The writer is hand-made, on purpose: protobuf-c packs from values in
 * memory, so a 300 KB tensor would be produced in one buffer and copied
 * into the record.  Writing the headers around a reserved span lets the
 * caller put the tensor straight into its final place (see
 * tfr_example_encode_at).  The bytes equal protobuf-c's for every input:
 * unit-example and fuzz-example compare the two (tfr_example_encode_reference).
 *
 * Wire format (proto3, field numbers from example.proto): Example{1:
 * Features{1: repeated FeatureEntry{1: key (omitted when empty), 2:
 * Feature{oneof 1: BytesList{1: repeated bytes}, 2: FloatList{1: packed
 * float}, 3: Int64List{1: packed int64}}}}}.  A set oneof member and a
 * present sub-message are written even when empty; an empty packed list
 * is not written at all.
 */
static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* Tag byte and length prefix, then the body of that length. */
static size_t field_size(size_t body)
{
	return 1 + varint_size(body) + body;
}

static unsigned char *put_header(unsigned char *p, unsigned tag, size_t body)
{
	*p++ = (unsigned char)tag;
	return put_varint(p, body);
}

/* The nested sizes of one feature's map entry, each computed once. */
struct sizes {
	size_t key;     /* bytes of the key */
	size_t packed;  /* payload of a packed float or int64 list */
	size_t list;    /* the BytesList/FloatList/Int64List message */
	size_t feature; /* the Feature message */
	size_t entry;   /* the FeatureEntry message */
};

static void sizes_of(const struct tfr_feature_spec *f, struct sizes *z)
{
	size_t i;

	z->key = f->key ? strlen(f->key) : 0;
	z->packed = z->list = 0;
	switch (f->kind) {
	case TFR_FEATURE_BYTES:
		for (i = 0; i < f->count; i++)
			z->list += field_size(f->bytes[i].len);
		break;
	case TFR_FEATURE_FLOAT:
		z->packed = 4 * f->count;
		break;
	case TFR_FEATURE_INT64:
		for (i = 0; i < f->count; i++)
			z->packed += varint_size((uint64_t)f->ints[i]);
		break;
	case TFR_FEATURE_NONE:
		break;
	}
	if (z->packed)
		z->list = field_size(z->packed);
	z->feature = f->kind == TFR_FEATURE_NONE ? 0 : field_size(z->list);
	z->entry = (z->key ? field_size(z->key) : 0) + field_size(z->feature);
}

static size_t features_size(const struct tfr_feature_spec *specs, size_t n)
{
	struct sizes z;
	size_t i, sz = 0;

	for (i = 0; i < n; i++) {
		sizes_of(&specs[i], &z);
		sz += field_size(z.entry);
	}
	return sz;
}

size_t tfr_example_size(const struct tfr_feature_spec *specs, size_t n)
{
	return field_size(features_size(specs, n));
}

/* Bytes whose data is NULL are left unwritten; their offset (from p0)
 * goes to *hole. */
static unsigned char *put_feature(unsigned char *p, const unsigned char *p0,
				  const struct tfr_feature_spec *f, size_t *hole)
{
	static const unsigned tags[] = { 0, 0x0a, 0x12, 0x1a }; /* by kind */
	struct sizes z;
	size_t i;

	sizes_of(f, &z);
	p = put_header(p, 0x0a, z.entry);
	if (z.key) {
		p = put_header(p, 0x0a, z.key);
		memcpy(p, f->key, z.key);
		p += z.key;
	}
	p = put_header(p, 0x12, z.feature);
	if (f->kind == TFR_FEATURE_NONE)
		return p;
	p = put_header(p, tags[f->kind], z.list);
	if (z.packed)
		p = put_header(p, 0x0a, z.packed);
	switch (f->kind) {
	case TFR_FEATURE_BYTES:
		for (i = 0; i < f->count; i++) {
			p = put_header(p, 0x0a, f->bytes[i].len);
			if (f->bytes[i].data)
				memcpy(p, f->bytes[i].data, f->bytes[i].len);
			else if (hole)
				*hole = (size_t)(p - p0);
			p += f->bytes[i].len;
		}
		break;
	case TFR_FEATURE_FLOAT:
		for (i = 0; i < f->count; i++) {
			uint32_t u;

			memcpy(&u, &f->floats[i], 4);
			p[0] = (unsigned char)u; /* little-endian on the wire */
			p[1] = (unsigned char)(u >> 8);
			p[2] = (unsigned char)(u >> 16);
			p[3] = (unsigned char)(u >> 24);
			p += 4;
		}
		break;
	case TFR_FEATURE_INT64:
		for (i = 0; i < f->count; i++)
			p = put_varint(p, (uint64_t)f->ints[i]);
		break;
	case TFR_FEATURE_NONE:
		break;
	}
	return p;
}

int tfr_example_encode_at(const struct tfr_feature_spec *specs, size_t n,
			  struct tfr_buf *out, size_t *hole, struct tfr_error *err)
{
	size_t i, body = features_size(specs, n), sz = field_size(body);
	unsigned char *p, *p0;
	int rc;

	rc = tfr_buf_reserve(out, sz);
	if (rc)
		return tfr_error_set(err, rc, "example of %zu bytes is too large", sz);
	p0 = out->data + out->len;
	p = put_header(p0, 0x0a, body);
	for (i = 0; i < n; i++)
		p = put_feature(p, p0, &specs[i], hole);
	if ((size_t)(p - p0) != sz) /* the two passes disagree: a bug here */
		return tfr_error_set(err, TFR_ERR_INVALID, "example size mismatch");
	out->len += sz;
	return TFR_OK;
}

int tfr_example_encode(const struct tfr_feature_spec *specs, size_t n,
		       struct tfr_buf *out, struct tfr_error *err)
{
	size_t i, k;

	for (i = 0; i < n; i++) /* holes are for tfr_example_encode_at */
		if (specs[i].kind == TFR_FEATURE_BYTES)
			for (k = 0; k < specs[i].count; k++)
				if (!specs[i].bytes[k].data && specs[i].bytes[k].len)
					return tfr_error_set(err, TFR_ERR_INVALID,
							     "bytes without data");
	return tfr_example_encode_at(specs, n, out, NULL, err);
}
