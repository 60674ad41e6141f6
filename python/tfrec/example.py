"""tf.train.Example decoding, and the image tensor of tfrec's records.

Hand-written protobuf walking rather than the protobuf package: an
Example is three nested messages, and this keeps numpy the only
dependency (tensorflow's generated classes are not needed).
"""

import struct

try:
    import numpy as np
except ImportError:  # framing and Examples still work; tensors need numpy
    np = None

from .records import RecordReader, TFRecordError


class ExampleError(ValueError):
    """A payload that is not a tf.train.Example."""


def _varint(b, i):
    shift = 0
    v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        if c < 0x80:
            return v, i
        shift += 7
        if shift > 63:
            raise ExampleError("varint longer than 10 bytes")


def _fields(b):
    """Yield (field number, wire type, value) of one protobuf message."""
    i = 0
    n = len(b)
    try:
        while i < n:
            key, i = _varint(b, i)
            num, wt = key >> 3, key & 7
            if wt == 0:
                v, i = _varint(b, i)
            elif wt == 1:
                v = b[i:i + 8]
                i += 8
            elif wt == 2:
                ln, i = _varint(b, i)
                v = b[i:i + ln]
                i += ln
            elif wt == 5:
                v = b[i:i + 4]
                i += 4
            else:
                raise ExampleError("not a protobuf message (wire type %d)" % wt)
            if i > n:
                raise ExampleError("not a protobuf message (truncated)")
            yield num, wt, v
    except IndexError:
        raise ExampleError("not a protobuf message (truncated varint)")


def _feature(b, views=False):
    for num, wt, v in _fields(b):
        if num == 1:  # BytesList
            return [x if views else bytes(x) for f, w, x in _fields(v) if f == 1]
        if num == 2:  # FloatList, packed or not
            vals = []
            for f, w, x in _fields(v):
                if w == 2:
                    vals.extend(struct.unpack("<%df" % (len(x) // 4), x[:len(x) // 4 * 4]))
                elif w == 5:
                    vals.append(struct.unpack("<f", x)[0])
            return np.array(vals, dtype=np.float32) if np else vals
        if num == 3:  # Int64List, packed or not
            vals = []
            for f, w, x in _fields(v):
                if w == 2:
                    j = 0
                    while j < len(x):
                        u, j = _varint(x, j)
                        vals.append(u - (1 << 64) if u >= 1 << 63 else u)
                elif w == 0:
                    vals.append(x - (1 << 64) if x >= 1 << 63 else x)
            return np.array(vals, dtype=np.int64) if np else vals
    return []


def parse_example(payload, views=False):
    """Decode a tf.train.Example into {key: list of bytes or numpy array}.

    views=True gives bytes values as memoryviews of payload (no copy;
    valid only while payload is), as tfrec's datasets use it to copy the
    image once, straight into the batch.  Raises ExampleError when the
    payload is not an Example.
    """
    out = {}
    for num, wt, v in _fields(memoryview(payload)):
        if num != 1 or wt != 2:
            continue
        for f, w, entry in _fields(v):
            if f != 1:
                continue
            key, val = "", b""
            for g, _, x in _fields(entry):
                if g == 1:
                    key = bytes(x).decode("utf-8", "replace")
                elif g == 2:
                    val = x
            out[key] = _feature(val, views)
    return out


def read_examples(path, verify=True):
    """Yield the parsed Example of every record of path."""
    with RecordReader(path, verify) as r:
        for index, off, data in r:
            try:
                yield parse_example(data)
            except ExampleError as e:
                raise TFRecordError(path, index, off, str(e))


_DTYPES = {"float16": "<f2", "float32": "<f4", "uint8": "u1"}


def image_array(ex):
    """The tensor of a record written by ``tfrec convert`` (raw mode), as
    a read-only numpy view of the payload, in its stored layout; and the
    layout, 'hwc' or 'chw' (from image/shape against image/channels).

    Raises KeyError naming the missing feature and ValueError when the
    shape and the bytes disagree.
    """
    for k in ("image/raw", "image/dtype", "image/shape"):
        if k not in ex:
            raise KeyError(k)
    dtype = bytes(ex["image/dtype"][0]).decode()
    if dtype not in _DTYPES:
        raise ValueError("unknown image/dtype '%s'" % dtype)
    shape = [int(x) for x in ex["image/shape"]]
    raw = ex["image/raw"][0]
    dt = np.dtype(_DTYPES[dtype])
    if len(shape) != 3 or int(np.prod(shape)) * dt.itemsize != len(raw):
        raise ValueError("image/shape %s does not match %d bytes of %s" % (shape, len(raw), dtype))
    layout = "hwc"
    ch = ex.get("image/channels")
    if ch is not None and len(ch) and shape[0] == int(ch[0]) and shape[2] != int(ch[0]):
        layout = "chw"
    return np.frombuffer(raw, dt).reshape(shape), layout


def decode_image(ex):
    """The tensor of a record written by ``tfrec convert`` (raw mode), as
    a read-only numpy array in its stored layout."""
    return image_array(ex)[0]
