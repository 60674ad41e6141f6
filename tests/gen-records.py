#!/usr/bin/env python3
"""gen-records.py - write TFRecord test files with an independent encoder.

This is a second, deliberately separate implementation of the TFRecord
framing, CRC-32C and the tf.train.Example wire format (plain Python, no
TensorFlow), so that tests compare tfrec against something it did not
write itself.

usage: gen-records.py KIND OUT [N]
  KIND: examples   N Examples {id: int64 [i], name: bytes ["rec-i"],
                   vals: float [i, i+0.5], blob: bytes [i*7 bytes]}
        raw        N raw payloads b"payload-i" (not Examples)
        big        N Examples each with a 4 KiB bytes feature
OUT ends in .gz or .zlib to compress the whole stream.
"""
import gzip
import struct
import sys
import zlib

POLY = 0x82F63B78
TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def frame(payload):
    n = struct.pack("<Q", len(payload))
    return n + struct.pack("<I", masked(n)) + payload + struct.pack("<I", masked(payload))


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, body):
    if wire == 2:
        return varint(num << 3 | 2) + varint(len(body)) + body
    return varint(num << 3 | wire) + body


def feature_int64(vals):
    packed = b"".join(varint(v) for v in vals)
    return field(3, 2, field(1, 2, packed))


def feature_float(vals):
    packed = b"".join(struct.pack("<f", v) for v in vals)
    return field(2, 2, field(1, 2, packed))


def feature_bytes(vals):
    return field(1, 2, b"".join(field(1, 2, v) for v in vals))


def example(features):
    entries = b"".join(field(1, 2, field(1, 2, k.encode()) + field(2, 2, f))
                       for k, f in features)
    return field(1, 2, entries)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    recs = []
    for i in range(n):
        if kind == "examples":
            recs.append(example([
                ("id", feature_int64([i])),
                ("name", feature_bytes([b"rec-%d" % i])),
                ("vals", feature_float([float(i), i + 0.5])),
                ("blob", feature_bytes([bytes((i + j) & 0xFF for j in range(i * 7))])),
            ]))
        elif kind == "raw":
            recs.append(b"payload-%d" % i)
        elif kind == "big":
            recs.append(example([("id", feature_int64([i])),
                                 ("data", feature_bytes([bytes([i & 0xFF]) * 4096]))]))
        else:
            sys.exit("unknown kind " + kind)
    stream = b"".join(frame(r) for r in recs)
    if out.endswith(".gz"):
        stream = gzip.compress(stream, mtime=0)
    elif out.endswith(".zlib"):
        stream = zlib.compress(stream)
    with open(out, "wb") as f:
        f.write(stream)


if __name__ == "__main__":
    main()
