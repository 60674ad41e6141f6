/*
 * fuzz-record.c - libFuzzer target: the TFRecord reader over all three
 * compressions (auto-detected, and forced GZIP and ZLIB), strict and
 * salvaging, header-only and full, and the Example parser on every
 * payload that comes out.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/format/example.h"
#include "lib/format/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void noop(void *ctx, uint64_t i, uint64_t off, uint64_t len, const char *why)
{
	(void)ctx; (void)i; (void)off; (void)len; (void)why;
}

static void run(const uint8_t *data, size_t size, enum tfr_compression c,
		int salvage, int header_only)
{
	struct tfr_reader_opts o = { .compression = c, .max_record = 1 << 20,
				     .salvage = salvage, .on_skip = noop };
	struct tfr_reader *r;
	struct tfr_record rec;
	int fd = memfd_create("fuzz", 0), n = 0;

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	if (tfr_reader_open_fd(&r, fd, "fuzz", &o, NULL))
		return;
	while ((header_only ? tfr_reader_next_header(r, &rec, NULL)
			    : tfr_reader_next(r, &rec, NULL)) == TFR_OK && n++ < 10000) {
		struct tfr_example *ex;

		if (!header_only && tfr_example_parse(&ex, rec.data, rec.len, NULL) == TFR_OK)
			tfr_example_free(ex);
	}
	tfr_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size, TFR_COMP_AUTO, 0, 0);
	run(data, size, TFR_COMP_AUTO, 1, 0);
	run(data, size, TFR_COMP_AUTO, 0, 1);
	run(data, size, TFR_COMP_GZIP, 1, 0);
	run(data, size, TFR_COMP_ZLIB, 1, 0);
	return 0;
}
