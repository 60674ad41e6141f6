#!/bin/sh
# t0145-jpeg-sampling: region decoding at every JPEG sampling factor
# without SIMD (tests/unit-jpeg-sampling runs with it in make check), and
# tfrec convert over the same files with a crop: two runs, and -j 1
# against -j 2, give identical bytes.  Under TFREC_VALGRIND=1 the convert
# runs go through valgrind (scripts/test.sh), with JSIMD_FORCENONE=1 so
# that valgrind sees libjpeg's C code.  The cjpeg file with luma 4x2 over
# chroma 1x1 is the one issue 16 reported.
. "${TOP_SRCDIR}/tests/lib.sh"
UNIT="${TOP_BUILDDIR:-.}/tests/unit-jpeg-sampling"
if [ ! -x "$UNIT" ]; then
	echo "1..0 # SKIP tests/unit-jpeg-sampling is not built"; exit 0
fi

if [ "${TFREC_VALGRIND:-0}" = 1 ]; then
	ok "every layout, scale and crop phase without SIMD # SKIP done outside valgrind"
else
	if JSIMD_FORCENONE=1 TFREC_NO_SIMD=1 "$UNIT" >"$TMP/unit.out" 2>&1 &&
	   grep -q '^1\.\.[1-9]' "$TMP/unit.out"; then
		ok "every layout, scale and crop phase without SIMD ($(grep -c '^ok' "$TMP/unit.out") files)"
	else
		not_ok "every layout, scale and crop phase without SIMD"
		grep '^not ok' "$TMP/unit.out" | head -10 | sed 's/^/# /'
	fi
fi

mkdir -p "$TMP/j" "$TMP/o1" "$TMP/o2" "$TMP/o3"
check "the layouts are written as files" "$UNIT" --write "$TMP/j"
if command -v cjpeg >/dev/null 2>&1; then
	djpeg -pnm "$(find "$TOP_SRCDIR/sample-data/photos" -name "*.jpg" | sort | head -1)" >"$TMP/p.ppm"
	check "cjpeg writes luma 4x2 over chroma 1x1" cjpeg -sample 4x2,1x1,1x1 -outfile "$TMP/j/cjpeg-4x2.jpg" "$TMP/p.ppm"
	check "cjpeg writes luma 2x4 over chroma 1x1" cjpeg -sample 2x4,1x1,1x1 -outfile "$TMP/j/cjpeg-2x4.jpg" "$TMP/p.ppm"
else
	ok "cjpeg writes luma 4x2 over chroma 1x1 # SKIP cjpeg is not installed"
	ok "cjpeg writes luma 2x4 over chroma 1x1 # SKIP cjpeg is not installed"
fi
n=$(ls "$TMP/j" | wc -l)
CONV="env JSIMD_FORCENONE=1 $TFREC convert --no-fsync --resize-short 96 --crop 96x96 --random-crop --seed 7 --shards 1"
check "convert with a crop, run 1 ($n files)" $CONV -j 1 -o "$TMP/o1/p" "$TMP/j"
check "convert with a crop, run 2" $CONV -j 1 -o "$TMP/o2/p" "$TMP/j"
check "convert with a crop, -j 2" $CONV -j 2 -o "$TMP/o3/p" "$TMP/j"
check "two runs give identical bytes" cmp "$TMP/o1/p-00000-of-00001.tfrecord" "$TMP/o2/p-00000-of-00001.tfrecord"
check "-j 1 and -j 2 give identical bytes" cmp "$TMP/o1/p-00000-of-00001.tfrecord" "$TMP/o3/p-00000-of-00001.tfrecord"
done_testing
