/*
 * tfrec.c - the stable C API of libtfrec.so (see tfrec.h).
 *
 * A thin layer over the library's crc32c module: it keeps the exported
 * names and types independent of src/lib, which may change, and it
 * frames from a caller's buffer instead of through struct tfr_reader,
 * whose file handling and compression a binding already has.
 */
#include "config.h"
#include "capi/tfrec.h"
#include "lib/format/crc32c.h"
#include "lib/readback/loader.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only the names in tfrec.h leave the shared library; the build passes
 * -fvisibility=hidden for everything else. */
#define TFREC_EXPORT __attribute__((visibility("default")))

TFREC_EXPORT int tfrec_api_version(void)
{
	return TFREC_API_VERSION;
}

TFREC_EXPORT uint32_t tfrec_crc32c(uint32_t crc, const void *buf, size_t len)
{
	return len ? tfr_crc32c_extend(crc, buf, len) : crc;
}

TFREC_EXPORT uint32_t tfrec_masked_crc32c(const void *buf, size_t len)
{
	return tfr_crc_mask(tfrec_crc32c(0, buf, len));
}

TFREC_EXPORT const char *tfrec_crc32c_impl(void)
{
	return tfr_crc32c_impl();
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

TFREC_EXPORT long tfrec_scan(const void *buf, size_t len, int flags,
			     uint64_t max_record, uint64_t *starts,
			     uint64_t *lengths, size_t cap, size_t *used,
			     uint64_t *need)
{
	const unsigned char *p = buf;
	size_t pos = 0;
	long n = 0;

	if ((!buf && len) || !used || (cap && (!starts || !lengths)))
		return TFREC_SCAN_BAD_ARG;
	if (max_record == 0)
		max_record = UINT64_C(1) << 30;
	if (need)
		*need = 0;
	while ((size_t)n < cap && len - pos >= 12) {
		const unsigned char *h = p + pos;
		uint64_t plen = get_le64(h);
		int bad = 0;

		if (tfr_masked_crc32c(h, 8) != get_le32(h + 8))
			bad = TFREC_SCAN_BAD_LENGTH_CRC;
		else if (plen > max_record)
			bad = TFREC_SCAN_TOO_LARGE;
		if (!bad && len - pos - 12 < plen + 4) {
			if (need)
				*need = plen + 16;
			break;
		}
		if (!bad && !(flags & TFREC_SCAN_SKIP_DATA_CRC) &&
		    tfrec_masked_crc32c(h + 12, plen) != get_le32(h + 12 + plen))
			bad = TFREC_SCAN_BAD_DATA_CRC;
		if (bad) {
			/* Good records first; the damage on the next call. */
			*used = pos;
			return n ? n : bad;
		}
		starts[n] = pos + 12;
		lengths[n] = plen;
		n++;
		pos += 16 + (size_t)plen;
	}
	if ((size_t)n < cap && len - pos > 0 && len - pos < 12 && need)
		*need = 12; /* a header cut short: read at least that much */
	*used = pos;
	return n;
}

/* ------------------------------------------------------------------ */
/* The loader: a translation of lib/loader.h into the stable structs.  */

#define HAS(s, ptr, field) ((ptr)->size >= offsetof(s, field) + sizeof((ptr)->field))

TFREC_EXPORT void tfrec_error_init(struct tfrec_error *e)
{
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->record = e->offset = UINT64_MAX;
}

TFREC_EXPORT void tfrec_loader_options_init(struct tfrec_loader_options *o)
{
	struct tfr_loader_opts d;

	tfr_loader_opts_default(&d);
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->batch_size = d.batch_size;
	o->threads = d.threads;
	o->shuffle = (int32_t)d.shuffle;
	o->shuffle_buffer = d.shuffle_buffer;
	o->world_size = d.world;
	o->label_key = d.label_key;
	o->dtype = TFREC_AS_STORED;
	o->layout = TFREC_AS_STORED;
	memcpy(o->scale, d.scale, sizeof(o->scale));
	memcpy(o->ratio, d.ratio, sizeof(o->ratio));
	o->std[0] = o->std[1] = o->std[2] = 1;
	o->prefetch = d.prefetch;
}

static int put_error(struct tfrec_error *out, const struct tfr_error *e, int rc)
{
	int n;

	if (!out || out->size < offsetof(struct tfrec_error, message))
		return rc;
	out->status = rc;
	out->record = e->record == TFR_NO_POS ? UINT64_MAX : e->record;
	out->offset = e->offset == TFR_NO_POS ? UINT64_MAX : e->offset;
	if (out->size < offsetof(struct tfrec_error, subject))
		return rc;
	/* Truncated to fit (a return value read keeps GCC from warning). */
	if (!e->subject[0])
		n = snprintf(out->message, sizeof(out->message), "%s", e->msg);
	else if (e->record == TFR_NO_POS)
		n = snprintf(out->message, sizeof(out->message), "%s: %s", e->subject, e->msg);
	else if (e->offset == TFR_NO_POS)
		n = snprintf(out->message, sizeof(out->message), "%s: record %llu: %s", e->subject,
			     (unsigned long long)e->record, e->msg);
	else
		n = snprintf(out->message, sizeof(out->message), "%s: record %llu at offset %llu: %s",
			     e->subject, (unsigned long long)e->record,
			     (unsigned long long)e->offset, e->msg);
	if (n < 0)
		out->message[0] = '\0';
	if (out->size >= sizeof(*out)) {
		snprintf(out->subject, sizeof(out->subject), "%s", e->subject);
		snprintf(out->reason, sizeof(out->reason), "%s", e->msg);
	}
	return rc;
}

/* The lock lets a binding release a batch from any thread (Python
 * drops the last view wherever the garbage goes), while next() runs in
 * another: every entry point below takes it.  next() never waits for a
 * release (it adds a slot when all are held), so holding it through a
 * fill cannot deadlock. */
struct tfrec_loader {
	struct tfr_loader *l;
	pthread_mutex_t mu;
};

struct held {
	struct tfrec_batch b;
	struct tfr_loader_batch *lb;
	struct tfrec_extra x[];
};

TFREC_EXPORT int tfrec_loader_open(struct tfrec_loader **out, const char *const *paths,
				   size_t npaths, const struct tfrec_loader_options *o,
				   struct tfrec_error *err)
{
	struct tfr_loader_opts d;
	struct tfr_error e;
	struct tfrec_loader *h;
	int rc;

	tfr_error_clear(&e);
	if (!out || !paths || !o || o->size < offsetof(struct tfrec_loader_options, max_record)) {
		tfr_error_set(&e, TFR_ERR_INVALID, "tfrec_loader_open: bad arguments");
		return put_error(err, &e, TFR_ERR_INVALID);
	}
	*out = NULL;
	tfr_loader_opts_default(&d);
	d.batch_size = o->batch_size;
	d.threads = o->threads;
	d.shuffle = (enum tfr_shuffle)o->shuffle;
	d.seed = o->seed;
	d.shuffle_buffer = o->shuffle_buffer;
	d.rank = o->rank;
	d.world = o->world_size;
	d.drop_last = o->drop_last;
	d.verify = (enum tfr_verify_mode)o->verify;
	d.image_key = o->image_key;
	d.label_key = o->label_key;
	d.keys = o->keys;
	d.nkeys = o->nkeys;
	d.num_classes = o->num_classes;
	d.dtype = o->dtype;
	d.layout = o->layout;
	d.norm = (enum tfr_norm_mode)o->norm;
	memcpy(d.mean, o->mean, sizeof(d.mean));
	memcpy(d.std, o->std, sizeof(d.std));
	d.rrc_h = o->rrc_h;
	d.rrc_w = o->rrc_w;
	memcpy(d.scale, o->scale, sizeof(d.scale));
	memcpy(d.ratio, o->ratio, sizeof(d.ratio));
	d.crop_h = o->crop_h;
	d.crop_w = o->crop_w;
	d.flip = o->flip;
	d.resize_h = o->resize_h;
	d.resize_w = o->resize_w;
	d.pad_resize = o->pad_resize;
	d.skip_errors = o->on_error_skip;
	d.prefetch = o->prefetch;
	if (HAS(struct tfrec_loader_options, o, max_record))
		d.max_record = o->max_record;
	if (d.dtype < TFREC_AS_STORED || d.dtype > TFREC_UINT8 || d.layout < TFREC_AS_STORED ||
	    d.layout > TFREC_CHW || o->verify < 0 || o->verify > TFREC_VERIFY_NONE ||
	    o->shuffle < 0 || o->shuffle > TFREC_SHUFFLE_FULL || (o->nkeys && !o->keys)) {
		tfr_error_set(&e, TFR_ERR_INVALID, "tfrec_loader_open: an option is out of range");
		return put_error(err, &e, TFR_ERR_INVALID);
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		tfr_error_set(&e, TFR_ERR_NOMEM, "out of memory");
		return put_error(err, &e, TFR_ERR_NOMEM);
	}
	rc = tfr_loader_open(&h->l, paths, npaths, &d, &e);
	if (rc) {
		free(h);
		return put_error(err, &e, rc);
	}
	pthread_mutex_init(&h->mu, NULL);
	*out = h;
	return 0;
}

TFREC_EXPORT uint64_t tfrec_loader_len(const struct tfrec_loader *l)
{
	return tfr_loader_len(l->l);
}

TFREC_EXPORT uint64_t tfrec_loader_records(const struct tfrec_loader *l)
{
	return tfr_loader_records(l->l);
}

TFREC_EXPORT uint64_t tfrec_loader_skipped(const struct tfrec_loader *l)
{
	return tfr_loader_skipped(l->l);
}

TFREC_EXPORT int tfrec_loader_set_epoch(struct tfrec_loader *l, uint64_t ep,
					struct tfrec_error *err)
{
	struct tfr_error e;
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = tfr_loader_set_epoch(l->l, ep, &e);
	pthread_mutex_unlock(&l->mu);
	return rc ? put_error(err, &e, rc) : 0;
}

TFREC_EXPORT void tfrec_loader_set_stride(struct tfrec_loader *l, uint64_t stride)
{
	pthread_mutex_lock(&l->mu);
	tfr_loader_set_stride(l->l, stride);
	pthread_mutex_unlock(&l->mu);
}

/* The caller's view of a batch of the library: one small header per
 * batch, never per record.  Called with l->mu held. */
static int wrap(struct tfrec_loader *l, struct tfr_loader_batch *b, struct tfrec_batch **batch,
		struct tfr_error *e)
{
	struct held *h = calloc(1, sizeof(*h) + b->nextras * sizeof(h->x[0]));

	if (!h) {
		tfr_loader_release(l->l, b);
		return tfr_error_set(e, TFR_ERR_NOMEM, "out of memory");
	}
	h->lb = b;
	h->b.size = sizeof(h->b);
	h->b.epoch = b->epoch;
	h->b.index = b->index;
	h->b.n = b->n;
	h->b.images = b->images;
	h->b.dtype = b->dtype;
	h->b.layout = b->layout;
	h->b.h = b->h;
	h->b.w = b->w;
	h->b.c = b->c;
	h->b.sizes = b->sizes;
	h->b.ids = b->ids;
	h->b.label_mode = b->label_mode;
	h->b.label_width = b->label_width;
	h->b.labels = b->labels;
	h->b.label_counts = b->label_counts;
	h->b.multi_hot = b->multi_hot;
	h->b.nextras = b->nextras;
	for (size_t i = 0; i < b->nextras; i++) {
		h->x[i].key = b->extras[i].key;
		h->x[i].kind = b->extras[i].kind;
		h->x[i].width = b->extras[i].width;
		h->x[i].counts = b->extras[i].counts;
		h->x[i].values = b->extras[i].values;
	}
	h->b.extras = h->x;
	h->b.priv = h;
	*batch = &h->b;
	return 0;
}

TFREC_EXPORT int tfrec_loader_next(struct tfrec_loader *l, struct tfrec_batch **batch,
				   struct tfrec_error *err)
{
	struct tfr_loader_batch *b;
	struct tfr_error e;
	int rc;

	*batch = NULL;
	tfr_error_clear(&e);
	pthread_mutex_lock(&l->mu);
	rc = tfr_loader_next(l->l, &b, &e);
	if (!rc)
		rc = wrap(l, b, batch, &e);
	pthread_mutex_unlock(&l->mu);
	if (rc == TFR_EOF)
		return 1;
	return rc ? put_error(err, &e, rc) : 0;
}

TFREC_EXPORT int tfrec_loader_read(struct tfrec_loader *l, uint64_t id, struct tfrec_batch **batch,
				   struct tfrec_error *err)
{
	struct tfr_loader_batch *b;
	struct tfr_error e;
	int rc;

	*batch = NULL;
	tfr_error_clear(&e);
	pthread_mutex_lock(&l->mu);
	rc = tfr_loader_read(l->l, id, &b, &e);
	if (!rc)
		rc = wrap(l, b, batch, &e);
	pthread_mutex_unlock(&l->mu);
	if (rc == TFR_EOF)
		return 1;
	return rc ? put_error(err, &e, rc) : 0;
}

TFREC_EXPORT void tfrec_loader_release(struct tfrec_loader *l, struct tfrec_batch *batch)
{
	struct held *h;

	if (!l || !batch)
		return;
	h = batch->priv;
	pthread_mutex_lock(&l->mu);
	tfr_loader_release(l->l, h->lb);
	pthread_mutex_unlock(&l->mu);
	free(h);
}

TFREC_EXPORT void tfrec_loader_state_get(const struct tfrec_loader *l,
					 struct tfrec_loader_state *s)
{
	const struct tfr_plan_params *p = tfr_loader_plan(l->l);
	uint32_t size = s->size;

	if (size < sizeof(*s))
		return; /* version 1 of the state is all or nothing */
	pthread_mutex_lock((pthread_mutex_t *)&l->mu);
	memset(s, 0, sizeof(*s));
	s->size = size;
	s->version = 1;
	s->epoch = tfr_loader_epoch(l->l);
	s->batch = tfr_loader_batch_pos(l->l);
	tfr_loader_digest(l->l, s->plan);
	s->records = tfr_loader_records(l->l);
	s->shards = p->nshards;
	s->seed = p->seed;
	s->rank = p->rank;
	s->world_size = p->world;
	s->batch_size = p->batch_size;
	s->shuffle = (uint64_t)p->shuffle;
	s->shuffle_buffer = p->buffer;
	s->drop_last = (uint64_t)p->drop_last;
	pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
}

TFREC_EXPORT int tfrec_loader_state_set(struct tfrec_loader *l,
					const struct tfrec_loader_state *s,
					struct tfrec_error *err)
{
	struct tfrec_loader_state now = { .size = sizeof(now) };
	struct tfr_error e;
	int rc;
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "records", offsetof(struct tfrec_loader_state, records) },
		{ "shards", offsetof(struct tfrec_loader_state, shards) },
		{ "seed", offsetof(struct tfrec_loader_state, seed) },
		{ "rank", offsetof(struct tfrec_loader_state, rank) },
		{ "world_size", offsetof(struct tfrec_loader_state, world_size) },
		{ "batch_size", offsetof(struct tfrec_loader_state, batch_size) },
		{ "shuffle", offsetof(struct tfrec_loader_state, shuffle) },
		{ "shuffle_buffer", offsetof(struct tfrec_loader_state, shuffle_buffer) },
		{ "drop_last", offsetof(struct tfrec_loader_state, drop_last) },
	};

	tfr_error_clear(&e);
	if (!s || s->size < sizeof(*s) || s->version != 1) {
		tfr_error_set(&e, TFR_ERR_INVALID, "loader state: unknown version");
		return put_error(err, &e, TFR_ERR_INVALID);
	}
	tfrec_loader_state_get(l, &now);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint64_t a, b;

		memcpy(&a, (const char *)s + f[i].off, 8);
		memcpy(&b, (const char *)&now + f[i].off, 8);
		if (a != b) {
			tfr_error_set(&e, TFR_ERR_INVALID,
				      "loader state: the plan differs: %s was %llu, is %llu",
				      f[i].name, (unsigned long long)a, (unsigned long long)b);
			return put_error(err, &e, TFR_ERR_INVALID);
		}
	}
	if (strncmp(s->plan, now.plan, sizeof(now.plan))) {
		tfr_error_set(&e, TFR_ERR_INVALID,
			      "loader state: the plan differs (digest %.16s, is %.16s): "
			      "the shards' record counts changed", s->plan, now.plan);
		return put_error(err, &e, TFR_ERR_INVALID);
	}
	pthread_mutex_lock(&l->mu);
	rc = tfr_loader_seek(l->l, s->epoch, s->batch, &e);
	pthread_mutex_unlock(&l->mu);
	return rc ? put_error(err, &e, rc) : 0;
}

TFREC_EXPORT void tfrec_loader_close(struct tfrec_loader *l)
{
	if (!l)
		return;
	tfr_loader_close(l->l);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
