#!/bin/sh
# t0110-pipeline: the documented Makefile (examples/pipeline.mk) works
# under make -j2, rebuilds nothing when nothing changed, rebuilds only
# what changed, and never leaves an up-to-date target after a failure.
# Also: the progress bar shows on a terminal and never in a pipe.
. "${TOP_SRCDIR}/tests/lib.sh"
command -v make >/dev/null 2>&1 || skip_all "make is not installed"
MK="make -s -f $TOP_SRCDIR/examples/pipeline.mk TFREC=$TFREC DATA=$TMP/data OUT=$TMP/out"
OPTS='OPTS=--resize-short 40 --crop 32x32 --shards 2'
mkdir -p "$TMP/data/train" "$TMP/data/val/cat" "$TMP/data/val/goat"
cp -r "$TOP_SRCDIR/sample-data/photos/cat" "$TOP_SRCDIR/sample-data/photos/goat" "$TMP/data/train/"
cp "$TOP_SRCDIR/sample-data/photos/cat/cat-800x600-2.jpg" "$TMP/data/val/cat/"
cp "$TOP_SRCDIR/sample-data/photos/goat/goat-320x320-2.jpg" "$TMP/data/val/goat/"

check "make -j2 builds both splits" $MK -j2 "$OPTS"
check "train is converted, verified and indexed" test -f "$TMP/out/train.indexed" -a -f "$TMP/out/train-00001-of-00002.tfrecord.idx"
check "val too" test -f "$TMP/out/val.indexed"
check "the shards verify with their indexes" sh -c "'$TFREC' verify -q '$TMP'/out/*.tfrecord"
check "make -q: everything is up to date" $MK -q "$OPTS"
$MK -n "$OPTS" >"$TMP/dry" 2>&1
if grep -q -e convert -e verify -e index "$TMP/dry"; then not_ok "a second make has nothing to do"; else ok "a second make has nothing to do"; fi
cp -p "$TMP/out/val.json" "$TMP/val.json.before"
sleep 1
touch "$TMP/data/train/cat/cat-640x853-1.jpg"
check_exit 1 "after touching an input, make -q says out of date" $MK -q "$OPTS"
check "make rebuilds" $MK -j2 "$OPTS"
check "only the changed split was rebuilt" test ! "$TMP/out/val.json" -nt "$TMP/val.json.before"
# A corrupt image makes the conversion fail; nothing may look done.
printf 'not a jpeg' >"$TMP/data/val/cat/broken.jpg"
check_exit 2 "a corrupt input fails the make" $MK -j2 "$OPTS"
check_exit 1 "after the failure make -q says out of date" $MK -q "$OPTS"
check_exit 2 "and it fails again, not silently passing" $MK "$OPTS"
rm "$TMP/data/val/cat/broken.jpg"
check "after the fix make succeeds" $MK -j2 "$OPTS"
check "and all is up to date" $MK -q "$OPTS"

# The progress bar: only on a terminal.
"$TFREC" convert --no-fsync --resize 32x32 --flip --copies 20 --shards 1 -o "$TMP/out/pipe" "$TMP/data/train" 2>"$TMP/pipe.err"
if grep -q '\[#' "$TMP/pipe.err"; then not_ok "no progress bar in a pipe"; else ok "no progress bar in a pipe"; fi
if command -v script >/dev/null 2>&1; then
	script -qec "'$TFREC' convert --no-fsync --resize 32x32 --flip --copies 20 --shards 1 -o '$TMP/out/tty' '$TMP/data/train'" /dev/null >"$TMP/tty.out" 2>&1
	if grep -q 'images' "$TMP/tty.out" && grep -q '\[#' "$TMP/tty.out"; then ok "a progress bar on a terminal"; else not_ok "a progress bar on a terminal"; sed 's/^/# /' "$TMP/tty.out" | head; fi
	script -qec "'$TFREC' convert -q --no-fsync --resize 32x32 --shards 1 -o '$TMP/out/tty2' '$TMP/data/train'" /dev/null >"$TMP/tty2.out" 2>&1
	[ -s "$TMP/tty2.out" ] && not_ok "-q silences the terminal" || ok "-q silences the terminal"
else
	skip "a progress bar on a terminal" "script(1) is not installed"
fi
done_testing
