/* table.c - label tables: CSV, TSV, JSONL. */
#include "config.h"
#include "source/kinds.h"

const struct tfr_source_ops tfr_source_csv = {
	.name = "table",
};
