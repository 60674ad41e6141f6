/*
 * fileio.h - files: bounded reads, SHA-256 (nettle), and every output
 * file's life: written under a hidden temporary name (tmpfile.h), hashed
 * as it goes, made durable and renamed into place.  Shards, sidecars,
 * manifests, label files and PNGs are all written this way.
 * Thread-safe; no shared state (a struct tfr_atomic has one owner).
 */
#ifndef TFR_FILEIO_H
#define TFR_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

#include "base/buf.h"
#include "base/status.h"

/* Default cap on one input file: 256 MiB. */
#define TFR_DEFAULT_MAX_FILE (UINT64_C(256) << 20)

/* Replace b's contents with the file at path; files over max bytes
 * (0: the default) are refused before reading. */
int tfr_file_read(const char *path, struct tfr_buf *b, uint64_t max,
		  struct tfr_error *err);

/* SHA-256 and size of the file at path. */
int tfr_file_sha256(const char *path, unsigned char sha[32], uint64_t *size,
		    struct tfr_error *err);

/* Write all n bytes, retrying short writes and EINTR: 0, or -1 with
 * errno set. */
int tfr_write_all(int fd, const void *p, size_t n);

/* Read exactly n bytes at off (pread): 0, or -1 with errno set (EIO when
 * the file ends first). */
int tfr_pread_all(int fd, void *p, size_t n, uint64_t off);

/*
 * An output file under construction.  open: a temporary name beside path
 * ("-": standard output, written in place and never closed).  write:
 * append, hashing.  close: fsync (unless no_fsync) and close, so that a
 * sidecar can be put in place before the file is.  commit: close if
 * needed, rename onto path, give the SHA-256 (sha may be NULL).  abort:
 * remove the temporary file.  After commit or abort the struct is empty;
 * abort of an empty one does nothing.
 */
struct tfr_atomic {
	int fd;
	int to_stdout;
	int no_fsync;
	int slot;                /* tmpfile.h registry slot */
	char *path, *tmp;
	uint64_t bytes;          /* written so far */
	struct sha256_ctx sha;
};

int tfr_atomic_open(struct tfr_atomic *a, const char *path, int no_fsync,
		    struct tfr_error *err);
int tfr_atomic_write(struct tfr_atomic *a, const void *p, size_t n,
		     struct tfr_error *err);
int tfr_atomic_close(struct tfr_atomic *a, struct tfr_error *err);
int tfr_atomic_commit(struct tfr_atomic *a, unsigned char sha[32],
		      struct tfr_error *err);
void tfr_atomic_abort(struct tfr_atomic *a);

/* A small whole file at once, the same way (fsync when do_fsync). */
int tfr_file_write_atomic(const char *path, const void *p, size_t n,
			  int do_fsync, struct tfr_error *err);

/* "dir/name" in a new string (malloc'd), or NULL when out of memory.
 * Neither may be NULL; no slash is added or removed beyond the one
 * between them, so "" gives "/name", as the callers' copies did. */
char *tfr_path_join(const char *dir, const char *name);

/* Lowercase hex of a 32-byte digest into out[65]. */
void tfr_hex32(const unsigned char sha[32], char out[65]);

/* Create directory dir and any missing parents, as mkdir -p does (mode
 * 0777 less the umask); a directory already there is fine.  dir must not
 * be NULL.  TFR_ERR_IO with the failing path's reason otherwise (a parent
 * that is a file: "not a directory").  Output folders are made on demand
 * so that '-o out/train' works in a fresh folder, as tarp and LitData do.
 * Thread-safe (two callers racing for the same path both succeed). */
int tfr_mkdirs(const char *dir, struct tfr_error *err);

#endif
