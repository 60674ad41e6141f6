/* unit-store.c - --store encoders: option parsing, PNG and lossless WebP
 * exact, JPEG and lossy WebP close, same bytes twice, gray images; the
 * format lists generated from the codec table; the PNG row writer and
 * label reader other layers use (image.h). */
#include "config.h"
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <webp/decode.h>

#include "tap.h"
#include "lib/image/store.h"
#include "lib/image/image.h"

/* Decode back to w*h*ch bytes with each library's own decoder. */
static uint8_t *decode(enum tfr_store f, const struct tfr_buf *b, uint32_t w, uint32_t h,
		       unsigned ch)
{
	uint8_t *out = malloc((size_t)w * h * ch);

	if (f == TFR_STORE_JPEG) {
		tjhandle tj = tjInitDecompress();

		if (tjDecompress2(tj, b->data, b->len, out, (int)w, 0, (int)h,
				  ch == 1 ? TJPF_GRAY : TJPF_RGB, TJFLAG_ACCURATEDCT)) {
			free(out);
			out = NULL;
		}
		tjDestroy(tj);
	} else if (f == TFR_STORE_PNG) {
		png_image img;

		memset(&img, 0, sizeof(img));
		img.version = PNG_IMAGE_VERSION;
		if (!png_image_begin_read_from_memory(&img, b->data, b->len)) {
			free(out);
			return NULL;
		}
		img.format = ch == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
		if (!png_image_finish_read(&img, NULL, out, 0, NULL)) {
			free(out);
			out = NULL;
		}
	} else {
		int dw, dh;
		uint8_t *rgb = WebPDecodeRGB(b->data, b->len, &dw, &dh);
		size_t i;

		if (!rgb || dw != (int)w || dh != (int)h) {
			free(out);
			WebPFree(rgb);
			return NULL;
		}
		for (i = 0; i < (size_t)w * h * ch; i++)
			out[i] = ch == 1 ? rgb[3 * i] : rgb[i];
		WebPFree(rgb);
	}
	return out;
}

int main(void)
{
	static const struct { const char *s; enum tfr_store f; int q; int ok; } parse[] = {
		{ "jpeg", TFR_STORE_JPEG, 90, 1 }, { "jpeg:75", TFR_STORE_JPEG, 75, 1 },
		{ "png", TFR_STORE_PNG, 90, 1 }, { "webp:90", TFR_STORE_WEBP, 90, 1 },
		{ "webp:lossless", TFR_STORE_WEBP, TFR_STORE_LOSSLESS, 1 },
		{ "tensor", TFR_STORE_TENSOR, 90, 1 }, { "jpeg:0", 0, 0, 0 }, { "jpeg:101", 0, 0, 0 },
		{ "png:5", 0, 0, 0 }, { "gif", 0, 0, 0 }, { "jpeg:", 0, 0, 0 }, { "jpeg:9x", 0, 0, 0 },
	};
	static const struct { enum tfr_store f; int q; double max_err; } enc[] = {
		{ TFR_STORE_PNG, 0, 0 }, { TFR_STORE_WEBP, TFR_STORE_LOSSLESS, 0 },
		{ TFR_STORE_JPEG, 90, 3.0 }, { TFR_STORE_WEBP, 90, 4.0 },
	};
	const uint32_t w = 67, h = 45;
	uint8_t *pix = malloc((size_t)w * h * 3);
	struct tfr_buf a, b;
	struct tfr_error err;
	size_t i, k;
	unsigned ch;

	for (i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
		enum tfr_store f;
		int q, rc = tfr_store_parse(parse[i].s, &f, &q);

		ok(parse[i].ok ? rc == 0 && f == parse[i].f && q == parse[i].q : rc != 0,
		   "parse '%s'", parse[i].s);
	}
	ok(!strcmp(tfr_store_format(TFR_STORE_JPEG), "jpeg") && !tfr_store_format(TFR_STORE_TENSOR),
	   "image/format names");
	/* a smooth picture with an edge, as a resized photo might be */
	for (i = 0; i < (size_t)w * h; i++) {
		size_t x = i % w, y = i / w;

		pix[3 * i] = (uint8_t)(x * 255 / w);
		pix[3 * i + 1] = (uint8_t)(y * 255 / h);
		pix[3 * i + 2] = x > w / 2 ? 200 : 40;
	}
	tfr_buf_init(&a, 0);
	tfr_buf_init(&b, 0);
	for (ch = 1; ch <= 3; ch += 2)
		for (k = 0; k < sizeof(enc) / sizeof(enc[0]); k++) {
			uint8_t *src = pix, *gray = NULL, *back;
			double sum = 0;

			if (ch == 1) {
				gray = malloc((size_t)w * h);
				for (i = 0; i < (size_t)w * h; i++)
					gray[i] = pix[3 * i + 1];
				src = gray;
			}
			ok(tfr_store_encode(enc[k].f, enc[k].q, src, w, h, ch, &a, &err) == 0 &&
			   tfr_store_encode(enc[k].f, enc[k].q, src, w, h, ch, &b, &err) == 0,
			   "%s q%d, %u channels: encoded", tfr_store_format(enc[k].f), enc[k].q, ch);
			ok(a.len == b.len && !memcmp(a.data, b.data, a.len), "the same bytes twice");
			back = decode(enc[k].f, &a, w, h, ch);
			ok(back != NULL, "decodes");
			for (i = 0; back && i < (size_t)w * h * ch; i++)
				sum += abs((int)back[i] - (int)src[i]);
			sum /= (double)w * h * ch;
			ok(back && sum <= enc[k].max_err, "mean absolute error %.3f <= %.1f", sum,
			   enc[k].max_err);
			free(back);
			free(gray);
		}
	ok(tfr_store_encode(TFR_STORE_JPEG, 90, pix, 0, 5, 3, &a, &err) == TFR_ERR_INVALID,
	   "an empty image is refused");
	ok(tfr_store_encode(TFR_STORE_PNG, 90, pix, 5, 5, 2, &a, &err) == TFR_ERR_INVALID,
	   "two channels are refused");

	/* Lists from the table: every decoder, every encoder with its modes. */
	{
		char list[256], small[8];
		size_t n = tfr_image_format_list(TFR_LIST_LONG, list, sizeof(list));

		ok(!strcmp(list, "JPEG, PNG, WebP, TIFF, GIF, BMP, PNM or JPEG 2000") &&
		   n == strlen(list), "decoders listed: %s", list);
		n = tfr_image_format_list(TFR_LIST_STORE, list, sizeof(list));
		ok(!strcmp(list, "jpeg[:Q], png or webp[:Q|lossless]") && n == strlen(list),
		   "encoders listed: %s", list);
		ok(tfr_image_format_list(TFR_LIST_STORE, small, sizeof(small)) == n &&
		   !strcmp(small, "jpeg[:Q"), "a short buffer is cut and terminated, the need returned");
		ok(tfr_image_encoder("gif", 3, NULL, NULL) == TFR_IMAGE_UNKNOWN &&
		   tfr_image_encoder("png", 3, NULL, NULL) == TFR_IMAGE_PNG,
		   "only codecs with an encoder are encoders");
	}

	/* The row writer (exported pictures) and the label reader (masks). */
	{
		uint8_t lab[6 * 4], *back = NULL;
		uint32_t w = 0, h = 0;
		size_t i;

		for (i = 0; i < sizeof(lab); i++)
			lab[i] = (uint8_t)(i * 7);
		a.len = 0;
		ok(tfr_png_encode_rows(lab, 6, 4, 1, &a, &err) == 0 && a.len > 8 &&
		   !memcmp(a.data, "\x89PNG", 4), "the row writer makes a PNG");
		ok(tfr_png_read_labels(a.data, a.len, 100, &back, &w, &h, &err) == 0 &&
		   w == 6 && h == 4 && !memcmp(back, lab, sizeof(lab)),
		   "the label reader gives its values back");
		free(back);
		ok(tfr_png_read_labels(a.data, a.len, 23, &back, &w, &h, &err) == TFR_ERR_LIMIT &&
		   !back, "the label reader refuses a PNG over the pixel cap");
		ok(tfr_png_read_labels(a.data, a.len / 2, 100, &back, &w, &h, &err) ==
		   TFR_ERR_FORMAT && !back, "the label reader refuses a cut PNG");
		a.len = 0;
		ok(tfr_png_encode_rows(pix, 5, 5, 3, &a, &err) == 0 &&
		   tfr_png_read_labels(a.data, a.len, 100, &back, &w, &h, &err) ==
		   TFR_ERR_UNSUPPORTED && !back, "the label reader refuses an RGB PNG");
	}
	tfr_buf_release(&a);
	tfr_buf_release(&b);
	free(pix);
	return tap_done();
}
