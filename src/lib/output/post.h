/*
 * post.h - running a command on each finished output file (--post), with
 * bounded concurrency.
 *
 * The command is given to /bin/sh -c with every "{}" replaced by the
 * file's path, quoted for the shell; without "{}" the quoted path is
 * appended.  At most `jobs` commands run at once: tfr_post_start blocks
 * until one ends when all slots are busy, which holds back the writer
 * that asked (backpressure, not a queue that grows).  Commands inherit
 * standard output and error.  A command "succeeded" when it exited 0.
 *
 * Children are reaped by pid (never waitpid(-1)), so other children of
 * the process are left alone.  The library starts no thread here; the
 * object is thread-safe (one mutex), so several writer threads may call
 * tfr_post_start.  Memory: one small entry per file started.
 */
#ifndef TFR_POST_H
#define TFR_POST_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

struct tfr_post;

/* Called when a command ends, with status: its exit code, 128 + the
 * signal that killed it, or -1 when it could not be started.  Runs with
 * the object's mutex held, from whichever thread reaped the command. */
typedef void (*tfr_post_done_fn)(void *ctx, uint32_t id, const char *path,
				 int status);

struct tfr_post_result {
	uint32_t id;        /* the caller's number for the file (shard) */
	char *path;
	int status;         /* as for tfr_post_done_fn */
};

/* cmd: not empty; jobs >= 1.  done may be NULL. */
int tfr_post_new(struct tfr_post **pp, const char *cmd, unsigned jobs,
		 tfr_post_done_fn done, void *ctx, struct tfr_error *err);

/* Start the command for path.  Blocks while `jobs` commands run.
 * Fails only when the command cannot be started (fork or out of memory);
 * its result is then recorded with status -1 as well. */
int tfr_post_start(struct tfr_post *p, uint32_t id, const char *path,
		   struct tfr_error *err);

/*
 * Wait for every command started, then give the results sorted by id
 * (*res points into p, valid until tfr_post_free).  Returns TFR_OK when
 * all succeeded, else TFR_ERR_FORMAT with a message naming the first
 * failed file by id and its status, and how many failed.
 */
int tfr_post_wait(struct tfr_post *p, const struct tfr_post_result **res,
		  size_t *n, struct tfr_error *err);

/* Wait for running commands (if any) and free p; p may be NULL. */
void tfr_post_free(struct tfr_post *p);

/* The shell command for path (malloc'd; NULL when out of memory). */
char *tfr_post_command(const char *cmd, const char *path);

#endif
