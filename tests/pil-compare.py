#!/usr/bin/env python3
"""pil-compare.py SHARD ROOT [CHANNELS [BACKGROUND [NAME=REF...]]] - each
record of a `tfrec convert --dtype uint8` shard (no resize, no crop)
against Pillow's decode of the same file, upright, as RGB (or L).
BACKGROUND "-" means none.  NAME=REF compares record NAME against
Pillow's decode of REF instead: the same picture in a file Pillow reads
right (Pillow 9.4 drops a pixel of each odd-length RLE4 literal run, and
zeroes the colour of low-alpha pixels in 16-bit JPEG 2000).

Prints one line per record: "filename mae maxdiff" (mean and maximum
absolute difference, 0..255), or "filename shape got want" when the
shapes differ.  tests/t0140-formats.sh sets the tolerances.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import tfrec_read as tr  # noqa: E402


def reference(path, channels, background):
    im = Image.open(path)
    im.seek(0)
    fmt = im.format
    if fmt == "TIFF":
        # Pillow 9.4 applies TIFF's Orientation tag while loading (and
        # exif_transpose would then apply it a second time).
        im.load()
    else:
        im = ImageOps.exif_transpose(im)
    if fmt == "GIF" and background is None and "transparency" in im.info and im.mode == "P":
        # tfrec paints a GIF's transparent pixels black, as TensorFlow's
        # decode_gif does; Pillow gives them their palette colour.
        t = im.info["transparency"]
        rgb = np.asarray(im.convert("RGB")).copy()
        rgb[np.asarray(im) == t] = 0
        im = Image.fromarray(rgb)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow keeps 16-bit gray as integers: scale with rounding.
        a = np.asarray(im, dtype=np.float64)
        im = Image.fromarray(np.clip(np.floor(a * 255 / 65535 + 0.5), 0, 255).astype(np.uint8))
    if background is not None:
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, background + (255,))
        im = Image.alpha_composite(bg, rgba)
    im = im.convert("L" if channels == 1 else "RGB")
    a = np.asarray(im, dtype=np.int32)
    return a.reshape(a.shape[0], a.shape[1], channels)


def main():
    shard, root = sys.argv[1], sys.argv[2]
    channels = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    background = None
    if len(sys.argv) > 4 and sys.argv[4] != "-":
        background = tuple(int(x) for x in sys.argv[4].split(","))
    refs = dict(a.split("=", 1) for a in sys.argv[5:])
    for ex in tr.read_examples(shard):
        name = ex["image/filename"][0].decode()
        got = tr.decode_image(ex).astype(np.int32)
        try:
            want = reference(os.path.join(root, refs.get(name, name)), channels, background)
        except OSError:
            print(name, "nopil")  # Pillow cannot read it: nothing to compare
            continue
        if got.shape != want.shape:
            print(name, "shape", "x".join(map(str, got.shape)), "x".join(map(str, want.shape)))
            continue
        d = np.abs(got - want)
        print(name, "%.3f" % d.mean(), int(d.max()))


main()
