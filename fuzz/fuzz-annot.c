/*
 * fuzz-annot.c - libFuzzer target: every annotation format's parser
 * (COCO JSON through yajl, VOC XML through expat, YOLO, CSV) on the
 * same bytes, with masks kept, then every box it kept through a crop
 * and flip, every segmentation drawn (images up to 64K pixels), and the
 * bytes as a mask PNG, decoded and warped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/annot/annot.h"
#include "lib/base/buf.h"
#include "lib/annot/boxes.h"
#include "lib/annot/masks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct tfr_annot_set *s)
{
	struct tfr_augment_geom g;
	volatile double sink = 0;
	size_t i;

	memset(&g, 0, sizeof(g));
	g.x = 0.25;
	g.y = 0.125;
	g.w = 0.5;
	g.h = 0.75;
	g.flip = 1;
	for (i = 0; i < s->nobjects; i++) {
		const struct tfr_annot_object *o = &s->objects[i];
		struct tfr_box b = { o->xmin, o->ymin, o->xmax, o->ymax }, m;

		if (!tfr_box_valid(&b) || o->label < 1 || o->label > s->nclasses ||
		    o->image >= s->nimages)
			abort(); /* the parsers promise valid boxes and labels */
		if (tfr_box_map(&g, &b, 0.3, &m))
			sink += m.xmin + m.ymax;
		if (o->seg >= 0) {
			struct tfr_buf rec;
			uint32_t kind;

			tfr_buf_init(&rec, 0);
			if (tfr_annot_seg_read(s, o->seg, &rec, NULL) || rec.len < 8)
				abort();
			memcpy(&kind, rec.data, 4);
			if ((kind != TFR_SEG_POLYGONS && kind != TFR_SEG_RLE) || kind != o->seg_kind)
				abort();
			tfr_buf_release(&rec);
		}
		{
			const struct tfr_annot_image *im = &s->images[o->image];
			unsigned char *px;

			if ((uint64_t)im->width * im->height <= 65536 &&
			    !tfr_mask_draw(s, o, im->width, im->height, &px, NULL)) {
				sink += px[0];
				free(px);
			}
		}
	}
	for (i = 0; i < s->nproblems; i++)
		sink += (double)strlen(s->problems[i].file) + (double)strlen(s->problems[i].reason);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tfr_annot_opts o;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.masks = 1;
	for (i = 0; tfr_annot_formats[i]; i++) {
		struct tfr_annot_set s;
		struct tfr_error err;

		tfr_annot_init(&s);
		if (!tfr_annot_formats[i]->parse(&s, "fuzz", data, size, &o, &err))
			walk(&s);
		else if (!err.msg[0])
			abort(); /* an error without a message */
		tfr_annot_release(&s);
		(void)tfr_annot_formats[i]->bid(data, size);
	}
	{
		unsigned char *px = NULL, *out;
		uint32_t w, h;
		struct tfr_augment_geom g;

		/* Masks up to a megapixel: the cap itself is 100 megapixels. */
		if (!tfr_mask_size(data, size, &w, &h) && (uint64_t)w * h <= 1 << 20 &&
		    !tfr_mask_decode(data, size, &px, &w, &h, NULL)) {
			memset(&g, 0, sizeof(g));
			g.ow = 17;
			g.oh = 9;
			g.x = 0.1;
			g.w = 0.8;
			g.h = 1;
			g.flip = 1;
			out = malloc(17 * 9);
			if (!out)
				abort();
			tfr_mask_warp(px, w, h, &g, out);
			free(out);
		}
		free(px);
	}
	return 0;
}
