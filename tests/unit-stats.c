/* unit-stats.c - dataset statistics: per-channel mean/std against a
 * direct two-pass computation, every dtype and layout, exactness under
 * any grouping and order of records, class counts, histograms, and the
 * JSON round trip that manifest merge relies on. */
#include "config.h"
#include <endian.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lib/format/example.h"
#include "lib/pixels/f16.h"
#include "lib/output/stats.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

struct rec {
	struct tfr_buf payload;
	/* the pixel values (0..1 scale) the tensor stands for, HWC */
	double *pix;
	int h, w, c;
};

/* An Example as convert writes it: dtype 0 float16, 1 float32, 2 uint8;
 * chw layout or not; normalization mean/std. */
static void make(struct rec *r, int h, int w, int c, int dtype, int chw,
		 const float *mean, const float *sd, int64_t label, const char *text)
{
	static const char *names[] = { "float16", "float32", "uint8" };
	size_t n = (size_t)h * w * c, es = dtype == 0 ? 2 : dtype == 1 ? 4 : 1, i;
	unsigned char *raw = malloc(n * es);
	struct tfr_bytes rb = { n * es, raw }, db, tb;
	int64_t shape[3], hh = h, ww = w, cc = c;
	struct tfr_feature_spec f[10];
	size_t nf = 0;
	struct tfr_error err;
	int y, x, k;

	r->pix = malloc(n * sizeof(double));
	r->h = h;
	r->w = w;
	r->c = c;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (k = 0; k < c; k++) {
				unsigned px = rnd() % 256;
				size_t hwc = ((size_t)y * w + x) * c + k;
				size_t at = chw ? ((size_t)k * h + y) * w + x : hwc;

				if (dtype == 2) {
					raw[at] = (unsigned char)px;
					r->pix[hwc] = px / 255.0;
				} else {
					float v = (px / 255.0f - mean[k]) / sd[k];

					if (dtype == 0) {
						uint16_t h16 = tfr_f32_to_f16(v);

						v = tfr_f16_to_f32(h16);
						h16 = htole16(h16);
						memcpy(raw + 2 * at, &h16, 2);
					} else {
						uint32_t u;

						memcpy(&u, &v, 4);
						u = htole32(u);
						memcpy(raw + 4 * at, &u, 4);
					}
					r->pix[hwc] = (double)v * sd[k] + mean[k];
				}
			}
	db.data = (const unsigned char *)names[dtype];
	db.len = strlen(names[dtype]);
	tb.data = (const unsigned char *)text;
	tb.len = strlen(text);
	if (chw) {
		shape[0] = c;
		shape[1] = h;
		shape[2] = w;
	} else {
		shape[0] = h;
		shape[1] = w;
		shape[2] = c;
	}
	f[nf++] = (struct tfr_feature_spec){ "image/raw", TFR_FEATURE_BYTES, 1, &rb, NULL, NULL };
	f[nf++] = (struct tfr_feature_spec){ "image/dtype", TFR_FEATURE_BYTES, 1, &db, NULL, NULL };
	f[nf++] = (struct tfr_feature_spec){ "image/shape", TFR_FEATURE_INT64, 3, NULL, NULL, shape };
	if (dtype != 2) {
		f[nf++] = (struct tfr_feature_spec){ "image/mean", TFR_FEATURE_FLOAT, (size_t)c, NULL, mean, NULL };
		f[nf++] = (struct tfr_feature_spec){ "image/std", TFR_FEATURE_FLOAT, (size_t)c, NULL, sd, NULL };
	}
	f[nf++] = (struct tfr_feature_spec){ "image/height", TFR_FEATURE_INT64, 1, NULL, NULL, &hh };
	f[nf++] = (struct tfr_feature_spec){ "image/width", TFR_FEATURE_INT64, 1, NULL, NULL, &ww };
	f[nf++] = (struct tfr_feature_spec){ "image/channels", TFR_FEATURE_INT64, 1, NULL, NULL, &cc };
	f[nf++] = (struct tfr_feature_spec){ "image/class/label", TFR_FEATURE_INT64, 1, NULL, NULL, &label };
	f[nf++] = (struct tfr_feature_spec){ "image/class/text", TFR_FEATURE_BYTES, 1, &tb, NULL, NULL };
	tfr_buf_init(&r->payload, 0);
	if (tfr_example_encode(f, nf, &r->payload, &err))
		abort();
	(void)i;
	free(raw);
}

static void rec_free(struct rec *r)
{
	tfr_buf_release(&r->payload);
	free(r->pix);
}

static int json_eq(const struct tfr_stats *a, const struct tfr_stats *b)
{
	struct tfr_buf x, y;
	int eq;

	tfr_buf_init(&x, 0);
	tfr_buf_init(&y, 0);
	tfr_stats_json(&x, a);
	tfr_stats_json(&y, b);
	eq = x.len == y.len && !memcmp(x.data, y.data, x.len);
	if (!eq)
		tap_diag("%.*s\n  vs %.*s", (int)x.len, (const char *)x.data,
			 (int)y.len, (const char *)y.data);
	tfr_buf_release(&x);
	tfr_buf_release(&y);
	return eq;
}

#define NREC 12

int main(void)
{
	static const float imnet_m[3] = { 0.485f, 0.456f, 0.406f }, imnet_s[3] = { 0.229f, 0.224f, 0.225f };
	static const float unit_m[3] = { 0, 0, 0 }, unit_s[3] = { 1, 1, 1 };
	struct rec r[NREC];
	struct tfr_stats all, a, b, c, back;
	struct tfr_error err;
	struct tfr_buf js;
	double mean[4], sd[4];
	int dtype, chw, i, k;

	for (dtype = 0; dtype < 3; dtype++)
		for (chw = 0; chw < 2; chw++) {
			double s[3] = { 0 }, q[3] = { 0 }, n = 0, worst = 0;
			int norm;

			for (norm = 0; norm < 2; norm++) {
				tfr_stats_init(&all);
				memset(s, 0, sizeof(s));
				memset(q, 0, sizeof(q));
				n = 0;
				for (i = 0; i < 4; i++) {
					struct rec x;
					size_t p;

					make(&x, 5 + i, 7 + 3 * i, 3, dtype, chw, norm ? imnet_m : unit_m,
					     norm ? imnet_s : unit_s, i % 2, i % 2 ? "goat" : "cat");
					ok(tfr_stats_add_record(&all, x.payload.data, x.payload.len, &err) == 0,
					   "dtype %d chw %d norm %d: record %d added", dtype, chw, norm, i);
					for (p = 0; p < (size_t)x.h * x.w; p++)
						for (k = 0; k < 3; k++) {
							s[k] += x.pix[p * 3 + k];
							q[k] += x.pix[p * 3 + k] * x.pix[p * 3 + k];
						}
					n += (double)x.h * x.w;
					rec_free(&x);
				}
				ok(tfr_stats_mean_std(&all, mean, sd) == 3, "three channels");
				for (k = 0; k < 3; k++) {
					double m = s[k] / n, v = sqrt(q[k] / n - m * m);

					worst = fmax(worst, fmax(fabs(mean[k] - m), fabs(sd[k] - v)));
				}
				ok(worst < 1e-12, "dtype %d chw %d norm %d: mean and std equal a direct computation (%g)",
				   dtype, chw, norm, worst);
				ok(all.nclasses == 2 && all.classes[0].count == 2 && all.classes[1].count == 2 &&
				   !strcmp(all.classes[1].name, "goat"), "class counts");
				tfr_stats_release(&all);
			}
		}

	/* Exact under any grouping: all records one by one, or in three
	 * groups merged in another order, give the same bits. */
	for (i = 0; i < NREC; i++)
		make(&r[i], 8 + i % 5, 9 + (i * 7) % 11, 3, 0, 0, imnet_m, imnet_s, i % 3,
		     i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c");
	tfr_stats_init(&all);
	tfr_stats_init(&a);
	tfr_stats_init(&b);
	tfr_stats_init(&c);
	for (i = 0; i < NREC; i++)
		tfr_stats_add_record(&all, r[i].payload.data, r[i].payload.len, &err);
	for (i = NREC - 1; i >= 0; i--)
		tfr_stats_add_record(i < 3 ? &a : i < 8 ? &b : &c, r[i].payload.data, r[i].payload.len, &err);
	ok(tfr_stats_merge(&c, &a, &err) == 0 && tfr_stats_merge(&c, &b, &err) == 0, "merged");
	ok(json_eq(&all, &c), "grouped and reordered records give the same stats, to the bit");
	ok(all.records == NREC && all.bytes_min <= all.bytes_max && all.bytes > 0, "records and bytes");

	/* JSON round trip */
	tfr_buf_init(&js, 0);
	tfr_stats_json(&js, &all);
	tfr_stats_init(&back);
	ok(tfr_stats_from_json(&back, (const char *)js.data, js.len, &err) == 0, "read back");
	ok(json_eq(&all, &back), "what is read back writes the same JSON");
	ok(tfr_stats_from_json(&back, "{\"records\": 1}", 14, &err) == TFR_ERR_FORMAT,
	   "a stats object without its members is refused");
	ok(tfr_stats_from_json(&back, "[1]", 3, &err) == TFR_ERR_FORMAT, "a non-object is refused");
	tfr_buf_release(&js);
	tfr_stats_release(&back);

	/* Histograms: short sides and aspects land in their buckets. */
	{
		struct tfr_stats h;
		struct rec x;

		tfr_stats_init(&h);
		make(&x, 40, 80, 3, 2, 0, unit_m, unit_s, 0, "a"); /* side 40: bucket 1; aspect 2: last */
		tfr_stats_add_record(&h, x.payload.data, x.payload.len, &err);
		rec_free(&x);
		make(&x, 64, 64, 3, 2, 0, unit_m, unit_s, 0, "a");  /* side 64: bucket 2; aspect 1: <21/20 */
		tfr_stats_add_record(&h, x.payload.data, x.payload.len, &err);
		rec_free(&x);
		ok(h.short_side[1] == 1 && h.short_side[2] == 1, "short-side buckets");
		ok(h.aspect[TFR_STATS_NASPECT - 1] == 1 && h.aspect[4] == 1, "aspect buckets");
		tfr_stats_release(&h);
	}

	/* A non-Example payload counts in records and bytes only; a tensor of
	 * another channel count is an error. */
	{
		struct tfr_stats h;
		struct rec x;

		tfr_stats_init(&h);
		ok(tfr_stats_add_record(&h, "\xff\xff", 2, &err) == 0 && h.records == 1 &&
		   h.pixel_records == 0 && h.bytes == 2, "a payload that is not an Example");
		make(&x, 4, 4, 3, 0, 0, unit_m, unit_s, 0, "a");
		tfr_stats_add_record(&h, x.payload.data, x.payload.len, &err);
		rec_free(&x);
		make(&x, 4, 4, 1, 0, 0, unit_m, unit_s, 0, "a");
		ok(tfr_stats_add_record(&h, x.payload.data, x.payload.len, &err) == TFR_ERR_FORMAT,
		   "one channel after three is refused");
		rec_free(&x);
		/* std 1e-30 makes every nonzero value overflow float16 to
		 * infinity: no statistics, and a clear error, not a cast of
		 * infinity to an integer. */
		{
			static const float tiny_s[3] = { 1e-30f, 1e-30f, 1e-30f };

			make(&x, 4, 4, 3, 0, 0, unit_m, tiny_s, 0, "a");
			ok(tfr_stats_add_record(&h, x.payload.data, x.payload.len, &err) == TFR_ERR_FORMAT &&
			   strstr(err.msg, "NaN, infinity"), "an infinite tensor is refused: %s", err.msg);
			ok(h.pixel_records == 1, "and adds no pixels");
			rec_free(&x);
		}
		tfr_stats_release(&h);
	}

	for (i = 0; i < NREC; i++)
		rec_free(&r[i]);
	tfr_stats_release(&all);
	tfr_stats_release(&a);
	tfr_stats_release(&b);
	tfr_stats_release(&c);
	return tap_done();
}
