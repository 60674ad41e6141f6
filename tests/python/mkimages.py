"""mkimages.py OUTDIR N [mixed]: N small PNG pictures with distinct names
and pixels, in class folders a/, b/, c/ (picture i in folder 'abc'[i % 3]),
for the Python tests: tfrec convert --resize 8x8 makes tiny records.
With 'mixed', picture i is (12 + i % 5) x (10 + i % 3) pixels instead of
12 x 10: records of different sizes."""
import os
import struct
import sys
import zlib


def png(w, h, rgb):
    def chunk(t, body):
        return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))
    rows = b"".join(b"\0" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(out, "abc"[i % 3])
    os.makedirs(d, exist_ok=True)
    w, h = (12 + i % 5, 10 + i % 3) if sys.argv[3:] == ["mixed"] else (12, 10)
    px = bytes((i * 7 + x * 13 + y * 29 + c * 71) & 255
               for y in range(h) for x in range(w) for c in range(3))
    with open(os.path.join(d, "img%04d.png" % i), "wb") as f:
        f.write(png(w, h, px))
