/*
 * dataset.h - the list of input images and their labels.
 *
 * Directories are walked recursively in byte order (strcmp, never the
 * locale), so the list is the same on every machine.  In a directory
 * input, an image below a first-level subfolder takes that folder's name
 * as its class; images directly in the root have no class.  Hidden
 * entries are skipped, and so are files whose names do not end in .jpg,
 * .jpeg, .jpe, .jfif or .png (counted in ignored); formats are then
 * sniffed from the bytes.  Files named on the command line are always
 * taken.  Class ids are 0-based in sorted class-name order, except for a
 * list file whose labels are all non-negative integers, which are used
 * as the ids.
 *
 * Memory grows with the number of inputs (one path each); pixel memory
 * does not live here.  Not thread-safe while being built; read-only after
 * tfr_dataset_finish().
 */
#ifndef TFR_DATASET_H
#define TFR_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "problem.h"
#include "status.h"

struct tfr_item {
	char *path;    /* to open */
	char *name;    /* relative to its input root: image/filename */
	char *cls;     /* class text, or NULL */
	int64_t label; /* class id after finish, -1 without a class */
};

struct tfr_dataset {
	struct tfr_item *items;
	size_t n, cap;
	char **classes;          /* after finish: name of id i */
	size_t nclasses;
	int numeric_labels;      /* ids came from integer labels */
	int dir_classes;         /* some classes came from folder names */
	uint64_t ignored;        /* files skipped by extension */
	struct tfr_problem *bad; /* inputs that could not be listed */
	size_t nbad, bad_cap;
};

void tfr_dataset_init(struct tfr_dataset *ds);
void tfr_dataset_release(struct tfr_dataset *ds);

/* Add a directory tree, a single file, or a list file ("-": stdin).
 * Unreadable directories and symlink loops are recorded in bad, not
 * returned as errors; only allocation failure and an unreadable list
 * file are errors. */
int tfr_dataset_add_path(struct tfr_dataset *ds, const char *path,
			 struct tfr_error *err);
int tfr_dataset_add_list(struct tfr_dataset *ds, const char *list,
			 struct tfr_error *err);

/* Assign class ids. */
int tfr_dataset_finish(struct tfr_dataset *ds, struct tfr_error *err);

#endif
