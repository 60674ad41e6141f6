#!/bin/sh
# t0050-convert: tfrec convert end to end.  Pixels, orientation, channel
# order, dtypes, layouts and normalization are checked against the
# generated test card and an independent numpy reference; -j and --part
# must not change a byte; bad inputs fail or are skipped with names.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
READ="$PY $TOP_SRCDIR/scripts/tfrec_read.py"
G=$TMP/gen
$PY "$TOP_SRCDIR/tests/gen-images.py" "$G"
PHOTOS=$TOP_SRCDIR/sample-data/photos
export PYTHONPATH="$TOP_SRCDIR/scripts"
CONV="$TFREC convert -q --no-fsync"
for d in s j1 j2 j4 b1 b2 b4 parts seed12 px ref rps ss ss2 ssv gz enc list list2 names bad x loop-out res hard hb u; do
	mkdir -p "$TMP/$d"
done

# --- sample data, labels, manifest ---------------------------------------
check "a missing output directory is made, with its parents" $CONV -o "$TMP/nodir/a/p" "$PHOTOS"
check "... holding the shard" test -f "$TMP/nodir/a/p-00000-of-00001.tfrecord"
check "convert sample-data" $CONV --resize-short 256 --crop 224x224 --shards 2 --index -o "$TMP/s/photos" "$PHOTOS"
printf 'cat\ngoat\n' >"$TMP/want-labels"
check "labels file lists classes in sorted order" cmp "$TMP/s/photos.labels.txt" "$TMP/want-labels"
check "shards verify with their indexes" "$TFREC" verify "$TMP/s/photos-00000-of-00002.tfrecord" "$TMP/s/photos-00001-of-00002.tfrecord"
out_has "index checked" "index ok"
check "manifest is JSON with shard hashes" $PY - "$TMP/s" <<'PYEOF'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "photos.json")))
assert m["records"] == 6 and m["labels"] == ["cat", "goat"], m
assert m["options"]["resize_short"] == 256 and m["options"]["dtype"] == "float16"
for s in m["shards"]:
    data = open(os.path.join(d, s["file"]), "rb").read()
    assert hashlib.sha256(data).hexdigest() == s["sha256"], s
    assert len(data) == s["bytes"]
assert sum(s["records"] for s in m["shards"]) == 6
PYEOF
check "records decode to 224x224x3 float16 with labels" $PY - "$TMP/s" <<'PYEOF'
import glob, sys, numpy as np, tfrec_read as tr
seen = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.tfrecord")):
    for ex in tr.read_examples(f, verify=True):
        img = tr.decode_image(ex)
        assert img.shape == (224, 224, 3) and img.dtype == np.float16
        assert 0 <= img.min() and img.max() <= 1
        name = ex["image/filename"][0].decode()
        cls = ex["image/class/text"][0].decode()
        assert name.startswith(cls + "/"), name
        assert int(ex["image/class/label"][0]) == ["cat", "goat"].index(cls)
        assert ex["image/format"] == [b"raw"] and ex["image/dtype"] == [b"float16"]
        assert list(ex["image/height"]) == [224] and list(ex["image/width"]) == [224]
        seen[name] = 1
assert len(seen) == 6
PYEOF

# --- determinism ------------------------------------------------------------
AUG="--resize-short 64 --crop 48x48 --random-crop --flip --copies 3 --shuffle --seed 11"
for j in 1 2 4; do
	$CONV -j $j $AUG --shards 5 -o "$TMP/j$j/p" "$PHOTOS" "$G/png"
	$CONV -j $j $AUG --shards 1 -o "$TMP/b$j/p" "$PHOTOS" "$G/png"
done
check "-j1 and -j2 give equal bytes (shard-parallel)" diff -r "$TMP/j1" "$TMP/j2"
check "-j1 and -j4 give equal bytes (shard-parallel)" diff -r "$TMP/j1" "$TMP/j4"
check "-j1 and -j4 give equal bytes (record-parallel)" diff -r "$TMP/b1" "$TMP/b4"
mkdir -p "$TMP/nosimd"
TFREC_NO_SIMD=1 $CONV -j 2 $AUG --shards 5 -o "$TMP/nosimd/p" "$PHOTOS" "$G/png"
check "portable code paths (TFREC_NO_SIMD) give the same bytes as SSE4.2/F16C/AVX2" diff -r "$TMP/j1" "$TMP/nosimd"
for i in 1 2 3; do $CONV -j 2 $AUG --shards 5 --part $i/3 -o "$TMP/parts/p" "$PHOTOS" "$G/png"; done
ok_parts=1
for f in "$TMP"/j1/*.tfrecord; do cmp -s "$f" "$TMP/parts/$(basename "$f")" || ok_parts=0; done
[ $ok_parts = 1 ] && ok "the three parts equal the whole run" || not_ok "the three parts equal the whole run"
check "each part has its manifest" test -f "$TMP/parts/p.part-00002-of-00003.json"
$CONV $AUG --seed 12 --shards 5 -o "$TMP/seed12/p" "$PHOTOS" "$G/png"
if cmp -s "$TMP/j1/p-00000-of-00005.tfrecord" "$TMP/seed12/p-00000-of-00005.tfrecord"; then
	not_ok "another seed gives other bytes"; else ok "another seed gives other bytes"; fi
check "copies x images records in all" sh -c "'$TFREC' inspect --count '$TMP'/j1/*.tfrecord | awk '{s+=\$1} END {exit s != 3 * 19}'"

# --- pixels -----------------------------------------------------------------
$CONV --dtype uint8 --shards 1 -o "$TMP/px/png" "$G/png"
check "every PNG orientation and colour type shows the card exactly" $PY - "$TMP/px/png-00000-of-00001.tfrecord" "$G/canon.ppm" <<'PYEOF'
import sys, numpy as np, tfrec_read as tr
raw = open(sys.argv[2], "rb").read()
card = np.frombuffer(raw[raw.index(b"255\n") + 4:], np.uint8).reshape(32, 48, 3)
gray = ((card.astype(np.int64) * [299, 587, 114]).sum(2) + 500) // 1000
n = 0
for ex in tr.read_examples(sys.argv[1]):
    img = tr.decode_image(ex)
    name = ex["image/filename"][0].decode()
    assert img.shape == (32, 48, 3), (name, img.shape)
    if name.startswith("gray"):
        assert np.abs(img[..., 0].astype(int) - gray).max() <= 1, name
        assert (img[..., 0] == img[..., 2]).all()
    else:
        assert (img == card).all(), name
    n += 1
assert n == 13, n
PYEOF
$CONV --dtype uint8 --shards 1 -o "$TMP/px/jpg" "$G/jpeg"
check "every JPEG orientation shows the card (within JPEG error)" $PY - "$TMP/px/jpg-00000-of-00001.tfrecord" "$G/canon.ppm" <<'PYEOF'
import sys, numpy as np, tfrec_read as tr
raw = open(sys.argv[2], "rb").read()
card = np.frombuffer(raw[raw.index(b"255\n") + 4:], np.uint8).reshape(32, 48, 3).astype(int)
n = 0
for ex in tr.read_examples(sys.argv[1]):
    img = tr.decode_image(ex).astype(int)
    name = ex["image/filename"][0].decode()
    if name.startswith("orient"):
        # compare the quadrant centres, away from the edges JPEG blurs
        for y, x in ((8, 12), (8, 36), (24, 12), (24, 36)):
            assert np.abs(img[y, x] - card[y, x]).max() <= 8, (name, y, x, img[y, x], card[y, x])
        n += 1
assert n == 8, n
PYEOF
$CONV --dtype float32 --normalize imagenet --layout chw --shards 1 -o "$TMP/px/chw" "$G/png/orient-1.png"
check "imagenet normalization and chw layout" $PY - "$TMP/px/chw-00000-of-00001.tfrecord" <<'PYEOF'
import sys, numpy as np, tfrec_read as tr
ex = next(tr.read_examples(sys.argv[1]))
img = tr.decode_image(ex)
assert img.shape == (3, 32, 48) and img.dtype == np.float32
mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
red = (np.array([1.0, 0, 0]) - mean) / std
assert np.allclose(img[:, 0, 0], red, atol=1e-5), img[:, 0, 0]
assert list(ex["image/shape"]) == [3, 32, 48]
PYEOF
$CONV --dtype float32 --shards 1 -o "$TMP/px/f32" "$PHOTOS"
$CONV --shards 1 -o "$TMP/px/f16" "$PHOTOS"
check "float16 is float32 rounded to nearest even" $PY - "$TMP/px/f32-00000-of-00001.tfrecord" "$TMP/px/f16-00000-of-00001.tfrecord" <<'PYEOF'
import sys, numpy as np, tfrec_read as tr
for a, b in zip(tr.read_examples(sys.argv[1]), tr.read_examples(sys.argv[2])):
    x, h = tr.decode_image(a), tr.decode_image(b)
    assert (x.astype(np.float16).view(np.uint16) == h.view(np.uint16)).all()
PYEOF
$CONV --channels 1 --dtype uint8 --shards 1 -o "$TMP/px/gray" "$G/png/orient-6.png"
check "--channels 1 gives luma in shape h,w,1" $PY - "$TMP/px/gray-00000-of-00001.tfrecord" <<'PYEOF'
import sys, numpy as np, tfrec_read as tr
img = tr.decode_image(next(tr.read_examples(sys.argv[1])))
assert img.shape == (32, 48, 1), img.shape
assert abs(int(img[0, 0, 0]) - 76) <= 1 and abs(int(img[0, -1, 0]) - 150) <= 1, img[0, 0]
PYEOF

# Reference: an independent numpy resize with the same antialiased
# triangle filter, then a centre crop.  First on lossless PNG input, where
# tfrec must match to float precision; then on JPEG, where tfrec decodes at
# a reduced DCT scale first (a box-like prefilter), so agreement is close
# but not exact.
if command -v djpeg >/dev/null 2>&1; then
	mkdir -p "$TMP/refpng"
	check "make PNG copies of the photos" $PY - "$PHOTOS" "$TMP/refpng" <<'PYEOF'
import os, struct, subprocess, sys, zlib
for cls in ("cat", "goat"):
    for f in sorted(os.listdir(os.path.join(sys.argv[1], cls))):
        ppm = subprocess.run(["djpeg", "-pnm", os.path.join(sys.argv[1], cls, f)], capture_output=True, check=True).stdout
        parts = ppm.split(maxsplit=4)
        w, h, px = int(parts[1]), int(parts[2]), parts[4]
        raw = b"".join(b"\0" + px[y * w * 3:(y + 1) * w * 3] for y in range(h))
        def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
        with open(os.path.join(sys.argv[2], f[:-4] + ".png"), "wb") as o:
            o.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
PYEOF
	cat >"$TMP/ref.py" <<'PYEOF'
import os, subprocess, sys, numpy as np, tfrec_read as tr

def decode(path):
    ppm = subprocess.run(["djpeg", "-pnm", path], capture_output=True, check=True).stdout
    parts = ppm.split(maxsplit=4)
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4], np.uint8).reshape(h, w, 3).astype(np.float64)

def weights(n_in, n_out):
    scale = n_in / n_out
    fs = max(scale, 1.0)
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        c = (o + 0.5) * scale
        i = np.arange(n_in)
        w = np.clip(1 - np.abs((i + 0.5 - c) / fs), 0, None)
        m[o] = w / w.sum()
    return m

shard, photos, mode = sys.argv[1], sys.argv[2], sys.argv[3]
worst_mae = worst_max = 0
for ex in tr.read_examples(shard):
    name = ex["image/filename"][0].decode()
    base = os.path.basename(name)[:-4]
    cls = "cat" if base.startswith("cat") else "goat"
    a = decode(os.path.join(photos, cls, base + ".jpg"))
    h, w = a.shape[:2]
    rh, rw = (100, int(np.floor(w * 100 / h + 0.5))) if h <= w else (int(np.floor(h * 100 / w + 0.5)), 100)
    r = np.einsum("oi,ijc->ojc", weights(h, rh), a)
    r = np.einsum("oj,ijc->ioc", weights(w, rw), r)
    y0, x0 = (rh - 96) // 2, (rw - 96) // 2
    ref = r[y0:y0 + 96, x0:x0 + 96]
    got = tr.decode_image(ex).astype(np.float64)
    mae, mx = np.abs(got - ref).mean(), np.abs(got - ref).max()
    print("%s: mean abs error %.4f, max %.4f (0..255 scale)" % (name, mae, mx))
    worst_mae, worst_max = max(worst_mae, mae), max(worst_max, mx)
    # channel means agree closely: catches swapped channels or flips
    assert np.abs(got.mean((0, 1)) - ref.mean((0, 1))).max() < 1.5, name
if mode == "exact":
    assert worst_max < 0.01, worst_max
else:
    assert worst_mae < 5.0, worst_mae
PYEOF
	$CONV --resize-short 100 --crop 96x96 --dtype float32 --normalize none --shards 1 -o "$TMP/ref/png" "$TMP/refpng"
	check "PNG: resize+crop equals the numpy reference to float precision" $PY "$TMP/ref.py" "$TMP/ref/png-00000-of-00001.tfrecord" "$PHOTOS" exact
	$CONV --resize-short 100 --crop 96x96 --dtype float32 --normalize none --shards 1 -o "$TMP/ref/jpg" "$PHOTOS"
	check "JPEG with DCT scaling: close to the full-size reference" $PY "$TMP/ref.py" "$TMP/ref/jpg-00000-of-00001.tfrecord" "$PHOTOS" dct
	sed 's/^/# /' "$TMP/.out"
else
	skip "resize against the numpy reference" "djpeg is not installed"
fi

# --- sharding ------------------------------------------------------------
$CONV --resize 32x32 --dtype uint8 --records-per-shard 4 -o "$TMP/rps/p" "$PHOTOS" "$G/png"
check "records-per-shard 4 over 19 images gives 5 shards" test -f "$TMP/rps/p-00004-of-00005.tfrecord"
check "the last shard holds 3" sh -c "'$TFREC' inspect --count '$TMP/rps/p-00004-of-00005.tfrecord' | grep -q '^3 '"
rec=$("$TFREC" inspect --json "$TMP/rps/p-00000-of-00005.tfrecord" | sed 's/.*"record_bytes":{"min":\([0-9]*\),.*/\1/')
budget=$(( (rec + 16) * 3 + 40 ))
$CONV --resize 32x32 --dtype uint8 --shard-size $budget -o "$TMP/ss/p" "$PHOTOS" "$G/png"
check "shard-size: no shard passes the budget" sh -c "for f in '$TMP'/ss/*.tfrecord; do [ \$(stat -c %s \"\$f\") -le $budget ] || exit 1; done"
check "shard-size: shards are filled (7 shards for 19 records of which 3 fit)" test -f "$TMP/ss/p-00006-of-00007.tfrecord"
$CONV --resize-short 40 --dtype uint8 --shard-size 20K -o "$TMP/ssv/p" "$PHOTOS"
check "shard-size with variable shapes (planned from headers)" sh -c "for f in '$TMP'/ssv/*.tfrecord; do [ \$(stat -c %s \"\$f\") -le 20480 ] || exit 1; done"
check_exit 1 "a record larger than the shard size is an error" $CONV --resize 64x64 --shard-size 1K -o "$TMP/ss2/p" "$PHOTOS"
err_has "the error says why" "more than the shard size"

$CONV --resize 32x32 --compression gzip --shards 2 -o "$TMP/gz/p" "$PHOTOS"
check "gzip shards are named .gz and verify" "$TFREC" verify "$TMP/gz/p-00000-of-00002.tfrecord.gz"
check "gzip shards read back in Python" $READ --verify "$TMP/gz/p-00000-of-00002.tfrecord.gz"
out_has "gzip detected by the Python reader" "gzip"
check "gzip manifest: sizes and SHA-256 match the files" $PY - "$TMP/gz" <<'PYEOF'
import hashlib, json, os, sys
d = sys.argv[1]
for s in json.load(open(os.path.join(d, "p.json")))["shards"]:
    data = open(os.path.join(d, s["file"]), "rb").read()
    assert len(data) == s["bytes"] and hashlib.sha256(data).hexdigest() == s["sha256"], s
PYEOF
$CONV --encoded --shards 1 -o "$TMP/enc/p" "$PHOTOS"
check "--encoded keeps the original bytes" $PY - "$TMP/enc/p-00000-of-00001.tfrecord" "$PHOTOS" <<'PYEOF'
import sys, tfrec_read as tr
n = 0
for ex in tr.read_examples(sys.argv[1]):
    name = ex["image/filename"][0].decode()
    assert ex["image/encoded"][0] == open(sys.argv[2] + "/" + name, "rb").read()
    assert ex["image/format"] == [b"jpeg"]
    n += 1
assert n == 6
PYEOF

# --- lists and labels ------------------------------------------------------
cp "$G/png/orient-1.png" "$G/png/orient-2.png" "$TMP/"
printf 'orient-1.png 3\n# a comment\n\norient-2.png 0\n' >"$TMP/list.txt"
$CONV --dtype uint8 --shards 1 --list "$TMP/list.txt" -o "$TMP/list/p"
check "integer labels in a list are the ids" $PY - "$TMP/list/p-00000-of-00001.tfrecord" <<'PYEOF'
import sys, tfrec_read as tr
labels = [int(ex["image/class/label"][0]) for ex in tr.read_examples(sys.argv[1])]
assert labels == [3, 0], labels
PYEOF
printf 'orient-1.png zebra\norient-2.png ant\n' | (cd "$TMP" && $CONV --dtype uint8 --shards 1 --list - -o "$TMP/list2/p")
check "text labels from stdin get sorted ids" $PY - "$TMP/list2/p-00000-of-00001.tfrecord" <<'PYEOF'
import sys, tfrec_read as tr
got = [(ex["image/class/text"][0], int(ex["image/class/label"][0])) for ex in tr.read_examples(sys.argv[1])]
assert got == [(b"zebra", 1), (b"ant", 0)], got
PYEOF
$CONV --dtype uint8 --shards 1 -o "$TMP/names/p" "$G/names"
check "odd file names survive" $PY - "$TMP/names/p-00000-of-00001.tfrecord" <<'PYEOF'
import sys, tfrec_read as tr
names = [ex["image/filename"][0] for ex in tr.read_examples(sys.argv[1])]
assert names == sorted(names) and len(names) == 4, names
assert b"caf\xc3\xa9.png" in names and b"latin1-\xe9.png" in names and b"with space.png" in names
PYEOF

# --- bad inputs --------------------------------------------------------------
check_exit 1 "a bad image fails the run by default" $CONV --shards 1 -o "$TMP/bad/p" "$G/bad"
err_has "the failing file is named" "$G/bad/"
if ls "$TMP/bad" 2>/dev/null | grep -q .; then not_ok "nothing is left behind after a failure"; ls "$TMP/bad" | sed 's/^/# /'; else ok "nothing is left behind after a failure"; fi
check "--on-error skip finishes" "$TFREC" convert --no-fsync --on-error skip --shards 1 -o "$TMP/bad/p" "$G/bad" "$G/png/orient-1.png"
err_has "skipped files are listed" "skipped '$G/bad/empty.jpg'"
err_has "the bomb is refused from its header" "60000x60000 pixels exceeds the limit"
err_has "truncation is named" "truncated.jpg': invalid JPEG: data ends before the image is complete"
err_has "non-images are named" "text.png': not an image tfrec can read"
# A centre crop leaves the bottom rows undecoded; the file must still be
# whole.  Cut a photo just before its end, drop only its EOI marker, and
# add bytes after it: the first two are errors, the last is not.
mkdir -p "$TMP/tail"
$PY - "$PHOTOS" "$TMP/tail" <<'PYEOF'
import glob, sys
src = sorted(glob.glob(sys.argv[1] + "/*/*.jpg"))[0]
data = open(src, "rb").read()
assert data.endswith(b"\xff\xd9")
open(sys.argv[2] + "/cut.jpg", "wb").write(data[:-300])
open(sys.argv[2] + "/no-eoi.jpg", "wb").write(data[:-2])
open(sys.argv[2] + "/trailer.jpg", "wb").write(data + b"\0" * 100 + b"junk")
PYEOF
for f in cut no-eoi; do
	check_exit 1 "centre crop of a JPEG cut near its end ($f) is an error" $CONV --resize-short 64 --crop 32x32 --shards 1 -o "$TMP/tail/o-$f" "$TMP/tail/$f.jpg"
	err_has "... and says so ($f)" "$f.jpg': invalid JPEG: data ends before the image is complete"
done
check "bytes after the EOI marker are fine" $CONV --resize-short 64 --crop 32x32 --shards 1 -o "$TMP/tail/o-trailer" "$TMP/tail/trailer.jpg"
check "manifest lists the 4 skipped files" $PY -c "import json,sys; m=json.load(open('$TMP/bad/p.json')); assert len(m['skipped']) == 4 and m['records'] == 1, m"
check_exit 1 "a missing input fails" $CONV -o "$TMP/x/p" "$TMP/does-not-exist"
err_has "the missing input is named" "does-not-exist"
mkdir -p "$TMP/loop/a" && cp "$G/png/orient-1.png" "$TMP/loop/a/" && ln -s .. "$TMP/loop/a/up"
check_exit 1 "a symlink loop fails by default" $CONV -o "$TMP/loop-out/p" "$TMP/loop"
err_has "the loop is named" "directory loop"
check "a symlink loop is skipped with --on-error skip" $CONV --on-error skip -o "$TMP/loop-out/p" "$TMP/loop"

# --- resume -----------------------------------------------------------------
$CONV --resize 32x32 --shards 4 -o "$TMP/res/p" "$PHOTOS" "$G/png"
cp -r "$TMP/res" "$TMP/res-orig"
rm "$TMP/res/p-00001-of-00004.tfrecord"
head -c 1000 "$TMP/res-orig/p-00002-of-00004.tfrecord" >"$TMP/res/p-00002-of-00004.tfrecord"
check "--resume completes the run" $CONV --resize 32x32 --shards 4 --resume -o "$TMP/res/p" "$PHOTOS" "$G/png"
check "--resume output equals an uninterrupted run" diff -r "$TMP/res" "$TMP/res-orig"

# --- usage ------------------------------------------------------------------
check_exit 2 "no -o is a usage error" "$TFREC" convert "$PHOTOS"
check_exit 2 "two sharding options is a usage error" "$TFREC" convert --shards 2 --records-per-shard 3 -o "$TMP/u" "$PHOTOS"
check_exit 2 "--random-crop without --crop" "$TFREC" convert --random-crop -o "$TMP/u" "$PHOTOS"
check_exit 2 "bad --resize" "$TFREC" convert --resize 12 -o "$TMP/u" "$PHOTOS"
check_exit 2 "--index with gzip" "$TFREC" convert --index --compression gzip -o "$TMP/u" "$PHOTOS"
check_exit 2 "bad --part" "$TFREC" convert --part 4/3 -o "$TMP/u" "$PHOTOS"
check_exit 2 "uint8 with normalize" "$TFREC" convert --dtype uint8 --normalize imagenet -o "$TMP/u" "$PHOTOS"

# --- outside material ----------------------------------------------------------
if have_testdata images "the shared hard and bad images"; then
	check "the hard images convert (12-bit JPEG skipped)" "$TFREC" convert --no-fsync --on-error skip --resize-short 32 --crop 24x24 --shards 1 -o "$TMP/hard/p" "$TESTDATA/images"
	# Every image file under images/ (JPEG, PNG and the Pillow and DALI
	# files in WebP, TIFF, GIF, BMP and JPEG 2000) must convert, except
	# the 12-bit JPEG; the count comes from the files themselves, so new
	# shared data cannot make this test stale again.
	n_hard=$(find "$TESTDATA/images" -type f | grep -icE '\.(jpe?g|png|webp|tiff?|gif|bmp|jp2)$')
	check "all but the 12-bit JPEG made it ($n_hard files)" $PY -c "import json; m=json.load(open('$TMP/hard/p.json')); s=m['skipped']; assert len(s)==1 and 'monkey12' in s[0]['file'] and 'precision 12' in s[0]['reason'], s; assert m['records']==$n_hard-1 and $n_hard>100, (m['records'], $n_hard)"
	check_exit 1 "images-bad fail the run by default" $CONV --shards 1 -o "$TMP/hb/p" "$TESTDATA/images-bad"
	check "images-bad: each is skipped with a reason" "$TFREC" convert --no-fsync --on-error skip --shards 1 -o "$TMP/hb/p" "$TESTDATA/images-bad"
	check "TF's expectations: bad_huffman decodes, corrupt* fail" $PY - "$TMP/hb/p.json" "$TMP/hb/p-00000-of-00001.tfrecord" <<'PYEOF'
import json, sys, tfrec_read as tr
m = json.load(open(sys.argv[1]))
skipped = {s["file"].rsplit("/", 1)[1] for s in m["skipped"]}
for bad in ("corrupt.jpg", "corrupt34_2.jpg", "corrupt34_3.jpg", "corrupt34_4.jpg", "truncated_jpeg.jpg", "broken.png", "truncated_image.png"):
    assert bad in skipped, bad
names = {ex["image/filename"][0].decode().rsplit("/", 1)[1]: ex for ex in tr.read_examples(sys.argv[2])}
assert "bad_huffman.jpg" in names
ex = names["bad_huffman.jpg"]
assert list(ex["image/height"]) == [768] and list(ex["image/width"]) == [1024]
assert all(s["reason"] for s in m["skipped"])
PYEOF
fi
done_testing
