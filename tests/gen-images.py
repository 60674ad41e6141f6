#!/usr/bin/env python3
"""gen-images.py - make the test images tfrec's convert tests need.

Everything is generated from code here (plain Python, zlib, and the
cjpeg tool from libjpeg-turbo-progs when present), so no binary image is
committed.

usage: gen-images.py OUTDIR

Writes into OUTDIR:
  canon.ppm                 the canonical 48x32 test card (below)
  png/orient-N.png          N = 1..8: stored so that, after applying the
                            EXIF orientation N (eXIf chunk), it shows the
                            canonical card; orient-1 has no eXIf chunk
  png/gray8.png, png/gray16.png, png/rgb16.png, png/palette.png,
  png/rgba.png              the card in other PNG colour types
  jpeg/orient-N.jpg         as above, JPEG quality 95 with an EXIF APP1
  jpeg/gray.jpg             grayscale JPEG
  bad/empty.jpg             zero bytes
  bad/text.png              not an image at all
  bad/truncated.jpg         a JPEG cut in half
  bad/bomb.jpg              a JPEG whose header claims 60000x60000
  names/...                 files whose names hold spaces, quotes and
                            non-ASCII bytes

The test card is 48 wide, 32 high: the top-left quadrant red, top-right
green, bottom-left blue, bottom-right white, so channel order, flips and
rotations are all visible in a few pixels.
"""
import os
import shutil
import struct
import subprocess
import sys
import zlib

W, H = 48, 32


def card():
    px = []
    for y in range(H):
        row = []
        for x in range(W):
            top, left = y < H // 2, x < W // 2
            if top and left:
                row.append((255, 0, 0))
            elif top:
                row.append((0, 255, 0))
            elif left:
                row.append((0, 0, 255))
            else:
                row.append((255, 255, 255))
        px.append(row)
    return px


def display(a, o):
    """What a viewer shows for stored pixels a with orientation o."""
    h, w = len(a), len(a[0])
    ow, oh = (h, w) if o >= 5 else (w, h)
    out = []
    for y in range(oh):
        row = []
        for x in range(ow):
            sx, sy = {
                1: (x, y), 2: (w - 1 - x, y), 3: (w - 1 - x, h - 1 - y),
                4: (x, h - 1 - y), 5: (y, x), 6: (y, h - 1 - x),
                7: (w - 1 - y, h - 1 - x), 8: (w - 1 - y, x),
            }[o]
            row.append(a[sy][sx])
        out.append(row)
    return out


def stored_for(o, a):
    # Orientations 6 and 8 undo each other; the others undo themselves.
    return display(a, {6: 8, 8: 6}.get(o, o))


def exif_tiff(o):
    return (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) +
            struct.pack(">HHIHH", 0x0112, 3, 1, o, 0) + struct.pack(">I", 0))


def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)


def png(path, rows, color_type, bit_depth=8, exif=None, plte=None, trns=None):
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type] * bit_depth // 8
    h, w = len(rows), len(rows[0]) // samples
    raw = bytearray()
    for r in rows:
        raw.append(0)
        raw += bytes(r)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if plte:
        data += chunk(b"PLTE", plte)
    if trns:
        data += chunk(b"tRNS", trns)
    if exif:
        data += chunk(b"eXIf", exif)
    data += chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def rgb_rows(a):
    return [[c for p in row for c in p] for row in a]


def ppm(path, a):
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (len(a[0]), len(a)))
        f.write(bytes(c for row in a for p in row for c in p))


def cjpeg(ppm_path, jpg_path, gray=False):
    args = ["cjpeg", "-quality", "95", "-sample", "1x1"]
    if gray:
        args.append("-grayscale")
    with open(jpg_path, "wb") as out:
        subprocess.run(args + [ppm_path], stdout=out, check=True)


def add_exif(jpg_path, o):
    data = open(jpg_path, "rb").read()
    body = b"Exif\x00\x00" + exif_tiff(o)
    app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    with open(jpg_path, "wb") as f:
        f.write(data[:2] + app1 + data[2:])


def main():
    out = sys.argv[1]
    for d in ("png", "jpeg", "bad", "names"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    a = card()
    ppm(os.path.join(out, "canon.ppm"), a)
    for o in range(1, 9):
        s = stored_for(o, a)
        png(os.path.join(out, "png", "orient-%d.png" % o), rgb_rows(s), 2,
            exif=exif_tiff(o) if o > 1 else None)
    gray = [[(r * 299 + g * 587 + b * 114 + 500) // 1000 for (r, g, b) in row] for row in a]
    png(os.path.join(out, "png", "gray8.png"), gray, 0)
    png(os.path.join(out, "png", "gray16.png"), [[b for v in row for b in (v, v)] for row in gray], 0, 16)
    png(os.path.join(out, "png", "rgb16.png"), [[b for p in row for c in p for b in (c, c)] for row in a], 2, 16)
    pal = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
    png(os.path.join(out, "png", "palette.png"), [[pal.index(p) for p in row] for row in a], 3,
        plte=bytes(c for p in pal for c in p), trns=b"\xff\x80")
    png(os.path.join(out, "png", "rgba.png"), [[c for p in row for c in p + (128,)] for row in a], 6)

    with open(os.path.join(out, "bad", "empty.jpg"), "wb"):
        pass
    with open(os.path.join(out, "bad", "text.png"), "wb") as f:
        f.write(b"this is not an image\n")
    if shutil.which("cjpeg"):
        for o in range(1, 9):
            p = os.path.join(out, "jpeg", "orient-%d.jpg" % o)
            tmp = os.path.join(out, "tmp.ppm")
            ppm(tmp, stored_for(o, a))
            cjpeg(tmp, p)
            if o > 1:
                add_exif(p, o)
        cjpeg(os.path.join(out, "canon.ppm"), os.path.join(out, "jpeg", "gray.jpg"), gray=True)
        good = open(os.path.join(out, "jpeg", "orient-1.jpg"), "rb").read()
        with open(os.path.join(out, "bad", "truncated.jpg"), "wb") as f:
            f.write(good[:good.index(b"\xff\xda") + 40])  # inside the scan
        # Patch the SOF0 frame size to 60000x60000.
        i = good.index(b"\xff\xc0")
        bomb = good[:i + 5] + struct.pack(">HH", 60000, 60000) + good[i + 9:]
        with open(os.path.join(out, "bad", "bomb.jpg"), "wb") as f:
            f.write(bomb)
        os.remove(os.path.join(out, "tmp.ppm"))
    odd = [b"with space.png", b"quote'and\"double.png", b"caf\xc3\xa9.png", b"latin1-\xe9.png"]
    for name in odd:
        png(os.path.join(out.encode(), b"names", name), rgb_rows(a), 2)


if __name__ == "__main__":
    main()
