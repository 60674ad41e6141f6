#!/usr/bin/env python3
"""gen-annot.py - detection test sets, made here from code (no binary
file is committed).  Plain Python 3 and zlib.

usage:
  gen-annot.py seeds DIR          small annotation files of every format,
                                  good and hostile, and two mask PNGs,
                                  for the fuzz target
  gen-annot.py set DIR FORMAT N   N generated PNG photos of coloured
                                  rectangles on a gray ground, annotated in
                                  FORMAT (coco, voc, yolo, csv), plus
                                  truth.json: per image, its size and
                                  [class, x0, y0, x1, y1] pixel rectangles,
                                  and for every other image a palette PNG
                                  in SegmentationClass/ (class k as k + 1)
  gen-annot.py big FILE N         a COCO instances file of N annotations
                                  (polygons) over N/8 images, written as a
                                  stream; the images are not made

Rectangles: class k is drawn in COLORS[k] and no two rectangles of an
image overlap, so a reader can find each class's rectangle again in
stored pixels.  Sizes and places come from a fixed-seed generator.
"""
import json
import os
import random
import struct
import sys
import zlib

CLASSES = ["red", "green", "blue", "yellow"]
COLORS = [(230, 20, 20), (20, 220, 20), (20, 20, 230), (230, 230, 20)]
GROUND = (128, 128, 128)


def png(path, w, h, rows, palette=None):
    """RGB rows, or palette indices with palette (a list of RGB)."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + r for r in rows)
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3 if palette else 2, 0, 0, 0))
    if palette:
        head += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + head + chunk(b"IDAT", zlib.compress(raw, 6))
                + chunk(b"IEND", b""))


def make_set(d, fmt, n):
    rnd = random.Random(14)
    os.makedirs(d, exist_ok=True)
    imgdir = os.path.join(d, "images")
    os.makedirs(imgdir, exist_ok=True)
    truth = {}
    for i in range(n):
        w, h = rnd.randrange(120, 260), rnd.randrange(100, 200)
        name = "img%03d.%s" % (i, "png")
        rects = []
        # Classes in a random order, each in its own vertical band so
        # that rectangles never overlap.
        ks = list(range(len(CLASSES)))
        rnd.shuffle(ks)
        nb = rnd.randrange(1, len(CLASSES) + 1)
        band = w // nb
        for j in range(nb):
            k = ks[j]
            bw = rnd.randrange(band // 3, band - 4)
            x0 = j * band + rnd.randrange(1, band - bw)
            bh = rnd.randrange(h // 4, h - 10)
            y0 = rnd.randrange(2, h - bh - 2)
            rects.append([k, x0, y0, x0 + bw, y0 + bh])
        rows = []
        for y in range(h):
            row = bytearray(bytes(GROUND) * w)
            for k, x0, y0, x1, y1 in rects:
                if y0 <= y < y1:
                    row[3 * x0:3 * x1] = bytes(COLORS[k]) * (x1 - x0)
            rows.append(bytes(row))
        png(os.path.join(imgdir, name), w, h, rows)
        truth[name] = {"width": w, "height": h, "rects": rects}
        # A semantic mask for every other image, as VOC's SegmentationClass
        # holds them: palette indices, class k as k + 1, 0 the ground.
        if i % 2 == 0:
            segdir = os.path.join(d, "SegmentationClass")
            os.makedirs(segdir, exist_ok=True)
            srows = []
            for y in range(h):
                row = bytearray(w)
                for k, x0, y0, x1, y1 in rects:
                    if y0 <= y < y1:
                        row[x0:x1] = bytes([k + 1]) * (x1 - x0)
                srows.append(bytes(row))
            pal = [(0, 0, 0)] + [tuple(c) for c in COLORS] + [(224, 224, 192)] * 251
            png(os.path.join(segdir, name), w, h, srows, pal)
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    names = sorted(truth)
    if fmt == "coco":
        images, anns = [], []
        for i, nm in enumerate(names):
            t = truth[nm]
            images.append({"id": 1000 + i, "file_name": nm, "width": t["width"], "height": t["height"]})
            for k, x0, y0, x1, y1 in t["rects"]:
                anns.append({"id": len(anns) + 1, "image_id": 1000 + i, "category_id": 10 + k,
                             "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0),
                             "iscrowd": 0,
                             "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]]})
        cats = [{"id": 10 + k, "name": c, "supercategory": "color"} for k, c in enumerate(CLASSES)]
        with open(os.path.join(d, "instances.json"), "w") as f:
            json.dump({"info": {"description": "gen-annot"}, "images": images,
                       "annotations": anns, "categories": cats}, f)
    elif fmt == "voc":
        ad = os.path.join(d, "Annotations")
        os.makedirs(ad, exist_ok=True)
        for nm in names:
            t = truth[nm]
            objs = "".join(
                "<object><name>%s</name><pose>Unspecified</pose><truncated>0</truncated>"
                "<difficult>%d</difficult><bndbox><xmin>%d</xmin><ymin>%d</ymin><xmax>%d</xmax>"
                "<ymax>%d</ymax></bndbox></object>\n" % (CLASSES[k], k == 3, x0, y0, x1, y1)
                for k, x0, y0, x1, y1 in t["rects"])
            with open(os.path.join(ad, nm.rsplit(".", 1)[0] + ".xml"), "w") as f:
                f.write("<annotation>\n<folder>images</folder>\n<filename>%s</filename>\n"
                        "<size><width>%d</width><height>%d</height><depth>3</depth></size>\n%s"
                        "</annotation>\n" % (nm, t["width"], t["height"], objs))
    elif fmt == "yolo":
        with open(os.path.join(imgdir, "classes.txt"), "w") as f:
            f.write("\n".join(CLASSES) + "\n")
        for nm in names:
            t = truth[nm]
            w, h = t["width"], t["height"]
            with open(os.path.join(imgdir, nm.rsplit(".", 1)[0] + ".txt"), "w") as f:
                for k, x0, y0, x1, y1 in t["rects"]:
                    f.write("%d %.8f %.8f %.8f %.8f\n" % (k, (x0 + x1) / 2 / w, (y0 + y1) / 2 / h,
                                                          (x1 - x0) / w, (y1 - y0) / h))
    elif fmt == "csv":
        with open(os.path.join(d, "boxes.csv"), "w") as f:
            f.write("filename,width,height,class,xmin,ymin,xmax,ymax\n")
            for nm in names:
                t = truth[nm]
                for k, x0, y0, x1, y1 in t["rects"]:
                    f.write("%s,%d,%d,%s,%d,%d,%d,%d\n" % (nm, t["width"], t["height"], CLASSES[k],
                                                          x0, y0, x1, y1))
    else:
        sys.exit("unknown format " + fmt)


def seeds(d):
    os.makedirs(d, exist_ok=True)
    good = {
        "coco.json": json.dumps({
            "images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 48}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 30, 20], "area": 600,
                 "iscrowd": 0, "segmentation": [[1, 2, 31, 2, 31, 22]]},
                {"id": 2, "image_id": 1, "category_id": 3, "bbox": [0, 0, 4, 3], "iscrowd": 1,
                 "segmentation": {"size": [48, 64], "counts": [0, 3, 45, 3, 3021]}},
                {"id": 3, "image_id": 1, "category_id": 3, "bbox": [0, 0, 4, 3], "iscrowd": 1,
                 "segmentation": {"size": [48, 64], "counts": "0324O0"}}],
            "categories": [{"id": 3, "name": "car"}]}),
        "voc.xml": "<annotation><filename>a.jpg</filename><size><width>64</width><height>48</height>"
                   "</size><object><name>dog</name><difficult>0</difficult><bndbox><xmin>1</xmin>"
                   "<ymin>2</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object></annotation>\n",
        "yolo.txt": "0 0.5 0.5 0.25 0.25\n2 0.1 0.2 0.1 0.2\n",
        "boxes.csv": "filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,64,48,cat,1,2,30,40\n",
        "laughs.xml": "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                      "<annotation><filename>&b;</filename></annotation>",
        "trunc.json": '{"images": [{"id": 1, "file_name": "a.jp',
        "trunc.xml": "<annotation><filename>a.jpg</filename><size><wid",
        "deep.json": "[" * 5000,
        "huge.json": '{"images": [{"id": 1e999999, "file_name": "a", "width": 99999999999999999999, '
                     '"height": -1}], "annotations": [{"bbox": [NaN]}]}',
        "neg.csv": "filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,64,48,cat,-1,2,nan,40\n",
    }
    for name, text in good.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    # Mask PNGs for the mask decoder: palette indices and gray values.
    rows = [bytes((x // 4 + y // 3) % 3 for x in range(12)) for y in range(9)]
    png(os.path.join(d, "mask-palette.png"), 12, 9, rows, [(0, 0, 0), (255, 0, 0), (0, 255, 0)])
    png(os.path.join(d, "mask-rgb.png"), 4, 3, [bytes(12)] * 3)


def big(path, n):
    """A COCO file of n annotations over n/8 images, written as a stream."""
    rnd = random.Random(1)
    nimg = max(1, n // 8)
    with open(path, "w") as f:
        f.write('{"info": {"description": "gen-annot big"}, "images": [\n')
        for i in range(nimg):
            f.write('%s{"id": %d, "file_name": "%08d.jpg", "width": 640, "height": 480}'
                    % (",\n" if i else "", i, i))
        f.write('],\n"annotations": [\n')
        for a in range(n):
            x, y = rnd.randrange(0, 500), rnd.randrange(0, 380)
            w, h = rnd.randrange(4, 140), rnd.randrange(4, 100)
            poly = []
            for _ in range(12):
                poly += [round(x + rnd.random() * w, 2), round(y + rnd.random() * h, 2)]
            f.write('%s{"id": %d, "image_id": %d, "category_id": %d, "bbox": [%d, %d, %d, %d], '
                    '"area": %d, "iscrowd": 0, "segmentation": [%s]}'
                    % (",\n" if a else "", a + 1, a % nimg, 1 + a % 80, x, y, w, h, w * h,
                       json.dumps(poly)))
        f.write('],\n"categories": [%s]}\n' % ", ".join(
            '{"id": %d, "name": "class%02d"}' % (k, k) for k in range(1, 81)))


def main(argv):
    if len(argv) >= 3 and argv[1] == "seeds":
        seeds(argv[2])
    elif len(argv) >= 5 and argv[1] == "set":
        make_set(argv[2], argv[3], int(argv[4]))
    elif len(argv) >= 4 and argv[1] == "big":
        big(argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
