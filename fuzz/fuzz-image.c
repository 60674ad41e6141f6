/*
 * fuzz-image.c - libFuzzer target: sniffing, header probing and decoding
 * through every codec of the table in src/lib/image/ (JPEG, PNG, WebP,
 * TIFF, GIF, BMP, PNM, JPEG 2000): full size and scaled, RGB and gray,
 * alpha dropped and composited, whole and through a region; then the
 * augment path (resize, random crop, flip, float16).  Pixel caps are
 * small so that the fuzzer explores parsers, not allocation.  Seeds per
 * format come from tests/gen-formats.py (scripts/fuzz.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pixels/augment.h"
#include "lib/image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tfr_image_info info;
	struct tfr_image img;
	struct tfr_augment a;
	struct tfr_augment_scratch s;
	struct tfr_buf out;
	uint32_t uw, uh, ow, oh;
	unsigned ch;

	if (tfr_image_probe(data, size, 1u << 22, &info, NULL))
		return 0;
	memset(&img, 0, sizeof(img));
	memset(&s, 0, sizeof(s));
	tfr_buf_init(&out, 0);
	tfr_image_upright(&info, &uw, &uh);
	for (ch = 1; ch <= 3; ch += 2) {
		struct tfr_decode_opts d = { .channels = ch, .max_pixels = 1u << 22,
					     .min_width = 16, .min_height = 16 };

		memset(&a, 0, sizeof(a));
		a.resize = TFR_RESIZE_SHORT;
		a.resize_short = 16;
		a.crop_w = a.crop_h = 12;
		a.random_crop = 1;
		a.flip = 1;
		a.channels = ch;
		a.dtype = ch == 1 ? TFR_DTYPE_FLOAT16 : TFR_DTYPE_UINT8;
		a.layout = ch == 1 ? TFR_LAYOUT_CHW : TFR_LAYOUT_HWC;
		tfr_augment_set_identity(&a);
		/* Gray also composites alpha, over a colour whose luma is
		 * not one of the channels. */
		d.use_background = ch == 1;
		d.background[0] = 200;
		d.background[1] = 30;
		d.background[2] = 90;
		if (tfr_image_decode(data, size, &d, &img, NULL) == TFR_OK) {
			if (img.src_width != uw || img.src_height != uh)
				abort(); /* probe and decode must agree */
			out.len = 0;
			if (tfr_augment_shape(&a, uw, uh, &ow, &oh, NULL) == TFR_OK &&
			    tfr_augment_run(&a, &img, size, &s, &out, &ow, &oh, NULL) == TFR_OK &&
			    out.len != tfr_augment_bytes(&a, ow, oh))
				abort();
		}
	}
	tfr_image_release(&img);
	tfr_augment_scratch_release(&s);
	tfr_buf_release(&out);
	return 0;
}
