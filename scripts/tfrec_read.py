#!/usr/bin/env python3
"""tfrec_read.py - read tfrec's shards without TensorFlow.

Plain Python 3 and numpy.  Reads uncompressed, GZIP and ZLIB TFRecord
files (compression detected from the bytes, as tfrec does), can check
both CRCs, and decodes tf.train.Example payloads into dicts.  Records
written by `tfrec convert` get their tensor back with decode_image().

    import tfrec_read as tr
    for ex in tr.read_examples("train-00000-of-00008.tfrecord"):
        img = tr.decode_image(ex)      # numpy, float16, (224, 224, 3)
        label = int(ex["image/class/label"][0])

PyTorch (imported only when used):

    ds = tr.TFRecIterable(sorted(glob.glob("train-*.tfrecord")))
    loader = torch.utils.data.DataLoader(ds, batch_size=64, num_workers=4)

TFRecIterable gives each (rank, DataLoader worker) a disjoint set of
shards, so no record is seen twice in an epoch.  TFRecMap is map-style
random access through the .idx sidecars of `tfrec convert --index`.

Run as a program, it prints a summary of each file:

    python3 scripts/tfrec_read.py [--verify] [--json] SHARD...
"""
import gzip
import io
import json
import struct
import sys
import zlib

try:
    import numpy as np
except ImportError:  # summaries still work; tensors need numpy
    np = None

_POLY = 0x82F63B78
_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data):
    """CRC-32C of bytes (plain Python: slow on big records)."""
    c = 0xFFFFFFFF
    t = _TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc32c(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


class TFRecordError(Exception):
    pass


def _detect(head):
    if len(head) >= 12 and masked_crc32c(head[:8]) == struct.unpack("<I", head[8:12])[0]:
        return "none"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and ((head[0] << 8) | head[1]) % 31 == 0:
        return "zlib"
    return "none"


class _ZlibReader(io.RawIOBase):
    def __init__(self, f):
        self.f = f
        self.d = zlib.decompressobj()
        self.buf = b""

    def readable(self):
        return True

    def readinto(self, b):
        while not self.buf:
            chunk = self.f.read(1 << 16)
            if not chunk:
                self.buf = self.d.flush()
                if not self.buf:
                    if not self.d.eof:
                        raise TFRecordError("zlib stream is truncated")
                    return 0
                break
            self.buf = self.d.decompress(chunk)
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n


def open_stream(path):
    """Open path and return (binary stream of records, compression)."""
    f = open(path, "rb")
    head = f.read(64)
    f.seek(0)
    comp = _detect(head)
    if comp == "gzip":
        return gzip.GzipFile(fileobj=f), comp
    if comp == "zlib":
        return io.BufferedReader(_ZlibReader(f)), comp
    return f, comp


def read_records(path, verify=False):
    """Yield (offset, payload bytes) for every record of path."""
    s, _ = open_stream(path)
    off = 0
    index = 0
    with s:
        while True:
            try:
                hdr = s.read(12)
            except (EOFError, OSError, zlib.error) as e:
                raise TFRecordError("%s: record %d at offset %d: %s" % (path, index, off, e))
            if not hdr:
                return
            if len(hdr) < 12:
                raise TFRecordError("%s: record %d at offset %d: truncated header" % (path, index, off))
            (n,) = struct.unpack("<Q", hdr[:8])
            if verify and masked_crc32c(hdr[:8]) != struct.unpack("<I", hdr[8:])[0]:
                raise TFRecordError("%s: record %d at offset %d: length CRC mismatch" % (path, index, off))
            body = s.read(n + 4)
            if len(body) < n + 4:
                raise TFRecordError("%s: record %d at offset %d: truncated record" % (path, index, off))
            data = body[:n]
            if verify and masked_crc32c(data) != struct.unpack("<I", body[n:])[0]:
                raise TFRecordError("%s: record %d at offset %d: data CRC mismatch" % (path, index, off))
            yield off, data
            off += n + 16
            index += 1


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


def _fields(b):
    """Yield (field number, wire type, value) of one protobuf message."""
    i = 0
    n = len(b)
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
            raise TFRecordError("not a protobuf message (wire type %d)" % wt)
        if i > n:
            raise TFRecordError("not a protobuf message (truncated)")
        yield num, wt, v


def _feature(b):
    for num, wt, v in _fields(b):
        if num == 1:  # BytesList
            return [bytes(x) for f, w, x in _fields(v) if f == 1]
        if num == 2:  # FloatList, packed or not
            vals = []
            for f, w, x in _fields(v):
                if w == 2:
                    vals.extend(struct.unpack("<%df" % (len(x) // 4), x))
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


def parse_example(payload):
    """Decode a tf.train.Example into {key: list or numpy array}."""
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
            out[key] = _feature(val)
    return out


def read_examples(path, verify=False):
    for _, data in read_records(path, verify):
        yield parse_example(data)


_DTYPES = {"float16": "<f2", "float32": "<f4", "uint8": "u1"}


def decode_image(ex):
    """The tensor of a record written by `tfrec convert` (raw mode)."""
    dtype = ex["image/dtype"][0].decode()
    shape = [int(x) for x in ex["image/shape"]]
    return np.frombuffer(ex["image/raw"][0], dtype=_DTYPES[dtype]).reshape(shape)


def read_index(path):
    """(offset, size) pairs of a DALI .idx sidecar."""
    with open(path) as f:
        return [tuple(int(x) for x in line.split()) for line in f if line.strip()]


def shard_slice(shards, rank=0, world_size=1, worker=0, num_workers=1):
    """The shards one (rank, worker) reads: every shard exactly once over
    all ranks and workers, none twice."""
    return list(shards)[rank * num_workers + worker::world_size * num_workers]


class IndexedReader:
    """Random access to records through .idx sidecars (no torch needed)."""

    def __init__(self, shards):
        self.entries = []
        for path in shards:
            for off, size in read_index(path + ".idx"):
                self.entries.append((path, off, size))

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, i):
        path, off, size = self.entries[i]
        with open(path, "rb") as f:
            f.seek(off)
            rec = f.read(size)
        if len(rec) != size:
            raise TFRecordError("%s: record at offset %d is truncated" % (path, off))
        (n,) = struct.unpack("<Q", rec[:8])
        if n + 16 != size:
            raise TFRecordError("%s: index and record disagree at offset %d" % (path, off))
        return parse_example(rec[12:-4])


def _torch():
    import torch.utils.data  # noqa: deferred so that numpy-only users work
    return torch


def TFRecIterable(shards, transform=None, rank=None, world_size=None):
    """A torch IterableDataset over shards, split across ranks and workers."""
    torch = _torch()

    class _It(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            wid, nw = (info.id, info.num_workers) if info else (0, 1)
            r = rank
            ws = world_size
            if r is None or ws is None:
                try:
                    import torch.distributed as dist
                    if dist.is_available() and dist.is_initialized():
                        r, ws = dist.get_rank(), dist.get_world_size()
                except ImportError:
                    pass
            r, ws = r or 0, ws or 1
            for path in shard_slice(shards, r, ws, wid, nw):
                for ex in read_examples(path):
                    item = (decode_image(ex), int(ex.get("image/class/label", [-1])[0]))
                    yield transform(item) if transform else item

    return _It()


def TFRecMap(shards, transform=None):
    """A map-style torch Dataset using each shard's .idx sidecar."""
    torch = _torch()
    reader = IndexedReader(shards)

    class _Map(torch.utils.data.Dataset):
        def __len__(self):
            return len(reader)

        def __getitem__(self, i):
            ex = reader[i]
            item = (decode_image(ex), int(ex.get("image/class/label", [-1])[0]))
            return transform(item) if transform else item

    return _Map()


def summary(path, verify=False):
    s, comp = open_stream(path)
    s.close()
    n = 0
    shapes = {}
    dtypes = {}
    labels = {}
    other = 0
    for _, data in read_records(path, verify):
        n += 1
        try:
            ex = parse_example(data)
        except (TFRecordError, IndexError):
            other += 1
            continue
        if "image/shape" in ex:
            shapes[tuple(int(x) for x in ex["image/shape"])] = shapes.get(tuple(int(x) for x in ex["image/shape"]), 0) + 1
        if "image/dtype" in ex:
            d = ex["image/dtype"][0].decode()
            dtypes[d] = dtypes.get(d, 0) + 1
        if "image/class/label" in ex:
            lab = int(ex["image/class/label"][0])
            labels[lab] = labels.get(lab, 0) + 1
    return {"file": path, "compression": comp, "records": n, "not_examples": other,
            "shapes": {"x".join(map(str, k)): v for k, v in sorted(shapes.items())},
            "dtypes": dtypes, "labels": {str(k): v for k, v in sorted(labels.items())}}


def main(argv):
    verify = "--verify" in argv
    as_json = "--json" in argv
    files = [a for a in argv if not a.startswith("--")]
    if not files or "--help" in argv or "-h" in argv:
        print(__doc__.strip())
        return 0 if files or "--help" in argv or "-h" in argv else 2
    status = 0
    for path in files:
        try:
            s = summary(path, verify)
        except (OSError, TFRecordError) as e:
            print("tfrec_read.py: %s" % e, file=sys.stderr)
            status = 1
            continue
        if as_json:
            print(json.dumps(s, sort_keys=True))
        else:
            print("%s: %d records (%d not Examples), %s; shapes %s; dtypes %s; labels %s" % (
                path, s["records"], s["not_examples"], s["compression"],
                ", ".join("%s (%d)" % kv for kv in s["shapes"].items()) or "-",
                ", ".join("%s (%d)" % kv for kv in s["dtypes"].items()) or "-",
                ", ".join("%s: %d" % kv for kv in s["labels"].items()) or "-"))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
