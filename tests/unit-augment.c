/* unit-augment.c - resize, crop, flip, normalize and layouts. */
#include "config.h"
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/pixels/augment.h"

static struct tfr_image make(uint32_t w, uint32_t h, int pattern)
{
	struct tfr_image im;
	uint32_t x, y;

	memset(&im, 0, sizeof(im));
	im.width = im.src_width = im.frame_width = w;
	im.height = im.src_height = im.frame_height = h;
	im.channels = 3;
	im.pixels = malloc((size_t)w * h * 3);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			unsigned char *p = im.pixels + ((size_t)y * w + x) * 3;

			p[0] = pattern ? (unsigned char)x : 200;
			p[1] = pattern ? (unsigned char)y : 100;
			p[2] = 50;
		}
	return im;
}

static float f32(const struct tfr_buf *b, size_t i)
{
	float f;

	memcpy(&f, b->data + 4 * i, 4);
	return f;
}

/* A w x h image of c channels of pseudo-random bytes. */
static struct tfr_image noise(uint32_t w, uint32_t h, uint32_t c, uint32_t seed)
{
	struct tfr_image im;
	size_t i, n = (size_t)w * h * c;

	memset(&im, 0, sizeof(im));
	im.width = im.src_width = im.frame_width = w;
	im.height = im.src_height = im.frame_height = h;
	im.channels = c;
	im.pixels = malloc(n);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		im.pixels[i] = (unsigned char)(seed >> 23);
	}
	return im;
}

/*
 * The AVX2 kernels (where the CPU has them) and the portable ones give
 * the same bytes, over shapes that exercise the vector tails: odd widths,
 * shrinking and enlarging, one and three channels, every dtype, CHW,
 * flips and random crops.
 */
static void simd_twins(struct tfr_augment_scratch *s)
{
	static const uint32_t sizes[][4] = { /* src w, h -> resize w, h */
		{ 131, 77, 37, 29 }, { 64, 48, 64, 48 }, { 50, 31, 129, 70 },
		{ 1001, 3, 17, 2 }, { 9, 400, 5, 33 }, { 33, 33, 1, 1 },
		{ 3, 3, 2, 2 }, { 2, 5, 9, 1 }, { 3, 1, 1, 7 }, { 4, 4, 3, 3 },
	};
	struct tfr_buf fast, slow;
	struct tfr_augment a;
	unsigned cfg, nsame = 0, ntotal = 0;
	uint32_t ow, oh;
	size_t z;

	tfr_buf_init(&fast, 0);
	tfr_buf_init(&slow, 0);
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (cfg = 0; cfg < 24; cfg++) {
			const float mean[3] = { 0.485f, 0.456f, 0.406f }, sd[3] = { 0.229f, 0.224f, 0.225f };
			uint32_t c = cfg & 1 ? 1 : 3;
			struct tfr_image im = noise(sizes[z][0], sizes[z][1], c, (uint32_t)(z * 31 + cfg));
			int r1, r2;

			memset(&a, 0, sizeof(a));
			a.channels = c;
			a.dtype = (enum tfr_dtype)((cfg >> 1) % 3);
			if (a.dtype == TFR_DTYPE_UINT8)
				tfr_augment_set_identity(&a);
			else
				tfr_augment_set_norm(&a, mean, sd);
			a.layout = cfg & 8 ? TFR_LAYOUT_CHW : TFR_LAYOUT_HWC;
			a.flip = (cfg >> 4) & 1;
			a.resize = TFR_RESIZE_EXACT;
			a.resize_w = sizes[z][2];
			a.resize_h = sizes[z][3];
			if (cfg & 4 && a.resize_w > 2 && a.resize_h > 2) {
				a.crop_w = a.resize_w - 2;
				a.crop_h = a.resize_h - 1;
				a.random_crop = 1;
			}
			fast.len = slow.len = 0;
			s->portable = 0;
			r1 = tfr_augment_run(&a, &im, cfg * 7919u, s, &fast, &ow, &oh, NULL);
			s->portable = 1;
			r2 = tfr_augment_run(&a, &im, cfg * 7919u, s, &slow, &ow, &oh, NULL);
			s->portable = 0;
			ntotal++;
			if (!r1 && !r2 && fast.len == slow.len && fast.len > 0 &&
			    !memcmp(fast.data, slow.data, fast.len))
				nsame++;
			free(im.pixels);
		}
	ok(nsame == ntotal, "vector and portable kernels give equal bytes (%u of %u)",
	   nsame, ntotal);
	tfr_buf_release(&fast);
	tfr_buf_release(&slow);
}

int main(void)
{
	struct tfr_augment a;
	struct tfr_augment_scratch s;
	struct tfr_buf out;
	struct tfr_image im;
	uint32_t ow, oh, i;
	int bad;

	memset(&s, 0, sizeof(s));
	tfr_buf_init(&out, 0);
	memset(&a, 0, sizeof(a));
	a.channels = 3;
	a.dtype = TFR_DTYPE_FLOAT32;
	tfr_augment_set_identity(&a);

	/* A constant image stays constant through any resize. */
	im = make(97, 61, 0);
	a.resize = TFR_RESIZE_EXACT;
	a.resize_w = 23;
	a.resize_h = 40;
	ok(tfr_augment_run(&a, &im, 1, &s, &out, &ow, &oh, NULL) == 0 && ow == 23 && oh == 40,
	   "resize 97x61 to 23x40");
	bad = 0;
	for (i = 0; i < 23 * 40 * 3; i++)
		if (fabsf(f32(&out, i) - (i % 3 == 0 ? 200 : i % 3 == 1 ? 100 : 50)) > 1e-3f)
			bad++;
	ok(bad == 0, "a constant image stays constant (%d off)", bad);

	/* Same size: the identity. */
	free(im.pixels);
	im = make(40, 30, 1);
	a.resize = TFR_RESIZE_NONE;
	out.len = 0;
	tfr_augment_run(&a, &im, 1, &s, &out, &ow, &oh, NULL);
	bad = 0;
	for (i = 0; i < 40 * 30 * 3; i++)
		if (f32(&out, i) != im.pixels[i])
			bad++;
	ok(bad == 0 && ow == 40 && oh == 30, "no resize is the identity");

	/* Resize-short keeps the aspect ratio. */
	a.resize = TFR_RESIZE_SHORT;
	a.resize_short = 15;
	tfr_augment_resized(&a, 40, 30, &ow, &oh);
	ok(ow == 20 && oh == 15, "resize-short 15 of 40x30 is 20x15");
	tfr_augment_resized(&a, 30, 41, &ow, &oh);
	ok(ow == 15 && oh == 21, "resize-short 15 of 30x41 is 15x21 (rounded)");

	/* Centre crop of a gradient picks the middle. */
	a.resize = TFR_RESIZE_NONE;
	a.crop_w = 10;
	a.crop_h = 6;
	out.len = 0;
	tfr_augment_run(&a, &im, 1, &s, &out, &ow, &oh, NULL);
	ok(ow == 10 && oh == 6 && f32(&out, 0) == 15 && f32(&out, 1) == 12,
	   "centre crop starts at (15, 12)");
	/* Flip: some random values flip, others do not; a flipped row runs
	 * backwards. */
	a.flip = 1;
	{
		int flipped = 0, straight = 0;
		uint64_t r;

		for (r = 0; r < 64; r++) {
			out.len = 0;
			tfr_augment_run(&a, &im, r, &s, &out, &ow, &oh, NULL);
			if (f32(&out, 0) == 24)
				flipped++;
			else if (f32(&out, 0) == 15)
				straight++;
		}
		ok(flipped > 10 && straight > 10 && flipped + straight == 64,
		   "flip: %d flipped, %d not, of 64", flipped, straight);
	}
	a.flip = 0;
	/* Random crops stay inside and vary. */
	a.random_crop = 1;
	{
		int seen[31], k, distinct = 0, inside = 1;
		uint64_t r;

		memset(seen, 0, sizeof(seen));
		for (r = 0; r < 200; r++) {
			out.len = 0;
			tfr_augment_run(&a, &im, r, &s, &out, &ow, &oh, NULL);
			k = (int)f32(&out, 0);
			if (k < 0 || k > 30)
				inside = 0;
			else
				seen[k] = 1;
		}
		for (k = 0; k <= 30; k++)
			distinct += seen[k];
		ok(inside && distinct > 20, "random crops cover %d of 31 positions", distinct);
	}
	a.random_crop = 0;
	ok(tfr_augment_shape(&a, 8, 8, &ow, &oh, NULL) == TFR_ERR_FORMAT,
	   "a crop larger than the image is an error");

	/* Issue 10, item 8: one small image must not plan a huge record. */
	{
		struct tfr_augment b = a;
		uint32_t rw, rh;

		b.crop_w = b.crop_h = 0;
		b.resize = TFR_RESIZE_SHORT;
		b.resize_short = 65535;
		tfr_augment_resized(&b, 100000, 1, &rw, &rh);
		ok(rw == UINT32_MAX && rh == 65535,
		   "a resized side past 2^32 saturates (was a float-to-unsigned overflow)");
		ok(tfr_augment_shape(&b, 100000, 1, &ow, &oh, NULL) == TFR_ERR_LIMIT,
		   "and is refused");
		b.resize_short = 256;
		ok(tfr_augment_shape(&b, 100000, 1, &ow, &oh, NULL) == TFR_ERR_LIMIT,
		   "a 25600000x256 tensor is refused before any memory exists");
		b.channels = 1;
		b.dtype = TFR_DTYPE_UINT8;
		ok(tfr_augment_check_size(&b, 1 << 20, 1023, NULL) == TFR_OK &&
		   (uint64_t)(1 << 20) * 1023 == TFR_MAX_TENSOR_BYTES,
		   "a tensor of exactly TFR_MAX_TENSOR_BYTES is allowed");
		ok(tfr_augment_check_size(&b, 1 << 20, 1024, NULL) == TFR_ERR_LIMIT,
		   "one row more is refused");
		b.dtype = TFR_DTYPE_FLOAT32;
		b.channels = 3;
		ok(tfr_augment_check_size(&b, UINT32_MAX, UINT32_MAX, NULL) == TFR_ERR_LIMIT,
		   "2^32 x 2^32 x 3 x 4 bytes does not wrap");
	}

	/* CHW layout is the transpose of HWC; normalization applies. */
	{
		struct tfr_buf hwc;
		const float mean[3] = { 0.5f, 0.25f, 0 }, sd[3] = { 0.5f, 0.5f, 1 };
		uint32_t x, y, c;

		tfr_buf_init(&hwc, 0);
		a.crop_w = 0;
		tfr_augment_set_norm(&a, mean, sd);
		tfr_augment_run(&a, &im, 1, &s, &hwc, &ow, &oh, NULL);
		a.layout = TFR_LAYOUT_CHW;
		out.len = 0;
		tfr_augment_run(&a, &im, 1, &s, &out, &ow, &oh, NULL);
		bad = 0;
		for (y = 0; y < 30; y++)
			for (x = 0; x < 40; x++)
				for (c = 0; c < 3; c++)
					if (f32(&hwc, ((size_t)y * 40 + x) * 3 + c) !=
					    f32(&out, ((size_t)c * 30 + y) * 40 + x))
						bad++;
		ok(bad == 0, "chw is the transpose of hwc");
		ok(fabsf(f32(&hwc, 3) - ((1.0f / 255 - 0.5f) / 0.5f)) < 1e-6f,
		   "normalization: (x/255 - mean) / std");
		tfr_buf_release(&hwc);
	}
	/* float16 output is the float32 output rounded. */
	a.layout = TFR_LAYOUT_HWC;
	a.dtype = TFR_DTYPE_UINT8;
	tfr_augment_set_identity(&a);
	out.len = 0;
	tfr_augment_run(&a, &im, 1, &s, &out, &ow, &oh, NULL);
	ok(out.len == 40 * 30 * 3 && !memcmp(out.data, im.pixels, out.len),
	   "uint8 without resize returns the pixels");
	free(im.pixels);
	simd_twins(&s);
	tfr_augment_scratch_release(&s);
	tfr_buf_release(&out);
	return tap_done();
}
