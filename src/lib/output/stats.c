/* stats.c - dataset statistics; see stats.h. */
#include "config.h"
#include "output/stats.h"
#include "format/example.h"
#include "pixels/f16.h"
#include "base/json.h"
#include "format/record.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#define FRAC_BITS 60

/* Short-side edges and width/height edges as fractions num/den. */
static const uint32_t side_edges[TFR_STATS_NSIDE - 1] = { 32, 64, 128, 256, 512, 1024, 2048, 4096 };
static const uint32_t aspect_num[TFR_STATS_NASPECT - 1] = { 1, 2, 4, 19, 21, 5, 3, 2 };
static const uint32_t aspect_den[TFR_STATS_NASPECT - 1] = { 2, 3, 5, 20, 20, 4, 2, 1 };

void tfr_stats_init(struct tfr_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->bytes_min = UINT64_MAX;
}

void tfr_stats_release(struct tfr_stats *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->nclasses; i++)
		free(st->classes[i].name);
	free(st->classes);
	tfr_stats_init(st);
}

/* A double as 2^-60 fixed point, truncated; deterministic for a given
 * double.  |x| stays far below 2^60 (one record's sums). */
static __int128 to_fixed(double x)
{
	double hi = floor(x);
	double lo = x - hi; /* exact: 0 <= lo < 1 */

	return ((__int128)(int64_t)hi << FRAC_BITS) +
	       (__int128)(int64_t)ldexp(lo, FRAC_BITS);
}

static double from_fixed(__int128 v)
{
	/* Two halves, so no precision is lost before the final rounding. */
	__int128 ip = v >> FRAC_BITS;
	__int128 fp = v - (ip << FRAC_BITS);

	return (double)ip + ldexp((double)(int64_t)fp, -FRAC_BITS);
}

static int class_cmp(int64_t la, const char *na, int64_t lb, const char *nb)
{
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(na, nb);
}

/* Add n to the class (label, name), inserting it in order. */
static int class_add(struct tfr_stats *st, int64_t label, const char *name,
		     size_t nlen, uint64_t n, struct tfr_error *err)
{
	size_t lo = 0, hi = st->nclasses;
	char *copy = strndup(name, nlen);

	if (!copy)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = class_cmp(st->classes[mid].label, st->classes[mid].name, label, copy);

		if (c == 0) {
			st->classes[mid].count += n;
			free(copy);
			return TFR_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (st->nclasses >= TFR_STATS_MAX_CLASSES) {
		free(copy);
		return tfr_error_set(err, TFR_ERR_LIMIT, "more than %d classes",
				     TFR_STATS_MAX_CLASSES);
	}
	{
		struct tfr_stats_class *c = tfr_grow_array(st->classes, &st->cap,
							   st->nclasses + 1, sizeof(*c));

		if (!c) {
			free(copy);
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		}
		st->classes = c;
	}
	memmove(&st->classes[lo + 1], &st->classes[lo],
		(st->nclasses - lo) * sizeof(*st->classes));
	st->classes[lo] = (struct tfr_stats_class){ label, copy, n };
	st->nclasses++;
	return TFR_OK;
}

int tfr_stats_add_class(struct tfr_stats *st, int64_t label, const char *name,
			struct tfr_error *err)
{
	return class_add(st, label, name, strlen(name), 0, err);
}

static void add_size(struct tfr_stats *st, int64_t h, int64_t w)
{
	uint64_t s = (uint64_t)(h < w ? h : w);
	size_t k;

	for (k = 0; k < TFR_STATS_NSIDE - 1 && s >= side_edges[k]; k++)
		;
	st->short_side[k]++;
	/* w/h < num/den  <=>  w*den < h*num (exact in 64 bits: sizes < 2^31) */
	for (k = 0; k < TFR_STATS_NASPECT - 1 &&
		    (uint64_t)w * aspect_den[k] >= (uint64_t)h * aspect_num[k]; k++)
		;
	st->aspect[k]++;
	st->sized++;
}

static int one_int(const struct tfr_example *ex, const char *key, int64_t *v)
{
	struct tfr_feature_view f;

	if (!tfr_example_find(ex, key, &f) || f.kind != TFR_FEATURE_INT64 || f.count != 1)
		return 0;
	*v = f.ints[0];
	return 1;
}

/* Add the sum of x[0], x[stride], ... (n values) to *s1 and the sum of
 * their squares to *s2, in the fixed four-lane order add_tensor
 * describes. */
static void sum_lanes(const float *x, size_t n, unsigned stride, double *s1, double *s2)
{
	double a0 = 0, a1 = 0, a2 = 0, a3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
	size_t j = 0;

	for (; j + 4 <= n; j += 4, x += 4 * (size_t)stride) {
		double v0 = x[0], v1 = x[stride], v2 = x[2 * (size_t)stride],
		       v3 = x[3 * (size_t)stride];

		a0 += v0, q0 += v0 * v0;
		a1 += v1, q1 += v1 * v1;
		a2 += v2, q2 += v2 * v2;
		a3 += v3, q3 += v3 * v3;
	}
	if (j < n) {
		double v = x[0];

		a0 += v, q0 += v * v;
	}
	if (j + 1 < n) {
		double v = x[stride];

		a1 += v, q1 += v * v;
	}
	if (j + 2 < n) {
		double v = x[2 * (size_t)stride];

		a2 += v, q2 += v * v;
	}
	*s1 += (a0 + a1) + (a2 + a3);
	*s2 += (q0 + q1) + (q2 + q3);
}

/* Sum one tensor's values per channel, in storage order. */
static int add_tensor(struct tfr_stats *st, const struct tfr_example *ex,
		      struct tfr_error *err)
{
	struct tfr_feature_view raw, dt, shape, fm, fs;
	int64_t c64, H, W, C;
	size_t es, n, i, row, nrows, rowlen;
	int hwc, dtype; /* 0 float16, 1 float32, 2 uint8 */
	double mean[TFR_STATS_MAX_CHANNELS], sd[TFR_STATS_MAX_CHANNELS];
	double s[TFR_STATS_MAX_CHANNELS], q[TFR_STATS_MAX_CHANNELS];
	double x1[TFR_STATS_MAX_CHANNELS] = { 0 }, x2[TFR_STATS_MAX_CHANNELS] = { 0 };
	const unsigned char *p;
	float *row_buf;
	unsigned c;

	if (!tfr_example_find(ex, "image/raw", &raw) || raw.kind != TFR_FEATURE_BYTES ||
	    raw.count != 1 || !tfr_example_find(ex, "image/dtype", &dt) ||
	    dt.kind != TFR_FEATURE_BYTES || dt.count != 1 ||
	    !tfr_example_find(ex, "image/shape", &shape) || shape.kind != TFR_FEATURE_INT64 ||
	    shape.count != 3 || !one_int(ex, "image/channels", &c64))
		return TFR_OK; /* no tensor described: nothing to add */
	if (dt.bytes[0].len == 7 && !memcmp(dt.bytes[0].data, "float16", 7))
		dtype = 0, es = 2;
	else if (dt.bytes[0].len == 7 && !memcmp(dt.bytes[0].data, "float32", 7))
		dtype = 1, es = 4;
	else if (dt.bytes[0].len == 5 && !memcmp(dt.bytes[0].data, "uint8", 5))
		dtype = 2, es = 1;
	else
		return TFR_OK;
	if (c64 < 1 || c64 > TFR_STATS_MAX_CHANNELS)
		return tfr_error_set(err, TFR_ERR_FORMAT, "image/channels %lld is not 1 to %d",
				     (long long)c64, TFR_STATS_MAX_CHANNELS);
	hwc = shape.ints[2] == c64;
	if (!hwc && shape.ints[0] != c64)
		return tfr_error_set(err, TFR_ERR_FORMAT, "image/shape does not hold image/channels");
	H = hwc ? shape.ints[0] : shape.ints[1];
	W = hwc ? shape.ints[1] : shape.ints[2];
	C = c64;
	if (H < 0 || W < 0 || (uint64_t)H * (uint64_t)W > (UINT64_C(1) << 40) ||
	    (uint64_t)H * (uint64_t)W * (uint64_t)C * es != raw.bytes[0].len)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "image/raw holds %zu bytes, not the %lldx%lldx%lld %s of image/shape",
				     raw.bytes[0].len, (long long)H, (long long)W, (long long)C,
				     dtype == 0 ? "float16" : dtype == 1 ? "float32" : "uint8");
	if (st->channels && st->channels != (unsigned)C)
		return tfr_error_set(err, TFR_ERR_FORMAT, "a tensor of %lld channels after ones of %u",
				     (long long)C, st->channels);
	for (c = 0; c < (unsigned)C; c++) {
		mean[c] = 0;
		sd[c] = dtype == 2 ? 1.0 / 255.0 : 1.0;
	}
	if (dtype != 2 && tfr_example_find(ex, "image/mean", &fm) && fm.kind == TFR_FEATURE_FLOAT &&
	    fm.count == (size_t)C && tfr_example_find(ex, "image/std", &fs) &&
	    fs.kind == TFR_FEATURE_FLOAT && fs.count == (size_t)C)
		for (c = 0; c < (unsigned)C; c++) {
			mean[c] = fm.floats[c];
			sd[c] = fs.floats[c];
		}
	/* Row by row (a row of W pixels in HWC, of W values of one channel
	 * in CHW), each row's sums added to the record's: shorter chains of
	 * rounding than one running sum.  A row is first widened to floats
	 * in one branch-free loop per dtype, then each channel's values x are
	 * summed as x and x*x (exact in double: at most 24-bit significands)
	 * in four lanes, the value j in lane j % 4, combined as (l0 + l1) +
	 * (l2 + l3).  The order is fixed by this code alone, so every
	 * compiler gives the same bits, and four independent chains run four
	 * times faster than one; a record's values v = x * std + mean then
	 * follow as sums: sum v = std sum x + n mean, sum v^2 = std^2 sum x^2
	 * + 2 std mean sum x + n mean^2. */
	p = raw.bytes[0].data;
	n = (size_t)H * (size_t)W * (size_t)C;
	rowlen = hwc ? (size_t)W * (size_t)C : (size_t)W;
	nrows = rowlen ? n / rowlen : 0;
	row_buf = malloc((rowlen ? rowlen : 1) * sizeof(float));
	if (!row_buf)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	for (row = 0; row < nrows; row++) {
		const unsigned char *rp = p + row * rowlen * es;
		unsigned c0 = hwc ? 0 : (unsigned)(row / (size_t)H);
		unsigned nc = hwc ? (unsigned)C : 1;

		if (dtype == 0) {
			tfr_f16le_to_f32_array(row_buf, rp, rowlen);
		} else if (dtype == 1) {
			for (i = 0; i < rowlen; i++) {
				uint32_t u = (uint32_t)rp[4 * i] | (uint32_t)rp[4 * i + 1] << 8 |
					     (uint32_t)rp[4 * i + 2] << 16 | (uint32_t)rp[4 * i + 3] << 24;

				memcpy(&row_buf[i], &u, 4);
			}
		} else {
			for (i = 0; i < rowlen; i++)
				row_buf[i] = rp[i];
		}
		for (c = 0; c < nc; c++)
			sum_lanes(row_buf + c, (size_t)W, nc, &x1[c0 + c], &x2[c0 + c]);
	}
	free(row_buf);
	for (c = 0; c < (unsigned)C; c++) {
		double a = sd[c], b = mean[c], cnt = (double)H * (double)W;

		s[c] = a * x1[c] + cnt * b;
		q[c] = a * a * x2[c] + 2 * a * b * x1[c] + cnt * b * b;
		/* The fixed-point sums hold 2^67 units of 2^60 beside these;
		 * NaN and infinity fail here too. */
		if (!(fabs(s[c]) < 0x1p48 && q[c] < 0x1p48))
			return tfr_error_set(err, TFR_ERR_FORMAT,
					     "image/raw holds values whose channel %u sums to %g "
					     "(NaN, infinity or too large for statistics)", c,
					     fabs(s[c]) < 0x1p48 ? q[c] : s[c]);
	}
	st->channels = (unsigned)C;
	for (c = 0; c < (unsigned)C; c++) {
		st->values[c] += (uint64_t)H * (uint64_t)W;
		st->sum[c] += to_fixed(s[c]);
		st->sumsq[c] += to_fixed(q[c]);
	}
	st->pixel_records++;
	return TFR_OK;
}

int tfr_stats_add_record(struct tfr_stats *st, const void *payload, size_t len,
			 struct tfr_error *err)
{
	struct tfr_example *ex = NULL;
	struct tfr_feature_view text;
	int64_t label, h, w;
	int rc;

	st->records++;
	st->bytes += len;
	if (len < st->bytes_min)
		st->bytes_min = len;
	if (len > st->bytes_max)
		st->bytes_max = len;
	if (tfr_example_parse(&ex, payload, len, NULL) ||
	    tfr_example_kind(ex) != TFR_PAYLOAD_EXAMPLE) {
		tfr_example_free(ex);
		return TFR_OK; /* not an Example: records and bytes only */
	}
	rc = add_tensor(st, ex, err);
	if (!rc && one_int(ex, "image/height", &h) && one_int(ex, "image/width", &w) &&
	    h > 0 && w > 0 && h < INT32_MAX && w < INT32_MAX)
		add_size(st, h, w);
	if (!rc && one_int(ex, "image/class/label", &label)) {
		if (tfr_example_find(ex, "image/class/text", &text) &&
		    text.kind == TFR_FEATURE_BYTES && text.count == 1)
			rc = class_add(st, label, (const char *)text.bytes[0].data,
				       text.bytes[0].len, 1, err);
		else
			rc = class_add(st, label, "", 0, 1, err);
	}
	tfr_example_free(ex);
	return rc;
}

int tfr_stats_add_file(struct tfr_stats *st, const char *path,
		       uint64_t max_record, struct tfr_error *err)
{
	struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO, .max_record = max_record };
	struct tfr_reader *r;
	struct tfr_record rec;
	int rc = tfr_reader_open(&r, path, &ro, err);

	if (rc)
		return rc;
	while ((rc = tfr_reader_next(r, &rec, err)) == TFR_OK) {
		struct tfr_error e;

		rc = tfr_stats_add_record(st, rec.data, rec.len, &e);
		if (rc) {
			rc = tfr_error_at(err, rc, rec.index, rec.offset, "'%s': record %llu at offset %llu: %s",
					  path, (unsigned long long)rec.index,
					  (unsigned long long)rec.offset, e.msg);
			break;
		}
	}
	tfr_reader_free(r);
	return rc == TFR_EOF ? TFR_OK : rc;
}

int tfr_stats_merge(struct tfr_stats *a, const struct tfr_stats *b,
		    struct tfr_error *err)
{
	size_t i;
	unsigned c;
	int rc;

	if (a->channels && b->channels && a->channels != b->channels)
		return tfr_error_set(err, TFR_ERR_FORMAT, "tensors of %u and of %u channels",
				     a->channels, b->channels);
	if (b->channels)
		a->channels = b->channels;
	a->records += b->records;
	a->pixel_records += b->pixel_records;
	for (c = 0; c < TFR_STATS_MAX_CHANNELS; c++) {
		a->values[c] += b->values[c];
		a->sum[c] += b->sum[c];
		a->sumsq[c] += b->sumsq[c];
	}
	a->bytes += b->bytes;
	if (b->bytes_min < a->bytes_min)
		a->bytes_min = b->bytes_min;
	if (b->bytes_max > a->bytes_max)
		a->bytes_max = b->bytes_max;
	for (i = 0; i < TFR_STATS_NSIDE; i++)
		a->short_side[i] += b->short_side[i];
	for (i = 0; i < TFR_STATS_NASPECT; i++)
		a->aspect[i] += b->aspect[i];
	a->sized += b->sized;
	for (i = 0; i < b->nclasses; i++) {
		rc = class_add(a, b->classes[i].label, b->classes[i].name,
			       strlen(b->classes[i].name), b->classes[i].count, err);
		if (rc)
			return rc;
	}
	return TFR_OK;
}

unsigned tfr_stats_mean_std(const struct tfr_stats *st, double mean[],
			    double std[])
{
	unsigned c;

	for (c = 0; c < st->channels; c++) {
		double n = (double)st->values[c];
		double m = n ? from_fixed(st->sum[c]) / n : 0;
		double v = n ? from_fixed(st->sumsq[c]) / n - m * m : 0;

		mean[c] = m;
		std[c] = v > 0 ? sqrt(v) : 0;
	}
	return st->channels;
}

/* A signed 128-bit value as "-0x" / "0x" and 32 hex digits. */
static int put_i128(struct tfr_buf *b, __int128 v)
{
	unsigned __int128 m = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;

	return tfr_buf_printf(b, "\"%s0x%016llx%016llx\"", v < 0 ? "-" : "",
			      (unsigned long long)(uint64_t)(m >> 64),
			      (unsigned long long)(uint64_t)m);
}

static int put_u64s(struct tfr_buf *b, const uint64_t *v, size_t n)
{
	size_t i;
	int rc = tfr_buf_puts(b, "[");

	for (i = 0; i < n; i++)
		rc |= tfr_buf_printf(b, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	return rc | tfr_buf_puts(b, "]");
}

int tfr_stats_json(struct tfr_buf *b, const struct tfr_stats *st)
{
	double mean[TFR_STATS_MAX_CHANNELS], sd[TFR_STATS_MAX_CHANNELS];
	unsigned c, nc = tfr_stats_mean_std(st, mean, sd);
	size_t i;
	int rc = 0;

	rc |= tfr_buf_printf(b, "{\"records\": %llu, \"mean\": [", (unsigned long long)st->records);
	for (c = 0; c < nc; c++) {
		rc |= tfr_buf_puts(b, c ? ", " : "");
		rc |= tfr_json_float(b, (float)mean[c]);
	}
	rc |= tfr_buf_puts(b, "], \"std\": [");
	for (c = 0; c < nc; c++) {
		rc |= tfr_buf_puts(b, c ? ", " : "");
		rc |= tfr_json_float(b, (float)sd[c]);
	}
	rc |= tfr_buf_puts(b, "], \"class_counts\": {");
	for (i = 0; i < st->nclasses; i++) {
		rc |= tfr_buf_puts(b, i ? ", " : "");
		rc |= tfr_json_cstr(b, st->classes[i].name);
		rc |= tfr_buf_printf(b, ": %llu", (unsigned long long)st->classes[i].count);
	}
	rc |= tfr_buf_puts(b, "}, \"sizes\": {\"short_side\": {\"edges\": [");
	for (i = 0; i < TFR_STATS_NSIDE - 1; i++)
		rc |= tfr_buf_printf(b, "%s%u", i ? ", " : "", side_edges[i]);
	rc |= tfr_buf_puts(b, "], \"counts\": ");
	rc |= put_u64s(b, st->short_side, TFR_STATS_NSIDE);
	rc |= tfr_buf_puts(b, "}, \"aspect\": {\"edges\": [");
	for (i = 0; i < TFR_STATS_NASPECT - 1; i++) {
		rc |= tfr_buf_puts(b, i ? ", " : "");
		rc |= tfr_json_float(b, (float)aspect_num[i] / (float)aspect_den[i]);
	}
	rc |= tfr_buf_puts(b, "], \"counts\": ");
	rc |= put_u64s(b, st->aspect, TFR_STATS_NASPECT);
	rc |= tfr_buf_puts(b, "}}, \"bytes_per_record\": {\"mean\": ");
	rc |= tfr_json_float(b, st->records ? (float)((double)st->bytes / (double)st->records) : 0.0f);
	rc |= tfr_buf_printf(b, ", \"min\": %llu, \"max\": %llu}",
			     (unsigned long long)(st->records ? st->bytes_min : 0),
			     (unsigned long long)st->bytes_max);
	/* What merging needs, exactly: counts and the fixed-point sums. */
	rc |= tfr_buf_printf(b, ", \"exact\": {\"pixel_records\": %llu, \"bytes\": %llu, "
			     "\"sized\": %llu, \"values\": ", (unsigned long long)st->pixel_records,
			     (unsigned long long)st->bytes, (unsigned long long)st->sized);
	rc |= put_u64s(b, st->values, nc);
	rc |= tfr_buf_puts(b, ", \"sum\": [");
	for (c = 0; c < nc; c++) {
		rc |= tfr_buf_puts(b, c ? ", " : "");
		rc |= put_i128(b, st->sum[c]);
	}
	rc |= tfr_buf_puts(b, "], \"sumsq\": [");
	for (c = 0; c < nc; c++) {
		rc |= tfr_buf_puts(b, c ? ", " : "");
		rc |= put_i128(b, st->sumsq[c]);
	}
	rc |= tfr_buf_puts(b, "], \"labels\": [");
	for (i = 0; i < st->nclasses; i++)
		rc |= tfr_buf_printf(b, "%s%lld", i ? ", " : "", (long long)st->classes[i].label);
	rc |= tfr_buf_puts(b, "]}}");
	return rc;
}

/* --- reading it back (manifest merge) ------------------------------------- */

static yajl_val get(yajl_val obj, const char *a, const char *b, const char *c)
{
	const char *path[4] = { a, b, c, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

static int get_u64(yajl_val v, uint64_t *out)
{
	const char *s;
	char *end;

	if (!v || !YAJL_IS_NUMBER(v))
		return -1;
	s = YAJL_GET_NUMBER(v);
	if (!s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static int get_u64s(yajl_val v, uint64_t *out, size_t n)
{
	size_t i;

	if (!v || !YAJL_IS_ARRAY(v) || v->u.array.len != n)
		return -1;
	for (i = 0; i < n; i++)
		if (get_u64(v->u.array.values[i], &out[i]))
			return -1;
	return 0;
}

static int get_i128(yajl_val v, __int128 *out)
{
	const char *s = v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
	unsigned __int128 m = 0;
	int neg = 0, k;

	if (!s)
		return -1;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (strncmp(s, "0x", 2) || strlen(s) != 34)
		return -1;
	for (k = 2; k < 34; k++) {
		int d = s[k] >= '0' && s[k] <= '9' ? s[k] - '0' :
			s[k] >= 'a' && s[k] <= 'f' ? s[k] - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		m = m << 4 | (unsigned)d;
	}
	if (m >> 127)
		return -1;
	*out = neg ? -(__int128)m : (__int128)m;
	return 0;
}

int tfr_stats_from_json(struct tfr_stats *st, const char *text, size_t len,
			struct tfr_error *err)
{
	char ebuf[128], *copy = strndup(text, len);
	yajl_val root, v, labels, counts;
	size_t i, nc;
	int rc = TFR_OK;

	if (!copy)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	root = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (!root || !YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return tfr_error_set(err, TFR_ERR_FORMAT, "\"stats\" is not an object");
	}
	v = get(root, "exact", "values", NULL);
	nc = v && YAJL_IS_ARRAY(v) ? v->u.array.len : TFR_STATS_MAX_CHANNELS + 1;
	labels = get(root, "exact", "labels", NULL);
	counts = get(root, "class_counts", NULL, NULL);
	if (nc > TFR_STATS_MAX_CHANNELS ||
	    get_u64(get(root, "records", NULL, NULL), &st->records) ||
	    get_u64(get(root, "exact", "pixel_records", NULL), &st->pixel_records) ||
	    get_u64(get(root, "exact", "bytes", NULL), &st->bytes) ||
	    get_u64(get(root, "exact", "sized", NULL), &st->sized) ||
	    get_u64(get(root, "bytes_per_record", "min", NULL), &st->bytes_min) ||
	    get_u64(get(root, "bytes_per_record", "max", NULL), &st->bytes_max) ||
	    get_u64s(v, st->values, nc) ||
	    get_u64s(get(root, "sizes", "short_side", "counts"), st->short_side, TFR_STATS_NSIDE) ||
	    get_u64s(get(root, "sizes", "aspect", "counts"), st->aspect, TFR_STATS_NASPECT) ||
	    !labels || !YAJL_IS_ARRAY(labels) || !counts || !YAJL_IS_OBJECT(counts) ||
	    labels->u.array.len != counts->u.object.len) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "\"stats\" lacks a member or has a bad one");
		goto out;
	}
	st->channels = (unsigned)nc;
	if (!st->records)
		st->bytes_min = UINT64_MAX;
	v = get(root, "exact", "sum", NULL);
	for (i = 0; i < nc; i++)
		if (!v || !YAJL_IS_ARRAY(v) || v->u.array.len != nc ||
		    get_i128(v->u.array.values[i], &st->sum[i])) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT, "\"stats\" has a bad \"sum\"");
			goto out;
		}
	v = get(root, "exact", "sumsq", NULL);
	for (i = 0; i < nc; i++)
		if (!v || !YAJL_IS_ARRAY(v) || v->u.array.len != nc ||
		    get_i128(v->u.array.values[i], &st->sumsq[i])) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT, "\"stats\" has a bad \"sumsq\"");
			goto out;
		}
	for (i = 0; i < counts->u.object.len && !rc; i++) {
		yajl_val lv = labels->u.array.values[i];
		uint64_t n;
		const char *ls = lv && YAJL_IS_INTEGER(lv) ? YAJL_GET_NUMBER(lv) : NULL;

		if (!ls || get_u64(counts->u.object.values[i], &n)) {
			rc = tfr_error_set(err, TFR_ERR_FORMAT, "\"stats\" has a bad class count");
			break;
		}
		rc = class_add(st, YAJL_GET_INTEGER(lv), counts->u.object.keys[i],
			       strlen(counts->u.object.keys[i]), n, err);
	}
out:
	yajl_tree_free(root);
	return rc;
}
