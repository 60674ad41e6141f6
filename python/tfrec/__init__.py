"""tfrec: read the TFRecord shards that the tfrec tool writes, without TensorFlow.

- ``tfrec.records``: framing, CRC checks (through libtfrec when present),
  GZIP/ZLIB streams, ``.idx`` sidecars, record counts;
- ``tfrec.example``: ``tf.train.Example`` decoding and the image tensor;
- ``tfrec.plan``: the order rules (which records each rank reads in an
  epoch, in which order), documented and implemented in one place;
- ``tfrec.torch``: ``Loader`` (libtfrec's C loader, when present),
  ``ShardDataset`` and ``IndexedDataset`` for PyTorch (imports torch;
  nothing else here does);
- ``tfrec.numpy``: ``Loader`` and ``Batches``: batches of numpy arrays, for
  JAX and other frameworks.

``python3 -m tfrec [--verify] [--json] SHARD...`` prints a summary.
"""
from .records import (TFRecordError, crc32c, masked_crc32c, crc_backend,  # noqa: F401
                      read_records, open_stream, detect_compression,
                      read_index, record_count)
from .example import parse_example, decode_image, read_examples  # noqa: F401

__version__ = "0.1.0"
