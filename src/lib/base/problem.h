/*
 * problem.h - one thing that went wrong with one input, as data.
 *
 * Problems travel as structs from where they are found (a source, a
 * codec, a reader) to where they are reported (the output layer's
 * manifest, the CLI's messages).  Nobody formats a problem into a string
 * and parses it back.  file names the input as the user knows it; for a
 * member of an archive it is "outer.tar:inner.tar:member.jpg".  record
 * is a record index or a table line, offset a byte offset; either is
 * TFR_NO_POS when it does not apply.  Both strings are malloc'd and
 * owned by the struct.
 */
#ifndef TFR_PROBLEM_H
#define TFR_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

struct tfr_problem {
	char *file;      /* file or archive member; never NULL once set */
	uint64_t record; /* record index or table line, or TFR_NO_POS */
	uint64_t offset; /* byte offset, or TFR_NO_POS */
	char *reason;    /* what is wrong, without the file name */
	uint64_t length; /* bytes of a skipped span at offset (shard), or 0 */
};

/* Append a problem, its strings copied, to the array *v of *n (room for
 * *cap, grown as needed).  TFR_OK, or TFR_ERR_NOMEM with nothing
 * changed but the room.  Not thread-safe. */
int tfr_problem_append(struct tfr_problem **v, size_t *n, size_t *cap, const char *file,
		       uint64_t record, uint64_t offset, uint64_t length, const char *reason);
/* Free an array of n problems and their strings (NULL is fine). */
void tfr_problems_free(struct tfr_problem *v, size_t n);

/* A growable list of problems, the same as a struct. */
struct tfr_problems {
	struct tfr_problem *v;
	size_t n, cap;
};

int tfr_problems_push(struct tfr_problems *l, const char *file, uint64_t record,
		      uint64_t offset, uint64_t length, const char *reason);
void tfr_problems_release(struct tfr_problems *l);

#endif
