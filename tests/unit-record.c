/*
 * unit-record.c - TFRecord reader/writer: round trips in every
 * compression, truncation at every offset, every single-byte corruption,
 * length caps, gzip header variants, multi-member gzip, and salvage.
 */
#include "config.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "tap.h"
#include "lib/format/crc32c.h"
#include "lib/format/record.h"

static char dir[] = "/tmp/tfrec-unit-record-XXXXXX";

static char *path_in(const char *name)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static unsigned char payload_byte(int rec, int i)
{
	return (unsigned char)(rec * 31 + i * 7 + (i >> 8));
}

static size_t payload_len(int rec)
{
	return rec == 0 ? 0 : (size_t)((rec * 977) % 5000);
}

static int write_file(const char *path, enum tfr_compression c, int n)
{
	struct tfr_writer_opts wo = { .compression = c, .no_fsync = 1 };
	struct tfr_writer *w;
	unsigned char buf[5000];
	int rec, i;

	if (tfr_writer_open(&w, path, &wo, NULL))
		return -1;
	for (rec = 0; rec < n; rec++) {
		for (i = 0; i < (int)payload_len(rec); i++)
			buf[i] = payload_byte(rec, i);
		if (tfr_writer_write(w, buf, payload_len(rec), NULL)) {
			tfr_writer_abort(w);
			return -1;
		}
	}
	return tfr_writer_commit(w, NULL, NULL, NULL);
}

/* Read all records; returns count, or -(1+count) on error. */
static long read_all(const char *path, struct tfr_error *err, int check_content)
{
	struct tfr_reader *r;
	struct tfr_record rec;
	long n = 0;
	int rc;

	if (tfr_reader_open(&r, path, NULL, err))
		return -1;
	while ((rc = tfr_reader_next(r, &rec, err)) == TFR_OK) {
		if (check_content) {
			size_t i;

			if (rec.len != payload_len((int)n))
				return -1000000;
			for (i = 0; i < rec.len; i++)
				if (rec.data[i] != payload_byte((int)n, (int)i))
					return -1000000;
		}
		n++;
	}
	tfr_reader_free(r);
	return rc == TFR_EOF ? n : -(1 + n);
}

static size_t slurp(const char *path, unsigned char **out)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f || fstat(fileno(f), &st))
		abort();
	*out = malloc((size_t)st.st_size + 1);
	n = fread(*out, 1, (size_t)st.st_size, f);
	fclose(f);
	return n;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		abort();
}

struct skips { int n; uint64_t bytes; };

static void on_skip(void *ctx, uint64_t index, uint64_t off, uint64_t len,
		    const char *why)
{
	struct skips *s = ctx;

	s->n++;
	s->bytes += len;
}

int main(void)
{
	static const enum tfr_compression comps[] = {
		TFR_COMP_NONE, TFR_COMP_GZIP, TFR_COMP_ZLIB
	};
	struct tfr_error err;
	unsigned char *data;
	size_t size, i;
	int k, bad;
	long n;

	if (!mkdtemp(dir))
		return 99;

	for (k = 0; k < 3; k++) {
		struct tfr_reader *r;
		const char *p = path_in(tfr_compression_name(comps[k]));

		ok(write_file(p, comps[k], 300) == 0, "write 300 records, %s",
		   tfr_compression_name(comps[k]));
		ok(read_all(p, &err, 1) == 300, "read back 300 equal records, %s",
		   tfr_compression_name(comps[k]));
		ok(tfr_reader_open(&r, p, NULL, &err) == 0 &&
		   tfr_reader_compression(r) == comps[k],
		   "compression detected as %s", tfr_compression_name(comps[k]));
		tfr_reader_free(r);
	}

	/* The writer never shows a partial file under the final name. */
	{
		struct tfr_writer_opts wo = { .no_fsync = 1 };
		struct tfr_writer *w;

		tfr_writer_open(&w, path_in("partial"), &wo, NULL);
		tfr_writer_write(w, "abc", 3, NULL);
		ok(access(path_in("partial"), F_OK) != 0, "no final name before commit");
		tfr_writer_abort(w);
		ok(access(path_in("partial"), F_OK) != 0, "no final name after abort");
	}

	/* Truncate an uncompressed file at every offset. */
	write_file(path_in("small"), TFR_COMP_NONE, 6);
	size = slurp(path_in("small"), &data);
	bad = 0;
	{
		size_t boundary = 0;
		int rec = 0;

		for (i = 0; i < size; i++) {
			spit(path_in("cut"), data, i);
			n = read_all(path_in("cut"), &err, 1);
			if (i == boundary) {
				if (n != rec)
					bad++;
				boundary += payload_len(rec) + 16;
				rec++;
			} else if (n != -rec || err.status != TFR_ERR_CORRUPT ||
				   err.offset != boundary - payload_len(rec - 1) - 16) {
				bad++;
			}
		}
	}
	ok(bad == 0, "truncation at every offset is an error at the right record (%d bad)", bad);

	/* Every single-byte change is detected. */
	bad = 0;
	for (i = 0; i < size; i++) {
		data[i] ^= 0x20;
		spit(path_in("flip"), data, size);
		n = read_all(path_in("flip"), &err, 0);
		if (n >= 0)
			bad++;
		data[i] ^= 0x20;
	}
	ok(bad == 0, "every single-byte corruption is an error (%d missed)", bad);

	/* Salvage skips a record with a bad data CRC and resyncs after a
	 * smashed header. */
	{
		struct skips s = { 0, 0 };
		struct tfr_reader_opts ro = { .compression = TFR_COMP_AUTO, .salvage = 1,
					      .on_skip = on_skip, .skip_ctx = &s };
		struct tfr_reader *r;
		struct tfr_record rec;
		size_t off1 = payload_len(0) + 16, off3;
		int got = 0;

		off3 = off1 + payload_len(1) + 16 + payload_len(2) + 16;
		data[off1 + 14] ^= 1;  /* record 1 payload */
		data[off3 + 2] ^= 1;   /* record 3 length */
		spit(path_in("salvage"), data, size);
		tfr_reader_open(&r, path_in("salvage"), &ro, &err);
		while (tfr_reader_next(r, &rec, &err) == TFR_OK)
			got++;
		tfr_reader_free(r);
		ok(got == 4 && s.n == 2, "salvage keeps 4 of 6 records, reports 2 spans (%d, %d)",
		   got, s.n);
		ok(s.bytes == payload_len(1) + 16 + payload_len(3) + 16,
		   "salvage reports exactly the damaged bytes");
	}
	free(data);

	/* A length claiming exabytes is refused before any allocation. */
	{
		unsigned char hdr[12];

		tfr_record_header(hdr, UINT64_C(1) << 60);
		spit(path_in("huge"), hdr, 12);
		n = read_all(path_in("huge"), &err, 0);
		ok(n < 0 && err.status == TFR_ERR_LIMIT, "2^60-byte length refused: %s", err.msg);
	}

	/* Truncated compressed streams are errors. */
	for (k = 1; k < 3; k++) {
		size = slurp(path_in(tfr_compression_name(comps[k])), &data);
		bad = 0;
		for (i = 1; i < size; i += 1 + size / 37) {
			spit(path_in("cutz"), data, i);
			if (read_all(path_in("cutz"), &err, 1) >= 0)
				bad++;
		}
		ok(bad == 0, "truncated %s streams are errors (%d missed)",
		   tfr_compression_name(comps[k]), bad);
		free(data);
	}

	/* gzip with FNAME, MTIME and FEXTRA, and two concatenated members. */
	{
		unsigned char *raw, out[1 << 16];
		size_t rawn = (write_file(path_in("plain2"), TFR_COMP_NONE, 4),
			       slurp(path_in("plain2"), &raw));
		gz_header h;
		z_stream z;
		unsigned char extra[4] = { 'A', 'B', 0, 0 };
		FILE *f;

		memset(&h, 0, sizeof(h));
		h.name = (unsigned char *)"records.tfrecord";
		h.time = 1234567890;
		h.extra = extra;
		h.extra_len = 4;
		h.os = 11;
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
		deflateSetHeader(&z, &h);
		z.next_in = raw;
		z.avail_in = (uInt)rawn;
		z.next_out = out;
		z.avail_out = sizeof(out);
		deflate(&z, Z_FINISH);
		f = fopen(path_in("hdr.gz"), "wb");
		fwrite(out, 1, sizeof(out) - z.avail_out, f);
		fwrite(out, 1, sizeof(out) - z.avail_out, f);
		fclose(f);
		deflateEnd(&z);
		free(raw);
		n = read_all(path_in("hdr.gz"), &err, 0);
		ok(n == 8, "gzip with FNAME/FEXTRA/MTIME, two members: 8 records (%ld)", n);
	}

	/* An empty file has no records; a directory is an error. */
	spit(path_in("empty"), "", 0);
	ok(read_all(path_in("empty"), &err, 0) == 0, "empty file: 0 records");
	ok(read_all(dir, &err, 0) < 0, "directory refused: %s", err.msg);
	ok(read_all(path_in("missing"), &err, 0) < 0 && err.status == TFR_ERR_IO,
	   "missing file: %s", err.msg);

	/* tfr_record_check: the shuffle path's re-check of a record read by offset */
	{
		static const unsigned char payload[5] = "hello";
		unsigned char rec[5 + TFR_RECORD_OVERHEAD];
		uint32_t crc = tfr_masked_crc32c(payload, 5);
		int accepted = 0;
		size_t b;

		tfr_record_header(rec, 5);
		memcpy(rec + 12, payload, 5);
		for (b = 0; b < 4; b++)
			rec[17 + b] = (unsigned char)(crc >> (8 * b));
		ok(tfr_record_check(rec, 5), "record_check accepts a sound record");
		ok(!tfr_record_check(rec, 4), "and refuses another length");
		for (b = 0; b < sizeof(rec); b++) {
			rec[b] ^= 0x20;
			accepted += tfr_record_check(rec, 5);
			rec[b] ^= 0x20;
		}
		ok(accepted == 0, "and every changed byte");
	}
	{
		struct tfr_writer *w;
		struct tfr_error e;
		char path[600];
		int rc;

		snprintf(path, sizeof(path), "%s/huge.tfrecord", dir);
		/* the limit is checked before the payload is touched */
		rc = tfr_writer_open(&w, path, NULL, &e);
		ok(rc == 0 && tfr_writer_write(w, "x", (size_t)TFR_DEFAULT_MAX_RECORD + 1, &e) ==
		   TFR_ERR_LIMIT && strstr(e.msg, "exceeds the limit"),
		   "the writer refuses a record the readers would refuse");
		if (!rc)
			tfr_writer_abort(w);
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			return 99;
	}
	return tap_done();
}
