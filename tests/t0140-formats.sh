#!/bin/sh
# t0140-formats: every format tfrec decodes, against Pillow.
#   - tests/gen-formats.py makes one picture in every format and layout
#     (PNG, WebP, TIFF, GIF, BMP, JPEG 2000, PNM); each record of a
#     --dtype uint8 convert must match Pillow's decode (tests/pil-compare.py)
#     as RGB, as gray and composited with --background;
#   - the Pillow and DALI_extra files in ../shared/testdata/images all
#     decode and match Pillow, and images-bad/pillow-formats never crash;
#   - each codec refuses an image over --max-pixels from its header, and a
#     small file that claims a huge image (GIF screen, TIFF strip, WebP
#     size, BMP and PNM headers, JPEG 2000 tiles and missing data, JPEG
#     coefficients) is refused quickly in little memory, naming the file;
#   - JPEG: more than 100 progressive scans, and a scan without data, are
#     errors (issue 10, items 7, 10 and 12).
. "${TOP_SRCDIR}/tests/lib.sh"
PY=
for p in /usr/bin/python3 ${PYTHON3:-} python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy, PIL' 2>/dev/null; then
		PY=$p
		break
	fi
done
if [ -z "$PY" ]; then
	echo "1..0 # SKIP python3 with numpy and Pillow (python3-pil) is not installed"
	exit 0
fi
RSSPY="$TOP_SRCDIR/bench/peak-rss.py"
[ -f "$RSSPY" ] || RSSPY="$TOP_SRCDIR/scripts/peak-rss.py"
CMP="$PY $TOP_SRCDIR/tests/pil-compare.py"
CONV="$TFREC convert --no-fsync --dtype uint8 --shards 1"
mkdir -p "$TMP/o"

# within MAE MAX FILE: every line of a pil-compare report is within the
# mean and maximum absolute differences (0..255), or names a file Pillow
# cannot read ("nopil"); prints the worst lines.
within() {
	awk -v mae="$1" -v max="$2" '
		$2 == "nopil" { next }
		$2 == "shape" || $2 + 0 > mae || $3 + 0 > max { bad++; print "# " $0 }
		END { exit bad > 0 }' "$3"
}

# --- generated files --------------------------------------------------------
$PY "$TOP_SRCDIR/tests/gen-formats.py" "$TMP/gen"
n=$(ls "$TMP/gen" | wc -l)
# The same picture where Pillow 9.4 reads a layout wrong or not at all:
# an odd-length RLE4 literal run, and its own YCbCr TIFF.
REFS="bmp-rle4.bmp=bmp-4-topdown.bmp tiff-ycbcr.tif=tiff-rgb-raw.tif"
check "every generated format converts ($n files)" $CONV -o "$TMP/o/gen" "$TMP/gen"
check "... one record each" $PY -c "import json; m=json.load(open('$TMP/o/gen.json')); assert m['records'] == $n, m['records']"
$CMP "$TMP/o/gen-00000-of-00001.tfrecord" "$TMP/gen" 3 - $REFS >"$TMP/rgb.txt"
check "RGB pixels match Pillow ($(wc -l <"$TMP/rgb.txt") files, mean diff <= 1, max <= 3)" within 1 3 "$TMP/rgb.txt"
check "gray converts" $CONV --channels 1 -o "$TMP/o/gray" "$TMP/gen"
$CMP "$TMP/o/gray-00000-of-00001.tfrecord" "$TMP/gen" 1 - $REFS >"$TMP/gray.txt"
# A gray JPEG output is libjpeg's Y channel (as TensorFlow's), Pillow's L
# is the luma of its rounded RGB: a few levels apart at sharp edges.
check "gray pixels match Pillow's L (mean diff <= 1, max <= 6)" within 1 6 "$TMP/gray.txt"
check "--background converts" $CONV --background 10,200,30 -o "$TMP/o/bg" "$TMP/gen"
$CMP "$TMP/o/bg-00000-of-00001.tfrecord" "$TMP/gen" 3 10,200,30 $REFS >"$TMP/bg.txt"
check "alpha composited over 10,200,30 matches Pillow" within 1 3 "$TMP/bg.txt"
check "the manifest records the background" $PY -c "import json; m=json.load(open('$TMP/o/bg.json')); assert m['options']['background'] == [10, 200, 30], m['options']"
check "default: alpha dropped, colour kept (PNG as TensorFlow's decode_png)" \
	grep -q '^png-rgba.png 0.000 0$' "$TMP/rgb.txt"
check_exit 2 "--background needs three values" "$TFREC" convert --background 1,2 -o "$TMP/o/x" "$TMP/gen"
check_exit 2 "--background values are bytes" "$TFREC" convert --background 1,2,256 -o "$TMP/o/x" "$TMP/gen"
check "--encoded names the real format" $CONV --encoded -o "$TMP/o/enc" "$TMP/gen"
check "... in image/format" $PY -c "
import sys; sys.path.insert(0, '$TOP_SRCDIR/scripts'); import tfrec_read as tr
want = {'bmp': 'bmp', 'gif': 'gif', 'jp2': 'jp2', 'jpeg': 'jpeg', 'png': 'png', 'pnm': 'pnm', 'tiff': 'tiff', 'webp': 'webp'}
seen = set()
for ex in tr.read_examples('$TMP/o/enc-00000-of-00001.tfrecord'):
    name = ex['image/filename'][0].decode(); got = ex['image/format'][0].decode()
    assert got == want[name.split('-')[0]], (name, got)
    seen.add(got)
assert seen == set(want.values()), seen
"

mkdir -p "$TMP/o/export"
check "inspect --export renders every stored format" "$TFREC" inspect --export "$TMP/o/export" "$TMP/o/enc-00000-of-00001.tfrecord"
check "... one PNG a record, each the picture's size" $PY -c "
import glob, sys; sys.path.insert(0, '$TOP_SRCDIR/scripts'); import tfrec_read as tr
from PIL import Image
exs = list(tr.read_examples('$TMP/o/enc-00000-of-00001.tfrecord'))
for i, ex in enumerate(exs):
    im = Image.open('$TMP/o/export/%05d.png' % i)
    ref = Image.open('$TMP/gen/' + ex['image/filename'][0].decode())
    assert im.size[0] * im.size[1] == ref.size[0] * ref.size[1], (i, im.size, ref.size)
"

# JPEG 2000 at a reduced resolution (400x300 needs 50x38: three halvings)
# against its PNG twin decoded whole, both resized the same way.
mkdir -p "$TMP/o/jp2" "$TMP/jp2"
cp "$TMP/gen/jp2-big.jp2" "$TMP/gen/png-big.png" "$TMP/jp2/"
check "JPEG 2000 converts at a reduced resolution" $CONV --resize 50x38 -o "$TMP/o/jp2/r" "$TMP/jp2"
check "... close to the same picture from PNG (mean diff <= 3)" $PY -c "
import sys; sys.path.insert(0, '$TOP_SRCDIR/scripts'); import tfrec_read as tr, numpy as np
a, b = [tr.decode_image(ex).astype(int) for ex in tr.read_examples('$TMP/o/jp2/r-00000-of-00001.tfrecord')]
d = np.abs(a - b).mean(); print(d); assert a.shape == b.shape == (38, 50, 3) and d <= 3, (a.shape, d)"

# --- every codec checks the pixel cap before it allocates ---------------------
check "--max-pixels 100 refuses every file" $CONV --on-error skip --max-pixels 100 -o "$TMP/o/cap" "$TMP/gen"
check "... each from its header, naming the limit" $PY -c "
import json; m = json.load(open('$TMP/o/cap.json')); s = m['skipped']
assert m['records'] == 0 and len(s) == $n, (m['records'], len(s))
assert all('exceeds the limit of 100 pixels' in x['reason'] for x in s), s"

check "a tight --max-pixels still decodes a small progressive JPEG (decoder memory floor)" \
	$CONV --max-pixels 1400 -o "$TMP/o/tight" "$TMP/gen/jpeg-prog-orient6.jpg"

# --- small files that claim a lot ----------------------------------------------
$PY "$TOP_SRCDIR/tests/gen-formats.py" --hostile "$TMP/h"
refused() { # refused FILE MESSAGE: fails fast, under 64 MiB, naming the file
	f=$1
	shift
	check_exit 1 "$f is refused" $PY "$RSSPY" $CONV --resize 32x32 -o "$TMP/o/h" "$TMP/h/$f"
	err_has "... naming it: $*" "$f': $*"
	if [ "${TFREC_VALGRIND:-0}" = 1 ]; then
		ok "... in little memory # SKIP memory is not measured under valgrind"
	else
		mib=$(sed -n 's/^peak_rss_mib //p' "$TMP/.err" | cut -d. -f1)
		s=$(sed -n 's/^cpu_seconds //p' "$TMP/.err" | cut -d. -f1)
		if [ "${mib:-999}" -lt 64 ] && [ "${s:-99}" -lt 2 ]; then
			ok "... in little memory ($mib MiB)"
		else
			not_ok "... in little memory ($mib MiB, $s s)"
		fi
	fi
}
refused screen.gif "image of 65535x65535 pixels exceeds the limit"
refused strips.tif "invalid TIFF: strip 0 claims"
refused dims.webp "image of 16383x16383 pixels exceeds the limit"
refused lying.bmp "invalid BMP: data ends before the image is complete"
refused lying.ppm "invalid PNM: data ends before the image is complete"
refused tiles.j2k "JPEG 2000 of 250x250 tiles exceeds the limit of 8192 tiles"
refused cut.j2k "invalid JPEG 2000"
refused coefs.jpg "JPEG needs more decoder memory"
refused noscan.jpg "invalid JPEG: no image data after the scan header"
refused nosos.jpg "invalid JPEG"
refused scans.jpg "invalid JPEG: more than 100 scans"
check "90 scans are fine" $CONV --resize 32x32 -o "$TMP/o/s" "$TMP/h/scans-ok.jpg"
check "--on-error skip goes on past all of them" $CONV --resize 32x32 --on-error skip -o "$TMP/o/hs" "$TMP/h"
check "... with one record" $PY -c "import json; m=json.load(open('$TMP/o/hs.json')); assert m['records'] == 1 and len(m['skipped']) == $(ls "$TMP/h" | wc -l) - 1, m"

# --- shared test data -------------------------------------------------------------
if [ ! -d "${TESTDATA:-/nonexistent}/images/pillow-formats" ]; then
	ok "Pillow and DALI_extra files # SKIP shared test data (images/pillow-formats) is absent"
	done_testing
	exit $?
fi
for d in pillow-formats dali-extra-formats; do
	n=$(find "$TESTDATA/images/$d" -type f | wc -l)
	check "images/$d: every file converts ($n)" $CONV -o "$TMP/o/$d" "$TESTDATA/images/$d"
	check "... one record each" $PY -c "import json; m=json.load(open('$TMP/o/$d.json')); assert m['records'] == $n, m['records']"
done
# Pillow 9.4 reads pal4rle.bmp wrong (odd RLE4 literal runs) and zeroes
# the colour of low-alpha pixels in 16-bit JPEG 2000: the same pictures
# in files it reads right are the references.
$CMP "$TMP/o/pillow-formats-00000-of-00001.tfrecord" "$TESTDATA/images/pillow-formats" 3 - \
	bmp/g/pal4rle.bmp=bmp/g/pal4.bmp >"$TMP/pf.txt"
# tiff_16bit_RGBa.tiff has premultiplied alpha, which libtiff gives in 8
# bits: dividing it out loses precision where alpha is tiny.
grep -v '^tiff_16bit_RGBa.tiff ' "$TMP/pf.txt" >"$TMP/pf1.txt"
grep '^tiff_16bit_RGBa.tiff ' "$TMP/pf.txt" >"$TMP/pf2.txt"
check "pillow-formats match Pillow ($(grep -vc nopil "$TMP/pf.txt") compared, $(grep -c nopil "$TMP/pf.txt") Pillow cannot read)" within 1 3 "$TMP/pf1.txt"
check "... premultiplied 16-bit RGBA TIFF within 4 on average" within 4 255 "$TMP/pf2.txt"
$CMP "$TMP/o/dali-extra-formats-00000-of-00001.tfrecord" "$TESTDATA/images/dali-extra-formats" 3 - \
	multichannel/with_alpha_16bit/4ch16bpp.jp2=multichannel/with_alpha_16bit/4ch16bpp.png >"$TMP/de.txt"
check "dali-extra-formats match Pillow ($(wc -l <"$TMP/de.txt") files)" within 1 3 "$TMP/de.txt"
bad="$TESTDATA/images-bad/pillow-formats"
n=$(find "$bad" -type f | wc -l)
check "images-bad/pillow-formats: none crashes ($n files)" $CONV --on-error skip -o "$TMP/o/bad" "$bad"
check "... each is a record or a skip with a reason" $PY -c "
import json; m = json.load(open('$TMP/o/bad.json'))
assert m['records'] + len(m['skipped']) == $n, m
assert all(s['reason'] for s in m['skipped'])"
done_testing
