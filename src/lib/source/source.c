/* source.c - the table of sources, bidding, and helpers every source
 * uses; see source.h. */
#include "config.h"
#include "source/source.h"
#include "source/kinds.h"
#include "image/image.h"
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

/* Kinds that bid on INPUTs come first; the rest are opened by name. */
const struct tfr_source_ops *const tfr_source_table[] = {
	&tfr_source_dir,
	&tfr_source_archive,
	&tfr_source_tfrecord,
	&tfr_source_file,
	&tfr_source_list,
	&tfr_source_csv,
	&tfr_source_annotations,
	NULL,
};

#define HEAD 4096

static void stat_identity(const char *path, uint64_t v[5])
{
	struct stat st;

	memset(v, 0, 5 * sizeof(*v));
	if (stat(path, &st))
		return;
	v[0] = (uint64_t)st.st_dev;
	v[1] = (uint64_t)st.st_ino;
	v[2] = (uint64_t)st.st_size;
	v[3] = (uint64_t)st.st_mtim.tv_sec;
	v[4] = (uint64_t)st.st_mtim.tv_nsec;
}

int tfr_source_identity_file(struct tfr_buf *out, const char *path)
{
	uint64_t v[5];

	stat_identity(path, v);
	return tfr_buf_append(out, v, sizeof(v)) ? -1 : 0;
}

static int new_source(struct tfr_source **srcp, const struct tfr_source_ops *ops,
		      const char *path, const struct tfr_source_opts *o,
		      struct tfr_error *err)
{
	static const struct tfr_source_opts none;
	struct tfr_source *src = calloc(1, sizeof(*src));
	int rc;

	*srcp = NULL;
	if (!src || !(src->path = strdup(path))) {
		free(src);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	src->ops = ops;
	src->opts = o ? o : &none;
	stat_identity(path, src->ident);
	rc = ops->open ? ops->open(src, err) : TFR_OK;
	if (rc) {
		tfr_source_free(src);
		return rc;
	}
	*srcp = src;
	return TFR_OK;
}

/* Inflate the start of a gzip or zlib stream, so that bids can look at
 * what it holds (a tar, a TFRecord).  Best effort: a broken stream just
 * gives fewer bytes. */
static size_t inflate_head(const unsigned char *in, size_t n, unsigned char *out,
			   size_t cap)
{
	z_stream z;
	int gz = n >= 2 && in[0] == 0x1f && in[1] == 0x8b;
	int zl = n >= 2 && (in[0] & 0x0f) == 8 && ((in[0] << 8) | in[1]) % 31 == 0;
	size_t got;

	if (!gz && !zl)
		return 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, gz ? 16 + 15 : 15) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	inflate(&z, Z_SYNC_FLUSH);
	got = cap - z.avail_out;
	inflateEnd(&z);
	return got;
}

int tfr_source_open_input(struct tfr_source **srcp, const char *path,
			  const struct tfr_source_opts *o, struct tfr_error *err)
{
	unsigned char *head = NULL, *infl;
	struct tfr_source_probe p;
	const struct tfr_source_ops *best = NULL;
	int fd, best_bid = 0;
	size_t i;
	ssize_t k;

	*srcp = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	if (fstat(fd, &p.st)) {
		int e = errno;

		close(fd);
		return tfr_error_sys(err, e, "cannot read '%s'", path);
	}
	if (!S_ISDIR(p.st.st_mode) && !S_ISREG(p.st.st_mode)) {
		close(fd);
		return tfr_error_on(err, TFR_ERR_FORMAT, path,
				     "not a regular file or directory");
	}
	/* The first bytes, and what they inflate to, on the heap. */
	if (!(head = malloc(2 * HEAD))) {
		close(fd);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	infl = head + HEAD;
	p.head = head;
	if (S_ISREG(p.st.st_mode)) {
		if ((k = pread(fd, head, HEAD, 0)) < 0) {
			int e = errno;

			close(fd);
			free(head);
			return tfr_error_sys(err, e, "cannot read '%s'", path);
		}
		p.n = (size_t)k;
		p.ninflated = inflate_head(head, p.n, infl, HEAD);
		p.inflated = p.ninflated ? infl : NULL;
	}
	close(fd);
	for (i = 0; tfr_source_table[i]; i++) {
		int b = tfr_source_table[i]->bid ? tfr_source_table[i]->bid(&p) : 0;

		if (b > best_bid) {
			best_bid = b;
			best = tfr_source_table[i];
		}
	}
	free(head);
	if (!best)
		return tfr_error_on(err, TFR_ERR_FORMAT, path, "not an input tfrec reads");
	return new_source(srcp, best, path, o, err);
}

int tfr_source_open_kind(struct tfr_source **srcp, const char *kind,
			 const char *path, const struct tfr_source_opts *o,
			 struct tfr_error *err)
{
	size_t i;

	for (i = 0; tfr_source_table[i]; i++)
		if (!strcmp(tfr_source_table[i]->name, kind))
			return new_source(srcp, tfr_source_table[i], path, o, err);
	*srcp = NULL;
	return tfr_error_set(err, TFR_ERR_INVALID, "no input source of kind '%s'", kind);
}

void tfr_source_free(struct tfr_source *src)
{
	if (!src)
		return;
	if (src->ops->close)
		src->ops->close(src);
	free(src->path);
	free(src);
}

int tfr_source_read_file(const char *path, struct tfr_buf *b, uint64_t max,
			 struct tfr_error *err)
{
	struct stat st;
	int fd, rc = TFR_OK;

	if (!max)
		max = TFR_DEFAULT_MAX_FILE;
	b->len = 0;
	/* O_NONBLOCK and the type check before any read: a FIFO named
	 * x.jpg would otherwise hang the worker forever. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return tfr_error_sys(err, errno, "cannot open");
	if (fstat(fd, &st)) {
		rc = tfr_error_sys(err, errno, "cannot read");
	} else if (S_ISDIR(st.st_mode)) {
		rc = tfr_error_set(err, TFR_ERR_IO, "cannot read: Is a directory");
	} else if (!S_ISREG(st.st_mode)) {
		rc = tfr_error_set(err, TFR_ERR_FORMAT, "not a regular file");
	} else if ((uint64_t)st.st_size > max) {
		rc = tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_FILE,
				   "file of %llu bytes exceeds the limit of %llu",
				   (unsigned long long)st.st_size, (unsigned long long)max);
	} else if (tfr_buf_reserve(b, (size_t)st.st_size + 1)) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	} else if (tfr_pread_all(fd, b->data, (size_t)st.st_size, 0)) {
		rc = tfr_error_sys(err, errno, "cannot read");
	} else {
		b->len = (size_t)st.st_size;
	}
	close(fd);
	return rc;
}

/* The endings come from the codec table (image.h). */
int tfr_source_image_name(const char *name)
{
	return tfr_image_name_known(name);
}

int tfr_source_join(struct tfr_buf *out, const char *dir, const char *name)
{
	size_t ld = strlen(dir);

	out->len = 0;
	if (tfr_buf_append(out, dir, ld) ||
	    (ld && dir[ld - 1] != '/' && tfr_buf_append(out, "/", 1)) ||
	    tfr_buf_append(out, name, strlen(name) + 1))
		return TFR_ERR_NOMEM;
	return TFR_OK;
}

int tfr_source_read_path(const struct tfr_source *src, struct tfr_source_cursor **cur,
			 const char *name, uint64_t loc, struct tfr_buf *out,
			 struct tfr_error *err)
{
	struct tfr_buf path;
	int rc;

	(void)cur;
	(void)loc;
	tfr_buf_init(&path, 0);
	if (src->ops->where(src, name, &path))
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	else
		rc = tfr_source_read_file((char *)path.data, out, src->opts->max_file, err);
	tfr_buf_release(&path);
	return rc;
}

int tfr_source_reserved_key(const char *key)
{
	static const char *const ours[] = {
		"image/raw", "image/dtype", "image/shape", "image/mean", "image/std",
		"image/height", "image/width", "image/channels", "image/class/label",
		"image/class/text", "image/class/multi_hot", "image/filename",
		"image/format", "image/encoded",
	};
	size_t k;

	for (k = 0; k < sizeof(ours) / sizeof(ours[0]); k++)
		if (!strcmp(key, ours[k]))
			return 1;
	return 0;
}

int tfr_source_where_in(struct tfr_buf *out, const char *path, const char *sep,
			const char *name)
{
	out->len = 0;
	if (tfr_buf_printf(out, "%s%s%s", path, sep, name) || tfr_buf_append(out, "", 1))
		return TFR_ERR_NOMEM;
	return TFR_OK;
}

/* --- extra features ---------------------------------------------------- */

struct tfr_features_entry {
	size_t key;              /* offset of the NUL-terminated key in data */
	size_t values;           /* offset of the values (BYTES: offset of
				  * count (offset, len) pairs) */
	enum tfr_feature_kind kind;
	size_t count;
	unsigned flags;
};

void tfr_features_init(struct tfr_features *fs)
{
	memset(fs, 0, sizeof(*fs));
}

void tfr_features_reset(struct tfr_features *fs)
{
	fs->n = 0;
	fs->data.len = 0;
	fs->flags = 0;
}

void tfr_features_release(struct tfr_features *fs)
{
	free(fs->spec);
	free(fs->ent);
	tfr_buf_release(&fs->data);
	tfr_buf_release(&fs->views);
	memset(fs, 0, sizeof(*fs));
}

static int align8(struct tfr_buf *b)
{
	static const unsigned char zero[8];

	return tfr_buf_append(b, zero, (8 - (b->len & 7)) & 7);
}

int tfr_features_add(struct tfr_features *fs, const char *key,
		     enum tfr_feature_kind kind, const void *values,
		     size_t count, unsigned flags, struct tfr_error *err)
{
	struct tfr_features_entry *e;
	size_t i;
	int rc = 0;

	if (fs->n == TFR_MAX_FEATURES)
		return tfr_error_set(err, TFR_ERR_LIMIT, "more than %d extra features",
				     TFR_MAX_FEATURES);
	if (fs->n == fs->cap) {
		size_t ncap = fs->cap ? fs->cap * 2 : 8;
		struct tfr_features_entry *p = realloc(fs->ent, ncap * sizeof(*p));
		struct tfr_feature_spec *q;

		if (!p)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		fs->ent = p;
		q = realloc(fs->spec, ncap * sizeof(*q));
		if (!q)
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		fs->spec = q;
		fs->cap = ncap;
	}
	e = &fs->ent[fs->n];
	e->kind = kind;
	e->count = count;
	e->flags = flags;
	e->key = fs->data.len;
	rc |= tfr_buf_append(&fs->data, key, strlen(key) + 1);
	rc |= align8(&fs->data);
	e->values = fs->data.len;
	if (kind == TFR_FEATURE_BYTES) {
		const struct tfr_bytes *v = values;
		size_t at = fs->data.len, pos;

		/* (offset, len) pairs first, then the bytes */
		rc |= tfr_buf_reserve(&fs->data, count * 2 * sizeof(size_t));
		if (!rc)
			fs->data.len += count * 2 * sizeof(size_t);
		for (i = 0; !rc && i < count; i++) {
			size_t pair[2];

			pos = fs->data.len;
			rc |= tfr_buf_append(&fs->data, v[i].data, v[i].len);
			pair[0] = pos;
			pair[1] = v[i].len;
			if (!rc)
				memcpy(fs->data.data + at + i * sizeof(pair), pair, sizeof(pair));
		}
	} else if (kind == TFR_FEATURE_FLOAT) {
		rc |= tfr_buf_append(&fs->data, values, count * sizeof(float));
	} else if (kind == TFR_FEATURE_INT64) {
		rc |= tfr_buf_append(&fs->data, values, count * sizeof(int64_t));
	}
	rc |= align8(&fs->data);
	if (rc)
		return tfr_error_set(err, rc == TFR_ERR_LIMIT ? TFR_ERR_LIMIT : TFR_ERR_NOMEM,
				     "extra features too large");
	fs->flags |= flags;
	fs->n++;
	return TFR_OK;
}

int tfr_features_view(struct tfr_features *fs, struct tfr_error *err)
{
	size_t i, k, nb = 0;
	struct tfr_bytes *b;

	for (i = 0; i < fs->n; i++)
		if (fs->ent[i].kind == TFR_FEATURE_BYTES)
			nb += fs->ent[i].count;
	fs->views.len = 0;
	if (tfr_buf_reserve(&fs->views, nb * sizeof(struct tfr_bytes) + 1))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	b = (struct tfr_bytes *)(void *)fs->views.data;
	for (i = 0; i < fs->n; i++) {
		struct tfr_features_entry *e = &fs->ent[i];
		struct tfr_feature_spec *s = &fs->spec[i];
		unsigned char *v = fs->data.data + e->values;

		memset(s, 0, sizeof(*s));
		s->key = (const char *)fs->data.data + e->key;
		s->kind = e->kind;
		s->count = e->count;
		if (e->kind == TFR_FEATURE_BYTES) {
			s->bytes = b;
			for (k = 0; k < e->count; k++, b++) {
				size_t pair[2];

				memcpy(pair, v + k * sizeof(pair), sizeof(pair));
				b->data = fs->data.data + pair[0];
				b->len = pair[1];
			}
		} else if (e->kind == TFR_FEATURE_FLOAT) {
			s->floats = (const float *)(void *)v;
		} else if (e->kind == TFR_FEATURE_INT64) {
			s->ints = (const int64_t *)(void *)v;
		}
	}
	return TFR_OK;
}

int tfr_source_identity_in(const struct tfr_source *src, const char *name,
			   uint64_t loc, uint64_t extra, struct tfr_buf *out)
{
	(void)name;
	(void)extra;
	if (tfr_buf_append(out, src->ident, sizeof(src->ident)) ||
	    tfr_buf_append(out, &loc, sizeof(loc)))
		return -1;
	return 0;
}
