/* tfrecord.c - TFRecord files of Examples holding encoded images. */
#include "config.h"
#include "source/kinds.h"

const struct tfr_source_ops tfr_source_tfrecord = {
	.name = "tfrecord",
};
