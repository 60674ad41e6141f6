/* archive.c - archives through libarchive. */
#include "config.h"
#include "source/kinds.h"

const struct tfr_source_ops tfr_source_archive = {
	.name = "archive",
};
