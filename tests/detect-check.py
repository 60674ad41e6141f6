#!/usr/bin/env python3
"""detect-check.py - checks for tfrec's detection records (t0140).

usage:
  detect-check.py boxes SETDIR TOL SHARD...
      Every stored box sits where its rectangle landed in the stored
      pixels (uint8 records of a gen-annot.py set): the rectangle of the
      box's class colour, found by projecting each pixel on the line from
      the gray ground to that colour (inside at half way), must have the
      box's edges within TOL stored pixels.  A rectangle visible over
      more than 12 pixels must have a box.  Prints the number checked.
  detect-check.py masks TOL SHARD...
      Every image/object/mask is a PNG of the stored size whose 1-pixels
      have the box's extent within TOL pixels.
  detect-check.py segmentation TOL SHARD...
      Every image/segmentation/class/encoded is a PNG of the stored size
      whose class-k region has the extent of the class-k box within TOL.
  detect-check.py tfod SETDIR FORMAT SHARD
      The records of `tfrec convert --encoded` against the records the TF
      Object Detection API's scripts write for the same files, built here
      with Python's protobuf the way generate_tfrecord.py (csv),
      create_pascal_tf_record.py (voc) and create_coco_tf_record.py (coco)
      build them: every key they write is present with the same type and
      values (floats to 1e-6).  COCO's class/label is the category id
      there and 1..n here (the issue asks for contiguous labels): it is
      compared through the class names.
      image/format is the one known difference: generate_tfrecord.py
      writes b'jpg' for every file; tfrec names the real format.
"""
import csv
import hashlib
import io
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import tfrec_read as tr  # noqa: E402

COLORS = np.array([(230, 20, 20), (20, 220, 20), (20, 20, 230), (230, 230, 20)], dtype=np.float64)
NAMES = ["red", "green", "blue", "yellow"]
GROUND = np.array((128, 128, 128), dtype=np.float64)


def examples(shards):
    for s in shards:
        for ex in tr.read_examples(s):
            yield s, ex


def extent(mask):
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def label_names(shard):
    """Class names of the run that wrote shard: line k names label k."""
    d = os.path.dirname(shard)
    prefix = os.path.basename(shard).split("-0")[0]
    for name in (prefix + ".labels.txt", prefix + "-labels.txt"):
        if os.path.exists(os.path.join(d, name)):
            return [l.rstrip("\n") for l in open(os.path.join(d, name))]
    return None  # a run whose boxes came from TFRecords: no class list


def check_boxes(setdir, tol, shards):
    checked = bad = 0
    names = label_names(shards[0])
    for s, ex in examples(shards):
        img = tr.decode_image(ex).astype(np.float64)
        h, w = img.shape[:2]
        texts = [t.decode() for t in ex.get("image/object/class/text", [])]
        labels = list(ex.get("image/object/class/label", []))
        boxes = list(zip(ex.get("image/object/bbox/xmin", []), ex.get("image/object/bbox/ymin", []),
                         ex.get("image/object/bbox/xmax", []), ex.get("image/object/bbox/ymax", [])))
        name = ex["image/filename"][0].decode()
        seen = set()
        for t, lab, b in zip(texts, labels, boxes):
            k = NAMES.index(t)
            if names is not None and (lab < 1 or lab > len(names) or names[lab - 1] != t):
                print("%s: class %s has label %d, whose name is not %s" % (name, t, lab, t))
                bad += 1
            d = COLORS[k] - GROUND
            proj = ((img - GROUND) @ d) / (d @ d)
            e = extent(proj >= 0.5)
            if e is None and min((b[2] - b[0]) * w, (b[3] - b[1]) * h) < 1:
                continue  # thinner than a pixel: its colour is blended away
                print("%s: no %s pixels for box %s" % (name, t, b))
                bad += 1
                continue
            want = (b[0] * w, b[1] * h, b[2] * w, b[3] * h)
            off = max(abs(a - c) for a, c in zip(want, e))
            if off > tol:
                print("%s (%dx%d): %s box %s px, pixels %s, off by %.2f" %
                      (name, w, h, t, tuple(round(v, 2) for v in want), e, off))
                bad += 1
            checked += 1
            seen.add(k)
        for k in range(len(NAMES)):
            d = COLORS[k] - GROUND
            proj = ((img - GROUND) @ d) / (d @ d)
            if k not in seen and (proj >= 0.9).sum() > 12:
                print("%s: %s is visible but has no box" % (name, NAMES[k]))
                bad += 1
    print("%d boxes checked, %d wrong" % (checked, bad))
    return 1 if bad or not checked else 0


def check_masks(tol, shards):
    from PIL import Image
    checked = bad = 0
    for s, ex in examples(shards):
        h, w = int(ex["image/height"][0]), int(ex["image/width"][0])
        boxes = list(zip(ex.get("image/object/bbox/xmin", []), ex.get("image/object/bbox/ymin", []),
                         ex.get("image/object/bbox/xmax", []), ex.get("image/object/bbox/ymax", [])))
        masks = ex.get("image/object/mask", [])
        if len(masks) != len(boxes):
            print("%d masks for %d boxes" % (len(masks), len(boxes)))
            bad += 1
            continue
        for m, b in zip(masks, boxes):
            im = Image.open(io.BytesIO(m))
            a = np.array(im)
            if im.size != (w, h) or a.max() != 1:
                print("mask %s of max %d for a %dx%d image" % (im.size, a.max(), w, h))
                bad += 1
                continue
            e = extent(a == 1)
            want = (b[0] * w, b[1] * h, b[2] * w, b[3] * h)
            off = max(abs(x - y) for x, y in zip(want, e))
            if off > tol:
                print("mask extent %s, box %s" % (e, want))
                bad += 1
            checked += 1
    print("%d masks checked, %d wrong" % (checked, bad))
    return 1 if bad or not checked else 0


def check_segmentation(tol, shards):
    """Each stored class map is a PNG of the stored size whose class-k
    region has the extent of the box of class k."""
    from PIL import Image
    checked = bad = 0
    for s, ex in examples(shards):
        if "image/segmentation/class/encoded" not in ex:
            continue
        h, w = int(ex["image/height"][0]), int(ex["image/width"][0])
        im = Image.open(io.BytesIO(ex["image/segmentation/class/encoded"][0]))
        a = np.array(im)
        if im.size != (w, h) or ex["image/segmentation/class/format"][0] != b"png":
            print("segmentation %s for %dx%d" % (im.size, w, h))
            bad += 1
            continue
        for t, b in zip(ex["image/object/class/text"],
                        zip(ex["image/object/bbox/xmin"], ex["image/object/bbox/ymin"],
                            ex["image/object/bbox/xmax"], ex["image/object/bbox/ymax"])):
            k = NAMES.index(t.decode()) + 1
            e = extent(a == k)
            want = (b[0] * w, b[1] * h, b[2] * w, b[3] * h)
            if e is None:
                if min(want[2] - want[0], want[3] - want[1]) >= 1:
                    print("no class %d in the map" % k)
                    bad += 1
                continue
            off = max(abs(x - y) for x, y in zip(want, e))
            if off > tol:
                print("class %d extent %s, box %s" % (k, e, want))
                bad += 1
            checked += 1
    print("%d class regions checked, %d wrong" % (checked, bad))
    return 1 if bad or not checked else 0


# --- the TF Object Detection API's way, with Python's protobuf ----------

def example_class():
    from google.protobuf import descriptor_pb2, descriptor_pool
    try:
        from google.protobuf import message_factory
        get = getattr(message_factory, "GetMessageClass", None)
    except ImportError:
        get = None
    fdp = descriptor_pb2.FileDescriptorProto()
    fdp.name = "tfrec_test_example.proto"
    fdp.package = "tensorflow"
    fdp.syntax = "proto3"
    T = descriptor_pb2.FieldDescriptorProto

    def msg(name, fields, oneof=None):
        m = fdp.message_type.add()
        m.name = name
        if oneof:
            m.oneof_decl.add().name = oneof
        for num, fname, typ, label, tname, packed in fields:
            f = m.field.add()
            f.name, f.number, f.type, f.label = fname, num, typ, label
            if tname:
                f.type_name = tname
            if packed:
                f.options.packed = True
            if oneof:
                f.oneof_index = 0
        return m
    R, O = T.LABEL_REPEATED, T.LABEL_OPTIONAL
    msg("BytesList", [(1, "value", T.TYPE_BYTES, R, None, False)])
    msg("FloatList", [(1, "value", T.TYPE_FLOAT, R, None, True)])
    msg("Int64List", [(1, "value", T.TYPE_INT64, R, None, True)])
    msg("Feature", [(1, "bytes_list", T.TYPE_MESSAGE, O, ".tensorflow.BytesList", False),
                    (2, "float_list", T.TYPE_MESSAGE, O, ".tensorflow.FloatList", False),
                    (3, "int64_list", T.TYPE_MESSAGE, O, ".tensorflow.Int64List", False)], "kind")
    feats = msg("Features", [(1, "feature", T.TYPE_MESSAGE, R, ".tensorflow.Features.FeatureEntry", False)])
    entry = feats.nested_type.add()
    entry.name = "FeatureEntry"
    entry.options.map_entry = True
    for num, fname, typ, tname in ((1, "key", T.TYPE_STRING, None), (2, "value", T.TYPE_MESSAGE, ".tensorflow.Feature")):
        f = entry.field.add()
        f.name, f.number, f.type, f.label = fname, num, typ, O
        if tname:
            f.type_name = tname
    msg("Example", [(1, "features", T.TYPE_MESSAGE, O, ".tensorflow.Features", False)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    desc = pool.FindMessageTypeByName("tensorflow.Example")
    if get:
        return get(desc)
    from google.protobuf import reflection
    return reflection.message_factory.MessageFactory(pool).GetPrototype(desc)


def reference(setdir, fmt, labels):
    """Serialized Examples keyed by filename, as the TF OD API scripts write them."""
    Example = example_class()
    out = {}

    def put(feat, key, kind, values):
        f = feat[key]
        getattr(f, kind).value.extend(values)

    def head(feat, height, width, filename, source_id, encoded, boxes):
        """What create_coco_tf_record.py and create_pascal_tf_record.py
        both write first: size, names, hash, bytes, format, boxes."""
        put(feat, "image/height", "int64_list", [height])
        put(feat, "image/width", "int64_list", [width])
        put(feat, "image/filename", "bytes_list", [filename.encode("utf8")])
        put(feat, "image/source_id", "bytes_list", [source_id.encode("utf8")])
        put(feat, "image/key/sha256", "bytes_list", [hashlib.sha256(encoded).hexdigest().encode("utf8")])
        put(feat, "image/encoded", "bytes_list", [encoded])
        put(feat, "image/format", "bytes_list", [b"jpeg"])
        for key, vals in zip(("xmin", "xmax", "ymin", "ymax"), boxes):
            put(feat, "image/object/bbox/" + key, "float_list", vals)
    if fmt == "csv":
        # generate_tfrecord.py: group rows by filename, then create_tf_example.
        groups = {}
        with open(os.path.join(setdir, "boxes.csv")) as f:
            for row in csv.DictReader(f):
                groups.setdefault(row["filename"], []).append(row)
        for filename, rows in groups.items():
            encoded = open(os.path.join(setdir, "images", filename), "rb").read()
            width, height = int(rows[0]["width"]), int(rows[0]["height"])
            ex = Example()
            feat = ex.features.feature
            put(feat, "image/height", "int64_list", [height])
            put(feat, "image/width", "int64_list", [width])
            put(feat, "image/filename", "bytes_list", [filename.encode()])
            put(feat, "image/source_id", "bytes_list", [filename.encode()])
            put(feat, "image/encoded", "bytes_list", [encoded])
            put(feat, "image/format", "bytes_list", [b"jpg"])
            put(feat, "image/object/bbox/xmin", "float_list", [int(r["xmin"]) / width for r in rows])
            put(feat, "image/object/bbox/xmax", "float_list", [int(r["xmax"]) / width for r in rows])
            put(feat, "image/object/bbox/ymin", "float_list", [int(r["ymin"]) / height for r in rows])
            put(feat, "image/object/bbox/ymax", "float_list", [int(r["ymax"]) / height for r in rows])
            put(feat, "image/object/class/text", "bytes_list", [r["class"].encode() for r in rows])
            put(feat, "image/object/class/label", "int64_list", [labels[r["class"]] for r in rows])
            out[filename] = ex.SerializeToString()
    elif fmt == "coco":
        # create_coco_tf_record.py's create_tf_example: category ids as
        # the labels (tfrec maps them to 1..n: compared through names).
        coco = json.load(open(os.path.join(setdir, "instances.json")))
        cats = {c["id"]: c["name"] for c in coco["categories"]}
        anns = {}
        for a in coco["annotations"]:
            anns.setdefault(a["image_id"], []).append(a)
        for im in coco["images"]:
            filename = im["file_name"]
            encoded = open(os.path.join(setdir, "images", filename), "rb").read()
            width, height = im["width"], im["height"]
            xmin, xmax, ymin, ymax, texts, crowd, area, labels_ = [], [], [], [], [], [], [], []
            for a in anns.get(im["id"], []):
                x, y, w, h = a["bbox"]
                xmin.append(float(x) / width)
                xmax.append(float(x + w) / width)
                ymin.append(float(y) / height)
                ymax.append(float(y + h) / height)
                texts.append(cats[a["category_id"]].encode("utf8"))
                crowd.append(a["iscrowd"])
                area.append(a["area"])
                labels_.append(labels[cats[a["category_id"]]])
            ex = Example()
            feat = ex.features.feature
            head(feat, height, width, filename, str(im["id"]), encoded, (xmin, xmax, ymin, ymax))
            put(feat, "image/object/class/text", "bytes_list", texts)
            put(feat, "image/object/is_crowd", "int64_list", crowd)
            put(feat, "image/object/area", "float_list", area)
            put(feat, "image/object/class/label", "int64_list", labels_)
            out[filename] = ex.SerializeToString()
    else:
        # create_pascal_tf_record.py's dict_to_tf_example, from the XML.
        import xml.etree.ElementTree as ET
        ad = os.path.join(setdir, "Annotations")
        for x in sorted(os.listdir(ad)):
            root = ET.parse(os.path.join(ad, x)).getroot()
            filename = root.find("filename").text
            encoded = open(os.path.join(setdir, "images", filename), "rb").read()
            width = int(root.find("size/width").text)
            height = int(root.find("size/height").text)
            xmin, ymin, xmax, ymax, classes, texts, trunc, poses, diff = [], [], [], [], [], [], [], [], []
            for obj in root.findall("object"):
                difficult = bool(int(obj.find("difficult").text))
                diff.append(int(difficult))
                bb = obj.find("bndbox")
                xmin.append(float(bb.find("xmin").text) / width)
                ymin.append(float(bb.find("ymin").text) / height)
                xmax.append(float(bb.find("xmax").text) / width)
                ymax.append(float(bb.find("ymax").text) / height)
                texts.append(obj.find("name").text.encode("utf8"))
                classes.append(labels[obj.find("name").text])
                trunc.append(int(obj.find("truncated").text))
                poses.append(obj.find("pose").text.encode("utf8"))
            ex = Example()
            feat = ex.features.feature
            head(feat, height, width, filename, filename, encoded, (xmin, xmax, ymin, ymax))
            put(feat, "image/object/class/text", "bytes_list", texts)
            put(feat, "image/object/class/label", "int64_list", classes)
            put(feat, "image/object/difficult", "int64_list", diff)
            put(feat, "image/object/truncated", "int64_list", trunc)
            put(feat, "image/object/view", "bytes_list", poses)
            out[filename] = ex.SerializeToString()
    return out


# Keys create_pascal_tf_record.py writes that tfrec leaves out, and why.
LEFT_OUT = {"image/object/view": "VOC's <pose>, which no TF OD API model reads"}


def check_tfod(setdir, fmt, shard):
    names = label_names(shard)
    if names is None:
        raise SystemExit("no labels file beside " + shard)
    labels = {n: i + 1 for i, n in enumerate(names)}
    ref = reference(setdir, fmt, labels)
    ours = {ex["image/filename"][0].decode(): ex for _, ex in examples([shard])}
    bad = 0
    if sorted(ref) != sorted(ours):
        print("files differ: %s vs %s" % (sorted(ref), sorted(ours)))
        return 1
    keys = 0
    for name, payload in ref.items():
        want, got = tr.parse_example(payload), ours[name]
        for k, v in want.items():
            if k in LEFT_OUT:
                continue
            keys += 1
            if k not in got:
                print("%s: no %s" % (name, k))
                bad += 1
                continue
            g = got[k]
            if k == "image/format":
                if (g[0], v[0]) not in ((b"png", b"jpg"), (b"jpeg", b"jpg"), (b"png", b"jpeg")) and g[0] != v[0]:
                    print("%s: format %s vs %s" % (name, g, v))
                    bad += 1
                continue
            if isinstance(v, list):
                same = isinstance(g, list) and g == v
            elif v.dtype == np.float32:
                same = getattr(g, "dtype", None) == np.float32 and len(g) == len(v) and \
                    np.allclose(g, v, rtol=0, atol=1e-6)
            else:
                same = getattr(g, "dtype", None) == v.dtype and list(g) == list(v)
            if not same:
                print("%s: %s is %r, want %r" % (name, k, g[:8] if len(g) else g, v[:8] if len(v) else v))
                bad += 1
    print("%d files, %d keys compared, %d differ" % (len(ref), keys, bad))
    return 1 if bad else 0


def main(argv):
    if argv[1] == "boxes":
        return check_boxes(argv[2], float(argv[3]), argv[4:])
    if argv[1] == "masks":
        return check_masks(float(argv[2]), argv[3:])
    if argv[1] == "segmentation":
        return check_segmentation(float(argv[2]), argv[3:])
    if argv[1] == "tfod":
        return check_tfod(argv[2], argv[3], argv[4])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
