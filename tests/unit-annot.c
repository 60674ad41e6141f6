/* unit-annot.c - COCO, VOC, YOLO and CSV annotations: known answers,
 * every kind of bad entry named, and hostile files refused with their
 * position, never a crash or a hang. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "lib/annot/annot.h"
#include "lib/base/buf.h"

static struct tfr_annot_opts opts;

static int parse(const struct tfr_annot_format *f, struct tfr_annot_set *s, const char *text,
		 struct tfr_error *err)
{
	tfr_annot_init(s);
	tfr_error_clear(err);
	return f->parse(s, "t", text, strlen(text), &opts, err);
}

static int has_problem(const struct tfr_annot_set *s, const char *needle)
{
	size_t i;

	for (i = 0; i < s->nproblems; i++)
		if (strstr(s->problems[i].reason, needle))
			return 1;
	return 0;
}

static const char coco[] =
	"{\"info\": {\"year\": 2017}, \"annotations\": [\n"
	" {\"id\": 1, \"image_id\": 10, \"category_id\": 18, \"bbox\": [10, 20, 30, 40],"
	"  \"area\": 1000.5, \"iscrowd\": 0, \"segmentation\": [[10, 20, 40, 20, 40, 60]]},\n"
	" {\"id\": 2, \"image_id\": 11, \"category_id\": 1, \"bbox\": [0, 0, 100, 50],"
	"  \"iscrowd\": 1, \"segmentation\": {\"counts\": [0, 2500, 2500], \"size\": [50, 100]}},\n"
	" {\"id\": 3, \"image_id\": 99, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]},\n"
	" {\"id\": 4, \"image_id\": 10, \"category_id\": 5, \"bbox\": [1, 1, 2, 2]},\n"
	" {\"id\": 5, \"image_id\": 10, \"category_id\": 1, \"bbox\": [190, 1, 20, 2]},\n"
	" {\"id\": 6, \"image_id\": 10, \"category_id\": 1, \"bbox\": [1, 1, 0, 2]},\n"
	" {\"id\": 7, \"image_id\": 10, \"category_id\": 1, \"bbox\": [1, 1, 1e999, 2]},\n"
	" {\"id\": 8, \"image_id\": 10, \"category_id\": 1, \"bbox\": [-1, 1, 5, 2]},\n"
	" {\"id\": 9, \"image_id\": 10, \"category_id\": 1, \"bbox\": [1, 2, 3]}\n"
	"], \"images\": [\n"
	" {\"id\": 11, \"file_name\": \"b.png\", \"width\": 100, \"height\": 50},\n"
	" {\"id\": 10, \"file_name\": \"a.jpg\", \"width\": 200, \"height\": 100},\n"
	" {\"id\": 12, \"file_name\": \"empty.jpg\", \"width\": 8, \"height\": 8}\n"
	"], \"categories\": [{\"id\": 18, \"name\": \"dog\"}, {\"id\": 1, \"name\": \"person\"}]}";

static void test_coco(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	const struct tfr_annot_image *a, *b;
	int rc;

	opts.masks = 1;
	rc = parse(&tfr_annot_coco, &s, coco, &err);
	ok(rc == 0, "coco: parses (%s)", rc ? err.msg : "ok");
	rc = tfr_annot_load(&s, "/nonexistent.json", &tfr_annot_coco, &opts, &err);
	ok(rc == TFR_ERR_IO && strstr(err.msg, "/nonexistent.json"), "coco: a missing file is named");
	tfr_annot_release(&s);

	/* Through load's grouping. */
	{
		FILE *f = fopen("unit-annot.json", "w");

		fputs(coco, f);
		fclose(f);
	}
	tfr_annot_init(&s);
	rc = tfr_annot_load(&s, "unit-annot.json", NULL, &opts, &err);
	ok(rc == 0 && s.nimages == 3 && s.nobjects == 2, "coco: sniffed, 3 images, 2 good boxes (%zu, %zu)",
	   s.nimages, s.nobjects);
	ok(s.nclasses == 2 && !strcmp(s.classes[0], "person") && !strcmp(s.classes[1], "dog"),
	   "coco: labels 1, 2 in category id order, names kept");
	a = tfr_annot_image_by_file(&s, "a.jpg");
	b = tfr_annot_image_by_file(&s, "b.png");
	ok(a && b && a->n == 1 && b->n == 1 && !strcmp(a->source_id, "10"),
	   "coco: boxes joined to their images by id, in any order of the arrays");
	if (a && b) {
		const struct tfr_annot_object *o = &s.objects[a->first], *p = &s.objects[b->first];

		ok(o->label == 2 && o->xmin == 0.05 && o->ymin == 0.2 && o->xmax == 0.2 &&
		   o->ymax == 0.6 && o->area == 1000.5 && !o->crowd,
		   "coco: bbox x,y,w,h to normalized corners, area kept");
		ok(p->crowd && p->label == 1 && p->area == 5000, "coco: iscrowd, area from bbox when absent");
		ok(o->seg >= 0 && p->seg >= 0, "coco: polygon and uncompressed RLE kept with --masks");
	}
	ok(s.dropped == 7 && s.nproblems == 7, "coco: 7 bad annotations dropped, each a problem (%llu, %zu)",
	   (unsigned long long)s.dropped, s.nproblems);
	ok(has_problem(&s, "annotations[2]: no image has id 99"), "coco: missing image named");
	ok(has_problem(&s, "annotations[3]: no category has id 5"), "coco: unknown category named");
	ok(has_problem(&s, "annotations[4]: the box reaches outside"), "coco: box outside the image");
	ok(has_problem(&s, "annotations[5]: the box is degenerate"), "coco: degenerate box");
	ok(has_problem(&s, "annotations[6]: a 'bbox' value is not a finite"), "coco: a huge number");
	ok(has_problem(&s, "annotations[7]: the box has a negative"), "coco: a negative box");
	ok(has_problem(&s, "annotations[8]: 'bbox' is not 4 numbers"), "coco: a short bbox");
	ok(s.empty == 1, "coco: the image without annotations is kept and counted");
	ok(s.problems[0].offset != TFR_NO_POS && s.problems[0].record != TFR_NO_POS,
	   "coco: problems carry entry and byte offset");
	tfr_annot_release(&s);
	opts.skip_empty = 1;
	tfr_annot_init(&s);
	rc = tfr_annot_load(&s, "unit-annot.json", &tfr_annot_coco, &opts, &err);
	ok(!rc && s.nimages == 2 && s.empty == 1, "coco: skip_empty leaves it out, counted");
	opts.skip_empty = 0;
	tfr_annot_release(&s);
	remove("unit-annot.json");
}

static void test_duplicates(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	const char *dup =
		"{\"images\": [{\"id\": 7, \"file_name\": \"a\", \"width\": 9, \"height\": 9},"
		" {\"id\": 7, \"file_name\": \"b\", \"width\": 9, \"height\": 9},"
		" {\"id\": 8, \"file_name\": \"c\", \"width\": 9, \"height\": 9}],"
		"\"categories\": [{\"id\": 1, \"name\": \"x\"}, {\"id\": 1, \"name\": \"y\"}],"
		"\"annotations\": [{\"id\": 1, \"image_id\": 8, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]},"
		" {\"id\": 2, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]}]}";
	int rc;

	rc = parse(&tfr_annot_coco, &s, dup, &err);
	ok(!rc && s.nimages == 2 && !strcmp(s.images[0].file, "a") && !strcmp(s.images[1].file, "c") &&
	   s.nclasses == 1 && !strcmp(s.classes[0], "x"),
	   "coco: a repeated image or category id keeps the first, the others left out");
	ok(s.nobjects == 2 && s.objects[0].image == 1 && s.objects[1].image == 0 &&
	   has_problem(&s, "image id 7 appears more than once") &&
	   has_problem(&s, "category id 1 appears more than once"),
	   "... with their boxes joined to the images kept, and named");
	tfr_annot_release(&s);
}

static void test_rle(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	/* 3x4 = 12 pixels: runs 5, 3, 2, 2, each 5-bit groups plus 48, the
	 * fourth a delta on the second: 2 - 3 = -1 -> 0x1f, 'O'. */
	const char *good =
		"{\"images\": [{\"id\": 1, \"file_name\": \"x\", \"width\": 4, \"height\": 3}],"
		"\"categories\": [{\"id\": 1, \"name\": \"c\"}],"
		"\"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,2,2],"
		"\"iscrowd\": 1, \"segmentation\": {\"size\": [3, 4], \"counts\": \"532O\"}}]}";
	const char *badsum =
		"{\"images\": [{\"id\": 1, \"file_name\": \"x\", \"width\": 4, \"height\": 3}],"
		"\"categories\": [{\"id\": 1, \"name\": \"c\"}],"
		"\"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,2,2],"
		"\"iscrowd\": 1, \"segmentation\": {\"size\": [3, 4], \"counts\": \"55\"}}]}";
	const char *badsize =
		"{\"images\": [{\"id\": 1, \"file_name\": \"x\", \"width\": 4, \"height\": 3}],"
		"\"categories\": [{\"id\": 1, \"name\": \"c\"}],"
		"\"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,2,2],"
		"\"iscrowd\": 1, \"segmentation\": {\"size\": [4, 3], \"counts\": [12]}}]}";
	int rc;

	opts.masks = 1;
	rc = parse(&tfr_annot_coco, &s, good, &err);
	ok(!rc && s.nobjects == 1 && s.objects[0].seg >= 0, "rle: a compressed string decodes");
	if (!rc && s.nobjects == 1) {
		uint32_t rec[8] = { 0 };
		struct tfr_buf b;

		tfr_buf_init(&b, 0);
		if (!tfr_annot_seg_read(&s, s.objects[0].seg, &b, &err) && b.len >= sizeof(rec))
			memcpy(rec, b.data, sizeof(rec));
		tfr_buf_release(&b);
		ok(rec[0] == TFR_SEG_RLE && rec[1] == 3 && rec[2] == 4 && rec[3] == 4 &&
		   rec[4] == 5 && rec[5] == 3 && rec[6] == 2 && rec[7] == 2,
		   "rle: size and runs 5, 3, 2, 2 (%u %u %u %u %u %u %u %u)",
		   rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7]);
	}
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_coco, &s, badsum, &err);
	ok(!rc && s.nobjects == 0 && has_problem(&s, "do not add up"), "rle: counts that miss h x w");
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_coco, &s, badsize, &err);
	ok(!rc && s.nobjects == 0 && has_problem(&s, "size is not the image"),
	   "rle: a mask of another size than the image");
	tfr_annot_release(&s);
	opts.masks = 0;
}

static void hostile_json(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	char *deep;
	size_t i;
	int rc;

	rc = parse(&tfr_annot_coco, &s, "{\"images\": [{\"id\": 1, \"file_na", &err);
	ok(rc == TFR_ERR_CORRUPT && strstr(err.msg, "'t': offset") && err.offset != TFR_NO_POS,
	   "json: truncated: %s", err.msg);
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_coco, &s, "{\"images\": [}", &err);
	ok(rc == TFR_ERR_CORRUPT && strstr(err.msg, "offset 1"), "json: invalid, with its offset: %s",
	   err.msg);
	tfr_annot_release(&s);
	deep = malloc(200001);
	strcpy(deep, "{\"info\": ");
	for (i = strlen(deep); i < 200000; i++)
		deep[i] = '[';
	deep[i] = 0;
	rc = parse(&tfr_annot_coco, &s, deep, &err);
	ok(rc == TFR_ERR_LIMIT && strstr(err.msg, "nesting deeper"), "json: deep nesting: %s", err.msg);
	tfr_annot_release(&s);
	free(deep);
	rc = parse(&tfr_annot_coco, &s, "[1, 2]", &err);
	ok(rc == TFR_ERR_FORMAT, "json: not an object at the top: %s", err.msg);
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_coco, &s,
		   "{\"images\": [{\"id\": 123456789012345678901234567890, \"file_name\": \"x\","
		   " \"width\": 1e400, \"height\": 5}]}", &err);
	ok(rc == 0 && s.nimages == 0 && s.nproblems == 1 && has_problem(&s, "images[0]"),
	   "json: huge numbers make the entry a problem");
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_coco, &s, "{\"info\": {}}", &err);
	ok(rc == TFR_ERR_FORMAT && strstr(err.msg, "no 'images'"), "json: no images: %s", err.msg);
	tfr_annot_release(&s);
}

static const char voc[] =
	"<annotation>\n<folder>VOC2012</folder>\n<filename>2007_000032.jpg</filename>\n"
	"<size><width>500</width><height>281</height><depth>3</depth></size>\n"
	"<object><name>aeroplane</name><truncated>0</truncated><difficult>1</difficult>"
	"<bndbox><xmin>104</xmin><ymin>78</ymin><xmax>375</xmax><ymax>183</ymax></bndbox></object>\n"
	"<object><name>person</name><truncated>1</truncated><difficult>0</difficult>"
	"<bndbox><xmin>195</xmin><ymin>180</ymin><xmax>213</xmax><ymax>229</ymax></bndbox>"
	"<part><name>head</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part></object>\n"
	"<object><name>person</name><bndbox><xmin>nan</xmin><ymin>1</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object>\n"
	"<object><name>person</name><bndbox><xmin>10</xmin><ymin>1</ymin><xmax>501</xmax><ymax>9</ymax></bndbox></object>\n"
	"</annotation>\n";

static void test_voc(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	const char *laughs =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n"
		"<annotation><filename>&lol3;</filename></annotation>\n";
	char *deep;
	size_t i;
	int rc;

	rc = parse(&tfr_annot_voc, &s, voc, &err);
	ok(!rc && s.nimages == 1 && s.nobjects == 2, "voc: parses, 2 good objects (%s)", rc ? err.msg : "");
	if (!rc && s.nobjects == 2) {
		const struct tfr_annot_object *o = &s.objects[0];

		ok(o->xmin == 104.0 / 500 && o->ymax == 183.0 / 281 && o->difficult && !o->truncated &&
		   o->label == 1 && s.objects[1].label == 2 && s.objects[1].truncated,
		   "voc: xmin / width as create_pascal_tf_record.py, flags, sorted labels");
		ok(!strcmp(s.images[0].file, "2007_000032.jpg") && s.images[0].width == 500,
		   "voc: filename and size");
	}
	ok(s.dropped == 2 && has_problem(&s, "object 2: <bndbox> <xmin> is not a finite") &&
	   has_problem(&s, "object 3: the box reaches outside"), "voc: NaN and outside boxes are problems");
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_voc, &s, laughs, &err);
	ok(rc == TFR_ERR_FORMAT && strstr(err.msg, "DOCTYPE is refused") && strstr(err.msg, "line 2"),
	   "xml: billion laughs refused: %s", err.msg);
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_voc, &s, "<annotation><filename>a.jpg</filen", &err);
	ok(rc == TFR_ERR_CORRUPT && strstr(err.msg, "line 1"), "xml: truncated: %s", err.msg);
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_voc, &s, "<annotation>&ext;</annotation>", &err);
	ok(rc == TFR_ERR_CORRUPT, "xml: an undeclared entity: %s", err.msg);
	tfr_annot_release(&s);
	deep = malloc(600001);
	strcpy(deep, "<annotation>");
	for (i = strlen(deep); i + 3 <= 600000; i += 3)
		memcpy(deep + i, "<a>", 3);
	deep[i] = 0;
	rc = parse(&tfr_annot_voc, &s, deep, &err);
	ok(rc == TFR_ERR_LIMIT && strstr(err.msg, "nesting"), "xml: deep nesting: %s", err.msg);
	tfr_annot_release(&s);
	free(deep);
	rc = parse(&tfr_annot_voc, &s, "<annotation><object><name>x</name></object></annotation>", &err);
	ok(!rc && s.nimages == 0 && s.dropped == 1 && has_problem(&s, "no <filename>"),
	   "voc: a file without filename or size drops its objects, named");
	tfr_annot_release(&s);
}

static void test_yolo_csv(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	const char *csv =
		"\xef\xbb\xbf" "filename,width,height,class,xmin,ymin,xmax,ymax\r\n"
		"a.jpg,200,100,dog,10,20,50,60\r\n"
		"b.jpg,100,100,\"cat, black\",0,0,100,100\n"
		"a.jpg,200,100,cat,0,0,10,10\n"
		"a.jpg,201,100,cat,0,0,10,10\n"
		"c.jpg,100,100,cat,-5,0,10,10\n"
		"c.jpg,100,100,cat,nan,0,10,10\n"
		"d.jpg,100,100,,,,,\n"
		"e.jpg,100,100,cat,0,0,10\n";
	int rc;

	rc = parse(&tfr_annot_csv, &s, csv, &err);
	ok(!rc && s.nobjects == 3 && s.nimages == 4, "csv: 3 boxes on 4 images (%zu, %zu) %s",
	   s.nobjects, s.nimages, rc ? err.msg : "");
	ok(s.nclasses == 3 && !strcmp(s.classes[0], "cat") && !strcmp(s.classes[1], "cat, black") &&
	   !strcmp(s.classes[2], "dog"), "csv: quoted class, labels by sorted name");
	ok(s.dropped == 4 && has_problem(&s, "line 5: the width or height differs") &&
	   has_problem(&s, "line 6: the box has a negative") &&
	   has_problem(&s, "line 7: a corner is not a finite") &&
	   has_problem(&s, "line 9: not as many fields"), "csv: each bad row named by line");
	ok(s.nobjects && s.objects[0].xmin == 0.05 && s.objects[0].label == 3 &&
	   s.objects[0].area == 1600, "csv: xmin / width, area in pixels");
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_csv, &s, "file,w\nx,1\n", &err);
	ok(rc == TFR_ERR_FORMAT && strstr(err.msg, "no 'filename' column"), "csv: a bad header: %s",
	   err.msg);
	tfr_annot_release(&s);

	rc = parse(&tfr_annot_yolo, &s, "0 0.5 0.5 0.2 0.4\n\n3 0.05 0.1 0.2 0.2\n1 0.5 0.5\n"
			       "2 0.5 0.5 0 0.1\n500 0.5 0.5 0.1 0.1\n1 inf 0 1 1\n", &err);
	ok(!rc && s.nobjects == 1 && s.dropped == 5, "yolo: 1 good line, 5 bad (%zu, %llu)",
	   s.nobjects, (unsigned long long)s.dropped);
	if (s.nobjects)
		ok(fabs(s.objects[0].xmin - 0.4) < 1e-12 && fabs(s.objects[0].ymax - 0.7) < 1e-12 &&
		   s.objects[0].label == 1, "yolo: cx cy w h to corners, class 0 is label 1");
	ok(has_problem(&s, "line 3: the box has a negative") && has_problem(&s, "line 4: not 5 fields") &&
	   has_problem(&s, "line 5: the box is degenerate") &&
	   has_problem(&s, "line 6: the class is not one of") &&
	   has_problem(&s, "line 7: a coordinate is not a finite"), "yolo: each bad line named");
	tfr_annot_release(&s);
}

/*
 * The edge rule (annot.h): corners up to half a pixel outside the image
 * are clipped, further out is a problem naming the entry, in every
 * format; boxes inside are untouched.
 */
static void test_edges(void)
{
	struct tfr_annot_object o;
	struct tfr_annot_set s;
	struct tfr_error err;
	const char *why;
	FILE *f;
	int rc;

	/* Pixel edges (COCO, CSV, VOC). */
	memset(&o, 0, sizeof(o));
	why = tfr_annot_box(10, 20, 50, 60, 200, 100, &o);
	ok(!why && o.xmin == 10.0 / 200 && o.ymin == 20.0 / 100 && o.xmax == 50.0 / 200 &&
	   o.ymax == 60.0 / 100, "edges: a box inside is x / width as before");
	why = tfr_annot_box(-0.5, -0.25, 200.5, 100.5, 200, 100, &o);
	ok(!why && o.xmin == 0 && o.ymin == 0 && o.xmax == 1 && o.ymax == 1,
	   "edges: half a pixel out on every side is clipped to the image");
	why = tfr_annot_box(0, 0, 200.5001, 100, 200, 100, &o);
	ok(why && strstr(why, "reaches outside the image"), "edges: past half a pixel: %s",
	   why ? why : "accepted");
	why = tfr_annot_box(0, 0, 201, 100, 200, 100, &o);
	ok(why && strstr(why, "reaches outside"), "edges: x + w = width + 1 is refused");
	why = tfr_annot_box(-0.51, 0, 10, 10, 200, 100, &o);
	ok(why && strstr(why, "negative coordinate"), "edges: x = -0.51 is refused");
	why = tfr_annot_box(200.1, 0, 200.4, 10, 200, 100, &o);
	ok(why && strstr(why, "on the image's edge"), "edges: a box only in the slack has no area");
	ok(tfr_annot_box_area(-0.5, 0, 200.5, 10, 200, 100) == 2000 &&
	   tfr_annot_box_area(10, 20, 50, 60, 200, 100) == 1600, "edges: area of the clipped box");

	/* Normalized (YOLO): half a pixel is 0.5 / size. */
	{
		double cx = 0.343066, cy = 0.573370, w = 0.613139, h = 0.853261;

		why = tfr_annot_box_norm(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, 274, 184, &o);
		ok(!why && o.ymax == 1 && o.ymin == cy - h / 2 && o.xmin == cx - w / 2,
		   "edges: raccoon-164's box (y = 184.0001 of 184) is clipped: %s", why ? why : "ok");
		why = tfr_annot_box_norm(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, 0, 0, &o);
		ok(why && strstr(why, "reaches outside"), "edges: without the image's size, no slack");
		why = tfr_annot_box_norm(0.1, 0.1, 0.5, 1 + 0.6 / 184, 274, 184, &o);
		ok(why && strstr(why, "reaches outside"), "edges: 0.6 px below the image is refused");
	}

	/* COCO: x + w = width + 0.5 kept and clipped, width + 1 refused. */
	rc = parse(&tfr_annot_coco, &s,
		   "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 200, \"height\": 100}],"
		   " \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"annotations\": ["
		   " {\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [150, 50, 50.5, 50.5]},"
		   " {\"id\": 2, \"image_id\": 1, \"category_id\": 1, \"bbox\": [150, 50, 51, 10]},"
		   " {\"id\": 3, \"image_id\": 1, \"category_id\": 1, \"bbox\": [-0.5, 0, 10, 10]}]}",
		   &err);
	ok(!rc && s.nobjects == 2 && s.dropped == 1 &&
	   has_problem(&s, "annotations[1]: the box reaches outside"),
	   "edges: coco width + 0.5 and x = -0.5 kept, width + 1 refused by entry (%zu, %llu)",
	   s.nobjects, (unsigned long long)s.dropped);
	if (s.nobjects == 2)
		ok(s.objects[0].xmax == 1 && s.objects[0].ymax == 1 && s.objects[0].xmin == 0.75 &&
		   s.objects[1].xmin == 0 && s.objects[1].xmax == 9.5 / 200 &&
		   s.objects[0].area == 50 * 50 && s.objects[1].area == 9.5f * 10,
		   "edges: coco clipped to the image, area (none in the file) the clipped box's");
	tfr_annot_release(&s);

	/* VOC's 1-based xmax: width is the right edge, width + 1 beyond. */
	rc = parse(&tfr_annot_voc, &s,
		   "<annotation><filename>v.jpg</filename><size><width>100</width><height>50</height></size>"
		   "<object><name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>100</xmax><ymax>50</ymax></bndbox></object>"
		   "<object><name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>100.5</xmax><ymax>50</ymax></bndbox></object>"
		   "<object><name>a</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>101</xmax><ymax>50</ymax></bndbox></object>"
		   "</annotation>", &err);
	ok(!rc && s.nobjects == 2 && s.dropped == 1 && has_problem(&s, "object 2: the box reaches outside"),
	   "edges: voc xmax = width and width + 0.5 kept, width + 1 refused by object");
	if (s.nobjects == 2)
		ok(s.objects[0].xmax == 1 && s.objects[1].xmax == 1 && s.objects[1].area == 99 * 49,
		   "edges: voc clipped, area of the clipped box");
	tfr_annot_release(&s);

	/* CSV. */
	rc = parse(&tfr_annot_csv, &s,
		   "filename,width,height,class,xmin,ymin,xmax,ymax\n"
		   "a.jpg,200,100,c,0,0,200.4,100\n"
		   "a.jpg,200,100,c,0,-0.3,10,10\n"
		   "a.jpg,200,100,c,0,0,202,100\n", &err);
	ok(!rc && s.nobjects == 2 && s.dropped == 1 && has_problem(&s, "line 4: the box reaches outside"),
	   "edges: csv 0.4 px out kept, 2 px out refused by line");
	if (s.nobjects == 2)
		ok(s.objects[0].xmax == 1 && s.objects[0].area == 20000 && s.objects[1].ymin == 0,
		   "edges: csv clipped");
	tfr_annot_release(&s);

	/* YOLO through load: the image's header gives its size. */
	rc = system("rm -rf unit-annot-yolo && mkdir unit-annot-yolo");
	f = fopen("unit-annot-yolo/r.bmp", "wb");
	if (f) {
		/* A 274 x 184 24-bit BMP: 54 header bytes, rows of 824. */
		static const unsigned char hdr[54] = {
			'B', 'M', 0x76, 0x50, 0x02, 0, 0, 0, 0, 0, 54, 0, 0, 0,
			40, 0, 0, 0, 0x12, 0x01, 0, 0, 0xb8, 0, 0, 0, 1, 0, 24, 0,
			0, 0, 0, 0, 0x40, 0x50, 0x02, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0,
		};

		fwrite(hdr, 1, sizeof(hdr), f);
		for (rc = 0; rc < 824 * 184; rc++)
			fputc(rc & 0xff, f);
		fclose(f);
	}
	f = fopen("unit-annot-yolo/r.txt", "w");
	if (f) {
		fputs("0 0.343066 0.573370 0.613139 0.853261\n0 0.5 0.51 0.2 0.99\n", f);
		fclose(f);
	}
	f = fopen("unit-annot-yolo/classes.txt", "w");
	if (f) {
		fputs("raccoon\n", f);
		fclose(f);
	}
	tfr_annot_init(&s);
	rc = tfr_annot_load(&s, "unit-annot-yolo", &tfr_annot_yolo, &opts, &err);
	ok(!rc && s.nobjects == 1 && s.dropped == 1 && s.objects[0].ymax == 1 &&
	   has_problem(&s, "line 2: the box reaches outside") &&
	   !strcmp(s.problems[0].file, "unit-annot-yolo/r.txt"),
	   "edges: yolo raccoon line clipped with the size from r.bmp, 0.9 px out refused by file and line (%s)",
	   rc ? err.msg : "ok");
	tfr_annot_release(&s);
	rc = system("rm -rf unit-annot-yolo");
	(void)rc;
}

/*
 * The segmentation spool: records of any size (one over the 1 MiB write
 * buffer, so that it straddles a flush) read back as written, from the
 * file and from the buffer; a spool folder that is not there is an error
 * naming it.
 */
static void test_spool(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	struct tfr_buf b;
	size_t len[3] = { 100, (size_t)3 << 20, 52 }, i, k;
	int64_t at[3];
	unsigned char *rec[3];
	int same = 1;

	tfr_annot_init(&s);
	tfr_buf_init(&b, 0);
	for (i = 0; i < 3; i++) {
		rec[i] = malloc(len[i]);
		for (k = 0; rec[i] && k < len[i]; k++)
			rec[i][k] = (unsigned char)(k * 31 + i);
		at[i] = rec[i] ? tfr_annot_add_seg(&s, rec[i], len[i], &err) : -1;
	}
	ok(at[0] >= 0 && at[1] > at[0] && at[2] > at[1] && s.seg_fd >= 0 && s.seg_flushed > 0,
	   "spool: three records in an unnamed file, the buffer flushed");
	for (i = 0; i < 3; i++)
		if (at[i] < 0 || tfr_annot_seg_read(&s, at[i], &b, &err) || b.len != len[i] ||
		    memcmp(b.data, rec[i], len[i]))
			same = 0;
	ok(same, "spool: each record reads back as written (file and buffer)");
	ok(tfr_annot_seg_read(&s, at[2] + 8, &b, &err) == TFR_ERR_IO,
	   "spool: a handle that is no record is an error, not a read past the end");
	tfr_annot_release(&s);
	tfr_annot_init(&s);
	s.seg_dir = "/nonexistent-spool-dir";
	ok(tfr_annot_add_seg(&s, rec[0], len[0], &err) < 0 && strstr(err.msg, "/nonexistent-spool-dir"),
	   "spool: a missing folder is named: %s", err.msg);
	tfr_annot_release(&s);
	for (i = 0; i < 3; i++)
		free(rec[i]);
	tfr_buf_release(&b);
}

/* The documented limits (tfrec(1) RESOURCES), each refused by name. */
static void test_limits(void)
{
	struct tfr_annot_set s;
	struct tfr_error err;
	size_t big = 70000, i;
	char *t = malloc(big + 200);
	int rc;

	/* A JSON string of 5000 bytes. */
	strcpy(t, "{\"images\": [{\"file_name\": \"");
	for (i = strlen(t); i < 5030; i++)
		t[i] = 'a';
	strcpy(t + i, "\"}]}");
	rc = parse(&tfr_annot_coco, &s, t, &err);
	ok(rc == TFR_ERR_LIMIT && strstr(err.msg, "longer than 4096"), "json: a 5000-byte string: %s", err.msg);
	tfr_annot_release(&s);
	/* An XML field of 5000 bytes. */
	strcpy(t, "<annotation><filename>");
	for (i = strlen(t); i < 5030; i++)
		t[i] = 'a';
	strcpy(t + i, "</filename></annotation>");
	rc = parse(&tfr_annot_voc, &s, t, &err);
	ok(rc == TFR_ERR_LIMIT && strstr(err.msg, "longer than 4096"), "xml: a 5000-byte field: %s", err.msg);
	tfr_annot_release(&s);
	/* CSV and YOLO lines of 70000 bytes. */
	strcpy(t, "filename,width,height,class,xmin,ymin,xmax,ymax\n");
	for (i = strlen(t); i < big; i++)
		t[i] = 'x';
	strcpy(t + i, "\n");
	rc = parse(&tfr_annot_csv, &s, t, &err);
	ok(rc == TFR_ERR_LIMIT && strstr(err.msg, "line 2: longer than 65536"), "csv: a long line: %s", err.msg);
	tfr_annot_release(&s);
	rc = parse(&tfr_annot_yolo, &s, t + 49, &err);
	ok(rc == TFR_ERR_LIMIT && strstr(err.msg, "line 1: longer than 65536"), "yolo: a long line: %s", err.msg);
	tfr_annot_release(&s);
	free(t);
}

static void test_sniff(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "  {\"images\": []}", "coco" },
		{ "<?xml version=\"1.0\"?><annotation></annotation>", "voc" },
		{ "0 0.5 0.5 0.1 0.1\n", "yolo" },
		{ "filename,width,height,class,xmin,ymin,xmax,ymax\n", "csv" },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tfr_annot_format *best = NULL;
		int bid = 0;

		for (k = 0; tfr_annot_formats[k]; k++) {
			int b = tfr_annot_formats[k]->bid((const unsigned char *)cases[i].text,
							  strlen(cases[i].text));

			if (b > bid) {
				bid = b;
				best = tfr_annot_formats[k];
			}
		}
		ok(best && !strcmp(best->name, cases[i].want), "sniff: %s", cases[i].want);
		ok(tfr_annot_find(cases[i].want) != NULL, "find: %s", cases[i].want);
	}
}

int main(void)
{
	test_coco();
	test_duplicates();
	test_rle();
	hostile_json();
	test_voc();
	test_yolo_csv();
	test_edges();
	test_spool();
	test_limits();
	test_sniff();
	return tap_done();
}
