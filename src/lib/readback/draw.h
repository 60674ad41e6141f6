/*
 * draw.h - labels drawn on exported pictures: boxes with their class
 * names, instance and semantic masks, and a caption on contact-sheet
 * tiles, so that a person can see in seconds whether the labels still
 * sit on the objects after augmentation.
 *
 * Text uses the embedded 5 x 7 font (font5x7.h; printable ASCII, any
 * other byte drawn as '?'), on a dark band so it reads on any picture.
 * Boxes follow boxes.h's convention: a normalized box covers stored
 * pixel columns floor(xmin * width) .. ceil(xmax * width) - 1, and its
 * outline is drawn on those border pixels.  Masks (image/object/mask,
 * image/segmentation/class/encoded) are tinted in at 45 % where they are
 * not 0, when their size is the picture's.  Colours come from the class
 * label, so a class keeps its colour across pictures.
 *
 * All functions draw into the caller's picture; a 1-channel picture is
 * widened to RGB first.  Not thread-safe per picture; no global state.
 */
#ifndef TFR_DRAW_H
#define TFR_DRAW_H

#include <stdint.h>

#include "format/example.h"
#include "readback/export.h"
#include "base/status.h"

/* Width in pixels of text at scale s (one glyph cell is 6 s). */
uint32_t tfr_draw_text_width(const char *text, uint32_t s);

/* Text with its top-left at (x, y), clipped to the picture. */
void tfr_draw_text(struct tfr_picture *p, int64_t x, int64_t y, const char *text,
		   const unsigned char rgb[3], uint32_t s);

/* Outline of the pixel rectangle [x0, x1) x [y0, y1), t pixels thick. */
void tfr_draw_rect(struct tfr_picture *p, int64_t x0, int64_t y0, int64_t x1, int64_t y1,
		   const unsigned char rgb[3], uint32_t t);

/* The colour of class label k. */
void tfr_draw_color(int64_t k, unsigned char rgb[3]);

/*
 * Everything the record says about objects: masks, then boxes, then
 * their class names (image/object/class/text, else the label number).
 * Returns the number of boxes drawn, or a negative status (a mask that
 * is not a PNG, out of memory) with err set.
 */
int tfr_draw_annotations(struct tfr_picture *p, const struct tfr_example *ex,
			 struct tfr_error *err);

/* The record's boxes again at the scale of the contact sheet's last
 * filled cell (a thumbnail of a pw x ph picture), so that thin outlines
 * survive the shrinking. */
void tfr_draw_tile_boxes(struct tfr_sheet *s, const struct tfr_example *ex, uint32_t pw,
			 uint32_t ph);

/* A caption along the bottom of the contact sheet's last filled cell. */
void tfr_draw_tile_caption(struct tfr_sheet *s, const char *text);

/* The caption of a record: its class text, else "N boxes" and the first
 * object class, else its file name; into buf (cap bytes). */
void tfr_draw_caption_of(const struct tfr_example *ex, const struct tfr_picture *p,
			 char *buf, size_t cap);

#endif
