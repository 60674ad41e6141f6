/* fileio.c - whole-file helpers; see fileio.h. */
#include "config.h"
#include "base/fileio.h"
#include "base/tmpfile.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>

int tfr_file_read(const char *path, struct tfr_buf *b, uint64_t max,
		  struct tfr_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	size_t want;

	if (!max)
		max = TFR_DEFAULT_MAX_FILE;
	b->len = 0;
	if (fd < 0)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	if (fstat(fd, &st)) {
		rc = tfr_error_sys(err, errno, "cannot read '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = tfr_error_set(err, TFR_ERR_IO, "cannot read '%s': Is a directory", path);
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_FILE,
				   "file of %llu bytes exceeds the limit of %llu",
				   (unsigned long long)st.st_size, (unsigned long long)max);
		tfr_error_subject(err, path);
		goto out;
	}
	/* Size hint from fstat; read until EOF anyway (the file may grow or
	 * not be regular), but never past the cap. */
	want = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
	for (;;) {
		ssize_t k;

		if (b->len + want > max + 1)
			want = (size_t)(max + 1 - b->len);
		if (want == 0) {
			rc = tfr_error_set(err, TFR_ERR_LIMIT,
					   "'%s': file exceeds the limit of %llu bytes", path,
					   (unsigned long long)max);
			goto out;
		}
		if (tfr_buf_reserve(b, want)) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory reading '%s'", path);
			goto out;
		}
		k = read(fd, b->data + b->len, want);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = tfr_error_sys(err, errno, "cannot read '%s'", path);
			goto out;
		}
		if (k == 0)
			break;
		b->len += (size_t)k;
		want = 65536;
	}
	rc = TFR_OK;
out:
	close(fd);
	return rc;
}

int tfr_file_sha256(const char *path, unsigned char sha[32], uint64_t *size,
		    struct tfr_error *err)
{
	struct sha256_ctx ctx;
	unsigned char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return tfr_error_sys(err, errno, "cannot open '%s'", path);
	sha256_init(&ctx);
	*size = 0;
	while ((k = read(fd, buf, sizeof(buf))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return tfr_error_sys(err, errno, "cannot read '%s'", path);
		}
		sha256_update(&ctx, (size_t)k, buf);
		*size += (uint64_t)k;
	}
	close(fd);
	sha256_digest(&ctx, 32, sha);
	return TFR_OK;
}

int tfr_write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int tfr_pread_all(int fd, void *p, size_t n, uint64_t off)
{
	unsigned char *c = p;

	while (n) {
		ssize_t k = pread(fd, c, n, (off_t)off);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0) {
			errno = EIO;
			return -1;
		}
		c += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

void tfr_hex32(const unsigned char sha[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[64] = '\0';
}

int tfr_atomic_open(struct tfr_atomic *a, const char *path, int no_fsync,
		    struct tfr_error *err)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->slot = -1;
	a->no_fsync = no_fsync;
	sha256_init(&a->sha);
	a->path = strdup(path);
	if (!a->path)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (!strcmp(path, "-")) {
		a->to_stdout = 1;
		a->fd = STDOUT_FILENO;
		return TFR_OK;
	}
	a->fd = tfr_tmpfile_create(path, &a->tmp, &a->slot);
	if (a->fd < 0) {
		int e = errno;

		tfr_atomic_abort(a);
		return tfr_error_sys(err, e, "cannot create '%s'", path);
	}
	return TFR_OK;
}

int tfr_atomic_write(struct tfr_atomic *a, const void *p, size_t n,
		     struct tfr_error *err)
{
	sha256_update(&a->sha, n, p);
	if (tfr_write_all(a->fd, p, n))
		return tfr_error_sys(err, errno, "cannot write '%s'", a->path);
	a->bytes += n;
	return TFR_OK;
}

int tfr_atomic_close(struct tfr_atomic *a, struct tfr_error *err)
{
	int fd = a->fd, e = 0;

	if (a->to_stdout || fd < 0)
		return TFR_OK;
	a->fd = -1;
	if (!a->no_fsync && fsync(fd))
		e = errno;
	if (close(fd) && !e) /* a close error never masks the fsync one */
		e = errno;
	return e ? tfr_error_sys(err, e, "cannot write '%s'", a->path) : TFR_OK;
}

int tfr_atomic_commit(struct tfr_atomic *a, unsigned char sha[32],
		      struct tfr_error *err)
{
	int rc = tfr_atomic_close(a, err);

	if (!rc && !a->to_stdout && rename(a->tmp, a->path))
		rc = tfr_error_sys(err, errno, "cannot rename '%s' to '%s'", a->tmp, a->path);
	if (rc) {
		tfr_atomic_abort(a);
		return rc;
	}
	if (sha)
		sha256_digest(&a->sha, 32, sha);
	free(a->tmp);
	a->tmp = NULL; /* renamed: nothing to remove */
	tfr_atomic_abort(a);
	return TFR_OK;
}

void tfr_atomic_abort(struct tfr_atomic *a)
{
	if (a->fd >= 0 && !a->to_stdout)
		close(a->fd);
	if (a->tmp)
		unlink(a->tmp);
	tfr_tmpfile_unregister(a->slot);
	free(a->tmp);
	free(a->path);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->slot = -1;
}

int tfr_file_write_atomic(const char *path, const void *p, size_t n,
			  int do_fsync, struct tfr_error *err)
{
	struct tfr_atomic a;
	int rc = tfr_atomic_open(&a, path, !do_fsync, err);

	if (!rc)
		rc = tfr_atomic_write(&a, p, n, err);
	if (!rc)
		return tfr_atomic_commit(&a, NULL, err);
	tfr_atomic_abort(&a);
	return rc;
}

int tfr_mkdirs(const char *dir, struct tfr_error *err)
{
	char *p = strdup(dir), *q;
	int rc = TFR_OK;

	if (!p)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	/* Each parent in turn, then dir itself; EEXIST is checked below
	 * with stat, since the existing thing may be a file. */
	for (q = p + 1;; q++) {
		struct stat st;
		char c = *q;

		if (c != '/' && c != '\0')
			continue;
		*q = '\0';
		if (mkdir(p, 0777) && errno != EEXIST) {
			rc = tfr_error_sys(err, errno, "cannot create directory '%s'", p);
			goto out;
		}
		if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
			rc = tfr_error_sys(err, ENOTDIR, "cannot create directory '%s'", p);
			goto out;
		}
		*q = c;
		if (!c)
			break;
		while (q[1] == '/') /* "a//b" */
			q++;
	}
out:
	free(p);
	return rc;
}

char *tfr_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}
