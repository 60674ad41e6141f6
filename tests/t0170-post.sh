#!/bin/sh
# t0170-post: convert --post CMD runs CMD on every shard once it is
# complete and renamed ({} is its path), at most --post-jobs at once; a
# failing command fails the run naming the shard, and keeps the shards;
# --resume re-runs the command only for shards whose command never
# succeeded, as recorded in the state file.
. "${TOP_SRCDIR}/tests/lib.sh"
PHOTOS=$TOP_SRCDIR/sample-data/photos
mkdir -p "$TMP/o" "$TMP/up" "$TMP/o2" "$TMP/up2" "$TMP/ref"
OPTS="-q --no-fsync --resize-short 48 --crop 32x32 --random-crop --copies 3 --shards 6"
# shellcheck disable=SC2086
"$TFREC" convert $OPTS -o "$TMP/ref/t" "$TOP_SRCDIR/sample-data/photos"

# An upload that copies into a second folder and logs what it did.
UP="cp {} '$TMP/up/' && echo {} >>'$TMP/log'"
# shellcheck disable=SC2086
check "convert --post copies every shard" "$TFREC" convert $OPTS -j 2 --post "$UP" --post-jobs 2 -o "$TMP/o/t" "$PHOTOS"
n=$(ls "$TMP/up" | grep -c '\.tfrecord$')
[ "$n" -eq 6 ] && ok "all 6 shards were posted" || not_ok "all 6 shards were posted ($n)"
same=1
for f in "$TMP"/ref/t-*.tfrecord; do cmp -s "$f" "$TMP/up/$(basename "$f")" || same=0; done
[ $same = 1 ] && ok "each posted copy is the complete shard" || not_ok "each posted copy is the complete shard"
check "each shard was posted once" sh -c "[ \$(sort -u '$TMP/log' | wc -l) -eq 6 ] && [ \$(wc -l <'$TMP/log') -eq 6 ]"
# shellcheck disable=SC2086
check "--resume after a full success posts nothing again" "$TFREC" convert $OPTS --resume --post "$UP" -o "$TMP/o/t" "$PHOTOS"
check "the log did not grow" sh -c "[ \$(wc -l <'$TMP/log') -eq 6 ]"

# A command that fails for shard 2 (and shard 4) fails the run, naming one.
FAIL="case {} in *-0000[24]-of-*) exit 3;; esac; cp {} '$TMP/up2/' && echo {} >>'$TMP/log2'"
# shellcheck disable=SC2086
check_exit 1 "a failing post command fails the run" "$TFREC" convert $OPTS -j 2 --post "$FAIL" -o "$TMP/o2/t" "$PHOTOS"
err_has "naming the first shard it failed for" "t-00002-of-00006.tfrecord' exited with status 3"
err_has "and how many failed" "2 of 6 failed"
n=$(ls "$TMP/o2" | grep -c '\.tfrecord$')
[ "$n" -eq 6 ] && ok "the shards are kept" || not_ok "the shards are kept ($n)"
check "and the manifest" test -f "$TMP/o2/t.json"
n=$(ls "$TMP/up2" | grep -c '\.tfrecord$')
[ "$n" -eq 4 ] && ok "the other 4 were posted" || not_ok "the other 4 were posted ($n)"

# --resume with a command that now works: only shards 2 and 4 again.
: >"$TMP/log2"
FIXED="cp {} '$TMP/up2/' && echo {} >>'$TMP/log2'"
# shellcheck disable=SC2086
check "--resume re-runs the post command" "$TFREC" convert $OPTS -j 2 --resume --post "$FIXED" -o "$TMP/o2/t" "$PHOTOS"
check "only for the shards whose command failed" sh -c "[ \$(wc -l <'$TMP/log2') -eq 2 ] && grep -q 00002-of '$TMP/log2' && grep -q 00004-of '$TMP/log2'"
n=$(ls "$TMP/up2" | grep -c '\.tfrecord$')
[ "$n" -eq 6 ] && ok "now all 6 are posted" || not_ok "now all 6 are posted ($n)"
check "the shards are the single run's" sh -c "for f in '$TMP'/ref/t-*.tfrecord; do cmp -s \"\$f\" '$TMP/o2/'\$(basename \"\$f\") || exit 1; done"

# At most --post-jobs commands at once: each takes one of 2 slot folders.
SLOT="for s in a b; do if mkdir '$TMP/slot.'\$s 2>/dev/null; then sleep 0.1; rmdir '$TMP/slot.'\$s; exit 0; fi; done; exit 9"
mkdir -p "$TMP/o3"
# shellcheck disable=SC2086
check "--post-jobs 2 never runs a third command" "$TFREC" convert $OPTS -j 2 --post "$SLOT" --post-jobs 2 -o "$TMP/o3/t" "$PHOTOS"

# shard --post: every reshuffled shard, once
mkdir -p "$TMP/o4" "$TMP/up4"
check "shard --post" "$TFREC" shard -q --no-fsync --shuffle --shards 4 --post "cp {} '$TMP/up4/'" -o "$TMP/o4/s" "$TMP"/ref/t-*.tfrecord
check "copies all 4 shards as written" sh -c "for f in '$TMP'/o4/s-*.tfrecord; do cmp -s \"\$f\" '$TMP/up4/'\$(basename \"\$f\") || exit 1; done; [ \$(ls '$TMP/up4' | wc -l) -eq 4 ]"
check_exit 1 "a failing command fails shard too" "$TFREC" shard -q --no-fsync --shards 2 --post false -o "$TMP/o4/f" "$TMP"/ref/t-*.tfrecord
err_has "naming a shard" "f-00000-of-00002.tfrecord' exited with status 1"

# usage
# shellcheck disable=SC2086
check_exit 2 "--post-jobs 0 is a usage error" "$TFREC" convert $OPTS --post true --post-jobs 0 -o "$TMP/o3/u" "$PHOTOS"
# shellcheck disable=SC2086
check_exit 2 "an empty --post is a usage error" "$TFREC" convert $OPTS --post "" -o "$TMP/o3/u" "$PHOTOS"
done_testing
