#!/bin/sh
# t0120-parallel: the GNU parallel recipe of tfrec-convert(1) gives the
# same bytes as a single run.  Skipped when parallel is not installed.
. "${TOP_SRCDIR}/tests/lib.sh"
if ! command -v parallel >/dev/null 2>&1 || ! parallel --version 2>/dev/null | grep -q GNU; then
	skip_all "GNU parallel is not installed"
fi
PHOTOS=$TOP_SRCDIR/sample-data/photos
mkdir -p "$TMP/one" "$TMP/par"
OPTS="-q --no-fsync --resize-short 64 --crop 48x48 --random-crop --copies 4 --shuffle --shards 7"
# shellcheck disable=SC2086
"$TFREC" convert $OPTS -o "$TMP/one/t" "$PHOTOS"
check "parallel -j 3 over --part I/3" parallel --will-cite -j 3 "$TFREC" convert $OPTS -j 1 --part {}/3 -o "$TMP/par/t" "$PHOTOS" ::: 1 2 3
same=1
for f in "$TMP"/one/*.tfrecord; do cmp -s "$f" "$TMP/par/$(basename "$f")" || same=0; done
[ $same = 1 ] && ok "the parts equal the single run, byte for byte" || not_ok "the parts equal the single run"
check "all 7 shards were written" sh -c "[ \$(ls '$TMP/par' | grep -c 'tfrecord\$') -eq 7 ]"
check "shard parts too" parallel --will-cite -j 2 "$TFREC" shard -q --no-fsync --shuffle --shards 5 --part {}/2 -o "$TMP/par/s" "$TMP"/one/t-*.tfrecord ::: 1 2
"$TFREC" shard -q --no-fsync --shuffle --shards 5 -o "$TMP/one/s" "$TMP"/one/t-*.tfrecord
same=1
for f in "$TMP"/one/s-*.tfrecord; do cmp -s "$f" "$TMP/par/$(basename "$f")" || same=0; done
[ $same = 1 ] && ok "shard parts equal the single run" || not_ok "shard parts equal the single run"
done_testing
