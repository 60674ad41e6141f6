#!/bin/sh
# t0147-jpeg-warnings: libjpeg warnings that mean lost entropy data are
# errors naming the file (or reported skips under --on-error skip); the
# ones that lose nothing are not.  The files are made from a real photo by
# tests/gen-jpeg-warn.py; djpeg, where installed, confirms each one makes
# the warning it is meant to.  Broken files of other projects from the
# shared test data are checked too, when present.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
PHOTOS=$TOP_SRCDIR/sample-data/photos
PHOTO=$PHOTOS/cat/cat-800x600-2.jpg
W=$TMP/warn
$PY "$TOP_SRCDIR/tests/gen-jpeg-warn.py" "$W" "$PHOTO" || { not_ok "gen-jpeg-warn.py"; done_testing; exit; }
mkdir -p "$TMP/o" "$TMP/ref" "$TMP/ex" "$TMP/skip"
CONV="$TFREC convert -q --no-fsync --shards 1"

# djpeg (libjpeg-turbo-progs) tells which warning each file makes.
if command -v djpeg >/dev/null 2>&1; then
	check_exit 2 "djpeg warns on short-scan.jpg" djpeg -outfile /dev/null "$W/short-scan.jpg"
	err_has "... premature end of data segment" "premature end of data segment"
	check_exit 2 "djpeg warns on cut-eoi.jpg" djpeg -outfile /dev/null "$W/cut-eoi.jpg"
	err_has "... premature end of data segment" "premature end of data segment"
	check_exit 2 "djpeg warns on extraneous.jpg" djpeg -outfile /dev/null "$W/extraneous.jpg"
	err_has "... extraneous bytes" "3 extraneous bytes before marker 0xda"
else
	skip "djpeg confirms the warnings" "djpeg is not installed (libjpeg-turbo-progs)"
fi
check "short-scan.jpg declares 10000x10000 in a few hundred bytes" $PY -c "
import os, struct, sys
d = open(sys.argv[1], 'rb').read()
i = d.index(b'\xff\xc0')
assert struct.unpack('>HH', d[i + 5:i + 9]) == (10000, 10000) and len(d) < 1024 and d.endswith(b'\xff\xd9')
" "$W/short-scan.jpg"

# --- lost data: an error naming the file ------------------------------------------
check_exit 1 "a 10000x10000 frame with 20 bytes of scan data is an error" \
	$CONV --resize-short 64 -o "$TMP/o/s" "$W/short-scan.jpg"
err_has "... naming the file and the warning" "short-scan.jpg': invalid JPEG: Corrupt JPEG data: premature end of data segment"
check "... and nothing is written" sh -c "! ls '$TMP/o' | grep -q ."
check_exit 1 "a photo cut in its scan and closed with EOI is an error" $CONV -o "$TMP/o/c" "$W/cut-eoi.jpg"
err_has "... naming the file and the warning" "cut-eoi.jpg': invalid JPEG: Corrupt JPEG data: premature end of data segment"
check_exit 1 "... also with a centre crop at a reduced scale" \
	$CONV --resize-short 64 --crop 32x32 -o "$TMP/o/c" "$W/cut-eoi.jpg"
check "--on-error skip finishes" $TFREC convert --no-fsync --shards 1 --on-error skip \
	--resize-short 64 --crop 32x32 -o "$TMP/skip/p" "$W/short-scan.jpg" "$W/cut-eoi.jpg" "$PHOTO"
err_has "... reporting the short scan as skipped" "skipped '$W/short-scan.jpg'"
err_has "... and the cut photo" "skipped '$W/cut-eoi.jpg'"
check "... the manifest lists both, with 1 record" $PY -c "
import json, sys
m = json.load(open(sys.argv[1]))
assert m['records'] == 1 and len(m['skipped']) == 2, m" "$TMP/skip/p.json"

# --- nothing lost: accepted, with the photo's own pixels --------------------------
check "extraneous bytes before a marker are accepted" $CONV --resize-short 64 -o "$TMP/ex/p" "$W/extraneous.jpg"
$CONV --resize-short 64 -o "$TMP/ref/p" "$PHOTO"
check "... giving the same tensor as the photo itself" env PYTHONPATH="$TOP_SRCDIR/scripts" \
	$PY "$TOP_SRCDIR/tests/same-records.py" "$TMP/ex/p" "$TMP/ref/p" --ordered

# --- other projects' broken files ------------------------------------------------------
if have_testdata images-bad/tensorflow "TensorFlow's corrupt JPEGs"; then
	B=$TESTDATA/images-bad/tensorflow
	for f in corrupt.jpg corrupt34_2.jpg corrupt34_3.jpg corrupt34_4.jpg; do
		check_exit 1 "tensorflow/$f (corrupt scan data) is an error" $CONV -o "$TMP/o/t" "$B/$f"
		err_has "... naming it" "$f': invalid JPEG"
	done
fi
if have_testdata images-bad/pillow "Pillow's broken JPEGs"; then
	check "pillow/truncated_app14.jpg (1 extraneous byte) is accepted" \
		$CONV -o "$TMP/o/a" "$TESTDATA/images-bad/pillow/truncated_app14.jpg"
fi
done_testing
