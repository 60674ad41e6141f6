/* unit-masks.c - masks drawn from COCO polygons and RLE, coded as PNG
 * and back (palette indices kept), and warped with the pixel-centre
 * convention: identity, flip, a crop window.  (Palette PNGs keeping
 * their indices: t0140, VOC SegmentationClass.) */
#include "config.h"
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lib/annot/annot.h"
#include "lib/annot/masks.h"

static int parse_coco(struct tfr_annot_set *s, const char *seg, int w, int h)
{
	char doc[1024];
	struct tfr_annot_opts o;
	struct tfr_error err;

	memset(&o, 0, sizeof(o));
	o.masks = 1;
	snprintf(doc, sizeof(doc),
		 "{\"images\": [{\"id\": 1, \"file_name\": \"x\", \"width\": %d, \"height\": %d}],"
		 "\"categories\": [{\"id\": 1, \"name\": \"c\"}],"
		 "\"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1,"
		 " \"bbox\": [0, 0, 1, 1], \"segmentation\": %s}]}", w, h, seg);
	tfr_annot_init(s);
	return tfr_annot_coco.parse(s, "t", doc, strlen(doc), &o, &err);
}

int main(void)
{
	struct tfr_annot_set s;
	unsigned char *px = NULL, *back = NULL;
	struct tfr_buf png;
	uint32_t w, h, x, y;
	size_t n;
	int rc;

	/* RLE, column-major, first run zeros: 3 high, 4 wide; runs 5, 3, 4:
	 * pixels 5..7 in column order are (x 1, y 2), (x 2, y 0), (x 2, y 1). */
	rc = parse_coco(&s, "{\"size\": [3, 4], \"counts\": [5, 3, 4]}", 4, 3);
	ok(!rc && s.nobjects == 1 && !tfr_mask_draw(&s, &s.objects[0], 4, 3, &px, NULL),
	   "an RLE mask draws");
	if (px)
		ok(px[2 * 4 + 1] && px[0 * 4 + 2] && px[1 * 4 + 2] &&
		   px[0] + px[1] + px[2] + px[3] + px[4] + px[5] + px[6] + px[7] + px[8] + px[9] +
		   px[10] + px[11] == 3, "... column-major, the 1-run where it belongs");
	free(px);
	px = NULL;
	tfr_annot_release(&s);

	/* A polygon: the square (2,1)-(6,5) covers pixel centres x 2..5,
	 * y 1..4: 16 pixels. */
	rc = parse_coco(&s, "[[2, 1, 6, 1, 6, 5, 2, 5]]", 8, 6);
	ok(!rc && !tfr_mask_draw(&s, &s.objects[0], 8, 6, &px, NULL), "a polygon draws");
	if (px) {
		size_t all = 0;

		for (n = 0, y = 0; y < 6; y++)
			for (x = 0; x < 8; x++) {
				n += px[y * 8 + x] && x >= 2 && x <= 5 && y >= 1 && y <= 4;
				all += px[y * 8 + x];
			}
		ok(n == 16 && all == 16, "... pixels whose centres are inside, and no others (%zu, %zu)",
		   n, all);
	}
	/* PNG round trip of a 0/1 mask. */
	tfr_buf_init(&png, 0);
	ok(px && !tfr_mask_encode(px, 8, 6, &png, NULL) &&
	   !tfr_mask_decode(png.data, png.len, &back, &w, &h, NULL) && w == 8 && h == 6 &&
	   !memcmp(px, back, 48), "a mask survives PNG coding byte for byte");
	ok(!tfr_mask_size(png.data, png.len, &w, &h) && w == 8 && h == 6 &&
	   tfr_mask_size("GIF89a", 6, &w, &h) < 0, "the size is read from the header");
	/* Warps: identity, flip, crop window. */
	if (px && back) {
		struct tfr_augment_geom g;
		unsigned char out[48], crop[16];
		int same = 1, flipped = 1;

		memset(&g, 0, sizeof(g));
		g.ow = 8;
		g.oh = 6;
		g.w = g.h = 1;
		tfr_mask_warp(px, 8, 6, &g, out);
		same = !memcmp(out, px, 48);
		g.flip = 1;
		tfr_mask_warp(px, 8, 6, &g, out);
		for (y = 0; y < 6; y++)
			for (x = 0; x < 8; x++)
				flipped &= out[y * 8 + x] == px[y * 8 + 7 - x];
		ok(same && flipped, "warp: identity, and flip mirrors columns");
		/* The window x 2..5, y 1..4 (normalized 2/8, 1/6, 4/8 wide,
		 * 4/6 high) at 4 x 4: exactly the square. */
		g.flip = 0;
		g.x = 2.0 / 8;
		g.y = 1.0 / 6;
		g.w = 4.0 / 8;
		g.h = 4.0 / 6;
		g.ow = g.oh = 4;
		tfr_mask_warp(px, 8, 6, &g, crop);
		for (n = 0, x = 0; x < 16; x++)
			n += crop[x];
		ok(n == 16, "warp: a crop window samples pixel centres (%zu of 16 set)", n);
	}
	free(px);
	free(back);
	tfr_buf_release(&png);
	tfr_annot_release(&s);

	ok(tfr_mask_decode("not a png at all, not at all", 28, &px, &w, &h, NULL) == TFR_ERR_FORMAT,
	   "bytes that are not a PNG are refused");
	return tap_done();
}
