/*
 * fuzz-source.c - libFuzzer target: the input sources over one file, as
 * an INPUT (every kind bids: archives through libarchive, TFRecords,
 * single images) and as a label table (CSV/TSV/JSONL), with WebDataset
 * features and TFRecord --keep asked for; then every listed item is read
 * and its features taken, in order and once more backwards (the second
 * pass of compressed archives starts over).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/source/listing.h"
#include "lib/source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct tfr_source_opts *o, const char *path, const char *kind)
{
	struct tfr_dataset ds;
	struct tfr_dataset_reader rd;
	struct tfr_features fs;
	struct tfr_buf b;
	struct tfr_error err;
	size_t i, n;
	int rc;

	tfr_dataset_init(&ds);
	memset(&rd, 0, sizeof(rd));
	tfr_features_init(&fs);
	tfr_buf_init(&b, 0);
	rc = kind ? tfr_dataset_add_kind(&ds, kind, path, o, &err)
		  : tfr_dataset_add_path(&ds, path, o, &err);
	if (!rc)
		rc = tfr_dataset_finish(&ds, NULL, 0, &err);
	n = ds.n < 64 ? ds.n : 64;
	for (i = 0; !rc && i < 2 * n; i++) {
		size_t k = i < n ? i : 2 * n - 1 - i;

		if (tfr_dataset_read(&ds, k, &rd, &b, &err) == TFR_OK)
			tfr_dataset_features(&ds, k, &rd, &fs, &err);
		if (!tfr_dataset_where(&ds, k, &rd) || !tfr_dataset_filename(&ds, k))
			abort();
	}
	tfr_buf_release(&b);
	tfr_features_release(&fs);
	tfr_dataset_reader_release(&ds, &rd);
	tfr_dataset_release(&ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keep[] = { "id", "label" };
	static const char *const wds[] = { "json", "txt" };
	static const char *const extra[] = { "n:int64", "f:float", "s" };
	struct tfr_source_opts o;
	char path[64];
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&o, 0, sizeof(o));
	o.max_file = 1 << 20;
	o.keep = keep;
	o.nkeep = 2;
	o.wds_features = wds;
	o.nwds_features = 2;
	walk(&o, path, NULL);
	o.label_col = "label,tags";
	o.label_sep = ";";
	o.extra_cols = extra;
	o.nextra_cols = 3;
	walk(&o, path, "table");
	o.path_template = "{id}.jpg";
	walk(&o, path, "table");
	close(fd);
	return 0;
}
