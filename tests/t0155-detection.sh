#!/bin/sh
# t0155-detection: tfrec convert --annotations end to end.  Generated
# sets of coloured rectangles in each format (COCO, VOC, YOLO, CSV) go
# through convert with and without augmentation (resize, crops, random
# resized crop, flip), and every stored box must sit on its rectangle in
# the stored pixels (tests/detect-check.py); instance masks too.  The
# --encoded records of VOC and CSV are compared with records built the
# way the TF Object Detection API's scripts build them.  Bad entries are
# errors naming the annotation file and entry, or named skips; hostile
# files fail with their position.  The shared dali-coco set converts
# when present.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
CHECK="$PY $TOP_SRCDIR/tests/detect-check.py"
GEN="$PY $TOP_SRCDIR/tests/gen-annot.py"
CONV="$TFREC convert -q --no-fsync"
G=$TMP/g

annot_of() {
	case $1 in
	coco) echo "$G/coco/instances.json" ;;
	voc) echo "$G/voc/Annotations" ;;
	yolo) echo "$G/yolo/images" ;;
	csv) echo "$G/csv/boxes.csv" ;;
	esac
}

for f in coco voc yolo csv; do
	$GEN set "$G/$f" $f 8
	A=$(annot_of $f)
	mkdir -p "$TMP/$f-plain" "$TMP/$f-aug" "$TMP/$f-rrc" "$TMP/$f-sniff"
	check "$f: converts without augmentation" \
		$CONV --annotations "$A" --annotation-format $f --images "$G/$f/images" --dtype uint8 \
		-o "$TMP/$f-plain/r"
	check "$f: boxes sit exactly on the rectangles" \
		$CHECK boxes "$G/$f" 0.01 "$TMP/$f-plain/r-00000-of-00001.tfrecord"
	check "$f: the format is told from the bytes" \
		$CONV --annotations "$A" --images "$G/$f/images" --dtype uint8 -o "$TMP/$f-sniff/r"
	check "$f: ... giving the same records" \
		cmp "$TMP/$f-plain/r-00000-of-00001.tfrecord" "$TMP/$f-sniff/r-00000-of-00001.tfrecord"
	check "$f: converts with resize, random crop and flip, 3 copies" \
		$CONV --annotations "$A" --images "$G/$f/images" --dtype uint8 --resize-short 96 \
		--crop 80x80 --random-crop --flip --copies 3 --seed 5 -o "$TMP/$f-aug/r"
	check "$f: augmented boxes sit on the rectangles (within a pixel)" \
		$CHECK boxes "$G/$f" 1.0 "$TMP/$f-aug/r-00000-of-00001.tfrecord"
	check "$f: converts with --random-resized-crop and flip" \
		$CONV --annotations "$A" --images "$G/$f/images" --dtype uint8 \
		--random-resized-crop 64x48 --rrc-scale 0.2,1 --flip --copies 3 --seed 7 -o "$TMP/$f-rrc/r"
	check "$f: random-resized-crop boxes sit on the rectangles" \
		$CHECK boxes "$G/$f" 1.0 "$TMP/$f-rrc/r-00000-of-00001.tfrecord"
done

# inspect --export draws each box in its class colour, with a caption.
check "export the augmented COCO records" $TFREC inspect --export "$TMP/exp" "$TMP/coco-aug/r-00000-of-00001.tfrecord"
check "boxes are drawn on the exported pictures in their class colours" $PY - "$TMP/exp" "$TMP/coco-aug/r-00000-of-00001.tfrecord" <<'PYEOF'
import json, math, os, sys
import numpy as np
from PIL import Image
sys.path.insert(0, os.path.join(os.environ["TOP_SRCDIR"], "scripts"))
import tfrec_read as tr
PAL = [(255, 64, 64), (64, 220, 64), (64, 128, 255), (255, 220, 0), (255, 64, 255), (0, 230, 230),
       (255, 140, 0), (160, 90, 255), (140, 255, 120), (255, 120, 160), (0, 170, 120), (200, 200, 255)]
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
exs = list(tr.read_examples(sys.argv[2]))
hit = total = 0
for e, ex in zip(m["images"], exs):
    a = np.array(Image.open(os.path.join(sys.argv[1], e["png"])).convert("RGB"))
    h, w = a.shape[:2]
    for x0, y0, x1, y1, lab in zip(ex["image/object/bbox/xmin"], ex["image/object/bbox/ymin"],
                                   ex["image/object/bbox/xmax"], ex["image/object/bbox/ymax"],
                                   ex["image/object/class/label"]):
        px0, py0, py1 = math.floor(x0 * w), math.floor(y0 * h), math.ceil(y1 * h)
        if px0 < 0 or py1 - py0 < 20:
            continue
        total += 1
        hit += tuple(a[(py0 + py1) // 2, px0]) == PAL[lab % 12]
assert total > 10 and hit == total, (hit, total)
sheet = np.array(Image.open(os.path.join(sys.argv[1], "contact-sheet.png")).convert("RGB"))
cell = m["sheet"]["cell"]
band = sheet[cell - 10:cell, 0:cell]
assert (band == 255).all(axis=2).sum() > 20, "no caption on the first tile"
PYEOF
mkdir -p "$TMP/cls"
check "a classification set converts" $CONV --resize 32x32 -o "$TMP/cls/r" "$TOP_SRCDIR/sample-data/photos"
check "... and exports" $TFREC inspect --export "$TMP/cls-exp" "$TMP/cls/r-00000-of-00001.tfrecord"
check "its contact-sheet tiles carry their class names" $PY - "$TMP/cls-exp" <<'PYEOF'
import json, os, sys
import numpy as np
from PIL import Image
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
sheet = np.array(Image.open(os.path.join(sys.argv[1], "contact-sheet.png")).convert("RGB"))
cell = m["sheet"]["cell"]
band = sheet[cell - 10:cell, 0:cell]
white = (band == 255).all(axis=2).sum()
dark = (band < 64).all(axis=2).sum()
assert white > 20 and dark > 50, (white, dark)
PYEOF

# TF OD API records as input: boxes and masks come along and move again.
mkdir -p "$TMP/tfr1" "$TMP/tfr2"
check "coco: --encoded --masks records" $CONV --annotations "$G/coco/instances.json" \
	--images "$G/coco/images" --encoded --masks -o "$TMP/tfr1/r"
check "... converted again as a TFRecord input, augmented" $CONV --dtype uint8 --resize-short 96 \
	--crop 80x80 --random-crop --flip --copies 2 -o "$TMP/tfr2/r" "$TMP/tfr1/r-00000-of-00001.tfrecord"
check "... boxes still sit on the rectangles" $CHECK boxes "$G/coco" 1.0 "$TMP/tfr2/r-00000-of-00001.tfrecord"
check "... and masks on the boxes" $CHECK masks 1.0 "$TMP/tfr2/r-00000-of-00001.tfrecord"

# Counts in the manifest and the summary.
mkdir -p "$TMP/cnt"
check "summary counts kept and dropped boxes" \
	$TFREC convert --no-fsync --annotations "$G/csv/boxes.csv" --images "$G/csv/images" --resize-short 64 --crop 32x32 \
	--random-crop --min-box-visible 0.5 --copies 4 -o "$TMP/cnt/r"
err_has "... in the summary" "boxes kept"
check "manifest: kept + dropped = boxes x copies, labels are the class names" $PY - "$TMP/cnt/r.json" "$G/csv/truth.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
n = sum(len(v["rects"]) for v in t.values())
b = m["boxes"]
assert b["kept"] + b["dropped_by_crop"] == 4 * n, (b, n)
assert b["dropped_by_crop"] > 0 and b["annotation_problems"] == 0, b
assert m["labels"] == ["blue", "green", "red", "yellow"], m["labels"]
PYEOF

# A --resume that keeps shards counts their boxes as when they were made:
# the state holds each shard's counts beside its checksum.
RES="--annotations $G/csv/boxes.csv --images $G/csv/images --resize-short 64 --crop 32x32 --random-crop --min-box-visible 0.5 --copies 4 --shards 3"
# shellcheck disable=SC2086
$CONV $RES -o "$TMP/cnt/a"
# shellcheck disable=SC2086
$CONV $RES -o "$TMP/cnt/b"
rm "$TMP/cnt/b-00001-of-00003.tfrecord"
# shellcheck disable=SC2086
check "--resume rebuilds one shard of three" $CONV -q $RES --resume -o "$TMP/cnt/b"
cp "$TMP/cnt/b.json" "$TMP/cnt/b1.json"
# shellcheck disable=SC2086
check "--resume again keeps all three" $CONV -q $RES --resume -o "$TMP/cnt/b"
check "... the manifests' box counts equal the uninterrupted run's, both times" \
	$PY - "$TMP/cnt/a.json" "$TMP/cnt/b1.json" "$TMP/cnt/b.json" <<'PYEOF'
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:])
assert a["boxes"]["kept"] > 0, a["boxes"]
assert a["boxes"] == b.get("boxes") == c.get("boxes"), (a["boxes"], b.get("boxes"), c.get("boxes"))
PYEOF

# Retries keep a box when one can be kept.
mkdir -p "$TMP/retry0" "$TMP/retry"
$CONV --annotations "$G/csv/boxes.csv" --images "$G/csv/images" --resize-short 64 --crop 32x32 --random-crop \
	--min-box-visible 0.9 --copies 4 -o "$TMP/retry0/r" 2>/dev/null
check "--box-retries 50 converts" $CONV --annotations "$G/csv/boxes.csv" --images "$G/csv/images" --resize-short 64 \
	--crop 32x32 --random-crop --min-box-visible 0.9 --box-retries 50 --copies 4 -o "$TMP/retry/r"
check "... and keeps more boxes than no retries" $PY - "$TMP/retry0/r.json" "$TMP/retry/r.json" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1]))["boxes"]["kept"]
b = json.load(open(sys.argv[2]))["boxes"]["kept"]
assert b > a, (a, b)
PYEOF

# Output bytes do not depend on -j.
mkdir -p "$TMP/j1" "$TMP/j2"
check "-j 1" $CONV -j 1 --annotations "$G/coco/instances.json" --images "$G/coco/images" --resize-short 96 --crop 64x64 \
	--random-crop --flip --masks --box-retries 5 --copies 2 --shards 3 -o "$TMP/j1/r"
check "-j 2" $CONV -j 2 --annotations "$G/coco/instances.json" --images "$G/coco/images" --resize-short 96 --crop 64x64 \
	--random-crop --flip --masks --box-retries 5 --copies 2 --shards 3 -o "$TMP/j2/r"
same=1
for s in 0 1 2; do
	cmp -s "$TMP/j1/r-0000$s-of-00003.tfrecord" "$TMP/j2/r-0000$s-of-00003.tfrecord" || same=0
done
if [ $same = 1 ]; then ok "-j 1 and -j 2 give the same shards"; else not_ok "-j 1 and -j 2 differ"; fi

# Instance masks.
mkdir -p "$TMP/m1" "$TMP/m2"
check "coco: --masks --encoded" $CONV --annotations "$G/coco/instances.json" --images "$G/coco/images" --masks --encoded -o "$TMP/m1/r"
check "masks are PNGs of the image size on the boxes" $CHECK masks 0.01 "$TMP/m1/r-00000-of-00001.tfrecord"
check "coco: --masks with resize, crop and flip" $CONV --annotations "$G/coco/instances.json" --images "$G/coco/images" --masks \
	--dtype uint8 --resize-short 96 --crop 80x80 --random-crop --flip --copies 2 -o "$TMP/m2/r"
check "warped masks sit on the warped boxes" $CHECK masks 1.0 "$TMP/m2/r-00000-of-00001.tfrecord"

# Semantic masks (VOC SegmentationClass: palette PNGs of class indices).
mkdir -p "$TMP/s1" "$TMP/s2" "$TMP/s3"
check "voc: --segmentation --encoded" $CONV --annotations "$G/voc/Annotations" --images "$G/voc/images" \
	--segmentation "$G/voc/SegmentationClass" --encoded -o "$TMP/s1/r"
check "class maps keep their indices, on the boxes" $CHECK segmentation 0.01 "$TMP/s1/r-00000-of-00001.tfrecord"
check "voc: --segmentation with random resized crop and flip" $CONV --annotations "$G/voc/Annotations" \
	--images "$G/voc/images" --segmentation "$G/voc/SegmentationClass" --dtype uint8 \
	--random-resized-crop 64x64 --flip --copies 3 -o "$TMP/s2/r"
check "warped class maps sit on the warped boxes" $CHECK segmentation 1.0 "$TMP/s2/r-00000-of-00001.tfrecord"
mkdir -p "$TMP/seg-bad"
cp "$G/voc/SegmentationClass/img000.png" "$TMP/seg-bad/img002.png"
check_exit 1 "a class map of another size than its image fails" $CONV --annotations "$G/voc/Annotations" \
	--images "$G/voc/images" --segmentation "$TMP/seg-bad" --encoded -o "$TMP/s3/r"
err_has "... naming the image and both sizes" "img002.png': image/segmentation/class/encoded is"

# --encoded against the TF Object Detection API's converters
# (generate_tfrecord.py, create_pascal_tf_record.py, create_coco_tf_record.py).
if "$PY" -c 'import google.protobuf' 2>/dev/null; then
	for f in voc csv coco; do
		mkdir -p "$TMP/enc-$f"
		check "$f: --encoded" $CONV --annotations "$(annot_of $f)" --images "$G/$f/images" \
			--encoded -o "$TMP/enc-$f/r"
		check "$f: same keys, types and values as the TF OD API's converter" \
			$CHECK tfod "$G/$f" $f "$TMP/enc-$f/r-00000-of-00001.tfrecord"
	done
else
	ok "TF OD API comparison # SKIP python3 has no protobuf module"
fi

# Bad entries: an error naming the file and entry, or a named skip.
B=$TMP/bad
mkdir -p "$B/o1" "$B/o2" "$B/o3"
cp "$G/csv/images/"*.png "$B/"
{
	head -3 "$G/csv/boxes.csv"
	echo "img000.png,9999,20,red,1,1,5,5"
	echo "img001.png,$(sed -n 's/^img001.png,\([0-9]*,[0-9]*\),.*/\1/p' "$G/csv/boxes.csv" | head -1),red,-3,1,5,5"
	echo "gone.png,10,10,red,1,1,5,5"
} >"$B/boxes.csv"
check_exit 1 "a bad row fails the run" $CONV --annotations "$B/boxes.csv" -o "$B/o1/r"
err_has "... naming the file and the line" "boxes.csv': line 4: the width or height differs"
check "--on-error skip converts the rest" $TFREC convert --no-fsync --on-error skip \
	--annotations "$B/boxes.csv" -o "$B/o2/r"
err_has "... reporting the negative box" "line 5: the box has a negative coordinate"
err_has "... and the missing image" "image 'gone.png' is not in"
check "... listed in the manifest" $PY - "$B/o2/r.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
reasons = " ".join(s["reason"] for s in m["skipped"])
assert "line 4" in reasons and "line 5" in reasons and "gone.png" in reasons, reasons
assert m["boxes"]["annotation_problems"] == 3, m["boxes"]
PYEOF

# Hostile annotation files: clear errors with positions, never a crash.
printf '{"images": [{"id": 1, "file_name": "a.jp' >"$B/trunc.json"
check_exit 1 "truncated JSON fails" $CONV --annotations "$B/trunc.json" -o "$B/o3/r"
err_has "... with its offset" "trunc.json': offset"
$PY -c 'print("{\"info\": " + "[" * 100000)' >"$B/deep.json"
check_exit 1 "deeply nested JSON fails" $CONV --annotations "$B/deep.json" --annotation-format coco -o "$B/o3/r"
err_has "... saying so" "nesting deeper than 32 levels"
printf '{"images": [{"id": 1, "file_name": "img000.png", "width": 1e999, "height": 5}], "annotations": [], "categories": []}' >"$B/huge.json"
check_exit 1 "a huge number fails the entry" $CONV --annotations "$B/huge.json" -o "$B/o3/r"
err_has "... named" "images[0]: image 'width' or 'height' is not a positive integer"
mkdir -p "$B/voc"
cat >"$B/voc/laughs.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<annotation><filename>&lol2;</filename></annotation>
XML
check_exit 1 "billion laughs is refused" $CONV --annotations "$B/voc" -o "$B/o3/r"
err_has "... at its line" "laughs.xml': line 2"
printf '<annotation><filename>a.png</filename><size><wid' >"$B/voc/laughs.xml"
check_exit 1 "truncated XML fails" $CONV --annotations "$B/voc" -o "$B/o3/r"
err_has "... with line and column" "laughs.xml': line 1, column"
printf 'filename,width,height,class,xmin,ymin,xmax,ymax\nimg000.png,10,10,red,nan,1,5,5\n' >"$B/nan.csv"
check_exit 1 "a NaN corner fails" $CONV --annotations "$B/nan.csv" -o "$B/o3/r"
err_has "... named by line" "nan.csv': line 2: a corner is not a finite number"

# Box edges: corners up to half a pixel outside the image are clipped,
# further out is an error naming the file and line (or entry).  The real
# raccoon-164 YOLO line ends at y = 184.0001 of 184.
E=$TMP/edge
mkdir -p "$E/yolo" "$E/o"
$PY - "$E" <<'PYEOF'
import json, os, struct, sys
e = sys.argv[1]
def bmp(path, w, h):
    row = (w * 3 + 3) // 4 * 4
    data = bytes((i * 7) & 255 for i in range(row * h))
    hdr = b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54) + \
        struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0)
    open(path, "wb").write(hdr + data)
bmp(os.path.join(e, "yolo", "raccoon-164.bmp"), 274, 184)
bmp(os.path.join(e, "r.bmp"), 274, 184)
open(os.path.join(e, "yolo", "raccoon-164.txt"), "w").write("0 0.343066 0.573370 0.613139 0.853261\n")
open(os.path.join(e, "yolo", "classes.txt"), "w").write("raccoon\n")
def coco(name, boxes):
    json.dump({"images": [{"id": 1, "file_name": "r.bmp", "width": 274, "height": 184}],
               "categories": [{"id": 1, "name": "raccoon"}],
               "annotations": [{"id": i + 1, "image_id": 1, "category_id": 1, "bbox": b}
                               for i, b in enumerate(boxes)]},
              open(os.path.join(e, name), "w"))
coco("edge.json", [[10, 20, 264.5, 164.5], [-0.5, -0.5, 20, 20]])
coco("far.json", [[10, 20, 264.5, 164.5], [10, 20, 265, 10]])
def voc(name, xmax):
    open(os.path.join(e, name), "w").write(
        "<annotation><filename>r.bmp</filename><size><width>274</width><height>184</height>"
        "<depth>3</depth></size><object><name>raccoon</name><bndbox><xmin>1</xmin><ymin>1</ymin>"
        "<xmax>%s</xmax><ymax>184</ymax></bndbox></object></annotation>" % xmax)
voc("edge.xml", "274.5")
voc("far.xml", "275")
for name, xmax in (("edge.csv", "274.4"), ("far.csv", "276")):
    open(os.path.join(e, name), "w").write(
        "filename,width,height,class,xmin,ymin,xmax,ymax\nr.bmp,274,184,raccoon,0,0,%s,184\n" % xmax)
PYEOF
check "edges: raccoon-164's YOLO line converts" $CONV --annotations "$E/yolo" --encoded -o "$E/o/y"
check "edges: ... its ymax clipped to 1" sh -c "$TFREC inspect -d '$E/o/y-00000-of-00001.tfrecord' | grep -q '\"image/object/bbox/ymax\":{\"float\":\\[1\\]}'"
printf '0 0.343066 0.573370 0.613139 0.853261\n0 0.5 0.51 0.2 0.99\n' >"$E/yolo/raccoon-164.txt"
check_exit 1 "edges: a YOLO box 0.9 px below the image fails" $CONV --annotations "$E/yolo" --encoded -o "$E/o/y2"
err_has "... naming the file and line" "raccoon-164.txt': line 2: the box reaches outside the image"
for x in json xml csv; do
	check "edges: $x corners half a pixel out convert" \
		$CONV --annotations "$E/edge.$x" --images "$E" --encoded -o "$E/o/$x"
	check "edges: ... clipped into 0..1" sh -c "$TFREC inspect -d '$E/o/$x-00000-of-00001.tfrecord' | grep -q '\"image/object/bbox/xmax\":{\"float\":\\[1[],]'"
	check_exit 1 "edges: $x a box a pixel or more out fails" \
		$CONV --annotations "$E/far.$x" --images "$E" --encoded -o "$E/o/f$x"
done
err_has "... the CSV one named by line" "far.csv': line 2: the box reaches outside the image"
$CONV --annotations "$E/far.json" --images "$E" --encoded -o "$E/o/fj" 2>"$TMP/.err"
err_has "... the COCO one by entry" "annotations[1]: the box reaches outside the image"
$CONV --annotations "$E/far.xml" --images "$E" --encoded -o "$E/o/fx" 2>"$TMP/.err"
err_has "... the VOC one (xmax = width + 1) by object" "far.xml': object 0: the box reaches outside"

# Usage errors.
check_exit 2 "--random-resized-crop with --crop is a usage error" \
	$CONV --annotations "$B/boxes.csv" --random-resized-crop 32x32 --crop 16x16 -o "$B/o3/r"
check_exit 2 "--min-box-visible above 1 is a usage error" \
	$CONV --annotations "$B/boxes.csv" --min-box-visible 1.5 -o "$B/o3/r"
check_exit 2 "an unknown --annotation-format is a usage error" \
	$CONV --annotations "$B/boxes.csv" --annotation-format xml -o "$B/o3/r"
check_exit 2 "--masks without --annotations is a usage error" $CONV --masks -o "$B/o3/r" "$B"
check_exit 2 "--rrc-scale above 1 is a usage error" \
	$CONV --annotations "$B/boxes.csv" --random-resized-crop 8x8 --rrc-scale 0.5,2 -o "$B/o3/r"

# The shared dali-coco set: a real COCO file with polygons and crowds.
if [ -f "${TESTDATA:-/nonexistent}/dataset/dali-coco/instances.json" ]; then
	D=$TESTDATA/dataset/dali-coco
	mkdir -p "$TMP/dc1" "$TMP/dc2"
	check "dali-coco: --encoded" $CONV --annotations "$D/instances.json" --images "$D/images" \
		--encoded -o "$TMP/dc1/r"
	check "dali-coco: with augmentation and masks" $CONV --annotations "$D/instances.json" \
		--images "$D/images" --masks --resize-short 320 --crop 288x288 --random-crop --flip \
		--min-box-visible 0.3 --box-retries 10 --copies 2 -o "$TMP/dc2/r"
	check "dali-coco: every box of the file is stored, then moved and counted" $PY - "$D/instances.json" "$TMP/dc1" "$TMP/dc2" <<'PYEOF'
import glob, json, os, sys
sys.path.insert(0, os.path.join(os.environ["TOP_SRCDIR"], "scripts"))
import tfrec_read as tr
coco = json.load(open(sys.argv[1]))
n = len(coco["annotations"])
cats = sorted(coco["categories"], key=lambda c: c["id"])
m1 = json.load(open(os.path.join(sys.argv[2], "r.json")))
assert m1["records"] == len(coco["images"]) and m1["boxes"]["kept"] == n, m1
assert m1["labels"] == [c["name"] for c in cats]
byid = {c["id"]: i + 1 for i, c in enumerate(cats)}
want = {}
for a in coco["annotations"]:
    want.setdefault(a["image_id"], []).append((byid[a["category_id"]], a["bbox"], a["iscrowd"]))
ims = {im["file_name"]: im for im in coco["images"]}
for ex in tr.read_examples(glob.glob(os.path.join(sys.argv[2], "r-*.tfrecord"))[0]):
    im = ims[ex["image/filename"][0].decode()]
    w, h = im["width"], im["height"]
    got = list(zip(ex["image/object/class/label"], ex["image/object/bbox/xmin"],
                   ex["image/object/bbox/ymin"], ex["image/object/is_crowd"]))
    exp = want.get(im["id"], [])
    assert len(got) == len(exp), (im, got, exp)
    for (l, x, y, c), (l2, b, c2) in zip(got, exp):
        assert l == l2 and abs(x - b[0] / w) < 1e-6 and abs(y - b[1] / h) < 1e-6 and c == c2
m2 = json.load(open(os.path.join(sys.argv[3], "r.json")))
assert m2["boxes"]["kept"] + m2["boxes"]["dropped_by_crop"] == 2 * n, m2["boxes"]
for ex in tr.read_examples(glob.glob(os.path.join(sys.argv[3], "r-*.tfrecord"))[0]):
    k = len(ex["image/object/bbox/xmin"])
    assert len(ex["image/object/mask"]) == k and len(ex["image/object/class/text"]) == k
    for v in ("xmin", "ymin", "xmax", "ymax"):
        a = ex["image/object/bbox/" + v]
        assert ((a >= 0) & (a <= 1)).all()
PYEOF
else
	ok "dali-coco # SKIP shared test data (dataset/dali-coco) is absent"
fi
done_testing
