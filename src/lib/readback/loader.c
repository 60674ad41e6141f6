/*
 * loader.c - shards to batches (see loader.h).
 *
 * A batch is a slot in a ring of slots that are reused.  Filling a slot
 * takes up to three pool jobs, chained by on_done (parallel.h): R reads
 * the batch's records from compressed shards in one thread and in order
 * (a GZIP/ZLIB stream cannot seek); A reads the records of plain shards
 * (one pread each, straight into the slot), checks the CRCs and finds the
 * features; then the batch's shape is fixed and B writes each record's
 * pixels into its position (copy and convert, or decode and augment).
 */
#include "config.h"
#include "readback/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <pthread.h>

#include "pixels/augment.h"
#include "base/buf.h"
#include "format/crc32c.h"
#include "pixels/f16.h"
#include "image/image.h"
#include "base/parallel.h"
#include "format/record.h"

/* ------------------------------------------------------------------ */
/* The plan: the spec's RNG.                                           */

#define GOLDEN UINT64_C(0x9E3779B97F4A7C15)

uint64_t tfr_plan_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

uint64_t tfr_plan_key(const uint64_t *v, size_t k)
{
	uint64_t s = UINT64_C(0x6A09E667F3BCC909);

	for (size_t i = 0; i < k; i++)
		s = tfr_plan_mix64((s ^ v[i]) + GOLDEN);
	return s;
}

uint64_t tfr_plan_next(uint64_t *state)
{
	*state += GOLDEN;
	return tfr_plan_mix64(*state);
}

uint64_t tfr_plan_below(uint64_t *state, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)tfr_plan_next(state) * n) >> 64);
}

void tfr_plan_permute(uint64_t *a, size_t n, uint64_t *state)
{
	for (size_t i = n; i-- > 1;) {
		uint64_t j = tfr_plan_below(state, i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static uint64_t total_of(const struct tfr_plan_params *p)
{
	uint64_t n = 0;

	for (size_t s = 0; s < p->nshards; s++)
		n += p->counts[s];
	return n;
}

uint64_t tfr_plan_rank_len(const struct tfr_plan_params *p)
{
	uint64_t n = total_of(p);

	return p->drop_last ? n / p->world : (n + p->world - 1) / p->world;
}

uint64_t tfr_plan_batches(const struct tfr_plan_params *p)
{
	uint64_t n = tfr_plan_rank_len(p);

	return p->drop_last ? n / p->batch_size : (n + p->batch_size - 1) / p->batch_size;
}

int tfr_plan_rank_ids(const struct tfr_plan_params *p, uint64_t *ids,
		      struct tfr_error *err)
{
	uint64_t N = total_of(p), n = tfr_plan_rank_len(p), *perm = NULL, *first = NULL;
	uint64_t *order = NULL;
	size_t S = p->nshards;

	if (n == 0)
		return TFR_OK;
	if (p->shuffle == TFR_SHUFFLE_FULL) {
		uint64_t v[3] = { p->seed, p->epoch, TFR_TAG_PERM }, st = tfr_plan_key(v, 3);

		perm = malloc(N * sizeof(*perm));
		if (!perm)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for the plan of %llu records",
					     (unsigned long long)N);
		for (uint64_t i = 0; i < N; i++)
			perm[i] = i;
		tfr_plan_permute(perm, N, &st);
	} else {
		/* stream position -> id through the (maybe permuted) shards */
		order = malloc(S * sizeof(*order));
		first = malloc(S * sizeof(*first));
		if (!order || !first) {
			free(order);
			free(first);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		for (size_t s = 0; s < S; s++)
			order[s] = s;
		if (p->shuffle == TFR_SHUFFLE_BUFFER) {
			uint64_t v[3] = { p->seed, p->epoch, TFR_TAG_SHARDS }, st = tfr_plan_key(v, 3);

			tfr_plan_permute(order, S, &st);
		}
		first[0] = 0;
		for (size_t s = 1; s < S; s++)
			first[s] = first[s - 1] + p->counts[s - 1];
	}
	/* The rank's slice, walking the stream once (positions wrap). */
	{
		uint64_t pos = (p->rank * n) % N, s = 0, in = 0;

		if (!perm) {
			uint64_t q = pos;

			while (q >= p->counts[order[s]]) {
				q -= p->counts[order[s]];
				s++;
			}
			in = q;
		}
		for (uint64_t t = 0; t < n; t++) {
			if (perm) {
				ids[t] = perm[pos];
			} else {
				while (in >= p->counts[order[s]]) {
					in = 0;
					s = (s + 1) % S;
				}
				ids[t] = first[order[s]] + in;
				in++;
			}
			if (++pos == N) {
				pos = 0;
				s = 0;
				in = 0;
			}
		}
	}
	free(perm);
	free(order);
	free(first);
	if (p->shuffle == TFR_SHUFFLE_BUFFER && p->buffer >= 2) {
		uint64_t v[4] = { p->seed, p->epoch, p->rank, TFR_TAG_BUFFER };
		uint64_t st = tfr_plan_key(v, 4), B = p->buffer, nb = 0, out = 0;
		uint64_t *buf = malloc((B < n ? B : n) * sizeof(*buf));

		if (!buf)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		/* out never passes the read position: in place is safe */
		for (uint64_t t = 0; t < n; t++) {
			uint64_t id = ids[t];

			if (nb < B) {
				buf[nb++] = id;
			} else {
				uint64_t j = tfr_plan_below(&st, B);

				ids[out++] = buf[j];
				buf[j] = id;
			}
		}
		tfr_plan_permute(buf, nb, &st);
		memcpy(ids + out, buf, nb * sizeof(*buf));
		free(buf);
	}
	return TFR_OK;
}

void tfr_plan_digest(const struct tfr_plan_params *p, char hex[17])
{
	uint64_t v[8], s = tfr_plan_key(NULL, 0);

	for (size_t i = 0; i < p->nshards; i++)
		s = tfr_plan_mix64((s ^ p->counts[i]) + GOLDEN);
	v[0] = p->nshards;
	v[1] = p->seed;
	v[2] = p->rank;
	v[3] = p->world;
	v[4] = p->batch_size;
	v[5] = (uint64_t)p->shuffle;
	v[6] = p->buffer;
	v[7] = (uint64_t)p->drop_last;
	for (size_t i = 0; i < 8; i++)
		s = tfr_plan_mix64((s ^ v[i]) + GOLDEN);
	snprintf(hex, 17, "%016llx", (unsigned long long)s);
}

/* ------------------------------------------------------------------ */
/* Example wire format, walked in place.  Hand-written on purpose:
 * protobuf-c (example.c) allocates a message tree per record, and the
 * loader must not allocate per record; it needs only a few features,
 * found as spans of the bytes already in the slot. */

struct pb {
	const unsigned char *p, *end;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	uint64_t x = 0;

	for (int sh = 0; sh < 64; sh += 7) {
		if (b->p >= b->end)
			return -1;
		unsigned char c = *b->p++;

		x |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Next field: its number, wire type and (for type 2) its span. */
static int pb_field(struct pb *b, uint32_t *num, int *wt, struct pb *sub, uint64_t *v)
{
	uint64_t tag, len;

	if (pb_varint(b, &tag))
		return -1;
	*num = (uint32_t)(tag >> 3);
	*wt = (int)(tag & 7);
	switch (*wt) {
	case 0:
		return pb_varint(b, v);
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 0;
	case 2:
		if (pb_varint(b, &len) || len > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		return 0;
	default:
		return -1;
	}
}

/* One feature found: kind, count, and the span of its values. */
struct feat {
	int kind;                 /* enum tfr_extra_kind, 0 absent */
	uint64_t count;
	struct pb vals;           /* the list message (BytesList etc.) */
	int packed;               /* numbers: 1 packed, 0 one field each */
};

/* Count and classify the values of a Feature message. */
static int feat_read(struct pb f, struct feat *out)
{
	uint32_t num;
	int wt;
	struct pb sub, list;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->kind = TFR_EXTRA_NONE;
	while (f.p < f.end) {
		if (pb_field(&f, &num, &wt, &sub, &v))
			return -1;
		if (wt != 2 || num < 1 || num > 3)
			continue;
		out->kind = num == 1 ? TFR_EXTRA_BYTES : num == 2 ? TFR_EXTRA_FLOAT : TFR_EXTRA_INT64;
		out->vals = sub;
		out->count = 0;
		list = sub;
		while (list.p < list.end) {
			struct pb x;

			if (pb_field(&list, &num, &wt, &x, &v))
				return -1;
			if (num != 1)
				continue;
			if (out->kind == TFR_EXTRA_BYTES) {
				if (wt != 2)
					return -1;
				out->count++;
			} else if (wt == 2) {
				out->packed = 1;
				if (out->kind == TFR_EXTRA_FLOAT) {
					if ((x.end - x.p) % 4)
						return -1;
					out->count += (uint64_t)(x.end - x.p) / 4;
				} else {
					while (x.p < x.end) {
						if (pb_varint(&x, &v))
							return -1;
						out->count++;
					}
				}
			} else {
				out->count++;
			}
		}
	}
	return 0;
}

/* Visit the values of a numeric feature as int64 / float. */
static void feat_numbers(const struct feat *f, int64_t *iv, float *fv, uint64_t cap)
{
	struct pb list = f->vals, x;
	uint32_t num;
	int wt;
	uint64_t v, k = 0;

	while (list.p < list.end && k < cap) {
		if (pb_field(&list, &num, &wt, &x, &v))
			break; /* (feat_read saw it whole: cannot happen) */
		if (num != 1)
			continue;
		if (wt == 2 && f->kind == TFR_EXTRA_FLOAT) {
			for (; x.p + 4 <= x.end && k < cap; x.p += 4, k++)
				memcpy(&fv[k], x.p, 4);
		} else if (wt == 2) {
			while (x.p < x.end && k < cap && !pb_varint(&x, &v))
				iv[k++] = (int64_t)v;
		} else if (wt == 5 && fv) {
			memcpy(&fv[k++], list.p - 4, 4);
		} else if (wt == 0 && iv) {
			iv[k++] = (int64_t)v;
		}
	}
}

static void feat_bytes(const struct feat *f, struct tfr_span *sp, uint64_t cap)
{
	struct pb list = f->vals, x;
	uint32_t num;
	int wt;
	uint64_t v, k = 0;

	while (list.p < list.end && k < cap) {
		if (pb_field(&list, &num, &wt, &x, &v))
			return;
		if (num == 1 && wt == 2) {
			sp[k].data = x.p;
			sp[k].len = (uint64_t)(x.end - x.p);
			k++;
		}
	}
}

/* Find the wanted keys in an Example: want[i] receives the feature. */
static int example_walk(const unsigned char *data, size_t len, const char *const *keys,
			size_t nkeys, struct feat *want)
{
	struct pb ex = { data, data + len }, feats, entry, k, v;
	uint32_t num;
	int wt;
	uint64_t x;

	for (size_t i = 0; i < nkeys; i++)
		memset(&want[i], 0, sizeof(want[i]));
	while (ex.p < ex.end) {
		if (pb_field(&ex, &num, &wt, &feats, &x))
			return -1;
		if (num != 1 || wt != 2)
			continue;
		while (feats.p < feats.end) {
			if (pb_field(&feats, &num, &wt, &entry, &x))
				return -1;
			if (num != 1 || wt != 2)
				continue;
			struct pb e = entry;
			int hk = 0, hv = 0;

			memset(&v, 0, sizeof(v));
			while (e.p < e.end) {
				struct pb s;

				if (pb_field(&e, &num, &wt, &s, &x))
					return -1;
				if (num == 1 && wt == 2) {
					k = s;
					hk = 1;
				} else if (num == 2 && wt == 2) {
					v = s;
					hv = 1;
				}
			}
			if (!hk)
				continue;
			for (size_t i = 0; i < nkeys; i++) {
				if (!keys[i] || strlen(keys[i]) != (size_t)(k.end - k.p) ||
				    memcmp(keys[i], k.p, (size_t)(k.end - k.p)))
					continue;
				if (!hv)
					v.p = v.end = k.end;
				if (feat_read(v, &want[i]))
					return -1;
			}
		}
	}
	return 0;
}

/* A buffer of at least bytes (reused: grows only). */
static int grow(struct tfr_buf *b, size_t bytes);

/* ------------------------------------------------------------------ */
/* Shards and slots.                                                   */

struct shard {
	char *path;
	int fd;
	enum tfr_compression comp;
	uint64_t count, first;
	uint64_t *off, *len;      /* plain shards: header offset, payload length */
	struct tfr_reader *rd;    /* compressed: sequential reader, job R only */
	uint64_t rd_next;         /* index the reader gives next */
	uint64_t pred_off;        /* where the last tensor began in its payload
				     (atomic; a guess for the next record) */
};

/* Feature slots of a record, in the order of l->fkeys. */
enum { F_RAW, F_ENC, F_DTYPE, F_SHAPE, F_MEAN, F_STD, F_CHAN, F_LABEL, F_EXTRA };

struct rec {
	uint64_t id, shard, index, offset;
	struct tfr_buf raw;       /* framed record; reused */
	const unsigned char *payload;
	uint64_t plen;
	int ok;                   /* 0: skipped under skip_errors */
	int placed;               /* the tensor was read into its batch place */
	uint64_t hole;            /* then: where it is missing from raw */
	int encoded;
	int dtype, layout;        /* stored tensor */
	uint32_t h, w, c;         /* stored or augmented size */
	const unsigned char *pix; /* tensor bytes or encoded bytes */
	uint64_t pixlen;
	struct feat f[F_EXTRA];   /* fixed features */
	struct feat *x;           /* extras, nkeys (in slot->xfeat) */
};

struct order {
	uint64_t id, t;           /* global id, position in the batch */
};

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_HELD };

struct slot {
	struct tfr_loader *l;
	int state;
	uint64_t k;               /* batch index in the epoch */
	uint64_t epoch;           /* the epoch its augmentation draws from */
	uint64_t n;
	struct rec *recs;         /* batch_size */
	struct order *order;      /* batch_size: job R's reading order */
	struct feat *xfeat;       /* batch_size * nkeys */
	struct tfr_pool_job jr, ja, jb;
	int rc;                   /* failure of on_done itself */
	struct tfr_error err;
	struct tfr_loader_batch b;
	struct tfr_buf images, sizes, ids, labels, counts, hot;
	struct tfr_loader_extra *extras;
	struct tfr_buf *xcounts, *xvals;
	size_t imgsz;             /* bytes of one image in the batch */
	size_t pred_imgsz;        /* the guess A read tensors in with, or 0 */
	uint64_t skipped;
};

struct worker {
	struct tfr_image img;
	struct tfr_augment_scratch aug;
	struct tfr_buf stage;
};

struct tfr_loader {
	struct tfr_loader_opts o;
	struct shard *sh;
	size_t nsh;
	uint64_t *counts;
	uint64_t N;
	struct tfr_plan_params plan;
	uint64_t *ids;            /* plan of epoch `planned` */
	uint64_t nids, nbatches;
	int have_plan;
	uint64_t planned;
	uint64_t epoch, pos;      /* next batch to hand out */
	uint64_t stride;          /* batches pos advances by (1) */
	uint64_t queued;          /* next batch to submit */
	struct slot **slots;
	size_t nslots;
	struct tfr_pool *pool;
	struct worker *wk;
	int nwk;
	const char *fkeys[F_EXTRA];
	char *keybuf[2];          /* owned copies of image/label keys */
	char **xkeys;
	uint64_t skipped;
	pthread_mutex_t rmu;      /* compressed readers */
	struct tfr_augment aug;
	/* The last tensor seen (atomic): slots guess the next batch's
	 * image size from it, to read tensors straight into place. */
	uint64_t pred_imgsz;
	int pred_dtype, pred_layout;
};

void tfr_loader_opts_default(struct tfr_loader_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->batch_size = 1;
	o->threads = 2;
	o->shuffle = TFR_SHUFFLE_BUFFER;
	o->shuffle_buffer = 10000;
	o->world = 1;
	o->label_key = "image/class/label";
	o->dtype = TFR_AS_STORED;
	o->layout = TFR_AS_STORED;
	o->scale[0] = 0.08f;
	o->scale[1] = 1.0f;
	o->ratio[0] = 3.0f / 4;
	o->ratio[1] = 4.0f / 3;
	o->prefetch = 2;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* .idx sidecar: "offset size" lines.  Returns 1 when used. */
static int read_idx(struct shard *s, uint64_t max_record)
{
	char *ip = malloc(strlen(s->path) + 5);
	FILE *f;
	unsigned long long o, z;
	uint64_t n = 0, cap = 0;
	int ok = 1;

	if (!ip)
		return 0;
	sprintf(ip, "%s.idx", s->path);
	f = fopen(ip, "r");
	free(ip);
	if (!f)
		return 0;
	while (fscanf(f, "%llu %llu", &o, &z) == 2) {
		if (z < TFR_RECORD_OVERHEAD || z - TFR_RECORD_OVERHEAD > max_record) {
			ok = 0;
			break;
		}
		if (n == cap) {
			uint64_t nc = cap ? cap * 2 : 1024;
			uint64_t *a = realloc(s->off, nc * sizeof(*a)), *b;

			if (!a) {
				ok = 0;
				break;
			}
			s->off = a;
			b = realloc(s->len, nc * sizeof(*b));
			if (!b) {
				ok = 0;
				break;
			}
			s->len = b;
			cap = nc;
		}
		s->off[n] = o;
		s->len[n] = z - TFR_RECORD_OVERHEAD;
		n++;
	}
	if (!feof(f))
		ok = 0;
	fclose(f);
	if (!ok) {
		free(s->off);
		free(s->len);
		s->off = s->len = NULL;
		return 0;
	}
	s->count = n;
	return 1;
}

/* The number after "key": inside [p, end), or -1. */
static long long json_num(const char *p, const char *end, const char *key)
{
	size_t kl = strlen(key);

	for (; p + kl < end; p++)
		if (!memcmp(p, key, kl)) {
			char *e;
			long long v = strtoll(p + kl, &e, 10);

			return e > p + kl && v >= 0 ? v : -1;
		}
	return -1;
}

/*
 * The record count of a shard written by tfrec convert or shard, from
 * the manifest beside it (PREFIX.json for PREFIX-00000-of-00004...), so
 * that a compressed shard need not be decompressed once at open just to
 * count it.  Trusted only when the manifest's byte count is the file's
 * size.  A plain substring search is enough: the manifest is tfrec's own
 * output, one shard a line.  Returns 1 and *count when found.
 */
static int manifest_count(const char *path, uint64_t *count)
{
	const char *base = strrchr(path, '/'), *of;
	char *json = NULL, *text = NULL, *want = NULL;
	struct stat st;
	FILE *f = NULL;
	long size;
	int found = 0;

	base = base ? base + 1 : path;
	of = strstr(base, "-of-");
	if (!of || of - base < 7 || stat(path, &st))
		return 0;
	/* back over "-NNNNN" */
	const char *dash = of - 1;

	while (dash > base && *dash >= '0' && *dash <= '9')
		dash--;
	if (*dash != '-' || dash == base)
		return 0;
	json = malloc((size_t)(dash - path) + 6);
	want = malloc(strlen(base) + 16);
	if (!json || !want)
		goto out;
	memcpy(json, path, (size_t)(dash - path));
	strcpy(json + (dash - path), ".json");
	sprintf(want, "\"file\": \"%s\"", base);
	f = fopen(json, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 ||
	    (uint64_t)size > (UINT64_C(256) << 20) || fseek(f, 0, SEEK_SET))
		goto out;
	text = malloc((size_t)size + 1);
	if (!text || fread(text, 1, (size_t)size, f) != (size_t)size)
		goto out;
	text[size] = 0;
	{
		const char *at = strstr(text, want), *end;
		long long rec, bytes;

		if (!at)
			goto out;
		end = strchr(at, '}');
		if (!end)
			goto out;
		rec = json_num(at, end, "\"records\": ");
		bytes = json_num(at, end, "\"bytes\": ");
		if (rec >= 0 && bytes >= 0 && (uint64_t)bytes == (uint64_t)st.st_size) {
			*count = (uint64_t)rec;
			found = 1;
		}
	}
out:
	if (f)
		fclose(f);
	free(text);
	free(json);
	free(want);
	return found;
}

static int open_shard(struct shard *s, const struct tfr_loader_opts *o, struct tfr_error *err)
{
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO, .max_record = o->max_record };
	struct tfr_reader *r;
	struct tfr_record rec;
	uint64_t cap = 0;
	int rc;

	rc = tfr_reader_open(&r, s->path, &ro, err);
	if (rc)
		return rc;
	s->comp = tfr_reader_compression(r);
	if (s->comp == TFR_COMP_NONE) {
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			tfr_reader_free(r);
			return tfr_error_sys(err, errno, "cannot open '%s'", s->path);
		}
		if (read_idx(s, ro.max_record ? ro.max_record : TFR_DEFAULT_MAX_RECORD)) {
			tfr_reader_free(r);
			return TFR_OK;
		}
	}
	if (s->comp != TFR_COMP_NONE && manifest_count(s->path, &s->count)) {
		tfr_reader_free(r);
		return TFR_OK;
	}
	/* No usable index: one scan of the headers (a compressed stream is
	 * decompressed once to count it). */
	s->count = 0;
	while ((rc = tfr_reader_next_header(r, &rec, err)) == TFR_OK) {
		if (s->comp == TFR_COMP_NONE) {
			if (s->count == cap) {
				uint64_t nc = cap ? cap * 2 : 1024;
				uint64_t *a = realloc(s->off, nc * sizeof(*a)), *b;

				if (!a)
					break;
				s->off = a;
				b = realloc(s->len, nc * sizeof(*b));
				if (!b)
					break;
				s->len = b;
				cap = nc;
			}
			s->off[s->count] = rec.offset;
			s->len[s->count] = rec.len;
		}
		s->count++;
	}
	tfr_reader_free(r);
	if (rc == TFR_OK)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return rc == TFR_EOF ? TFR_OK : rc;
}

/* ------------------------------------------------------------------ */
/* Filling.                                                            */

static int rec_fail(struct tfr_loader *l, struct rec *r, int rc, struct tfr_error *err,
		    const char *fmt, const char *what)
{
	/* The shard, record and offset as fields: the C API and Python
	 * read them there, never from the text. */
	tfr_error_at(err, rc, r->index, r->offset, "%s%s", fmt, what ? what : "");
	tfr_error_subject(err, l->sh[r->shard].path);
	return rc;
}

static void rec_locate(struct tfr_loader *l, struct rec *r, uint64_t id)
{
	size_t lo = 0, hi = l->nsh;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (l->sh[mid].first <= id)
			lo = mid;
		else
			hi = mid;
	}
	/* skip empty shards sharing the same first */
	while (lo + 1 < l->nsh && l->sh[lo].count == 0)
		lo++;
	while (id - l->sh[lo].first >= l->sh[lo].count)
		lo++;
	r->id = id;
	r->shard = lo;
	r->index = id - l->sh[lo].first;
	r->offset = l->sh[lo].off ? l->sh[lo].off[r->index] : TFR_NO_POS;
	r->payload = NULL;
	r->ok = 1;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct order *)a)->id, y = ((const struct order *)b)->id;

	return x < y ? -1 : x > y;
}

static int job_r(void *ctx, size_t i, int w, const int *stop, struct tfr_error *err)
{
	struct slot *sl = ctx;
	struct tfr_loader *l = sl->l;
	int rc = TFR_OK;

	(void)i;
	(void)w;
	/* In stream order (shard, then record), so that a batch never makes
	 * a reader go back within itself. */
	for (uint64_t t = 0; t < sl->n; t++) {
		sl->order[t].id = sl->recs[t].id;
		sl->order[t].t = t;
	}
	qsort(sl->order, sl->n, sizeof(sl->order[0]), by_id);
	pthread_mutex_lock(&l->rmu);
	for (uint64_t q = 0; q < sl->n && !rc; q++) {
		struct rec *r = &sl->recs[sl->order[q].t];
		struct shard *s = &l->sh[r->shard];
		struct tfr_record rec;
		struct tfr_reader_opts ro = { .compression = s->comp, .max_record = l->o.max_record,
					      .skip_data_crc = l->o.verify != TFR_VERIFY_FULL };

		if (s->comp == TFR_COMP_NONE)
			continue;
		if (*stop) {
			rc = TFR_ERR_INTERRUPTED;
			break;
		}
		if (s->rd && s->rd_next > r->index) {
			tfr_reader_free(s->rd);
			s->rd = NULL;
		}
		if (!s->rd) {
			rc = tfr_reader_open(&s->rd, s->path, &ro, err);
			if (rc)
				break;
			s->rd_next = 0;
		}
		while (s->rd_next <= r->index) {
			rc = tfr_reader_next(s->rd, &rec, err);
			if (rc) {
				if (rc == TFR_EOF) {
					rc = tfr_error_at(err, TFR_ERR_CORRUPT, r->index, TFR_NO_POS,
							  "the shard ends before this record");
					tfr_error_subject(err, s->path);
				}
				tfr_reader_free(s->rd);
				s->rd = NULL;
				break;
			}
			s->rd_next++;
		}
		if (rc)
			break;
		if (grow(&r->raw, rec.len + 1)) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			break;
		}
		memcpy(r->raw.data, rec.data, rec.len);
		r->raw.len = rec.len;
		r->payload = r->raw.data;
		r->plen = rec.len;
		r->offset = rec.offset;
	}
	pthread_mutex_unlock(&l->rmu);
	return rc;
}

static int dtype_of(const struct feat *f)
{
	struct tfr_span sp;

	if (f->kind != TFR_EXTRA_BYTES || f->count != 1)
		return -1;
	feat_bytes(f, &sp, 1);
	if (sp.len == 7 && !memcmp(sp.data, "float16", 7))
		return TFR_DTYPE_FLOAT16;
	if (sp.len == 7 && !memcmp(sp.data, "float32", 7))
		return TFR_DTYPE_FLOAT32;
	if (sp.len == 5 && !memcmp(sp.data, "uint8", 5))
		return TFR_DTYPE_UINT8;
	return -1;
}

/* Read, check and parse record t (phase A). */
static int fill_a(struct slot *sl, struct rec *r, int w, struct tfr_error *err)
{
	struct tfr_loader *l = sl->l;
	struct shard *s = &l->sh[r->shard];
	struct feat all[F_EXTRA];
	int rc;

	r->placed = 0;
	if (s->comp == TFR_COMP_NONE) {
		uint64_t len = s->len[r->index], want = len + TFR_RECORD_OVERHEAD;
		uint64_t d = __atomic_load_n(&s->pred_off, __ATOMIC_RELAXED), pi = sl->pred_imgsz;
		size_t at = (size_t)(r - sl->recs);
		ssize_t got;
		unsigned char *p;
		int direct = pi && d && d + pi <= len;

		if (r->raw.cap < want) {
			/* Zeroed once, so that a wrong guess below never
			 * parses uninitialised bytes; by calloc, not memset:
			 * fresh pages are zero already and the hole a direct
			 * read leaves is then never touched, so a slot's
			 * records cost no faults for their tensors' bytes
			 * (memset here was 17 faults a 224x224 float16 record
			 * in a loader's first epoch).  Nothing in raw is kept
			 * from record to record. */
			/* with room, since records of one set differ by a
			 * few bytes (names) and slots meet all of them */
			size_t cap = ((size_t)want + ((size_t)want >> 4) + 8191) & ~(size_t)4095;
			unsigned char *z = calloc(1, cap);

			if (!z)
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			free(r->raw.data);
			r->raw.data = z;
			r->raw.cap = cap;
		}
		r->raw.len = want;
		p = r->raw.data;
		if (direct) {
			/* One copy from the page cache: the bytes where the
			 * last record of this shard had its tensor go straight
			 * to this record's place in the batch; the rest of the
			 * record to raw, around a hole (checked below). */
			struct iovec iov[3] = {
				{ p, 12 + d },
				{ (unsigned char *)sl->images.data + at * pi, pi },
				{ p + 12 + d + pi, want - 12 - d - pi },
			};

			got = preadv(s->fd, iov, 3, (off_t)r->offset);
		} else {
			got = pread(s->fd, p, want, (off_t)r->offset);
		}
		if (got < 0)
			return rec_fail(l, r, TFR_ERR_IO, err, strerror(errno), NULL);
		if ((uint64_t)got != want)
			return rec_fail(l, r, TFR_ERR_CORRUPT, err, "truncated record", NULL);
		if (l->o.verify != TFR_VERIFY_NONE &&
		    (le64(p) != len || tfr_masked_crc32c(p, 8) != le32(p + 8)))
			return rec_fail(l, r, TFR_ERR_CORRUPT, err, "bad length CRC", NULL);
		if (l->o.verify == TFR_VERIFY_FULL) {
			uint32_t c;

			if (direct) {
				c = tfr_crc32c_extend(0, p + 12, d);
				c = tfr_crc32c_extend(c, (unsigned char *)sl->images.data + at * pi, pi);
				c = tfr_crc32c_extend(c, p + 12 + d + pi, len - d - pi);
			} else {
				c = tfr_crc32c_extend(0, p + 12, len);
			}
			if (tfr_crc_mask(c) != le32(p + 12 + len))
				return rec_fail(l, r, TFR_ERR_CORRUPT, err, "bad data CRC", NULL);
		}
		r->payload = p + 12;
		r->plen = len;
		if (direct) {
			r->placed = 1;
			r->hole = 12 + d;
		}
	}
	if (r->placed) {
		/* the guess holds when image/raw's one value is the hole */
		const char *k1[1] = { l->fkeys[F_RAW] };
		struct feat f1;
		struct tfr_span sp = { NULL, 0 };

		if (!example_walk(r->payload, r->plen, k1, 1, &f1) && f1.kind == TFR_EXTRA_BYTES &&
		    f1.count == 1)
			feat_bytes(&f1, &sp, 1);
		if (sp.data != r->raw.data + r->hole || sp.len != sl->pred_imgsz) {
			memcpy(r->raw.data + r->hole,
			       (unsigned char *)sl->images.data + (size_t)(r - sl->recs) * sl->pred_imgsz,
			       sl->pred_imgsz);
			r->placed = 0;
		}
	}
	(void)w;
	if (example_walk(r->payload, r->plen, l->fkeys, F_EXTRA, all) ||
	    (l->o.nkeys && example_walk(r->payload, r->plen, (const char *const *)l->xkeys,
					l->o.nkeys, r->x)))
		return rec_fail(l, r, TFR_ERR_FORMAT, err, "not a tf.train.Example", NULL);
	memcpy(r->f, all, sizeof(all));
	/* the image: a tensor (image/raw) or encoded bytes */
	if (r->f[F_RAW].kind == TFR_EXTRA_BYTES && r->f[F_RAW].count == 1) {
		struct tfr_span sp;
		int64_t shp[3];
		int dt = dtype_of(&r->f[F_DTYPE]);
		uint64_t ch = 0;

		feat_bytes(&r->f[F_RAW], &sp, 1);
		if (dt < 0 || r->f[F_SHAPE].kind != TFR_EXTRA_INT64 || r->f[F_SHAPE].count != 3)
			return rec_fail(l, r, TFR_ERR_FORMAT, err,
					"image/dtype or image/shape missing or wrong", NULL);
		feat_numbers(&r->f[F_SHAPE], shp, NULL, 3);
		if (r->f[F_CHAN].kind == TFR_EXTRA_INT64 && r->f[F_CHAN].count == 1) {
			int64_t c;

			feat_numbers(&r->f[F_CHAN], &c, NULL, 1);
			ch = (uint64_t)c;
		}
		for (int i = 0; i < 3; i++)
			if (shp[i] <= 0 || shp[i] > (1 << 20))
				return rec_fail(l, r, TFR_ERR_FORMAT, err, "bad image/shape", NULL);
		r->encoded = 0;
		r->dtype = dt;
		r->layout = (ch && (uint64_t)shp[0] == ch && (uint64_t)shp[2] != ch) ?
			    TFR_LAYOUT_CHW : TFR_LAYOUT_HWC;
		if (r->layout == TFR_LAYOUT_HWC) {
			r->h = (uint32_t)shp[0], r->w = (uint32_t)shp[1], r->c = (uint32_t)shp[2];
		} else {
			r->c = (uint32_t)shp[0], r->h = (uint32_t)shp[1], r->w = (uint32_t)shp[2];
		}
		if ((uint64_t)r->h * r->w * r->c * tfr_dtype_size((enum tfr_dtype)dt) != sp.len)
			return rec_fail(l, r, TFR_ERR_FORMAT, err,
					"image/shape does not match the bytes of image/raw", NULL);
		r->pix = r->placed ? (unsigned char *)sl->images.data +
				     (size_t)(r - sl->recs) * sl->pred_imgsz : sp.data;
		r->pixlen = sp.len;
		if (s->comp == TFR_COMP_NONE) {
			__atomic_store_n(&s->pred_off, (uint64_t)(sp.data - r->payload), __ATOMIC_RELAXED);
			__atomic_store_n(&l->pred_imgsz, (uint64_t)sp.len, __ATOMIC_RELAXED);
			__atomic_store_n(&l->pred_dtype, dt, __ATOMIC_RELAXED);
			__atomic_store_n(&l->pred_layout, r->layout, __ATOMIC_RELAXED);
		}
	} else if (r->f[F_ENC].kind == TFR_EXTRA_BYTES && r->f[F_ENC].count >= 1) {
		struct tfr_span sp;
		struct tfr_image_info info;
		struct tfr_error e;
		uint32_t uw, uh, ow, oh;

		feat_bytes(&r->f[F_ENC], &sp, 1);
		r->encoded = 1;
		r->placed = 0; /* (never: a hole is image/raw's value) */
		r->pix = sp.data;
		r->pixlen = sp.len;
		rc = tfr_image_probe(sp.data, sp.len, 0, &info, &e);
		if (!rc) {
			tfr_image_upright(&info, &uw, &uh);
			rc = tfr_augment_shape(&l->aug, uw, uh, &ow, &oh, &e);
		}
		if (rc)
			return rec_fail(l, r, rc, err, "cannot decode image: ", e.msg);
		r->h = oh;
		r->w = ow;
		r->c = 3;
		r->dtype = TFR_DTYPE_UINT8;
		r->layout = TFR_LAYOUT_HWC;
	} else {
		return rec_fail(l, r, TFR_ERR_FORMAT, err, "no image feature ", l->fkeys[F_RAW]);
	}
	return TFR_OK;
}

static int task_a(void *ctx, size_t i, int w, const int *stop, struct tfr_error *err)
{
	struct slot *sl = ctx;
	struct rec *r = &sl->recs[i];
	int rc;

	if (*stop)
		return TFR_ERR_INTERRUPTED;
	rc = fill_a(sl, r, w, err);
	if (rc && sl->l->o.skip_errors && rc != TFR_ERR_NOMEM) {
		r->ok = 0;
		return TFR_OK;
	}
	return rc;
}

static float conv_in(int dt, const unsigned char *p, size_t i)
{
	switch (dt) {
	case TFR_DTYPE_UINT8:
		return p[i];
	case TFR_DTYPE_FLOAT16:
		return tfr_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
	default: {
		float f;

		memcpy(&f, p + 4 * i, 4);
		return f;
	}
	}
}

static void conv_out(int dt, unsigned char *p, size_t i, float v)
{
	switch (dt) {
	case TFR_DTYPE_UINT8:
		p[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
		break;
	case TFR_DTYPE_FLOAT16: {
		uint16_t h = tfr_f32_to_f16(v);

		memcpy(p + 2 * i, &h, 2);
		break;
	}
	default:
		memcpy(p + 4 * i, &v, 4);
	}
}

/* Copy a stored tensor into its (maybe larger, zero-padded) place. */
/* Offset of channel ch of pixel (y, x) in an h x w x c tensor. */
static size_t tensor_at(int layout, uint32_t h, uint32_t w, uint32_t c, uint32_t y, uint32_t x,
			uint32_t ch)
{
	return layout == TFR_LAYOUT_HWC ? ((size_t)y * w + x) * c + ch :
					  ((size_t)ch * h + y) * w + x;
}

/* The two source taps and the weight of the second for output i of a
 * row or column scaled by `scale` from n source pixels (pixel centres). */
static void bilinear_tap(uint32_t i, float scale, uint32_t n, uint32_t *i0, uint32_t *i1,
			 float *w)
{
	float f = ((float)i + 0.5f) * scale - 0.5f;

	if (f < 0)
		f = 0;
	*i0 = (uint32_t)f;
	if (*i0 >= n - 1) {
		*i0 = *i1 = n - 1;
		*w = 0;
	} else {
		*i1 = *i0 + 1;
		*w = f - (float)*i0;
	}
}

/*
 * pad="resize" for stored tensors: bilinear resampling to the batch's
 * size, sampling at pixel centres (as augment's kernels do), in float,
 * with the same conversion and normalisation as the padded path.  Plain
 * bilinear rather than augment's antialiased kernels: stored tensors were
 * already resized once by convert, and this only evens out small size
 * differences inside a batch.
 */
static void resample_tensor(const struct rec *r, const struct tfr_loader_batch *b,
			    unsigned char *dst, int norm, const float *mul, const float *add)
{
	float sy = (float)r->h / (float)b->h, sx = (float)r->w / (float)b->w;

	for (uint32_t y = 0; y < b->h; y++) {
		uint32_t y0, y1;
		float wy;

		bilinear_tap(y, sy, r->h, &y0, &y1, &wy);
		for (uint32_t x = 0; x < b->w; x++) {
			uint32_t x0, x1;
			float wx;

			bilinear_tap(x, sx, r->w, &x0, &x1, &wx);
			for (uint32_t c = 0; c < r->c && c < b->c; c++) {
				float v00 = conv_in(r->dtype, r->pix, tensor_at(r->layout, r->h, r->w, r->c, y0, x0, c));
				float v01 = conv_in(r->dtype, r->pix, tensor_at(r->layout, r->h, r->w, r->c, y0, x1, c));
				float v10 = conv_in(r->dtype, r->pix, tensor_at(r->layout, r->h, r->w, r->c, y1, x0, c));
				float v11 = conv_in(r->dtype, r->pix, tensor_at(r->layout, r->h, r->w, r->c, y1, x1, c));
				float v = (v00 * (1 - wx) + v01 * wx) * (1 - wy) +
					  (v10 * (1 - wx) + v11 * wx) * wy;

				if (norm)
					v = v * mul[c < 3 ? c : 2] + add[c < 3 ? c : 2];
				conv_out(b->dtype, dst, tensor_at(b->layout, b->h, b->w, b->c, y, x, c), v);
			}
		}
	}
}

static void place_tensor(struct slot *sl, struct rec *r, unsigned char *dst)
{
	struct tfr_loader_batch *b = &sl->b;
	struct tfr_loader *l = sl->l;
	float mul[3] = { 1, 1, 1 }, add[3] = { 0, 0, 0 };
	int norm = r->dtype == TFR_DTYPE_UINT8 && b->dtype != TFR_DTYPE_UINT8;

	if (r->pix == dst)
		return; /* read there by A */
	if (r->h == b->h && r->w == b->w && r->c == b->c && r->dtype == b->dtype &&
	    r->layout == b->layout) {
		memcpy(dst, r->pix, r->pixlen); /* the common case: one copy */
		return;
	}
	if (norm) {
		/* uint8 made float: 0..1, then the mean and std asked for */
		float mean[3] = { 0, 0, 0 }, sd[3] = { 1, 1, 1 };

		if (l->o.norm == TFR_NORM_VALUES) {
			memcpy(mean, l->o.mean, sizeof(mean));
			memcpy(sd, l->o.std, sizeof(sd));
		} else if (l->o.norm == TFR_NORM_RECORD && r->f[F_MEAN].kind == TFR_EXTRA_FLOAT &&
			   r->f[F_STD].kind == TFR_EXTRA_FLOAT) {
			feat_numbers(&r->f[F_MEAN], NULL, mean, 3);
			feat_numbers(&r->f[F_STD], NULL, sd, 3);
		}
		for (int c = 0; c < 3; c++) {
			if (sd[c] == 0)
				sd[c] = 1;
			mul[c] = 1.0f / (255.0f * sd[c]);
			add[c] = -mean[c] / sd[c];
		}
	}
	memset(dst, 0, sl->imgsz);
	if (l->o.pad_resize && (r->h != b->h || r->w != b->w)) {
		resample_tensor(r, b, dst, norm, mul, add);
		return;
	}
	for (uint32_t y = 0; y < r->h; y++)
		for (uint32_t x = 0; x < r->w; x++)
			for (uint32_t c = 0; c < r->c && c < b->c; c++) {
				size_t si = tensor_at(r->layout, r->h, r->w, r->c, y, x, c);
				size_t di = tensor_at(b->layout, b->h, b->w, b->c, y, x, c);
				float v = conv_in(r->dtype, r->pix, si);

				if (norm)
					v = v * mul[c < 3 ? c : 2] + add[c < 3 ? c : 2];
				conv_out(b->dtype, dst, di, v);
			}
}

static int place_encoded(struct slot *sl, struct rec *r, struct worker *wk, unsigned char *dst,
			 struct tfr_error *err)
{
	struct tfr_loader *l = sl->l;
	struct tfr_loader_batch *b = &sl->b;
	struct tfr_augment a = l->aug;
	struct tfr_image_info info;
	struct tfr_decode_opts d = { .channels = 3 };
	struct tfr_error e;
	uint32_t uw, uh, rw, rh, fw, fh, ow, oh;
	uint64_t v[4] = { l->o.seed, sl->epoch, r->id, TFR_TAG_AUG }, st = tfr_plan_key(v, 4);
	uint64_t rnd = tfr_plan_next(&st);
	size_t bytes;
	unsigned char *to = dst;
	int rc;

	a.dtype = (enum tfr_dtype)b->dtype;
	a.layout = (enum tfr_layout)b->layout;
	if (l->o.pad_resize && (r->h != b->h || r->w != b->w)) {
		/* pad="resize": to the size the batch has (see done_a) */
		a.resize = TFR_RESIZE_EXACT;
		a.resize_w = b->w;
		a.resize_h = b->h;
	}
	rc = tfr_image_probe(r->pix, r->pixlen, 0, &info, &e);
	if (rc)
		goto bad;
	tfr_image_upright(&info, &uw, &uh);
	tfr_augment_resized(&a, uw, uh, &rw, &rh);
	if (a.resize != TFR_RESIZE_NONE) {
		d.min_width = rw;
		d.min_height = rh;
	}
	tfr_image_frame(&info, d.min_width, d.min_height, &fw, &fh);
	rc = tfr_augment_region(&a, uw, uh, fw, fh, rnd, &wk->aug, &d.roi_x, &d.roi_y,
				&d.roi_w, &d.roi_h, &e);
	if (rc)
		goto bad;
	d.use_roi = 1;
	rc = tfr_image_decode(r->pix, r->pixlen, &d, &wk->img, &e);
	if (rc)
		goto bad;
	rc = tfr_augment_shape(&a, uw, uh, &ow, &oh, &e);
	if (rc)
		goto bad;
	bytes = tfr_augment_bytes(&a, ow, oh);
	if (ow != b->w || oh != b->h) {
		if (grow(&wk->stage, bytes))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		to = wk->stage.data;
	}
	rc = tfr_augment_run_into(&a, &wk->img, rnd, &wk->aug, to, bytes, &ow, &oh, &e);
	if (rc)
		goto bad;
	if (to != dst) {
		/* pad into the batch's largest size */
		size_t es = tfr_dtype_size(a.dtype);

		memset(dst, 0, sl->imgsz);
		if (a.layout == TFR_LAYOUT_HWC) {
			for (uint32_t y = 0; y < oh; y++)
				memcpy(dst + (size_t)y * b->w * 3 * es, to + (size_t)y * ow * 3 * es,
				       (size_t)ow * 3 * es);
		} else {
			for (uint32_t c = 0; c < 3; c++)
				for (uint32_t y = 0; y < oh; y++)
					memcpy(dst + ((size_t)c * b->h + y) * b->w * es,
					       to + ((size_t)c * oh + y) * ow * es, (size_t)ow * es);
		}
	}
	r->h = oh;
	r->w = ow;
	return TFR_OK;
bad:
	return rec_fail(l, r, rc, err, "cannot decode image: ", e.msg);
}

static int task_b(void *ctx, size_t i, int w, const int *stop, struct tfr_error *err)
{
	struct slot *sl = ctx;
	struct rec *r = &sl->recs[i];
	unsigned char *dst = (unsigned char *)sl->images.data + i * sl->imgsz;
	int rc = TFR_OK;

	if (*stop)
		return TFR_ERR_INTERRUPTED;
	if (!r->ok)
		return TFR_OK;
	if (r->encoded)
		rc = place_encoded(sl, r, &sl->l->wk[w], dst, err);
	else
		place_tensor(sl, r, dst);
	if (rc && sl->l->o.skip_errors && rc != TFR_ERR_NOMEM) {
		r->ok = 0;
		return TFR_OK;
	}
	return rc;
}

static int grow(struct tfr_buf *b, size_t bytes)
{
	b->len = 0;
	if (tfr_buf_reserve(b, bytes))
		return -1;
	b->len = bytes;
	return 0;
}

/*
 * grow() for a slot's image array, which is large (256 float16 224x224
 * images: 77 MB) and written by preadv in the pool threads.  Fresh
 * memory costs a page fault per 4 KiB on first touch, inside the copy
 * from the page cache: measured, that made an engine's first batches
 * 30x slower than cat.  So when the array grows, ask for huge pages and
 * populate it at once (MADV_POPULATE_WRITE, Linux 5.14; else one write
 * per page), here, once per slot and size: the slots are reused, so
 * later batches find their memory mapped.  Both madvise calls are hints:
 * failure leaves the ordinary first-touch faults.
 */
static int grow_images(struct tfr_buf *b, size_t bytes)
{
	size_t old = b->cap;
	long pg = sysconf(_SC_PAGESIZE);

	if (grow(b, bytes))
		return -1;
	if (b->cap != old && b->cap >= ((size_t)1 << 21) && pg > 0) {
		uintptr_t lo = ((uintptr_t)b->data + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
		uintptr_t hi = ((uintptr_t)b->data + b->cap) & ~((uintptr_t)pg - 1);

		if (hi > lo) {
#ifdef MADV_HUGEPAGE
			(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
			if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) == 0)
				return 0;
#endif
			/* touch each page, keeping what realloc copied */
			for (volatile unsigned char *p = (unsigned char *)lo; (uintptr_t)p < hi; p += pg)
				*p = *p;
		}
	}
	return 0;
}

/* After A: fix the batch's shape, then queue B. */
static void done_a(void *ctx, int rc, const struct tfr_error *err)
{
	struct slot *sl = ctx;
	struct tfr_loader *l = sl->l;
	struct tfr_loader_batch *b = &sl->b;
	struct rec *first = NULL;
	uint64_t n = sl->n;

	(void)err;
	sl->rc = 0;
	sl->jb.n = 0;
	if (rc)
		return; /* the error is A's; B never runs */
	b->h = b->w = b->c = 0;
	for (uint64_t t = 0; t < n; t++) {
		struct rec *r = &sl->recs[t];

		if (!r->ok)
			continue;
		if (!first)
			first = r;
		if (r->h > b->h)
			b->h = r->h;
		if (r->w > b->w)
			b->w = r->w;
		if (r->c > b->c)
			b->c = r->c;
	}
	if (first && l->o.pad_resize) {
		/* mixed sizes resized, not padded: encoded images to the first
		 * record's size (a crop, random resized crop or resize fixes
		 * it anyway), stored tensors to `resize` when given, else to
		 * the first record's size (resample_tensor) */
		b->h = first->h;
		b->w = first->w;
		if (!first->encoded && l->o.resize_h && l->o.resize_w) {
			b->h = l->o.resize_h;
			b->w = l->o.resize_w;
		}
	}
	if (first) {
		b->dtype = l->o.dtype != TFR_AS_STORED ? l->o.dtype : first->dtype;
		b->layout = l->o.layout != TFR_AS_STORED ? l->o.layout : first->layout;
	} else {
		b->dtype = TFR_DTYPE_UINT8;
		b->layout = TFR_LAYOUT_HWC;
	}
	sl->imgsz = (size_t)b->h * b->w * b->c * tfr_dtype_size((enum tfr_dtype)b->dtype);
	/* Tensors read straight into place stay only where the guess was
	 * right for the whole batch; the others go back into their record. */
	for (uint64_t t = 0; t < n; t++) {
		struct rec *r = &sl->recs[t];

		if (!r->placed)
			continue;
		if (!r->ok || sl->imgsz != sl->pred_imgsz || r->h != b->h || r->w != b->w ||
		    r->c != b->c || r->dtype != b->dtype || r->layout != b->layout) {
			memcpy(r->raw.data + r->hole, r->pix, sl->pred_imgsz);
			r->pix = r->raw.data + r->hole;
			r->placed = 0;
		}
	}
	if (grow_images(&sl->images, sl->imgsz * (n ? n : 1) + 1)) {
		sl->rc = tfr_error_set(&sl->err, TFR_ERR_NOMEM, "out of memory for a batch");
		return;
	}
	sl->jb.fn = task_b;
	sl->jb.ctx = sl;
	sl->jb.n = n;
	sl->jb.on_done = NULL;
	tfr_pool_submit(l->pool, &sl->jb);
}

static void done_r(void *ctx, int rc, const struct tfr_error *err)
{
	struct slot *sl = ctx;

	(void)err;
	if (rc)
		return;
	sl->ja.fn = task_a;
	sl->ja.ctx = sl;
	sl->ja.n = sl->n;
	sl->ja.on_done = done_a;
	tfr_pool_submit(sl->l->pool, &sl->ja);
}

static int any_compressed(const struct tfr_loader *l)
{
	for (size_t s = 0; s < l->nsh; s++)
		if (l->sh[s].comp != TFR_COMP_NONE)
			return 1;
	return 0;
}

/* Fill sl with the n (<= batch_size) records ids, as batch k of epoch
 * `epoch` (its augmentation draws). */
static void slot_start_ids(struct tfr_loader *l, struct slot *sl, uint64_t k,
			   const uint64_t *ids, uint64_t n, uint64_t epoch)
{
	sl->state = SLOT_FILLING;
	sl->k = k;
	sl->epoch = epoch;
	sl->n = n;
	sl->rc = 0;
	/* Guess this batch's image size from the last tensor, so that A
	 * can read tensors into place (when they stay as stored). */
	sl->pred_imgsz = __atomic_load_n(&l->pred_imgsz, __ATOMIC_RELAXED);
	if (sl->pred_imgsz &&
	    ((l->o.dtype != TFR_AS_STORED && l->o.dtype != __atomic_load_n(&l->pred_dtype, __ATOMIC_RELAXED)) ||
	     (l->o.layout != TFR_AS_STORED && l->o.layout != __atomic_load_n(&l->pred_layout, __ATOMIC_RELAXED)) ||
	     grow_images(&sl->images, sl->pred_imgsz * (sl->n ? sl->n : 1) + 1)))
		sl->pred_imgsz = 0;
	for (uint64_t t = 0; t < sl->n; t++)
		rec_locate(l, &sl->recs[t], ids[t]);
	sl->jr.fn = job_r;
	sl->jr.ctx = sl;
	sl->jr.n = any_compressed(l) ? 1 : 0;
	sl->jr.on_done = done_r;
	sl->ja.finished = 0;
	sl->jb.finished = 0;
	tfr_pool_submit(l->pool, &sl->jr);
}

static void slot_start(struct tfr_loader *l, struct slot *sl, uint64_t k)
{
	uint64_t bs = l->o.batch_size, lo = k * bs, hi = lo + bs;

	if (hi > l->nids)
		hi = l->nids;
	slot_start_ids(l, sl, k, l->ids + lo, hi - lo, l->planned);
}

static void slot_free(struct tfr_loader *l, struct slot *sl)
{
	if (!sl)
		return;
	for (uint64_t t = 0; sl->recs && t < l->o.batch_size; t++)
		tfr_buf_release(&sl->recs[t].raw);
	free(sl->recs);
	free(sl->order);
	free(sl->xfeat);
	tfr_buf_release(&sl->images);
	tfr_buf_release(&sl->sizes);
	tfr_buf_release(&sl->ids);
	tfr_buf_release(&sl->labels);
	tfr_buf_release(&sl->counts);
	tfr_buf_release(&sl->hot);
	for (size_t x = 0; x < l->o.nkeys; x++) {
		if (sl->xcounts)
			tfr_buf_release(&sl->xcounts[x]);
		if (sl->xvals)
			tfr_buf_release(&sl->xvals[x]);
	}
	free(sl->xcounts);
	free(sl->xvals);
	free(sl->extras);
	free(sl);
}

static struct slot *slot_new(struct tfr_loader *l)
{
	struct slot *sl = calloc(1, sizeof(*sl));
	size_t bs = l->o.batch_size, nk = l->o.nkeys;

	if (!sl)
		return NULL;
	sl->l = l;
	sl->recs = calloc(bs, sizeof(*sl->recs));
	sl->order = calloc(bs, sizeof(*sl->order));
	sl->xfeat = calloc(bs * (nk ? nk : 1), sizeof(*sl->xfeat));
	sl->extras = calloc(nk ? nk : 1, sizeof(*sl->extras));
	sl->xcounts = calloc(nk ? nk : 1, sizeof(*sl->xcounts));
	sl->xvals = calloc(nk ? nk : 1, sizeof(*sl->xvals));
	if (!sl->recs || !sl->order || !sl->xfeat || !sl->extras || !sl->xcounts || !sl->xvals) {
		slot_free(l, sl);
		return NULL;
	}
	for (size_t t = 0; t < bs; t++)
		sl->recs[t].x = sl->xfeat + t * nk;
	sl->state = SLOT_FREE;
	sl->jr.finished = sl->ja.finished = sl->jb.finished = 1;
	return sl;
}

/* Wait for a filling slot's jobs; returns its status. */
static int slot_wait(struct tfr_loader *l, struct slot *sl, struct tfr_error *err)
{
	int rc = tfr_pool_wait(l->pool, &sl->jr, err);

	if (!rc)
		rc = tfr_pool_wait(l->pool, &sl->ja, err);
	if (!rc && sl->rc) {
		rc = sl->rc;
		if (err)
			*err = sl->err;
	}
	if (!rc)
		rc = tfr_pool_wait(l->pool, &sl->jb, err);
	return rc;
}

/* The host side of a finished slot: compact skipped records, labels,
 * sizes, ids, extras.  Runs in the caller's thread. */
static int slot_finish(struct tfr_loader *l, struct slot *sl, struct tfr_error *err)
{
	struct tfr_loader_batch *b = &sl->b;
	uint64_t n = 0, lw = 0, multi = 0;

	for (uint64_t t = 0; t < sl->n; t++) {
		struct rec *r = &sl->recs[t];

		if (!r->ok) {
			l->skipped++;
			continue;
		}
		if (n != t) {
			memmove((unsigned char *)sl->images.data + n * sl->imgsz,
				(unsigned char *)sl->images.data + t * sl->imgsz, sl->imgsz);
			struct rec tmp = sl->recs[n];

			sl->recs[n] = *r;
			*r = tmp;
			/* extras views follow the record */
			struct feat *xa = sl->recs[n].x, *xb = r->x;

			sl->recs[n].x = xb;
			r->x = xa;
		}
		n++;
	}
	b->n = n;
	b->epoch = sl->epoch;
	b->index = sl->k;
	b->images = sl->images.data;
	if (grow(&sl->sizes, n * 2 * sizeof(int32_t) + 1) || grow(&sl->ids, n * 8 + 1))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	b->sizes = (int32_t *)(void *)sl->sizes.data;
	b->ids = (int64_t *)(void *)sl->ids.data;
	for (uint64_t t = 0; t < n; t++) {
		struct rec *r = &sl->recs[t];
		uint64_t c = r->f[F_LABEL].kind == TFR_EXTRA_INT64 ? r->f[F_LABEL].count : 0;

		b->sizes[2 * t] = (int32_t)r->h;
		b->sizes[2 * t + 1] = (int32_t)r->w;
		b->ids[t] = (int64_t)r->id;
		if (c > lw)
			lw = c;
		if (c != 1)
			multi = 1;
	}
	b->label_mode = 0;
	b->labels = NULL;
	b->label_counts = NULL;
	b->multi_hot = NULL;
	b->label_width = 0;
	if (l->o.label_key) {
		uint64_t width = lw ? lw : 1;

		if (grow(&sl->labels, n * width * 8 + 1) || grow(&sl->counts, n * 4 + 1))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		b->labels = (int64_t *)(void *)sl->labels.data;
		b->label_counts = (int32_t *)(void *)sl->counts.data;
		for (uint64_t t = 0; t < n; t++) {
			struct rec *r = &sl->recs[t];
			uint64_t c = r->f[F_LABEL].kind == TFR_EXTRA_INT64 ? r->f[F_LABEL].count : 0;

			for (uint64_t j = 0; j < width; j++)
				b->labels[t * width + j] = -1;
			if (c)
				feat_numbers(&r->f[F_LABEL], b->labels + t * width, NULL, c);
			b->label_counts[t] = (int32_t)c;
		}
		b->label_width = width;
		b->label_mode = multi ? 2 : 1;
		if (l->o.num_classes) {
			uint32_t K = l->o.num_classes;

			if (grow(&sl->hot, n * K * sizeof(float) + 1))
				return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			b->multi_hot = (float *)(void *)sl->hot.data;
			memset(b->multi_hot, 0, n * K * sizeof(float));
			for (uint64_t t = 0; t < n; t++)
				for (uint64_t j = 0; j < (uint64_t)b->label_counts[t]; j++) {
					int64_t v = b->labels[t * width + j];

					if (v >= 0 && (uint64_t)v < K)
						b->multi_hot[t * K + (uint64_t)v] = 1;
				}
			b->label_mode = 3;
		}
	}
	b->nextras = l->o.nkeys;
	b->extras = sl->extras;
	for (size_t x = 0; x < l->o.nkeys; x++) {
		struct tfr_loader_extra *e = &sl->extras[x];
		uint64_t width = 0;
		size_t es;

		e->key = l->xkeys[x];
		e->kind = TFR_EXTRA_NONE;
		for (uint64_t t = 0; t < n; t++) {
			struct feat *f = &sl->recs[t].x[x];

			if (f->kind && !e->kind)
				e->kind = f->kind;
			if (f->kind == e->kind && f->count > width)
				width = f->count;
		}
		e->width = width;
		es = e->kind == TFR_EXTRA_BYTES ? sizeof(struct tfr_span) :
		     e->kind == TFR_EXTRA_FLOAT ? 4 : 8;
		if (grow(&sl->xcounts[x], n * 4 + 1) || grow(&sl->xvals[x], n * width * es + 1))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		e->counts = (int32_t *)(void *)sl->xcounts[x].data;
		e->values = sl->xvals[x].data;
		memset(e->values, 0, n * width * es);
		for (uint64_t t = 0; t < n; t++) {
			struct feat *f = &sl->recs[t].x[x];
			uint64_t c = f->kind == e->kind ? f->count : 0;

			e->counts[t] = (int32_t)c;
			if (e->kind == TFR_EXTRA_INT64) {
				int64_t *v = (int64_t *)e->values + t * width;

				for (uint64_t j = 0; j < width; j++)
					v[j] = -1;
				feat_numbers(f, v, NULL, c);
			} else if (e->kind == TFR_EXTRA_FLOAT) {
				feat_numbers(f, NULL, (float *)e->values + t * width, c);
			} else if (e->kind == TFR_EXTRA_BYTES) {
				feat_bytes(f, (struct tfr_span *)e->values + t * width, c);
			}
		}
	}
	return TFR_OK;
}

/* ------------------------------------------------------------------ */
/* The loader's life.                                                  */

static int make_plan(struct tfr_loader *l, struct tfr_error *err)
{
	if (l->have_plan && l->planned == l->epoch)
		return TFR_OK;
	l->plan.epoch = l->epoch;
	if (tfr_plan_rank_ids(&l->plan, l->ids, err))
		return err ? err->status : TFR_ERR_NOMEM;
	l->planned = l->epoch;
	l->have_plan = 1;
	return TFR_OK;
}

/* Wait out every slot still filling (their batches are dropped). */
static void drain(struct tfr_loader *l)
{
	for (size_t i = 0; i < l->nslots; i++)
		if (l->slots[i]->state == SLOT_FILLING) {
			slot_wait(l, l->slots[i], NULL);
			l->slots[i]->state = SLOT_FREE;
		}
	l->queued = l->pos;
}

static struct slot *slot_of(struct tfr_loader *l, uint64_t k)
{
	for (size_t i = 0; i < l->nslots; i++)
		if (l->slots[i]->state == SLOT_FILLING && l->slots[i]->k == k)
			return l->slots[i];
	return NULL;
}

static struct slot *free_slot(struct tfr_loader *l, int may_grow)
{
	struct slot **ns, *sl;

	for (size_t i = 0; i < l->nslots; i++)
		if (l->slots[i]->state == SLOT_FREE)
			return l->slots[i];
	if (!may_grow)
		return NULL;
	/* every slot is held by the caller: one more (see loader.h) */
	ns = realloc(l->slots, (l->nslots + 1) * sizeof(*ns));
	if (!ns)
		return NULL;
	l->slots = ns;
	sl = slot_new(l);
	if (!sl)
		return NULL;
	l->slots[l->nslots++] = sl;
	return sl;
}

/* Queue batches up to pos + prefetch where slots are free. */
static void top_up(struct tfr_loader *l)
{
	while (l->queued < l->nbatches &&
	       l->queued < l->pos + (uint64_t)l->o.prefetch * l->stride) {
		struct slot *sl = free_slot(l, 0);

		if (!sl)
			break;
		slot_start(l, sl, l->queued);
		l->queued += l->stride;
	}
}

static void warm_up(struct tfr_loader *l);

int tfr_loader_open(struct tfr_loader **lp, const char *const *paths, size_t npaths,
		    const struct tfr_loader_opts *o, struct tfr_error *err)
{
	struct tfr_loader *l;
	int rc = TFR_OK;
	uint64_t first = 0;

	*lp = NULL;
	if (!o || o->batch_size < 1 || o->world < 1 || o->rank >= o->world || npaths < 1 ||
	    o->shuffle > TFR_SHUFFLE_FULL)
		return tfr_error_set(err, TFR_ERR_INVALID, "bad loader options (batch size, rank, "
				     "world size, shuffle mode or no shards)");
	l = calloc(1, sizeof(*l));
	if (!l)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	l->o = *o;
	l->stride = 1;
	if (l->o.prefetch < 1)
		l->o.prefetch = 1;
	if (!l->o.max_record)
		l->o.max_record = TFR_DEFAULT_MAX_RECORD;
	pthread_mutex_init(&l->rmu, NULL);
	l->sh = calloc(npaths, sizeof(*l->sh));
	l->counts = calloc(npaths, sizeof(*l->counts));
	l->xkeys = calloc(o->nkeys + 1, sizeof(*l->xkeys));
	if (!l->sh || !l->counts || !l->xkeys) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	l->o.keys = NULL;
	for (size_t x = 0; x < o->nkeys; x++)
		if (!(l->xkeys[x] = strdup(o->keys[x]))) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto fail;
		}
	l->keybuf[0] = o->image_key ? strdup(o->image_key) : NULL;
	l->keybuf[1] = o->label_key ? strdup(o->label_key) : NULL;
	l->o.image_key = l->keybuf[0];
	l->o.label_key = l->keybuf[1];
	for (size_t s = 0; s < npaths; s++) {
		l->sh[s].fd = -1;
		l->nsh++;
		if (!(l->sh[s].path = strdup(paths[s]))) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto fail;
		}
		rc = open_shard(&l->sh[s], &l->o, err);
		if (rc)
			goto fail;
		if (o->shuffle == TFR_SHUFFLE_FULL && l->sh[s].comp != TFR_COMP_NONE) {
			rc = tfr_error_set(err, TFR_ERR_UNSUPPORTED,
					   "%s: shuffle \"full\" needs random access, which a %s "
					   "shard has not; use \"buffer\"", paths[s],
					   tfr_compression_name(l->sh[s].comp));
			goto fail;
		}
		l->sh[s].first = first;
		l->counts[s] = l->sh[s].count;
		first += l->sh[s].count;
	}
	l->N = first;
	if (l->N == 0) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "the shards hold no records");
		goto fail;
	}
	l->fkeys[F_RAW] = l->o.image_key ? l->o.image_key : "image/raw";
	l->fkeys[F_ENC] = l->o.image_key ? l->o.image_key : "image/encoded";
	l->fkeys[F_DTYPE] = "image/dtype";
	l->fkeys[F_SHAPE] = "image/shape";
	l->fkeys[F_MEAN] = "image/mean";
	l->fkeys[F_STD] = "image/std";
	l->fkeys[F_CHAN] = "image/channels";
	l->fkeys[F_LABEL] = l->o.label_key;
	l->plan = (struct tfr_plan_params){ .counts = l->counts, .nshards = l->nsh,
					    .seed = o->seed, .rank = o->rank, .world = o->world,
					    .batch_size = o->batch_size, .shuffle = o->shuffle,
					    .buffer = o->shuffle_buffer, .drop_last = o->drop_last };
	l->nids = tfr_plan_rank_len(&l->plan);
	l->nbatches = tfr_plan_batches(&l->plan);
	l->ids = malloc((l->nids ? l->nids : 1) * sizeof(*l->ids));
	if (!l->ids) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for the plan");
		goto fail;
	}
	/* the augmentation of encoded records (also their fixed shape) */
	memset(&l->aug, 0, sizeof(l->aug));
	l->aug.channels = 3;
	l->aug.dtype = TFR_DTYPE_UINT8;
	l->aug.layout = TFR_LAYOUT_HWC;
	{
		float mean[3] = { 0, 0, 0 }, sd[3] = { 1, 1, 1 };

		if (o->norm == TFR_NORM_VALUES) {
			memcpy(mean, o->mean, sizeof(mean));
			memcpy(sd, o->std, sizeof(sd));
		}
		tfr_augment_set_norm(&l->aug, mean, sd);
	}
	if (o->resize_h && o->resize_w) {
		l->aug.resize = TFR_RESIZE_EXACT;
		l->aug.resize_h = o->resize_h;
		l->aug.resize_w = o->resize_w;
	}
	if (o->rrc_h && o->rrc_w) {
		l->aug.resize = TFR_RESIZE_NONE;
		l->aug.rrc = 1;
		l->aug.crop_h = o->rrc_h;
		l->aug.crop_w = o->rrc_w;
		l->aug.rrc_scale[0] = o->scale[0];
		l->aug.rrc_scale[1] = o->scale[1];
		l->aug.rrc_ratio[0] = o->ratio[0];
		l->aug.rrc_ratio[1] = o->ratio[1];
	} else if (o->crop_h && o->crop_w) {
		l->aug.crop_h = o->crop_h;
		l->aug.crop_w = o->crop_w;
	}
	l->aug.flip = o->flip;
	rc = tfr_pool_new(&l->pool, tfr_parallel_threads(o->threads), err);
	if (rc)
		goto fail;
	l->nwk = tfr_pool_threads(l->pool);
	l->wk = calloc((size_t)l->nwk, sizeof(*l->wk));
	l->slots = calloc((size_t)l->o.prefetch, sizeof(*l->slots));
	if (!l->wk || !l->slots) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < l->o.prefetch; i++) {
		if (!(l->slots[i] = slot_new(l))) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto fail;
		}
		l->nslots++;
	}
	warm_up(l);
	*lp = l;
	return TFR_OK;
fail:
	tfr_loader_close(l);
	return rc;
}

uint64_t tfr_loader_len(const struct tfr_loader *l) { return l->nbatches; }
uint64_t tfr_loader_records(const struct tfr_loader *l) { return l->N; }
uint64_t tfr_loader_epoch(const struct tfr_loader *l) { return l->epoch; }
uint64_t tfr_loader_batch_pos(const struct tfr_loader *l) { return l->pos; }
uint64_t tfr_loader_skipped(const struct tfr_loader *l) { return l->skipped; }
const struct tfr_plan_params *tfr_loader_plan(const struct tfr_loader *l) { return &l->plan; }

void tfr_loader_digest(const struct tfr_loader *l, char hex[17])
{
	tfr_plan_digest(&l->plan, hex);
}

int tfr_loader_seek(struct tfr_loader *l, uint64_t e, uint64_t k, struct tfr_error *err)
{
	if (k > l->nbatches)
		return tfr_error_set(err, TFR_ERR_INVALID, "batch %llu is past the epoch's %llu",
				     (unsigned long long)k, (unsigned long long)l->nbatches);
	drain(l);
	l->epoch = e;
	l->pos = l->queued = k;
	return TFR_OK;
}

void tfr_loader_set_stride(struct tfr_loader *l, uint64_t stride)
{
	drain(l);
	l->stride = stride ? stride : 1;
}

int tfr_loader_set_epoch(struct tfr_loader *l, uint64_t e, struct tfr_error *err)
{
	return tfr_loader_seek(l, e, 0, err);
}

int tfr_loader_next(struct tfr_loader *l, struct tfr_loader_batch **bp,
		    struct tfr_error *err)
{
	struct slot *sl;
	int rc;

	*bp = NULL;
	if (l->pos >= l->nbatches) {
		drain(l);
		l->epoch++;
		l->pos = l->queued = 0;
		return TFR_EOF;
	}
	rc = make_plan(l, err);
	if (rc)
		return rc;
	top_up(l);
	sl = slot_of(l, l->pos);
	if (!sl) {
		sl = free_slot(l, 1);
		if (!sl)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for a batch slot");
		slot_start(l, sl, l->pos);
		if (l->queued <= l->pos)
			l->queued = l->pos + l->stride;
	}
	rc = slot_wait(l, sl, err);
	if (!rc)
		rc = slot_finish(l, sl, err);
	if (rc) {
		/* the batch is lost; the position stays, so the error repeats */
		sl->state = SLOT_FREE;
		drain(l);
		return rc;
	}
	sl->state = SLOT_HELD;
	for (size_t i = 0; i < l->nslots; i++)
		if (l->slots[i] == sl)
			sl->b.slot = (int)i;
	l->pos += l->stride;
	top_up(l);
	*bp = &sl->b;
	return TFR_OK;
}

void tfr_loader_release(struct tfr_loader *l, struct tfr_loader_batch *b)
{
	if (!b || b->slot < 0 || (size_t)b->slot >= l->nslots)
		return;
	l->slots[b->slot]->state = SLOT_FREE;
	if (l->pos < l->nbatches && l->have_plan && l->planned == l->epoch)
		top_up(l);
}

int tfr_loader_read(struct tfr_loader *l, uint64_t id, struct tfr_loader_batch **bp,
		    struct tfr_error *err)
{
	struct slot *sl;
	int rc;

	*bp = NULL;
	if (id >= l->N)
		return tfr_error_set(err, TFR_ERR_INVALID, "record %llu is past the shards' %llu records",
				     (unsigned long long)id, (unsigned long long)l->N);
	if (any_compressed(l))
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				     "random access needs uncompressed shards (a compressed stream "
				     "cannot seek to a record's offset)");
	/* a free slot, or a new one: batches prefetched for next() stay */
	sl = free_slot(l, 1);
	if (!sl)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory for a batch slot");
	slot_start_ids(l, sl, UINT64_MAX, &id, 1, l->epoch);
	rc = slot_wait(l, sl, err);
	if (!rc)
		rc = slot_finish(l, sl, err);
	if (!rc && sl->b.n == 0)  /* skipped under on_error_skip */
		rc = TFR_EOF;
	if (rc) {
		sl->state = SLOT_FREE;
		return rc;
	}
	sl->state = SLOT_HELD;
	for (size_t i = 0; i < l->nslots; i++)
		if (l->slots[i] == sl)
			sl->b.slot = (int)i;
	*bp = &sl->b;
	return TFR_OK;
}

/*
 * At open: read the first record once (as tfr_loader_read), so that the
 * tensor's size and place in its record are known before the first
 * batch (its records then go straight into place), and reserve and
 * populate every slot's image array for a batch of records that size.
 * Without this a loader's first batches paid for fresh memory twice
 * (page faults in the preadv into the slots, whole records read aside
 * and copied): 10 faults a record and ~5x a warm epoch's time in the
 * first epoch of 224x224 float16 batches of 256.  The cost moves to
 * open, where a trainer pays it once.  It is only a guess: any failure
 * here is ignored (the real read reports it), and a batch of other sizes
 * grows its slot as before.  Compressed shards are not probed (no
 * random access).
 */
static void warm_up(struct tfr_loader *l)
{
	struct tfr_loader_batch *b;
	uint64_t skipped = l->skipped, off = 0;
	size_t imgsz;

	if (!l->N || any_compressed(l) || tfr_loader_read(l, 0, &b, NULL) != TFR_OK) {
		l->skipped = skipped;
		return;
	}
	imgsz = l->slots[b->slot]->imgsz;
	tfr_loader_release(l, b);
	l->skipped = skipped;
	for (size_t s = 0; s < l->nsh && !off; s++)
		off = __atomic_load_n(&l->sh[s].pred_off, __ATOMIC_RELAXED);
	for (size_t s = 0; s < l->nsh; s++)
		if (!__atomic_load_n(&l->sh[s].pred_off, __ATOMIC_RELAXED))
			__atomic_store_n(&l->sh[s].pred_off, off, __ATOMIC_RELAXED);
	if (imgsz && l->o.batch_size <= (SIZE_MAX - 1) / imgsz)
		for (size_t i = 0; i < l->nslots; i++)
			(void)grow_images(&l->slots[i]->images, imgsz * l->o.batch_size + 1);
}

void tfr_loader_close(struct tfr_loader *l)
{
	if (!l)
		return;
	if (l->pool) {
		for (size_t i = 0; i < l->nslots; i++)
			if (l->slots[i]->state == SLOT_FILLING)
				slot_wait(l, l->slots[i], NULL);
		tfr_pool_free(l->pool);
	}
	for (size_t i = 0; i < l->nslots; i++)
		slot_free(l, l->slots[i]);
	free(l->slots);
	for (int w = 0; w < l->nwk; w++) {
		tfr_image_release(&l->wk[w].img);
		tfr_augment_scratch_release(&l->wk[w].aug);
		tfr_buf_release(&l->wk[w].stage);
	}
	free(l->wk);
	for (size_t s = 0; s < l->nsh; s++) {
		if (l->sh[s].fd >= 0)
			close(l->sh[s].fd);
		tfr_reader_free(l->sh[s].rd);
		free(l->sh[s].off);
		free(l->sh[s].len);
		free(l->sh[s].path);
	}
	free(l->sh);
	free(l->counts);
	for (size_t x = 0; l->xkeys && x < l->o.nkeys; x++)
		free(l->xkeys[x]);
	free(l->xkeys);
	free(l->keybuf[0]);
	free(l->keybuf[1]);
	free(l->ids);
	pthread_mutex_destroy(&l->rmu);
	free(l);
}
