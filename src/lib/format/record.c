/*
 * record.c - TFRecord framing over plain, GZIP and ZLIB streams.
 *
 * Reader design: every byte of the record stream passes through one
 * buffer (buf[pos..end), whose first byte sits at stream offset buf_off).
 * ensure(n) makes n bytes available, compacting and refilling from the
 * source, which is either read(2) or zlib's inflate.  Records are handed
 * out as pointers into that buffer, so the common path copies nothing
 * beyond the read itself.  The buffer grows only to fit one record, and
 * the record length is capped before any growth.
 */
#include "config.h"
#include "format/record.h"
#include "format/crc32c.h"
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK (1u << 20)   /* buffer size for plain reads */
#define ZIN_CHUNK (256u << 10)  /* compressed input chunk */
#define OUT_CHUNK (1u << 20)    /* writer output buffer */

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

void tfr_record_header(unsigned char hdr[12], uint64_t len)
{
	int i;

	for (i = 0; i < 8; i++)
		hdr[i] = (unsigned char)(len >> (8 * i));
	put_le32(hdr + 8, tfr_masked_crc32c(hdr, 8));
}

int tfr_record_check(const unsigned char *rec, uint64_t len)
{
	unsigned char hdr[12];

	tfr_record_header(hdr, len);
	return !memcmp(hdr, rec, 12) &&
	       get_le32(rec + 12 + len) == tfr_masked_crc32c(rec + 12, (size_t)len);
}

const char *tfr_compression_name(enum tfr_compression c)
{
	switch (c) {
	case TFR_COMP_NONE: return "none";
	case TFR_COMP_GZIP: return "gzip";
	case TFR_COMP_ZLIB: return "zlib";
	case TFR_COMP_AUTO: return "auto";
	}
	return "?";
}

int tfr_compression_parse(const char *s)
{
	if (!strcmp(s, "none") || !*s)
		return TFR_COMP_NONE;
	if (!strcmp(s, "gzip") || !strcmp(s, "GZIP"))
		return TFR_COMP_GZIP;
	if (!strcmp(s, "zlib") || !strcmp(s, "ZLIB"))
		return TFR_COMP_ZLIB;
	return -2;
}

/* ---------------------------------------------------------------- reader */

struct tfr_reader {
	int fd;
	char *name;
	struct tfr_reader_opts opts;
	enum tfr_compression comp;
	int regular;          /* fd is a regular file: lseek works */
	uint64_t file_size;

	unsigned char *buf;   /* stream buffer */
	size_t cap, pos, end;
	uint64_t buf_off;     /* stream offset of buf[0] */
	int src_eof;          /* the source has no more bytes */

	z_stream zs;
	int z_live;
	unsigned char *zin;
	size_t zin_len;       /* valid bytes in zin (zs.next_in points in) */
	int raw_eof;          /* read(2) returned 0 */
	uint64_t raw_bytes;

	uint64_t index;       /* next record index */
	/* Salvage: uncompressed offset where a damaged compressed stream
	 * was left and decoding resumed further on (TFR_NO_POS: none), and
	 * whether a zlib stream resumed as raw deflate. */
	uint64_t brk;
	int zraw;
};

static int raw_read(struct tfr_reader *r, unsigned char *dst, size_t n,
		    size_t *got, struct tfr_error *err)
{
	ssize_t k;

	for (;;) {
		k = read(r->fd, dst, n);
		if (k >= 0)
			break;
		if (errno != EINTR)
			return tfr_error_sys(err, errno, "cannot read '%s'", r->name);
	}
	if (k == 0)
		r->raw_eof = 1;
	r->raw_bytes += (uint64_t)k;
	*got = (size_t)k;
	return TFR_OK;
}

static int zerr(struct tfr_reader *r, const char *what, struct tfr_error *err)
{
	return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, TFR_NO_POS,
			    "'%s': %s stream %s at compressed byte %llu%s%s",
			    r->name, tfr_compression_name(r->comp), what,
			    (unsigned long long)(r->raw_bytes - r->zs.avail_in),
			    r->zs.msg ? ": " : "", r->zs.msg ? r->zs.msg : "");
}

static void report_skip(struct tfr_reader *r, uint64_t off, uint64_t len,
			const char *why);

/*
 * Salvage after a compressed stream breaks (corrupt, truncated, bad
 * trailer): keep what was decoded, and look in the compressed bytes for
 * a place to start again.  GZIP: the next member header (1f 8b 08).
 * ZLIB has no members; the next sync or full flush marker (00 00 ff ff)
 * ends a stored block, and raw deflate can start after it, but data
 * that refers back past the break (anything but a full flush) decodes
 * wrongly and is then dropped by the record CRCs.  Without a marker
 * the stream ends here.  The break is reported once, and remembered so
 * that a record cut by it is skipped rather than glued to what follows.
 */
static int zbreak(struct tfr_reader *r, const char *what, struct tfr_error *err)
{
	static const unsigned char gz[3] = { 0x1f, 0x8b, 0x08 };
	static const unsigned char fl[4] = { 0x00, 0x00, 0xff, 0xff };
	const unsigned char *pat = r->comp == TFR_COMP_GZIP ? gz : fl;
	size_t plen = r->comp == TFR_COMP_GZIP ? 3 : 4;
	uint64_t at = r->raw_bytes - r->zs.avail_in;
	char why[200];
	int rc;

	snprintf(why, sizeof(why), "%s stream %s at compressed byte %llu%s%s",
		 tfr_compression_name(r->comp), what, (unsigned long long)at,
		 r->zs.msg ? ": " : "", r->zs.msg ? r->zs.msg : "");
	r->brk = r->buf_off + r->end;
	/* Skip at least one byte, so that the same start is never retried. */
	if (r->zs.avail_in) {
		r->zs.next_in++;
		r->zs.avail_in--;
	}
	for (;;) {
		unsigned char *p = r->zs.next_in, *e = p + r->zs.avail_in, *q;
		size_t keep, got;

		for (q = p; q + plen <= e; q++)
			if (!memcmp(q, pat, plen))
				break;
		if (q + plen <= e) {
			if (r->comp == TFR_COMP_GZIP) {
				r->zs.next_in = q;
				rc = inflateReset(&r->zs);
			} else {
				r->zs.next_in = q + plen;
				rc = inflateReset2(&r->zs, -15);
				r->zraw = 1;
			}
			r->zs.avail_in = (uInt)(e - r->zs.next_in);
			if (rc != Z_OK)
				return tfr_error_set(err, TFR_ERR_NOMEM, "'%s': out of memory", r->name);
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "; resumed at compressed byte %llu",
				 (unsigned long long)(r->raw_bytes - r->zs.avail_in));
			report_skip(r, r->brk, 0, why);
			return TFR_OK;
		}
		if (r->raw_eof) {
			r->zs.avail_in = 0;
			r->src_eof = 1;
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "; nothing after it could be read");
			report_skip(r, r->brk, 0, why);
			return TFR_OK;
		}
		/* Keep a possible partial pattern, read on after it. */
		keep = (size_t)(e - p) < plen - 1 ? (size_t)(e - p) : plen - 1;
		memmove(r->zin, e - keep, keep);
		rc = raw_read(r, r->zin + keep, ZIN_CHUNK - keep, &got, err);
		if (rc)
			return rc;
		r->zs.next_in = r->zin;
		r->zs.avail_in = (uInt)(keep + got);
	}
}

/* Add bytes at buf[end..cap) from the source; sets src_eof at the end. */
static int fill(struct tfr_reader *r, struct tfr_error *err)
{
	size_t got;
	int rc;

	if (r->comp == TFR_COMP_NONE) {
		rc = raw_read(r, r->buf + r->end, r->cap - r->end, &got, err);
		if (rc)
			return rc;
		r->end += got;
		if (got == 0)
			r->src_eof = 1;
		return TFR_OK;
	}

	while (r->end < r->cap && !r->src_eof) {
		int zr;
		size_t before;

		if (r->zs.avail_in == 0 && !r->raw_eof) {
			rc = raw_read(r, r->zin, ZIN_CHUNK, &got, err);
			if (rc)
				return rc;
			r->zs.next_in = r->zin;
			r->zs.avail_in = (uInt)got;
		}
		r->zs.next_out = r->buf + r->end;
		r->zs.avail_out = (uInt)(r->cap - r->end);
		before = r->zs.avail_out;
		zr = inflate(&r->zs, Z_NO_FLUSH);
		r->end += before - r->zs.avail_out;
		if (zr == Z_STREAM_END) {
			/* A gzip file may hold several members (cat a.gz b.gz);
			 * anything after a zlib stream is an error. */
			if (r->zs.avail_in == 0 && !r->raw_eof) {
				rc = raw_read(r, r->zin, ZIN_CHUNK, &got, err);
				if (rc)
					return rc;
				r->zs.next_in = r->zin;
				r->zs.avail_in = (uInt)got;
			}
			if (r->zs.avail_in == 0 ||
			    (r->zraw && r->raw_eof && r->zs.avail_in <= 4)) {
				/* (raw deflate after a salvage resync: the
				 * zlib trailer is what remains) */
				r->src_eof = 1;
				break;
			}
			if (r->comp == TFR_COMP_ZLIB) {
				if (!r->opts.salvage)
					return zerr(r, "has trailing garbage", err);
				rc = zbreak(r, "has trailing garbage", err);
				if (rc)
					return rc;
				continue;
			}
			inflateReset(&r->zs);
			continue;
		}
		if (zr == Z_MEM_ERROR)
			return tfr_error_set(err, TFR_ERR_NOMEM, "'%s': out of memory", r->name);
		if ((zr == Z_BUF_ERROR && r->zs.avail_in == 0 && r->raw_eof) ||
		    (zr != Z_OK && zr != Z_BUF_ERROR)) {
			const char *what = zr == Z_BUF_ERROR ? "is truncated" : "is corrupt";

			if (!r->opts.salvage)
				return zerr(r, what, err);
			rc = zbreak(r, what, err);
			if (rc)
				return rc;
			if (before != r->zs.avail_out)
				break;
			continue;
		}
		if (before != r->zs.avail_out)
			break; /* got some output; let the caller look */
	}
	return TFR_OK;
}

/* Make at least n bytes available at buf+pos, unless the source ends. */
static int ensure(struct tfr_reader *r, size_t n, struct tfr_error *err)
{
	int rc;

	if (r->end - r->pos >= n)
		return TFR_OK;
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->buf_off += r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	if (n > r->cap) {
		size_t ncap = r->cap;
		unsigned char *p;

		while (ncap < n)
			ncap = ncap > SIZE_MAX / 2 ? n : ncap * 2;
		p = realloc(r->buf, ncap);
		if (!p)
			return tfr_error_set(err, TFR_ERR_NOMEM,
					     "'%s': out of memory for a %zu-byte record",
					     r->name, n);
		r->buf = p;
		r->cap = ncap;
	}
	while (r->end - r->pos < n && !r->src_eof) {
		rc = fill(r, err);
		if (rc)
			return rc;
	}
	return TFR_OK;
}

static int detect(const unsigned char *b, size_t n)
{
	if (n >= 12 && tfr_masked_crc32c(b, 8) == get_le32(b + 8))
		return TFR_COMP_NONE;
	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return TFR_COMP_GZIP;
	if (n >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 &&
	    ((b[0] << 8) | b[1]) % 31 == 0)
		return TFR_COMP_ZLIB;
	return TFR_COMP_NONE;
}

int tfr_reader_open_fd(struct tfr_reader **rp, int fd, const char *name,
		       const struct tfr_reader_opts *opts,
		       struct tfr_error *err)
{
	struct tfr_reader *r;
	struct stat st;
	size_t got;
	int rc;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name))) {
		free(r);
		close(fd);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	r->fd = fd;
	r->brk = TFR_NO_POS;
	if (opts)
		r->opts = *opts;
	else
		r->opts.compression = TFR_COMP_AUTO;
	if (!r->opts.max_record)
		r->opts.max_record = TFR_DEFAULT_MAX_RECORD;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			rc = tfr_error_set(err, TFR_ERR_IO, "cannot read '%s': Is a directory", name);
			goto fail;
		}
		if (S_ISREG(st.st_mode)) {
			r->regular = 1;
			r->file_size = (uint64_t)st.st_size;
		}
	}
	r->cap = READ_CHUNK;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto fail;
	}

	/* Read the first bytes raw, then decide how to interpret them. */
	do {
		rc = raw_read(r, r->buf + r->end, 64 - r->end, &got, err);
		if (rc)
			goto fail;
		r->end += got;
	} while (got && r->end < 64);

	r->comp = r->opts.compression == TFR_COMP_AUTO
			  ? (enum tfr_compression)detect(r->buf, r->end)
			  : r->opts.compression;
	if (r->comp == TFR_COMP_NONE) {
		if (r->end == 0 && r->raw_eof)
			r->src_eof = 1;
		*rp = r;
		return TFR_OK;
	}

	r->zin = malloc(ZIN_CHUNK);
	if (!r->zin) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	memcpy(r->zin, r->buf, r->end);
	r->zs.next_in = r->zin;
	r->zs.avail_in = (uInt)r->end;
	r->end = 0;
	/* 15+16: gzip only; 15: zlib only.  zlib parses the gzip header
	 * itself, so optional FNAME/FEXTRA/MTIME fields are handled. */
	if (inflateInit2(&r->zs, r->comp == TFR_COMP_GZIP ? 15 + 16 : 15) != Z_OK) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "'%s': cannot start zlib", name);
		goto fail;
	}
	r->z_live = 1;
	*rp = r;
	return TFR_OK;
fail:
	tfr_reader_free(r);
	return rc;
}

int tfr_reader_open(struct tfr_reader **rp, const char *path,
		    const struct tfr_reader_opts *opts, struct tfr_error *err)
{
	int fd;

	*rp = NULL;
	if (!strcmp(path, "-")) {
		fd = dup(STDIN_FILENO);
		if (fd < 0)
			return tfr_error_sys(err, errno, "cannot read standard input");
		return tfr_reader_open_fd(rp, fd, "(standard input)", opts, err);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	return tfr_reader_open_fd(rp, fd, path, opts, err);
}

static void report_skip(struct tfr_reader *r, uint64_t off, uint64_t len,
			const char *why)
{
	if (r->opts.on_skip)
		r->opts.on_skip(r->opts.skip_ctx, r->index, off, len, why);
}

static const char *where(const struct tfr_reader *r)
{
	return r->comp == TFR_COMP_NONE ? "" : " (uncompressed stream)";
}

/*
 * Salvage: scan forward from the byte after the damaged header for a
 * position holding a valid header (matching length CRC, length within
 * the cap).  Reports the skipped span.  Returns TFR_OK positioned at the
 * new header, or TFR_EOF when the rest of the stream holds none.
 */
static int resync(struct tfr_reader *r, const char *why, struct tfr_error *err)
{
	uint64_t start = r->buf_off + r->pos;
	int rc;

	r->pos++;
	for (;;) {
		rc = ensure(r, 12, err);
		if (rc)
			return rc;
		if (r->end - r->pos < 12) {
			uint64_t stop = r->buf_off + r->end;

			report_skip(r, start, stop - start, why);
			r->pos = r->end;
			return TFR_EOF;
		}
		if (tfr_masked_crc32c(r->buf + r->pos, 8) == get_le32(r->buf + r->pos + 8) &&
		    get_le64(r->buf + r->pos) <= r->opts.max_record)
			break;
		r->pos++;
	}
	report_skip(r, start, r->buf_off + r->pos - start, why);
	return TFR_OK;
}

static int next(struct tfr_reader *r, struct tfr_record *rec, int header_only,
		struct tfr_error *err)
{
	const unsigned char *h;
	uint64_t off, len, total;
	size_t avail;
	int rc;

again:
	rc = ensure(r, 12, err);
	if (rc)
		return rc;
	off = r->buf_off + r->pos;
	avail = r->end - r->pos;
	if (avail == 0)
		return TFR_EOF;
	if (avail < 12) {
		if (r->opts.salvage) {
			report_skip(r, off, avail, "truncated header");
			r->pos = r->end;
			return TFR_EOF;
		}
		return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, off,
				    "'%s': record %llu at offset %llu%s: truncated header "
				    "(%zu of 12 bytes)", r->name,
				    (unsigned long long)r->index,
				    (unsigned long long)off, where(r), avail);
	}
	h = r->buf + r->pos;
	len = get_le64(h);
	if (tfr_masked_crc32c(h, 8) != get_le32(h + 8)) {
		if (r->opts.salvage) {
			rc = resync(r, "bad length CRC", err);
			if (rc)
				return rc;
			goto again;
		}
		/* A file whose very first header is wrong is most likely not
		 * a TFRecord file at all (an .idx or .json a glob caught). */
		if (r->index == 0 && off == 0)
			return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, off,
					    "'%s': record 0 at offset 0%s: length CRC mismatch: "
					    "not a TFRecord file, or its first header is damaged",
					    r->name, where(r));
		return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, off,
				    "'%s': record %llu at offset %llu%s: length CRC mismatch",
				    r->name, (unsigned long long)r->index,
				    (unsigned long long)off, where(r));
	}
	if (len > r->opts.max_record) {
		if (r->opts.salvage) {
			rc = resync(r, "record length over the limit", err);
			if (rc)
				return rc;
			goto again;
		}
		return tfr_error_at(err, TFR_ERR_LIMIT, r->index, off,
				    "'%s': record %llu at offset %llu%s: length %llu exceeds "
				    "the limit of %llu bytes", r->name,
				    (unsigned long long)r->index, (unsigned long long)off,
				    where(r), (unsigned long long)len,
				    (unsigned long long)r->opts.max_record);
	}
	total = len + TFR_RECORD_OVERHEAD;

	if (header_only && r->comp == TFR_COMP_NONE && r->regular &&
	    total > r->end - r->pos) {
		/* Seek over the payload; the file size tells truncation. */
		uint64_t target = off + total;

		if (target > r->file_size) {
			if (r->opts.salvage) {
				report_skip(r, off, r->file_size - off, "truncated record");
				r->pos = r->end;
				r->src_eof = 1;
				return TFR_EOF;
			}
			return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, off,
					    "'%s': record %llu at offset %llu: truncated record "
					    "(%llu of %llu bytes present)", r->name,
					    (unsigned long long)r->index,
					    (unsigned long long)off,
					    (unsigned long long)(r->file_size - off),
					    (unsigned long long)total);
		}
		if (lseek(r->fd, (off_t)target, SEEK_SET) < 0)
			return tfr_error_sys(err, errno, "cannot seek in '%s'", r->name);
		r->pos = r->end = 0;
		r->buf_off = target;
		rec->data = NULL;
		rec->len = len;
		rec->index = r->index++;
		rec->offset = off;
		return TFR_OK;
	}

	rc = ensure(r, (size_t)total, err);
	if (rc)
		return rc;
	if (r->brk != TFR_NO_POS && r->brk <= off)
		r->brk = TFR_NO_POS;
	if (r->brk != TFR_NO_POS && off + total > r->brk && r->brk <= r->buf_off + r->end) {
		/* Its bytes end at a salvaged break: the rest is not its. */
		report_skip(r, off, r->brk - off, "record cut by damage in the compressed stream");
		r->pos = (size_t)(r->brk - r->buf_off);
		r->brk = TFR_NO_POS;
		goto again;
	}
	avail = r->end - r->pos;
	if (avail < total) {
		if (r->opts.salvage) {
			report_skip(r, off, avail, "truncated record");
			r->pos = r->end;
			return TFR_EOF;
		}
		return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, off,
				    "'%s': record %llu at offset %llu%s: truncated record "
				    "(%zu of %llu bytes present)", r->name,
				    (unsigned long long)r->index, (unsigned long long)off,
				    where(r), avail, (unsigned long long)total);
	}
	h = r->buf + r->pos;
	if (!header_only && !r->opts.skip_data_crc &&
	    tfr_masked_crc32c(h + 12, (size_t)len) != get_le32(h + 12 + len)) {
		if (r->opts.salvage) {
			/* The header was sound, so the next record starts
			 * right after this one. */
			report_skip(r, off, total, "bad data CRC");
			r->pos += (size_t)total;
			r->index++;
			goto again;
		}
		return tfr_error_at(err, TFR_ERR_CORRUPT, r->index, off,
				    "'%s': record %llu at offset %llu%s: data CRC mismatch",
				    r->name, (unsigned long long)r->index,
				    (unsigned long long)off, where(r));
	}
	rec->data = h + 12;
	rec->len = len;
	rec->index = r->index++;
	rec->offset = off;
	r->pos += (size_t)total;
	return TFR_OK;
}

int tfr_reader_next(struct tfr_reader *r, struct tfr_record *rec,
		    struct tfr_error *err)
{
	return next(r, rec, 0, err);
}

int tfr_reader_next_header(struct tfr_reader *r, struct tfr_record *rec,
			   struct tfr_error *err)
{
	return next(r, rec, 1, err);
}

int tfr_reader_seek(struct tfr_reader *r, uint64_t offset, uint64_t index,
		    struct tfr_error *err)
{
	if (r->comp != TFR_COMP_NONE || !r->regular)
		return tfr_error_set(err, TFR_ERR_UNSUPPORTED,
				     "'%s': cannot seek in a compressed or non-regular file",
				     r->name);
	if (lseek(r->fd, (off_t)offset, SEEK_SET) < 0)
		return tfr_error_sys(err, errno, "cannot seek in '%s'", r->name);
	r->pos = r->end = 0;
	r->buf_off = offset;
	r->src_eof = 0;
	r->raw_eof = 0;
	r->index = index;
	return TFR_OK;
}

enum tfr_compression tfr_reader_compression(const struct tfr_reader *r)
{
	return r->comp;
}

uint64_t tfr_reader_offset(const struct tfr_reader *r)
{
	return r->buf_off + r->pos;
}

uint64_t tfr_reader_raw_bytes(const struct tfr_reader *r)
{
	return r->raw_bytes;
}

void tfr_reader_free(struct tfr_reader *r)
{
	if (!r)
		return;
	if (r->z_live)
		inflateEnd(&r->zs);
	if (r->fd >= 0)
		close(r->fd);
	free(r->zin);
	free(r->buf);
	free(r->name);
	free(r);
}

/* ---------------------------------------------------------------- writer */

struct tfr_writer {
	struct tfr_atomic file;   /* temporary name, hash, rename (fileio.h) */
	struct tfr_writer_opts opts;
	z_stream zs;
	int z_live;
	unsigned char *out;   /* file bytes waiting for write(2) */
	size_t out_len;
	uint64_t stream_bytes, records;
};

static int flush_out(struct tfr_writer *w, struct tfr_error *err)
{
	int rc;

	if (!w->out_len)
		return TFR_OK;
	rc = tfr_atomic_write(&w->file, w->out, w->out_len, err);
	w->out_len = 0;
	return rc;
}

int tfr_writer_open(struct tfr_writer **wp, const char *path,
		    const struct tfr_writer_opts *opts, struct tfr_error *err)
{
	struct tfr_writer *w;
	int rc;

	*wp = NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		if (opts && opts->hook.release)
			opts->hook.release(opts->hook.ctx);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	w->file.fd = -1;
	w->file.slot = -1;
	if (opts)
		w->opts = *opts;
	if (!strcmp(path, "-")) { /* nothing beside standard output */
		w->opts.hook.on_record = NULL;
		w->opts.hook.before_commit = NULL;
	}
	w->out = malloc(OUT_CHUNK);
	if (!w->out) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto fail;
	}
	rc = tfr_atomic_open(&w->file, path, w->opts.no_fsync, err);
	if (rc)
		goto fail;
	if (w->opts.compression != TFR_COMP_NONE) {
		int level = w->opts.level ? w->opts.level : Z_DEFAULT_COMPRESSION;
		int bits = w->opts.compression == TFR_COMP_GZIP ? 15 + 16 : 15;

		/* zlib's gzip header has MTIME 0 and no name, so output bytes
		 * depend only on the records. */
		if (deflateInit2(&w->zs, level, Z_DEFLATED, bits, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "cannot start zlib");
			goto fail;
		}
		w->z_live = 1;
	}
	*wp = w;
	return TFR_OK;
fail:
	tfr_writer_abort(w);
	return rc;
}

static int deflate_some(struct tfr_writer *w, const void *p, size_t n,
			int flush, struct tfr_error *err)
{
	int zr, rc;

	w->zs.next_in = (unsigned char *)(uintptr_t)p;
	w->zs.avail_in = 0;
	do {
		/* Feed in pieces that fit uInt. */
		if (w->zs.avail_in == 0 && n) {
			size_t piece = n > (1u << 30) ? (1u << 30) : n;

			w->zs.avail_in = (uInt)piece;
			n -= piece;
		}
		for (;;) {
			if (w->out_len == OUT_CHUNK) {
				rc = flush_out(w, err);
				if (rc)
					return rc;
			}
			w->zs.next_out = w->out + w->out_len;
			w->zs.avail_out = (uInt)(OUT_CHUNK - w->out_len);
			zr = deflate(&w->zs, n ? Z_NO_FLUSH : flush);
			w->out_len = OUT_CHUNK - w->zs.avail_out;
			if (zr == Z_STREAM_ERROR)
				return tfr_error_set(err, TFR_ERR_INVALID, "zlib stream error");
			if (w->zs.avail_out != 0 && w->zs.avail_in == 0)
				break;
			if (zr == Z_STREAM_END)
				break;
		}
	} while (n || w->zs.avail_in);
	return TFR_OK;
}

static int emit(struct tfr_writer *w, const void *p, size_t n,
		struct tfr_error *err)
{
	int rc;

	if (w->z_live)
		return deflate_some(w, p, n, Z_NO_FLUSH, err);
	if (n >= OUT_CHUNK / 8) { /* large: skip the copy into the buffer */
		rc = flush_out(w, err);
		return rc ? rc : tfr_atomic_write(&w->file, p, n, err);
	}
	if (w->out_len + n > OUT_CHUNK) {
		rc = flush_out(w, err);
		if (rc)
			return rc;
	}
	memcpy(w->out + w->out_len, p, n);
	w->out_len += n;
	return TFR_OK;
}

int tfr_writer_write(struct tfr_writer *w, const void *data, size_t len,
		     struct tfr_error *err)
{
	unsigned char hdr[12], foot[4];
	int rc;

	/* One limit for writing and reading: never write what tfrec's own
	 * readers refuse by default. */
	if ((uint64_t)len > TFR_DEFAULT_MAX_RECORD)
		return tfr_error_set(err, TFR_ERR_LIMIT,
				     "'%s': a record of %zu bytes exceeds the limit of %llu",
				     w->file.path, len,
				     (unsigned long long)TFR_DEFAULT_MAX_RECORD);
	tfr_record_header(hdr, len);
	put_le32(foot, tfr_masked_crc32c(data, len));
	if (w->opts.hook.on_record &&
	    w->opts.hook.on_record(w->opts.hook.ctx, w->stream_bytes, len + TFR_RECORD_OVERHEAD))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = emit(w, hdr, 12, err);
	if (!rc)
		rc = emit(w, data, len, err);
	if (!rc)
		rc = emit(w, foot, 4, err);
	if (rc)
		return rc;
	w->stream_bytes += len + TFR_RECORD_OVERHEAD;
	w->records++;
	return TFR_OK;
}

int tfr_writer_commit(struct tfr_writer *w, unsigned char sha256[32],
		      uint64_t *bytes, struct tfr_error *err)
{
	int rc = TFR_OK;

	if (w->z_live)
		rc = deflate_some(w, "", 0, Z_FINISH, err);
	if (!rc)
		rc = flush_out(w, err);
	if (rc)
		goto fail;
	if (bytes)
		*bytes = w->file.bytes;
	/* Sidecars go first: a shard under its final name always has its
	 * complete index beside it. */
	rc = tfr_atomic_close(&w->file, err);
	if (!rc && w->opts.hook.before_commit)
		rc = w->opts.hook.before_commit(w->opts.hook.ctx, err);
	if (!rc)
		rc = tfr_atomic_commit(&w->file, sha256, err);
fail:
	tfr_writer_abort(w);
	return rc;
}

void tfr_writer_abort(struct tfr_writer *w)
{
	if (!w)
		return;
	if (w->z_live)
		deflateEnd(&w->zs);
	tfr_atomic_abort(&w->file);
	if (w->opts.hook.release)
		w->opts.hook.release(w->opts.hook.ctx);
	free(w->out);
	free(w);
}

uint64_t tfr_writer_records(const struct tfr_writer *w)
{
	return w->records;
}

uint64_t tfr_writer_stream_bytes(const struct tfr_writer *w)
{
	return w->stream_bytes;
}

uint64_t tfr_writer_file_bytes(const struct tfr_writer *w)
{
	return w->file.bytes + w->out_len;
}
