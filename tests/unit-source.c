/*
 * unit-source: the table of input sources and the listing.
 *
 * Every kind in the table is held to the interface (name, list, read,
 * where); every bidding kind is offered the same first bytes and only
 * the right one wins.  The listing is checked for names, filename bases,
 * labels (sorted names, integer ids, class maps, multi-label), the
 * label limit and line breaks; tfr_features for a round trip of every
 * kind; the table source for RFC 4180 quoting.
 */
#include "config.h"
#include "tap.h"
#include "lib/format/crc32c.h"
#include "lib/source/listing.h"
#include "lib/source/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/unit-source.XXXXXX";

static void put(const char *name, const void *data, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, n, f);
		fclose(f);
	}
}

static const char *winner(const struct tfr_source_probe *p)
{
	const struct tfr_source_ops *best = NULL;
	int b = 0, i;

	for (i = 0; tfr_source_table[i]; i++) {
		int x = tfr_source_table[i]->bid ? tfr_source_table[i]->bid(p) : 0;

		if (x > b) {
			b = x;
			best = tfr_source_table[i];
		}
	}
	return best ? best->name : "none";
}

static void test_table(void)
{
	struct tfr_source_probe p;
	unsigned char tar[512], rec[12], zip[4] = { 'P', 'K', 3, 4 };
	int i, nbid = 0;
	uint64_t len = 5;
	uint32_t crc;

	for (i = 0; tfr_source_table[i]; i++) {
		const struct tfr_source_ops *o = tfr_source_table[i];

		ok(o->name && o->list && o->read && o->where, "kind '%s' fills the interface", o->name);
		nbid += o->bid != NULL;
	}
	ok(nbid >= 4, "%d kinds bid on inputs", nbid);

	memset(&p, 0, sizeof(p));
	p.path = "x";
	p.st.st_mode = S_IFDIR;
	ok(!strcmp(winner(&p), "dir"), "a directory goes to dir");
	p.st.st_mode = S_IFREG;
	p.head = (const unsigned char *)"\xff\xd8\xff";
	p.n = 3;
	ok(!strcmp(winner(&p), "file"), "a JPEG goes to file");
	memset(tar, 0, sizeof(tar));
	memcpy(tar + 257, "ustar", 5);
	p.head = tar;
	p.n = sizeof(tar);
	ok(!strcmp(winner(&p), "archive"), "a ustar header goes to archive");
	p.head = zip;
	p.n = 4;
	ok(!strcmp(winner(&p), "archive"), "a zip goes to archive");
	memcpy(rec, &len, 8);
	crc = tfr_masked_crc32c(rec, 8);
	memcpy(rec + 8, &crc, 4);
	p.head = rec;
	p.n = 12;
	ok(!strcmp(winner(&p), "tfrecord"), "a checked record header goes to tfrecord");
	rec[8] ^= 1;
	ok(!strcmp(winner(&p), "file"), "a record header with a bad CRC does not");
	p.head = (const unsigned char *)"\x1f\x8b";
	p.n = 2;
	p.inflated = tar;
	p.ninflated = sizeof(tar);
	ok(!strcmp(winner(&p), "archive"), "gzip holding a tar goes to archive");
	rec[8] ^= 1;
	p.inflated = rec;
	p.ninflated = 12;
	ok(!strcmp(winner(&p), "tfrecord"), "gzip holding records goes to tfrecord");
	p.st.st_mode = S_IFIFO;
	ok(!strcmp(winner(&p), "none"), "a FIFO goes nowhere");
}

static void add(struct tfr_dataset *ds, const char *name, size_t base,
		const char *c1, const char *c2, uint64_t extra)
{
	const char *cls[2] = { c1, c2 };
	struct tfr_item_desc d = { name, base, cls, c2 ? 2 : c1 ? 1 : 0, 7, extra };
	struct tfr_error err;

	ok(tfr_dataset_add(ds, &d, &err) == TFR_OK, "add '%s'", name);
}

static void test_listing(void)
{
	struct tfr_dataset ds;
	struct tfr_error err;
	const int32_t *ids;
	char path[512], lpath[512];

	/* A list source gives the listing a current source. */
	put("l.txt", "", 0);
	snprintf(path, sizeof(path), "%s/l.txt", dir);
	snprintf(lpath, sizeof(lpath), "%s/l.txt", dir);
	tfr_dataset_init(&ds);
	ok(tfr_dataset_add_kind(&ds, "list", path, NULL, &err) == TFR_OK, "open an empty list");
	add(&ds, "b/x.jpg", 2, "goat", NULL, TFR_NO_EXTRA);
	add(&ds, "a/y.jpg", 0, "cat", NULL, TFR_NO_EXTRA);
	add(&ds, "z.jpg", 0, NULL, NULL, 5);
	add(&ds, "m.jpg", 0, "goat", "cat", TFR_NO_EXTRA);
	add(&ds, "nl.jpg", 0, "bad\nname", NULL, TFR_NO_EXTRA);
	ok(ds.n == 4 && ds.nbad == 1, "a class with a line break is a problem, not an item");
	ok(ds.nbad && strstr(ds.bad[0].file, "nl.jpg") && strstr(ds.bad[0].reason, "line break"),
	   "... named with its path");
	ok(tfr_dataset_finish(&ds, NULL, 0, &err) == TFR_OK, "finish");
	ok(ds.nclasses == 2 && !strcmp(ds.classes[0], "cat") && !strcmp(ds.classes[1], "goat"),
	   "classes in sorted order");
	ok(!strcmp(tfr_dataset_name(&ds, 0), "b/x.jpg") && !strcmp(tfr_dataset_filename(&ds, 0), "x.jpg"),
	   "names keep their filename base");
	ok(tfr_dataset_label(&ds, 0) == 1 && tfr_dataset_label(&ds, 1) == 0 &&
	   tfr_dataset_label(&ds, 2) == -1, "single labels");
	ok(tfr_dataset_labels(&ds, 3, &ids) == 2 && ids[0] == 1 && ids[1] == 0, "multi-label ids");
	tfr_dataset_release(&ds);

	/* Integer labels are ids, up to the limit. */
	tfr_dataset_init(&ds);
	tfr_dataset_add_kind(&ds, "list", path, NULL, &err);
	add(&ds, "a.jpg", 0, "3", NULL, TFR_NO_EXTRA);
	add(&ds, "b.jpg", 0, "1", NULL, TFR_NO_EXTRA);
	ok(tfr_dataset_finish(&ds, NULL, 0, &err) == TFR_OK && ds.numeric_labels &&
	   ds.nclasses == 4 && tfr_dataset_label(&ds, 0) == 3, "integer labels are ids");
	tfr_dataset_release(&ds);
	tfr_dataset_init(&ds);
	tfr_dataset_add_kind(&ds, "list", path, NULL, &err);
	add(&ds, "a.jpg", 0, "100000000", NULL, TFR_NO_EXTRA);
	ok(tfr_dataset_finish(&ds, NULL, 0, &err) == TFR_ERR_LIMIT && ds.nclasses == 0,
	   "a label of 10^8 is refused before any allocation");
	tfr_dataset_release(&ds);

	/* A class map fixes ids; a missing class fails or is added. */
	put("map.txt", "zebra\ncat\n", 10);
	snprintf(path, sizeof(path), "%s/map.txt", dir);
	tfr_dataset_init(&ds);
	tfr_dataset_add_kind(&ds, "list", lpath, NULL, &err);
	add(&ds, "a.jpg", 0, "cat", NULL, TFR_NO_EXTRA);
	ok(tfr_dataset_finish(&ds, path, 0, &err) == TFR_OK && tfr_dataset_label(&ds, 0) == 1 &&
	   ds.nclasses == 2, "a class map gives the map's id");
	tfr_dataset_release(&ds);
	tfr_dataset_init(&ds);
	tfr_dataset_add_kind(&ds, "list", lpath, NULL, &err);
	add(&ds, "a.jpg", 0, "dog", NULL, TFR_NO_EXTRA);
	ok(tfr_dataset_finish(&ds, path, 0, &err) == TFR_ERR_FORMAT && strstr(err.msg, "dog"),
	   "a class the map lacks is an error");
	tfr_dataset_release(&ds);
	tfr_dataset_init(&ds);
	tfr_dataset_add_kind(&ds, "list", lpath, NULL, &err);
	add(&ds, "a.jpg", 0, "dog", NULL, TFR_NO_EXTRA);
	ok(tfr_dataset_finish(&ds, path, 1, &err) == TFR_OK && ds.nadded == 1 &&
	   tfr_dataset_label(&ds, 0) == 2 && !strcmp(ds.classes[2], "dog"),
	   "... or added after the map");
	tfr_dataset_release(&ds);
}

static void test_features(void)
{
	struct tfr_features fs;
	struct tfr_error err;
	struct tfr_bytes b[2] = { { 3, (const unsigned char *)"abc" }, { 0, NULL } };
	int64_t iv[3] = { -1, 0, 1LL << 40 };
	float fv[1] = { 2.5f };
	int i, ok_all = 1;

	tfr_features_init(&fs);
	for (i = 0; i < 2; i++) {
		tfr_features_reset(&fs);
		ok_all &= tfr_features_add(&fs, "s", TFR_FEATURE_BYTES, b, 2, 0, &err) == TFR_OK;
		ok_all &= tfr_features_add(&fs, "i", TFR_FEATURE_INT64, iv, 3, 0, &err) == TFR_OK;
		ok_all &= tfr_features_add(&fs, "f", TFR_FEATURE_FLOAT, fv, 1, TFR_FEATURE_GEOMETRIC, &err) == TFR_OK;
		ok_all &= tfr_features_view(&fs, &err) == TFR_OK;
	}
	ok(ok_all && fs.n == 3, "features added twice over a reset");
	ok(!strcmp(fs.spec[0].key, "s") && fs.spec[0].count == 2 && fs.spec[0].bytes[0].len == 3 &&
	   !memcmp(fs.spec[0].bytes[0].data, "abc", 3) && fs.spec[0].bytes[1].len == 0,
	   "bytes values copied");
	ok(fs.spec[1].ints[2] == (1LL << 40) && fs.spec[1].ints[0] == -1, "int64 values copied");
	ok(fs.spec[2].floats[0] == 2.5f && (fs.flags & TFR_FEATURE_GEOMETRIC), "float values and flags");
	for (i = 0; i < TFR_MAX_FEATURES; i++)
		if (tfr_features_add(&fs, "x", TFR_FEATURE_INT64, iv, 1, 0, &err))
			break;
	ok(i == TFR_MAX_FEATURES - 3 && err.status == TFR_ERR_LIMIT, "at most %d features", TFR_MAX_FEATURES);
	tfr_features_release(&fs);
}

static void test_csv(void)
{
	static const char csv[] =
		"\xef\xbb\xbfpath,label,\"odd, name\"\r\n"
		"a.jpg,\"cat\",\"x \"\"y\"\"\nz\"\r\n"
		"\r\n"
		"b.jpg,dog,w\n";
	struct tfr_source_opts o;
	struct tfr_dataset ds;
	struct tfr_error err;
	char path[512];

	put("a.jpg", "x", 1);
	put("b.jpg", "y", 1);
	put("t.csv", csv, sizeof(csv) - 1);
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	memset(&o, 0, sizeof(o));
	o.label_col = "label";
	tfr_dataset_init(&ds);
	ok(tfr_dataset_add_kind(&ds, "table", path, &o, &err) == TFR_OK,
	   "list a quoted CSV that starts with a byte order mark");
	ok(ds.n == 2 && ds.nbad == 0, "two rows, the blank line passed over");
	ok(tfr_dataset_finish(&ds, NULL, 0, &err) == TFR_OK && ds.n == 2 &&
	   !strcmp(tfr_dataset_name(&ds, 1), "b.jpg") && tfr_dataset_label(&ds, 0) == 0 &&
	   tfr_dataset_label(&ds, 1) == 1, "paths and labels");
	tfr_dataset_release(&ds);
	put("u.csv", "path\n\"a.jpg\n", 12);
	snprintf(path, sizeof(path), "%s/u.csv", dir);
	o.label_col = NULL;
	tfr_dataset_init(&ds);
	ok(tfr_dataset_add_kind(&ds, "table", path, &o, &err) == TFR_ERR_FORMAT &&
	   strstr(err.msg, "line 2, column 1: unterminated quote"), "an unterminated quote: %s", err.msg);
	tfr_dataset_release(&ds);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir)) {
		tap_skip_all("no temporary directory");
		return 0;
	}
	test_table();
	test_listing();
	test_features();
	test_csv();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
