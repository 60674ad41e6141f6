#!/usr/bin/env python3
"""gen-jpeg-warn.py - JPEG files that make libjpeg warn, for t0147.

usage: gen-jpeg-warn.py OUTDIR PHOTO

PHOTO is a real baseline JPEG (sample-data/photos).  Everything is made
from its bytes here, so no broken image is committed.  Writes into OUTDIR:
  short-scan.jpg   the photo's tables and scan header, a frame patched to
                   10000x10000, 20 bytes of entropy-coded data and an EOI
                   marker: libjpeg warns "premature end of data segment"
                   and would fill the frame with grey
  cut-eoi.jpg      the photo cut in the middle of its scan, with an EOI
                   marker appended: the same warning, on a real photo
  extraneous.jpg   the photo with 3 bytes inserted before its SOS marker:
                   libjpeg warns "3 extraneous bytes before marker 0xda",
                   skips them and loses nothing
"""
import os
import struct
import sys


def segments(data):
    """(marker, whole segment bytes) up to and including SOS, then the rest."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i, out = 2, []
    while True:
        assert data[i] == 0xFF, "marker expected at %d" % i
        m = data[i + 1]
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((m, data[i:i + 2 + n]))
        i += 2 + n
        if m == 0xDA:
            return out, data[i:]


def main():
    out, photo = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    data = open(photo, "rb").read()
    segs, scan = segments(data)
    sof = [s for m, s in segs if m in (0xC0, 0xC1)]
    assert sof, "a baseline or extended sequential photo is needed"

    # Tables only (no APPn/COM), the frame claiming 10000x10000.
    head = b"\xff\xd8"
    for m, s in segs:
        if 0xE0 <= m <= 0xEF or m == 0xFE:
            continue
        if m in (0xC0, 0xC1):
            s = s[:5] + struct.pack(">HH", 10000, 10000) + s[9:]
        head += s
    body = scan[:20]
    assert b"\xff" not in body[:-1], "the first 20 scan bytes hold a marker"
    with open(os.path.join(out, "short-scan.jpg"), "wb") as f:
        f.write(head + body.rstrip(b"\xff") + b"\xff\xd9")

    whole = b"\xff\xd8" + b"".join(s for _, s in segs)
    half = scan[:len(scan) // 2]
    while half.endswith(b"\xff"):  # never leave half a marker or stuffing
        half = half[:-1]
    with open(os.path.join(out, "cut-eoi.jpg"), "wb") as f:
        f.write(whole + half + b"\xff\xd9")

    sos = data.index(b"\xff\xda")
    with open(os.path.join(out, "extraneous.jpg"), "wb") as f:
        f.write(data[:sos] + b"\x00\x11\x22" + data[sos:])


if __name__ == "__main__":
    main()
