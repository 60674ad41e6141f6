#!/usr/bin/env python3
"""tfrec_read.py - the old reader's names, now a thin entry point to the
tfrec package (python/tfrec), kept for scripts written against it.

New code imports the package (`pip install ./python` or `make install`):

    import tfrec
    for ex in tfrec.read_examples("train-00000-of-00008.tfrecord"):
        img = tfrec.decode_image(ex)

and PyTorch users take tfrec.torch.ShardDataset or IndexedDataset.

Run as a program it is `python3 -m tfrec`:

    python3 scripts/tfrec_read.py [--verify] [--json] SHARD...
"""
import os
import sys

_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python")
if os.path.isdir(os.path.join(_SRC, "tfrec")):  # a source tree: its own package
    sys.path.insert(0, _SRC)
# The test suite runs from a build tree that holds libtfrec.so.
if not os.environ.get("TFREC_LIBRARY") and os.path.exists(
        os.path.join(os.environ.get("TOP_BUILDDIR", "/nonexistent"), "libtfrec.so.0")):
    os.environ["TFREC_LIBRARY"] = os.path.join(os.environ["TOP_BUILDDIR"], "libtfrec.so.0")

from tfrec.records import TFRecordError, crc32c, masked_crc32c, open_stream  # noqa: E402,F401
from tfrec.records import read_records as _read_records  # noqa: E402
from tfrec.example import parse_example, decode_image  # noqa: E402,F401
from tfrec.example import read_examples as _read_examples  # noqa: E402
from tfrec.__main__ import summary, main as _main  # noqa: E402,F401


def read_records(path, verify=False):
    """Yield (offset, payload bytes); verify as the old default, off."""
    return _read_records(path, verify)


def read_examples(path, verify=False):
    return _read_examples(path, verify)


def main(argv):
    return _main(argv, prog="tfrec_read.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
