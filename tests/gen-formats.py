#!/usr/bin/env python3
"""gen-formats.py DIR | --hostile DIR - small images in every format and layout tfrec
decodes, for tests/t0140-formats.sh (pixels against Pillow) and for the
seed corpus of fuzz/fuzz-image.c (scripts/fuzz.sh).

Pillow writes what it can: JPEG (baseline, progressive with EXIF
orientation, CMYK), PNG (8/16-bit, alpha), WebP (lossy, lossless,
alpha, EXIF orientation, animated), TIFF (1/8/16-bit; gray, RGB, RGBA,
palette, CMYK, YCbCr; none, LZW, Deflate, PackBits, JPEG, CCITT G3/G4;
Orientation tag; multi-page), GIF (palette, transparency, animation),
BMP (1/8/24/32-bit), JPEG 2000 (.jp2, .j2k) and PNM (binary).  The
layouts Pillow cannot write are made here byte by byte: ASCII and 16-bit
PNM, BMP with RLE4/RLE8, 16-bit bitfields, OS/2 headers and top-down
rows.  Every file is made from the same deterministic picture.
"""
import io
import os
import struct
import sys

from PIL import Image

W, H = 45, 31


def picture(mode="RGB", w=W, h=H):
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            px[x, y] = ((x * 255) // (w - 1), (y * 255) // (h - 1),
                        ((x // 5 + y // 4) % 2) * 200 + 20)
    if mode == "RGBA":
        im = im.convert("RGBA")
        a = Image.new("L", (w, h))
        ap = a.load()
        for y in range(h):
            for x in range(w):
                ap[x, y] = 255 if x < w // 3 else (0 if x > 2 * w // 3 else (x * 37 + y * 11) % 256)
        im.putalpha(a)
        return im
    if mode == "P":
        return im.convert("P", palette=Image.ADAPTIVE, colors=16)
    return im.convert(mode)


def exif_orientation(o):
    ex = Image.Exif()
    ex[0x0112] = o
    return ex.tobytes()


def bmp(bpp, comp, pixels_bytes, palette=b"", header=40, topdown=False, masks=b"",
        w=W, h=H):
    if header == 12:
        info = struct.pack("<IHHHH", 12, w, h, 1, bpp)
    else:
        info = struct.pack("<IiiHHIIiiII", 40, w, -h if topdown else h, 1, bpp, comp,
                           len(pixels_bytes), 2835, 2835, len(palette) // 4, 0)
    off = 14 + len(info) + len(masks) + len(palette)
    fh = b"BM" + struct.pack("<IHHI", off + len(pixels_bytes), 0, 0, off)
    return fh + info + masks + palette + pixels_bytes


def bmp_files(d):
    p = picture("P")
    pal = p.getpalette()[:16 * 3]
    idx = list(p.getdata())
    rows = [idx[y * W:(y + 1) * W] for y in range(H)]
    pal4 = b"".join(bytes((pal[3 * i + 2], pal[3 * i + 1], pal[3 * i], 0)) for i in range(16))
    pal3 = b"".join(bytes((pal[3 * i + 2], pal[3 * i + 1], pal[3 * i])) for i in range(16))

    def pad(b):
        return b + b"\0" * (-len(b) % 4)

    # RLE8 and RLE4: runs of equal indices, bottom row first.
    rle8 = bytearray()
    rle4 = bytearray()
    for r in reversed(rows):
        x = 0
        while x < W:
            n = 1
            while x + n < W and r[x + n] == r[x] and n < 255:
                n += 1
            rle8 += bytes((n, r[x]))
            rle4 += bytes((n, r[x] << 4 | r[x]))
            x += n
        rle8 += b"\0\0"
        rle4 += b"\0\0"
    rle8 += b"\0\1"
    # one literal run in RLE4 too (odd length, padded): the row start
    lit = bytearray()
    for y, r in enumerate(reversed(rows)):
        lit += bytes((0, 5)) + bytes((r[0] << 4 | r[1], r[2] << 4 | r[3], r[4] << 4)) + b"\0"
        x = 5
        while x < W:
            n = 1
            while x + n < W and r[x + n] == r[x] and n < 255:
                n += 1
            lit += bytes((n, r[x] << 4 | r[x]))
            x += n
        lit += b"\0\0"
    lit += b"\0\1"
    with open(os.path.join(d, "bmp-rle8.bmp"), "wb") as f:
        f.write(bmp(8, 1, bytes(rle8), pal4))
    with open(os.path.join(d, "bmp-rle4.bmp"), "wb") as f:
        f.write(bmp(4, 2, bytes(lit), pal4))
    # 4-bit, uncompressed, top-down
    rows4 = [pad(bytes((r[i] << 4 | (r[i + 1] if i + 1 < W else 0)) for i in range(0, W, 2))) for r in rows]
    with open(os.path.join(d, "bmp-4-topdown.bmp"), "wb") as f:
        f.write(bmp(4, 0, b"".join(rows4), pal4, topdown=True))
    # OS/2 1.x header, 8-bit palette of 3-byte entries
    rows8 = [pad(bytes(r)) for r in reversed(rows)]
    with open(os.path.join(d, "bmp-os2.bmp"), "wb") as f:
        f.write(bmp(8, 0, b"".join(rows8), pal3, header=12))
    # 16-bit 5-6-5 bitfields
    rgb = picture("RGB")
    px = rgb.load()
    rows16 = []
    for y in reversed(range(H)):
        b = b""
        for x in range(W):
            r, g, bl = px[x, y]
            b += struct.pack("<H", (r >> 3) << 11 | (g >> 2) << 5 | bl >> 3)
        rows16.append(pad(b))
    with open(os.path.join(d, "bmp-565.bmp"), "wb") as f:
        f.write(bmp(16, 3, b"".join(rows16), masks=struct.pack("<III", 0xF800, 0x07E0, 0x001F)))


def pnm_files(d):
    g = picture("L")
    rgb = picture("RGB")
    bw = picture("1")
    gp = list(g.getdata())
    cp = list(rgb.getdata())
    bp = [1 if v == 0 else 0 for v in bw.getdata()]  # PBM: 1 is black
    with open(os.path.join(d, "pnm-p1.pbm"), "w") as f:
        f.write("P1\n# ascii bitmap\n%d %d\n" % (W, H))
        f.write("\n".join(" ".join(str(v) for v in bp[y * W:(y + 1) * W]) for y in range(H)) + "\n")
    with open(os.path.join(d, "pnm-p2.pgm"), "w") as f:
        f.write("P2\n%d %d\n255\n" % (W, H) + " ".join(str(v) for v in gp) + "\n")
    with open(os.path.join(d, "pnm-p3.ppm"), "w") as f:
        f.write("P3\n%d %d\n1000\n" % (W, H) +
                "\n".join(" ".join(str(c * 1000 // 255) for c in p) for p in cp) + "\n")
    with open(os.path.join(d, "pnm-p6-16.ppm"), "wb") as f:
        f.write(b"P6\n%d %d\n65535\n" % (W, H))
        f.write(b"".join(struct.pack(">HHH", *(c * 257 for c in p)) for p in cp))
    bw.save(os.path.join(d, "pnm-p4.pbm"))
    g.save(os.path.join(d, "pnm-p5.pgm"))
    rgb.save(os.path.join(d, "pnm-p6.ppm"))


def jpeg_segments(b):
    """(marker, start, end) of each marker segment up to the first SOS;
    the SOS entry ends where its header ends."""
    out, i = [], 2
    while i + 4 <= len(b):
        m = b[i + 1]
        n = struct.unpack(">H", b[i + 2:i + 4])[0]
        out.append((m, i, i + 2 + n))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def hostile(d):
    """Small files that claim a lot, each refused quickly (t0140)."""
    os.makedirs(d, exist_ok=True)
    # GIF: a 65535x65535 logical screen and a 1x1 frame.
    with open(os.path.join(d, "screen.gif"), "wb") as f:
        f.write(b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\0" * 6 +
                b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\0;")
    # TIFF: 9000x9000 RGB, one strip that claims 4 GB, in 200 bytes.
    ents = [(256, 4, 1, 9000), (257, 4, 1, 9000), (258, 3, 1, 8), (259, 3, 1, 1),
            (262, 3, 1, 1), (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, 9000),
            (279, 4, 1, 0xFFFFFFF0)]
    ifd = struct.pack("<H", len(ents)) + b"".join(
        struct.pack("<HHI", t, ty, n) + (struct.pack("<HH", v, 0) if ty == 3 else struct.pack("<I", v))
        for t, ty, n, v in ents) + b"\0\0\0\0"
    with open(os.path.join(d, "strips.tif"), "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", 8) + ifd + b"\0" * 64)
    # WebP: a lossless 1x1 image whose VP8L header claims 16383x16383.
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "WEBP", lossless=True)
    b = bytearray(buf.getvalue())
    assert b[12:16] == b"VP8L" and b[20] == 0x2F
    bits = struct.unpack("<I", b[21:25])[0] & ~((1 << 28) - 1)
    b[21:25] = struct.pack("<I", bits | 16382 | 16382 << 14)
    with open(os.path.join(d, "dims.webp"), "wb") as f:
        f.write(bytes(b))
    # BMP: a header for 9000x9000 at 24 bits over 100 bytes of pixels.
    with open(os.path.join(d, "lying.bmp"), "wb") as f:
        f.write(bmp(24, 0, b"\0" * 100, w=9000, h=9000))
    # PNM: 9000x9000 claimed, 10 bytes given.
    with open(os.path.join(d, "lying.ppm"), "wb") as f:
        f.write(b"P6\n9000 9000\n255\n" + b"\0" * 10)
    # JPEG 2000: a 16x16 codestream whose SIZ claims 9000x9000 in 250x250
    # tiles (OpenJPEG would allocate ~11 KB a tile reading the header),
    # and the same claiming 60x60 tiles of 150 pixels, whose data is then
    # missing (cut short).
    buf = io.BytesIO()
    picture("RGB", 16, 16).save(buf, "JPEG2000", no_jp2=True)
    b = bytearray(buf.getvalue())
    assert b[:4] == b"\xff\x4f\xff\x51"
    struct.pack_into(">IIIIII", b, 8, 9000, 9000, 0, 0, 36, 36)
    with open(os.path.join(d, "tiles.j2k"), "wb") as f:
        f.write(bytes(b))
    struct.pack_into(">IIIIII", b, 8, 9000, 9000, 0, 0, 150, 150)
    with open(os.path.join(d, "cut.j2k"), "wb") as f:
        f.write(bytes(b))
    # JPEG: a 10000x10000 4:4:4 progressive header over a 16x16 file's
    # scans: every coefficient of it needs 600 MB.
    buf = io.BytesIO()
    picture("RGB", 16, 16).save(buf, "JPEG", progressive=True, subsampling=0, quality=90)
    b = bytearray(buf.getvalue())
    for m, s0, _ in jpeg_segments(b):
        if m == 0xC2:
            b[s0 + 5:s0 + 9] = struct.pack(">HH", 10000, 10000)
    with open(os.path.join(d, "coefs.jpg"), "wb") as f:
        f.write(bytes(b))
    # JPEG: headers only (10000x10000), cut after the scan header and
    # closed with EOI; and one with no scan header at all.
    base = io.BytesIO()
    picture("RGB", 16, 16).save(base, "JPEG", quality=90)
    b = bytearray(base.getvalue())
    segs = jpeg_segments(b)
    sos_end = segs[-1][2]
    for m, s0, _ in segs:
        if m == 0xC0:
            b[s0 + 5:s0 + 9] = struct.pack(">HH", 10000, 10000)
    with open(os.path.join(d, "noscan.jpg"), "wb") as f:
        f.write(bytes(b[:sos_end]) + b"\xff\xd9")
    with open(os.path.join(d, "nosos.jpg"), "wb") as f:
        f.write(bytes(b[:segs[-1][1]]) + b"\xff\xd9")
    # JPEG: a progressive file with one of its first-pass AC scans (Ah 0)
    # repeated, with the Huffman tables sent before it, to make 150.
    # Such a scan decodes again to the same coefficients (libjpeg warns
    # of an inconsistent progression, which loses nothing); a repeated
    # refinement scan would be corrupt data, an error of its own.
    buf = io.BytesIO()
    picture("RGB", 64, 64).save(buf, "JPEG", progressive=True, quality=90)
    b = buf.getvalue()

    def data_end(i):  # the marker after the entropy-coded data from i
        while True:
            i = b.index(b"\xff", i)
            if b[i + 1] != 0 and not 0xD0 <= b[i + 1] <= 0xD7:
                return i
            i += 2

    soss = [i for i in range(len(b) - 1) if b[i:i + 2] == b"\xff\xda"]
    scan = None
    for k in range(1, len(soss)):
        n = b[soss[k] + 4]
        hdr_end = soss[k] + 2 + struct.unpack(">H", b[soss[k] + 2:soss[k] + 4])[0]
        ss, ah = b[hdr_end - 3], b[hdr_end - 1] >> 4
        if ss > 0 and ah == 0 and n == 1:
            start = data_end(soss[k - 1] + 2 + struct.unpack(">H", b[soss[k - 1] + 2:soss[k - 1] + 4])[0])
            scan = b[start:data_end(hdr_end)]
            break
    assert scan, "no first-pass AC scan"
    nscans = b.count(b"\xff\xda")
    with open(os.path.join(d, "scans.jpg"), "wb") as f:
        f.write(b[:-2] + scan * (150 - nscans) + b"\xff\xd9")
    with open(os.path.join(d, "scans-ok.jpg"), "wb") as f:
        f.write(b[:-2] + scan * (90 - nscans) + b"\xff\xd9")


def main():
    d = sys.argv[1]
    if d == "--hostile":
        hostile(sys.argv[2])
        return
    os.makedirs(d, exist_ok=True)
    rgb, rgba = picture("RGB"), picture("RGBA")
    # JPEG (the sampling factors are unit-jpeg-sampling's)
    rgb.save(os.path.join(d, "jpeg-base.jpg"), quality=95)
    rgb.save(os.path.join(d, "jpeg-prog-orient6.jpg"), quality=95, progressive=True,
             exif=exif_orientation(6))
    picture("CMYK").save(os.path.join(d, "jpeg-cmyk.jpg"), quality=95)
    # PNG
    rgba.save(os.path.join(d, "png-rgba.png"))
    # WebP
    rgb.save(os.path.join(d, "webp-lossy.webp"), quality=80)
    rgba.save(os.path.join(d, "webp-lossless-alpha.webp"), lossless=True)
    rgba.save(os.path.join(d, "webp-lossy-alpha.webp"), quality=80)
    rgb.save(os.path.join(d, "webp-orient6.webp"), quality=80, exif=exif_orientation(6))
    rgb.save(os.path.join(d, "webp-anim.webp"), save_all=True, append_images=[rgb.rotate(180)],
             duration=100, lossless=True)
    # TIFF
    for mode in ("1", "L", "P", "RGB", "RGBA", "CMYK"):
        for comp in ("raw", "tiff_lzw", "tiff_adobe_deflate", "packbits"):
            picture(mode).save(os.path.join(d, "tiff-%s-%s.tif" % (mode.lower(), comp)),
                               compression=comp)
    picture("1").save(os.path.join(d, "tiff-1-g3.tif"), compression="group3")
    picture("1").save(os.path.join(d, "tiff-1-g4.tif"), compression="group4")
    rgb.save(os.path.join(d, "tiff-rgb-jpeg.tif"), compression="jpeg", quality=90)
    picture("L").save(os.path.join(d, "tiff-l-jpeg.tif"), compression="jpeg", quality=90)
    picture("YCbCr").save(os.path.join(d, "tiff-ycbcr.tif"))
    g16 = Image.new("I;16", (W, H))
    g16.putdata([(x * 65535) // (W - 1) for y in range(H) for x in range(W)])
    g16.save(os.path.join(d, "tiff-gray16.tif"))
    rgb.save(os.path.join(d, "tiff-orient6.tif"), tiffinfo={274: 6})
    rgb.save(os.path.join(d, "tiff-multipage.tif"), save_all=True,
             append_images=[picture("L"), rgb.rotate(90, expand=True)])
    # GIF
    p = picture("P")
    p.save(os.path.join(d, "gif-plain.gif"))
    p.save(os.path.join(d, "gif-transparent.gif"), transparency=3)
    p.save(os.path.join(d, "gif-interlaced.gif"), interlace=True)
    p.save(os.path.join(d, "gif-anim.gif"), save_all=True, append_images=[p.rotate(180)],
           duration=100, loop=0)
    # BMP
    for mode in ("1", "L", "P", "RGB"):
        picture(mode).save(os.path.join(d, "bmp-pil-%s.bmp" % mode.lower()))
    bmp_files(d)
    # JPEG 2000
    rgb.save(os.path.join(d, "jp2-rgb.jp2"))
    picture("L").save(os.path.join(d, "jp2-gray.j2k"))
    rgba.save(os.path.join(d, "jp2-rgba.jp2"))
    # a larger one, with its PNG twin, for reduced-resolution decoding
    picture("RGB", 400, 300).save(os.path.join(d, "jp2-big.jp2"))
    picture("RGB", 400, 300).save(os.path.join(d, "png-big.png"))
    # PNM
    pnm_files(d)


main()
