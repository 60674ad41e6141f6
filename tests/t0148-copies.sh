#!/bin/sh
# t0148-copies: --copies N above 1 needs a random option (--random-crop,
# --flip or --random-resized-crop), since without one the N copies are
# byte-identical records; with one they differ.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
PHOTOS=$TOP_SRCDIR/sample-data/photos
CONV="$TFREC convert -q --no-fsync --shards 1"
mkdir -p "$TMP/o"
for opts in "" "--resize-short 64 --crop 48x48" "--resize 32x32 --seed 5"; do
	check_exit 2 "--copies 3 ${opts:+with $opts }and no random option is a usage error" \
		$CONV $opts --copies 3 -o "$TMP/o/x" "$PHOTOS"
	err_has "... naming the options that make copies differ" \
		"add --random-crop (with --crop), --flip or --random-resized-crop"
done
check "... and nothing is written" sh -c "! ls '$TMP/o' | grep -q ."
check "--copies 1 needs no random option" $CONV --resize 32x32 --copies 1 -o "$TMP/o/one" "$PHOTOS"
i=0
for opts in "--resize-short 64 --crop 48x48 --random-crop" "--resize 32x32 --flip" \
	"--random-resized-crop 32x32"; do
	i=$((i + 1))
	check "--copies 4 with $opts converts" $CONV $opts --copies 4 -o "$TMP/o/r$i" "$PHOTOS"
	# Copies of an image differ: fewer distinct records would mean some
	# copies repeat (a flip gives exactly two per image).
	check "... and its copies are not all alike" $PY -c "
import sys
sys.path.insert(0, sys.argv[2])
import tfrec_read as tr
recs = list(tr.read_records(sys.argv[1]))
assert len(recs) == 4 * 6, len(recs)
assert len(set(recs)) > 6, len(set(recs))" "$TMP/o/r$i-00000-of-00001.tfrecord" "$TOP_SRCDIR/scripts"
done
done_testing
